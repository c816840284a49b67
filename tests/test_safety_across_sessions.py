"""Safety as scenarios across sessions: one data folder, several runs of `voicecoach start`.

What the coach learned about a person (a fever, a hip replacement, an emergency sign heard
just before the input ended) must still hold the next time, until it is cleared in words.
"""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from tests.shared import content
from voicecoach.cli.main import cli
from voicecoach.history.store import FILE_NAME
from voicecoach.session.memory import CLEARANCE_QUESTION
from voicecoach.session.run import CHANGED_QUESTION
from voicecoach.session.symptoms import NONE_FOUND, STOPPED_FOR_SYMPTOM, SYMPTOM_QUESTIONS

C = content()
FULL = [q for q in C.triage.questions_for(True) if not q.only_if]
EVERY = [q for q in FULL if C.triage.group(q.group).every_session]
TEXT = {q.id: q.text for q in C.triage.questions}
ADVICE = {a.id: a.advice for a in C.triage.actions.values()}
FAST = ["start", "--text", "--time-scale", "0.001", "--routine", "beginner_back_hip"]


def clear(question) -> str:
    return "yes" if question.flag_if.value == "no" else "no"


def answers(questions, special: dict[str, list[str]] | None = None) -> list[str]:
    """Clear answers to `questions`, except the replies given for some of them."""
    special = special or {}
    out: list[str] = []
    for q in questions:
        out += special.get(q.id, [clear(q)])
    return out


def session(*replies: str | list[str]):
    flat: list[str] = []
    for r in replies:
        flat += r if isinstance(r, list) else [r]
    result = CliRunner().invoke(cli, FAST, input="\n".join(flat) + "\n")
    return result


def flags(folder) -> list[tuple[str, str, bool]]:
    with sqlite3.connect(folder / FILE_NAME) as con:
        rows = con.execute("SELECT flag, action, cleared_at IS NULL FROM safety_flags "
                           "ORDER BY id").fetchall()
    return [(f, a, bool(live)) for f, a, live in rows]


def test_a_fever_keeps_the_routine_away_until_a_doctor_has_checked_it(private_data_dir):
    first = session(answers(FULL, {"B1-1": ["yes", "yes", "no"]}))
    assert ADVICE["doctor_first"] in first.output and "Exercise one" not in first.output
    assert flags(private_data_dir) == [("B1-1", "doctor_first", True)]

    # a minute later: asked about the fever first; not checked yet, so still no routine,
    # but the emergency signs are still asked
    second = session("no", answers(EVERY))
    assert second.exit_code == 0, second.output
    assert f"Last time you answered yes to: {TEXT['B1-1']} {CLEARANCE_QUESTION}" in second.output
    assert ADVICE["doctor_first"] in second.output and "Exercise one" not in second.output
    assert all(q.text in second.output for q in EVERY)
    assert TEXT["B1-2"] not in second.output  # nothing else is asked when the session ends

    # checked and cleared (confirmed): the full screening again, the fever asked afresh
    third = session("yes", "yes", answers(FULL), "3", "2")
    assert third.exit_code == 0, third.output
    assert TEXT["B1-1"] in third.output and "Exercise one of seven" in third.output
    assert flags(private_data_dir) == [("B1-1", "doctor_first", False)]

    fourth = session("no", answers(EVERY), "3", "2")
    assert CLEARANCE_QUESTION not in fourth.output and "Exercise one of seven" in fourth.output


def test_an_unconfirmed_clearance_keeps_the_flag(private_data_dir):
    session(answers(FULL, {"B1-1": ["yes", "yes", "no"]}))
    second = session("yes", "no", answers(EVERY))  # "yes"... "no, that is not right"
    assert ADVICE["doctor_first"] in second.output and "Exercise one" not in second.output
    assert flags(private_data_dir) == [("B1-1", "doctor_first", True)]


def test_a_hip_replacement_with_limits_keeps_the_routine_safe_next_time(private_data_dir):
    first = session(answers(FULL, {"C7a": ["yes", "yes"]}), "3", "2")
    assert "Exercise one of one" in first.output and "Pelvic tilt" in first.output
    second = session("no", answers(EVERY), "3", "2")
    assert second.exit_code == 0, second.output
    assert CHANGED_QUESTION in second.output
    assert "Exercise one of one" in second.output and "Exercise two" not in second.output
    assert "keeping the changes to your routine" in second.output
    # fourteen days on, the full screening asks again; a clear no lifts the limits
    with sqlite3.connect(private_data_dir / FILE_NAME) as con:
        con.execute("UPDATE steps SET at = at - 15 * 86400 WHERE kind = 'screening'")
    third = session(answers(FULL), "3", "2")
    assert "Exercise one of seven" in third.output
    assert flags(private_data_dir) == [("C7b", "modify", False)]


def test_a_cleared_lifetime_question_is_not_asked_again_unless_something_changed(
        private_data_dir):
    first = session(answers(FULL, {"B1-5": ["yes", "yes", "no"]}))  # treated for cancer once
    assert ADVICE["doctor_first"] in first.output
    second = session("yes", "yes", answers([q for q in FULL if q.id != "B1-5"]), "3", "2")
    assert second.exit_code == 0, second.output
    assert TEXT["B1-5"] not in second.output.split(CLEARANCE_QUESTION)[1]
    assert "Exercise one of seven" in second.output
    # a full screening due by time: asked whether anything changed; "no" keeps it out
    with sqlite3.connect(private_data_dir / FILE_NAME) as con:
        con.execute("UPDATE steps SET at = at - 15 * 86400 WHERE kind = 'screening'")
    third = session("no", answers([q for q in FULL if q.id != "B1-5"]), "3", "2")
    assert CHANGED_QUESTION in third.output and TEXT["B1-5"] not in third.output
    assert "Exercise one of seven" in third.output
    # something changed: it is asked again
    fourth = session("yes", answers(FULL), "3", "2")
    assert TEXT["B1-5"] in fourth.output


def test_input_ending_while_an_emergency_sign_is_confirmed_still_gives_its_advice(
        private_data_dir):
    result = CliRunner().invoke(cli, FAST, input="no\nyes\nyes\n")  # A1 yes, then nothing
    assert result.exit_code == 4
    assert f"Before we stop: you said yes to: {TEXT['A1']}" in result.output
    assert ADVICE["emergency"] in result.output
    assert "Input ended before the session finished" in result.output
    assert flags(private_data_dir) == [("A1", "emergency", True)]
    # and the next session starts by asking about it
    second = session("no", answers(EVERY))
    assert f"Last time you answered yes to: {TEXT['A1']}" in second.output
    assert ADVICE["emergency"] in second.output and "Exercise one" not in second.output


def test_stop_while_an_emergency_sign_is_confirmed_still_gives_its_advice(private_data_dir):
    result = session("no", "yes", "yes", "stop")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index(ADVICE["emergency"]) < out.index("Stopping now, as you asked.")
    assert flags(private_data_dir) == [("A1", "emergency", True)]


def test_an_unclear_emergency_answer_hides_none_of_the_others(private_data_dir):
    a_questions = [q for q in FULL if q.group == "A"]
    replies = answers([q for q in FULL if q.group == "scope"])
    replies += answers(a_questions, {"A1": ["maybe", "maybe", "maybe"], "A7": ["yes", "yes"]})
    result = session(replies)
    out = result.output
    assert "I could not hear your answer to: " + TEXT["A1"] in out
    assert all(q.text in out for q in a_questions[: a_questions.index(
        next(q for q in a_questions if q.id == "A7")) + 1])
    assert ADVICE["emergency"] in out and ADVICE["urgent_today"] not in out  # the worst wins
    assert {f for f, _a, live in flags(private_data_dir) if live} == {"A1", "A7"}
    # the unclear one is asked again next time, not held against the person for ever
    second = session("no", "no", answers(EVERY))
    assert f"Last time you answered yes to: {TEXT['A7']}" in second.output
    assert f"Last time you answered yes to: {TEXT['A1']}" not in second.output


def test_the_safety_command_lists_clears_and_rearms_by_keyboard(private_data_dir):
    import json

    runner = CliRunner()
    assert runner.invoke(cli, ["safety"]).output == "No safety flags have been raised.\n"
    session(answers(FULL, {"B1-5": ["yes", "yes", "no"]}))
    listing = runner.invoke(cli, ["safety"])
    assert listing.exit_code == 0
    assert listing.output.splitlines()[1].startswith("  B1-5: see a doctor before exercising")
    assert TEXT["B1-5"] in listing.output
    assert "B1-5" in runner.invoke(cli, ["history"]).output  # the history shows it too
    # a "no" at the confirmation keeps it
    kept = runner.invoke(cli, ["safety", "clear", "B1-5"], input="n\n")
    assert "B1-5 stays in force." in kept.output
    assert flags(private_data_dir) == [("B1-5", "doctor_first", True)]
    done = runner.invoke(cli, ["safety", "clear", "B1-5"], input="y\n")
    assert done.exit_code == 0 and "B1-5 cleared." in done.output
    data = json.loads(runner.invoke(cli, ["safety", "list", "--json"]).output)
    assert data[0]["flag"] == "B1-5" and data[0]["cleared_how"] == "keyboard"
    # cleared by keyboard: the next session neither asks about it nor asks it again
    second = session("no", answers([q for q in FULL if q.id != "B1-5"]), "3", "2")
    assert CHANGED_QUESTION in second.output
    assert TEXT["B1-5"] not in second.output and "Exercise one of seven" in second.output
    again = runner.invoke(cli, ["safety", "clear", "B1-5", "--yes"])
    assert again.exit_code == 1 and "is not in force" in again.output
    assert runner.invoke(cli, ["safety", "rearm", "B1-5"]).exit_code == 0
    third = session("no", answers(EVERY))
    assert f"Last time you answered yes to: {TEXT['B1-5']} {CLEARANCE_QUESTION}" in third.output
    assert "Exercise one" not in third.output
    unknown = runner.invoke(cli, ["safety", "clear", "Z9", "--yes"])
    assert unknown.exit_code == 1 and "unknown flag 'Z9'" in unknown.output
    assert "Traceback" not in unknown.output


def test_numbness_said_mid_routine_stops_it_and_asks_the_matching_emergency_questions(
        private_data_dir):
    replies = answers(FULL)
    # no sign: the routine goes on with the next exercise
    calm = session(replies, "3", "numb", "no", "no", "no", "no", "2")
    assert calm.exit_code == 0, calm.output
    out = calm.output
    assert STOPPED_FOR_SYMPTOM in out and NONE_FOUND in out
    asked_after = out.split(STOPPED_FOR_SYMPTOM)[1]
    assert [t for t in TEXT.values() if t in asked_after] == [
        TEXT[q] for q in SYMPTOM_QUESTIONS["numb"]]
    assert "Exercise two of seven" in out and "Session finished" in out
    # both legs numb: confirmed, an emergency; the session ends with its advice, remembered
    urgent = session("no", answers(EVERY), "3", "bladder", "no", "yes", "yes")
    assert urgent.exit_code == 0, urgent.output
    assert ADVICE["emergency"] in urgent.output and "Exercise two" not in urgent.output
    assert ("A4", "emergency", True) in flags(private_data_dir)
