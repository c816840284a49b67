"""Speaking through the household's Wyoming text-to-speech (wyoming-piper, say), opt-in.

`--tts wyoming://HOST:PORT`: each utterance's text goes to that server in the home and its
audio comes back; voicecoach plays every sample itself, so the echo canceller still knows
what was played. When the server does not answer within TIMEOUT, espeak-ng speaks instead,
the problem is told once, and the server is tried again after RETRY_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from voicecoach.audio.adjusting import Adjustable
from voicecoach.audio.wav import Clip, trim_trailing_silence
from voicecoach.audio.wyoming_client import Event, Service, ServiceError, exchange

TIMEOUT = 5.0  # seconds for one utterance from the server
PLAY_RATE = 22050  # espeak-ng's and piper's rate: a fallback mid-session keeps one rate
RETRY_SECONDS = 30.0  # after a failure, espeak-ng speaks this long before the server is tried


class WyomingRenderer(Adjustable):
    """Renders through a Wyoming TTS server, falling back to `fallback` (espeak-ng)."""

    def __init__(self, service: Service, fallback: Adjustable,
                 on_problem: Callable[[str], None] | None = None, timeout: float = TIMEOUT):
        self.service = service
        self.fallback = fallback
        self.on_problem = on_problem or (lambda line: None)
        self.timeout = timeout
        self.voice = service.uri
        self.rate = fallback.rate
        self.volume = fallback.volume
        self._retry_at = 0.0
        self.failed = False

    def adjust(self, command: str) -> str:
        if command in ("slower", "faster") and not self.failed:
            return "The household voice keeps its own speed; louder and quieter still work."
        return super().adjust(command)

    def render(self, text: str) -> Clip:
        if time.monotonic() >= self._retry_at:
            try:
                clip = self._remote(text)
            except ServiceError as exc:
                self._retry_at = time.monotonic() + RETRY_SECONDS
                if not self.failed:
                    self.on_problem(f"{exc}; speaking with espeak-ng until it is back")
                self.failed = True
            else:
                if self.failed:
                    self.on_problem(f"{self.service.uri} is speaking again")
                self.failed = False
                return clip.scaled(self.volume)
        self.fallback.rate, self.fallback.volume = self.rate, self.volume
        return self.fallback.render(text)  # type: ignore[attr-defined]

    def _remote(self, text: str) -> Clip:
        events = exchange(self.service, [Event("synthesize", {"text": text})],
                          until=("audio-stop",), timeout=self.timeout)
        start = next((e for e in events if e.type == "audio-start"), None)
        chunks = [e for e in events if e.type == "audio-chunk"]
        if not chunks:
            raise ServiceError(f"{self.service.uri} sent no audio")
        fmt = start.data if start is not None else chunks[0].data
        try:
            rate, width, channels = int(fmt["rate"]), int(fmt["width"]), int(fmt["channels"])
        except (KeyError, TypeError, ValueError):
            raise ServiceError(f"{self.service.uri} sent audio without its format") from None
        if width != 2 or channels < 1 or not 8000 <= rate <= 48000:
            raise ServiceError(f"{self.service.uri} sent {width * 8}-bit audio in {channels} "
                               f"channels at {rate} Hz; voicecoach plays 16-bit audio")
        pcm = b"".join(e.payload for e in chunks)
        pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]
        if channels > 1:
            samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels)
            pcm = samples.mean(axis=1).astype("<i2").tobytes()
        return trim_trailing_silence(at_rate(Clip(pcm, rate), PLAY_RATE))


def at_rate(clip: Clip, rate: int) -> Clip:
    """`clip` resampled (linear interpolation) to `rate`: one rate whichever voice speaks."""
    if clip.rate == rate or not clip.pcm:
        return clip
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
    count = max(1, round(len(samples) * rate / clip.rate))
    times = np.arange(count) * (clip.rate / rate)
    out = np.interp(times, np.arange(len(samples)), samples)
    return Clip(np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes(), rate)
