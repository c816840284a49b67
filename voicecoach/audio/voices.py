"""Choosing the voice: espeak-ng (the default), or piper for "piper:NAME" when installed."""

from __future__ import annotations

from collections.abc import Callable

from voicecoach.audio.adjusting import Adjustable
from voicecoach.audio.piper_voice import (
    PREFIX,
    PiperMissing,
    PiperRenderer,
    find_voice,
    installed_voices,
    piper_installed,
)
from voicecoach.audio.rendering import Pyttsx3Renderer
from voicecoach.audio.wyoming_client import parse_service
from voicecoach.audio.wyoming_voice import WyomingRenderer


def is_piper(voice: str | None) -> bool:
    return bool(voice) and str(voice).startswith(PREFIX)


def make_renderer(rate: int | None = None, voice: str | None = None, volume: float = 1.0,
                  on_fallback: Callable[[str], None] | None = None,
                  tts: str | None = None) -> Adjustable:
    """The renderer for `voice`. A piper voice that is not installed falls back to espeak-ng's
    default voice, telling `on_fallback` why (with no `on_fallback`, it is an error).
    With `tts` (wyoming://HOST:PORT), that household server speaks, and `voice` when it is
    down."""
    if tts:
        local = make_renderer(rate, voice, volume, on_fallback)
        return WyomingRenderer(parse_service(tts), local, on_problem=on_fallback)
    if is_piper(voice):
        try:
            return PiperRenderer(str(voice), rate=rate, volume=volume)
        except PiperMissing as exc:
            if on_fallback is None:
                raise
            on_fallback(f"{exc}; speaking with espeak-ng meanwhile")
        voice = None
    return Pyttsx3Renderer(rate=rate, voice=voice, volume=volume)


def voice_details() -> list[dict[str, str]]:
    """Every voice for --voice: espeak-ng's, then the installed piper voices."""
    found = Pyttsx3Renderer().voice_details()
    if piper_installed():
        for name, files in sorted(installed_voices().items()):
            found.append({"id": PREFIX + name,
                          "name": f"{files.language}, piper ({files.source})"})
    return found


def check_voice(voice: str) -> str:
    """Raise for an espeak-ng voice that does not exist; for a piper voice not installed yet,
    return a warning (espeak-ng speaks until it is)."""
    if is_piper(voice):
        try:
            find_voice(voice)
        except PiperMissing as exc:
            return f"{exc}; until then espeak-ng speaks"
        return ""
    Pyttsx3Renderer(voice=voice)
    return ""
