"""The command line: thin click commands over the library."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import click

from voicecoach.actions import Outcome
from voicecoach.clock import MonotonicClock
from voicecoach.coach import Coach
from voicecoach.content import find_routine, load_content, user_routines_dir
from voicecoach.deadline import Stalled, within
from voicecoach.errors import ExitCode, InputEnded, VoicecoachError
from voicecoach.handout import content_as_dict, routine_handout, routine_list
from voicecoach.history import DATA_DIR_VARIABLE, HistoryError, as_json, open_history
from voicecoach.history_keeper import HistoryKeeper
from voicecoach.history_summary import as_csv, summary_sentences
from voicecoach.history_table import history_table
from voicecoach.listeners import FallbackListener, hear_wav
from voicecoach.model import Content, Routine
from voicecoach.progress import routine_at
from voicecoach.session import SCREENING_DAYS, run_session
from voicecoach.settings import DESCRIPTIONS, config_path
from voicecoach.settings import KEYS as SETTING_KEYS
from voicecoach.settings import load as load_settings
from voicecoach.settings import parse as parse_setting
from voicecoach.settings import read_file as read_settings_file
from voicecoach.settings import write as write_settings
from voicecoach.speakers import Speaker
from voicecoach.transcript import Transcript
from voicecoach.vocabulary import VOCABULARIES


class CliError(click.ClickException):
    """A VoicecoachError shown as a clear message with its exit code, never a traceback."""

    def __init__(self, error: VoicecoachError):
        super().__init__(str(error))
        self.exit_code = int(error.exit_code)


def _load(routines_dirs: tuple[Path, ...]) -> Content:
    extra = list(routines_dirs)
    if user_routines_dir().is_dir():
        extra.append(user_routines_dir())
    try:
        return load_content(extra)
    except VoicecoachError as exc:
        raise CliError(exc) from None


def _routine_in(content: Content, asked: str | None, stored: str) -> Routine:
    """The routine asked for, else the stored one, else the default; a clear error if unknown."""
    try:
        return find_routine(content, asked or stored or None)
    except VoicecoachError as exc:
        raise CliError(exc) from None


data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path),
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
                            help="espeak-ng voice id (see `voicecoach voices`).")
no_earcons_option = click.option("--no-earcons", is_flag=True,
                                 help="No tones when listening starts or ends.")
brief_option = click.option("--brief", is_flag=True,
                            help="No reminders during holds (setting: verbosity).")
mic_device_option = click.option("--mic-device", type=int,
                                 help="Microphone device index (default: system default).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voicecoach")
def cli() -> None:
    """A hands-free, offline voice coach for low back and hip stretches.

    \b
    Example:
      voicecoach start            # speak and listen
      voicecoach start --text     # type answers, read the coach's words
    """


@cli.command()
@click.option("--routine", "routine_name", metavar="NAME",
              help="Routine to run (see `routines list`).")
@click.option("--text", is_flag=True, help="Print instead of speaking, and read typed answers.")
@rate_option
@volume_option
@voice_option
@click.option("--time-scale", type=click.FloatRange(min=0.0001), default=1.0, show_default=True,
              help="Multiply every wait by this; 0.01 makes waits 100 times shorter.")
@click.option("--answers", "answer_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take spoken answers from these WAV files, in order, instead of a microphone.")
@click.option("--speak-to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coach's speech to this WAV file instead of the sound card.")
@no_earcons_option
@brief_option
@mic_device_option
@click.option("--transcript", "transcript_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Log everything said and heard to this file (JSON lines, timestamped).")
@click.option("--transcript-append", is_flag=True, hidden=True,
              help="Add to the transcript instead of starting it afresh (used by serve).")
@data_dir_option
@click.option("--no-history", is_flag=True, help="Do not keep this session in the history.")
@routines_dir_option
def start(routine_name: str | None, text: bool, rate: int, volume: float, voice: str | None,
          time_scale: float, answer_files: tuple[Path, ...], speak_to: Path | None,
          no_earcons: bool, brief: bool, mic_device: int | None,
          transcript_path: Path | None, transcript_append: bool, data_dir: Path | None,
          no_history: bool, routines_dirs: tuple[Path, ...]) -> None:
    """Run a session: safety questions, then a narrated routine.

    \b
    Examples:
      voicecoach start
      voicecoach start --text --routine beginner_back_hip
      printf 'no\\n...' | voicecoach start --text --time-scale 0.01
    """
    try:
        settings, _ = load_settings()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    content = _load(routines_dirs)
    routine = _routine_in(content, routine_name, settings.routine)
    from voicecoach.wiring import build_io  # audio libraries load only when a session runs

    clock = MonotonicClock(time_scale)
    try:
        transcript = Transcript.open(transcript_path, clock, append=transcript_append)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    try:
        speaker, listener, watcher = build_io(
            text=text, rate=rate or settings.rate, volume=volume or settings.volume,
            voice=voice or settings.voice or None, answer_files=list(answer_files),
            speak_to=speak_to, earcons=settings.earcons and not no_earcons,
            mic_device=settings.microphone(mic_device),
            on_listen=lambda: transcript.write("event", "listening"),
        )
    except VoicecoachError as exc:
        transcript.close()
        raise CliError(exc) from None
    keeper = HistoryKeeper.start(data_dir, routine.id, speaker.say, enabled=not no_history)

    def closing(outcome: Outcome) -> list[str]:
        keeper.end(outcome.ended)
        return keeper.closing_words() if outcome.ended in ("finished", "stopped") else []

    coach = Coach(speaker, listener, clock, transcript, watcher, keeper.record, closing)
    transcript.write("event", f"session started: routine {routine.id}")
    ended = "interrupted"
    signal.signal(signal.SIGTERM, _terminate)
    try:
        due = keeper.full_screening_due(SCREENING_DAYS)
        step, offer = keeper.progression(routine.id)
        outcome = coach.run(run_session(
            content.triage, routine_at(routine, step), content.exercises, full_screening_due=due,
            brief=brief or settings.verbosity == "brief", offer_progress=offer,
            confirm_ratings=isinstance(listener, FallbackListener)))
        ended = outcome.ended
    except InputEnded:
        ended = "input_ended"
        click.echo("Input ended before the session finished, so the session stops here.")
        sys.exit(int(ExitCode.INPUT_ENDED))
    except KeyboardInterrupt:
        transcript.write("event", "interrupted (Ctrl-C)")
        say_goodbye(speaker, GOODBYE)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Terminated:
        transcript.write("event", "terminated (SIGTERM)")
        say_goodbye(speaker, CLOSING_DOWN)
        sys.exit(int(ExitCode.TERMINATED))
    except VoicecoachError as exc:
        raise CliError(exc) from None
    finally:
        keeper.end(ended)
        keeper.close()
        watcher.close()
        transcript.close()
        speaker.close()
        listener.close()
    _summary(outcome)


@cli.command()
@click.option("--wake-phrase", "wake_phrases", multiple=True, metavar="WORDS",
              envvar="VOICECOACH_WAKE_PHRASE",
              help='What wakes the coach (default "hey coach"; two or more common words; may '
                   "be repeated).")
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
@data_dir_option
@routines_dir_option
def serve(wake_phrases: tuple[str, ...], once: bool, routine_name: str | None, rate: int,
          volume: float, voice: str | None, no_earcons: bool, brief: bool,
          mic_device: int | None, transcript_path: Path | None, log_file: Path | None,
          data_dir: Path | None, routines_dirs: tuple[Path, ...]) -> None:
    """Wait for the wake phrase, then run a session by voice; wait again. Runs until stopped.

    \b
    Say "hey coach, start stretching" (or "hey coach", then "start stretching");
    "hey coach, how am I doing"; "hey coach, what can you do"; "hey coach, goodbye".
    Stop it with Ctrl-C or SIGTERM. To run it at boot: scripts/install-service.

    \b
    Examples:
      voicecoach serve
      voicecoach serve --wake-phrase "okay coach" --log-file ~/voicecoach.log
    """
    from voicecoach.serve import ServeIO, Server, SessionRunner
    from voicecoach.wake import (
        DEFAULT_WAKE_PHRASES,
        WakeSpotter,
        check_wake_phrase,
        follow_up_decoder,
        known_words,
        wake_decoder,
    )

    try:
        settings, _ = load_settings()
        known = known_words()
        phrases = tuple(check_wake_phrase(p, known) for p in wake_phrases or DEFAULT_WAKE_PHRASES)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    routine = _routine_in(_load(routines_dirs), routine_name, settings.routine)
    log = _service_log(log_file)
    session_args = ["--routine", routine.id]
    for name, value in (("--rate", rate), ("--volume", volume), ("--voice", voice),
                        ("--mic-device", mic_device), ("--data-dir", data_dir)):
        if value is not None:
            session_args += [name, str(value)]
    for path in routines_dirs:
        session_args += ["--routines-dir", str(path)]
    session_args += ["--no-earcons"] * no_earcons + ["--brief"] * brief
    if transcript_path is not None:
        session_args += ["--transcript", str(transcript_path), "--transcript-append"]
    from voicecoach.listeners import microphone_opener
    from voicecoach.wiring import build_speaker

    clock = MonotonicClock(1.0)
    try:
        Transcript.open(transcript_path, clock).close()  # start the file afresh; then append,
        transcript = Transcript.open(transcript_path, clock, append=True)  # as sessions do
    except VoicecoachError as exc:
        raise CliError(exc) from None
    speaker = build_speaker(text=False, rate=rate or settings.rate,
                            volume=volume or settings.volume,
                            voice=voice or settings.voice or None,
                            earcons=settings.earcons and not no_earcons)
    device = settings.microphone(mic_device)

    def progress() -> list[str]:
        try:
            store = open_history(data_dir)
            rows = store.sessions()
            store.close()
        except HistoryError as exc:
            log(f"history unavailable: {exc}")
            return []
        return summary_sentences(rows, time.time()) if rows else []

    runner = SessionRunner(session_args)
    server = Server(
        ServeIO(microphone_opener(device), speaker, log, transcript),
        WakeSpotter(wake_decoder(phrases)), WakeSpotter(follow_up_decoder()),
        runner, progress, wake_phrase=phrases[0], once=once)

    def stop(signum: int, frame: object) -> None:
        log(f"stopping ({signal.Signals(signum).name})")
        server.stopping.set()
        runner.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    transcript.write("event", f"serving: wake phrase {', '.join(phrases)}")
    log(f"started; wake phrase: {', '.join(phrases)}; routine {routine.id}")
    try:
        server.serve()
    finally:
        transcript.write("event", "stopped")
        transcript.close()
        speaker.close()
    log("stopped")


def _service_log(path: Path | None):
    """Log lines to standard output (the journal, under systemd) and, with a path, a file."""

    def log(line: str) -> None:
        click.echo(f"voicecoach serve: {line}")
        if path is not None:
            try:
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
            except OSError as exc:
                click.echo(f"voicecoach serve: cannot write {path}: {exc.strerror or exc}")

    return log


GOODBYE = "Stopping here, as you asked. Goodbye."
CLOSING_DOWN = "I have been asked to close, so the session stops here. Goodbye."
GOODBYE_LIMIT = 5.0  # seconds: a goodbye that cannot be said by then is only printed


class Terminated(Exception):
    """SIGTERM arrived (the system shutting down, a service manager stopping us)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def say_goodbye(speaker: Speaker, words: str) -> None:
    """After Ctrl-C or SIGTERM: a spoken goodbye where the speaker can, printed where it
    cannot; a second Ctrl-C, or a speaker that hangs, cuts it short."""
    print(file=sys.stdout, flush=True)  # off the "^C" line
    try:
        within(GOODBYE_LIMIT, lambda: speaker.say(words), "voicecoach-goodbye")
    except (KeyboardInterrupt, Terminated, Stalled, VoicecoachError, OSError):
        click.echo(words)


def _summary(outcome: Outcome) -> None:
    words = {
        "finished": "Session finished",
        "red_flag": "Session ended after the safety questions",
        "out_of_scope": "Session ended: outside what this coach is for",
        "stopped": "Session stopped at your request",
        "nothing_suitable": "Session ended: no exercise in this routine suits today's answers",
        "pain": "Session ended because pain spread into the leg",
    }
    parts = [f"{words[outcome.ended]}. Exercises done: {len(outcome.exercises_done)}."]
    if outcome.exercises_skipped:
        parts.append(f"Skipped: {len(outcome.exercises_skipped)}.")
    if outcome.exercises_stopped:
        parts.append(f"Stopped for pain: {len(outcome.exercises_stopped)}.")
    click.echo(" ".join(parts))


@cli.group()
def routines() -> None:
    """List routines, or show one as a printable handout.

    \b
    Example:
      voicecoach routines list
      voicecoach routines show beginner_back_hip
    """


@routines.command("list")
@routines_dir_option
def routines_list(routines_dirs: tuple[Path, ...]) -> None:
    """List the available routines with their length.

    \b
    Example:
      voicecoach routines list --routines-dir ~/my-routines
    """
    click.echo(routine_list(_load(routines_dirs)))


@routines.command("show")
@click.argument("name")
@routines_dir_option
def routines_show(name: str, routines_dirs: tuple[Path, ...]) -> None:
    """Show one routine: order, doses, time and cautions.

    \b
    Example:
      voicecoach routines show beginner_back_hip
    """
    content = _load(routines_dirs)
    try:
        click.echo(routine_handout(find_routine(content, name)))
    except VoicecoachError as exc:
        raise CliError(exc) from None


@routines.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
def routines_validate(files: tuple[Path, ...]) -> None:
    """Check your own routine files; print each problem with its file and line.

    Your routines may use the built-in exercises by id.

    \b
    Example:
      voicecoach routines validate ~/.config/voicecoach/routines/mine.yaml
    """
    problems: list[str] = []
    for path in files:
        try:
            load_content(extra_files=[path])
        except VoicecoachError as exc:
            problems += getattr(exc, "problems", [str(exc)])
        else:
            click.echo(f"{path}: ok")
    if problems:
        for problem in problems:
            click.echo(problem)
        sys.exit(int(ExitCode.CONTENT))


@cli.command("content")
@click.option("--json", "as_json", is_flag=True, required=True,
              help="Print everything as JSON (the only format for now).")
@routines_dir_option
def content_command(as_json: bool, routines_dirs: tuple[Path, ...]) -> None:
    """Print all exercises, routines and triage questions, for tooling and review.

    \b
    Example:
      voicecoach content --json > content.json
    """
    click.echo(json.dumps(content_as_dict(_load(routines_dirs)), indent=2))


@cli.command("check-audio")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as one JSON object.")
@click.option("--seconds", type=click.FloatRange(1, 30), default=4.0, show_default=True,
              help="How long to record.")
@mic_device_option
@click.option("--rate", type=click.IntRange(80, 400), help="Speech rate in words per minute.")
@click.option("--volume", type=click.FloatRange(0.1, 1.0), help="Speech volume, 0.1 to 1.0.")
def check_audio(as_json: bool, seconds: float, mic_device: int | None, rate: int | None,
                volume: float | None) -> None:
    """Check the loudspeaker and the microphone, and say what to fix.

    Lists the sound devices, speaks a test phrase, records a few seconds (say "yes" after the
    tone), reports the level and what it understood. Exit status 1 when something is wrong.

    \b
    Examples:
      voicecoach check-audio
      voicecoach check-audio --json --mic-device 2
    """
    from voicecoach.audio_check import report_lines, run_check
    from voicecoach.speakers import AudioSpeaker, Pyttsx3Renderer

    try:
        settings, _ = load_settings()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    out = sys.stderr if as_json else sys.stdout  # with --json, stdout holds only the JSON

    def say(line: str) -> None:
        click.echo(line, file=out)

    def make_speaker() -> AudioSpeaker:
        renderer = Pyttsx3Renderer(rate=rate or settings.rate, voice=settings.voice or None,
                                   volume=volume or settings.volume)
        return AudioSpeaker(renderer, echo=out, earcons=settings.earcons)

    device = settings.microphone(mic_device)
    report = run_check(mic_device=device, seconds=seconds, make_speaker=make_speaker, say=say)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report_lines(report):
            say(line)
    sys.exit(0 if report.ok else 1)


@cli.command()
def voices() -> None:
    """List the text-to-speech voices installed (ids for --voice).

    \b
    Example:
      voicecoach voices
    """
    from voicecoach.speakers import Pyttsx3Renderer

    try:
        for voice_id in Pyttsx3Renderer().voices():
            click.echo(voice_id)
    except VoicecoachError as exc:
        raise CliError(exc) from None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--expect", type=click.Choice(sorted(VOCABULARIES)), default="answer",
              show_default=True, help="Which words to listen for.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
def hear(files: tuple[Path, ...], expect: str, as_json: bool) -> None:
    """Decode WAV FILES as the live listener would, and print what was heard.

    \b
    Example:
      voicecoach hear answer.wav --expect answer --json
    """
    failed = 0
    for path in files:
        try:
            decoded = hear_wav(path, expect)
        except VoicecoachError as exc:
            failed += 1
            if as_json:
                click.echo(json.dumps({"file": str(path), "error": str(exc)}))
            else:
                click.echo(f"{path}: error: {exc}")
            continue
        if as_json:
            line = {"file": str(path), "heard": decoded.value, "text": decoded.text,
                    "ms": round(decoded.ms, 1)}
            if decoded.checked:
                line["check"] = decoded.checked  # the word check's verdict, when it was asked
            click.echo(json.dumps(line))
        else:
            heard = decoded.value if decoded.value is not None else "not understood"
            raw = f' (decoder: "{decoded.text}")' if decoded.text else " (no speech)"
            if decoded.checked:
                raw += f", word check: {decoded.checked}"
            click.echo(f"{path}: {heard}{raw}, {decoded.ms:.0f} ms")
    if failed:
        sys.exit(int(ExitCode.ERROR))


@cli.command()
@data_dir_option
@click.option("--json", "as_json_", is_flag=True, help="Every session as JSON.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every session to this CSV file (for a clinician).")
@click.option("--say", is_flag=True, help="Speak a short progress summary (and print it).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw pain before/after and sessions per week to this PNG (needs the "
                   "'plot' extra).")
@click.option("--text", is_flag=True, help="With --say: print only, no speech.")
def history(data_dir: Path | None, as_json_: bool, csv_path: Path | None, say: bool,
            plot_path: Path | None, text: bool) -> None:
    """Show past sessions: date, routine, how each ended, exercises and pain.

    \b
    Example:
      voicecoach history
      voicecoach history --say
      voicecoach history --csv sessions.csv
      voicecoach history --plot progress.png
    """
    try:
        store = open_history(data_dir)
        rows = store.sessions()
        store.close()
    except HistoryError as exc:
        raise CliError(exc) from None
    if plot_path is not None:
        from voicecoach.history_plot import plot_history

        try:
            plot_history(rows, plot_path)
        except VoicecoachError as exc:
            raise CliError(exc) from None
        click.echo(f"Drew {len(rows)} session{'s' * (len(rows) != 1)} to {plot_path}.")
    elif csv_path is not None:
        try:
            csv_path.write_text(as_csv(rows), encoding="utf-8")
        except OSError as exc:
            raise CliError(VoicecoachError(
                f"{csv_path}: cannot write ({exc.strerror or exc})")) from None
        click.echo(f"Wrote {len(rows)} session{'s' * (len(rows) != 1)} to {csv_path}.")
    elif say:
        from voicecoach.wiring import build_speaker

        sentences = summary_sentences(rows, time.time())
        try:
            speaker = build_speaker(text=text, rate=160, volume=1.0, voice=None)
        except VoicecoachError as exc:
            raise CliError(exc) from None
        for sentence in sentences:
            speaker.say(sentence)
        speaker.close()
    else:
        click.echo(as_json(rows) if as_json_ else history_table(rows))


@cli.group()
def config() -> None:
    """Show or change the settings that persist between sessions.

    Settings live in a TOML file in your config folder; VOICECOACH_<KEY> environment
    variables override it, and command-line flags override both.

    \b
    Example:
      voicecoach config show
      voicecoach config set rate 140
      voicecoach config reset
    """


@config.command("show")
def config_show() -> None:
    """Print each setting, its value and where it comes from.

    \b
    Example:
      voicecoach config show
    """
    try:
        settings, sources = load_settings()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    click.echo(f"Settings file: {config_path()}")
    for key in SETTING_KEYS:
        click.echo(f"{key} = {getattr(settings, key)!r}  ({sources[key]}; {DESCRIPTIONS[key]})")


@config.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Store one setting in the settings file.

    \b
    Example:
      voicecoach config set volume 0.8
      voicecoach config set verbosity brief
    """
    path = config_path()
    try:
        stored = read_settings_file(path)
        stored[key] = parse_setting(key, value, "config set")
        write_settings(path, stored)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    click.echo(f"{key} = {stored[key]!r} (saved in {path})")


@config.command("reset")
def config_reset() -> None:
    """Forget every stored setting (back to the defaults).

    \b
    Example:
      voicecoach config reset
    """
    path = config_path()
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise CliError(VoicecoachError(f"{path}: cannot remove ({exc.strerror or exc})")) from None
    click.echo(f"Settings reset to the defaults ({path} removed).")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="voicecoach")
