"""`voicecoach start`: one session, and the goodbye after Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import click

from voicecoach.audio.deadline import Stalled, within
from voicecoach.audio.speakers import Speaker
from voicecoach.cli.common import (
    CliError,
    brief_option,
    data_dir_option,
    finite,
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
from voicecoach.coach.loop import Coach
from voicecoach.coach.transcript import Transcript
from voicecoach.errors import ExitCode, InputEnded, VoicecoachError
from voicecoach.hearing.typed import FallbackListener
from voicecoach.history.keeper import HistoryKeeper
from voicecoach.session.actions import Outcome
from voicecoach.session.clock import MonotonicClock
from voicecoach.session.progress import routine_at
from voicecoach.session.run import SCREENING_DAYS, run_session


def stops_while_loading(command: Callable[..., None]) -> Callable[..., None]:
    """Ending signals are handled from before `command` loads anything: one that comes while
    it is still loading ends it with the goodbye printed and its exit code (the session's own
    handling, spoken, takes over once its speaker exists)."""

    @functools.wraps(command)
    def run(**options: object) -> None:
        for signum in ENDING_SIGNALS:
            signal.signal(signum, _terminate)
        try:
            command(**options)
        except Terminated as ending:
            words, code = ENDING_SIGNALS[ending.signum]
            with contextlib.suppress(OSError):
                click.echo(words)
            sys.exit(int(code))

    return run


@click.command()
@click.option("--routine", "routine_name", metavar="NAME",
              help="Routine to run (see `routines list`).")
@click.option("--text", is_flag=True, help="Print instead of speaking, and read typed answers.")
@rate_option
@volume_option
@voice_option
@click.option("--time-scale", type=click.FloatRange(min=0.0001, max=1000), callback=finite,
              default=1.0, show_default=True,
              help="Multiply every wait by this; 0.01 makes waits 100 times shorter.")
@click.option("--answers", "answer_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take spoken answers from these WAV files, in order, instead of a microphone.")
@click.option("--speak-to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coach's speech to this WAV file instead of the sound card.")
@no_earcons_option
@click.option("--no-echo", is_flag=True,
              help="Speak without printing each line too (setting: print_speech), for a "
                   "screen reader that would read it a second time.")
@brief_option
@mic_device_option
@click.option("--transcript", "transcript_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Log everything said and heard to this file (JSON lines, timestamped).")
@click.option("--transcript-append", is_flag=True, hidden=True,
              help="Add to the transcript instead of starting it afresh (used by serve).")
@household_options
@data_dir_option
@click.option("--no-history", is_flag=True, help="Do not keep this session in the history.")
@routines_dir_option
@stops_while_loading
def start(routine_name: str | None, text: bool, rate: int, volume: float, voice: str | None,
          time_scale: float, answer_files: tuple[Path, ...], speak_to: Path | None,
          no_earcons: bool, no_echo: bool, brief: bool, mic_device: int | None,
          transcript_path: Path | None, transcript_append: bool, tts: str | None,
          asr: str | None, data_dir: Path | None, no_history: bool,
          routines_dirs: tuple[Path, ...]) -> None:
    """Run a session: safety questions, then a narrated routine.

    \b
    Examples:
      voicecoach start
      voicecoach start --text --routine beginner_back_hip
      printf 'no\\n...' | voicecoach start --text --time-scale 0.01
    """
    settings, settings_sentence = session_settings()
    content = load_library(routines_dirs)
    routine = routine_in(content, routine_name, settings.routine)
    tts, asr = household_services(settings, tts, asr)
    from voicecoach.coach.wiring import build_io  # audio libraries load only when a session runs

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
            print_speech=settings.print_speech and not no_echo, tts=tts, asr=asr,
        )
    except VoicecoachError as exc:
        transcript.close()
        raise CliError(exc) from None
    except Terminated:
        transcript.close()
        raise
    keeper: HistoryKeeper | None = None
    ended = "interrupted"
    try:
        if settings_sentence:
            speaker.say(settings_sentence)
        keeper = HistoryKeeper.start(data_dir, routine.id, speaker.say, enabled=not no_history,
                                     clock=clock)
        history = keeper

        def closing(outcome: Outcome) -> list[str]:
            history.end(outcome.ended)
            return history.closing_words() if outcome.ended in ("finished", "stopped") else []

        coach = Coach(speaker, listener, clock, transcript, watcher, keeper.record, closing)
        transcript.write("event", f"session started: routine {routine.id}")
        due = keeper.full_screening_due(SCREENING_DAYS)
        step, offer = keeper.progression(routine.id)
        outcome = coach.run(run_session(
            content.triage, routine_at(routine, step), content.exercises, full_screening_due=due,
            brief=brief or settings.verbosity == "brief", offer_progress=offer,
            confirm_ratings=isinstance(listener, FallbackListener),
            memory=keeper.safety_memory(), gentle=content.routines.get(GENTLE_ROUTINE)))
        ended = outcome.ended
    except InputEnded:
        ended = "input_ended"
        click.echo("Input ended before the session finished, so the session stops here.")
        sys.exit(int(ExitCode.INPUT_ENDED))
    except KeyboardInterrupt:
        transcript.write("event", "interrupted (Ctrl-C)")
        say_goodbye(speaker, GOODBYE)
        sys.exit(int(ExitCode.INTERRUPTED))
    except Terminated as ending:
        name = signal.Signals(ending.signum).name
        transcript.write("event", f"terminated ({name})")
        words, code = ENDING_SIGNALS[ending.signum]
        say_goodbye(speaker, words)
        sys.exit(int(code))
    except VoicecoachError as exc:
        raise CliError(exc) from None
    finally:
        if keeper is not None:
            keeper.end(ended)
            keeper.close()
        watcher.close()
        transcript.close()
        speaker.close()
        listener.close()
    _summary(outcome)


GENTLE_ROUTINE = "gentle_flare_up"  # offered instead when the starting pain is severe


GOODBYE = "Stopping here, as you asked. Goodbye."


CLOSING_DOWN = "I have been asked to close, so the session stops here. Goodbye."


# Signals that end a session with a goodbye, what is said and the exit code.
ENDING_SIGNALS = {
    signal.SIGTERM: (CLOSING_DOWN, ExitCode.TERMINATED),
    signal.SIGHUP: ("The terminal was closed, so the session stops here. Goodbye.",
                    ExitCode.HUNG_UP),
    signal.SIGQUIT: (GOODBYE, ExitCode.QUIT),
}


GOODBYE_LIMIT = 5.0  # seconds: a goodbye that cannot be said by then is only printed


class Terminated(Exception):
    """SIGTERM, SIGHUP or SIGQUIT arrived (a shutdown, a service manager, a closed terminal,
    Ctrl-backslash)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def say_goodbye(speaker: Speaker, words: str) -> None:
    """After Ctrl-C or SIGTERM: a spoken goodbye where the speaker can, printed where it
    cannot; a second Ctrl-C, or a speaker that hangs, cuts it short."""
    with contextlib.suppress(OSError):  # a closed terminal cannot take even this
        print(file=sys.stdout, flush=True)  # off the "^C" line
    try:
        within(GOODBYE_LIMIT, lambda: speaker.say(words), "voicecoach-goodbye")
    except (KeyboardInterrupt, Terminated, Stalled, VoicecoachError, OSError):
        with contextlib.suppress(OSError):
            click.echo(words)


def _summary(outcome: Outcome) -> None:
    words = {
        "finished": "Session finished",
        "red_flag": "Session ended after the safety questions",
        "out_of_scope": "Session ended: outside what this coach is for",
        "stopped": "Session stopped at your request",
        "nothing_suitable": "Session ended: no exercise in this routine suits today's answers",
        "pain": "Session ended because pain spread into the leg",
        "rested": "Session ended: resting today because of severe pain",
    }
    parts = [f"{words[outcome.ended]}. Exercises done: {len(outcome.exercises_done)}."]
    if outcome.exercises_skipped:
        parts.append(f"Skipped: {len(outcome.exercises_skipped)}.")
    if outcome.exercises_stopped:
        parts.append(f"Stopped for pain: {len(outcome.exercises_stopped)}.")
    click.echo(" ".join(parts))
