"""Files voicecoach writes about a person (transcripts, exports, plots, logs): theirs alone.

They hold safety answers and pain scores, so like the history they are created readable and
writable by their owner only (0600), and an existing regular file is made so too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO


def open_private(path: Path, mode: str = "w") -> IO:
    """Open `path` for writing ("w", "a", "wb" or "ab") as a file only its owner can read."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
