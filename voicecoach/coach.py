"""The coach loop: the one place that performs the session's actions with real I/O."""

from __future__ import annotations

from voicecoach.actions import Ask, Heard, Outcome, Say, Timed
from voicecoach.clock import Clock
from voicecoach.listeners import Listener
from voicecoach.session import Script
from voicecoach.speakers import Speaker


class Coach:
    """Runs a session script with a speaker, a listener and a clock."""

    def __init__(self, speaker: Speaker, listener: Listener, clock: Clock):
        self.speaker = speaker
        self.listener = listener
        self.clock = clock
        self.hold_log: list[tuple[float, float, float]] = []  # planned, start, end of each block

    def run(self, script: Script) -> Outcome:
        """Drive the script to its end and return how the session ended."""
        reply: Heard | None = None
        while True:
            try:
                action = script.send(reply)
            except StopIteration as stop:
                return stop.value
            reply = self.perform(action)

    def perform(self, action: Say | Ask | Timed) -> Heard | None:
        if isinstance(action, Say):
            self.speaker.say(action.text)
            return None
        if isinstance(action, Ask):
            self.speaker.say(action.text)
            self.speaker.cue("listen")
            heard = self.listener.listen(action.expect)
            if heard.value is not None:
                self.speaker.cue("understood")
            return heard
        self.run_timed(action)
        return None

    def run_timed(self, block: Timed) -> None:
        """Speak each cue at its planned time; the end lands exactly `duration` after start.

        A droppable cue (a count) is skipped when the next cue is already due, so slow speech
        never pushes the release late.
        """
        start = self.clock.now()
        cues = block.cues
        for i, cue in enumerate(cues):
            self.clock.sleep_until(start + cue.at)
            next_at = cues[i + 1].at if i + 1 < len(cues) else block.duration
            if cue.droppable and self.clock.now() >= start + next_at:
                continue
            self.speaker.say(cue.text)
        self.clock.sleep_until(start + block.duration)
        end = self.clock.now()
        self.hold_log.append((block.duration, start, end))
        if block.end:
            self.speaker.say(block.end)
