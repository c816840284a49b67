"""Rendered sentences kept on disk, so a slow voice renders each sentence only once.

Everything the coach says is built from a fixed set of sentences, so after the first session
(or `voicecoach voices --prepare`) nearly every sentence is played straight from the cache.
Files live in $VOICECOACH_CACHE, else $XDG_CACHE_HOME/voicecoach (~/.cache/voicecoach); a
damaged file is rendered again, and a folder that cannot be written only means no caching.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import wave
from pathlib import Path

from voicecoach.audio.wav import Clip, read_wav

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of an utterance, each cached and rendered on its own."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def default_cache_dir() -> Path:
    """$VOICECOACH_CACHE, else $XDG_CACHE_HOME/voicecoach, else ~/.cache/voicecoach."""
    if custom := os.environ.get("VOICECOACH_CACHE"):
        return Path(custom)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "voicecoach"


class SentenceCache:
    """WAV files named by a hash of the voice, its settings and the sentence."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or default_cache_dir()
        self.writable = True
        self.problem = ""
        self.hits = self.misses = 0

    def path(self, voice_key: str, sentence: str) -> Path:
        digest = hashlib.sha256(f"{voice_key}\n{sentence}".encode()).hexdigest()
        return self.folder / _safe(voice_key) / digest[:2] / f"{digest}.wav"

    def get(self, voice_key: str, sentence: str) -> Clip | None:
        try:
            clip = read_wav(self.path(voice_key, sentence).read_bytes())
        except (OSError, EOFError, ValueError, wave.Error):
            self.misses += 1
            return None  # absent or damaged: rendered again
        if not clip.pcm:
            self.misses += 1
            return None
        self.hits += 1
        return clip

    def put(self, voice_key: str, sentence: str, clip: Clip) -> None:
        """Keep `clip`, written whole or not at all (a killed process leaves no half file)."""
        if not self.writable:
            return
        target = self.path(voice_key, sentence)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(clip.to_wav())
            os.replace(temporary, target)
        except OSError as exc:
            self.writable = False
            self.problem = f"cannot write the speech cache in {self.folder}: {exc.strerror or exc}"
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)

    def has(self, voice_key: str, sentence: str) -> bool:
        return self.path(voice_key, sentence).is_file()


def _safe(key: str) -> str:
    """A folder name for a voice key ("piper-joe-1.0.0-l1.00")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip("-") or "voice"
