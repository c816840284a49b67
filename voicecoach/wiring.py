"""Build the real speaker and listener for a session, falling back gracefully.

No audio output: say so once, continue in text. No microphone: say so, use the keyboard.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach.errors import AudioInputError, AudioOutputError
from voicecoach.listeners import KeyboardListener, Listener, microphone_listener, wav_files_listener
from voicecoach.speakers import (
    AudioSpeaker,
    ConsoleSpeaker,
    Pyttsx3Renderer,
    Speaker,
    WavFileSpeaker,
)


def build_io(*, text: bool, rate: int, volume: float, voice: str | None,
             answer_files: list[Path], speak_to: Path | None, earcons: bool,
             mic_device: int | None) -> tuple[Speaker, Listener]:
    """The speaker and listener the options ask for."""
    stdout = sys.stdout
    speaker: Speaker
    if text and speak_to is None:
        speaker = ConsoleSpeaker(stdout)
    else:
        try:
            renderer = Pyttsx3Renderer(rate=rate, voice=voice, volume=volume)
        except AudioOutputError as exc:
            if voice is not None or speak_to is not None:
                raise
            click.echo(f"(No speech: {exc}. Continuing in text only.)")
            renderer = None
        if renderer is None:
            speaker = ConsoleSpeaker(stdout)
        elif speak_to is not None:
            speaker = WavFileSpeaker(renderer, speak_to, echo=stdout)
        else:
            speaker = AudioSpeaker(renderer, echo=stdout, earcons=earcons)

    listener: Listener
    stdin = sys.stdin
    keyboard = KeyboardListener(stdin, stdout, echo_input=not _isatty(stdin))
    if answer_files:
        listener = wav_files_listener(answer_files)
    elif text:
        listener = keyboard
    else:
        try:
            listener = microphone_listener(mic_device)
        except AudioInputError as exc:
            speaker.say(f"I cannot use a microphone: {exc}. Please type your answers instead.")
            listener = keyboard
    return speaker, listener


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


