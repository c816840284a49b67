"""Keeps the history during a session, and never lets a history problem stop the session."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from voicecoach.history.store import FlagRow, History, HistoryError, open_history
from voicecoach.history.summary import summary_sentences
from voicecoach.session.actions import Record
from voicecoach.session.memory import RememberedFlag, SafetyMemory
from voicecoach.session.progress import DAYS_BEFORE_OFFER, RUN_BEFORE_OFFER, TOP_STEP, went_well


class HistoryKeeper:
    """Writes each step as it happens; on any history problem says so once and carries on."""

    def __init__(self, history: History | None, say: Callable[[str], None]):
        self.history = history
        self.say = say
        self._ended = False

    @classmethod
    def start(cls, data_dir: Path | None, routine: str, say: Callable[[str], None],
              enabled: bool = True) -> HistoryKeeper:
        """Open the history and begin this session in it (nothing at all when not enabled)."""
        keeper = cls(None, say)
        if not enabled:
            return keeper
        try:
            history = open_history(data_dir)
            history.begin(routine)
        except HistoryError as exc:
            say(f"I cannot use your session history: {exc}. "
                "This session will go ahead, but it will not be saved.")
            return keeper
        keeper.history = history
        if history.interrupted:
            last = history.interrupted[-1]
            when = time.strftime("%A %d %B at %H:%M", time.localtime(last.started_at))
            say(f"Your last session, on {when}, was interrupted before it finished.")
        return keeper

    def full_screening_due(self, days: float, now: float | None = None) -> bool:
        """True unless the history shows a full screening less than `days` days ago."""
        if self.history is None:
            return True
        try:
            last = self.history.last_full_screening()
        except HistoryError:
            return True
        now = time.time() if now is None else now
        return last is None or now - last >= days * 86400

    def safety_memory(self) -> SafetyMemory:
        """The flags in force from earlier sessions, and those cleared since (none without a
        history: then every session starts afresh, as the first one did)."""
        if self.history is None:
            return SafetyMemory()
        try:
            return safety_memory(self.history.flags())
        except HistoryError:
            return SafetyMemory()

    def progression(self, routine: str, now: float | None = None) -> tuple[int, bool]:
        """The routine's progression step, and whether this session may offer the next one:
        the sessions of this routine since the last step all went well, enough of them, and
        the first of them at least DAYS_BEFORE_OFFER days ago."""
        if self.history is None:
            return 0, False
        try:
            step, since = self.history.progression(routine)
            rows = [r for r in self.history.sessions()
                    if r.routine == routine and r.started_at >= since and r.ended is not None]
        except HistoryError:
            return 0, False
        now = time.time() if now is None else now
        recent = rows[-(RUN_BEFORE_OFFER - 1):]
        long_enough = bool(rows) and now - rows[0].started_at >= DAYS_BEFORE_OFFER * 86400
        ready = (step < TOP_STEP and long_enough and len(recent) == RUN_BEFORE_OFFER - 1 and all(
            went_well(r.ended, r.pain_before, r.pain_after, r.stopped) and not r.hurts
            for r in recent))
        return step, ready

    def record(self, record: Record) -> None:
        if self.history is None:
            return
        try:
            self.history.record(record.kind, record.subject, record.value, record.detail)
        except HistoryError as exc:
            self._give_up(exc)

    def end(self, ended: str) -> None:
        """Write how the session ended, once; later calls change nothing."""
        if self.history is None or self._ended:
            return
        try:
            self.history.end(ended)
            self._ended = True
        except HistoryError as exc:
            self._give_up(exc)

    def close(self) -> None:
        if self.history is not None:
            self.history.close()
            self.history = None

    def closing_words(self, now: float | None = None) -> list[str]:
        """A sentence on progress to end a session with (none without a history)."""
        if self.history is None:
            return []
        try:
            rows = self.history.sessions()
        except HistoryError:
            return []
        return summary_sentences(rows, time.time() if now is None else now)[:1]

    def _give_up(self, exc: HistoryError) -> None:
        self.say(f"I can no longer save your history: {exc}. The session goes on.")
        self.history = None


def safety_memory(rows: list[FlagRow]) -> SafetyMemory:
    """Flag rows to what the session needs: those in force, and those cleared since raised."""
    in_force = tuple(RememberedFlag(r.flag, r.action, r.raised_at, r.answer)
                     for r in rows if r.cleared_at is None)
    live = {f.id for f in in_force}
    cleared = frozenset(r.flag for r in rows if r.cleared_at is not None and r.flag not in live)
    return SafetyMemory(in_force, cleared)
