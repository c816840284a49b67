"""Speakers: the protocol, plain console text, and a WAV file."""

from __future__ import annotations

import contextlib
import sys
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from voicecoach.audio.adjusting import Renderer
from voicecoach.audio.wav import EARCONS, Clip, silence, tone
from voicecoach.errors import AudioOutputError


class Speaker(Protocol):
    """Says things to the user, one utterance at a time, returning when it is said."""

    def say(self, text: str) -> None: ...

    def cue(self, name: str) -> None: ...

    def adjust(self, command: str) -> str:
        """Apply "slower", "faster", "louder" or "quieter"; return what to tell the user."""
        ...

    def close(self) -> None: ...


class PlaybackObserver(Protocol):
    """Told what the loudspeaker plays and when (the echo canceller needs to know)."""

    def played(self, clip: Clip, at: float) -> None:
        """`clip` started playing at monotonic time `at`."""
        ...

    def cut(self, at: float) -> None:
        """Whatever was playing stopped at monotonic time `at`, before its end."""
        ...


@runtime_checkable
class Cuttable(Protocol):
    """A speaker whose utterance can be cut short: it asks `cut_short` while it plays."""

    cut_short: Callable[[], bool] | None
    was_cut: bool  # whether the last utterance was cut short


class ConsoleSpeaker:
    """Plain text, one line per utterance, flushed: what a screen reader follows best."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def cue(self, name: str) -> None:
        """Text mode has no earcons: the typed prompt is the cue."""

    def adjust(self, command: str) -> str:
        return "Speech is off, so there is no speed or volume to change."

    def close(self) -> None:
        """Nothing to release."""


class WavFileSpeaker:
    """Renders every utterance into one WAV file, with a short pause between them.

    The file's header is brought up to date after every utterance, so the file is valid
    even if the session is killed part-way.
    """

    def __init__(self, renderer: Renderer, path: Path, echo: TextIO | None = None,
                 gap: float = 0.4):
        self.renderer = renderer
        self.path = path
        self.console = ConsoleSpeaker(echo) if echo is not None else None
        self.gap = gap
        self.rate = 0
        self.utterances: list[tuple[float, float, str]] = []  # start, end (s), text
        self._seconds = 0.0
        self._wav: wave.Wave_write | None = None
        try:  # opened now, so a folder that does not exist is said before the session starts
            self._file = path.open("wb")
        except OSError as exc:
            raise AudioOutputError(f"cannot write {path}: {exc.strerror or exc}") from None

    def say(self, text: str) -> None:
        if self.console:
            self.console.say(text)
        self._append(self.renderer.render(text), text)

    def cue(self, name: str) -> None:
        if name in EARCONS:
            self._append(tone(EARCONS[name], rate=self.rate or 22050), "")

    def adjust(self, command: str) -> str:
        return self.renderer.adjust(command)

    def _append(self, clip: Clip, text: str) -> None:
        if self._file is None:
            raise AudioOutputError(f"cannot write {self.path}: it was closed")
        if self._wav is None:
            self.rate = clip.rate
            self._wav = wave.open(self._file, "wb")  # noqa: SIM115 (open until close)
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(self.rate)
        if clip.rate != self.rate:
            raise AudioOutputError(f"mixed sample rates in {self.path}")
        self.utterances.append((self._seconds, self._seconds + clip.seconds, text))
        pause = silence(self.gap, self.rate)
        try:
            self._wav.writeframes(clip.pcm + pause.pcm)  # also rewrites the header's length
            self._file.flush()
        except OSError as exc:  # a full disk: said once, as any failing output is
            self._abandon()
            raise AudioOutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._seconds += clip.seconds + pause.seconds

    def _abandon(self) -> None:
        """Drop the file without the wave module trying (and failing) to finish it again."""
        wav, self._wav = self._wav, None
        file, self._file = self._file, None
        if wav is not None:
            wav._file = None  # its __del__ would write the header again, and fail again
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def close(self) -> None:
        try:
            if self._wav is not None:
                self._wav.close()
            if self._file is not None:
                self._file.close()
        except OSError as exc:
            self._abandon()
            raise AudioOutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._wav = self._file = None
