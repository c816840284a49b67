"""What the pure session core asks the coach loop to do, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Say:
    """Speak one utterance and wait until it has been spoken."""

    text: str


@dataclass(frozen=True)
class Ask:
    """Speak a question, then listen for an answer from one vocabulary."""

    text: str
    expect: str  # "answer" (yes/no) or "number" (0..10)


@dataclass(frozen=True)
class Cue:
    """An utterance planned at `at` seconds after the start of a timed block."""

    at: float
    text: str
    droppable: bool = True


@dataclass(frozen=True)
class Timed:
    """A block of exact length (a hold, breaths, counted reps, a rest).

    The first cue is spoken at the start; `end` is spoken exactly `duration` seconds later,
    however long the cues in between take to say. Late droppable cues (counts) are skipped.
    """

    duration: float
    cues: tuple[Cue, ...]
    end: str
    kind: str = "hold"


@dataclass(frozen=True)
class Watch:
    """Start (on=True) or stop listening for commands between and during the steps.

    While watching, the coach answers a `Say` or a `Timed` with the `Heard` command that
    interrupted it when the command is one the session must act on (stop, skip, hurts);
    the rest (pause, repeat, rate, volume, time left, help) the coach handles itself.
    """

    on: bool


@dataclass(frozen=True)
class Record:
    """A step worth keeping in the history (an answer, a pain score, an exercise's result)."""

    kind: str  # answer | screening | pain | exercise
    subject: str  # question id, "triage", "before"/"after", exercise id
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Heard:
    """What the listener made of one reply. `value` is None when it was not understood."""

    value: str | None
    text: str = ""
    timed_out: bool = False


@dataclass
class Outcome:
    """How a session ended, for the CLI, the history and the tests."""

    ended: str  # finished | red_flag | out_of_scope | stopped | nothing_suitable | pain | rested
    action: str = ""
    flags: list[str] = field(default_factory=list)
    pain_before: int | None = None
    pain_after: int | None = None
    exercises_done: list[str] = field(default_factory=list)
    exercises_skipped: list[str] = field(default_factory=list)
    exercises_stopped: dict[str, str] = field(default_factory=dict)  # id -> why it stopped
    hurts: list[str] = field(default_factory=list)  # exercises where "it hurts" was said


Action = Say | Ask | Timed | Watch | Record

# Commands the session itself acts on; the coach handles the others.
SESSION_COMMANDS = ("stop", "skip", "hurts", "numb", "bladder", "bowels")
