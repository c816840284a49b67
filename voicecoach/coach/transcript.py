"""A JSON-lines log of everything said and heard, with session-clock timestamps.

One object per line: {"t": seconds since the session started, "kind": "say"|"ask"|"heard"|
"event", "text": ...}. Each line is flushed as it is written, so a session that is killed
leaves every line up to that moment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from voicecoach.errors import VoicecoachError
from voicecoach.session.clock import Clock

KINDS = ("say", "ask", "heard", "event")


class Transcript:
    """Appends timestamped lines to a file (or stays silent when given no file)."""

    def __init__(self, stream: TextIO | None, clock: Clock):
        self.stream = stream
        self.clock = clock
        self.start = clock.now()

    @classmethod
    def open(cls, path: Path | None, clock: Clock, append: bool = False) -> Transcript:
        """A transcript writing to `path` (after what it holds, with `append`), or one that
        writes nothing when path is None."""
        if path is None:
            return cls(None, clock)
        try:
            return cls(path.open("a" if append else "w", encoding="utf-8"), clock)
        except OSError as exc:
            raise VoicecoachError(
                f"{path}: cannot write the transcript ({exc.strerror or exc})"
            ) from None

    def write(self, kind: str, text: str, **extra: object) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown transcript kind {kind!r}")
        if self.stream is None:
            return
        line = {"t": round(self.clock.now() - self.start, 3), "kind": kind, "text": text, **extra}
        self.stream.write(json.dumps(line) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None
