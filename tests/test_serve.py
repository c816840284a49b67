"""`voicecoach serve`: the waiting loop, driven by real audio through the real wake spotter.

The microphone here is a fake that plays prepared 16 kHz audio (espeak-ng renderings of the
requests, real recordings of other words) as fast as it is read, on a clock that advances by
each chunk's length, so minutes of waiting take a second. tests/test_virtual_audio.py runs
the command itself on virtual sound devices.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np
import pytest
from shared import SPEECH, RecordingSpeaker, have
from shared import espeak_16k as speech

from voicecoach.audio.wav import read_wav
from voicecoach.coach.serve import (
    ASK_WHAT,
    BACK_TO_WAITING,
    HELP,
    MICROPHONE_BACK,
    NO_HISTORY,
    NOT_CAUGHT,
    STARTING,
    ServeIO,
    Server,
)
from voicecoach.coach.transcript import Transcript
from voicecoach.errors import AudioInputError
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.wake import (
    WakePhraseError,
    WakeSpotter,
    check_wake_phrase,
    follow_up_decoder,
    known_words,
    wake_decoder,
    wake_vocabulary,
)
from voicecoach.testing.room import to_16k

needs_espeak = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")
RATE = 16000


def quiet(seconds: float) -> np.ndarray:
    return np.random.default_rng(1).normal(0, 30, int(seconds * RATE))  # a quiet room


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> float:
        return self.t


class FakeMicrophone:
    """Each opening plays the next stretch of audio, then silence until stopped; an entry
    that is an exception is raised at that opening instead (a microphone that is missing)."""

    def __init__(self, parts: list[np.ndarray | Exception], clock: Clock,
                 stopping: threading.Event, tail: float = 12.0):
        self.parts = list(parts)
        self.clock = clock
        self.stopping = stopping
        self.tail = tail
        self.opened = 0
        self.stream = self

    def __call__(self) -> FakeMicrophone:
        self.opened += 1
        self._pcm, self._at = b"", 0
        if self.parts:
            part = self.parts.pop(0)
            if isinstance(part, Exception):
                raise part
            self._pcm = np.clip(part, -32768, 32767).astype(np.int16).tobytes()
        return self

    def __enter__(self) -> FakeMicrophone:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def read(self, frames: int) -> bytes:
        """The audio, then quiet; after `tail` seconds of quiet with nothing left to play,
        the test is over."""
        chunk = self._pcm[self._at:self._at + frames * 2]
        self._at += frames * 2
        self.clock.t += frames / RATE
        if len(chunk) < frames * 2:
            over = (self._at - len(self._pcm)) / 2 / RATE
            if not self.parts and over > self.tail:
                self.stopping.set()
            chunk += quiet(frames / RATE)[: frames - len(chunk) // 2].astype(np.int16).tobytes()
        return chunk


@pytest.fixture(scope="module")
def decoders():
    return wake_decoder(("hey coach",)), follow_up_decoder()


def server(decoders, parts, tmp_path: Path, *, once: bool = False,
           progress: list[str] | None = None, session_status: int = 0):
    clock = Clock()
    stopping = threading.Event()
    microphone = FakeMicrophone(parts, clock, stopping)
    speaker = RecordingSpeaker()
    sessions: list[float] = []
    log: list[str] = []

    def run_session() -> int:
        sessions.append(clock.t)
        return session_status

    transcript = Transcript(None, clock)  # type: ignore[arg-type]
    io = ServeIO(microphone, speaker, log.append, transcript, clock)
    result = Server(io, WakeSpotter(decoders[0]), WakeSpotter(decoders[1]), run_session,
                    lambda: list(progress or []), once=once, retry_seconds=0.01,
                    stopping=stopping)
    return result, speaker, sessions, log, microphone


@needs_espeak
def test_wake_phrase_with_start_runs_one_session_and_waits_again(decoders, tmp_path):
    parts = [np.concatenate([quiet(2), speech("hey coach, start stretching"), quiet(1)])]
    srv, speaker, sessions, log, _ = server(decoders, parts, tmp_path)
    srv.serve()
    assert srv.handled == ["start"]
    assert len(sessions) == 1
    assert STARTING in speaker.texts
    assert BACK_TO_WAITING.format(wake="hey coach") in speaker.texts
    assert speaker.cues == ["understood"]
    assert log.count("waiting for the wake phrase") == 2  # before, and again after the session


@needs_espeak
def test_wake_phrase_alone_asks_what_then_hears_the_request(decoders, tmp_path):
    parts = [np.concatenate([quiet(1), speech("hey coach"), quiet(0.5)]),
             np.concatenate([quiet(0.5), speech("how am I doing"), quiet(0.5)])]
    srv, speaker, sessions, _, _ = server(decoders, parts, tmp_path, once=True,
                                          progress=["You did two sessions this week."])
    srv.serve()
    assert srv.handled == ["progress"]
    assert speaker.texts[1:] == [ASK_WHAT, "You did two sessions this week."]
    assert speaker.cues == ["listen"]
    assert sessions == []


@needs_espeak
def test_no_history_and_help_are_spoken(decoders, tmp_path):
    parts = [np.concatenate([quiet(1), speech("hey coach, how am I doing"), quiet(1)]),
             np.concatenate([quiet(1), speech("hey coach, what can you do"), quiet(1)])]
    srv, speaker, _, _, _ = server(decoders, parts, tmp_path)
    srv.serve()
    assert srv.handled == ["progress", "help"]
    assert NO_HISTORY.format(wake="hey coach") in speaker.texts
    assert HELP.format(wake="hey coach") in speaker.texts


@needs_espeak
def test_silence_after_the_wake_phrase_goes_back_to_waiting(decoders, tmp_path):
    parts = [np.concatenate([quiet(1), speech("hey coach"), quiet(0.5)])]
    srv, speaker, sessions, _, _ = server(decoders, parts, tmp_path, once=True)
    srv.serve()
    assert srv.handled == ["not caught"]
    assert speaker.texts[-1] == NOT_CAUGHT.format(wake="hey coach")
    assert sessions == []


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_other_words_and_talk_wake_nothing(decoders, tmp_path):
    """Real recordings of 200 other words, then espeak-ng reading a paragraph."""
    with open(SPEECH / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[::5]
    stream = [quiet(1)]
    for row in rows:
        clip = read_wav((SPEECH / row["path"]).read_bytes())
        stream += [np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float64), quiet(0.5)]
    if have("espeak-ng"):
        stream.append(speech(
            "Lie on your back with both knees bent. Hold for thirty seconds, then let go. "
            "If the pain spreads into your leg, stop, and have it checked. Goodbye for now, "
            "and well done, coach."))
    srv, speaker, sessions, _, _ = server(decoders, [np.concatenate(stream)], tmp_path)
    srv.serve()
    assert srv.handled == []
    assert sessions == []
    assert len(speaker.texts) == 1  # only the greeting


@needs_espeak
def test_a_missing_microphone_is_said_and_retried(decoders, tmp_path):
    parts = [AudioInputError("no microphone was found"), AudioInputError("still none"),
             np.concatenate([quiet(1), speech("hey coach, goodbye"), quiet(1)])]
    srv, speaker, _, log, microphone = server(decoders, parts, tmp_path, once=True)
    srv.serve()
    assert microphone.opened == 3
    lost = [t for t in speaker.texts if t.startswith("I cannot hear")]
    assert lost == ["I cannot hear: no microphone was found. I will keep trying."]  # said once
    assert MICROPHONE_BACK.format(wake="hey coach") in speaker.texts
    assert srv.handled == ["goodbye"]
    assert any("microphone unavailable" in line for line in log)


def test_wake_phrases_are_checked():
    known = known_words()
    assert check_wake_phrase("Hey, Coach!", known) == "hey coach"
    with pytest.raises(WakePhraseError, match="one word"):
        check_wake_phrase("coach", known)
    with pytest.raises(WakePhraseError, match="does not know: zzyzx"):
        check_wake_phrase("hey zzyzx", known)
    vocabulary = wake_vocabulary(("hey coach", "okay coach"))
    assert vocabulary.phrases["okay coach start stretching"] == "start"
    assert vocabulary.phrases["hey coach"] == "wake"
    assert "goodbye" not in vocabulary.phrases  # never without the wake phrase


def test_wake_decoys_include_the_parts_of_the_phrase(decoders):
    decoys = decoders[0].decoys
    assert "hey" in decoys and "coach" in decoys and "eight" in decoys
    assert "hey coach" not in decoys


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
@pytest.mark.parametrize("lead", [2761, 5777])
def test_a_wake_phrase_is_not_fitted_over_the_quiet_before_a_word(decoders, lead):
    """The other talk of the end-to-end serve test (real words 0.3 s apart), said up 1.5
    times: without the quiet-word check, the quiet before a real "stop" and the word decoded
    as "hey coach start" ("hey coach" under the quiet) at each of these starting offsets, and
    the serve test once woke that way on CI."""
    with open(SPEECH / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[3::37][:24]
    stream = [np.zeros(lead)]
    for row in rows:
        clip = read_wav((SPEECH / row["path"]).read_bytes())
        stream += [1.5 * np.array(to_16k(clip), dtype=np.float64), np.zeros(int(0.3 * RATE))]
    pcm = np.clip(np.concatenate(stream), -32768, 32767).astype(np.int16).tobytes()
    spotter = WakeSpotter(decoders[0])
    step = 2 * CHUNK
    heard = [spotter.feed(pcm[i:i + step], (i + step) / 2 / RATE)
             for i in range(0, len(pcm) - step + 1, step)]
    assert [r for r in heard if r] == []
    assert [s.text for s in spotter.log if s.text.startswith("stop")], spotter.log  # decoded


def test_the_service_unit_runs_serve_from_this_install_and_installs_and_removes(
        tmp_path, monkeypatch):
    from click.testing import CliRunner

    from voicecoach.cli import service_command
    from voicecoach.cli.main import cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    # never the real user's systemd, wherever the tests run: as on a machine without one
    monkeypatch.setattr(service_command, "_systemctl", lambda *args: None)
    runner = CliRunner()
    printed = runner.invoke(cli, ["service", "print", "--", "--wake-phrase", 'okay "coach"',
                                  "--log-file", "/tmp/100%.log"])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert "Documentation=https://pypi.org/project/voicecoach/" in lines
    (start,) = [line for line in lines if line.startswith("ExecStart=")]
    assert start.endswith('"serve" "--wake-phrase" "okay \\"coach\\"" "--log-file" '
                          '"/tmp/100%%.log"')
    assert "[Install]" in lines and "WantedBy=default.target" in lines
    unit = tmp_path / "systemd" / "user" / "voicecoach.service"
    installed = runner.invoke(cli, ["service", "install"])
    assert installed.exit_code == 0, installed.output
    assert unit.read_text().startswith("[Unit]") and "loginctl enable-linger" in installed.output
    status = runner.invoke(cli, ["service", "status"])
    assert "Its command:" in status.output and '"serve"' in status.output
    assert runner.invoke(cli, ["service", "remove"]).exit_code == 0
    assert not unit.exists()
    gone = runner.invoke(cli, ["service", "status"])
    assert gone.exit_code == 1 and "Not installed" in gone.output


def test_the_wake_phrase_variable_holds_phrases_split_by_commas(monkeypatch):
    """click split it at spaces: VOICECOACH_WAKE_PHRASE="okay coach" was refused as "okay"."""
    from voicecoach.cli.serve_command import serve

    monkeypatch.setenv("VOICECOACH_WAKE_PHRASE", "okay coach")
    assert serve.make_context("serve", []).params["wake_phrases"] == ("okay coach",)
    monkeypatch.setenv("VOICECOACH_WAKE_PHRASE", " okay coach, hello there coach")
    assert serve.make_context("serve", []).params["wake_phrases"] == (
        "okay coach", "hello there coach")
