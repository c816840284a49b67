"""Speech to audio: espeak-ng through pyttsx3, rendered to WAV, entirely offline.

pyttsx3 is used only to render each utterance to a WAV file (one `save_to_file` per
`runAndWait`), because its own playback cannot be interrupted and loses queued utterances;
a player subprocess then plays the WAV, so the length of each utterance is known.
"""

from __future__ import annotations

import atexit
import contextlib
import difflib
import io
import tempfile
import threading
import time
import wave
from pathlib import Path

from voicecoach.audio.adjusting import Adjustable
from voicecoach.audio.quiet import quiet_stderr
from voicecoach.audio.wav import Clip, read_wav, trim_trailing_silence
from voicecoach.errors import AudioOutputError

_ENGINE = None


_ENGINE_LOCK = threading.Lock()
RELEASE_WAIT = 1.0  # seconds the process waits at exit for a rendering in progress


@atexit.register
def _release_engine() -> None:
    """Close pyttsx3's driver while the interpreter is still whole. Left to pyttsx3's own
    __del__, it ran during shutdown in a process that still held the engine (the test run's)
    and printed "Exception ignored ... 'NoneType' object has no attribute 'suppress'"."""
    global _ENGINE
    if _ENGINE is None or not _ENGINE_LOCK.acquire(timeout=RELEASE_WAIT):
        return
    try:
        engine, _ENGINE = _ENGINE, None
        with contextlib.suppress(Exception):
            del engine.proxy  # the driver's last strong reference: it closes now
    finally:
        _ENGINE_LOCK.release()


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


class Pyttsx3Renderer(Adjustable):
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
            known = self.voices()
            near = [v for v in known if v.rsplit("/", 1)[-1].lower() == voice.lower()]
            near += difflib.get_close_matches(voice, known, n=6, cutoff=0.5)
            sample = ", ".join(dict.fromkeys(near)) or ", ".join(sorted(known)[:12])
            raise AudioOutputError(
                f"unknown voice {voice!r}; try one of: {sample} "
                "(voicecoach voices lists them all)"
            )

    def voices(self) -> list[str]:
        return [v.id for v in self._engine.getProperty("voices")]

    def voice_details(self) -> list[dict[str, str]]:
        """Each installed voice's id (for --voice) and its name ("English (Great Britain)")."""
        return [{"id": v.id, "name": str(v.name or v.id)}
                for v in self._engine.getProperty("voices")]

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
