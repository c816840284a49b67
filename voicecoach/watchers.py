"""Command watchers: what listens for "stop", "pause", "repeat"... while the coach works.

A watcher runs beside the coach loop (a thread reading the microphone, or typed lines), and
hands over commands one at a time through `next_command`. The coach tells it when it is
speaking, so a voice watcher can ignore the coach's own voice (see `SelfHearing`).
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TextIO

from voicecoach.actions import Heard
from voicecoach.audio import Clip, frame_levels
from voicecoach.echo import EchoCanceller
from voicecoach.recognizer import SAMPLE_RATE, GrammarDecoder, decoder_for
from voicecoach.tuning import (
    COMMAND_END_SILENCE,
    COMMAND_MAX_SECONDS,
    COMMAND_MIN_SPEECH,
    COMMAND_PREROLL,
    COMMAND_QUICK,
    COMMAND_QUICK_KEEP,
    COMMAND_QUICK_LEVEL,
    COMMAND_QUICK_SILENCE,
    ECHO_RESIDUAL_HEADROOM,
    ECHO_RESIDUAL_MARGIN,
    ECHO_TAIL,
    ENERGY_FLOOR,
    LISTEN_SWITCH_INTERVAL,
    NOISE_MARGIN,
    NOISE_PERCENTILE,
    NOISE_WINDOW_CHUNKS,
)
from voicecoach.vocabulary import VOCABULARIES

CHUNK = 1024  # samples per read: 64 ms at 16 kHz


class Watcher(Protocol):
    """Listens for commands in the background while started."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def next_command(self, timeout: float) -> Heard | None:
        """The next command heard, waiting up to `timeout` real seconds; None if none."""
        ...

    def pending(self) -> str | None:
        """The command waiting to be taken, without taking it; None if none."""
        ...

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        """Wrap the coach's own speech, so it is not taken for a command."""
        ...

    def user_speaking(self) -> bool:
        """Whether the person seems to be saying something right now (don't talk over it)."""
        ...

    def close(self) -> None: ...


class NoWatcher:
    """Hears nothing: for sessions with no way to give commands."""

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def next_command(self, timeout: float) -> Heard | None:
        if timeout > 0:
            time.sleep(timeout)
        return None

    def pending(self) -> str | None:
        return None

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def user_speaking(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing to release."""


class LineFeed:
    """Lines typed (or piped) on a stream, read by a background thread as they arrive."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._lines: deque[str] = deque()
        self._ended = False
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def _ensure_reading(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="voicecoach-keys",
                                            daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            for line in iter(self.stream.readline, ""):
                with self._ready:
                    self._lines.append(line.rstrip("\r\n"))
                    self._ready.notify_all()
        except (OSError, ValueError):
            pass  # a closed or unreadable stream ends the input like EOF
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def peek(self, timeout: float | None) -> str | None:
        """The next line without taking it, waiting up to `timeout` (None: no limit).

        None when no line came in time or the input has ended (see `ended`).
        """
        self._ensure_reading()
        with self._ready:
            self._ready.wait_for(lambda: self._lines or self._ended, timeout)
            return self._lines[0] if self._lines else None

    def take(self) -> str | None:
        """Take the next line, waiting as long as needed; None when the input has ended."""
        line = self.peek(None)
        if line is not None:
            with self._ready:
                self._lines.popleft()
        return line

    @property
    def ended(self) -> bool:
        with self._ready:
            return self._ended and not self._lines


class KeyboardWatcher:
    """Commands typed at any time, one per line, understood like spoken ones.

    Typed at a terminal, a line that is not a command is answered with a hint and dropped;
    piped in, it is left for the next question, so scripts can mix answers and commands.
    """

    def __init__(self, feed: LineFeed, out: TextIO, interactive: bool):
        self.feed = feed
        self.out = out
        self.interactive = interactive
        self.vocabulary = VOCABULARIES["command"]
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def next_command(self, timeout: float) -> Heard | None:
        deadline = time.monotonic() + timeout
        if not self.active:
            time.sleep(max(0.0, timeout))
            return None
        line = self.feed.peek(timeout)
        if line is None:
            if self.feed.ended:
                time.sleep(max(0.0, deadline - time.monotonic()))
            return None
        command = self.vocabulary.meaning(line)
        if command is None:
            if self.interactive:
                self.feed.take()
                print(f"({line!r} is not a command here; type help for the list.)",
                      file=self.out, flush=True)
            else:
                time.sleep(max(0.0, deadline - time.monotonic()))
            return None
        self.feed.take()
        if not self.interactive:
            print(f"> {line}", file=self.out, flush=True)
        return Heard(command, line)

    def pending(self) -> str | None:
        line = self.feed.peek(0) if self.active else None
        return self.vocabulary.meaning(line) if line is not None else None

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def user_speaking(self) -> bool:
        return False

    def close(self) -> None:
        self.active = False


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


@dataclass
class Spotted:
    """One phrase the spotter looked at, and what came of it."""

    start: float
    end: float
    text: str
    command: str | None
    accepted: bool
    ms: float


class SelfHearing:
    """How the coach's own voice is kept from being taken for a command.

    cancel (the default): what the loudspeaker plays is taken out of the microphone
    (`EchoCanceller`), and over the coach's voice a sound must stand ECHO_RESIDUAL_MARGIN times
    above the echo the canceller predicted there (and well above what it typically leaves) to
    count as speech, so "stop" is heard over the counting. Until the canceller has learned the
    room (nothing played yet, or the echo less than ECHO_CONVERGED_DB down), it acts as gaps.
    gaps: while the coach speaks (and ECHO_TAIL after), the microphone counts as silent.
    compare: everything is decoded, but a command heard while the coach spoke is refused when
    its words are in what the coach was saying. none: no protection (for measuring).
    """

    POLICIES = ("cancel", "gaps", "compare", "none")

    def __init__(self, policy: str = "cancel", tail: float = ECHO_TAIL):
        if policy not in self.POLICIES:
            raise ValueError(f"unknown self-hearing policy {policy!r}")
        self.policy = policy
        self.tail = tail
        self.spoken: deque[tuple[float, float, str]] = deque(maxlen=64)
        self._open: tuple[float, str] | None = None
        self.canceller = EchoCanceller() if policy == "cancel" else None

    def begin(self, t: float, text: str) -> None:
        """The coach started saying `text` at clock time `t`."""
        self._open = (t, text)

    def end(self, t: float) -> None:
        """The coach finished what it started saying."""
        if self._open is not None:
            self.spoken.append((self._open[0], t, self._open[1]))
            self._open = None

    def played(self, pcm: bytes, rate: int, at: float) -> None:
        """The loudspeaker started playing this audio at clock time `at`."""
        if self.canceller is not None:
            self.canceller.play(pcm, rate, at)

    def cut(self, at: float) -> None:
        """The loudspeaker went silent at clock time `at`, cutting short what it played."""
        if self.canceller is not None:
            self.canceller.cut(at)

    def reset_stream(self) -> None:
        """The microphone was (re)opened."""
        if self.canceller is not None:
            self.canceller.reset_stream()

    def clean(self, chunk: bytes, t_end: float) -> tuple[bytes, float, float, bool]:
        """The audio the spotter should hear (with the canceller, what it has cleaned so far,
        which may end a little before `t_end`), when it ends, the level it must reach to be
        speech, and whether it is to count as silence (the coach's voice may be in it)."""
        if self.canceller is None:
            t_start = t_end - len(chunk) / 2 / SAMPLE_RATE
            return chunk, t_end, 0.0, self.gated(t_start, t_end)
        cleaned = self.canceller.process(chunk, t_end)
        t_start = cleaned.t_end - len(cleaned.pcm) / 2 / SAMPLE_RATE
        unlearned = not self.canceller.converged and bool(self._overlapping(t_start, cleaned.t_end))
        left = 10 ** (-self.canceller.reduction_db / 20)  # of the echo, as an amplitude
        floor = cleaned.echo_level * max(ECHO_RESIDUAL_MARGIN, ECHO_RESIDUAL_HEADROOM * left)
        return cleaned.pcm, cleaned.t_end, floor, unlearned

    def _overlapping(self, start: float, end: float) -> list[str]:
        spans = list(self.spoken)
        if self._open is not None:
            spans.append((self._open[0], float("inf"), self._open[1]))
        return [text for a, b, text in spans if a < end and start < b + self.tail]

    def gated(self, start: float, end: float) -> bool:
        """Whether audio from `start` to `end` is to be treated as silence (gaps policy)."""
        return self.policy == "gaps" and bool(self._overlapping(start, end))

    def refuses(self, phrase: Phrase, heard_text: str) -> bool:
        """Whether a decoded command must be refused as probably the coach's own words."""
        if self.policy != "compare":
            return False
        own = " ".join(self._overlapping(phrase.start, phrase.end)).lower()
        own_words = set(own.replace(".", " ").replace(",", " ").split())
        return any(word in own_words for word in heard_text.split())


class CommandSpotter:
    """Endpointing, self-hearing protection and decoding, fed audio chunk by chunk.

    With `quick` (the default), an urgent command (COMMAND_QUICK) is taken as soon as the
    phrase's words seem over (`Endpointer.settled`), not when the phrase ends.
    """

    def __init__(self, self_hearing: SelfHearing | None = None,
                 decoder: GrammarDecoder | None = None, threshold: float = ENERGY_FLOOR,
                 quick: bool = True):
        self.self_hearing = self_hearing or SelfHearing()
        self.decoder = decoder or decoder_for("command")
        self.endpointer = Endpointer(threshold)
        self.quick = quick
        self.log: list[Spotted] = []
        self.deciding = False  # a phrase has ended and is being decoded
        self._taken_early = False  # the phrase under way has already given its command

    def reset(self) -> None:
        """The stream starts again: no phrase is under way."""
        self.endpointer.reset()
        self._taken_early = False

    def feed(self, chunk: bytes, t_end: float) -> Heard | None:
        chunk, t_end, floor, gated = self.self_hearing.clean(chunk, t_end)
        if not chunk:
            return None
        phrase = self.endpointer.feed(chunk, t_end, gated, floor)
        if phrase is None:
            if self.quick and not self._taken_early:
                early = self.endpointer.settled(t_end)
                if early is not None:
                    heard = self._decide(early, only=COMMAND_QUICK)
                    self._taken_early = heard is not None
                    return heard
            return None
        if self._taken_early:
            self._taken_early = False
            return None
        return self._decide(phrase)

    def _decide(self, phrase: Phrase, only: tuple[str, ...] | None = None) -> Heard | None:
        """Decode a phrase: the command in it, if it is one (of `only`, when given)."""
        self.deciding = True
        try:
            decoded = self.decoder.decode(phrase.pcm)
        finally:
            self.deciding = False
        wanted = decoded.value is not None and (only is None or decoded.value in only)
        accepted = wanted and not self.self_hearing.refuses(phrase, decoded.text)
        if only is None or accepted:
            self.log.append(Spotted(phrase.start, phrase.end, decoded.text, decoded.value,
                                    accepted, decoded.ms))
        return Heard(decoded.value, decoded.text) if accepted else None


class VoiceWatcher:
    """Listens to a microphone (or any source with the same shape) on a thread, while started.

    `open_source` gives a SpeechRecognition-style source: a context manager whose `stream`
    has `read(frames)` of 16 kHz 16-bit mono audio. It is opened on `start` and released on
    `stop`, so a question's listener can have the microphone to itself.
    """

    def __init__(self, open_source: Callable[[], object], spotter: CommandSpotter | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[str], None] | None = None):
        self.open_source = open_source
        self.spotter = spotter or CommandSpotter()
        self.clock = clock
        self.on_error = on_error
        self.commands: queue.Queue[Heard] = queue.Queue()
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self.cpu_seconds = 0.0  # CPU time used by the listening thread, summed over runs
        self._switch_interval = sys.getswitchinterval()  # restored when listening stops
        self.listened_seconds = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        # The listening thread must keep up with the microphone: while it runs, it is handed
        # the interpreter sooner when another thread is busy (LISTEN_SWITCH_INTERVAL).
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, LISTEN_SWITCH_INTERVAL))
        self._running.set()
        self._thread = threading.Thread(target=self._listen, name="voicecoach-commands",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
            sys.setswitchinterval(self._switch_interval)

    def _listen(self) -> None:
        cpu_start, wall_start = time.thread_time(), time.monotonic()
        try:
            with self.open_source() as source:
                self.spotter.reset()
                self.spotter.self_hearing.reset_stream()
                while self._running.is_set():
                    chunk = source.stream.read(CHUNK)
                    if not chunk:
                        break
                    heard = self.spotter.feed(chunk, self.clock())
                    if heard is not None:
                        self.commands.put(heard)
        except Exception as exc:  # the microphone went away: commands stop, the session goes on
            if self.on_error:
                self.on_error(f"listening for commands stopped: {exc}")
        finally:
            self.cpu_seconds += time.thread_time() - cpu_start
            self.listened_seconds += time.monotonic() - wall_start

    def next_command(self, timeout: float) -> Heard | None:
        try:
            return self.commands.get(timeout=max(0.0, timeout)) if timeout > 0 else \
                self.commands.get_nowait()
        except queue.Empty:
            return None

    def pending(self) -> str | None:
        with self.commands.mutex:
            return self.commands.queue[0].value if self.commands.queue else None

    def played(self, clip: Clip, at: float) -> None:
        """The loudspeaker started playing `clip` at clock time `at` (for echo cancelling)."""
        self.spotter.self_hearing.played(clip.pcm, clip.rate, at)

    def cut(self, at: float) -> None:
        """The loudspeaker stopped playing at clock time `at`, before the sound's end."""
        self.spotter.self_hearing.cut(at)

    @contextlib.contextmanager
    def speaking(self, text: str) -> Iterator[None]:
        self.spotter.self_hearing.begin(self.clock(), text)
        try:
            yield
        finally:
            self.spotter.self_hearing.end(self.clock())

    def user_speaking(self) -> bool:
        spotter = self.spotter
        return self._thread is not None and (spotter.endpointer.in_phrase or spotter.deciding)

    def close(self) -> None:
        self.stop()


class AnyWatcher:
    """Several watchers at once (the microphone and the keyboard): the first command wins."""

    def __init__(self, watchers: list[Watcher], step: float = 0.05):
        self.watchers = watchers
        self.step = step

    def start(self) -> None:
        for w in self.watchers:
            w.start()

    def stop(self) -> None:
        for w in self.watchers:
            w.stop()

    def next_command(self, timeout: float) -> Heard | None:
        deadline = time.monotonic() + timeout
        while True:
            for w in self.watchers:
                if (heard := w.next_command(0)) is not None:
                    return heard
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(self.step, left))

    def pending(self) -> str | None:
        return next((c for w in self.watchers if (c := w.pending()) is not None), None)

    @contextlib.contextmanager
    def speaking(self, text: str) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for w in self.watchers:
                stack.enter_context(w.speaking(text))
            yield

    def user_speaking(self) -> bool:
        return any(w.user_speaking() for w in self.watchers)

    def close(self) -> None:
        for w in self.watchers:
            w.close()
