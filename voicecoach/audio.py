"""Small WAV helpers: read, write, tones and silence, with no audio libraries."""

from __future__ import annotations

import io
import math
import wave
from array import array
from dataclasses import dataclass


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM audio."""

    pcm: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate

    def to_wav(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.pcm)
        return buffer.getvalue()

    def scaled(self, volume: float) -> Clip:
        """The clip at `volume` (0..1) of its level."""
        if volume >= 1.0:
            return self
        samples = array("h", self.pcm)
        return Clip(array("h", (int(s * volume) for s in samples)).tobytes(), self.rate)


def read_wav(data: bytes) -> Clip:
    """Parse mono or stereo 16-bit WAV bytes (stereo is mixed down)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit samples, got {8 * w.getsampwidth()}-bit")
        frames = w.readframes(w.getnframes())
        channels, rate = w.getnchannels(), w.getframerate()
    if channels == 1:
        return Clip(frames, rate)
    samples = array("h", frames)
    mixed = array("h", (sum(samples[i : i + channels]) // channels
                        for i in range(0, len(samples), channels)))
    return Clip(mixed.tobytes(), rate)


def peak_rms(pcm: bytes, rate: int, window: float = 0.03) -> float:
    """The loudest short-window RMS level of 16-bit PCM (0 for silence)."""
    samples = array("h", pcm)
    n = max(1, int(window * rate))
    loudest = 0.0
    for start in range(0, len(samples), n):
        chunk = samples[start : start + n]
        if chunk:
            loudest = max(loudest, math.sqrt(sum(s * s for s in chunk) / len(chunk)))
    return loudest


def silence(seconds: float, rate: int) -> Clip:
    return Clip(bytes(2 * int(seconds * rate)), rate)


def tone(freqs: tuple[float, ...], seconds: float = 0.12, rate: int = 22050) -> Clip:
    """A short, soft earcon: one tone per frequency in turn, with gentle fades."""
    samples = array("h")
    n = int(seconds * rate)
    fade = int(0.01 * rate)
    for freq in freqs:
        for i in range(n):
            envelope = min(1.0, i / fade, (n - i) / fade)
            samples.append(int(9000 * envelope * math.sin(2 * math.pi * freq * i / rate)))
    return Clip(samples.tobytes(), rate)


# The listening cue rises; the "got it" cue falls. Distinct by pitch direction, not only pitch.
EARCONS = {"listen": (660.0, 880.0), "understood": (880.0, 660.0)}
