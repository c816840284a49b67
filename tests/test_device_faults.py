"""Device faults: a microphone that fails or stalls, speech that fails or hangs, Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voicecoach.audio.audio_speaker import AudioSpeaker
from voicecoach.audio.deadline import Stalled, within
from voicecoach.audio.wav import Clip
from voicecoach.errors import AudioInputError, AudioOutputError
from voicecoach.hearing.listeners import SpeechListener
from voicecoach.hearing.typed import MICROPHONE_BACK, FallbackListener
from voicecoach.session.actions import Heard


def test_within_returns_raises_or_gives_up() -> None:
    assert within(1, lambda: 42) == 42
    with pytest.raises(ValueError):
        within(1, lambda: int("x"))
    never = threading.Event()
    start = time.monotonic()
    with pytest.raises(Stalled):
        within(0.2, never.wait)
    assert time.monotonic() - start < 1
    never.set()  # let the helper thread end


class FlakyMicrophone:
    """Answers "no" until told to fail."""

    def __init__(self) -> None:
        self.broken = False

    def listen(self, expect: str) -> Heard:
        if self.broken:
            raise AudioInputError("cannot read the microphone: unplugged")
        return Heard("no", "no")

    def open_source(self) -> object:
        raise AssertionError("not used here")

    def close(self) -> None:
        pass


class TypedAnswers:
    def __init__(self) -> None:
        self.count = 0

    def listen(self, expect: str) -> Heard:
        self.count += 1
        return Heard("yes", "yes")

    def close(self) -> None:
        pass


def test_a_failed_microphone_is_announced_the_keyboard_takes_over_and_it_comes_back() -> None:
    now = [0.0]
    microphone = FlakyMicrophone()
    plugged_in = [False]

    def reopen() -> FlakyMicrophone:
        if not plugged_in[0]:
            raise AudioInputError("no microphone was found")
        return FlakyMicrophone()

    said: list[str] = []
    keys = TypedAnswers()
    listener = FallbackListener(reopen, keys, said.append, microphone,  # type: ignore[arg-type]
                                retry_seconds=5, clock=lambda: now[0])
    assert listener.listen("answer").value == "no"  # by voice
    microphone.broken = True
    assert listener.listen("answer").value == "yes"  # typed, after saying why
    assert said == ["I can no longer hear the microphone: cannot read the microphone: "
                    "unplugged. Please type your answers for now; I will listen again as soon "
                    "as it is back."]
    now[0] = 6.0
    assert listener.listen("answer").value == "yes"  # tried, still not there: typed
    assert len(said) == 1 and keys.count == 2
    plugged_in[0] = True
    now[0] = 8.0
    assert listener.listen("answer").value == "yes"  # too soon to try again
    now[0] = 12.0
    assert listener.listen("answer").value == "no"  # back, and said so
    assert said[-1] == MICROPHONE_BACK and keys.count == 3


def test_the_command_watcher_losing_the_microphone_is_said_at_the_next_question() -> None:
    keys = TypedAnswers()
    said: list[str] = []
    listener = FallbackListener(lambda: FlakyMicrophone(), keys, said.append,  # type: ignore
                                FlakyMicrophone(), retry_seconds=60, clock=lambda: 0.0)
    listener.lost("listening for commands stopped: device gone")
    assert not listener.available and said == []  # not from the watcher's thread
    assert listener.listen("answer").value == "yes"
    assert said[0].startswith("I can no longer hear the microphone: listening for commands")


class StalledStream:
    def read(self, frames: int, exception_on_overflow: bool = True) -> bytes:
        threading.Event().wait(20)  # returns far too late, like a wedged device
        return b""


class StalledSource:
    SAMPLE_RATE, SAMPLE_WIDTH, CHUNK = 16000, 2, 1024
    stream = StalledStream()

    def __enter__(self) -> StalledSource:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_a_stalled_microphone_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voicecoach.hearing.listeners.PHRASE_TIME_LIMIT", 0.5)
    monkeypatch.setattr("voicecoach.hearing.listeners.STALL_MARGIN", 0.5)
    listener = SpeechListener(StalledSource, calibrate=True, timeout=0.5)
    listener._calibrated = True
    start = time.monotonic()
    with pytest.raises(AudioInputError, match="gave no sound"):
        listener.listen("answer")
    assert time.monotonic() - start < 3


class BrokenRenderer:
    def __init__(self, hang: bool = False) -> None:
        self.hang = hang

    def render(self, text: str) -> Clip:
        if self.hang:
            threading.Event().wait(2)
        raise AudioOutputError("speech synthesis produced no audio: the file was empty")

    def adjust(self, command: str) -> str:
        return ""


@pytest.mark.parametrize("hang", [False, True])
def test_speech_that_fails_or_hangs_falls_back_to_text(hang: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AudioSpeaker, "RENDER_LIMIT", 0.3)
    out = io.StringIO()
    speaker = AudioSpeaker(BrokenRenderer(hang), echo=out, player=["true"])  # type: ignore
    speaker.say("Hello.")
    speaker.say("Are you under sixteen?")
    lines = out.getvalue().splitlines()
    assert lines[0] == "Hello."
    assert lines[1].startswith("(No audio output: ") and "Continuing in text only" in lines[1]
    assert lines[2] == "Are you under sixteen?" and len(lines) == 3  # said once, text goes on


class SilentRenderer:
    def render(self, text: str) -> Clip:
        return Clip(bytes(320), 16000)


def test_without_printing_speech_a_line_is_printed_only_when_it_cannot_be_heard() -> None:
    out = io.StringIO()
    speaker = AudioSpeaker(SilentRenderer(), echo=out, player=["true"],  # type: ignore[arg-type]
                           print_speech=False)
    speaker.say("Heard, so not printed.")
    assert out.getvalue() == ""
    broken = AudioSpeaker(BrokenRenderer(), echo=out, player=["true"],  # type: ignore[arg-type]
                          print_speech=False)
    broken.say("Not heard, so printed.")
    broken.say("Still printed.")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("(No audio output: ")
    assert lines[1:] == ["Not heard, so printed.", "Still printed."]


def test_sound_that_comes_back_is_used_again(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    renderer = BrokenRenderer()
    speaker = AudioSpeaker(renderer, echo=out, player=["true"])  # type: ignore[arg-type]
    speaker.say("One.")
    monkeypatch.setattr(AudioSpeaker, "RETRY_SECONDS", 0.0)
    speaker._retry_at = 0.0
    renderer.render = lambda text: Clip(bytes(320), 16000)  # type: ignore[method-assign]
    speaker.say("Two.")
    assert out.getvalue().splitlines()[-1] == "(Audio output is back.)"
    assert speaker.audio_ok


@pytest.mark.parametrize(("sig", "code", "words", "event"), [
    (signal.SIGINT, 130, "Stopping here, as you asked. Goodbye.", "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "I have been asked to close, so the session stops here. Goodbye.",
     "terminated (SIGTERM)"),
    (signal.SIGHUP, 129, "The terminal was closed, so the session stops here. Goodbye.",
     "terminated (SIGHUP)"),
    (signal.SIGQUIT, 131, "Stopping here, as you asked. Goodbye.", "terminated (SIGQUIT)"),
])
def test_ctrl_c_or_sigterm_end_with_a_goodbye_and_the_session_kept_as_interrupted(
        tmp_path: Path, sig: int, code: int, words: str, event: str) -> None:
    transcript = tmp_path / "t.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "start", "--text", "--transcript", str(transcript)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=os.environ.copy())
    deadline = time.monotonic() + 20
    while not (transcript.exists() and '"ask"' in transcript.read_text()):
        assert time.monotonic() < deadline, "no question was asked"
        time.sleep(0.05)
    process.send_signal(sig)
    out, err = process.communicate(timeout=20)
    assert process.returncode == code
    assert "Traceback" not in err, err
    assert out.rstrip().endswith(words)
    lines = [json.loads(x) for x in transcript.read_text().splitlines()]
    assert lines[-1]["text"] == event
    history = subprocess.run([sys.executable, "-m", "voicecoach", "history", "--json"],
                             capture_output=True, text=True, check=True)
    assert json.loads(history.stdout)[-1]["ended"] == "interrupted"


def _reading(fifo: Path, process: subprocess.Popen[str]) -> None:
    """Wait until `process` has the named pipe open for reading (and so is blocked on it)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError:  # ENXIO: nobody reads it yet
            assert process.poll() is None and time.monotonic() < deadline, "never read"
            time.sleep(0.02)


def test_sigterm_while_a_session_is_still_loading_is_a_stop_not_a_crash(tmp_path: Path) -> None:
    """The settings file is a named pipe nobody writes: the session waits on it while loading,
    and the stop comes then (as when serve is told to stop a session that has just begun)."""
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "start", "--text"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "VOICECOACH_CONFIG": str(fifo)})
    _reading(fifo, process)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 143, (out, err)
    assert "Traceback" not in err, err
    assert out.strip() == "I have been asked to close, so the session stops here. Goodbye."


def test_serve_counts_a_session_it_stopped_as_stopped_however_early(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Told to stop before the session has even started Python, or while it loads, the
    runner gives 143 (stopped on request), never the -15 of a process killed outright."""
    from voicecoach.coach.serve import SessionRunner

    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    monkeypatch.setenv("VOICECOACH_CONFIG", str(fifo))
    for wait_until_loading in (False, True):
        runner = SessionRunner(["--text"])
        statuses: list[int] = []
        thread = threading.Thread(target=lambda r=runner, out=statuses: out.append(r()))
        thread.start()
        while runner.process is None:
            time.sleep(0.001)
        if wait_until_loading:
            _reading(fifo, runner.process)  # type: ignore[arg-type]
        runner.terminate()
        thread.join(30)
        assert statuses == [143]


class PlaybackNotes:
    """Notes what the speaker tells its playback observer."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def played(self, clip: Clip, at: float) -> None:
        self.events.append("played")

    def cut(self, at: float) -> None:
        self.events.append("cut")


def test_a_player_still_playing_is_stopped_when_told_to_cut_short() -> None:
    """The player is a real process that would take 5 s; the speech is cut 0.3 s in."""
    renderer = BrokenRenderer()
    renderer.render = lambda text: Clip(bytes(32000), 16000)  # type: ignore[method-assign]
    speaker = AudioSpeaker(renderer, echo=io.StringIO(),  # type: ignore[arg-type]
                           player=["sh", "-c", "sleep 5", "player"])
    observer = PlaybackNotes()
    speaker.observer = observer
    start = time.monotonic()
    speaker.cut_short = lambda: time.monotonic() - start > 0.3
    speaker.say("A long sentence.")
    assert 0.3 < time.monotonic() - start < 1.5
    assert speaker.was_cut and speaker.audio_ok and observer.events == ["played", "cut"]
    speaker.cut_short = lambda: False
    speaker.player = ["true"]
    speaker.say("Short.")
    assert not speaker.was_cut and speaker.audio_ok and observer.events[-1] == "played"


def test_a_player_that_never_ends_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = BrokenRenderer()
    renderer.render = lambda text: Clip(bytes(320), 16000)  # type: ignore[method-assign]
    out = io.StringIO()
    speaker = AudioSpeaker(renderer, echo=out,  # type: ignore[arg-type]
                           player=["sh", "-c", "sleep 30", "player"])
    monkeypatch.setattr("voicecoach.audio.audio_speaker.PLAYER_GRACE", 0.5)
    start = time.monotonic()
    speaker.say("Hello.")
    assert time.monotonic() - start < 3
    assert not speaker.audio_ok and "did not finish" in out.getvalue()
