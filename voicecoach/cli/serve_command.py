"""`voicecoach serve`: the smart-speaker mode."""

from __future__ import annotations

import queue
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voicecoach.cli.common import (
    CliError,
    brief_option,
    data_dir_option,
    household_options,
    household_services,
    load_library,
    mic_device_option,
    no_earcons_option,
    rate_option,
    routine_in,
    routines_dir_option,
    session_settings,
    voice_option,
    volume_option,
)
from voicecoach.coach.transcript import Transcript
from voicecoach.errors import VoicecoachError
from voicecoach.files import open_private
from voicecoach.history.store import HistoryError, open_history
from voicecoach.history.summary import summary_sentences
from voicecoach.session.clock import MonotonicClock

if TYPE_CHECKING:
    from voicecoach.coach.serve import Server, SessionRunner
    from voicecoach.coach.wyoming_server import WyomingServer


class Phrase(click.types.StringParamType):
    """Text whose environment variable holds phrases split by commas: click splits at spaces,
    which made VOICECOACH_WAKE_PHRASE="okay coach" two one-word phrases."""

    envvar_list_splitter = ","

    def split_envvar_value(self, rv: str) -> list[str]:
        return [part.strip() for part in rv.split(",") if part.strip()]


@click.command()
@click.option("--wake-phrase", "wake_phrases", multiple=True, metavar="WORDS",
              envvar="VOICECOACH_WAKE_PHRASE", type=Phrase(),
              help='What wakes the coach (default "hey coach"; two or more common words; may '
                   "be repeated; in VOICECOACH_WAKE_PHRASE, separated by commas).")
@click.option("--once", is_flag=True, help="Handle one request, then exit (for tests).")
@click.option("--routine", "routine_name", metavar="NAME", help="Routine the sessions run.")
@rate_option
@volume_option
@voice_option
@no_earcons_option
@brief_option
@mic_device_option
@click.option("--transcript", "transcript_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Log what is said and heard, the sessions' too, to this file (JSON lines).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also append the service's log lines to this file (they always go to "
                   "standard output, which a service manager keeps in its journal).")
@click.option("--wyoming", "wyoming_uri", metavar="tcp://HOST:PORT",
              help="Also be a Wyoming handle program for Home Assistant on this address "
                   "(needs the homeassistant extra; port 10700 is usual).")
@click.option("--zeroconf", is_flag=True,
              help="With --wyoming: announce the coach so Home Assistant discovers it.")
@household_options
@data_dir_option
@routines_dir_option
def serve(wake_phrases: tuple[str, ...], once: bool, routine_name: str | None, rate: int,
          volume: float, voice: str | None, no_earcons: bool, brief: bool,
          mic_device: int | None, transcript_path: Path | None, log_file: Path | None,
          wyoming_uri: str | None, zeroconf: bool, tts: str | None, asr: str | None,
          data_dir: Path | None, routines_dirs: tuple[Path, ...]) -> None:
    """Wait for the wake phrase, then run a session by voice; wait again. Runs until stopped.

    \b
    Say "hey coach, start stretching" (or "hey coach", then "start stretching");
    "hey coach, how am I doing"; "hey coach, what can you do"; "hey coach, goodbye".
    Stop it with Ctrl-C or SIGTERM. To run it at boot: voicecoach service install.

    With --wyoming, Home Assistant can also start a session on this box, ask how you are
    doing and stop a session, from any of its voice satellites ("start stretching", "how am I
    doing", "stop"); the session itself runs here, on this box's speaker and microphone.

    "hey coach" is confirmed by a head trained for it on the speech embedding, which keeps it
    found in a noisy room; a custom --wake-phrase is spotted by the grammar alone.

    \b
    Examples:
      voicecoach serve
      voicecoach serve --wake-phrase "okay coach" --log-file ~/voicecoach.log
      voicecoach serve --wyoming tcp://0.0.0.0:10700 --zeroconf
    """
    from voicecoach.coach.serve import ServeIO, Server, SessionRunner
    from voicecoach.hearing.wake import (
        DEFAULT_WAKE_PHRASES,
        WakeSpotter,
        follow_up_decoder,
        wake_spotter,
    )

    try:
        settings, _ = session_settings()
        phrases = _checked_wake_phrases(wake_phrases or DEFAULT_WAKE_PHRASES)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    routine = routine_in(load_library(routines_dirs), routine_name, settings.routine)
    log = _service_log(log_file)
    tts, asr = household_services(settings, tts, asr)
    session_args = ["--routine", routine.id]
    for name, value in (("--rate", rate), ("--volume", volume), ("--voice", voice),
                        ("--mic-device", mic_device), ("--data-dir", data_dir)):
        if value is not None:
            session_args += [name, str(value)]
    for path in routines_dirs:
        session_args += ["--routines-dir", str(path)]
    session_args += ["--no-earcons"] * no_earcons + ["--brief"] * brief
    session_args += ["--tts", tts] * bool(tts) + ["--asr", asr] * bool(asr)
    if transcript_path is not None:
        session_args += ["--transcript", str(transcript_path), "--transcript-append"]
    from voicecoach.coach.wiring import build_speaker
    from voicecoach.hearing.listeners import microphone_opener

    clock = MonotonicClock(1.0)
    try:
        Transcript.open(transcript_path, clock).close()  # start the file afresh; then append,
        transcript = Transcript.open(transcript_path, clock, append=True)  # as sessions do
    except VoicecoachError as exc:
        raise CliError(exc) from None
    try:  # a wrong voice is said once and the service stops (exit 1), not a traceback
        speaker = build_speaker(text=False, rate=rate or settings.rate,
                                volume=volume or settings.volume,
                                voice=voice or settings.voice or None,
                                earcons=settings.earcons and not no_earcons, tts=tts)
    except VoicecoachError as exc:
        transcript.close()
        raise CliError(exc) from None
    device = settings.microphone(mic_device)

    def progress() -> list[str]:
        try:
            store = open_history(data_dir, read_only=True)
            rows = store.sessions()
            store.close()
        except HistoryError as exc:
            log(f"history unavailable: {exc}")
            return []
        return summary_sentences(rows, time.time()) if rows else []

    runner = SessionRunner(session_args)
    spotter = wake_spotter(phrases)
    server = Server(
        ServeIO(microphone_opener(device), speaker, log, transcript),
        spotter, WakeSpotter(follow_up_decoder(share=spotter.decoder)),
        runner, progress, wake_phrase=phrases[0], once=once)

    def stop(signum: int, frame: object) -> None:
        log(f"stopping ({signal.Signals(signum).name})")
        server.stopping.set()
        runner.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wyoming = _wyoming_server(wyoming_uri, zeroconf, server, runner, progress, log)
    transcript.write("event", f"serving: wake phrase {', '.join(phrases)}")
    log(f"started; wake phrase: {', '.join(phrases)}; routine {routine.id}")
    try:
        server.serve()
    finally:
        if wyoming is not None:
            wyoming.stop()
        transcript.write("event", "stopped")
        transcript.close()
        speaker.close()
    log("stopped")


def _wyoming_server(uri: str | None, zeroconf: bool, server: Server, runner: SessionRunner,
                    progress: Callable[[], list[str]], log: Callable[[str], None]
                    ) -> WyomingServer | None:
    """The Home Assistant handle program, started; None without --wyoming."""
    if uri is None:
        if zeroconf:
            raise CliError(VoicecoachError("--zeroconf announces the --wyoming server; "
                                           "give --wyoming tcp://HOST:PORT too"))
        return None
    from voicecoach.coach.household import Household
    from voicecoach.coach.wyoming_server import WyomingServer, parse_address
    from voicecoach.hearing.wake import Request

    def start() -> bool:
        if runner.running or not server.requests.empty():
            return False
        server.requests.put(Request("start", "(from Home Assistant)", 0.0, 0.0))
        return True

    def stop() -> bool:
        if runner.running:
            runner.terminate()
            return True
        try:  # asked for, not begun yet
            server.requests.get_nowait()
        except queue.Empty:
            return False
        return True

    try:
        wyoming = WyomingServer(parse_address(uri), Household(start, stop, progress), log,
                                zeroconf=zeroconf)
        wyoming.start()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    return wyoming


def _checked_wake_phrases(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """The wake phrases cleaned and checked against the recognizer's dictionary, which is let go
    on return: its 135,000 words kept 12 MB of serve's memory for as long as it ran."""
    from voicecoach.hearing.wake import check_wake_phrase, known_words

    known = known_words()
    return tuple(check_wake_phrase(p, known) for p in phrases)


def _service_log(path: Path | None):
    """Log lines to standard output (the journal, under systemd) and, with a path, a file."""

    def log(line: str) -> None:
        click.echo(f"voicecoach serve: {line}")
        if path is not None:
            try:
                with open_private(path, "a") as handle:
                    handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
            except OSError as exc:
                click.echo(f"voicecoach serve: cannot write {path}: {exc.strerror or exc}")

    return log
