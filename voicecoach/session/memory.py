"""What the coach remembers about a person's safety between sessions, and clearing it in words.

A flag that ended or changed a session stays in force until it is cleared: an ending one
(emergency, urgent today, doctor first, doctor soon) by the person saying that a doctor has
checked it, a routine change (group C) by a clear "no" when its question is asked again, a
scope answer by asking the scope questions again. Pure: the history supplies the memory.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from voicecoach.content.model import Answer, Question, Triage
from voicecoach.session.actions import Ask, Heard, Record, Say
from voicecoach.session.asking import ask_yes_no

KEPT_BY_ANSWER = ("modify",)  # cleared by a clear "no" to the question, asked again
REASKED = ("out_of_scope",)  # not kept: the scope questions are asked again instead
NOT_REMEMBERED = ("none",)

CLEARANCE_QUESTION = (
    "Has a doctor or physiotherapist checked it since then, and told you that you can exercise?"
)
CLEARANCE_CONFIRM = (
    "You said a doctor or physiotherapist has checked it and told you that you can exercise. "
    "Is that right?"
)


@dataclass(frozen=True)
class RememberedFlag:
    """A safety flag raised in an earlier session and not cleared since."""

    id: str  # a question id or a rule id
    action: str  # the action it raised
    raised_at: float = 0.0  # Unix time
    answer: str = "yes"  # yes, no, unclear (not understood), unconfirmed (interrupted), rule

    @property
    def asked_again(self) -> bool:
        """Settled by asking its question again: a routine change, a scope answer, or an
        answer that was never understood (nothing to have checked)."""
        return self.answer == "unclear" or self.action in (*KEPT_BY_ANSWER, *REASKED)

    @property
    def in_force_now(self) -> bool:
        """Counts from the start of the next session (not only once asked again)."""
        return not (self.answer == "unclear" or self.action in REASKED)


@dataclass(frozen=True)
class SafetyMemory:
    """The flags in force, and the flags cleared since they were last raised."""

    in_force: tuple[RememberedFlag, ...] = ()
    cleared: frozenset[str] = frozenset()


def remembered(action: str) -> bool:
    """Whether a flag raising `action` is kept for later sessions."""
    return action not in NOT_REMEMBERED


def needs_clearance(flag: RememberedFlag) -> bool:
    """Flags cleared only by the person saying a clinician has checked them."""
    return not flag.asked_again


def topic(triage: Triage, flag_id: str) -> str:
    """What the flag was about, in words the person heard: the question, or the rule."""
    named = triage.flag(flag_id)
    if isinstance(named, Question):
        return f"you answered {named.flag_if.value} to: {named.text}"
    if named is not None:
        return f"you told me about {named.text}."
    return f"you told me about something that needed checking ({flag_id})."


def ask_clearance(
    triage: Triage, flag: RememberedFlag
) -> Generator[Ask | Say | Record, Heard, bool]:
    """Ask whether a remembered flag has been checked; True only on a confirmed yes."""
    about = topic(triage, flag.id)
    answer = yield from ask_yes_no(f"Last time {about} {CLEARANCE_QUESTION}")
    if answer is Answer.YES:
        sure = yield from ask_yes_no(CLEARANCE_CONFIRM)
        if sure is Answer.YES:
            yield Record("clear", flag.id, "spoken")
            yield Say("Thank you. I have noted that it has been checked.")
            return True
    if answer is None:
        yield Say("I could not understand the answer, so to be safe that still applies.")
    else:
        yield Say("Then what I said last time still applies.")
    return False
