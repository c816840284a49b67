"""Numbers as spoken words, for counts and durations."""

from __future__ import annotations

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """0..999 as English words: 30 -> 'thirty', 45 -> 'forty-five'."""
    if n < 0 or n > 999:
        return str(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")


def seconds_words(seconds: float) -> str:
    """A duration to speak: 30 -> 'thirty seconds', 90 -> 'one and a half minutes'."""
    s = round(seconds)
    if s == 1:
        return "one second"
    if s < 60 or s % 30:
        return f"{number_words(s)} seconds"
    minutes, half = divmod(s, 60)
    if half:
        return f"{number_words(minutes)} and a half minutes"
    return "one minute" if minutes == 1 else f"{number_words(minutes)} minutes"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def spoken_list(what: str, names: list[str]) -> str:
    """A list said so that the ear can split it, even where a name has a comma in it:
    'It leaves out two exercises: Glute bridge. Knee to chest twist, lying down.'"""
    count = f"{number_words(len(names))} {what}{'s' * (len(names) != 1)}"
    return f"{count}: " + " ".join(f"{name.rstrip('.')}." for name in names)
