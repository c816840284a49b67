"""Monotonic clocks: the real one (optionally compressed) and a fake for tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.25  # longest real wait between two looks at the command watcher


class Clock(Protocol):
    """Session time in seconds. Holds and counts are scheduled against it."""

    def now(self) -> float: ...

    def sleep_until(self, t: float) -> None: ...

    def wait_until(self, t: float, poll: Callable[[float], T | None]) -> T | None:
        """Wait until `t`, returning early with the first thing `poll(real_seconds)` gives."""
        ...


class MonotonicClock:
    """time.monotonic, with every wait shortened by `scale` (0.01 makes waits 100x shorter)."""

    def __init__(self, scale: float = 1.0):
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) / self.scale

    def sleep_until(self, t: float) -> None:
        while (delay := (t - self.now()) * self.scale) > 0:
            time.sleep(delay)

    def wait_until(self, t: float, poll: Callable[[float], T | None]) -> T | None:
        """Look at `poll` at least once, even when `t` has already passed."""
        if (found := poll(0.0)) is not None:
            return found
        while (delay := (t - self.now()) * self.scale) > 0:
            if (found := poll(min(delay, POLL_SECONDS))) is not None:
                return found
        return None


class FakeClock:
    """A clock that only moves when told to; sleeping jumps straight to the target."""

    def __init__(self, start: float = 0.0):
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, t)

    def wait_until(self, t: float, poll: Callable[[float], T | None],
                   step: float = 0.1) -> T | None:
        """Step towards `t` a tenth of a second at a time, looking at `poll` at each step."""
        while True:
            if (found := poll(0.0)) is not None:
                return found
            if self.t >= t:
                return None
            self.t = min(t, self.t + step)

    def advance(self, seconds: float) -> None:
        self.t += seconds
