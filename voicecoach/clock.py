"""Monotonic clocks: the real one (optionally compressed) and a fake for tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Session time in seconds. Holds and counts are scheduled against it."""

    def now(self) -> float: ...

    def sleep_until(self, t: float) -> None: ...


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


class FakeClock:
    """A clock that only moves when told to; sleeping jumps straight to the target."""

    def __init__(self, start: float = 0.0):
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, t)

    def advance(self, seconds: float) -> None:
        self.t += seconds
