"""What Home Assistant's transcripts ask of the coach box, and the text sent back.

Home Assistant hands a sentence it heard on one of its satellites to voicecoach (a Wyoming
*handle* program, coach/wyoming_server.py). Sessions themselves run on the coach box's own
loudspeaker and microphone, where the holds keep time and "stop" is heard over the counting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.hearing.wake import REQUEST_PHRASES

# Sentences Home Assistant may send, by request, beyond those the wake phrase takes.
HOUSEHOLD_PHRASES: dict[str, tuple[str, ...]] = {
    "start": ("start a stretching session", "start my stretches", "start my stretching",
              "time to stretch", "stretch with me", "start a session", "start voicecoach"),
    "stop": ("stop", "stop stretching", "stop the session", "stop the stretches",
             "end the session", "stop voicecoach", "cancel the session"),
    "progress": ("how am i doing with my stretches", "how are my stretches going",
                 "my progress", "how is my progress", "how many sessions have i done"),
    "help": ("what can voicecoach do", "what can the coach do"),
}
_LEADING = re.compile(r"^(?:(?:hey|ok|okay)\s+)?(?:voice\s*coach|coach)\b[,\s]*")

HELP_TEXT = ("Voicecoach talks you through stretches for your low back and hips. Say: start "
             "stretching, how am I doing, or stop.")
STARTING_TEXT = ("Starting a session on the coach's speaker. It begins with a few safety "
                 "questions; answer them there.")
ALREADY_RUNNING_TEXT = "A session is already running on the coach's speaker."
STOPPING_TEXT = "Stopping the session. It keeps what was done so far."
NOTHING_TO_STOP_TEXT = "No session is running."
NO_HISTORY_TEXT = "There are no sessions yet. Say start stretching to begin."


def normalise(text: str) -> str:
    """Lower case, words only, without a leading "hey coach" or "voicecoach"."""
    words = " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("\u2019", "'")).split())
    return _LEADING.sub("", words).strip()


def request_in(text: str) -> str | None:
    """The request a sentence makes ("start", "stop", "progress", "help"), or None."""
    said = normalise(text)
    for table in (REQUEST_PHRASES, HOUSEHOLD_PHRASES):
        for request, phrases in table.items():
            if request in ("start", "stop", "progress", "help") and said in phrases:
                return request
    return None


@dataclass
class Household:
    """Answers one sentence: (handled, the text to say back).

    `start()` asks for a session on the box (False: one is already running); `stop()` ends the
    running session (False: none is running); `progress()` gives the spoken progress summary.
    """

    start: Callable[[], bool]
    stop: Callable[[], bool]
    progress: Callable[[], list[str]]

    def answer(self, text: str) -> tuple[bool, str]:
        request = request_in(text)
        if request == "start":
            return True, STARTING_TEXT if self.start() else ALREADY_RUNNING_TEXT
        if request == "stop":
            return True, STOPPING_TEXT if self.stop() else NOTHING_TO_STOP_TEXT
        if request == "progress":
            return True, " ".join(self.progress()) or NO_HISTORY_TEXT
        if request == "help":
            return True, HELP_TEXT
        return False, f"Voicecoach did not understand that. {HELP_TEXT}"
