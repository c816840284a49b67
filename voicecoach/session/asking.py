"""Asking: yes/no and pain questions with re-asks, and the confirmation of a flag."""

from __future__ import annotations

from collections.abc import Generator

from voicecoach.content.model import Answer
from voicecoach.session.actions import Ask, Heard, Say
from voicecoach.session.words import number_words

RETRIES = 2  # an unclear answer is asked again twice, then treated as the cautious answer


MAX_REPEATS = 10  # "repeat" requests honoured per question before counting as unclear


class SessionStopped(Exception):
    """The user said stop: unwind the generator to a clean ending."""


def confirm(text: str, answer: Answer) -> Generator[Ask, Heard, Answer | None]:
    """Check an answer that would raise a flag: kept unless the person corrects it.

    "No, that's wrong" leads to the question once more, whose answer (or None) counts.
    """
    confirmed = yield from ask_yes_no(f"You said {answer.value} to: {text} Is that right?")
    if confirmed is not Answer.NO:
        return answer
    again = yield from ask_yes_no(f"Let us try once more. {text}")
    return again


def ask_yes_no(text: str) -> Generator[Ask, Heard, Answer | None]:
    """Ask a yes/no question, re-asking up to RETRIES times; None if still not understood."""
    value = yield from _ask(text, "answer", "Please answer yes or no.")
    return Answer(value) if value in ("yes", "no") else None


def ask_pain(text: str, confirm: bool = False) -> Generator[Ask | Say, Heard, int | None]:
    """Ask for a pain rating from 0 to 10; None (and say so) if not understood.

    With `confirm`, the rating is read back as a yes/no question: spoken numbers are misheard
    far more often than yes and no (one in ten real recordings heard as another number, see
    scripts/bench_hearing.py). "No" asks for the number once more; an unclear reply keeps it.
    """
    for attempt in range(2 if confirm else 1):
        value = yield from _ask(text, "number", "Please say a number from zero to ten.")
        if value is None or not value.isdigit():
            yield Say("I did not catch a number, so I will leave the pain score out this time.")
            return None
        words = number_words(int(value))
        if not confirm or attempt == 1:
            break
        right = yield from ask_yes_no(f"I heard {words}. Is that right?")
        if right is not Answer.NO:
            break
        text = "Sorry. Please say your pain again, a number from zero to ten."
    yield Say(f"Thank you, {words}.")
    return int(value)


def _ask(text: str, expect: str, hint: str) -> Generator[Ask, Heard, str | None]:
    attempts = repeats = 0
    prompt = text
    while attempts <= RETRIES:
        heard = yield Ask(prompt, expect)
        if heard.value == "stop":
            raise SessionStopped
        if heard.value == "repeat" and repeats < MAX_REPEATS:
            repeats += 1
            prompt = text
            continue
        if heard.value is not None and heard.value not in ("repeat", "unsure"):
            return heard.value
        attempts += 1
        if heard.value == "unsure":
            prompt = f"That is all right; take a moment. {text} {hint}"
        elif heard.timed_out:
            prompt = f"Sorry, I did not hear an answer. {text} {hint}"
        else:
            prompt = f"Sorry, I did not understand. {text} {hint}"
    return None
