"""Turn an exercise and its dose into spoken steps with exactly timed holds, counts and rests.

Pure: no clock, no audio. Timing lives in `Timed` blocks whose cues have planned offsets, so a
30-second hold lasts 30 seconds from "hold" to "release" however long the speech takes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from voicecoach.content.model import Dose, Exercise
from voicecoach.session.actions import Cue, Say, Timed
from voicecoach.session.words import capitalized, number_words, seconds_words

# Pacing the seeds leave open, chosen for speech (assistant defaults, not clinical facts).
COUNT_EVERY_SECOND_UP_TO = 10  # holds this short are counted aloud second by second
GET_INTO_POSITION = 5.0  # seconds of quiet after the setup cues
GAP_BETWEEN_REPS = 3.0  # seconds to relax between reps when the seeds give no rest
SPEECH_WORDS_PER_SECOND = 2.8  # about 170 words a minute, for time estimates only
DEFAULT_ACTION = "Hold."  # an exercise's action when its YAML gives none


def narrate(exercise: Exercise, dose: Dose | None = None,
            brief: bool = False) -> Iterator[Say | Timed]:
    """The whole exercise: introduction, setup, each side, each set and rep, and the finish.

    Brief leaves out the reminders spoken during holds; setup, cautions and counts stay.
    """
    dose = dose or exercise.dose
    if brief:
        exercise = dataclasses.replace(exercise, reminders=())
    yield Say(exercise.name + ".")
    if exercise.cautions:  # before the person gets into the pose, not once they are in it
        yield Say("Before you start: " + " ".join(exercise.cautions))
    sides = 2 if dose.per_side else 1
    sets = round(dose.sets.planned) if dose.sets else 1
    for side in range(sides):
        if side == 0:
            for line in exercise.setup:
                yield Say(line)
        else:
            yield Say(exercise.other_side)
        yield Timed(GET_INTO_POSITION, (), "", kind="position")
        this_side = exercise if side == 0 else other_side_of(exercise)
        for set_number in range(1, sets + 1):
            if sets > 1:
                yield Say(f"Set {number_words(set_number)} of {number_words(sets)}.")
            yield from _one_set(this_side, dose)
            if set_number < sets:
                yield rest_block(dose.set_rest.planned if dose.set_rest else 60.0)
    if exercise.finish:
        yield Say(exercise.finish)


def swap_sides(text: str) -> str:
    """Left for right and right for left: the same instruction for the other side."""
    return re.sub(r"\b(left|right|Left|Right)\b",
                  lambda m: {"left": "right", "right": "left", "Left": "Right",
                             "Right": "Left"}[m.group(1)], text)


def other_side_of(exercise: Exercise) -> Exercise:
    """The exercise as spoken for its second side: action, repeats and reminders mirrored."""
    return dataclasses.replace(
        exercise, action=swap_sides(exercise.action),
        repeat_action=swap_sides(exercise.repeat_action) if exercise.repeat_action else
        exercise.repeat_action,
        reminders=tuple(swap_sides(r) for r in exercise.reminders),
        release=swap_sides(exercise.release),
    )


def _one_set(exercise: Exercise, dose: Dose) -> Iterator[Say | Timed]:
    kind = dose.kind
    short = dose.hold is not None and round(dose.hold.planned) <= COUNT_EVERY_SECOND_UP_TO
    if kind == "breaths":
        if exercise.action != DEFAULT_ACTION:  # the move itself, then the breaths
            yield Say(exercise.action)
        if exercise.reminders:  # breaths are counted aloud: no room for reminders in them
            yield Say(" ".join(exercise.reminders))
        yield breaths_block(round(dose.breaths.planned), dose.breath_seconds, exercise.release)
    elif kind == "hold":
        yield Say(exercise.action)
        if short and exercise.reminders:  # a counted hold has no room for them
            yield Say(" ".join(exercise.reminders))
        yield hold_block(dose.hold.planned, exercise.release, exercise.reminders)
    elif kind == "reps":
        reps = round(dose.reps.planned)
        yield Say(f"{exercise.action} {capitalized(number_words(reps))} times, with my count.")
        yield reps_block(reps, dose.tempo, exercise.release)
    else:  # reps-with-hold
        reps = round(dose.reps.planned)
        for rep in range(1, reps + 1):
            action = exercise.action if rep == 1 else exercise.repeat_action or exercise.action
            yield Say(f"Rep {number_words(rep)} of {number_words(reps)}. {action}")
            reminders = exercise.reminders if rep == 1 else ()
            if short and reminders:
                yield Say(" ".join(reminders))
            yield hold_block(dose.hold.planned, exercise.release, reminders)
            if rep < reps:
                if dose.rest:
                    yield rest_block(dose.rest.planned)
                else:
                    yield Timed(GAP_BETWEEN_REPS, (), "", kind="gap")


def hold_block(seconds: float, release: str, reminders: tuple[str, ...] = ()) -> Timed:
    """A hold: short ones counted each second, long ones with halfway and 'ten seconds left'."""
    n = round(seconds)
    if n <= COUNT_EVERY_SECOND_UP_TO:
        cues = [Cue(0, "Hold.", droppable=False)]
        cues += [Cue(k, _count(k)) for k in range(1, n)]
        return Timed(n, tuple(cues), f"{capitalized(number_words(n))}. {release}")
    cues = [Cue(0, f"Hold for {seconds_words(n)}.", droppable=False)]
    fixed: list[Cue] = []
    if n >= 30:
        fixed.append(Cue(n / 2, "Halfway."))
    if n >= 20:
        fixed.append(Cue(n - 10, "Ten seconds left."))
    else:
        fixed.append(Cue(n - 5, "Five seconds left."))
    fixed += [Cue(n - k, _count(k)) for k in (3, 2, 1)]
    cues += _fit_reminders(reminders, fixed, start=4.0)
    return Timed(n, tuple(sorted(cues + fixed, key=lambda c: c.at)), release)


def _fit_reminders(reminders: tuple[str, ...], fixed: list[Cue], start: float) -> list[Cue]:
    """Place reminders where they fit between other cues, a second clear of each."""
    busy = [(c.at - 1, c.at + _speech_seconds(c.text) + 1) for c in fixed]
    last = max(c.at for c in fixed)
    placed: list[Cue] = []
    t = start
    for text in reminders:
        needed = _speech_seconds(text)
        while t < last and any(a < t + needed and t < b for a, b in busy):
            t += 0.5
        if t >= last:
            break
        placed.append(Cue(t, text))
        busy.append((t - 1, t + needed + 2))
    return placed


def breaths_block(breaths: int, seconds_per_breath: float, release: str) -> Timed:
    """Guided slow breaths: 'breathe in' then 'and out' with the breath's number."""
    cues = [Cue(0, f"Take {number_words(breaths)} slow, deep breaths. Breathe in.", False)]
    half = seconds_per_breath / 2
    for i in range(breaths):
        if i:
            cues.append(Cue(i * seconds_per_breath, "In."))
        cues.append(Cue(i * seconds_per_breath + half, f"And out. {_count(i + 1)}"))
    return Timed(breaths * seconds_per_breath, tuple(cues), release, kind="breaths")


def reps_block(reps: int, tempo: float, release: str) -> Timed:
    """Reps at a steady tempo, each counted aloud."""
    cues = [Cue(i * tempo, _count(i + 1), droppable=i > 0) for i in range(reps)]
    return Timed(reps * tempo, tuple(cues), release or "Good.", kind="reps")


def rest_block(seconds: float) -> Timed:
    """A rest, with a warning shortly before the next effort."""
    n = round(seconds)
    cues = [Cue(0, f"Rest for {seconds_words(n)}.", droppable=False)]
    if n >= 20:
        cues.append(Cue(n - 5, "Get ready."))
    return Timed(n, tuple(cues), "", kind="rest")


def estimated_seconds(exercise: Exercise, dose: Dose | None = None) -> float:
    """Planned length of an exercise: timed blocks plus speech at a typical rate."""
    total = 0.0
    for step in narrate(exercise, dose):
        if isinstance(step, Timed):
            total += step.duration + _speech_seconds(step.end)
        else:
            total += _speech_seconds(step.text)
    return total


def _count(n: int) -> str:
    return capitalized(number_words(n)) + "."


def _speech_seconds(text: str) -> float:
    return len(text.split()) / SPEECH_WORDS_PER_SECOND + (0.3 if text else 0.0)
