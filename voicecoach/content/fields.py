"""Typed access to YAML mappings that collects `path:line: field: problem` lines."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from voicecoach.content.model import Span
from voicecoach.content.yamlio import Located

WHOLE = ("breaths", "reps", "sets")  # counted: 2.7 reps cannot be said or done

# Plausible limits for a home routine; a value outside them is almost certainly a typo.
DOSE_LIMITS = {
    "hold": (1, 120),
    "breaths": (1, 30),
    "reps": (1, 50),
    "sets": (1, 5),
    "rest": (1, 180),
    "set_rest": (1, 300),
}


class Problems:
    """Collects `path:line: field: message` problems."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: Located | None, key: str, message: str, path: str = "") -> None:
        if where is not None:
            line = where.line_of(key)  # 0: a value made up, not read (nothing to point at)
            at = f"{where.path}:{line}" if line else where.path
            self.items.append(f"{at}: {key}: {message}")
        else:
            self.items.append(f"{path}: {key}: {message}")


class Fields:
    """Typed access to one YAML mapping, recording problems instead of raising."""

    def __init__(self, data: Any, problems: Problems, what: str, path: str):
        self.problems = problems
        if isinstance(data, Located):
            self.data = data
        else:
            self.data = Located()
            self.data.path, self.data.line, self.data.key_lines = path, 0, {}
            problems.add(None, what, f"expected a mapping, got {type(data).__name__}", path)
        self.ok = True

    def fail(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.data, key, message)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            self.fail(key, "missing (a text is required)")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be non-empty text, got {value!r}")
            return ""
        return " ".join(value.split())

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing (a list of texts is required)")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, "must be a list of non-empty texts")
            return ()
        if required and not value:
            self.fail(key, "must not be empty")
        return tuple(" ".join(v.split()) for v in value)

    def choice(self, key: str, options: Iterable[str], default: str | None = None) -> str:
        options = tuple(options)
        value = self.data.get(key, default)
        if value not in options:
            shown = "missing" if value is None else repr(value)
            self.fail(key, f"{shown}; must be one of: {', '.join(options)}")
            return options[0]
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
            return default
        return value

    def span(self, key: str) -> Span | None:
        value = self.data.get(key)
        if value is None:
            return None
        low_high = value if isinstance(value, list) else [value]
        if (
            len(low_high) not in (1, 2)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in low_high)
        ):
            self.fail(key, f"must be a number or [low, high], got {value!r}")
            return None
        if not all(math.isfinite(v) for v in low_high):
            self.fail(key, f"must be a finite number, got {value!r}")
            return None
        if key in WHOLE and not all(float(v).is_integer() for v in low_high):
            self.fail(key, f"must be a whole number, got {value!r}")
            return None
        low, high = low_high[0], low_high[-1]
        lowest, highest = DOSE_LIMITS.get(key, (0, float("inf")))
        if low <= 0:
            self.fail(key, f"must be positive, got {low}")
            return None
        if low > high:
            self.fail(key, f"range [{low}, {high}] runs backwards")
            return None
        if low < lowest or high > highest:
            self.fail(key, f"{value!r} is not plausible (expected {lowest} to {highest})")
            return None
        return Span(float(low), float(high))

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.data.get(key, default)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value) or not low <= value <= high:
            self.fail(key, f"must be a number from {low:g} to {high:g}, got {value!r}")
            return default
        return float(value)

    def unknown_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.fail(str(key), f"unknown field (expected one of: {expected})")
