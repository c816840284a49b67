"""Spotting the wake phrase: what `voicecoach serve` listens for between sessions.

Every request starts with a wake phrase ("hey coach"), alone or followed by what is wanted:
"hey coach, start stretching", "hey coach, how am I doing". A wake phrase alone is answered
"Yes?" and the request is heard next (`follow_up_vocabulary`). Requiring the wake phrase in
front of everything is what keeps a television saying "goodbye" from being taken as a request.

The spotter is pure: fed 16 kHz chunks, it cuts them into phrases by energy (adapting to a
steady room noise), drops phrases too short or too long to be a request said on its own,
and decodes the rest against a grammar of the requests with common words as rivals.
With a head for the wake phrase (hearing/wake_head.py, the default phrase only), the head has
the last word: it vetoes a phrase the grammar took that does not sound like the wake phrase,
and takes one the grammar refused (a common word won in noise) when it is sure, the request
then read from a grammar without rivals; it also lets shorter phrases be looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from voicecoach.errors import ExitCode, VoicecoachError
from voicecoach.hearing.endpointer import Endpointer
from voicecoach.hearing.recognizer import GrammarDecoder
from voicecoach.hearing.spotting import Spotted
from voicecoach.hearing.vocabulary import Vocabulary
from voicecoach.hearing.wake_tuning import (
    WAKE_END_SILENCE,
    WAKE_HEAD,
    WAKE_MAX_SECONDS,
    WAKE_MIN_SECONDS,
    WAKE_REJECTION,
)

DEFAULT_WAKE_PHRASES = ("hey coach",)
# What can follow the wake phrase, and the request each phrase names.
REQUEST_PHRASES: dict[str, tuple[str, ...]] = {
    "start": ("start stretching", "start", "let's stretch", "let's start"),
    "help": ("what can you do", "help"),
    "progress": ("how am i doing",),
    "goodbye": ("goodbye",),
}
# Only after "Yes?": short phrases that, after the wake phrase, fit talk too easily.
FOLLOW_UP_ONLY: dict[str, tuple[str, ...]] = {
    "start": ("yes", "yes please"),
    "goodbye": ("no", "no thanks", "never mind", "nothing"),
}
REQUESTS = ("wake", *REQUEST_PHRASES)


class WakePhraseError(VoicecoachError):
    """A wake phrase that cannot work."""

    exit_code = ExitCode.USAGE


def check_wake_phrase(phrase: str, known: set[str] | None = None) -> str:
    """A wake phrase cleaned to lower-case words; raises VoicecoachError when it cannot work
    (empty, or a word the recognizer's dictionary lacks when `known` is given)."""
    words = "".join(c if c.isalpha() or c in " '" else " " for c in phrase.lower()).split()
    if not words:
        raise WakePhraseError(f"the wake phrase {phrase!r} has no words")
    if known is not None:
        unknown = [w for w in words if w not in known]
        if unknown:
            raise WakePhraseError(
                f"the wake phrase {phrase!r} has words the recognizer does not know: "
                f"{', '.join(unknown)}; choose common English words")
    if len(words) < 2:
        raise WakePhraseError(
            f"the wake phrase {phrase!r} is one word; a single word wakes by mistake too "
            "often, so use two or more (\"hey coach\")")
    return " ".join(words)


def wake_vocabulary(wake_phrases: tuple[str, ...]) -> Vocabulary:
    """Each wake phrase alone ("wake") and followed by each request."""
    phrases: dict[str, str] = {}
    for wake in wake_phrases:
        phrases[wake] = "wake"
        for request, said in REQUEST_PHRASES.items():
            for words in said:
                phrases[f"{wake} {words}"] = request
    return Vocabulary("wake", phrases, {}, prefixes=wake_phrases)


def follow_up_vocabulary() -> Vocabulary:
    """What may be said after "Yes?": a request, or yes/no to starting."""
    phrases = {words: request for table in (REQUEST_PHRASES, FOLLOW_UP_ONLY)
               for request, said in table.items() for words in said}
    typed = {"s": "start", "h": "help", "p": "progress", "q": "goodbye"}
    return Vocabulary("request", phrases, typed)


@dataclass(frozen=True)
class Request:
    """A request heard: what is wanted, the words decoded, when it was said (stream seconds)."""

    request: str
    text: str
    start: float
    end: float


class Head(Protocol):
    confirm: float  # a phrase the grammar took stands only when the head is this sure
    rescue: float  # a phrase the grammar refused is taken when the head is this sure

    def probability(self, pcm: bytes) -> float: ...


class WakeSpotter:
    """Cuts a stream into phrases, keeps those the length of a request, and decodes them.

    `head` (optional, with `rescue`: the same vocabulary's decoder without rivals) confirms
    or refuses the wake phrase, as the module's docstring says.
    """

    def __init__(self, decoder: GrammarDecoder, min_seconds: float = WAKE_MIN_SECONDS,
                 max_seconds: float = WAKE_MAX_SECONDS, head: Head | None = None,
                 rescue: GrammarDecoder | None = None):
        self.decoder = decoder
        self.head = head
        self.rescue = rescue
        self.min_seconds = WAKE_HEAD.min_seconds if head is not None else min_seconds
        self.endpointer = Endpointer(adaptive=True, max_seconds=max_seconds,
                                     end_silence=WAKE_END_SILENCE)
        self.log: list[Spotted] = []
        self._run_end = -1.0  # end of the last phrase cut short: speech that goes on and on

    def reset(self) -> None:
        """Forget any phrase begun (after the stream was paused)."""
        self.endpointer.reset()

    def feed(self, chunk: bytes, t_end: float) -> Request | None:
        phrase = self.endpointer.feed(chunk, t_end)
        if phrase is None:
            return None
        spoken = phrase.end - phrase.start
        continues = phrase.start - self._run_end < 0.2  # the rest of a phrase cut short
        if phrase.cut_short or continues:
            self._run_end = phrase.end  # a long run of talk (television, conversation)
            return None
        if spoken < self.min_seconds:
            return None
        decoded = self.decoder.decode(phrase.pcm)
        text, value, ms = decoded.text, decoded.value, decoded.ms
        if self.head is not None:
            sure = self.head.probability(phrase.pcm)
            if value is not None and sure < self.head.confirm:
                value = None  # the grammar's wake phrase does not sound like one
            elif value is None and sure >= self.head.rescue and self.rescue is not None:
                again = self.rescue.decode(phrase.pcm)
                text, value, ms = again.text, again.value, ms + again.ms
        self.log.append(Spotted(phrase.start, phrase.end, text, value, value is not None, ms))
        if value is None:
            return None
        return Request(value, text, phrase.start, phrase.end)


def wake_decoder(wake_phrases: tuple[str, ...]) -> GrammarDecoder:
    """The decoder for the wake vocabulary (about 0.3 s to build)."""
    return GrammarDecoder(wake_vocabulary(wake_phrases), WAKE_REJECTION)


def rescue_decoder(wake_phrases: tuple[str, ...],
                   share: GrammarDecoder | None = None) -> GrammarDecoder:
    """The wake vocabulary without rivals: which request a phrase the head is sure of makes."""
    return GrammarDecoder(wake_vocabulary(wake_phrases), share=share)


def wake_spotter(wake_phrases: tuple[str, ...], use_head: bool = True) -> WakeSpotter:
    """The spotter `serve` runs: the grammar, with the head where one exists for the phrase."""
    from voicecoach.hearing.wake_head import shared_wake_head

    head = shared_wake_head(wake_phrases[0]) if use_head and len(wake_phrases) == 1 else None
    grammar = wake_decoder(wake_phrases)
    if head is None:
        return WakeSpotter(grammar)
    return WakeSpotter(grammar, head=head, rescue=rescue_decoder(wake_phrases, share=grammar))


def follow_up_decoder(share: GrammarDecoder | None = None) -> GrammarDecoder:
    return GrammarDecoder(follow_up_vocabulary(), WAKE_REJECTION, share=share)


def known_words() -> set[str]:
    """The words of the recognizer's pronouncing dictionary."""
    from importlib import resources

    dictionary = resources.files("pocketsphinx").joinpath("model/en-us/cmudict-en-us.dict")
    with dictionary.open(encoding="utf-8") as handle:
        return {line.split(" ", 1)[0].split("(")[0] for line in handle if line.strip()}
