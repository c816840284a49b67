"""Groups B1, B2 and C, the combination rules, and routine changes from the answers."""

from __future__ import annotations

import dataclasses

import pytest

from tests.shared import content, drive, said
from voicecoach.content.model import RoutineStep
from voicecoach.session.adapt import WHERE, adapt_routine
from voicecoach.session.run import run_session
from voicecoach.session.words import number_words

C = content()
ROUTINE = C.routines[C.default_routine]
ASKED = [q for q in C.triage.questions_for(first_session=True) if not q.only_if]
BY_ID = {q.id: q for q in C.triage.questions}


def answers(yes: dict[str, list[str]]) -> list[str]:
    """Clear answers, except the given questions get the given replies (after the first)."""
    out: list[str] = []
    for q in ASKED:
        if q.id in yes:
            out += yes[q.id]
        else:
            out.append("yes" if q.flag_if.value == "no" else "no")
    return out


def run(replies: list[str | None], routine=ROUTINE):
    return drive(run_session(C.triage, routine, C.exercises), replies)


def test_b1_is_asked_in_full_then_ends_with_doctor_first():
    outcome, actions = run(answers({"B1-3": ["yes", "yes"], "B1-4": ["yes", "yes"]}))
    assert outcome.ended == "red_flag"
    assert outcome.action == "doctor_first"
    assert outcome.flags[:2] == ["B1-3", "B1-4"]
    assert any(BY_ID["B1-26"].text in t for t in said(actions))  # the whole group was asked
    assert not any(BY_ID["B2-1"].text in t for t in said(actions))  # but not the next group


def test_hot_hip_with_fever_is_an_emergency_by_rule_a15():
    replies = answers({"B1-1": ["yes", "yes", "no"], "B1-20": ["yes", "yes"]})
    outcome, actions = run(replies)
    assert outcome.action == "emergency"
    assert "A15" in outcome.flags
    assert C.triage.actions["emergency"].advice in said(actions)


def test_fever_with_severe_pain_is_urgent_today():
    outcome, _ = run(answers({"B1-1": ["yes", "yes", "yes"]}))
    assert outcome.action == "urgent_today"


def test_investigation_rule_b1_27_needs_all_three_parts():
    three = {"B2-4": ["yes", "yes"], "B2-6": ["yes", "yes"], "B2-7": ["yes", "yes"]}
    outcome, actions = run(answers(three))
    assert "B1-27" in outcome.flags and outcome.action == "doctor_first"
    assert C.triage.investigation_rule in said(actions)
    two = {"B2-4": ["yes", "yes"], "B2-6": ["yes", "yes"]}
    outcome, _ = run([*answers(two), "3", "3"])
    assert "B1-27" not in outcome.flags
    assert outcome.action == "doctor_soon" and outcome.ended == "finished"


def test_doctor_soon_keeps_to_beginner_moves_and_says_so():
    routine = C.routines["hip_mobility"]
    outcome, actions = run([*answers({"B2-4": ["yes", "yes"]}), "2", "2"], routine)
    assert outcome.ended == "finished"
    assert all(C.exercises[e].level == "beginner" for e in outcome.exercises_done)
    assert C.triage.actions["doctor_soon"].advice in said(actions)
    assert any(t.startswith("Today's routine leaves out ") for t in said(actions))


def test_age_counts_only_with_new_pain():
    outcome, _ = run([*answers({"B2-1": ["yes", "yes"]}), "1", "1"])
    assert outcome.ended == "finished" and outcome.action == ""
    outcome, _ = run([*answers({"B2-1": ["yes", "yes"], "B2-3": ["yes", "yes"]}), "1", "1"])
    assert "B2-age-older" in outcome.flags and outcome.action == "doctor_soon"


def test_unclear_in_group_b_counts_as_yes():
    outcome, actions = run(answers({"B1-12": [None, None, None]}))
    assert outcome.action == "doctor_first"
    assert any("I will take it as a yes" in t for t in said(actions))


def test_group_c_changes_the_routine_without_confirmation():
    outcome, actions = run([*answers({"C1": ["yes"]}), "2", "2"])
    assert "side_lying_leg_raise" not in outcome.exercises_done
    assert "supine_figure_4" in outcome.exercises_done
    assert BY_ID["C1"].advice in said(actions)
    assert not any(t.startswith("You said yes to: Has a doctor told you that you have bursitis")
                   for t in said(actions))


def test_two_step_question_is_asked_only_after_its_first_step():
    outcome, actions = run([*answers({"C6a": ["yes", "yes"]}), "2", "2"])
    asked = said(actions)
    assert BY_ID["C6b"].text in asked
    assert "pelvic_tilt" not in outcome.exercises_done  # no lying on the back
    assert "hip_hinge" in outcome.exercises_done


def test_hip_replacement_limits_keep_only_the_safe_set():
    outcome, _ = run([*answers({"C7a": ["yes", "yes"]}), "2", "2"])
    assert outcome.exercises_done == ["pelvic_tilt"]


def test_outer_hip_question_is_skipped_after_bursitis():
    _, actions = run([*answers({"C1": ["yes"]}), "2", "2"])
    assert BY_ID["C2"].text not in said(actions)


def test_nothing_suitable_ends_without_exercise():
    frog = C.exercises["frog_pose"]
    only_frog = dataclasses.replace(ROUTINE, steps=(RoutineStep(frog, frog.dose),))
    outcome, actions = run(answers({"C4": ["yes"]}), only_frog)
    assert outcome.ended == "nothing_suitable"
    assert outcome.exercises_done == []
    assert "Today's routine leaves out one exercise: Frog pose." in said(actions)


@pytest.mark.parametrize("question", [q for q in C.triage.questions if q.group == "C"],
                         ids=lambda q: q.id)
def test_every_change_question_applies_cleanly_to_every_routine(question):
    for routine in C.routines.values():
        adapted, _, _ = adapt_routine(routine, C.exercises, [question])
        ids = [s.exercise.id for s in adapted.steps]
        assert len(ids) == len(set(ids))
        assert not set(ids) & set(question.drops)
        if question.max_level == "beginner":
            assert all(s.exercise.level == "beginner" for s in adapted.steps)


@pytest.mark.parametrize("question", [q for q in C.triage.questions if q.group == "C"],
                         ids=lambda q: q.id)
def test_adaptations_hold_by_construction_in_every_routine(question):
    """No dropped position or exercise is left, keep-only means only, nothing above the level
    cap, and the spoken introduction speaks only of the positions still in the routine."""
    for routine in C.routines.values():
        adapted, left_out, added = adapt_routine(routine, C.exercises, [question])
        left = [s.exercise for s in adapted.steps]
        assert not [e.id for e in left if e.position in question.avoid_positions], routine.id
        assert not [e.id for e in left if e.id in question.drops], routine.id
        if question.keep_only:
            assert {e.id for e in left} <= set(question.keep_only) | set(question.adds)
        if left_out or added:
            intro = adapted.intro
            assert f"It has {number_words(len(left))} exercise" in intro
            for position, words in WHERE.items():
                assert (words in intro) is any(e.position == position for e in left), (
                    routine.id, position, intro)
        else:
            assert adapted.intro == routine.intro


def test_knee_pain_leaves_nothing_kneeling_in_any_routine():
    knees = BY_ID["C4"]
    for routine in C.routines.values():
        adapted, _, _ = adapt_routine(routine, C.exercises, [knees])
        for step in adapted.steps:
            assert step.exercise.position not in ("kneeling", "all-fours"), routine.id
            assert not any("kneel" in line.lower() for line in step.exercise.setup), (
                routine.id, step.exercise.id)
    outcome, actions = run([*answers({"C4": ["yes"]}), "3", "2"], ROUTINE)
    assert outcome.ended == "finished" and "standing_quad_stretch" in outcome.exercises_done
    assert "kneeling_hip_flexor_lunge" not in outcome.exercises_done
    assert not any("Kneel on the mat" in t for t in said(actions))


def test_age_with_long_lasting_pain_alone_keeps_the_gentle_routine():
    """Older than fifty-five with pain for over six weeks, or not getting better, is not the
    seeds' three-part rule: the gentle routine and a doctor soon, not 'no routine'."""
    for second in ("B2-4", "B2-6"):
        outcome, _ = run([*answers({"B2-1": ["yes", "yes"], second: ["yes", "yes"]}), "1", "1"])
        assert outcome.action == "doctor_soon" and outcome.ended == "finished", second
    # with the third part (severe), the seeds' rule applies: see a doctor first
    outcome, _ = run(answers({"B2-1": ["yes", "yes"], "B2-4": ["yes", "yes"],
                              "B2-5": ["yes", "yes"]}))
    assert "B1-27" in outcome.flags and outcome.action == "doctor_first"


def test_an_unclear_scope_answer_says_what_it_was_taken_as():
    outcome, actions = run(["no", None, None, None])
    assert outcome.ended == "out_of_scope"
    assert "so to be safe I will take it as a no." in " ".join(said(actions))
