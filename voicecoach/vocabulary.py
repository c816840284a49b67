"""The words voicecoach listens for at each moment, and what each phrase means.

One table per vocabulary feeds both the speech grammar (JSGF for pocketsphinx) and the
interpretation of typed answers, so voice and keyboard understand the same things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicecoach.words import number_words

# Words that work wherever voicecoach is listening.
ANYTIME = {"repeat": "repeat", "say that again": "repeat", "stop": "stop"}

YES_PHRASES = ("yes", "yeah", "yep", "yes i do", "i do", "correct", "that's right", "sure")
NO_PHRASES = ("no", "nope", "nah", "no i don't", "not really", "i don't")


@dataclass(frozen=True)
class Vocabulary:
    """Phrases that may be heard, each mapped to the value it stands for."""

    name: str
    phrases: dict[str, str]
    typed_aliases: dict[str, str]

    def jsgf(self) -> str:
        """A JSGF grammar accepting exactly these phrases."""
        alternatives = " | ".join(sorted(self.phrases))
        return f"#JSGF V1.0;\ngrammar {self.name};\npublic <{self.name}> = {alternatives};\n"

    def meaning(self, text: str) -> str | None:
        """The value of a decoded or typed phrase, or None if it is not understood."""
        cleaned = normalize(text)
        if not cleaned:
            return None
        if cleaned in self.phrases:
            return self.phrases[cleaned]
        if cleaned in self.typed_aliases:
            return self.typed_aliases[cleaned]
        return None


def normalize(text: str) -> str:
    """Lower case, apostrophes kept, other punctuation and extra spaces removed."""
    text = text.lower().replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def _answers() -> Vocabulary:
    phrases = {p: "yes" for p in YES_PHRASES} | {p: "no" for p in NO_PHRASES} | ANYTIME
    typed = {"y": "yes", "n": "no", "r": "repeat", "q": "stop", "quit": "stop", "yes please": "yes"}
    return Vocabulary("answer", phrases, typed)


def _numbers() -> Vocabulary:
    phrases = dict(ANYTIME)
    for n in range(11):
        word = number_words(n)
        phrases[word] = str(n)
        phrases[f"a {word}"] = str(n)
        phrases[f"about {word}"] = str(n)
    phrases["ten out of ten"] = "10"
    phrases["none"] = "0"
    typed = {str(n): str(n) for n in range(11)} | {"r": "repeat", "q": "stop", "quit": "stop"}
    typed |= {f"{n}/10": str(n) for n in range(11)}
    return Vocabulary("number", phrases, typed)


VOCABULARIES: dict[str, Vocabulary] = {"answer": _answers(), "number": _numbers()}
