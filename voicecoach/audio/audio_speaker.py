"""The loudspeaker: rendered speech played by a player process, cut short on demand."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import TextIO

from voicecoach.audio.adjusting import Renderer
from voicecoach.audio.deadline import Stalled, within
from voicecoach.audio.speakers import ConsoleSpeaker, PlaybackObserver
from voicecoach.audio.wav import EARCONS, Clip, tone
from voicecoach.errors import AudioOutputError

CUT_POLL = 0.02  # seconds between two looks at `cut_short` while playing


PLAYER_GRACE = 10.0  # a player still running this long after its sound's end has hung


def find_player() -> list[str] | None:
    """The command that plays a WAV file: $VOICECOACH_PLAYER, paplay under PulseAudio, aplay."""
    if custom := os.environ.get("VOICECOACH_PLAYER"):
        return shlex.split(custom)
    if os.environ.get("PULSE_SERVER") and shutil.which("paplay"):
        return ["paplay"]
    if shutil.which("aplay"):
        return ["aplay", "-q"]
    if shutil.which("paplay"):
        return ["paplay"]
    return None


class AudioSpeaker:
    """Speaks through the sound card, and echoes each line as text.

    If synthesis or playback fails (no device, no player, a hung synthesiser), it says so once
    on the console and carries on in text, so the session never stops for want of a
    loudspeaker; every RETRY_SECONDS it quietly tries the sound again, and says when it is back.
    """

    def __init__(self, renderer: Renderer, echo: TextIO | None = None,
                 player: list[str] | None = None, earcons: bool = True,
                 print_speech: bool = True):
        self.renderer = renderer
        self.console = ConsoleSpeaker(echo)
        # False: spoken lines are not printed too (a screen reader would read each twice);
        # they are printed whenever the sound fails, and problems always are
        self.print_speech = print_speech
        self.player = player if player is not None else find_player()
        self.earcons = earcons
        self.audio_ok = True
        self.problem = ""
        self._retry_at = 0.0
        self._retrying = False
        self.observer: PlaybackObserver | None = None
        self.cut_short: Callable[[], bool] | None = None
        self.was_cut = False

    RENDER_LIMIT = 15.0  # seconds; a synthesiser that takes longer has hung

    RETRY_SECONDS = 10.0  # after a failure, try the sound again this often (it may come back)

    def say(self, text: str) -> None:
        if self.print_speech:
            self.console.say(text)
        self.was_cut = False
        if not self.audio_ok:
            if time.monotonic() < self._retry_at:
                if not self.print_speech:
                    self.console.say(text)
                return
            self.audio_ok = True  # try again, quietly unless it works
            self._retrying = True
        try:
            clip = within(self.RENDER_LIMIT, lambda: self.renderer.render(text),
                          "voicecoach-speech")
        except AudioOutputError as exc:
            self._give_up(str(exc))
        except Stalled:
            self._give_up(f"speech synthesis gave nothing for {self.RENDER_LIMIT:g} seconds")
        else:
            self._play(clip)
        if not self.audio_ok and not self.print_speech:
            self.console.say(text)  # not heard, so it must be read
        if self._retrying and self.audio_ok:
            self.console.say("(Audio output is back.)")
        self._retrying = False

    def cue(self, name: str) -> None:
        if self.audio_ok and self.earcons and name in EARCONS:
            self._play(tone(EARCONS[name]))

    def adjust(self, command: str) -> str:
        return self.renderer.adjust(command)

    def _play(self, clip: Clip) -> None:
        if not self.player:
            self._give_up("no audio player found (install alsa-utils for aplay)")
            return
        with tempfile.NamedTemporaryFile(suffix=".wav", prefix="voicecoach-") as f, \
                tempfile.TemporaryFile() as errors:
            f.write(clip.to_wav())
            f.flush()
            if self.observer is not None:
                self.observer.played(clip, time.monotonic())
            try:
                player = subprocess.Popen([*self.player, f.name], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=errors)
            except OSError as exc:
                self._give_up(f"{self.player[0]} failed: {exc}")
                return
            ended = self._wait_out(player, clip.seconds + PLAYER_GRACE)
            if ended == "cut":
                return
            if ended == "hung":
                self._give_up(f"{self.player[0]} did not finish within "
                              f"{clip.seconds + PLAYER_GRACE:.0f} s")
                return
            if player.returncode != 0:
                errors.seek(0)
                lines = errors.read().decode(errors="replace").strip().splitlines()
                detail = lines[-1] if lines else f"exit status {player.returncode}"
                self._give_up(f"{self.player[0]}: {detail}")

    def _wait_out(self, player: subprocess.Popen, limit: float) -> str:
        """Wait for the player to finish ("done"), or stop it when `cut_short` says so ("cut")
        or when it runs past `limit` seconds ("hung")."""
        deadline = time.monotonic() + limit
        while True:
            try:
                player.wait(timeout=CUT_POLL)
                return "done"
            except subprocess.TimeoutExpired:
                pass
            cut = self.cut_short is not None and self.cut_short()
            if cut or time.monotonic() > deadline:
                player.kill()
                player.wait()
                if not cut:
                    return "hung"
                self.was_cut = True
                if self.observer is not None:
                    self.observer.cut(time.monotonic())
                return "cut"

    def _give_up(self, reason: str) -> None:
        self.audio_ok = False
        self._retry_at = time.monotonic() + self.RETRY_SECONDS
        if not self._retrying:  # a retry that fails again says nothing new
            self.problem = reason
            self.console.say(f"(No audio output: {reason}. Continuing in text only.)")

    def close(self) -> None:
        """Nothing held open between utterances."""
