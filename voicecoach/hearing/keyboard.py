"""Typed commands: lines from the keyboard (or a pipe) read on a thread, one at a time."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import TextIO

from voicecoach.hearing.vocabulary import VOCABULARIES
from voicecoach.session.actions import Heard


class LineFeed:
    """Lines typed (or piped) on a stream, read by a background thread as they arrive."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._lines: deque[str] = deque()
        self._ended = False
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def _ensure_reading(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="voicecoach-keys",
                                            daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            for line in iter(self.stream.readline, ""):
                with self._ready:
                    self._lines.append(line.rstrip("\r\n"))
                    self._ready.notify_all()
        except (OSError, ValueError):
            pass  # a closed or unreadable stream ends the input like EOF
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def peek(self, timeout: float | None) -> str | None:
        """The next line without taking it, waiting up to `timeout` (None: no limit).

        None when no line came in time or the input has ended (see `ended`).
        """
        self._ensure_reading()
        with self._ready:
            self._ready.wait_for(lambda: self._lines or self._ended, timeout)
            return self._lines[0] if self._lines else None

    def take(self) -> str | None:
        """Take the next line, waiting as long as needed; None when the input has ended."""
        line = self.peek(None)
        if line is not None:
            with self._ready:
                self._lines.popleft()
        return line

    @property
    def ended(self) -> bool:
        with self._ready:
            return self._ended and not self._lines


class KeyboardWatcher:
    """Commands typed at any time, one per line, understood like spoken ones.

    Typed at a terminal, a line that is not a command is answered with a hint and dropped;
    piped in, it is left for the next question, so scripts can mix answers and commands.
    """

    def __init__(self, feed: LineFeed, out: TextIO, interactive: bool):
        self.feed = feed
        self.out = out
        self.interactive = interactive
        self.vocabulary = VOCABULARIES["command"]
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    def next_command(self, timeout: float) -> Heard | None:
        deadline = time.monotonic() + timeout
        if not self.active:
            time.sleep(max(0.0, timeout))
            return None
        line = self.feed.peek(timeout)
        if line is None:
            if self.feed.ended:
                time.sleep(max(0.0, deadline - time.monotonic()))
            return None
        command = self.vocabulary.meaning(line)
        if command is None:
            if self.interactive:
                self.feed.take()
                print(f"({line!r} is not a command here; type help for the list.)",
                      file=self.out, flush=True)
            else:
                time.sleep(max(0.0, deadline - time.monotonic()))
            return None
        self.feed.take()
        if not self.interactive:
            print(f"> {line}", file=self.out, flush=True)
        return Heard(command, line)

    def pending(self) -> str | None:
        line = self.feed.peek(0) if self.active else None
        return self.vocabulary.meaning(line) if line is not None else None

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def user_speaking(self) -> bool:
        return False

    def close(self) -> None:
        self.active = False
