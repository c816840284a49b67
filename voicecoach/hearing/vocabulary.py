"""The words voicecoach listens for at each moment, and what each phrase means.

One table per vocabulary feeds both the speech grammar (JSGF for pocketsphinx) and the
interpretation of typed answers, so voice and keyboard understand the same things (the grammar
itself is built in recognizer.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicecoach.session.words import number_words

# Words that work wherever voicecoach is listening.
ANYTIME = {"repeat": "repeat", "say that again": "repeat", "stop": "stop"}

YES_PHRASES = (
    "yes", "yeah", "yep", "yes i do", "yes i have", "i do", "i have", "correct", "that's right",
    "sure", "i think so",
)
NO_PHRASES = ("no", "nope", "nah", "no i don't", "no i haven't", "not really", "i don't")
# Heard as such, so they are never mistaken for "no" ("I don't know" is not "I don't").
UNSURE_PHRASES = ("i don't know", "not sure", "i'm not sure", "maybe", "i can't remember")

# Commands understood during the routine, each phrase mapped to the command it names.
COMMAND_PHRASES: dict[str, tuple[str, ...]] = {
    "stop": ("stop", "quit"),
    "pause": ("pause", "wait", "hold on"),
    "resume": ("resume", "continue", "go", "carry on"),  # not "go on": heard for "how long"
    "repeat": ("repeat", "say that again", "again"),
    "skip": ("skip", "next", "skip this", "next one"),
    "slower": ("slower", "slow down"),
    "faster": ("faster", "speed up"),
    "louder": ("louder", "speak up"),
    "quieter": ("quieter", "softer"),
    "time_left": ("how long", "time left", "how much longer"),
    "hurts": ("it hurts", "that hurts", "pain", "ouch"),
    # warning signs (content/triage.md IS-6): the session asks the matching emergency questions
    "numb": ("numb", "i'm numb", "numbness", "tingling", "pins and needles",
             "i can't feel my leg", "i can't feel my legs", "i can't feel my foot"),
    "bladder": ("bladder", "my bladder"),
    "bowels": ("bowels", "my bowels", "bowel"),
    "help": ("help", "what can i say"),
}
COMMANDS = tuple(COMMAND_PHRASES)


@dataclass(frozen=True)
class Vocabulary:
    """Phrases that may be heard, each mapped to the value it stands for."""

    name: str
    phrases: dict[str, str]
    typed_aliases: dict[str, str]
    # Phrases starting with one of these are decoded as two words, so a pause may come
    # between (the wake phrase and the request after it).
    prefixes: tuple[str, ...] = ()

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
    return " ".join(re.sub(r"[^a-z0-9'/ ]+", " ", text).split())


def _answers() -> Vocabulary:
    phrases = {p: "yes" for p in YES_PHRASES} | {p: "no" for p in NO_PHRASES} | ANYTIME
    phrases |= {p: "unsure" for p in UNSURE_PHRASES}
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


def _commands() -> Vocabulary:
    phrases = {phrase: command for command, said in COMMAND_PHRASES.items() for phrase in said}
    typed = {"q": "stop", "p": "pause", "r": "repeat", "s": "skip", "h": "help",
             "c": "resume", "time": "time_left", "hurts": "hurts"}
    typed |= {command.replace("_", " "): command for command in COMMANDS}
    return Vocabulary("command", phrases, typed)


VOCABULARIES: dict[str, Vocabulary] = {
    "answer": _answers(), "number": _numbers(), "command": _commands(),
}
