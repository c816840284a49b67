"""Change a routine to suit the screening: drops, swaps, additions and a level cap. Pure."""

from __future__ import annotations

import dataclasses

from voicecoach.content.model import LEVELS, Exercise, Question, Routine, RoutineStep
from voicecoach.session.words import number_words


def adapt_routine(
    routine: Routine, exercises: dict[str, Exercise], flagged: list[Question], max_level: str = ""
) -> tuple[Routine, list[str], list[str]]:
    """The routine with each flagged question's changes applied; also what left and came in."""
    steps = list(routine.steps)
    levels = [q.max_level for q in flagged if q.max_level] + ([max_level] if max_level else [])
    cap = min((LEVELS.index(level) for level in levels), default=len(LEVELS) - 1)

    def allowed(exercise: Exercise) -> bool:
        return LEVELS.index(exercise.level) <= cap and not any(
            exercise.id in q.drops or (q.keep_only and exercise.id not in q.keep_only)
            or exercise.position in q.avoid_positions
            for q in flagged
        )

    def present(exercise_id: str) -> bool:
        return any(s.exercise.id == exercise_id for s in steps)

    for question in flagged:
        for old, new in question.swaps:
            for i, step in enumerate(steps):
                if step.exercise.id == old and not present(new):
                    replacement = exercises[new]
                    steps[i] = RoutineStep(replacement, replacement.dose)
        for exercise_id in (*question.keep_only, *question.adds):
            if not present(exercise_id):
                added = exercises[exercise_id]
                steps.append(RoutineStep(added, added.dose))
    kept = [s for s in steps if allowed(s.exercise)]
    before = {s.exercise.id: s.exercise.name for s in routine.steps}
    after = {s.exercise.id for s in kept}
    left_out = [name for eid, name in before.items() if eid not in after]
    added = [s.exercise.name for s in kept if s.exercise.id not in before]
    adapted = dataclasses.replace(routine, steps=tuple(kept))
    if left_out or added:
        adapted = dataclasses.replace(adapted, intro=intro_for(adapted))
    return adapted, left_out, added


WHERE = {
    "supine": "lying on your back", "side-lying": "on your side",
    "all-fours": "on your hands and knees", "kneeling": "kneeling", "seated": "sitting",
    "standing": "standing",
}


def intro_for(routine: Routine) -> str:
    """An introduction that says only what an adapted routine still does: how many
    exercises, and the positions in their order."""
    if not routine.steps:
        return ""
    places: list[str] = []
    for step in routine.steps:
        where = WHERE[step.exercise.position]
        if not places or places[-1] != where:
            places.append(where)
    count = len(routine.steps)
    plural = "s" * (count != 1)
    if len(places) == 1:
        order = f"All of it is done {places[0]}."
    else:
        order = f"We start {places[0]}, " + "".join(f"then {p}, " for p in places[1:-1]) + (
            f"and finish {places[-1]}.")
    return (f"Today's routine is changed to suit your answers. It has {number_words(count)} "
            f"exercise{plural}. {order}")
