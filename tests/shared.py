"""Test fakes and helpers, in one place."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

import numpy as np

from voicecoach.audio.wav import read_wav
from voicecoach.content.loader import load_content
from voicecoach.content.model import Content
from voicecoach.session.actions import Ask, Heard, Outcome, Record, Say, Timed, Watch
from voicecoach.session.clock import FakeClock
from voicecoach.session.run import Script
from voicecoach.testing.room import to_16k

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SPEECH = SHARED / "speech"


@cache
def content() -> Content:
    """The shipped content, loaded once (it is frozen; tests that change it load their own)."""
    return load_content()


class ScriptedListener:
    """Replies from a list; 'yes', 'no', digits, 'repeat', 'stop', None (unclear), 'timeout'."""

    def __init__(self, replies: Iterable[str | None]):
        self.replies = list(replies)
        self.asked: list[str] = []

    def listen(self, expect: str) -> Heard:
        self.asked.append(expect)
        if not self.replies:
            from voicecoach.errors import InputEnded

            raise InputEnded("scripted replies ran out")
        reply = self.replies.pop(0)
        if reply == "timeout":
            return Heard(None, "", timed_out=True)
        return Heard(reply, reply or "")

    def close(self) -> None:
        pass


class CuttableSpeaker:
    """Says each utterance over `seconds_per_word` a word on the fake clock, asking
    `cut_short` every 0.1 s as it goes, and stopping when told to."""

    def __init__(self, clock: FakeClock, seconds_per_word: float):
        self.clock = clock
        self.seconds_per_word = seconds_per_word
        self.cut_short = None
        self.was_cut = False
        self.said: list[tuple[float, str]] = []
        self.cut_texts: list[str] = []

    def say(self, text: str) -> None:
        self.said.append((self.clock.now(), text))
        end = self.clock.now() + self.seconds_per_word * len(text.split())
        self.was_cut = False
        while self.clock.now() < end:
            if self.cut_short is not None and self.cut_short():
                self.was_cut = True
                self.cut_texts.append(text)
                return
            self.clock.advance(min(0.1, end - self.clock.now()))

    def cue(self, name: str) -> None:
        pass

    def adjust(self, command: str) -> str:
        return f"Adjusted: {command}."

    def close(self) -> None:
        pass


class RecordingSpeaker:
    """Records (time, text); each utterance takes `seconds_per_word` on the fake clock."""

    def __init__(self, clock: FakeClock | None = None, seconds_per_word: float = 0.0):
        self.clock = clock
        self.seconds_per_word = seconds_per_word
        self.said: list[tuple[float, str]] = []
        self.cues: list[str] = []

    def say(self, text: str) -> None:
        t = self.clock.now() if self.clock else 0.0
        self.said.append((t, text))
        if self.clock:
            self.clock.advance(self.seconds_per_word * len(text.split()))

    def cue(self, name: str) -> None:
        self.cues.append(name)

    def adjust(self, command: str) -> str:
        self.adjusted = [*getattr(self, "adjusted", []), command]
        return f"Adjusted: {command}."

    def close(self) -> None:
        pass

    @property
    def texts(self) -> list[str]:
        return [t for _, t in self.said]


def drive(script: Script, replies: Iterable[str | None],
          interrupt: Callable[[Say | Timed], str | None] | None = None,
          ) -> tuple[Outcome, list[object]]:
    """Run a session script with scripted replies (no clock); return outcome and actions.

    `interrupt(step)` may name a command ("stop", "skip", "hurts") to answer a Say or a Timed
    with, as the coach does when a command cuts in while watching.
    """
    replies = list(replies)
    actions: list[object] = []
    reply: Heard | None = None
    while True:
        try:
            action = script.send(reply)
        except StopIteration as stop:
            return stop.value, actions
        actions.append(action)
        reply = None
        if isinstance(action, Ask):
            if not replies:
                raise AssertionError(f"no reply left for: {action.text}")
            value = replies.pop(0)
            reply = Heard(None, "", timed_out=True) if value == "timeout" else Heard(value, "")
        elif isinstance(action, (Say, Timed)):
            command = interrupt(action) if interrupt else None
            reply = Heard(command, command) if command else None
        else:
            assert isinstance(action, (Watch, Record))


def said(actions: list[object]) -> list[str]:
    """Every text in the actions, in order (Say, Ask and timed cues)."""
    out: list[str] = []
    for a in actions:
        if isinstance(a, (Say, Ask)):
            out.append(a.text)
        elif isinstance(a, Timed):
            out += [c.text for c in a.cues] + ([a.end] if a.end else [])
    return out


def clear_answers() -> list[str]:
    """The answers that raise no flag, for every question asked when all answers are clear."""
    questions = content().triage.questions_for(first_session=True)
    return ["yes" if q.flag_if.value == "no" else "no" for q in questions if not q.only_if]


def espeak_16k(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng's rendering of `text` as 16 kHz samples."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True).stdout
    return np.array(to_16k(read_wav(wav)), dtype=np.float64)


def have(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)


class ScriptedWatcher:
    """Gives each (session time, command) once the fake clock has reached that time."""

    def __init__(self, clock: FakeClock, commands: Iterable[tuple[float, str]]):
        self.clock = clock
        self.commands = sorted(commands)
        self.active = False
        self.spoken: list[str] = []

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def next_command(self, timeout: float) -> Heard | None:
        if (command := self.pending()) is not None:
            self.commands.pop(0)
            return Heard(command, command)
        return None

    def pending(self) -> str | None:
        if self.active and self.commands and self.commands[0][0] <= self.clock.now():
            return self.commands[0][1]
        return None

    def speaking(self, text: str):
        import contextlib

        self.spoken.append(text)
        return contextlib.nullcontext()

    def user_speaking(self) -> bool:
        return False

    def close(self) -> None:
        self.active = False


def clips(word: str, limit: int, skip: int = 0) -> list[Path]:
    """Real recordings of `word` from ../shared/speech, in a fixed order."""
    with open(SPEECH / "MANIFEST.tsv", newline="") as f:
        rows = sorted((r for r in csv.DictReader(f, delimiter="\t") if r["word"] == word),
                      key=lambda r: r["path"])
    return [SPEECH / r["path"] for r in rows[skip:skip + limit]]
