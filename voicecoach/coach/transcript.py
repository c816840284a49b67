"""A JSON-lines log of everything said and heard, with session-clock timestamps.

One object per line: {"t": seconds since the session started, "kind": "say"|"ask"|"heard"|
"event", "text": ...}. Each line is flushed as it is written, so a session that is killed
leaves every line up to that moment.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TextIO

from voicecoach.errors import VoicecoachError
from voicecoach.files import open_private
from voicecoach.session.clock import Clock

KINDS = ("say", "ask", "heard", "event")


class Transcript:
    """Appends timestamped lines to a file (or stays silent when given no file)."""

    def __init__(self, stream: TextIO | None, clock: Clock, name: str = "the transcript"):
        self.stream = stream
        self.name = name
        self.clock = clock
        self.start = clock.now()

    @classmethod
    def open(cls, path: Path | None, clock: Clock, append: bool = False) -> Transcript:
        """A transcript writing to `path` (after what it holds, with `append`), or one that
        writes nothing when path is None."""
        if path is None:
            return cls(None, clock)
        try:
            return cls(open_private(path, "a" if append else "w"), clock, str(path))
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
        try:
            self.stream.write(json.dumps(line) + "\n")
            self.stream.flush()
        except OSError as exc:  # a full disk must not end the session: say so once, go on
            self._give_up(exc)

    def _give_up(self, exc: OSError) -> None:
        print(f"voicecoach: cannot write {self.name} ({exc.strerror or exc}); "
              "the session goes on without it.", file=sys.stderr, flush=True)
        stream, self.stream = self.stream, None
        with contextlib.suppress(OSError):
            stream.close()

    def close(self) -> None:
        if self.stream is not None:
            stream, self.stream = self.stream, None
            try:
                stream.close()
            except OSError as exc:
                self.stream = stream
                self._give_up(exc)
