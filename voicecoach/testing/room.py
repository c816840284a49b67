"""A virtual room in real time, for tests and benchmarks with no sound card.

What the coach says is played into the room (at a leak gain, as a loudspeaker reaches a
microphone), recorded phrases can be spoken into it at chosen moments, and its microphone is
read like a real one: `stream.read(n)` returns 16 kHz 16-bit mono audio, paced by the clock.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable
from functools import cache

import numpy as np

from voicecoach.audio.audio_speaker import CUT_POLL
from voicecoach.audio.speakers import PlaybackObserver
from voicecoach.audio.wav import EARCONS, Clip, tone, unit_noise

RATE = 16000


def to_16k(clip: Clip) -> array:
    """A clip's samples at 16 kHz (linear interpolation; enough for speech)."""
    samples = array("h", clip.pcm)
    if clip.rate == RATE:
        return samples
    ratio = clip.rate / RATE
    n = int(len(samples) / ratio)
    out = array("h", bytes(2 * n))
    last = len(samples) - 1
    for i in range(n):
        x = i * ratio
        j = int(x)
        frac = x - j
        a = samples[j]
        b = samples[j + 1] if j < last else a
        out[i] = int(a + (b - a) * frac)
    return out


def late_by(samples: np.ndarray, fraction: float) -> np.ndarray:
    """The samples started `fraction` of a sample later (a phase shift; band-limited), as a
    real player's start falls between samples. (Kept apart from hearing/echo.py's own shift, so the
    simulated room does not share a mistake with the canceller it tests.)"""
    size = 1 << (len(samples) + 1).bit_length()
    spectrum = np.fft.rfft(samples, size) * np.exp(-2j * np.pi * np.fft.rfftfreq(size) * fraction)
    return np.fft.irfft(spectrum, size)[:len(samples) + 1]


def room_response(rng: np.random.Generator, delay: float, rt60: float = 0.3) -> np.ndarray:
    """How a loudspeaker reaches a microphone in a living room: heard `delay` seconds late,
    with 0.25 s of reflections dying away over `rt60` seconds (by 60 dB) and carrying half as
    much energy as the direct sound."""
    start, tail_length = int(delay * RATE), int(0.25 * RATE)
    response = np.zeros(start + tail_length)
    response[start] = 1.0
    tail = rng.normal(0, 1, tail_length - 1) * np.exp(
        -6.9 * np.arange(1, tail_length) / RATE / rt60)
    response[start + 1:] = tail * np.sqrt(0.5 / np.sum(tail ** 2))
    return response


@cache
def _noise() -> np.ndarray:
    return np.asarray(unit_noise(), dtype=np.float64)


class Room:
    """Sounds placed on a shared timeline; the microphone hears their sum and a faint hiss."""

    def __init__(self, hiss: float = 20.0, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.t0 = clock()
        self.hiss = hiss
        self._sounds: list[tuple[int, np.ndarray]] = []  # (first sample, samples)
        self._lock = threading.Lock()

    def sample_at(self, t: float) -> int:
        return int((t - self.t0) * RATE)

    def time_of(self, sample: int) -> float:
        return self.t0 + sample / RATE

    def play(self, clip: Clip, gain: float = 1.0, at: float | None = None) -> tuple[float, float]:
        """Place a clip at clock time `at` (default now); its start and end times."""
        samples = np.frombuffer(to_16k(clip), dtype=np.int16).astype(np.float64)
        if gain != 1.0:  # as int() did, sample by sample: towards zero, then clipped
            samples = np.clip(np.trunc(samples * gain), -32768, 32767)
        first = self.sample_at(self.clock() if at is None else at)
        with self._lock:
            self._sounds.append((first, samples))
        return self.time_of(first), self.time_of(first + len(samples))

    def wait_until(self, t: float) -> None:
        while (delay := t - self.clock()) > 0:
            time.sleep(delay)

    def cut(self, start: float, at: float) -> None:
        """The sound placed at time `start` goes silent from time `at` on."""
        first, last = self.sample_at(start), self.sample_at(at)
        with self._lock:
            self._sounds = [(f, samples[:max(0, last - f)] if f == first else samples)
                            for f, samples in self._sounds]

    def mix(self, first: int, count: int) -> bytes:
        """Samples `first` to `first + count` of the room: the hiss plus every sound in it."""
        noise = _noise()
        out = self.hiss * noise[(first + np.arange(count)) % len(noise)]
        with self._lock:
            self._sounds = [s for s in self._sounds if s[0] + len(s[1]) > first - RATE]
            sounds = list(self._sounds)
        for start, samples in sounds:
            lo, hi = max(first, start), min(first + count, start + len(samples))
            if lo < hi:
                out[lo - first:hi - first] += samples[lo - start:hi - start]
        # numpy, not a loop per sample: the room keeps real time on a loaded machine
        return np.clip(np.trunc(out), -32768, 32767).astype(np.int16).tobytes()

    def microphone(self) -> RoomMicrophone:
        return RoomMicrophone(self)


class _RoomStream:
    def __init__(self, room: Room):
        self.room = room
        self.position = room.sample_at(room.clock())

    def read(self, frames: int) -> bytes:
        """The next `frames` samples, returned once the room's clock has reached their end."""
        self.room.wait_until(self.room.time_of(self.position + frames))
        data = self.room.mix(self.position, frames)
        self.position += frames
        return data


class RoomMicrophone:
    """A SpeechRecognition-shaped source on the room, starting at the moment it is opened."""

    SAMPLE_RATE = RATE
    SAMPLE_WIDTH = 2
    CHUNK = 1024

    def __init__(self, room: Room):
        self.room = room
        self.stream: _RoomStream | None = None

    def __enter__(self) -> RoomMicrophone:
        self.stream = _RoomStream(self.room)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream = None


class RoomSpeaker:
    """Speaks into the room in real time: renders each utterance, plays it, waits it out."""

    def __init__(self, room: Room, renderer: object, gain: float = 0.5):
        self.room = room
        self.renderer = renderer
        self.gain = gain
        self.utterances: list[tuple[float, float, str]] = []
        self.observer: PlaybackObserver | None = None  # told what starts playing, and cuts
        self.cut_short: Callable[[], bool] | None = None
        self.was_cut = False

    def say(self, text: str) -> None:
        self.was_cut = False
        self._play(self.renderer.render(text), text)

    def cue(self, name: str) -> None:
        if name in EARCONS:
            self._play(tone(EARCONS[name], rate=RATE), "")

    def _play(self, clip: Clip, text: str) -> None:
        """Put the clip in the room and wait until it has been heard out, as playback would."""
        start, end = self.room.play(clip, self.gain)
        if self.observer is not None:
            self.observer.played(clip, start)
        while self.room.clock() < end:
            if self.cut_short is not None and self.cut_short():
                end = self.room.clock()
                self.room.cut(start, end)
                self.was_cut = True
                if self.observer is not None:
                    self.observer.cut(end)
                break
            self.room.wait_until(min(end, self.room.clock() + CUT_POLL))
        if text:
            self.utterances.append((start, end, text))

    def adjust(self, command: str) -> str:
        return self.renderer.adjust(command)

    def close(self) -> None:
        """Nothing held."""
