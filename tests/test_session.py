"""The pure session core: every exit of the triage, unclear answers, pain checks, stop."""

from __future__ import annotations

import pytest

from tests.shared import content, drive, said
from voicecoach.session.actions import Ask, Outcome
from voicecoach.session.pain import RISE_LARGE, RISE_SEVERE, RISE_SMALL, SEVERE_START
from voicecoach.session.run import run_session
from voicecoach.session.words import number_words

C = content()
ROUTINE = C.routines[C.default_routine]
QUESTIONS = [q.id for q in C.triage.questions_for(first_session=True) if not q.only_if]
CLEAR = {"S-1": "no", "S-2": "yes"}  # the answers that raise no flag
QUESTION_TEXT = {q.id: q.text for q in C.triage.questions}


def answers_until(question_id: str) -> list[str]:
    """Clear answers for every question before `question_id`."""
    out = []
    for qid in QUESTIONS:
        if qid == question_id:
            return out
        out.append(CLEAR.get(qid, "no"))
    raise KeyError(question_id)


def rest_of_group_a(question_id: str) -> list[str]:
    """Clear answers for the emergency questions after `question_id`: group A is asked in full
    unless an emergency is already certain."""
    group_a = [q for q in QUESTIONS if q.startswith("A")]
    return ["no"] * (len(group_a) - group_a.index(question_id) - 1)


def all_clear() -> list[str]:
    return [CLEAR.get(q, "no") for q in QUESTIONS]


def run(replies: list[str | None]):
    return drive(run_session(C.triage, ROUTINE, C.exercises), replies)


def test_all_clear_runs_every_exercise_and_both_pain_checks():
    outcome, actions = run([*all_clear(), "3", "2"])
    assert outcome.ended == "finished"
    assert outcome.exercises_done == [s.exercise.id for s in ROUTINE.steps]
    assert (outcome.pain_before, outcome.pain_after) == (3, 2)
    assert outcome.flags == []
    text = said(actions)
    assert text[0] == C.triage.welcome and text[1] == C.triage.limits
    assert "Some muscle soreness" in text[-1]


@pytest.mark.parametrize("question", [q for q in C.triage.questions if q.group == "A"],
                         ids=lambda q: q.id)
def test_each_group_a_yes_is_confirmed_then_acted_on(question):
    replies = [*answers_until(question.id), "yes", "yes"]
    if question.followup:
        replies.append("no" if question.followup_flag_if.value == "yes" else "yes")
    if question.action != "emergency":
        replies += rest_of_group_a(question.id)
    outcome, actions = run(replies)
    assert outcome.ended == "red_flag"
    assert outcome.flags == [question.id]
    assert outcome.action == question.action
    assert outcome.exercises_done == []
    asks = [a.text for a in actions if isinstance(a, Ask)]
    confirmation = f"You said yes to: {question.text}"
    assert asks[asks.index(question.text) + 1].startswith(confirmation)
    assert C.triage.actions[question.action].advice in said(actions)
    assert not any("Exercise one" in t for t in said(actions))


@pytest.mark.parametrize(
    ("qid", "followup_reply", "expected"),
    [
        ("A11", "yes", "emergency"),  # new or worse dragging foot
        ("A11", "no", "urgent_today"),
        ("A11", None, "emergency"),  # unclear takes the more severe
        ("A17", "yes", "urgent_today"),  # long-standing cold leg
        ("A17", "no", "emergency"),
        ("A17", None, "emergency"),
    ],
)
def test_followups_pick_the_action_and_unclear_takes_the_more_severe(qid, followup_reply,
                                                                        expected):
    follow = [followup_reply] * (3 if followup_reply is None else 1)
    rest = rest_of_group_a(qid) if expected != "emergency" else []
    outcome, _ = run([*answers_until(qid), "yes", "yes", *follow, *rest])
    assert outcome.action == expected


def test_scope_questions_end_out_of_scope():
    outcome, _ = run(["yes", "yes"])
    assert outcome.ended == "out_of_scope"
    assert outcome.action == "out_of_scope"
    outcome, _ = run(["no", "no", "yes"])  # S-2 flags on "no"
    assert outcome.ended == "out_of_scope"
    assert outcome.flags == ["S-2"]


def test_unclear_three_times_is_treated_as_the_cautious_answer():
    outcome, actions = run([*answers_until("A1"), None, "timeout", None,
                            *rest_of_group_a("A1")])
    assert outcome.ended == "red_flag"
    assert outcome.action == "urgent_today"  # group A's unclear action
    asks = [a.text for a in actions if isinstance(a, Ask)]
    first = asks.index(QUESTION_TEXT["A1"])
    assert asks[first + 1].startswith("Sorry, I did not understand.")
    assert asks[first + 2].startswith("Sorry, I did not hear an answer.")
    assert any(t.startswith("I could not hear your answer to: Do you have numbness")
               and "call your emergency number now" in t for t in said(actions))
    assert len(asks) == first + 3 + len(rest_of_group_a("A1"))  # every other sign still asked


def test_unclear_then_clear_no_continues():
    outcome, _ = run([*answers_until("A1"), None, "no", *all_clear()[len(answers_until("A1")) + 1:],
                      "1", "1"])
    assert outcome.ended == "finished"


def test_denied_confirmation_asks_again_and_accepts_no():
    replies = [*answers_until("A3"), "yes", "no", "no"]
    replies += [*all_clear()[len(answers_until("A3")) + 1:], "4", "4"]
    outcome, actions = run(replies)
    assert outcome.ended == "finished"
    assert any(a.text.startswith("Let us try once more.") for a in actions if isinstance(a, Ask))


@pytest.mark.parametrize("reconfirm", [["no", "yes"], [None, None, None], ["no", None, None, None]])
def test_unclear_or_repeated_yes_after_confirmation_still_flags(reconfirm):
    rest = rest_of_group_a("A3") if reconfirm[-1] is None and reconfirm[0] == "no" else []
    outcome, _ = run([*answers_until("A3"), "yes", *reconfirm, *rest])
    assert outcome.ended == "red_flag"
    assert outcome.flags == ["A3"]


def test_repeat_asks_again_without_using_up_a_try():
    outcome, actions = run(["repeat", "repeat", *all_clear(), "2", "2"])
    assert outcome.ended == "finished"
    asks = [a.text for a in actions if isinstance(a, Ask)]
    assert asks[:3] == ["Are you under sixteen?"] * 3


def test_stop_ends_the_session_cleanly_with_no_exercise():
    outcome, actions = run(["no", "stop"])
    assert outcome.ended == "stopped"
    assert outcome.exercises_done == []
    assert "Stopping now" in said(actions)[-1]


def test_unclear_pain_is_left_out_and_said_so():
    outcome, actions = run([*all_clear(), None, None, None, "5"])
    assert outcome.pain_before is None and outcome.pain_after == 5
    assert any("leave the pain score out" in t for t in said(actions))


@pytest.mark.parametrize(("before", "after", "advice"), [
    ("2", "4", RISE_SMALL), ("2", "3", None), ("5", "1", None), ("1", "5", RISE_LARGE),
    ("3", "6", RISE_SMALL), ("5", "8", RISE_SEVERE), ("0", "10", RISE_SEVERE)])
def test_a_pain_rise_gets_advice_graded_by_how_much(before, after, advice):
    _, actions = run([*all_clear(), before, after])
    text = said(actions)
    given = [t for t in text if t in (RISE_SMALL, RISE_LARGE, RISE_SEVERE)]
    assert given == ([advice] if advice else [])
    assert ("Some muscle soreness after exercise is normal" in text[-1]) is (advice is None)


@pytest.mark.parametrize(("replies", "ended", "routine"), [
    (["yes"], "rested", None),  # would rather rest
    ([None, None, None], "rested", None),  # unclear: the gentler way
    (["no", "yes"], "finished", "gentle_flare_up"),  # the flare-up routine instead
    (["no", "no"], "finished", ROUTINE.id),  # on with today's routine
])
def test_a_severe_starting_pain_is_met_with_advice_before_any_routine(replies, ended, routine):
    gentle = C.routines["gentle_flare_up"]
    after = ["2"] if ended == "finished" else []
    outcome, actions = drive(run_session(C.triage, ROUTINE, C.exercises, gentle=gentle),
                             [*all_clear(), "9", *replies, *after])
    assert outcome.ended == ended
    assert SEVERE_START in said(actions)
    ran = C.routines[routine].steps if routine else ()
    assert outcome.exercises_done == [s.exercise.id for s in ran]


def test_i_dont_know_is_asked_again_and_never_counts_as_no():
    outcome, actions = run([*answers_until("A1"), "unsure", "unsure", "unsure",
                            *rest_of_group_a("A1")])
    assert outcome.ended == "red_flag"  # still unclear after three tries: the cautious answer
    asks = [a.text for a in actions if isinstance(a, Ask)]
    assert asks[asks.index(QUESTION_TEXT["A1"]) + 2].startswith(
        "That is all right; take a moment.")


def test_when_no_full_screening_is_due_only_every_session_groups_are_asked():
    from voicecoach.session.run import CHANGED_QUESTION

    every = {g.id for g in C.triage.groups if g.every_session}
    short = [q for q in C.triage.questions_for(False) if not q.only_if]
    assert {q.group for q in short} == every
    replies = ["no", *[CLEAR.get(q.id, "no") for q in short], "3", "2"]
    outcome, actions = drive(run_session(C.triage, ROUTINE, C.exercises,
                                         full_screening_due=False), replies)
    assert outcome.ended == "finished"
    asks = [a.text for a in actions if isinstance(a, Ask)]
    assert asks[0] == CHANGED_QUESTION
    assert len(asks) == 1 + len(short) + 2


@pytest.mark.parametrize("answer", ["yes", None])
def test_a_change_or_an_unclear_answer_brings_back_every_question(answer):
    from voicecoach.session.run import CHANGED_QUESTION

    replies = [answer] * (3 if answer is None else 1) + [*all_clear(), "3", "2"]
    outcome, actions = drive(run_session(C.triage, ROUTINE, C.exercises,
                                         full_screening_due=False), replies)
    assert outcome.ended == "finished"
    asks = [a.text for a in actions if isinstance(a, Ask)]
    assert CHANGED_QUESTION in asks[0]
    assert len([a for a in asks if CHANGED_QUESTION not in a]) == len(QUESTIONS) + 2


def rating(replies: list[str | None]) -> tuple[int | None, list[object]]:
    from voicecoach.session.asking import ask_pain

    value: list[int | None] = []

    def script():
        value.append((yield from ask_pain("How much pain?", confirm=True)))
        return Outcome(ended="finished")

    _, actions = drive(script(), replies)
    return value[0], actions


@pytest.mark.parametrize(("replies", "expected", "asked"), [
    (["3", "yes"], 3, 2),  # read back, confirmed
    (["8", "no", "3"], 3, 3),  # misheard: said again, and taken without a second read-back
    (["3", None, None, None], 3, 4),  # an unclear reply to the read-back keeps the rating
    (["8", "no", None, None, None], None, 5),  # the second try not understood: left out
])
def test_spoken_pain_ratings_are_read_back(replies, expected, asked):
    value, actions = rating(replies)
    asks = [a.text for a in actions if isinstance(a, Ask)]
    assert value == expected and len(asks) == asked
    assert asks[1].startswith("I heard ")
    if expected is not None:
        assert said(actions)[-1] == f"Thank you, {number_words(expected)}."


def test_an_unclear_emergency_answer_means_the_same_on_the_first_ask_and_the_second():
    """Unclear at once, or unclear when asked again after 'no, that is wrong': one outcome,
    one message, and the other emergency questions still asked."""
    first, first_actions = run([*answers_until("A3"), None, None, None, *rest_of_group_a("A3")])
    second, second_actions = run([*answers_until("A3"), "yes", "no", None, None, None,
                                  *rest_of_group_a("A3")])
    assert first.action == second.action == "urgent_today"
    assert first.flags == second.flags == ["A3"]
    message = [t for t in said(first_actions) if t.startswith("I could not hear your answer")]
    assert message and message == [t for t in said(second_actions)
                                   if t.startswith("I could not hear your answer")]
