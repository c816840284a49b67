"""New warning signs said during the routine (content/triage.md section 8, IS-6).

"Numb", "tingling", "I can't feel my leg", "bladder" or "bowels" said (or typed) at any time
stops the exercise and brings the emergency questions that match it; a flag, or an answer
that stays unclear, ends the session with that question's advice.
"""

from __future__ import annotations

from collections.abc import Generator

from voicecoach.content.model import Triage
from voicecoach.session.actions import Ask, Heard, Record, Say, Watch
from voicecoach.session.screening import Screening, screen

# Which emergency questions each kind of report brings (ids in routines/triage.yaml).
SYMPTOM_QUESTIONS: dict[str, tuple[str, ...]] = {
    "numb": ("A1", "A2", "A9", "A10"),  # saddle numbness, both legs, a weakening leg
    "bladder": ("A3", "A4", "A5", "A6"),
    "bowels": ("A7", "A1"),
}
SYMPTOMS = tuple(SYMPTOM_QUESTIONS)

STOPPED_FOR_SYMPTOM = (
    "I have stopped the exercise. Ease out of the position slowly. What you said can be a "
    "warning sign, so I need to ask you a few safety questions."
)
NONE_FOUND = (
    "Thank you. None of those signs is there. If anything like that comes back or gets "
    "worse, stop and get help straight away."
)


class SymptomReported(Exception):
    """A warning sign was named during an exercise; `kind` is a key of SYMPTOM_QUESTIONS."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def symptom_check(
    triage: Triage, kind: str
) -> Generator[Ask | Say | Record | Watch, Heard | None, Screening]:
    """Ask the emergency questions that match a reported sign; the screening that results."""
    yield Watch(False)
    yield Say(STOPPED_FOR_SYMPTOM)
    wanted = SYMPTOM_QUESTIONS[kind]
    questions = tuple(q for q in triage.questions if q.id in wanted)
    screening = yield from screen(triage, questions)
    return screening
