"""Calls that must not hang: run on a helper thread and given up on after a deadline.

Audio libraries can block for ever (a microphone that stops delivering sound, a synthesiser
that never returns); the session must not. A call given up on is left to finish or die on its
daemon thread; the caller carries on without it.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Stalled(Exception):
    """The call did not return in time."""


def within(seconds: float, call: Callable[[], T], name: str = "voicecoach-call") -> T:
    """`call()`'s result, or its exception; Stalled if it takes longer than `seconds`."""
    outcome: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise Stalled(f"no answer after {seconds:g} seconds")
    ok, value = outcome[0]
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def load_in_background(load: Callable[[], object], name: str, wait: float) -> threading.Thread:
    """Run `load` on a daemon thread now; at exit the process waits up to `wait` seconds for it
    (native libraries such as onnxruntime abort the interpreter when torn down mid-load)."""
    thread = threading.Thread(target=load, name=name, daemon=True)
    thread.start()
    atexit.register(thread.join, wait)
    return thread
