"""Plain-text views of content: the routine list and a printable routine handout."""

from __future__ import annotations

from voicecoach.model import Content, Routine
from voicecoach.narration import estimated_seconds


def routine_minutes(routine: Routine) -> float:
    """Estimated length of a routine in minutes, computed from the narration plan."""
    return sum(estimated_seconds(s.exercise, s.dose) for s in routine.steps) / 60


def routine_list(content: Content) -> str:
    lines = []
    for routine in content.routines.values():
        default = " (default)" if routine.id == content.default_routine else ""
        lines.append(
            f"{routine.id}{default}: {routine.name}. {routine.level.capitalize()}, "
            f"{len(routine.steps)} exercises, about {round(routine_minutes(routine))} minutes."
        )
    return "\n".join(lines)


def routine_handout(routine: Routine) -> str:
    """The routine as it would be printed for a patient: order, doses, time, cautions."""
    lines = [
        routine.name,
        f"Level: {routine.level}. About {round(routine_minutes(routine))} minutes, "
        f"{len(routine.steps)} exercises.",
        "",
        routine.intro,
        "",
    ]
    for number, step in enumerate(routine.steps, start=1):
        exercise = step.exercise
        minutes = estimated_seconds(exercise, step.dose) / 60
        lines.append(f"{number}. {exercise.name} ({exercise.position}, about {minutes:.1f} min)")
        lines.append(f"   Dose: {step.dose.describe()}.")
        if step.dose.note:
            lines.append(f"   From the sources: {step.dose.note}")
        for setup in exercise.setup:
            lines.append(f"   - {setup}")
        lines.append(f"   - {exercise.action}")
        for caution in exercise.cautions:
            lines.append(f"   Caution: {caution}")
        lines.append(f"   Sources: {', '.join(exercise.sources)}")
        lines.append("")
    lines.append(
        "Stop any exercise that causes sharp or severe pain. If back pain gets worse or spreads "
        "into a leg, stop and get it checked."
    )
    return "\n".join(lines)
