"""Spotting the wake phrase: what `voicecoach serve` listens for between sessions.

Every request starts with a wake phrase ("hey coach"), alone or followed by what is wanted:
"hey coach, start stretching", "hey coach, how am I doing". A wake phrase alone is answered
"Yes?" and the request is heard next (`follow_up_vocabulary`). Requiring the wake phrase in
front of everything is what keeps a television saying "goodbye" from being taken as a request.

The spotter is pure: fed 16 kHz chunks, it cuts them into phrases by energy (adapting to a
steady room noise), drops phrases too short or too long to be a request said on its own,
and decodes the rest against a grammar of the requests with common words as rivals.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.errors import ExitCode, VoicecoachError
from voicecoach.hearing.endpointer import Endpointer
from voicecoach.hearing.recognizer import GrammarDecoder
from voicecoach.hearing.spotting import Spotted
from voicecoach.hearing.tuning import (
    WAKE_END_SILENCE,
    WAKE_MAX_SECONDS,
    WAKE_MIN_SECONDS,
    WAKE_REJECTION,
)
from voicecoach.hearing.vocabulary import Vocabulary

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


class WakeSpotter:
    """Cuts a stream into phrases, keeps those the length of a request, and decodes them."""

    def __init__(self, decoder: GrammarDecoder, min_seconds: float = WAKE_MIN_SECONDS,
                 max_seconds: float = WAKE_MAX_SECONDS):
        self.decoder = decoder
        self.min_seconds = min_seconds
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
        self.log.append(Spotted(phrase.start, phrase.end, decoded.text, decoded.value,
                                decoded.value is not None, decoded.ms))
        if decoded.value is None:
            return None
        return Request(decoded.value, decoded.text, phrase.start, phrase.end)


def wake_decoder(wake_phrases: tuple[str, ...]) -> GrammarDecoder:
    """The decoder for the wake vocabulary (about 0.3 s to build)."""
    return GrammarDecoder(wake_vocabulary(wake_phrases), WAKE_REJECTION)


def follow_up_decoder() -> GrammarDecoder:
    return GrammarDecoder(follow_up_vocabulary(), WAKE_REJECTION)


def known_words() -> set[str]:
    """The words of the recognizer's pronouncing dictionary."""
    from importlib import resources

    dictionary = resources.files("pocketsphinx").joinpath("model/en-us/cmudict-en-us.dict")
    with dictionary.open(encoding="utf-8") as handle:
        return {line.split(" ", 1)[0].split("(")[0] for line in handle if line.strip()}
