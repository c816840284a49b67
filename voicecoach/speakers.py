"""Speakers: espeak-ng through pyttsx3 played by a player process, plain console text, WAV file.

pyttsx3 is used only to render each utterance to a WAV file (one `save_to_file` per
`runAndWait`), because its own playback cannot be interrupted and loses queued utterances;
a player subprocess then plays the WAV, so the length of each utterance is known.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from voicecoach.audio import EARCONS, Clip, read_wav, silence, tone, trim_trailing_silence
from voicecoach.deadline import Stalled, within
from voicecoach.errors import AudioOutputError
from voicecoach.quiet import quiet_stderr


class Speaker(Protocol):
    """Says things to the user, one utterance at a time, returning when it is said."""

    def say(self, text: str) -> None: ...

    def cue(self, name: str) -> None: ...

    def adjust(self, command: str) -> str:
        """Apply "slower", "faster", "louder" or "quieter"; return what to tell the user."""
        ...

    def close(self) -> None: ...


class PlaybackObserver(Protocol):
    """Told what the loudspeaker plays and when (the echo canceller needs to know)."""

    def played(self, clip: Clip, at: float) -> None:
        """`clip` started playing at monotonic time `at`."""
        ...

    def cut(self, at: float) -> None:
        """Whatever was playing stopped at monotonic time `at`, before its end."""
        ...


@runtime_checkable
class Cuttable(Protocol):
    """A speaker whose utterance can be cut short: it asks `cut_short` while it plays."""

    cut_short: Callable[[], bool] | None
    was_cut: bool  # whether the last utterance was cut short


CUT_POLL = 0.02  # seconds between two looks at `cut_short` while playing
PLAYER_GRACE = 10.0  # a player still running this long after its sound's end has hung


class ConsoleSpeaker:
    """Plain text, one line per utterance, flushed: what a screen reader follows best."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def cue(self, name: str) -> None:
        """Text mode has no earcons: the typed prompt is the cue."""

    def adjust(self, command: str) -> str:
        return "Speech is off, so there is no speed or volume to change."

    def close(self) -> None:
        """Nothing to release."""


_ENGINE = None
_ENGINE_LOCK = threading.Lock()


def _shared_engine() -> object:
    """The process's one pyttsx3 engine: its espeak driver keeps global state, so a second
    engine in the same process corrupts the first one's callbacks."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            import pyttsx3

            with quiet_stderr():  # espeak-ng probes the sound devices through ALSA
                _ENGINE = pyttsx3.init()
        return _ENGINE


class Pyttsx3Renderer:
    """Renders text to audio with pyttsx3 over espeak-ng, entirely offline."""

    # pyttsx3's espeak driver can return from runAndWait before its callback has written the
    # file, and now and then (about 1 in 500 here) writes an empty one; wait this long for a
    # complete WAV, and render again, up to ATTEMPTS times, before calling it a failure.
    FILE_WAIT_SECONDS = 3.0
    EMPTY_GRACE_SECONDS = 0.3
    ATTEMPTS = 3

    def __init__(self, rate: int | None = None, voice: str | None = None, volume: float = 1.0):
        try:
            self._engine = _shared_engine()
        except Exception as exc:  # pyttsx3 raises bare errors when espeak-ng is missing
            raise AudioOutputError(
                f"text-to-speech is not available ({exc}); install espeak-ng "
                "(apt-get install espeak-ng) or use --text"
            ) from None
        self.volume = max(0.0, min(1.0, volume))
        # Remembered, and set before every rendering: the engine is shared, and another
        # renderer may have changed it since.
        self.rate = rate or int(self._engine.getProperty("rate"))
        self.voice = voice or self._engine.getProperty("voice")
        if voice is not None and voice not in self.voices():
            sample = ", ".join(sorted(self.voices())[:12])
            raise AudioOutputError(
                f"unknown voice {voice!r}; try one of: {sample} "
                "(voicecoach voices lists them all)"
            )

    def voices(self) -> list[str]:
        return [v.id for v in self._engine.getProperty("voices")]

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

    def render(self, text: str) -> Clip:
        """The utterance as mono 16-bit PCM at the synthesiser's rate."""
        with _ENGINE_LOCK, tempfile.TemporaryDirectory(prefix="voicecoach-") as tmp:
            self._engine.setProperty("rate", self.rate)
            self._engine.setProperty("voice", self.voice)
            problem = ""
            for attempt in range(self.ATTEMPTS):
                path = Path(tmp) / f"utterance-{attempt}.wav"
                with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved"
                    self._engine.save_to_file(text, str(path))
                    self._engine.runAndWait()
                    clip, problem = self._wait_for_wav(path)
                if clip is not None:
                    return trim_trailing_silence(clip).scaled(self.volume)
        raise AudioOutputError(f"speech synthesis produced no audio: {problem}")

    def _wait_for_wav(self, path: Path) -> tuple[Clip | None, str]:
        start = time.monotonic()
        problem = "no file was written"
        empty_since: float | None = None
        while (now := time.monotonic()) < start + self.FILE_WAIT_SECONDS:
            try:
                data = path.read_bytes()
                clip = read_wav(data)
                if clip.pcm and len(data) >= 44 + len(clip.pcm):
                    return clip, ""
                problem = "the file was empty"
                empty_since = empty_since or now
                if now - empty_since > self.EMPTY_GRACE_SECONDS:
                    break
            except FileNotFoundError:
                pass
            except (OSError, EOFError, ValueError, wave.Error) as exc:
                problem = str(exc)
            time.sleep(0.005)
        return None, problem


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

    def __init__(self, renderer: Pyttsx3Renderer, echo: TextIO | None = None,
                 player: list[str] | None = None, earcons: bool = True):
        self.renderer = renderer
        self.console = ConsoleSpeaker(echo)
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
        self.console.say(text)
        self.was_cut = False
        if not self.audio_ok:
            if time.monotonic() < self._retry_at:
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


class WavFileSpeaker:
    """Renders every utterance into one WAV file, with a short pause between them.

    The file's header is brought up to date after every utterance, so the file is valid
    even if the session is killed part-way.
    """

    def __init__(self, renderer: Pyttsx3Renderer, path: Path, echo: TextIO | None = None,
                 gap: float = 0.4):
        self.renderer = renderer
        self.path = path
        self.console = ConsoleSpeaker(echo) if echo is not None else None
        self.gap = gap
        self.rate = 0
        self.utterances: list[tuple[float, float, str]] = []  # start, end (s), text
        self._seconds = 0.0
        self._wav: wave.Wave_write | None = None

    def say(self, text: str) -> None:
        if self.console:
            self.console.say(text)
        self._append(self.renderer.render(text), text)

    def cue(self, name: str) -> None:
        if name in EARCONS:
            self._append(tone(EARCONS[name], rate=self.rate or 22050), "")

    def adjust(self, command: str) -> str:
        return self.renderer.adjust(command)

    def _append(self, clip: Clip, text: str) -> None:
        if self._wav is None:
            self.rate = clip.rate
            try:
                self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 (open until close)
            except OSError as exc:
                raise AudioOutputError(f"cannot write {self.path}: {exc}") from None
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(self.rate)
        if clip.rate != self.rate:
            raise AudioOutputError(f"mixed sample rates in {self.path}")
        self.utterances.append((self._seconds, self._seconds + clip.seconds, text))
        pause = silence(self.gap, self.rate)
        self._wav.writeframes(clip.pcm + pause.pcm)  # also rewrites the header's length
        self._seconds += clip.seconds + pause.seconds

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
