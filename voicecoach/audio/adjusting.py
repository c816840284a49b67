"""Speech rate and volume, changed a step at a time by "slower", "faster", "louder", "quieter"."""

from __future__ import annotations

from typing import Protocol

from voicecoach.audio.wav import Clip


class Renderer(Protocol):
    """Turns an utterance into audio: espeak-ng (rendering.py) or piper (piper_voice.py)."""

    rate: int
    volume: float
    voice: str

    def render(self, text: str) -> Clip: ...

    def adjust(self, command: str) -> str: ...


class Adjustable:
    """What every renderer shares: a rate in words a minute and a volume from 0 to 1."""

    rate: int
    volume: float

    RATE_STEP, RATE_RANGE = 20, (80, 400)  # words a minute
    VOLUME_STEP, VOLUME_RANGE = 0.2, (0.2, 1.0)  # never so quiet it cannot be heard

    def adjust(self, command: str) -> str:
        """Change the rate or volume by one step; say what happened, or why it did not."""
        if command in ("slower", "faster"):
            rate = self.rate
            step = self.RATE_STEP if command == "faster" else -self.RATE_STEP
            new = max(self.RATE_RANGE[0], min(self.RATE_RANGE[1], rate + step))
            if new == rate:
                return f"That is already as {'fast' if step > 0 else 'slow'} as I can speak."
            self.rate = new
            return "Speaking faster." if step > 0 else "Speaking slower."
        step = self.VOLUME_STEP if command == "louder" else -self.VOLUME_STEP
        new = round(max(self.VOLUME_RANGE[0], min(self.VOLUME_RANGE[1], self.volume + step)), 2)
        if new == self.volume:
            if step > 0:
                return "That is already my loudest; please turn up the speaker itself."
            return "That is already my quietest."
        self.volume = new
        return "Speaking louder." if step > 0 else "Speaking more quietly."

