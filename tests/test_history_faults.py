"""History faults: a lock held mid-session, a lock held to the end, several sessions on one
folder at once, a read-only history, a clock that was once ahead. Nothing a person did or
answered is lost, and no live session is called interrupted."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.shared import ROOT, clear_answers
from voicecoach.cli.main import cli
from voicecoach.history.keeper import HistoryKeeper
from voicecoach.history.store import FILE_NAME, History
from voicecoach.history.unsaved import read as read_unsaved
from voicecoach.history.unsaved import waiting
from voicecoach.session.actions import Record
from voicecoach.session.clock import FakeClock
from voicecoach.session.run import CHANGED_QUESTION

CLEAR = "\n".join(clear_answers()) + "\n"
FAST = ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break"]


def invoke(args, stdin=""):
    return CliRunner().invoke(cli, args, input=stdin)


def steps(folder: Path) -> list[tuple]:
    con = sqlite3.connect(folder / FILE_NAME)
    rows = con.execute("SELECT session_id, kind, subject, value FROM steps ORDER BY id").fetchall()
    con.close()
    return rows


def sessions(folder: Path) -> list[tuple]:
    con = sqlite3.connect(folder / FILE_NAME)
    rows = con.execute("SELECT id, ended, pain_before, pain_after FROM sessions ORDER BY id"
                       ).fetchall()
    con.close()
    return rows


class LockHolder:
    """Another program holding the history's write lock, let go after `writes` tries."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(path, isolation_level=None)
        self.con.execute("BEGIN IMMEDIATE")
        self.held = True

    def let_go(self) -> None:
        if self.held:
            self.con.execute("ROLLBACK")
            self.held = False


def test_a_lock_held_mid_session_delays_the_steps_and_loses_none(tmp_path):
    path = tmp_path / FILE_NAME
    said: list[str] = []
    clock = FakeClock()
    history = History(path)
    history.busy_timeout(10)
    keeper = HistoryKeeper(history, said.append, folder=tmp_path, clock=clock)
    keeper.begin("desk_break")
    holder = LockHolder(path)
    for n in range(6):  # six steps while another program holds the file for eight seconds
        keeper.record(Record("exercise", f"ex{n}", "done"))
        clock.t += 1.5
        if clock.t >= 8:
            holder.let_go()
    keeper.record(Record("pain", "after", "2"))
    keeper.end("finished")
    keeper.close()
    holder.let_go()
    assert [s[2] for s in steps(tmp_path)] == [*(f"ex{n}" for n in range(6)), "after"]
    assert sessions(tmp_path)[0][1:] == ("finished", None, 2)
    assert any("cannot save to your history just now" in s for s in said)
    assert any("saved again, with nothing lost" in s for s in said)
    assert not waiting(tmp_path)


def test_a_lock_held_to_the_end_keeps_the_steps_for_the_next_session(private_data_dir):
    History(private_data_dir / FILE_NAME).close()
    holder = LockHolder(private_data_dir / FILE_NAME)
    try:
        locked = invoke(FAST, CLEAR + "3\n2\n")
    finally:
        holder.let_go()
    assert locked.exit_code == 0, locked.output
    assert "locked by another program" in locked.output
    assert "Session finished." in locked.output
    assert "the next session adds them" in locked.output
    kept = waiting(private_data_dir)
    assert len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert sessions(private_data_dir) == []
    records = [s for s in read_unsaved(kept[0]).steps if s.what == "record"]
    clean = invoke(FAST, "no\n" + CLEAR + "3\n2\n")
    assert clean.exit_code == 0, clean.output
    assert f"{len(records) + 2} steps that an earlier session could not save are now in your " \
        "history" in clean.output
    # the added-back session counts: its full screening was recent, so only what changed is asked
    assert CHANGED_QUESTION in clean.output
    assert not waiting(private_data_dir)
    added_back = sessions(private_data_dir)[1]
    assert added_back[1:] == ("finished", 3, 2)
    assert [s[1:] for s in steps(private_data_dir) if s[0] == added_back[0]] == [
        (r.args["kind"], r.args["subject"], r.args["value"]) for r in records]


def test_a_damaged_file_of_unsaved_steps_is_left_where_it_is(private_data_dir):
    (private_data_dir / "unsaved-20260101-000000-1.json").write_text("{not json")
    result = invoke(FAST, CLEAR + "3\n2\n")
    assert result.exit_code == 0, result.output
    assert "cannot read the unsaved steps" in result.output and "left where it is" in result.output
    assert len(waiting(private_data_dir)) == 1


SESSION_THAT_WAITS = """
import sys, time
from pathlib import Path
from voicecoach.history.store import History
history = History(Path(sys.argv[1]))
history.begin("desk_break")
print("running", flush=True)
time.sleep(60)
"""


def test_sessions_running_at_once_are_not_called_interrupted_until_their_process_dies(
        private_data_dir):
    path = private_data_dir / FILE_NAME
    others = [subprocess.Popen([sys.executable, "-c", SESSION_THAT_WAITS, str(path)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    try:
        for other in others:
            assert other.stdout.readline().strip() == "running"
        result = invoke(FAST, CLEAR + "3\n2\n")
        assert result.exit_code == 0, result.output
        assert "was interrupted" not in result.output
        assert [r[1] for r in sessions(private_data_dir)] == [None, None, "finished"]
    finally:
        for other in others:
            other.kill()
            other.wait()
            other.stdout.close()
    after = invoke(FAST, CLEAR + "3\n2\n")
    assert "was interrupted before it finished" in after.output
    assert [r[1] for r in sessions(private_data_dir)] == [
        "interrupted", "interrupted", "finished", "finished"]
    assert not list((private_data_dir / "running").glob("*.lock"))


def test_the_history_is_viewed_without_writing_a_byte(private_data_dir):
    assert invoke(FAST, CLEAR + "3\n2\n").exit_code == 0
    path = private_data_dir / FILE_NAME
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    for args in (["history"], ["history", "--json"], ["safety", "list"]):
        result = invoke(args)
        assert result.exit_code == 0, result.output
    assert "finished" in invoke(["history"]).output
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_history_on_a_read_only_mount_can_be_viewed(private_data_dir, tmp_path):
    assert invoke(FAST, CLEAR + "3\n2\n").exit_code == 0
    mount = tmp_path / "readonly"
    mount.mkdir()
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(private_data_dir), str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {done.stderr.decode().strip()}")
    try:
        assert not os.access(mount / FILE_NAME, os.W_OK) or _really_read_only(mount)
        shown = invoke(["history", "--data-dir", str(mount)])
        assert shown.exit_code == 0, shown.output
        assert "finished" in shown.output
    finally:
        released = subprocess.run(["umount", str(mount)], capture_output=True, text=True)
        if released.returncode != 0:  # never leave a mount behind, whatever happened
            subprocess.run(["umount", "-l", str(mount)], check=False)
    # nothing of the history was left open on it (a file still open kept it busy)
    assert released.returncode == 0, released.stderr


def _really_read_only(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return True
    return False


def test_a_full_screening_dated_in_the_future_does_not_excuse_todays(private_data_dir):
    first = invoke(FAST, CLEAR + "3\n2\n")
    assert first.exit_code == 0, first.output
    con = sqlite3.connect(private_data_dir / FILE_NAME)
    con.execute("UPDATE steps SET at = at + 3 * 365 * 86400 WHERE kind = 'screening'")
    con.commit()
    con.close()
    again = invoke(FAST, CLEAR + "3\n2\n")
    assert again.exit_code == 0, again.output
    assert "in the future" in again.output and "full screening is asked today" in again.output
    asked = "Your answer (yes or no)"
    assert again.output.count(asked) == first.output.count(asked)
