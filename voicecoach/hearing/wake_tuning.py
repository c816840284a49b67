"""The wake spotter's knobs (voicecoach serve; hearing/wake.py and wake_head.py), each with
the measurement that set it (scripts/bench_wake.py); the rest of hearing's are in tuning.py."""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.hearing.tuning import Rejection

# A request said on its own lasts from WAKE_MIN_SECONDS to WAKE_MAX_SECONDS of sound; talk that
# runs longer (television, conversation) is never decoded, and shorter sounds are not words
# enough for "hey coach". Real "eight" and "six" were heard as "hey coach" in 0.19-0.38 s.
WAKE_MIN_SECONDS = 0.4
WAKE_MAX_SECONDS = 3.0
# Quiet that ends a phrase while waiting. 0.3 s (as for commands) split "hey coach, start
# stretching" at the comma in noise, where the quiet ends of words fall under the threshold:
# wake phrases found at 10 dB 0.25 -> 0.45 at 0.5 s (without denoising); at 0.7 s 20 dB fell.
WAKE_END_SILENCE = 0.5
# Tried against the false wake-ups of denoised noisy talk, and dropped: a run of two decoys as
# a rival (any weight from 1 to 1e-4) held false wake-ups at 0 but found the wake phrase only
# 0.90-0.93 clean and 0.60-0.75 at 20 dB, at twice the decode time; three decoys, 0.63 clean.
# Rivals first: the parts of the wake phrase alone, and what the coach and the room say most
# (numbers, answers, commands), then the common words.
WAKE_FIRST_DECOYS = (
    "hey", "coach", "okay", "hi", "hello", "stretch", "stretching", "start",
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "yes", "no", "stop", "go", "pause", "left", "right", "up", "down", "on", "off",
)
# Weight of each rival, on 4.6 hours of other speech and 40 wake phrases said clean / at 20 dB
# (scripts/bench_wake.py; requests after the wake phrase decoded as a second word, so a pause
# may come between):  1e-3: 1.73 false wake-ups per hour; 1e-2: 0.87; 1e-1: 0.65;
# 1: 0.43 per hour, wake phrase found 1.00 clean, 0.825 at 20 dB, 0.10 at 10 dB.
WAKE_REJECTION = Rejection(decoys=200, weight=1.0, first_decoys=WAKE_FIRST_DECOYS)


@dataclass(frozen=True)
class WakeHeadRule:
    """How the wake phrase head (wake_head.py) and the grammar combine (wake.py); the levels
    are for a head file that carries none (the shipped one carries its own, from training)."""

    confirm: float  # a phrase the grammar took stands only when the head is this sure
    rescue: float  # a phrase the grammar refused is taken when the head is this sure
    min_seconds: float  # phrases this long are looked at (the head guards the short ones)


WAKE_HEAD = WakeHeadRule(confirm=0.3, rescue=0.9, min_seconds=0.3)
