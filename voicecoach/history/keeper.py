"""Keeps the history during a session, and never lets a history problem stop the session."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from voicecoach.history.store import (
    BUSY_TIMEOUT_MS,
    FlagRow,
    History,
    HistoryError,
    open_history,
)
from voicecoach.history.summary import summary_sentences
from voicecoach.history.unsaved import Step, Unsaved
from voicecoach.history.unsaved import keep as keep_unsaved
from voicecoach.session.actions import Record
from voicecoach.session.clock import Clock, MonotonicClock
from voicecoach.session.memory import RememberedFlag, SafetyMemory
from voicecoach.session.progress import DAYS_BEFORE_OFFER, RUN_BEFORE_OFFER, TOP_STEP, went_well

RETRY_FIRST = 1.0   # seconds before a locked history is tried again; doubles each time
RETRY_LONGEST = 30.0
PATIENCE_AT_END = 20.0  # seconds the end of a session waits for a history still locked
RETRY_BUSY_MS = 100     # a retry waits this long for the lock (not the first write's 2 s)
FUTURE_SLACK = 3600.0   # a date further ahead than this is a clock that was wrong


class HistoryKeeper:
    """Writes each step as it happens. When the history cannot be written (locked by another
    program, a full disk), the steps wait in memory and are tried again with a growing pause;
    at the end of the session the keeper waits a while, then keeps what is still unsaved in a
    file beside the history that the next session adds back. The session always goes on."""

    def __init__(self, history: History | None, say: Callable[[str], None],
                 folder: Path | None = None, clock: Clock | None = None,
                 wall: Callable[[], float] = time.time):
        self.history = history
        self.say = say
        self.folder = folder  # where unsaved steps are kept (None: nowhere; no history)
        self.clock = clock or MonotonicClock()  # the session's: waits compress with it
        self.wall = wall
        self._pending: list[Step] = []
        self._retry_at = 0.0
        self._pause = RETRY_FIRST
        self._held_up = False
        self._ended = False

    @classmethod
    def start(cls, data_dir: Path | None, routine: str, say: Callable[[str], None],
              enabled: bool = True, clock: Clock | None = None) -> HistoryKeeper:
        """Open the history and begin this session in it (nothing at all when not enabled)."""
        keeper = cls(None, say, clock=clock)
        if not enabled:
            return keeper
        try:
            history = open_history(data_dir)
        except HistoryError as exc:
            say(f"I cannot use your session history: {exc}. "
                "This session will go ahead, but it will not be saved.")
            return keeper
        keeper.history, keeper.folder = history, history.path.parent
        keeper.begin(routine)
        if history.interrupted:
            last = history.interrupted[-1]
            when = time.strftime("%A %d %B at %H:%M", time.localtime(last.started_at))
            say(f"Your last session, on {when}, was interrupted before it finished.")
        for note in history.notes:
            say(f"{note}.")
        for problem in history.problems:
            print(f"Warning: {problem}", file=sys.stderr)
        return keeper

    def begin(self, routine: str) -> None:
        self._write(Step("begin", self.wall(), {"routine": routine}))

    def full_screening_due(self, days: float, now: float | None = None) -> bool:
        """True unless the history shows a full screening less than `days` days ago."""
        if self.history is None:
            return True
        try:
            last = self.history.last_full_screening()
        except HistoryError:
            return True
        now = self.wall() if now is None else now
        if last is not None and last > now + FUTURE_SLACK:
            print(f"Warning: {self.history.path} has a full screening dated "
                  f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(last))}, in the future (the "
                  "clock was wrong then, or is now), so the full screening is asked today.",
                  file=sys.stderr)
            return True
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
        self._write(Step("record", self.wall(), {
            "kind": record.kind, "subject": record.subject, "value": record.value,
            "detail": record.detail}))

    def end(self, ended: str) -> None:
        """Write how the session ended, once (later calls change nothing), waiting a while
        for a history that is still held up, then keeping what is unsaved for next time."""
        if self.history is None or self._ended:
            return
        self._ended = True
        self._write(Step("end", self.wall(), {"ended": ended}))
        if not self._pending:
            return
        self.say("Your history is still busy, so I will wait a few seconds to save this "
                 "session.")
        deadline = self.clock.now() + PATIENCE_AT_END
        while self._pending and self.clock.now() < deadline:
            self.clock.sleep_until(min(self._retry_at, deadline))
            self._flush()
        if self._pending:
            self._keep_for_next_time()

    def _write(self, step: Step) -> None:
        if self.history is None:
            return
        self._pending.append(step)
        if self.clock.now() >= self._retry_at:
            self._flush()

    def _flush(self) -> None:
        """Write the waiting steps in order; on failure, pause before the next try."""
        assert self.history is not None
        while self._pending:
            try:
                self.history.apply(self._pending[0])
            except HistoryError as exc:
                if not self._held_up:
                    self.say(f"I cannot save to your history just now ({exc}). I will keep "
                             "this session's steps and save them as soon as I can.")
                    self._held_up = True
                    self.history.busy_timeout(RETRY_BUSY_MS)
                self._retry_at = self.clock.now() + self._pause
                self._pause = min(self._pause * 2, RETRY_LONGEST)
                return
            self._pending.pop(0)
        if self._held_up:
            self.say("Your history is saved again, with nothing lost.")
            self._held_up = False
            self.history.busy_timeout(BUSY_TIMEOUT_MS)
        self._pause = RETRY_FIRST

    def _keep_for_next_time(self) -> None:
        assert self.history is not None and self.folder is not None
        try:
            where = keep_unsaved(self.folder, Unsaved(self.history.session_id, self._pending))
        except OSError as exc:
            self.say(f"I could not save the last {len(self._pending)} steps of this session, "
                     f"and could not keep them aside either ({exc.strerror or exc}).")
            return
        self.say(f"I could not save the last {len(self._pending)} steps of this session "
                 "to your history. They are kept beside it, and the next session adds them.")
        print(f"Unsaved steps kept in {where}", file=sys.stderr)
        self._pending = []

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


def safety_memory(rows: list[FlagRow]) -> SafetyMemory:
    """Flag rows to what the session needs: those in force, and those cleared since raised."""
    in_force = tuple(RememberedFlag(r.flag, r.action, r.raised_at, r.answer)
                     for r in rows if r.cleared_at is None)
    live = {f.id for f in in_force}
    cleared = frozenset(r.flag for r in rows if r.cleared_at is not None and r.flag not in live)
    return SafetyMemory(in_force, cleared)
