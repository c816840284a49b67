"""Exercises, routines and doses from YAML mappings into frozen dataclasses."""

from __future__ import annotations

from typing import Any

from voicecoach.content.fields import DOSE_LIMITS, Fields, Problems
from voicecoach.content.model import LEVELS, POSITIONS, Dose, Exercise, Routine, RoutineStep
from voicecoach.content.yamlio import Located

DOSE_KEYS = (
    "hold", "breaths", "reps", "sets", "rest", "set_rest",
    "per_side", "tempo", "breath_seconds", "note",
)


def parse_dose(
    data: Any, problems: Problems, path: str, base: Dose | None = None, narrated: bool = True
) -> Dose:
    f = Fields(data, problems, "dose", path)
    f.unknown_keys(DOSE_KEYS)
    base = base or Dose()
    spans = {key: f.span(key) if key in f.data else getattr(base, key) for key in DOSE_LIMITS}
    dose = Dose(
        **spans,
        per_side=f.flag("per_side", base.per_side),
        tempo=f.number("tempo", base.tempo, 1, 10),
        breath_seconds=f.number("breath_seconds", base.breath_seconds, 3, 12),
        note=f.text("note", base.note or " ") if "note" in f.data else base.note,
    )
    if narrated and dose.hold is None and dose.breaths is None and dose.reps is None:
        f.fail("dose", "needs at least one of hold, breaths or reps")
    return dose


EXERCISE_KEYS = (
    "id", "name", "level", "position", "dose", "setup", "action", "repeat_action", "release",
    "reminders",
    "other_side", "finish", "equipment", "targets", "cautions", "sources", "references",
    "narrated", "default", "dose_origin",
)


DOSE_ORIGINS = ("seed", "external", "assistant")


def parse_exercise(data: Any, problems: Problems, path: str) -> Exercise | None:
    f = Fields(data, problems, "exercise", path)
    f.unknown_keys(EXERCISE_KEYS)
    dose_data = f.data.get("dose")
    if dose_data is None:
        f.fail("dose", "missing (an exercise needs a dose)")
    narrated = f.data.get("narrated", True) is not False
    exercise = Exercise(
        id=f.text("id"),
        name=f.text("name"),
        level=f.choice("level", LEVELS),
        position=f.choice("position", POSITIONS),
        dose=(
            parse_dose(dose_data, problems, path, narrated=narrated) if dose_data is not None
            else Dose()
        ),
        setup=f.texts("setup", required=True),
        action=f.text("action", "Hold."),
        repeat_action=f.text("repeat_action") if "repeat_action" in f.data else "",
        release=f.text("release", "And release."),
        reminders=f.texts("reminders"),
        other_side=f.text("other_side", "Now the other side."),
        finish=f.text("finish", "") if f.data.get("finish") else "",
        equipment=f.texts("equipment"),
        targets=f.texts("targets"),
        cautions=f.texts("cautions"),
        sources=f.texts("sources", required=True),
        references=f.texts("references"),
        narrated=f.flag("narrated", True),
        dose_origin=f.choice("dose_origin", DOSE_ORIGINS, "seed"),
    )
    return exercise if f.ok else None


ROUTINE_KEYS = ("id", "name", "intro", "level", "steps", "default")
MAX_STEPS = 60  # the longest built-in routine has 7


def parse_routine(
    data: Any, problems: Problems, path: str, exercises: dict[str, Exercise]
) -> tuple[Routine | None, bool]:
    f = Fields(data, problems, "routine", path)
    f.unknown_keys(ROUTINE_KEYS)
    steps: list[RoutineStep] = []
    raw_steps = f.data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        f.fail("steps", "must be a non-empty list of exercises")
        raw_steps = []
    elif len(raw_steps) > MAX_STEPS:
        f.fail("steps", f"{len(raw_steps)} exercises; a routine has at most {MAX_STEPS}")
        raw_steps = []
    for raw in raw_steps:
        if isinstance(raw, str):
            raw = Located({"exercise": raw})
            raw.path, raw.line, raw.key_lines = f.data.path, f.data.line_of("steps"), {}
        step = Fields(raw, problems, "step", path)
        step.unknown_keys(("exercise", "dose"))
        exercise_id = step.text("exercise")
        exercise = exercises.get(exercise_id)
        if exercise is None:
            if exercise_id:
                step.fail("exercise", f"unknown exercise id {exercise_id!r}")
            f.ok = False
            continue
        if not exercise.narrated:
            step.fail("exercise", f"{exercise_id!r} is an activity, not a narrated exercise")
            f.ok = False
            continue
        dose = exercise.dose
        if "dose" in step.data:
            dose = parse_dose(step.data["dose"], problems, path, base=exercise.dose)
        f.ok = f.ok and step.ok
        steps.append(RoutineStep(exercise, dose))
    routine = Routine(
        id=f.text("id"),
        name=f.text("name"),
        intro=f.text("intro"),
        level=f.choice("level", LEVELS),
        steps=tuple(steps),
        path=path,
    )
    return (routine if f.ok else None), f.flag("default", False)
