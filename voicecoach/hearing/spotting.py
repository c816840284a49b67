"""Commands in the microphone's phrases: the self-hearing policy and the command spotter."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from voicecoach.hearing.echo import EchoCanceller
from voicecoach.hearing.endpointer import Endpointer, Phrase
from voicecoach.hearing.recognizer import SAMPLE_RATE, GrammarDecoder, decoder_for
from voicecoach.hearing.tuning import (
    COMMAND_QUICK,
    ECHO_RESIDUAL_HEADROOM,
    ECHO_RESIDUAL_MARGIN,
    ECHO_TAIL,
    ENERGY_FLOOR,
)
from voicecoach.session.actions import Heard


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
