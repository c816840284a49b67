"""Tells a session that is still running from one whose process died: each running session holds
an advisory lock on a small file of its own, which the system releases when the process ends in
any way (SIGKILL too), so no process id is ever mistaken for another."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

FOLDER = "running"  # beside the history file


def lock_path(history_file: Path, session_id: int) -> Path:
    return history_file.parent / FOLDER / f"session-{session_id}.lock"


class LiveLock:
    """Held by a running session from begin() to end() (or the end of its process)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd: int | None = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # a leftover file is harmless: nobody holds it
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def is_running(path: Path) -> bool:
    """True while some process holds the session's lock (this one included)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False  # no lock file: a session from before locks, or one whose process died
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing also releases a lock just taken
    return False


def forget(path: Path) -> None:
    """Remove a dead session's lock file."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
