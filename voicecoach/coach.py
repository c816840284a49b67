"""The coach loop: the one place that performs the session's actions with real I/O."""

from __future__ import annotations

from voicecoach.actions import Ask, Heard, Outcome, Say, Timed
from voicecoach.clock import Clock
from voicecoach.listeners import Listener
from voicecoach.session import Script
from voicecoach.speakers import Speaker
from voicecoach.transcript import Transcript


class Coach:
    """Runs a session script with a speaker, a listener and a clock."""

    def __init__(self, speaker: Speaker, listener: Listener, clock: Clock,
                 transcript: Transcript | None = None):
        self.speaker = speaker
        self.listener = listener
        self.clock = clock
        self.transcript = transcript or Transcript(None, clock)
        self.hold_log: list[tuple[float, float, float]] = []  # planned, start, end of each block

    def say(self, text: str) -> None:
        self.transcript.write("say", text)
        self.speaker.say(text)

    def run(self, script: Script) -> Outcome:
        """Drive the script to its end and return how the session ended."""
        reply: Heard | None = None
        while True:
            try:
                action = script.send(reply)
            except StopIteration as stop:
                self.transcript.write("event", f"session ended: {stop.value.ended}")
                return stop.value
            reply = self.perform(action)

    def perform(self, action: Say | Ask | Timed) -> Heard | None:
        if isinstance(action, Say):
            self.say(action.text)
            return None
        if isinstance(action, Ask):
            self.transcript.write("ask", action.text, expect=action.expect)
            self.speaker.say(action.text)
            self.speaker.cue("listen")
            heard = self.listener.listen(action.expect)
            self.transcript.write("heard", heard.text, value=heard.value,
                                  timed_out=heard.timed_out)
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
        self.transcript.write("event", f"{block.kind} starts", seconds=block.duration)
        cues = block.cues
        for i, cue in enumerate(cues):
            self.clock.sleep_until(start + cue.at)
            next_at = cues[i + 1].at if i + 1 < len(cues) else block.duration
            if cue.droppable and self.clock.now() >= start + next_at:
                continue
            self.say(cue.text)
        self.clock.sleep_until(start + block.duration)
        end = self.clock.now()
        self.hold_log.append((block.duration, start, end))
        self.transcript.write("event", f"{block.kind} ends", seconds=round(end - start, 3))
        if block.end:
            self.say(block.end)
