"""The history's tables, the migrations that bring any older file up to them, and a read-only
copy for looking at a history that must not be written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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


def migrate(db: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION, one migration per transaction; the version is read
    inside each transaction, so two programs opening a new file at once never both create it.
    A file already at this schema is only read (another program may hold its write lock)."""
    if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"it was written by a newer voicecoach (schema {version}, this one knows "
                    f"{SCHEMA_VERSION})")
            if version == SCHEMA_VERSION:
                db.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[version]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except sqlite3.Error:
            db.execute("ROLLBACK")
            raise


def read_only_copy(path: Path) -> sqlite3.Connection:
    """The history copied into memory without writing a byte of it (a read-only folder, a
    backup on a read-only disk), brought to this schema there; empty when there is no file."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    if path.exists():
        uri = path.resolve().as_uri()
        source = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:  # a read-only folder without the WAL's -shm file
            source.close()
            source = sqlite3.connect(f"{uri}?immutable=1", uri=True)
        try:
            source.backup(memory)
        finally:
            source.close()
    migrate(memory)
    return memory


def _statements(script: str) -> list[str]:
    body = "\n".join(line.split("--")[0] for line in script.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]
