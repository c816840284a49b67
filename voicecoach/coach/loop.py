"""The coach loop: the one place that performs the session's actions with real I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from voicecoach.audio.speakers import Cuttable, Speaker
from voicecoach.coach.transcript import Transcript
from voicecoach.hearing.listeners import Listener
from voicecoach.hearing.watchers import NoWatcher, Watcher
from voicecoach.session.actions import (
    SESSION_COMMANDS,
    Ask,
    Heard,
    Outcome,
    Record,
    Say,
    Timed,
    Watch,
)
from voicecoach.session.clock import Clock
from voicecoach.session.run import Script
from voicecoach.session.words import capitalized, seconds_words

HELP = (
    "You can say: stop, to end the session. Pause, and then continue. Repeat, to hear the last "
    "instruction again. Skip, for the next exercise. Slower or faster, louder or quieter. "
    "How long, for the time left. It hurts, if something hurts. And numb, bladder or bowels, "
    "if you notice one of those."
)
PAUSE_REMINDER = 60.0  # seconds between "still paused" reminders
PAUSE_LIMIT = 30 * 60.0  # a pause this long ends the session, as if "stop" was said
# Commands that cut the coach short mid-sentence: "stop" and "it hurts" always (nothing said
# after a stop matters; someone in pain is not kept listening). A count (a droppable cue) is
# cut by any command, since nothing is lost with it. "repeat" says a cut instruction again.
CUT_BY_ANY: frozenset[str] | None = None
CUT_BY_URGENT = frozenset({"stop", "hurts", "numb", "bladder", "bowels"})


class Coach:
    """Runs a session script with a speaker, a listener, a command watcher and a clock."""

    def __init__(self, speaker: Speaker, listener: Listener, clock: Clock,
                 transcript: Transcript | None = None, watcher: Watcher | None = None,
                 recorder: Callable[[Record], None] | None = None,
                 closing: Callable[[Outcome], list[str]] | None = None):
        self.speaker = speaker
        self.listener = listener
        self.clock = clock
        self.transcript = transcript or Transcript(None, clock)
        self.watcher = watcher or NoWatcher()
        self.recorder = recorder or (lambda record: None)
        self.closing = closing or (lambda outcome: [])  # last words, after the script ends
        self.watching = False
        self.last_instruction = ""
        self._pending: Heard | None = None  # a command heard while holding back a cue
        self.hold_log: list[BlockRun] = []  # every timed block that ran to its end

    def say(self, text: str, cut_by: frozenset[str] | None = CUT_BY_URGENT) -> None:
        """Say `text`; while watching, a command in `cut_by` (any, if None) cuts it short."""
        self.transcript.write("say", text)
        cuttable = self.watching and isinstance(self.speaker, Cuttable)
        if cuttable:
            self.speaker.cut_short = lambda: (
                (command := self.watcher.pending()) is not None
                and (cut_by is None or command in cut_by))
        try:
            with self.watcher.speaking(text):
                self.speaker.say(text)
        finally:
            if cuttable:
                self.speaker.cut_short = None
        if cuttable and self.speaker.was_cut:
            self.transcript.write("event", "speech cut short", command=self.watcher.pending())

    def run(self, script: Script) -> Outcome:
        """Drive the script to its end and return how the session ended."""
        reply: Heard | None = None
        try:
            while True:
                try:
                    action = script.send(reply)
                except StopIteration as stop:
                    for sentence in self.closing(stop.value):
                        self.say(sentence)
                    self.transcript.write("event", f"session ended: {stop.value.ended}")
                    return stop.value
                try:
                    reply = self.perform(action)
                except (Exception, KeyboardInterrupt) as exc:
                    self._last_words(script, exc)
                    raise
        finally:
            self.watcher.stop()

    def _last_words(self, script: Script, exc: BaseException) -> None:
        """Input ended, Ctrl-C, SIGTERM or a failing device mid-session: the session gets to
        say and record what must not be lost (a red flag's advice), then `exc` goes on."""
        try:
            action = script.throw(exc)
            while not isinstance(action, (Ask, Timed)):
                self.perform(action)
                action = script.send(None)
        except (StopIteration, type(exc)):
            return

    def perform(self, action: Say | Ask | Timed | Watch | Record) -> Heard | None:
        if isinstance(action, Record):
            self.recorder(action)
            return None
        if isinstance(action, Watch):
            self.watching = action.on
            if action.on:
                self.watcher.start()
            else:
                self.watcher.stop()
            return None
        if isinstance(action, Say):
            self.say(action.text)
            self.last_instruction = action.text
            return self._between_steps()
        if isinstance(action, Ask):
            return self.ask(action)
        return self.run_timed(action)

    def ask(self, action: Ask) -> Heard:
        """Speak a question and listen for its answer; commands wait meanwhile."""
        self.transcript.write("ask", action.text, expect=action.expect)
        with self.watcher.speaking(action.text):
            self.speaker.say(action.text)
        if self.watching:
            self.watcher.stop()
        try:
            self.speaker.cue("listen")
            heard = self.listener.listen(action.expect)
        finally:
            if self.watching:
                self.watcher.start()
        self.transcript.write("heard", heard.text, value=heard.value, timed_out=heard.timed_out)
        if heard.value is not None:
            self.speaker.cue("understood")
        return heard

    def _between_steps(self) -> Heard | None:
        """Commands that came while speaking: handled here, or handed to the session."""
        if not self.watching:
            return None
        while (heard := self.watcher.next_command(0)) is not None:
            result = self.obey(heard, None)
            if result is not None:
                return result
        return None

    def run_timed(self, block: Timed) -> Heard | None:
        """Speak each cue at its planned time; the end lands exactly `duration` after start.

        A droppable cue (a count) is skipped when the next cue is already due, so slow speech
        never pushes the release late. A pause stops the block's clock. A stop, skip or
        "it hurts" ends the block at once and is returned to the session.
        """
        start = self.clock.now()
        self.transcript.write("event", f"{block.kind} starts", seconds=block.duration)
        state = _Block(block, start)
        cues = block.cues
        i = 0
        while True:
            target = cues[i].at if i < len(cues) else block.duration
            heard, self._pending = self._pending, None
            if heard is None and self.watching:
                heard = self._wait(state.start + target)
            if heard is None:
                self.clock.sleep_until(state.start + target)
            else:
                result = self.obey(heard, state)
                if result is not None:
                    self.transcript.write("event", f"{block.kind} interrupted: {result.value}",
                                          seconds=round(state.elapsed(self.clock.now()), 3))
                    return result
                continue
            if i == len(cues):
                break
            next_at = cues[i + 1].at if i + 1 < len(cues) else block.duration
            if cues[i].droppable and self.watching:
                heard = self._hold_back_while_spoken_to(state.start + next_at)
                if heard is not None:
                    continue  # obeyed at the top of the loop
            late = self.clock.now() >= state.start + next_at
            if not (cues[i].droppable and late):
                self.say(cues[i].text, CUT_BY_ANY if cues[i].droppable else CUT_BY_URGENT)
            i += 1
        end = self.clock.now()
        self.hold_log.append(BlockRun(block.kind, block.duration, start, end - state.paused))
        self.transcript.write("event", f"{block.kind} ends",
                              seconds=round(end - start - state.paused, 3))
        if block.end:
            self.say(block.end)
            self.last_instruction = block.end
            return self._between_steps()
        return None

    def _hold_back_while_spoken_to(self, until: float) -> Heard | None:
        """Don't talk over the person: a droppable cue waits while they are speaking."""
        while self.watcher.user_speaking() and self.clock.now() < until:
            heard = self.clock.wait_until(min(until, self.clock.now() + 0.05),
                                          self.watcher.next_command)
            if heard is not None:
                self._pending = heard
                return heard
        return None

    def _wait(self, until: float) -> Heard | None:
        """Wait until session time `until`, or until a command is heard."""
        return self.clock.wait_until(until, self.watcher.next_command)

    def obey(self, heard: Heard, block: _Block | None) -> Heard | None:
        """Carry out one command; return it when it is the session's to act on."""
        command = heard.value
        where = block.timed.kind if block else "between steps"
        self.transcript.write("heard", heard.text, value=command, during=where)
        if command in SESSION_COMMANDS:
            return heard
        if command == "pause":
            return self.pause(block)
        if command == "resume":
            self.say("We are not paused; carrying on.")
        elif command == "time_left":
            self.say(self._time_left(block))
        else:
            self._reply(command)
        return None

    def _reply(self, command: str | None) -> bool:
        """The commands answered the same way paused or not; False if `command` is not one."""
        if command == "repeat":
            self.say(self.last_instruction or "There is nothing to repeat yet.")
        elif command in ("slower", "faster", "louder", "quieter"):
            self.say(self.speaker.adjust(command))
        elif command == "help":
            self.say(HELP)
        else:
            return False
        return True

    def _time_left(self, block: _Block | None, at: float | None = None) -> str:
        """How long the block has left at `at` (now; while paused, when the pause began)."""
        if block is None:
            return "Nothing is being timed just now; the next step is coming."
        left = block.left(self.clock.now() if at is None else at)
        what = {"hold": "this hold", "rest": "this rest", "reps": "these reps",
                "breaths": "these breaths", "position": "getting into position",
                "gap": "this pause"}.get(block.timed.kind, "this step")
        return f"{capitalized(seconds_words(left))} left in {what}."

    def pause(self, block: _Block | None) -> Heard | None:
        """Stop the clock until "continue"; a session command while paused is returned."""
        paused_at = self.clock.now()
        self.transcript.write("event", "paused")
        self.say("Paused. Say continue when you are ready, or stop to finish.")
        while True:
            waited = self.clock.now() - paused_at
            if waited >= PAUSE_LIMIT:
                self.say("We have been paused for a long time, so I will stop here.")
                return Heard("stop", "(pause limit)")
            heard = self._wait(self.clock.now() + min(PAUSE_REMINDER, PAUSE_LIMIT - waited))
            if heard is None:
                self.say("Still paused. Say continue to carry on, or stop to finish.")
                continue
            command = heard.value
            self.transcript.write("heard", heard.text, value=command, during="pause")
            if command in SESSION_COMMANDS:
                return heard
            if command in ("resume", "pause"):
                break
            if command == "time_left":
                self.say(f"We are paused. {self._time_left(block, at=paused_at)} "
                         "Say continue when you are ready.")
            elif not self._reply(command):
                self.say("We are paused. Say continue when you are ready.")
        if block is not None:
            block.paused += self.clock.now() - paused_at
            left = block.left(self.clock.now())
            self.say(f"Carrying on. {capitalized(seconds_words(left))} to go.")
        else:
            self.say("Carrying on.")
        self.transcript.write("event", "resumed",
                              paused=round(self.clock.now() - paused_at, 3))
        return None


class BlockRun(NamedTuple):
    """A timed block that ran to its end; `end` leaves out the time spent paused."""

    kind: str
    planned: float
    start: float
    end: float


class _Block:
    """A timed block in progress: where its clock started and how long it has been paused."""

    def __init__(self, timed: Timed, start: float):
        self.timed = timed
        self.paused = 0.0
        self._start = start

    @property
    def start(self) -> float:
        """The block's start, moved later by every pause so the remaining cues keep time."""
        return self._start + self.paused

    def elapsed(self, now: float) -> float:
        return now - self.start

    def left(self, now: float) -> int:
        """Whole seconds still to go in the block."""
        return max(0, round(self.timed.duration - self.elapsed(now)))
