"""`voicecoach history`: past sessions as a table, JSON, CSV, speech or a plot."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from voicecoach.cli.common import (
    CliError,
    data_dir_option,
    load_library,
    rate_option,
    session_settings,
    voice_option,
    volume_option,
)
from voicecoach.errors import VoicecoachError
from voicecoach.files import open_private
from voicecoach.history.flags_view import flags_lines
from voicecoach.history.store import HistoryError, as_json, open_history
from voicecoach.history.summary import as_csv, summary_figures, summary_sentences
from voicecoach.history.table import history_table


@click.command()
@data_dir_option
@click.option("--json", "as_json_", is_flag=True, help="Every session as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every session to this CSV file (for a clinician).")
@click.option("--say", is_flag=True, help="Speak a short progress summary (and print it).")
@click.option("--summary", is_flag=True,
              help="Print the progress summary; with --json, its figures as one JSON object "
                   "(for a Home Assistant command-line sensor).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw pain before/after and sessions per week to this PNG (needs the "
                   "'plot' extra).")
@click.option("--text", is_flag=True, help="With --say: print only, no speech.")
@rate_option
@volume_option
@voice_option
def history(data_dir: Path | None, as_json_: bool, csv_path: Path | None, say: bool,
            summary: bool, plot_path: Path | None, text: bool, rate: int | None,
            volume: float | None, voice: str | None) -> None:
    """Show past sessions: date, routine, how each ended, exercises and pain.

    \b
    Example:
      voicecoach history
      voicecoach history --say
      voicecoach history --summary --json
      voicecoach history --csv sessions.csv
      voicecoach history --plot progress.png
    """
    try:
        store = open_history(data_dir, read_only=True)
        rows = store.sessions()
        damaged = store.damaged
        flags = store.flags()
        store.close()
    except HistoryError as exc:
        raise CliError(exc) from None
    if damaged:
        click.echo(f"({damaged} session{'s' * (damaged != 1)} with a damaged date left out.)",
                   err=True)
    plural = "s" * (len(rows) != 1)
    if plot_path is not None:
        from voicecoach.history.plot import plot_history

        try:
            plot_history(rows, plot_path)
        except VoicecoachError as exc:
            raise CliError(exc) from None
        click.echo(f"Drew {len(rows)} session{plural} to {plot_path}.")
    if csv_path is not None:  # with --plot too: both are written
        try:
            with open_private(csv_path) as handle:
                handle.write(as_csv(rows))
        except OSError as exc:
            raise CliError(VoicecoachError(
                f"{csv_path}: cannot write ({exc.strerror or exc})")) from None
        click.echo(f"Wrote {len(rows)} session{plural} to {csv_path}.")
    if say:
        from voicecoach.coach.wiring import build_speaker

        sentences = summary_sentences(rows, time.time())
        settings, _ = session_settings()
        try:
            speaker = build_speaker(text=text, rate=rate or settings.rate,
                                    volume=volume or settings.volume,
                                    voice=voice or settings.voice or None,
                                    earcons=settings.earcons)
        except VoicecoachError as exc:
            raise CliError(exc) from None
        for sentence in sentences:
            speaker.say(sentence)
        speaker.close()
    if summary:
        if as_json_:
            click.echo(json.dumps(summary_figures(rows, time.time()), indent=2))
        else:
            click.echo("\n".join(summary_sentences(rows, time.time())))
    if plot_path is None and csv_path is None and not say and not summary:
        if as_json_:
            click.echo(as_json(rows))
        else:
            click.echo(history_table(rows))
            if flags:
                click.echo("\n" + "\n".join(flags_lines(flags, load_library(()).triage)))
