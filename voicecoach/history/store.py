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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voicecoach.errors import VoicecoachError
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


# Each migration takes the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at REAL NOT NULL,          -- Unix time
        ended_at REAL,                     -- NULL while running (or if it was killed)
        routine TEXT NOT NULL,
        ended TEXT,                        -- finished, stopped, red_flag, ..., interrupted
        action TEXT,                       -- the triage action raised, if any
        pain_before INTEGER,
        pain_after INTEGER
    );
    CREATE TABLE steps (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        at REAL NOT NULL,
        kind TEXT NOT NULL,                -- answer, exercise, pain, screening
        subject TEXT NOT NULL,             -- question id, exercise id, before/after
        value TEXT NOT NULL,               -- yes/no/unclear, done/skipped/stopped, 0..10
        detail TEXT NOT NULL DEFAULT ''    -- why an exercise stopped, flags as JSON...
    );
    CREATE INDEX steps_by_session ON steps(session_id);
    """,
    """
    CREATE TABLE progression (
        routine TEXT PRIMARY KEY,
        step INTEGER NOT NULL,             -- 0 = the gentle end of every range
        changed_at REAL NOT NULL
    );
    """,
    """
    CREATE TABLE safety_flags (
        id INTEGER PRIMARY KEY,
        flag TEXT NOT NULL,                -- question or rule id
        action TEXT NOT NULL,              -- emergency, urgent_today, doctor_first, modify...
        answer TEXT NOT NULL,              -- yes, no, unclear, unconfirmed, rule
        raised_at REAL NOT NULL,
        session_id INTEGER REFERENCES sessions(id),
        cleared_at REAL,                   -- NULL while in force
        cleared_how TEXT                   -- spoken, answered no, keyboard
    );
    CREATE INDEX safety_flags_in_force ON safety_flags(flag, cleared_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


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
    """The history file, open for one process."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.path = path
        self.clock = clock
        self.session_id: int | None = None
        self.damaged = 0  # sessions left out of the last sessions() for a damaged date
        self.interrupted: list[SessionRow] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"{path}: cannot use the history file ({_why(exc)})") from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer voicecoach (schema {version}, this one knows "
                f"{SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(MIGRATIONS[number]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        try:
            return self._db.execute(sql, args).lastrowid or 0
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot write the history ({_why(exc)})") from None

    def begin(self, routine: str) -> None:
        """Mark sessions left open by a killed process as interrupted, then start this one."""
        self.interrupted = [r for r in self.sessions() if r.ended is None]
        if self.interrupted:
            self._write("UPDATE sessions SET ended = 'interrupted' WHERE ended IS NULL", ())
        self.session_id = self._write(
            "INSERT INTO sessions (started_at, routine) VALUES (?, ?)", (self.clock(), routine))

    def record(self, kind: str, subject: str, value: str, detail: str = "") -> None:
        """One step of this session, committed at once."""
        if self.session_id is None:
            raise HistoryError("record() before begin()")
        self._write(
            "INSERT INTO steps (session_id, at, kind, subject, value, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.session_id, self.clock(), kind, subject, value, detail))
        if kind == "pain":
            column = "pain_before" if subject == "before" else "pain_after"
            self._write(f"UPDATE sessions SET {column} = ? WHERE id = ?",
                        (int(value), self.session_id))
        elif kind == "progress":  # value "up": one step up the routine's ranges
            self._write(
                "INSERT INTO progression (routine, step, changed_at) VALUES (?, 1, ?) "
                "ON CONFLICT(routine) DO UPDATE SET step = MIN(step + 1, ?), "
                "changed_at = excluded.changed_at", (subject, self.clock(), TOP_STEP))
        elif kind == "screening":
            self._write("UPDATE sessions SET action = ? WHERE id = ?",
                        (value or None, self.session_id))
        elif kind == "flag":
            self.raise_flag(subject, value, detail or "yes")
        elif kind == "clear":
            self.clear_flag(subject, value)

    def raise_flag(self, flag: str, action: str, answer: str = "yes") -> None:
        """Keep a safety flag in force; one already in force takes the newer action and answer."""
        updated = self._db.total_changes
        self._write("UPDATE safety_flags SET action = ?, answer = ? "
                    "WHERE flag = ? AND cleared_at IS NULL", (action, answer, flag))
        if self._db.total_changes == updated:
            self._write("INSERT INTO safety_flags (flag, action, answer, raised_at, session_id) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (flag, action, answer, self.clock(), self.session_id))

    def clear_flag(self, flag: str, how: str) -> bool:
        """Clear a flag in force (said in a session, or typed); False if none was in force."""
        before = self._db.total_changes
        self._write("UPDATE safety_flags SET cleared_at = ?, cleared_how = ? "
                    "WHERE flag = ? AND cleared_at IS NULL", (self.clock(), how, flag))
        return self._db.total_changes > before

    def flags(self) -> list[FlagRow]:
        """Every safety flag ever raised, oldest first, cleared or not."""
        rows = self._read("SELECT flag, action, answer, raised_at, cleared_at, cleared_how "
                          "FROM safety_flags ORDER BY raised_at, id")
        return [FlagRow(*row) for row in rows]

    def end(self, ended: str) -> None:
        if self.session_id is not None:
            self._write("UPDATE sessions SET ended = ?, ended_at = ? WHERE id = ?",
                        (ended, self.clock(), self.session_id))

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history ({_why(exc)})") from None

    def sessions(self) -> list[SessionRow]:
        """Every session, oldest first, with counts of exercises done, skipped and stopped."""
        rows = self._read("""
            SELECT s.id, s.started_at, s.ended_at, s.routine, s.ended, s.action,
                   s.pain_before, s.pain_after,
                   SUM(st.kind = 'exercise' AND st.value = 'done'),
                   SUM(st.kind = 'exercise' AND st.value = 'skipped'),
                   SUM(st.kind = 'exercise' AND st.value = 'stopped'),
                   SUM(st.kind = 'hurt')
            FROM sessions s LEFT JOIN steps st ON st.session_id = s.id
            GROUP BY s.id ORDER BY s.started_at, s.id
        """)
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

    def close(self) -> None:
        self._db.close()


LATEST_TIME = 32503680000.0  # the year 3000: a date past it is damage, not a session


def _plausible_time(value: object) -> bool:
    """A Unix time a session could have: a finite number from 1970 to the year 3000 (a row
    edited by hand or damaged once crashed `history` with OverflowError)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value < LATEST_TIME)


def _statements(script: str) -> list[str]:
    body = "\n".join(line.split("--")[0] for line in script.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]


def _why(exc: BaseException) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "it is locked by another program; close other voicecoach sessions"
    if "not a database" in text or "malformed" in text:
        return f"it is damaged ({text}); move it aside to start a new history"
    return text or type(exc).__name__


def open_history(override: Path | None = None) -> History:
    return History(data_dir(override) / FILE_NAME)


def as_json(rows: list[SessionRow]) -> str:
    return json.dumps([row.__dict__ for row in rows], indent=2)
