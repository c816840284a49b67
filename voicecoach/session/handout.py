"""Plain-text views of content: the routine list and a printable routine handout."""

from __future__ import annotations

from voicecoach.content.model import Content, Dose, Routine
from voicecoach.session.narration import estimated_seconds
from voicecoach.session.safety_summary import triage_as_dict


def routine_minutes(routine: Routine) -> float:
    """Estimated length of a routine in minutes, computed from the narration plan."""
    return sum(estimated_seconds(s.exercise, s.dose) for s in routine.steps) / 60


def count(n: int, noun: str) -> str:
    """'1 exercise', '3 exercises'."""
    return f"{n} {noun}{'s' * (n != 1)}"


def routine_list(content: Content) -> str:
    lines = []
    for routine in content.routines.values():
        default = " (default)" if routine.id == content.default_routine else ""
        lines.append(
            f"{routine.id}{default}: {routine.name}. {routine.level.capitalize()}, "
            f"{count(len(routine.steps), 'exercise')}, about "
            f"{count(round(routine_minutes(routine)), 'minute')}."
        )
    return "\n".join(lines)


def content_as_dict(content: Content) -> dict[str, object]:
    """Everything as plain data: ids, names, levels, sources, doses, tiers."""

    def dose(d: Dose) -> dict[str, object]:
        spans = {k: [getattr(d, k).low, getattr(d, k).high] for k in
                 ("hold", "breaths", "reps", "sets", "rest", "set_rest") if getattr(d, k)}
        return {**spans, "per_side": d.per_side, "kind": d.kind, "note": d.note}

    return {
        "exercises": [
            {"id": e.id, "name": e.name, "level": e.level, "position": e.position,
             "narrated": e.narrated, "dose": dose(e.dose), "dose_origin": e.dose_origin,
             "sources": list(e.sources), "references": list(e.references),
             "cautions": list(e.cautions)}
            for e in content.exercises.values()
        ],
        "routines": [
            {"id": r.id, "name": r.name, "level": r.level,
             "default": r.id == content.default_routine,
             "minutes": round(routine_minutes(r), 1),
             "steps": [{"exercise": s.exercise.id, "dose": dose(s.dose)} for s in r.steps]}
            for r in content.routines.values()
        ],
        "triage": triage_as_dict(content.triage),
    }


def routine_handout(routine: Routine) -> str:
    """The routine as it would be printed for a patient: order, doses, time, cautions."""
    lines = [
        routine.name,
        f"Level: {routine.level}. About {count(round(routine_minutes(routine)), 'minute')}, "
        f"{count(len(routine.steps), 'exercise')}.",
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
