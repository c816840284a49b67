"""One exercise as narrated steps, obeying stop, skip and "it hurts" (the in-session check)."""

from __future__ import annotations

from collections.abc import Generator

from voicecoach.content.model import Answer, Dose, Exercise
from voicecoach.session.actions import Ask, Heard, Record, Say, Timed, Watch
from voicecoach.session.asking import SessionStopped, ask_yes_no, confirm
from voicecoach.session.narration import narrate
from voicecoach.session.symptoms import SYMPTOMS, SymptomReported

Steps = Generator[Say | Ask | Timed | Watch | Record, Heard | None, str]


# In-session checks after "it hurts" (content/triage.md section 8, IS-1 and IS-2).
SPREAD_QUESTION = "Has any pain spread into your leg?"  # IS-2, seed 003


SHARP_QUESTION = "Is the pain sharp or severe?"  # IS-1, seed 004


SPREAD_ADVICE = (
    "Then we stop the session here. Pain spreading into the leg during exercise should be "
    "checked, so please get it looked at by a doctor or physiotherapist. If your back pain keeps "
    "getting worse, get help sooner."
)


SHARP_ADVICE = (
    "Then we leave this exercise out for today: sharp or severe pain is a reason to stop it. "
    "If the pain gets worse or starts to spread into your leg, please get it checked."
)


def exercise_steps(exercise: Exercise, dose: Dose | None, header: str = "",
                   brief: bool = False, hurts: list[str] | None = None) -> Steps:
    """One exercise, obeying the commands that interrupt it.

    Returns "done", "skipped", or why it was stopped. "stop" ends the session; "it hurts" runs
    the in-session pain check, after which an interrupted timed block starts again if the
    person chooses to carry on.
    """
    steps = ([Say(header)] if header else []) + list(narrate(exercise, dose, brief))
    i = 0
    while i < len(steps):
        reply = yield steps[i]
        command = reply.value if reply is not None else None
        if command == "stop":
            raise SessionStopped
        if command in SYMPTOMS:
            raise SymptomReported(command)
        if command == "skip":
            yield Say(f"Skipping {exercise.name}.")
            return "skipped"
        if command == "hurts":
            verdict = yield from hurt_check()
            yield Record("hurt", exercise.id, verdict)
            if hurts is not None:
                hurts.append(exercise.id)
            if verdict != "carry on":
                return verdict
            if isinstance(steps[i], Timed):
                continue  # the interrupted hold starts again
        i += 1
    return "done"


def hurt_check() -> Steps:
    """After "it hurts": stop, ask about spreading (IS-2) and sharp pain (IS-1), then act.

    Returns "pain spread into the leg" (the session ends), "sharp pain" (this exercise is left
    out), "skipped", or "carry on". An unclear answer is never taken as reassurance.
    """
    yield Watch(False)
    yield Say("I have stopped the exercise. Ease out of the position slowly.")
    spread = yield from ask_yes_no(SPREAD_QUESTION)
    if spread is Answer.YES:
        spread = yield from confirm(SPREAD_QUESTION, spread)
    if spread is not Answer.NO:
        if spread is None:
            yield Say("I could not understand the answer, so to be safe we stop here.")
        yield Say(SPREAD_ADVICE)
        return "pain spread into the leg"
    sharp = yield from ask_yes_no(SHARP_QUESTION)
    if sharp is not Answer.NO:
        if sharp is None:
            yield Say("I could not understand the answer, so to be safe we skip this one.")
        yield Say(SHARP_ADVICE)
        yield Watch(True)
        return "sharp pain"
    skip = yield from ask_yes_no(
        "Mild discomfort while stretching can be normal, but it should stay mild. "
        "Would you like to skip this exercise and carry on with the next one?"
    )
    if skip is not Answer.NO:
        yield Say("All right, we skip this one.")
        yield Watch(True)
        return "skipped"
    yield Say("Then ease back in gently, and stop whenever you need to.")
    yield Watch(True)
    return "carry on"
