"""Frozen dataclasses for voicecoach's content: exercises, routines and the triage set."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

LEVELS = ("beginner", "intermediate", "advanced")
POSITIONS = ("supine", "side-lying", "all-fours", "kneeling", "seated", "standing")


@dataclass(frozen=True)
class Span:
    """A number or a range as the seeds give it ("20 to 30 seconds")."""

    low: float
    high: float

    @property
    def planned(self) -> float:
        """The value narrated by default: the gentle (low) end of the range."""
        return self.low

    def __str__(self) -> str:
        def fmt(x: float) -> str:
            return str(int(x)) if x == int(x) else f"{x:g}"

        return fmt(self.low) if self.low == self.high else f"{fmt(self.low)}-{fmt(self.high)}"


@dataclass(frozen=True)
class Dose:
    """How much of an exercise: holds, breaths, reps, sets, sides and rests (seconds)."""

    hold: Span | None = None
    breaths: Span | None = None
    reps: Span | None = None
    sets: Span | None = None
    rest: Span | None = None
    set_rest: Span | None = None
    per_side: bool = False
    tempo: float = 3.0
    breath_seconds: float = 6.0
    note: str = ""

    @property
    def kind(self) -> str:
        """The narration pattern: hold, breaths, reps, reps-with-hold."""
        if self.breaths is not None:
            return "breaths"
        if self.reps is not None and self.reps.planned > 1:
            return "reps-with-hold" if self.hold is not None else "reps"
        return "hold"

    def describe(self) -> str:
        """The dose in plain words, for handouts and `routines show`."""
        parts: list[str] = []
        if self.breaths is not None:
            parts.append(f"{self.breaths} breaths")
        if self.hold is not None:
            parts.append(f"hold {self.hold} s")
        if self.reps is not None:
            parts.append(f"{self.reps} reps")
        if self.sets is not None and self.sets.high > 1:
            parts.append(f"{self.sets} sets")
        if self.rest is not None:
            parts.append(f"rest {self.rest} s between reps")
        if self.set_rest is not None:
            parts.append(f"rest {self.set_rest} s between sets")
        if self.per_side:
            parts.append("each side")
        return ", ".join(parts) or "not stated"


@dataclass(frozen=True)
class Exercise:
    """One stretch or strengthening move, with spoken cues and its seed sources."""

    id: str
    name: str
    level: str
    position: str
    dose: Dose
    setup: tuple[str, ...]
    sources: tuple[str, ...]
    action: str = "Hold."
    repeat_action: str = ""
    release: str = "And release."
    reminders: tuple[str, ...] = ()
    other_side: str = "Now the other side."
    finish: str = ""
    equipment: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    narrated: bool = True
    dose_origin: str = "seed"  # seed | external (public reference) | assistant (our default)


@dataclass(frozen=True)
class RoutineStep:
    """An exercise in a routine, with the dose this routine uses."""

    exercise: Exercise
    dose: Dose


@dataclass(frozen=True)
class Routine:
    """An ordered set of exercises with a spoken introduction."""

    id: str
    name: str
    intro: str
    level: str
    steps: tuple[RoutineStep, ...]
    path: str = ""


class Answer(str, Enum):
    """A yes/no answer as the session understands it."""

    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class Action:
    """What a raised flag leads to: advice, and whether exercise stops."""

    id: str
    advice: str
    ends_session: bool
    severity: int


@dataclass(frozen=True)
class Group:
    """A tier of triage questions (scope, A, B1, B2, C)."""

    id: str
    name: str
    every_session: bool
    unclear_action: str  # an action id, or "as_yes": an unclear answer counts as the flag
    ask_all: bool = False  # False: stop at the first flag that ends the session
    confirm: bool = True  # confirm a flag-raising answer before acting on it


@dataclass(frozen=True)
class Question:
    """One spoken yes/no safety question."""

    id: str
    group: str
    text: str
    flag_if: Answer
    action: str
    sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    note: str = ""
    drops: tuple[str, ...] = ()
    swaps: tuple[tuple[str, str], ...] = ()
    followup: str = ""
    followup_action: str = ""
    followup_flag_if: Answer = Answer.YES
    advice: str = ""
    only_if: str = ""  # asked only if this question raised its flag
    unless: str = ""  # not asked if this question raised its flag
    adds: tuple[str, ...] = ()
    keep_only: tuple[str, ...] = ()
    max_level: str = ""
    lifetime: bool = False  # about the past ("ever"): once cleared, asked again only on a change
    avoid_positions: tuple[str, ...] = ()  # no exercise done in these positions remains


@dataclass(frozen=True)
class Rule:
    """A combination of flags that raises its own action (e.g. a hot hip plus fever)."""

    id: str
    text: str
    action: str
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    others: int = 0
    others_in: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    explain: bool = False  # speak the investigation rule when this fires

    def fires(self, flags: list[str], group_of: dict[str, str]) -> bool:
        """Whether the flagged question ids meet this rule."""
        flagged = set(flags)
        if not set(self.all) <= flagged:
            return False
        if self.any and not flagged & set(self.any):
            return False
        named = set(self.all) | set(self.any) | set(self.exclude)
        others = [f for f in flagged - named if group_of.get(f) in self.others_in]
        return len(others) >= self.others


@dataclass(frozen=True)
class Triage:
    """The safety screen: actions, groups in asking order, and questions."""

    welcome: str
    limits: str
    actions: dict[str, Action]
    groups: tuple[Group, ...]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...] = ()
    investigation_rule: str = ""

    def questions_for(self, first_session: bool = True) -> tuple[Question, ...]:
        """Questions to ask, in group order; later groups only on a first session."""
        order = {g.id: i for i, g in enumerate(self.groups)}
        asked = {g.id for g in self.groups if g.every_session or first_session}
        chosen = [q for q in self.questions if q.group in asked]
        return tuple(sorted(chosen, key=lambda q: order[q.group]))

    def flag(self, flag_id: str) -> Question | Rule | None:
        """The question or combination rule a flag id names (None: no longer in the set)."""
        return next((q for q in self.questions if q.id == flag_id), None) or next(
            (r for r in self.rules if r.id == flag_id), None)

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)


@dataclass(frozen=True)
class Content:
    """Everything loaded from the routines folders."""

    exercises: dict[str, Exercise]
    routines: dict[str, Routine]
    triage: Triage
    default_routine: str
    files: tuple[str, ...] = field(default=())
