"""Progression, as the seeds describe it: start at the gentle end of each range (one set of ten
bridges, the shorter hold) and build toward its top (two to three sets, the longer hold) only
after a run of sessions that went well. Pure: doses in, doses out."""

from __future__ import annotations

import math
from dataclasses import replace

from voicecoach.content.model import Dose, Routine, Span

TOP_STEP = 2  # step 0 is the low end of every range, step 2 the high end
RUN_BEFORE_OFFER = 3  # finished sessions in a row, pain not rising, nothing stopped for pain
# The seeds' time rule: reassess after about three weeks (seed 003_9d9706cbf0e0a870.txt, as
# content/exercises.md section 3 reads it): more is offered only once the routine has been done
# at its present level for this long, however many sessions that took.
DAYS_BEFORE_OFFER = 21
PROGRESSIVE = ("hold", "breaths", "reps", "sets")  # rests stay at their planned length


def _at(span: Span | None, step: int, round_to: int = 1) -> Span | None:
    if span is None or span.low == span.high:
        return span
    value = span.low + (span.high - span.low) * step / TOP_STEP
    value = min(span.high, math.ceil(value / round_to) * round_to)
    return Span(value, value)


def dose_at(dose: Dose, step: int) -> Dose:
    """The dose `step` steps up its ranges (0 = as planned)."""
    step = max(0, min(TOP_STEP, step))
    if step == 0:
        return dose
    def rounding(name: str) -> int:  # long holds grow in five-second steps: 15, 25, 30
        span = getattr(dose, name)
        return 5 if name == "hold" and span is not None and span.high - span.low >= 10 else 1

    return replace(dose, **{name: _at(getattr(dose, name), step, rounding(name))
                            for name in PROGRESSIVE})


def routine_at(routine: Routine, step: int) -> Routine:
    return replace(routine, steps=tuple(replace(s, dose=dose_at(s.dose, step))
                                        for s in routine.steps))


def went_well(ended: str | None, before: int | None, after: int | None, stopped: int) -> bool:
    """A session that counts toward progression: finished, pain known and not up, no stops."""
    return (ended == "finished" and before is not None and after is not None
            and after <= before and stopped == 0)
