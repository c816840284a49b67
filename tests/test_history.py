"""The history: written step by step, safe against SIGKILL, private, and shown back."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.shared import ROOT, clear_answers
from voicecoach.cli.main import cli
from voicecoach.history.schema import MIGRATIONS, SCHEMA_VERSION
from voicecoach.history.store import FILE_NAME, History, HistoryError

CLEAR = "\n".join(clear_answers()) + "\n"
FAST = ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break"]


def invoke(args, stdin=""):
    return CliRunner().invoke(cli, args, input=stdin)


def db(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / FILE_NAME)


def test_a_session_is_kept_step_by_step(private_data_dir):
    result = invoke(FAST, CLEAR + "3\nskip\n2\n")
    assert result.exit_code == 0, result.output
    rows = db(private_data_dir).execute(
        "SELECT routine, ended, pain_before, pain_after, action, ended_at IS NOT NULL "
        "FROM sessions").fetchall()
    assert rows == [("desk_break", "finished", 3, 2, None, 1)]
    steps = db(private_data_dir).execute("SELECT kind, subject, value FROM steps").fetchall()
    answers = [s for s in steps if s[0] == "answer"]
    assert len(answers) == len(clear_answers()) and all(s[2] == "clear" for s in answers)
    assert ("exercise", "standing_quad_stretch", "skipped") in steps
    assert ("exercise", "hip_hinge", "done") in steps
    assert ("pain", "before", "3") in steps and ("pain", "after", "2") in steps


def test_the_file_is_readable_by_its_owner_only(private_data_dir):
    invoke(FAST, CLEAR + "3\n2\n")
    mode = stat.S_IMODE(os.stat(private_data_dir / FILE_NAME).st_mode)
    assert mode == 0o600


def test_history_command_shows_a_table_and_json():
    invoke(FAST, CLEAR + "3\n2\n")
    invoke(FAST, "no\nyes\nyes\nyes\n")  # a red flag
    table = invoke(["history"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split()[:4] == ["date", "routine", "ended", "exercises"]
    assert "finished" in lines[1] and "safety stop" in lines[2]
    # each cell says what it counts, so a line read alone by a screen reader makes sense
    assert "3 done" in lines[1] and "pain 3 before, 2 after" in lines[1]
    assert "no exercises" in lines[2] and "pain not asked" in lines[2]
    data = json.loads(invoke(["history", "--json"]).output)
    assert [d["ended"] for d in data] == ["finished", "red_flag"]
    assert data[0]["done"] == 3 and data[0]["pain_before"] == 3


def test_the_spoken_summary_uses_the_speech_settings(private_data_dir, monkeypatch):
    from voicecoach.coach import wiring

    invoke(FAST, CLEAR + "3\n2\n")
    assert invoke(["config", "set", "rate", "120"]).exit_code == 0
    built = []
    monkeypatch.setattr(wiring, "build_speaker", lambda **kw: built.append(kw) or
                        wiring.ConsoleSpeaker(__import__("sys").stdout))
    assert invoke(["history", "--say", "--volume", "0.5"]).exit_code == 0
    assert built[0]["rate"] == 120 and built[0]["volume"] == 0.5
    monkeypatch.undo()
    wrong = invoke(["history", "--say", "--voice", "nosuch"])
    assert wrong.exit_code == 1 and "unknown voice 'nosuch'" in wrong.output


def test_no_history_flag_keeps_nothing(private_data_dir):
    invoke([*FAST, "--no-history"], CLEAR + "3\n2\n")
    assert invoke(["history"]).output.startswith("No sessions yet.")


def test_a_corrupt_history_is_said_aloud_and_the_session_still_runs(private_data_dir):
    (private_data_dir / FILE_NAME).write_bytes(b"this is not a database" * 100)
    result = invoke(FAST, CLEAR + "3\n2\n")
    assert result.exit_code == 0, result.output
    assert "damaged" in result.output and "move it aside" in result.output
    shown = invoke(["history"])
    assert shown.exit_code == 1 and "damaged" in shown.output and "Traceback" not in shown.output


def test_a_history_from_a_newer_version_is_refused_clearly(private_data_dir):
    con = sqlite3.connect(private_data_dir / FILE_NAME)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(HistoryError, match="newer voicecoach"):
        History(private_data_dir / FILE_NAME)


def test_migrations_from_an_empty_file_reach_the_current_schema(tmp_path):
    history = History(tmp_path / FILE_NAME)
    version = history._db.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION == len(MIGRATIONS)
    history.close()
    History(tmp_path / FILE_NAME).close()  # opening again migrates nothing and keeps data


def test_killed_sessions_leave_a_consistent_file_and_are_reported_next_time(private_data_dir):
    """SIGKILL a real session at random moments, many times; then check the file."""
    env = {**os.environ, "VOICECOACH_DATA_DIR": str(private_data_dir)}
    command = [sys.executable, "-m", "voicecoach", *FAST[:3], "0.01", "--routine", "desk_break"]
    rng = random.Random(3)
    kills = 12
    for _ in range(kills):
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env, cwd=ROOT, text=True)
        process.stdin.write(CLEAR + "3\n2\n")
        process.stdin.flush()
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdin.close()
    con = db(private_data_dir)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    sessions = con.execute("SELECT id, ended FROM sessions").fetchall()
    assert 0 < len(sessions) <= kills
    orphans = con.execute(
        "SELECT COUNT(*) FROM steps WHERE session_id NOT IN (SELECT id FROM sessions)").fetchone()
    assert orphans == (0,)
    open_ = [s for s in sessions if s[1] is None]
    assert open_, "every run finished before its kill: kill earlier"
    steps_in_killed = con.execute(
        f"SELECT COUNT(*) FROM steps WHERE session_id IN ({','.join(str(s[0]) for s in open_)})"
    ).fetchone()[0]
    assert steps_in_killed > 0  # killed part-way, with the steps up to then kept
    result = invoke(FAST, CLEAR + "3\n2\n")
    assert result.exit_code == 0
    if open_:
        assert "was interrupted before it finished." in result.output
    ended = dict(db(private_data_dir).execute("SELECT id, ended FROM sessions").fetchall())
    assert all(ended[i] == "interrupted" for i, _ in open_)
    assert None not in ended.values()


def asked(output: str) -> int:
    return output.count("Your answer (yes or no)")


def test_the_full_screening_is_asked_again_only_after_fourteen_days(private_data_dir):
    from voicecoach.session.run import CHANGED_QUESTION

    # pain up by a point each time, so no progression question joins in

    first = invoke(FAST, CLEAR + "3\n4\n")
    assert CHANGED_QUESTION not in first.output
    every_time = [q for q in content_questions() if q.group in every_session_groups()]
    second = invoke(FAST, "no\n" + "\n".join(clear_for(every_time)) + "\n3\n4\n")
    assert second.exit_code == 0, second.output
    assert CHANGED_QUESTION in second.output
    assert asked(second.output) == 1 + len(every_time) < asked(first.output)
    # something changed: everything is asked again
    third = invoke(FAST, "yes\n" + CLEAR + "3\n4\n")
    assert third.exit_code == 0, third.output
    assert asked(third.output) == 1 + asked(first.output)
    # fourteen days after the last full screening, everything is asked without the question
    con = db(private_data_dir)
    con.execute("UPDATE steps SET at = at - 14 * 86400 WHERE kind = 'screening'")
    con.commit()
    fourth = invoke(FAST, CLEAR + "3\n4\n")
    assert CHANGED_QUESTION not in fourth.output
    assert asked(fourth.output) == asked(first.output)


def content_questions():
    from tests.shared import content

    return [q for q in content().triage.questions_for(True) if not q.only_if]


def every_session_groups() -> set[str]:
    from tests.shared import content

    return {g.id for g in content().triage.groups if g.every_session}


def clear_for(questions) -> list[str]:
    return ["yes" if q.flag_if.value == "no" else "no" for q in questions]


def row(days_ago: float, before, after, ended="finished", now=1_800_000_000.0):
    from voicecoach.history.store import SessionRow

    return SessionRow(0, now - days_ago * 86400, None, "r", ended, None, before, after, 1, 0, 0)


def test_progress_summary_counts_the_week_the_streak_and_the_pain_trend():
    from voicecoach.history.summary import streak, summary_sentences

    now = 1_800_000_000.0
    rows = [row(12, 6, 5), row(10, 6, 4), row(2, 4, 3), row(1, 4, 2), row(0, 3, 2),
            row(0.5, None, None, ended="red_flag")]
    assert streak(rows, now) == 3
    said = summary_sentences(rows, now)
    assert said[0] == ("You have done three sessions in the last seven days, and three days "
                       "in a row.")
    assert said[1] == ("Over the last two weeks your pain averaged 4.6 out of ten before a "
                       "session and 3.2 after.")
    assert said[2] == "Your pain before sessions is lower than the week before."
    assert summary_sentences([], now) == ["There is no history yet."]


def test_history_csv_and_spoken_summary(tmp_path):
    invoke(FAST, CLEAR + "3\n2\n")
    out = tmp_path / "s.csv"
    result = invoke(["history", "--csv", str(out)])
    assert result.output == f"Wrote 1 session to {out}.\n"
    lines = out.read_text().splitlines()
    assert lines[0].startswith("started,ended_at,routine,ended")
    assert ",desk_break,finished,,3,2,3,0,0" in lines[1]
    said = invoke(["history", "--say", "--text"])
    assert said.output.startswith("You have done one session in the last seven days.")


def test_a_finished_session_closes_with_progress():
    result = invoke(FAST, CLEAR + "3\n2\n")
    assert "You have done one session in the last seven days." in result.output


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the optional 'plot' extra is not installed")
    invoke(FAST, CLEAR + "3\n2\n")
    invoke(FAST, CLEAR + "4\n3\n")
    out = tmp_path / "p.png"
    result = invoke(["history", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Drew 2 sessions to {out}.\n"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch):
    invoke(FAST, CLEAR + "3\n2\n")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    result = invoke(["history", "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 1
    assert "pip install 'voicecoach[plot]'" in result.output and "Traceback" not in result.output


def again(replies: str) -> str:
    """Input for a session soon after a full screening: "nothing changed", then the
    every-session questions, then `replies`."""
    every_time = [q for q in content_questions() if q.group in every_session_groups()]
    return "no\n" + "\n".join(clear_for(every_time)) + "\n" + replies


def weeks_ago(folder: Path, weeks: float) -> None:
    """Move every session so far `weeks` back in time (the screenings stay recent)."""
    with db(folder) as con:
        con.execute("UPDATE sessions SET started_at = started_at - ?", (weeks * 7 * 86400,))


def test_progression_is_offered_after_three_good_sessions_and_raises_the_dose(private_data_dir):
    from voicecoach.session.run import PROGRESS_QUESTION

    assert PROGRESS_QUESTION not in invoke(FAST, CLEAR + "3\n2\n").output
    assert PROGRESS_QUESTION not in invoke(FAST, again("3\n2\n")).output
    weeks_ago(private_data_dir, 3)  # the seeds' three weeks have passed since the first
    third = invoke(FAST, again("3\n2\nyes\n"))
    assert PROGRESS_QUESTION in third.output and "a little bigger" in third.output
    # the next session runs the routine one step up its ranges: the standing quad stretch
    # holds 15 to 30 seconds, so 15 becomes 25
    fourth = invoke(FAST, again("3\n3\n"))
    assert "Hold for fifteen seconds." in third.output
    assert "Hold for twenty-five seconds." in fourth.output
    assert "Hold for fifteen seconds." not in fourth.output
    assert PROGRESS_QUESTION not in fourth.output  # a new run of good sessions is needed


def test_no_progression_after_it_hurts_or_a_pain_rise(private_data_dir):
    from voicecoach.session.run import PROGRESS_QUESTION

    invoke(FAST, CLEAR + "3\n2\n")
    invoke(FAST, again("3\nit hurts\nno\nno\nyes\n2\n"))  # mild, skipped: still a hurt
    weeks_ago(private_data_dir, 4)
    assert PROGRESS_QUESTION not in invoke(FAST, again("3\n2\n")).output
    invoke(FAST, again("3\n2\n"))
    assert PROGRESS_QUESTION not in invoke(FAST, again("3\n5\n")).output  # a rise, here


def test_four_good_sessions_on_one_day_are_not_enough_to_offer_more():
    from voicecoach.session.run import PROGRESS_QUESTION

    outputs = [invoke(FAST, CLEAR + "3\n2\n").output]
    outputs += [invoke(FAST, again("3\n2\n")).output for _ in range(3)]
    assert all("Session finished" in o for o in outputs)
    assert not any(PROGRESS_QUESTION in o for o in outputs)


def test_a_first_schema_history_is_migrated_with_its_sessions_kept(private_data_dir):
    path = private_data_dir / FILE_NAME
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0])
    con.execute("INSERT INTO sessions (started_at, ended_at, routine, ended, pain_before, "
                "pain_after) VALUES (1.8e9, 1.8e9 + 600, 'desk_break', 'finished', 4, 3)")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    history = History(path)
    assert history._db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert [r.pain_before for r in history.sessions()] == [4]
    assert history.progression("desk_break") == (0, 0.0)
    history.close()


def test_history_summary_as_json_for_a_home_assistant_sensor(private_data_dir):
    empty = json.loads(invoke(["history", "--summary", "--json"]).output)
    assert empty["sessions_last_7_days"] == 0 and empty["last_session"] is None
    assert empty["text"] == "There is no history yet."
    invoke(FAST, CLEAR + "3\n2\n")
    figures = json.loads(invoke(["history", "--summary", "--json"]).output)
    assert figures["sessions_last_7_days"] == 1 and figures["streak_days"] == 1
    assert (figures["pain_before_14_days"], figures["pain_after_14_days"]) == (3, 2)
    assert figures["last_session_ended"] == "finished"
    assert figures["text"].startswith("You have done one session in the last seven days.")
    spoken = invoke(["history", "--summary"]).output
    assert spoken.splitlines()[0] == "You have done one session in the last seven days."
