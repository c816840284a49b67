"""Echo cancelling: the coach's own voice taken out of the microphone, so "stop" is heard over it.

The coach knows every sample it plays. `EchoCanceller` keeps those samples on a timeline
(`play`) and learns, with a partitioned-block frequency-domain adaptive filter, how the
loudspeaker reaches the microphone (the room's reflections, up to `ECHO_MAX_DELAY` long). What
it predicts is subtracted from each block of microphone audio (`process`); what is left is the
person's voice and the room. It is linear and leaves the near-end voice alone (no suppression
during double talk, which is what kept the sound server's canceller from hearing a "stop" said
over the counting).

A player starts a few milliseconds sooner or later each time (3 ms apart on the virtual
devices), and a filter learned at one delay cancels nothing above a few hundred hertz at
another. So each sound is aligned when its echo first arrives: the start of the sound is
found in the microphone by cross-correlation, and the sound is moved on the timeline so the
filter always sees the same delay. Until a sound is aligned it is left out of what the filter
sees, and the microphone blocks it may echo in wait (`process` gives them back a little late,
never uncleaned).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from voicecoach.hearing.tuning import (
    ECHO_ALIGN_MIN,
    ECHO_ALIGN_SEARCH,
    ECHO_ALIGN_WINDOW,
    ECHO_BLOCK,
    ECHO_CLOCK_TOLERANCE,
    ECHO_CLOCK_WINDOW,
    ECHO_CONVERGED_DB,
    ECHO_DOUBLE_TALK,
    ECHO_FILTER_SECONDS,
    ECHO_LEAD,
    ECHO_MAX_DELAY,
    ECHO_SMOOTHING,
    ECHO_STEP,
)

RATE = 16000


@dataclass
class _Sound:
    start: int  # timeline sample where the sound is placed (moved when aligned)
    samples: np.ndarray
    onset: int  # first loud sample, counted from the start
    played_at: int  # timeline sample where the loudspeaker started it
    aligned: bool = False


@dataclass(frozen=True)
class Cleaned:
    """A stretch of microphone audio with the echo taken out."""

    pcm: bytes
    t_end: float  # clock time just after its last sample
    echo_level: float  # RMS of the echo predicted in its loudest block


class EchoCanceller:
    """Streams of microphone audio in, the same audio with the coach's echo taken out.

    `play` is called from the thread that plays sound, `process` from the one that listens.
    """

    def __init__(self, rate: int = RATE, block: int = ECHO_BLOCK,
                 max_delay: float = ECHO_MAX_DELAY, lead: float = ECHO_LEAD,
                 step: float = ECHO_STEP):
        self.rate = rate
        self.block = block
        self.lead = round(lead * rate)  # the sound may be heard this early (clock skew)
        self.max_delay = round(max_delay * rate)
        self.partitions = math.ceil((ECHO_FILTER_SECONDS + lead) * rate / block)
        self.step = step
        self.window = round(ECHO_ALIGN_WINDOW * rate)
        self.search = round(ECHO_ALIGN_SEARCH * rate)
        bins = block + 1
        self.weights = np.zeros((self.partitions, bins), np.complex128)
        self.spectra = np.zeros((self.partitions, bins), np.complex128)  # newest first
        self.power = np.zeros(bins)
        self._lock = threading.Lock()
        self._sounds: list[_Sound] = []
        self._waiting = np.zeros(0)  # microphone samples not yet cleaned
        self._next: int | None = None  # timeline index of the next microphone sample
        self._history = np.zeros(0)  # recent microphone samples, for aligning
        self._history_first = 0
        self._lateness: deque[tuple[int, int]] = deque()  # (clock, samples late) of recent reads
        self.clock_window = round(ECHO_CLOCK_WINDOW * rate)
        self.clock_tolerance = round(ECHO_CLOCK_TOLERANCE * rate)
        self.delay: float | None = None  # where the last sound's echo began (samples)
        self._heard = 1.0  # smoothed microphone power while the coach plays
        self._left = 1.0  # smoothed power left after cancelling, at the same moments

    # --- the coach's side -------------------------------------------------------------
    def play(self, pcm: bytes | np.ndarray, rate: int, at: float) -> None:
        """Note audio the loudspeaker starts playing at clock time `at` (seconds)."""
        samples = np.frombuffer(pcm, np.int16) if isinstance(pcm, bytes) else pcm
        samples = samples.astype(np.float64)
        if rate != self.rate:  # band-limited, as a sound server resamples (no aliases)
            n = round(len(samples) * self.rate / rate)
            spectrum = np.fft.rfft(samples)[:n // 2 + 1]
            samples = np.fft.irfft(spectrum, n) * (n / len(samples))
        if not samples.any():
            return
        loud = np.flatnonzero(np.abs(samples) >= 0.1 * np.abs(samples).max())
        start = round(at * self.rate)
        with self._lock:
            # Sounds whose echo has long died away go, heard or not (the microphone may not
            # have been read while they played: a question had it).
            past = start - self.max_delay - self.partitions * self.block - self.rate
            self._sounds = [s for s in self._sounds if s.start + len(s.samples) > past]
            self._sounds.append(_Sound(start, samples, int(loud[0]), start))

    def cut(self, at: float) -> None:
        """The loudspeaker stopped at clock time `at`: what it was still to play never came."""
        stop = round(at * self.rate)
        with self._lock:
            for sound in self._sounds:
                if sound.played_at <= stop < sound.played_at + len(sound.samples):
                    sound.samples = sound.samples[:stop - sound.played_at]

    def _reference(self, first: int, count: int) -> np.ndarray:
        out = np.zeros(count)
        for sound in self._sounds:
            if not sound.aligned:
                continue  # not yet where its echo will be: it would teach the filter wrongly
            lo = max(first, sound.start)
            hi = min(first + count, sound.start + len(sound.samples))
            if lo < hi:
                out[lo - first:hi - first] += sound.samples[lo - sound.start:hi - sound.start]
        return out

    # --- the microphone's side ----------------------------------------------------------
    def reset_stream(self) -> None:
        """The microphone was reopened: its timeline starts again (the room stays learned)."""
        self._waiting = np.zeros(0)
        self._next = None
        self._history = np.zeros(0)
        self._lateness.clear()

    def process(self, chunk: bytes, t_end: float) -> Cleaned:
        """Microphone audio ending at clock time `t_end`; back comes the audio, echo taken out,
        from where the last call's ended up to `Cleaned.t_end`.

        Whole blocks only, and none whose echo cannot be taken out yet: while a sound's start
        is still being looked for in the microphone, the blocks it may echo in wait (at most
        ECHO_ALIGN_WINDOW + 2 x ECHO_ALIGN_SEARCH, or ECHO_MAX_DELAY for the very first sound).
        """
        mic = np.frombuffer(chunk, np.int16).astype(np.float64)
        newest = round(t_end * self.rate)
        if self._next is None:  # the stream starts (see reset_stream)
            self._next = self._history_first = newest - len(mic)
        self._keep_time(newest - (self._next + len(self._waiting) + len(mic)), newest)
        self._history = np.concatenate([self._history, mic])
        keep = self.max_delay + self.lead + self.window + 2 * self.search + self.rate
        if len(self._history) > keep:
            self._history_first += len(self._history) - keep
            self._history = self._history[-keep:]
        waiting = np.concatenate([self._waiting, mic])
        out: list[np.ndarray] = []
        level = 0.0
        with self._lock:
            self._align(self._next + len(waiting), self._next)
            done = 0
            while done + self.block <= len(waiting) and not self._unsure(self._next + done):
                cleaned, echo = self._block(waiting[done:done + self.block], self._next + done)
                out.append(cleaned)
                level = max(level, echo)
                done += self.block
            self._forget(self._next + done)
        self._waiting = waiting[done:]
        self._next += done
        samples = np.concatenate(out) if out else np.zeros(0)
        pcm = np.clip(np.round(samples), -32768, 32767).astype(np.int16).tobytes()
        return Cleaned(pcm, self._next / self.rate, level)

    def _keep_time(self, lateness: int, now: int) -> None:
        """Keep the microphone's samples on the clock's timeline.

        The samples are counted, not stamped: a read returns when the thread gets to it,
        often a burst of them hundreds of milliseconds late. A read that comes back sooner
        than the count allows shows the count was placed too late; reads that all come back
        late for ECHO_CLOCK_WINDOW show samples were lost (an overrun). Either way the
        microphone's side of the timeline moves, and the echo's delay with it.
        """
        self._lateness.append((now, lateness))
        while self._lateness and self._lateness[0][0] < now - self.clock_window:
            self._lateness.popleft()
        least = min(late for _, late in self._lateness)
        spanned = now - self._lateness[0][0] >= self.clock_window * 0.9
        if least < 0 or (spanned and least > self.clock_tolerance):
            self._next += least
            self._history_first += least
            if self.delay is not None:
                self.delay += least
            self._lateness = deque((t, late - least) for t, late in self._lateness)

    def _forget(self, now: int) -> None:
        span = self.partitions * self.block + self.block
        self._sounds = [s for s in self._sounds
                        if s.start + len(s.samples) + span > now - self.lead or not s.aligned]

    def _align(self, heard_up_to: int, next_block: int) -> None:
        """Align every sound whose first echo the microphone has now fully heard (the filter's
        history is redone for the block at `next_block`)."""
        for sound in self._sounds:
            if sound.aligned:
                continue
            low, high = self._search_range()
            onset = sound.start + sound.onset
            if heard_up_to < onset + high + self.window:
                continue
            delay = self._find_delay(sound, low, high)
            if delay is not None and self.delay is not None and not low < delay < high:
                delay = self._find_delay(sound, -self.lead, self.max_delay)  # it jumped
            if delay is None:
                delay = self.delay
            else:
                self.delay = delay
            if delay is not None:
                self._move(sound, delay)
            sound.aligned = True
            self._rebuild_spectra(next_block)

    @staticmethod
    def _move(sound: _Sound, shift: float) -> None:
        """Move a sound later by `shift` samples: whole ones on the timeline, the rest by
        delaying its waveform (a phase shift), since half a sample leaves most of the echo."""
        whole = math.floor(shift)
        fraction = shift - whole
        sound.start += whole
        if fraction > 1e-3:
            n = len(sound.samples) + 1
            size = 1 << n.bit_length()
            spectrum = np.fft.rfft(sound.samples, size)
            spectrum *= np.exp(-2j * np.pi * np.fft.rfftfreq(size) * fraction)
            sound.samples = np.fft.irfft(spectrum, size)[:n]

    def _search_range(self) -> tuple[int, int]:
        if self.delay is None:
            return -self.lead, self.max_delay
        middle = round(self.delay)
        return middle - self.search, middle + self.search

    def _find_delay(self, sound: _Sound, low: int, high: int) -> float | None:
        """Where the sound's start shows in the microphone, or None if it does not clearly."""
        ref = sound.samples[sound.onset:sound.onset + self.window]
        first = sound.start + sound.onset + low - self._history_first
        if first < 0:
            return None
        heard = self._history[first:first + high - low + len(ref)]
        if len(heard) < high - low + len(ref) or not ref.any():
            return None
        n = 1 << (len(heard) + len(ref)).bit_length()
        cross = np.fft.rfft(heard, n) * np.conj(np.fft.rfft(ref, n))
        corr = np.fft.irfft(cross, n)[:high - low + 1]
        energy = np.concatenate([[0.0], np.cumsum(heard ** 2)])
        local = energy[len(ref):len(ref) + len(corr)] - energy[:len(corr)]
        score = corr / (np.sqrt(np.maximum(local, 1e-9)) * np.linalg.norm(ref))
        best = int(np.argmax(score))
        if score[best] < ECHO_ALIGN_MIN:
            return None
        # The peak to a sixteenth of a sample, on the whitened correlation (GCC-PHAT) upsampled
        # around it: the plain one is pulled off by the room's reflections by a few tenths of a
        # sample, which in test_echo's room leaves 20.7 dB taken out against 28.4 whitened and
        # 29.3 with the true delays.
        whitened = cross / np.maximum(np.abs(cross), 1e-9 * np.abs(cross).max())
        fine = np.fft.irfft(whitened, n * 16)
        around = np.arange((best - 1) * 16, (best + 1) * 16 + 1) % (n * 16)
        return low + float(around[np.argmax(fine[around])]) / 16 if best > 0 else float(low)

    def _rebuild_spectra(self, first: int) -> None:
        """The filter's input history, redone after a sound moved (next block at `first`)."""
        n = self.block
        base = first + self.lead
        for p in range(self.partitions):
            lo = base - (p + 2) * n
            self.spectra[p] = np.fft.rfft(self._reference(lo, 2 * n))
        self.power = np.maximum(self.power, (np.abs(self.spectra) ** 2).mean(axis=0))

    def _unsure(self, first: int) -> bool:
        """Whether a sound not yet aligned may be echoing in the block at `first`."""
        low, _ = self._search_range()
        return any(not s.aligned and first + self.block > s.start + s.onset + low
                   for s in self._sounds)

    def _block(self, mic: np.ndarray, first: int) -> tuple[np.ndarray, float]:
        n = self.block
        base = first + self.lead
        spectrum = np.fft.rfft(self._reference(base - n, 2 * n))
        self.spectra = np.roll(self.spectra, 1, axis=0)
        self.spectra[0] = spectrum
        if not self.spectra.any():
            return mic, 0.0
        echo = np.fft.irfft((self.weights * self.spectra).sum(axis=0))[n:]
        error = mic - echo
        self.power = 0.9 * self.power + 0.1 * np.abs(spectrum) ** 2
        left, predicted = float(np.mean(error ** 2)), float(np.mean(echo ** 2))
        talking = self.converged and left > ECHO_DOUBLE_TALK * predicted
        if np.abs(spectrum).any() and not talking:
            self._heard += ECHO_SMOOTHING * (float(np.mean(mic ** 2)) - self._heard)
            self._left += ECHO_SMOOTHING * (left - self._left)
            self._adapt(error)
        return error, float(np.sqrt(np.mean(echo ** 2)))

    def _adapt(self, error: np.ndarray) -> None:
        n = self.block
        err = np.fft.rfft(np.concatenate([np.zeros(n), error]))
        norm = self.partitions * self.power + 1e-3 * (self.power.mean() + 1.0)
        gradient = self.step * np.conj(self.spectra) * err / norm
        taps = np.fft.irfft(gradient, axis=1)
        taps[:, n:] = 0.0  # keep each partition's filter causal and one block long
        self.weights += np.fft.rfft(taps, axis=1)

    @property
    def reduction_db(self) -> float:
        """How far the echo is brought down, lately (dB; near-end speech lowers it briefly)."""
        return 10 * math.log10(max(self._heard, 1e-9) / max(self._left, 1e-9))

    @property
    def converged(self) -> bool:
        """Whether the canceller has learned the room well enough to listen over the coach."""
        return self.reduction_db >= ECHO_CONVERGED_DB
