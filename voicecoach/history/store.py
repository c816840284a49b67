"""Session history in a local SQLite file, written step by step as the session happens.

Each write is its own committed transaction, so a session killed at any moment (even with
SIGKILL) leaves a consistent file; the next start marks such a session "interrupted". The file
is created readable and writable by its owner only. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voicecoach.errors import VoicecoachError
from voicecoach.history import unsaved
from voicecoach.history.liveness import LiveLock, forget, is_running, lock_path
from voicecoach.history.schema import migrate, read_only_copy
from voicecoach.session.progress import TOP_STEP

DATA_DIR_VARIABLE = "VOICECOACH_DATA_DIR"
FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 2000  # how long to wait for another voicecoach holding the file


class HistoryError(VoicecoachError):
    """The history file cannot be used (locked, corrupt, unwritable, too new)."""


def data_dir(override: Path | None = None) -> Path:
    """--data-dir, else $VOICECOACH_DATA_DIR, else $XDG_DATA_HOME/voicecoach, else
    ~/.local/share/voicecoach."""
    if override is not None:
        return override
    if env := os.environ.get(DATA_DIR_VARIABLE):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voicecoach"




@dataclass(frozen=True)
class SessionRow:
    """One session as the history knows it."""

    id: int
    started_at: float
    ended_at: float | None
    routine: str
    ended: str | None
    action: str | None
    pain_before: int | None
    pain_after: int | None
    done: int
    skipped: int
    stopped: int
    hurts: int = 0  # times "it hurts" was said


@dataclass(frozen=True)
class FlagRow:
    """One safety flag as the history keeps it."""

    flag: str
    action: str
    answer: str
    raised_at: float
    cleared_at: float | None
    cleared_how: str | None


class History:
    """The history file, open for one process (read_only: for looking, never written)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 read_only: bool = False):
        self.path = path
        self.clock = clock
        self.session_id: int | None = None
        self.damaged = 0  # sessions left out of the last sessions() for a damaged date
        self.interrupted: list[SessionRow] = []
        self.notes: list[str] = []  # what begin() found worth saying (steps added back)
        self.problems: list[str] = []  # and what it could not do (a damaged unsaved file)
        self._live: LiveLock | None = None
        try:
            if read_only:
                self._db = read_only_copy(path)
                return
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            migrate(self._db)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"{path}: cannot use the history file ({_why(exc)})") from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All of a step's writes, or none of them (a step retried after a lock is never
        written twice)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot write the history ({_why(exc)})") from None

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        return self._db.execute(sql, args).lastrowid or 0

    def begin(self, routine: str, at: float | None = None) -> None:
        """Start this session; mark sessions whose process died as interrupted (those still
        running elsewhere are left alone); add back steps an earlier session could not save."""
        with self._transaction():
            self.session_id = self._write("INSERT INTO sessions (started_at, routine) "
                                          "VALUES (?, ?)", (_when(at, self.clock), routine))
            try:
                self._live = LiveLock(lock_path(self.path, self.session_id))
            except OSError as exc:
                raise sqlite3.OperationalError(f"cannot mark the session as running: {exc}"
                                               ) from None
            open_rows = [r for r in self._sessions() if r.ended is None
                         and r.id != self.session_id]
            self.interrupted = [r for r in open_rows
                                if not is_running(lock_path(self.path, r.id))]
            for row in self.interrupted:
                self._write("UPDATE sessions SET ended = 'interrupted' WHERE id = ?", (row.id,))
        for row in self.interrupted:
            forget(lock_path(self.path, row.id))
        self._add_back_unsaved()

    def _add_back_unsaved(self) -> None:
        for path in unsaved.waiting(self.path.parent):
            try:
                kept = unsaved.read(path)
                with self._transaction():
                    session_id = kept.session_id
                    for step in kept.steps:
                        session_id = self._apply(step, session_id)
                path.unlink()
            except (ValueError, HistoryError, OSError) as exc:
                self.problems.append(f"{exc}; it is left where it is")
                continue
            self.notes.append(f"{len(kept.steps)} steps that an earlier session could not "
                              "save are now in your history")

    def apply(self, step: unsaved.Step) -> None:
        """One write of this session (begin, record or end) as its own transaction."""
        if step.what == "begin":
            self.begin(step.args["routine"], step.at)
            return
        with self._transaction():
            self._apply(step, self.session_id)
        if step.what == "end" and self._live is not None:
            self._live.release()

    def _apply(self, step: unsaved.Step, session_id: int | None) -> int | None:
        if step.what == "begin":
            return self._write("INSERT INTO sessions (started_at, routine, ended) "
                               "VALUES (?, ?, 'interrupted')", (step.at, step.args["routine"]))
        if session_id is None:
            raise HistoryError("a step before its session began")
        if step.what == "end":
            self._write("UPDATE sessions SET ended = ?, ended_at = ? WHERE id = ?",
                        (step.args["ended"], step.at, session_id))
        else:
            self._record(session_id, step.at, **step.args)
        return session_id

    def record(self, kind: str, subject: str, value: str, detail: str = "",
               at: float | None = None) -> None:
        """One step of this session, committed at once."""
        if self.session_id is None:
            raise HistoryError("record() before begin()")
        with self._transaction():
            self._record(self.session_id, _when(at, self.clock), kind, subject, value, detail)

    def _record(self, session_id: int, at: float, kind: str, subject: str, value: str,
                detail: str = "") -> None:
        self._write(
            "INSERT INTO steps (session_id, at, kind, subject, value, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)", (session_id, at, kind, subject, value, detail))
        if kind == "pain":
            column = "pain_before" if subject == "before" else "pain_after"
            self._write(f"UPDATE sessions SET {column} = ? WHERE id = ?", (int(value), session_id))
        elif kind == "progress":  # value "up": one step up the routine's ranges
            self._write(
                "INSERT INTO progression (routine, step, changed_at) VALUES (?, 1, ?) "
                "ON CONFLICT(routine) DO UPDATE SET step = MIN(step + 1, ?), "
                "changed_at = excluded.changed_at", (subject, at, TOP_STEP))
        elif kind == "screening":
            self._write("UPDATE sessions SET action = ? WHERE id = ?", (value or None, session_id))
        elif kind == "flag":
            self._raise_flag(subject, value, detail or "yes", at, session_id)
        elif kind == "clear":
            self._clear_flag(subject, value, at)

    def raise_flag(self, flag: str, action: str, answer: str = "yes") -> None:
        """Keep a safety flag in force; one already in force takes the newer action and answer."""
        with self._transaction():
            self._raise_flag(flag, action, answer, self.clock(), self.session_id)

    def _raise_flag(self, flag: str, action: str, answer: str, at: float,
                    session_id: int | None) -> None:
        updated = self._db.total_changes
        self._write("UPDATE safety_flags SET action = ?, answer = ? "
                    "WHERE flag = ? AND cleared_at IS NULL", (action, answer, flag))
        if self._db.total_changes == updated:
            self._write("INSERT INTO safety_flags (flag, action, answer, raised_at, session_id) "
                        "VALUES (?, ?, ?, ?, ?)", (flag, action, answer, at, session_id))

    def clear_flag(self, flag: str, how: str) -> bool:
        """Clear a flag in force (said in a session, or typed); False if none was in force."""
        before = self._db.total_changes
        with self._transaction():
            self._clear_flag(flag, how, self.clock())
        return self._db.total_changes > before

    def _clear_flag(self, flag: str, how: str, at: float) -> None:
        self._write("UPDATE safety_flags SET cleared_at = ?, cleared_how = ? "
                    "WHERE flag = ? AND cleared_at IS NULL", (at, how, flag))

    def flags(self) -> list[FlagRow]:
        """Every safety flag ever raised, oldest first, cleared or not."""
        rows = self._read("SELECT flag, action, answer, raised_at, cleared_at, cleared_how "
                          "FROM safety_flags ORDER BY raised_at, id")
        return [FlagRow(*row) for row in rows]

    def end(self, ended: str, at: float | None = None) -> None:
        if self.session_id is not None:
            self.apply(unsaved.Step("end", _when(at, self.clock), {"ended": ended}))

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history ({_why(exc)})") from None

    def sessions(self) -> list[SessionRow]:
        """Every session, oldest first, with counts of exercises done, skipped and stopped."""
        try:
            return self._sessions()
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history ({_why(exc)})") from None

    def _sessions(self) -> list[SessionRow]:
        rows = self._db.execute("""
            SELECT s.id, s.started_at, s.ended_at, s.routine, s.ended, s.action,
                   s.pain_before, s.pain_after,
                   SUM(st.kind = 'exercise' AND st.value = 'done'),
                   SUM(st.kind = 'exercise' AND st.value = 'skipped'),
                   SUM(st.kind = 'exercise' AND st.value = 'stopped'),
                   SUM(st.kind = 'hurt')
            FROM sessions s LEFT JOIN steps st ON st.session_id = s.id
            GROUP BY s.id ORDER BY s.started_at, s.id
        """).fetchall()
        good = [row for row in rows if _plausible_time(row[1])
                and (row[2] is None or _plausible_time(row[2]))]
        self.damaged = len(rows) - len(good)
        return [SessionRow(*row[:8], *(int(n or 0) for n in row[8:])) for row in good]

    def last_full_screening(self) -> float | None:
        """When the last complete set of safety questions was answered (Unix time), if ever."""
        rows = self._read("SELECT MAX(at) FROM steps WHERE kind = 'screening' "
                          "AND json_extract(detail, '$.full') = 1")
        return rows[0][0] if rows else None

    def progression(self, routine: str) -> tuple[int, float]:
        """The routine's progression step and when it last changed (0, 0 if never)."""
        rows = self._read("SELECT step, changed_at FROM progression WHERE routine = ?",
                          (routine,))
        return (int(rows[0][0]), float(rows[0][1])) if rows else (0, 0.0)

    def busy_timeout(self, milliseconds: int) -> None:
        """How long a write waits for another program holding the file."""
        self._db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    def close(self) -> None:
        if self._live is not None:
            self._live.release()
        self._db.close()


def _when(at: float | None, clock: Callable[[], float]) -> float:
    return clock() if at is None else at


LATEST_TIME = 32503680000.0  # the year 3000: a date past it is damage, not a session


def _plausible_time(value: object) -> bool:
    """A Unix time a session could have: a finite number from 1970 to the year 3000 (a row
    edited by hand or damaged once crashed `history` with OverflowError)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value < LATEST_TIME)


def _why(exc: BaseException) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "it is locked by another program; close other voicecoach sessions"
    if "not a database" in text or "malformed" in text:
        return f"it is damaged ({text}); move it aside to start a new history"
    return text or type(exc).__name__


def open_history(override: Path | None = None, read_only: bool = False) -> History:
    return History(data_dir(override) / FILE_NAME, read_only=read_only)


def as_json(rows: list[SessionRow]) -> str:
    return json.dumps([row.__dict__ for row in rows], indent=2)
