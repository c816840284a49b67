"""Narration of each dose kind, and exact timing in the coach loop on a fake clock."""

from __future__ import annotations

import dataclasses

import pytest

from tests.shared import RecordingSpeaker, ScriptedListener, content
from voicecoach.coach.loop import Coach
from voicecoach.content.model import Dose, Span
from voicecoach.session.actions import Say, Timed
from voicecoach.session.clock import FakeClock
from voicecoach.session.narration import (
    GET_INTO_POSITION,
    breaths_block,
    estimated_seconds,
    hold_block,
    narrate,
    reps_block,
)

C = content()


def ex(exercise_id: str, **dose):
    exercise = C.exercises[exercise_id]
    return exercise, dataclasses.replace(exercise.dose, **dose) if dose else exercise.dose


def texts(steps) -> list[str]:
    out = []
    for s in steps:
        if isinstance(s, Say):
            out.append(s.text)
        else:
            out += [c.text for c in s.cues] + ([s.end] if s.end else [])
    return out


def test_short_hold_counts_every_second_and_releases_on_time():
    block = hold_block(5, "And relax.")
    assert [c.text for c in block.cues] == ["Hold.", "One.", "Two.", "Three.", "Four."]
    assert [c.at for c in block.cues] == [0, 1, 2, 3, 4]
    assert block.duration == 5 and block.end == "Five. And relax."


def test_long_hold_has_halfway_ten_seconds_left_and_a_final_countdown():
    block = hold_block(30, "And release.", ("Keep breathing.",))
    cues = {c.text: c.at for c in block.cues}
    assert cues["Hold for thirty seconds."] == 0
    assert cues["Halfway."] == 15 and cues["Ten seconds left."] == 20
    assert (cues["Three."], cues["Two."], cues["One."]) == (27, 28, 29)
    assert 0 < cues["Keep breathing."] < 15
    assert block.end == "And release." and block.duration == 30


def test_breaths_are_guided_in_and_out_and_counted():
    block = breaths_block(10, 6.0, "And release.")
    outs = [c for c in block.cues if c.text.startswith("And out.")]
    assert len(outs) == 10 and outs[-1].text == "And out. Ten."
    assert outs[0].at == 3.0 and block.duration == 60.0


def test_reps_at_a_tempo_are_counted():
    block = reps_block(10, 3.0, "Good.")
    assert [c.text for c in block.cues][:3] == ["One.", "Two.", "Three."]
    assert block.duration == 30.0


def test_reps_with_hold_say_each_rep_then_hold():
    exercise, dose = ex("glute_bridge", sets=Span(1, 1))
    steps = list(narrate(exercise, dose))
    reps = [s.text for s in steps if isinstance(s, Say) and s.text.startswith("Rep ")]
    assert len(reps) == 10
    assert reps[0] == f"Rep one of ten. {exercise.action}"
    assert reps[1] == f"Rep two of ten. {exercise.repeat_action}"
    holds = [s for s in steps if isinstance(s, Timed) and s.kind == "hold"]
    assert [h.duration for h in holds] == [3] * 10  # the low end of the seeds' 3-5 s


def test_sets_are_announced_with_a_rest_between():
    exercise, dose = ex("glute_bridge", sets=Span(2, 2), set_rest=Span(30, 30), reps=Span(3, 3))
    steps = list(narrate(exercise, dose))
    said = texts(steps)
    assert "Set one of two." in said and "Set two of two." in said
    rests = [s for s in steps if isinstance(s, Timed) and s.kind == "rest"]
    assert [r.duration for r in rests] == [30]


def test_per_side_exercise_switches_sides_once():
    exercise, dose = ex("standing_quad_stretch")
    said = texts(narrate(exercise, dose))
    assert said.count(exercise.other_side) == 1
    assert said.count("Hold for fifteen seconds.") == 2


def test_rest_between_reps_uses_the_seed_rest():
    exercise, dose = ex("kneeling_hip_flexor_lunge", reps=Span(2, 2))
    steps = list(narrate(exercise, dose))
    rests = [s.duration for s in steps if isinstance(s, Timed) and s.kind == "rest"]
    assert rests == [10, 10]  # one between the two reps, on each side


def test_estimate_grows_with_the_dose():
    exercise, dose = ex("pelvic_tilt")
    more = dataclasses.replace(dose, reps=Span(20, 20))
    assert estimated_seconds(exercise, more) > 1.8 * estimated_seconds(exercise, dose) - 20


@pytest.mark.parametrize("seconds_per_word", [0.0, 0.4, 1.5])
def test_holds_last_exactly_their_length_however_slow_the_speech(seconds_per_word):
    clock = FakeClock()
    speaker = RecordingSpeaker(clock, seconds_per_word)
    coach = Coach(speaker, ScriptedListener([]), clock)
    exercise, dose = ex("childs_pose")
    for step in narrate(exercise, dose):
        coach.perform(step)
    hold_start = next(t for t, s in speaker.said if s == "Hold for thirty seconds.")
    release = next(t for t, s in speaker.said if s == exercise.release)
    assert release - hold_start == pytest.approx(30.0)
    position = [h.planned for h in coach.hold_log if h.kind == "position"]
    assert position == [GET_INTO_POSITION]


def test_counts_that_fall_behind_are_dropped_not_delayed():
    clock = FakeClock()
    speaker = RecordingSpeaker(clock, seconds_per_word=2.5)  # every count overruns its second
    Coach(speaker, ScriptedListener([]), clock).run_timed(hold_block(5, "And relax."))
    release_time = next(t for t, s in speaker.said if s.endswith("And relax."))
    assert release_time == pytest.approx(5.0)
    assert len(speaker.said) < 6


def test_dose_kinds_cover_every_pattern():
    assert Dose(hold=Span(30, 30)).kind == "hold"
    assert Dose(breaths=Span(10, 10)).kind == "breaths"
    assert Dose(reps=Span(10, 10)).kind == "reps"
    assert Dose(reps=Span(10, 10), hold=Span(5, 5)).kind == "reps-with-hold"


def test_the_second_side_mirrors_left_and_right():
    from voicecoach.session.actions import Say

    exercise, dose = ex("step_back_overhead_reach")
    said = [s.text for s in narrate(exercise, dose) if isinstance(s, Say)]
    right = [t for t in said if t.startswith("Step your right foot back")]
    left = [t for t in said if t.startswith("Step your left foot back")]
    assert right and left and len(right) == len(left)
    assert "reach your left arm up overhead" in left[0]


def test_progression_steps_walk_each_range_from_its_low_to_its_high_end():
    from voicecoach.session.progress import dose_at

    _, bridge = ex("glute_bridge")  # catalogue: 10 reps, 1-3 sets, 3-5 s holds
    assert (bridge.sets.low, bridge.sets.high) == (1, 3)
    assert [dose_at(bridge, s).sets.planned for s in (0, 1, 2, 3)] == [1, 2, 3, 3]
    assert [dose_at(bridge, s).hold.planned for s in (0, 1, 2)] == [3, 4, 5]
    assert dose_at(bridge, 1).rest == bridge.rest  # rests do not grow


def test_cautions_come_before_the_setup_and_breath_counted_moves_say_what_to_do():
    from tests.shared import content
    from voicecoach.session.narration import narrate

    exercises = content().exercises
    for exercise in exercises.values():
        if not exercise.narrated or not exercise.cautions:
            continue
        said_lines = [s.text for s in narrate(exercise) if isinstance(s, Say)]
        caution = next(i for i, t in enumerate(said_lines) if t.startswith("Before you start:"))
        assert caution < said_lines.index(exercise.setup[0]), exercise.id
    fold = exercises["seated_wide_leg_forward_fold"]
    fold_lines = [s.text for s in narrate(fold) if isinstance(s, Say)]
    assert fold.action in fold_lines


def test_every_spoken_line_of_the_content_is_a_whole_sentence():
    """A YAML flow list splits at commas ([a, b] is two items): each item must still be a
    sentence, not a fragment."""
    from tests.shared import content

    for exercise in content().exercises.values():
        for line in (*exercise.setup, *exercise.reminders, *exercise.cautions):
            assert line[0].isupper() and line.rstrip().endswith((".", "!", "?")), (
                exercise.id, line)
