"""Build the real speaker and listener for a session, falling back gracefully.

No audio output: say so once, continue in text. No microphone: say so, use the keyboard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from voicecoach.audio.audio_speaker import AudioSpeaker
from voicecoach.audio.speakers import ConsoleSpeaker, Speaker, WavFileSpeaker
from voicecoach.audio.voices import make_renderer
from voicecoach.audio.wyoming_client import parse_service
from voicecoach.errors import AudioInputError, AudioOutputError
from voicecoach.hearing.keyboard import KeyboardWatcher, LineFeed
from voicecoach.hearing.listeners import (
    Listener,
    SpeechListener,
    microphone_listener,
    wav_files_listener,
)
from voicecoach.hearing.second_pass import use_household_transcriber
from voicecoach.hearing.typed import FallbackListener, KeyboardListener
from voicecoach.hearing.voice_watcher import VoiceWatcher
from voicecoach.hearing.watchers import AnyWatcher, Watcher
from voicecoach.hearing.wyoming_asr import WyomingTranscriber


def build_speaker(*, text: bool, rate: int, volume: float, voice: str | None,
                  speak_to: Path | None = None, earcons: bool = True,
                  print_speech: bool = True, tts: str | None = None) -> Speaker:
    """Console text, a WAV file, or the sound card (falling back to text if speech fails)."""
    stdout = sys.stdout
    if text and speak_to is None:
        return ConsoleSpeaker(stdout)
    try:
        renderer = make_renderer(rate=rate, voice=voice, volume=volume, tts=tts,
                                 on_fallback=lambda why: click.echo(f"({why}.)", err=True))
    except AudioOutputError as exc:
        if voice is not None or speak_to is not None:
            raise
        click.echo(f"(No speech: {exc}. Continuing in text only.)")
        return ConsoleSpeaker(stdout)
    if speak_to is not None:
        return WavFileSpeaker(renderer, speak_to, echo=stdout)
    return AudioSpeaker(renderer, echo=stdout, earcons=earcons, print_speech=print_speech)


def build_io(*, text: bool, rate: int, volume: float, voice: str | None,
             answer_files: list[Path], speak_to: Path | None, earcons: bool,
             mic_device: int | None, on_listen: Callable[[], None] | None = None,
             print_speech: bool = True, tts: str | None = None,
             asr: str | None = None) -> tuple[Speaker, Listener, Watcher]:
    """The speaker, the answer listener and the command watcher the options ask for.

    Commands come from wherever answers come from: typed lines in text mode (and also at a
    terminal in voice mode), the microphone in voice mode; answer files give no commands.
    `on_listen` is called each time the microphone starts listening for an answer.
    `tts` and `asr` are the household's Wyoming services (wyoming://HOST:PORT), opt-in.
    """
    stdout = sys.stdout
    speaker = build_speaker(text=text, rate=rate, volume=volume, voice=voice,
                            speak_to=speak_to, earcons=earcons, print_speech=print_speech,
                            tts=tts)
    if asr:
        use_household_transcriber(WyomingTranscriber(parse_service(asr)))

    listener: Listener
    stdin = sys.stdin
    interactive = _isatty(stdin)
    feed = LineFeed(stdin)
    keyboard = KeyboardListener(feed, stdout, echo_input=not interactive)
    keys = KeyboardWatcher(feed, stdout, interactive)
    watcher: Watcher = keys
    if answer_files:
        listener = wav_files_listener(answer_files)
        watcher = AnyWatcher([])
    elif text:
        listener = keyboard
    else:
        def open_microphone() -> SpeechListener:
            return microphone_listener(mic_device, on_listen)

        try:
            microphone: SpeechListener | None = open_microphone()
        except AudioInputError as exc:
            speaker.say(f"I cannot use a microphone: {exc}. Please type your answers instead; "
                        "I will listen again if a microphone appears.")
            microphone = None
        fallback = FallbackListener(open_microphone, keyboard, speaker.say, microphone)
        listener = fallback
        voice = voice_watcher(fallback)
        if isinstance(speaker, AudioSpeaker):
            speaker.observer = voice  # so its own voice can be taken out of the mic
        watcher = voice
        if interactive:
            watcher = AnyWatcher([watcher, keys])
    return speaker, listener, watcher


def voice_watcher(microphone: FallbackListener) -> VoiceWatcher:
    """Commands from the same microphone as the answers, while there is one.

    If it fails while watching, that is printed at once and said aloud at the next question
    (the watcher's thread must not talk over the coach).
    """

    def lost(problem: str) -> None:
        if microphone.available:
            click.echo(f"({problem}; you can still type commands.)")
            microphone.lost(problem)

    return VoiceWatcher(microphone.open_source, on_error=lost)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


