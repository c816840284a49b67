"""What the commands share: the error shown instead of a traceback, options, loading content."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import click

from voicecoach.content.loader import find_routine, load_content, user_routines_dir
from voicecoach.content.model import Content, Routine
from voicecoach.errors import VoicecoachError
from voicecoach.history.store import DATA_DIR_VARIABLE
from voicecoach.settings import Settings, config_path, load_for_session

SETTINGS_SENTENCE = ("Your settings file could not be read in full, so some settings are at "
                     "their defaults today. The message on screen says how to fix it.")


class CliError(click.ClickException):
    """A VoicecoachError shown as a clear message with its exit code, never a traceback."""

    def __init__(self, error: VoicecoachError):
        super().__init__(str(error))
        self.exit_code = int(error.exit_code)


def load_library(routines_dirs: tuple[Path, ...]) -> Content:
    """The built-in content, folders given with --routines-dir (which must load: they were
    asked for), and each file of the user's routines folder that loads; a file that does not
    is reported on stderr, problem by problem, and left out, so one bad file cannot stop every
    session and the service."""
    extra = list(routines_dirs)
    try:
        content = load_content(extra)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    folder = user_routines_dir()
    if not folder.is_dir():
        return content
    good: list[Path] = []
    for path in sorted(p for p in folder.glob("*.yaml") if p.is_file()):
        try:
            load_content(extra, extra_files=[*good, path])
        except VoicecoachError as exc:
            for problem in getattr(exc, "problems", None) or [str(exc)]:
                click.echo(f"Warning: {problem}", err=True)
            click.echo(f"Warning: {path} is left out until it is fixed "
                       f"(voicecoach routines validate {path}).", err=True)
            continue
        good.append(path)
    return load_content(extra, extra_files=good) if good else content


def session_settings() -> tuple[Settings, str]:
    """The settings for a session, and a sentence to say when the settings file had problems
    (each is printed on stderr; the session goes on with those settings at their defaults)."""
    try:
        settings, problems = load_for_session()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    for problem in problems:
        click.echo(f"Warning: {problem}", err=True)
    return settings, SETTINGS_SENTENCE if problems else ""


def routine_in(content: Content, asked: str | None, stored: str) -> Routine:
    """The routine asked for, else the stored one, else the default; a clear error if unknown
    (naming the settings file when the name came from there)."""
    try:
        return find_routine(content, asked or stored or None)
    except VoicecoachError as exc:
        error = CliError(exc)
        if not asked and stored:
            error.message += (f"\n(The routine {stored!r} comes from your settings file, "
                              f"{config_path()}; change it with `voicecoach config set routine "
                              f"NAME`, or `voicecoach config set routine \"\"` for the "
                              "default.)")
        raise error from None


def _not_empty(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is not None and not value.strip():
        raise click.BadParameter("an empty folder name would write into the current folder; "
                                 "give a folder, or leave the option out")
    return None if value is None else Path(value)


def finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of times; try 1, or 0.01 for tests")
    return value


data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), callback=_not_empty,
    help=f"Folder for the history (default: ${DATA_DIR_VARIABLE}, else "
         "$XDG_DATA_HOME/voicecoach or ~/.local/share/voicecoach).",
)


routines_dir_option = click.option(
    "--routines-dir", "routines_dirs", multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra folder of routine YAML files (may be repeated).",
)


# Options a session takes, shared by start and serve (which passes them on to its sessions).
rate_option = click.option("--rate", type=click.IntRange(80, 400),
                           help="Speech rate in words per minute (setting: rate, 160).")


volume_option = click.option("--volume", type=click.FloatRange(0.1, 1.0),
                             help="Speech volume, from 0.1 to 1.0 (setting: volume, 1.0).")


voice_option = click.option("--voice", metavar="ID",
                            help="espeak-ng voice id, or piper:joe (see `voicecoach voices`).")


def household_options(command: Callable) -> Callable:
    """--tts and --asr: speech services in the home (Home Assistant's Wyoming ones), opt-in."""
    command = click.option(
        "--asr", metavar="wyoming://HOST:PORT",
        help="Ask this Wyoming speech-to-text server about answers the coach is unsure of "
             "(sends those recordings to it; setting: asr).")(command)
    return click.option(
        "--tts", metavar="wyoming://HOST:PORT",
        help="Speak through this Wyoming text-to-speech server, espeak-ng when it is down "
             "(sends it the text of what is said; setting: tts).")(command)


def household_services(settings: Settings, tts: str | None, asr: str | None
                       ) -> tuple[str | None, str | None]:
    """The --tts and --asr addresses (else the settings'), checked; None for none."""
    from voicecoach.settings import parse as parse_setting

    chosen = []
    for key, given in (("tts", tts), ("asr", asr)):
        try:
            value = parse_setting(key, given, f"--{key}") if given is not None else \
                getattr(settings, key)
        except VoicecoachError as exc:
            raise CliError(exc) from None
        chosen.append(str(value) or None)
    return chosen[0], chosen[1]


no_earcons_option = click.option("--no-earcons", is_flag=True,
                                 help="No tones when listening starts or ends.")


brief_option = click.option("--brief", is_flag=True,
                            help="No reminders during holds (setting: verbosity).")


mic_device_option = click.option("--mic-device", type=int,
                                 help="Microphone device index (default: system default).")
