"""Command watchers: what listens for "stop", "pause", "repeat"... while the coach works.

A watcher runs beside the coach loop (a thread reading the microphone, or typed lines), and
hands over commands one at a time through `next_command`. The coach tells it when it is
speaking, so a voice watcher can ignore the coach's own voice (see `SelfHearing`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Protocol

from voicecoach.session.actions import Heard


class Watcher(Protocol):
    """Listens for commands in the background while started."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def next_command(self, timeout: float) -> Heard | None:
        """The next command heard, waiting up to `timeout` real seconds; None if none."""
        ...

    def pending(self) -> str | None:
        """The command waiting to be taken, without taking it; None if none."""
        ...

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        """Wrap the coach's own speech, so it is not taken for a command."""
        ...

    def user_speaking(self) -> bool:
        """Whether the person seems to be saying something right now (don't talk over it)."""
        ...

    def close(self) -> None: ...


class NoWatcher:
    """Hears nothing: for sessions with no way to give commands."""

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def next_command(self, timeout: float) -> Heard | None:
        if timeout > 0:
            time.sleep(timeout)
        return None

    def pending(self) -> str | None:
        return None

    def speaking(self, text: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def user_speaking(self) -> bool:
        return False

    def close(self) -> None:
        """Nothing to release."""


class AnyWatcher:
    """Several watchers at once (the microphone and the keyboard): the first command wins."""

    def __init__(self, watchers: list[Watcher], step: float = 0.05):
        self.watchers = watchers
        self.step = step

    def start(self) -> None:
        for w in self.watchers:
            w.start()

    def stop(self) -> None:
        for w in self.watchers:
            w.stop()

    def next_command(self, timeout: float) -> Heard | None:
        deadline = time.monotonic() + timeout
        while True:
            for w in self.watchers:
                if (heard := w.next_command(0)) is not None:
                    return heard
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(self.step, left))

    def pending(self) -> str | None:
        return next((c for w in self.watchers if (c := w.pending()) is not None), None)

    @contextlib.contextmanager
    def speaking(self, text: str) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for w in self.watchers:
                stack.enter_context(w.speaking(text))
            yield

    def user_speaking(self) -> bool:
        return any(w.user_speaking() for w in self.watchers)

    def close(self) -> None:
        for w in self.watchers:
            w.close()
