"""Typed answers, and the listener that falls back to them when the microphone fails."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import ClassVar, TextIO

from voicecoach.errors import AudioInputError, InputEnded
from voicecoach.hearing.keyboard import LineFeed
from voicecoach.hearing.listeners import Listener, SpeechListener
from voicecoach.hearing.vocabulary import VOCABULARIES
from voicecoach.session.actions import Heard


class KeyboardListener:
    """Typed answers, one line each; understands the same words as the voice grammar."""

    HINTS: ClassVar[dict[str, str]] = {
        "answer": "yes or no", "number": "a number from 0 to 10", "command": "a command, or help",
    }

    def __init__(self, feed: LineFeed | None = None, stdout: TextIO | None = None,
                 echo_input: bool = False):
        self.feed = feed or LineFeed(sys.stdin)
        self.stdout = stdout or sys.stdout
        self.echo_input = echo_input

    def listen(self, expect: str) -> Heard:
        print(f"Your answer ({self.HINTS[expect]}): ", end="", file=self.stdout, flush=True)
        line = self.feed.take()
        if line is None:
            print(file=self.stdout, flush=True)
            raise InputEnded("input ended before the session did")
        if self.echo_input:
            print(line, file=self.stdout, flush=True)
        text = line.strip()
        return Heard(VOCABULARIES[expect].meaning(text), text)

    def close(self) -> None:
        """The keyboard needs no releasing."""


MICROPHONE_LOST = ("I can no longer hear the microphone: {problem}. Please type your answers "
                   "for now; I will listen again as soon as it is back.")


MICROPHONE_BACK = "The microphone is back. You can answer by voice again."


class FallbackListener:
    """The microphone while it works, the keyboard while it does not.

    When the microphone fails (unplugged, stalled, the sound server gone) that is said aloud
    and answers are typed; before each later question, at most every `retry_seconds`, the
    microphone is opened again, and its return is said too.
    """

    def __init__(self, open_microphone: Callable[[], SpeechListener], keyboard: Listener,
                 announce: Callable[[str], None], microphone: SpeechListener | None = None,
                 retry_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.open_microphone = open_microphone
        self.keyboard = keyboard
        self.announce = announce
        self.microphone = microphone
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._problem = ""  # why the microphone was lost, not yet said aloud
        self._retry_at = 0.0

    @property
    def available(self) -> bool:
        return self.microphone is not None

    def lost(self, problem: str) -> None:
        """The microphone failed (also called by the command watcher's thread)."""
        if self.microphone is not None:
            self.microphone = None
            self._problem = problem
            self._retry_at = self.clock() + self.retry_seconds

    def open_source(self) -> object:
        """A fresh source from the microphone, for the command watcher."""
        microphone = self.microphone
        if microphone is None:
            raise AudioInputError("the microphone is not available")
        return microphone.open_source()

    def listen(self, expect: str) -> Heard:
        self._say_if_lost()
        if self.microphone is None and self.clock() >= self._retry_at:
            try:
                self.microphone = self.open_microphone()
            except AudioInputError:
                self._retry_at = self.clock() + self.retry_seconds
            else:
                self.announce(MICROPHONE_BACK)
        if self.microphone is not None:
            try:
                return self.microphone.listen(expect)
            except AudioInputError as exc:
                self.lost(str(exc))
                self._say_if_lost()
        return self.keyboard.listen(expect)

    def _say_if_lost(self) -> None:
        """Say once, from the session's own thread, that the microphone has gone."""
        if self._problem:
            self.announce(MICROPHONE_LOST.format(problem=self._problem))
            self._problem = ""

    def close(self) -> None:
        self.keyboard.close()
