"""The energy endpointer: cuts the microphone's chunks into phrases, adapting to steady noise."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from voicecoach.audio.wav import frame_levels
from voicecoach.hearing.recognizer import SAMPLE_RATE
from voicecoach.hearing.tuning import (
    COMMAND_END_SILENCE,
    COMMAND_MAX_SECONDS,
    COMMAND_MIN_SPEECH,
    COMMAND_PREROLL,
    COMMAND_QUICK_KEEP,
    COMMAND_QUICK_LEVEL,
    COMMAND_QUICK_SILENCE,
    ENERGY_FLOOR,
    NOISE_MARGIN,
    NOISE_PERCENTILE,
    NOISE_WINDOW_CHUNKS,
)

CHUNK = 1024  # samples per read: 64 ms at 16 kHz


@dataclass(frozen=True)
class Phrase:
    """A stretch of captured speech: its audio and when it started and ended (seconds)."""

    pcm: bytes
    start: float  # first loud chunk
    end: float  # last loud chunk's end
    cut_short: bool = False  # ended by the length limit, not by silence: talk that runs on


class Endpointer:
    """Cuts a stream of 16 kHz chunks into phrases by energy: pure, fed chunk by chunk."""

    def __init__(self, threshold: float = ENERGY_FLOOR, adaptive: bool = False,
                 max_seconds: float = COMMAND_MAX_SECONDS,
                 end_silence: float = COMMAND_END_SILENCE):
        self.floor_threshold = threshold
        self.end_silence = end_silence
        self.threshold = threshold
        self.adaptive = adaptive  # raise the threshold above a steady room noise
        self.max_seconds = max_seconds
        self._quiet_levels: deque[float] = deque(maxlen=NOISE_WINDOW_CHUNKS)
        self._preroll: deque[bytes] = deque(maxlen=max(1, round(COMMAND_PREROLL * SAMPLE_RATE
                                                                  / CHUNK)))
        self._chunks: list[bytes] = []
        self._speech_start = 0.0
        self._last_loud = 0.0
        self._loud_seconds = 0.0
        self._peak = 0.0  # the phrase's loudest frame so far
        self._last_strong = 0.0  # when its last frame near that peak ended
        self._settled_at: float | None = None  # `_last_strong` when `settled` last gave it

    @property
    def in_phrase(self) -> bool:
        """Whether someone is speaking now (a phrase has begun and not yet ended)."""
        return bool(self._chunks)

    def _track_noise(self, quietest_frame: float) -> None:
        """The room's noise: a low percentile of each recent chunk's quietest frame."""
        self._quiet_levels.append(quietest_frame)
        ordered = sorted(self._quiet_levels)
        noise = ordered[int(len(ordered) * NOISE_PERCENTILE)]
        self.threshold = max(self.floor_threshold, noise * NOISE_MARGIN)

    def reset(self) -> None:
        self._preroll.clear()
        self._chunks = []
        self._loud_seconds = 0.0

    def feed(self, chunk: bytes, t_end: float, gated: bool = False,
             floor: float = 0.0) -> Phrase | None:
        """Add one chunk ending at `t_end`; a phrase when one has just finished.

        A gated chunk (the coach was speaking) counts as silence; `floor` raises the level a
        chunk needs to count as loud (over what is left of the coach's echo).
        """
        seconds = len(chunk) / 2 / SAMPLE_RATE
        levels = frame_levels(chunk, SAMPLE_RATE)
        if self.adaptive and levels and not gated:
            self._track_noise(min(levels))
        loud = not gated and max(levels, default=0) >= max(self.threshold, floor)
        if not self._chunks:
            if not loud:
                self._preroll.append(bytes(len(chunk)) if gated else chunk)
                return None
            self._chunks = list(self._preroll)
            self._preroll.clear()
            self._speech_start = t_end - seconds
            self._loud_seconds = 0.0
            self._peak = 0.0
            self._settled_at = None
        self._chunks.append(bytes(len(chunk)) if gated else chunk)
        if loud:
            self._last_loud = t_end
            self._loud_seconds += seconds
            self._track_strong(levels, t_end, seconds, max(self.threshold, floor))
        too_long = self._last_loud - self._speech_start >= self.max_seconds
        still_loud = t_end - self._last_loud < self.end_silence
        if still_loud and not too_long:
            return None
        pcm = b"".join(self._chunks)
        enough = self._loud_seconds >= COMMAND_MIN_SPEECH
        phrase = Phrase(pcm, self._speech_start, self._last_loud, cut_short=still_loud)
        self._chunks = []
        return phrase if enough else None

    def _track_strong(self, levels: list[float], t_end: float, seconds: float,
                      loud: float) -> None:
        """Note the end of the last frame within COMMAND_QUICK_LEVEL of the phrase's peak."""
        frame = 0.03  # frame_levels' window
        for i, level in enumerate(levels):
            self._peak = max(self._peak, level)
            if level >= max(loud, self._peak * COMMAND_QUICK_LEVEL):
                self._last_strong = min(t_end, t_end - seconds + (i + 1) * frame)

    def settled(self, t_end: float) -> Phrase | None:
        """The phrase so far, once per lull, when its words seem over but it has not ended.

        "Over" is COMMAND_QUICK_SILENCE with nothing within COMMAND_QUICK_LEVEL of the phrase's
        peak: the tail of a word and the room may still be loud enough to hold the phrase
        open for COMMAND_END_SILENCE. A word said urgently ("stop") can be decoded here.
        """
        if not self._chunks or self._loud_seconds < COMMAND_MIN_SPEECH:
            return None
        if t_end - self._last_strong < COMMAND_QUICK_SILENCE:
            return None
        if self._settled_at == self._last_strong:
            return None
        self._settled_at = self._last_strong
        pcm = b"".join(self._chunks)
        drop = 2 * int((t_end - self._last_strong - COMMAND_QUICK_KEEP) * SAMPLE_RATE)
        return Phrase(pcm[:len(pcm) - max(0, drop)], self._speech_start, self._last_strong)
