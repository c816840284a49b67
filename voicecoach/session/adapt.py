"""Change a routine to suit the screening: drops, swaps, additions and a level cap. Pure."""

from __future__ import annotations

import dataclasses

from voicecoach.content.model import LEVELS, Exercise, Question, Routine, RoutineStep


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
    return dataclasses.replace(routine, steps=tuple(kept)), left_out, added
