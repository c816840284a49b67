"""A second opinion on a short phrase: which of a few single words it sounds like.

pocketsphinx's bundled acoustic model hears digits and short answers poorly (see tuning.py). A
pretrained speech embedding (Google's speech_embedding, as converted to ONNX by openWakeWord
0.4.0 and computed here in numpy, hearing/speech_embedding.py; see
data/speech_embedding/README.md) turns a phrase into 96 numbers per 80 ms; their mean
and maximum over the phrase go into a linear classifier trained by `scripts/train_word_check.py`
on the real recordings of training speakers only (held-out speakers are kept for measuring).

The classifier knows only the words it was trained on; `second_opinion` (pure) decides how its
verdict and pocketsphinx's combine, with the thresholds in tuning.py.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np

from voicecoach.audio.deadline import load_in_background
from voicecoach.hearing.speech_embedding import SpeechEmbedding
from voicecoach.hearing.tuning import CheckRule

SAMPLE_RATE = 16000
PAD_SECONDS = 0.5  # silence each side, as in training
KEEP_SECONDS = 0.25  # kept each side of the loud part (at least a tenth of the peak's RMS)
MIN_SECONDS = 1.3  # the embedding needs 76 mel frames (0.76 s); shorter input is padded
WEIGHTS_FILE = "word_check.npz"


def held_out(speaker_id: str) -> bool:
    """Speakers whose recordings are never trained on, kept to measure the check honestly:
    those whose id hashes to a first hex digit 0-4 (5 in 16, about 31%)."""
    return hashlib.sha256(speaker_id.encode()).hexdigest()[0] in "01234"


@dataclass(frozen=True)
class Verdict:
    """The word the phrase sounds most like, and the classifier's probability for it."""

    word: str
    probability: float


class Embedder:
    """PCM to pooled speech-embedding features (192 numbers). Loading takes a few milliseconds."""

    def __init__(self, network: SpeechEmbedding | None = None) -> None:
        self.network = network or SpeechEmbedding()

    def features(self, pcm: bytes) -> np.ndarray:
        """Mean and maximum of the embeddings of 16-bit mono 16 kHz PCM, padded with silence."""
        samples = loud_part(np.frombuffer(pcm, np.int16).astype(np.float32))
        pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE), np.float32)
        samples = np.concatenate([pad, samples, pad])
        short = int(MIN_SECONDS * SAMPLE_RATE) - len(samples)
        if short > 0:
            samples = np.concatenate([samples, np.zeros(short, np.float32)])
        embeddings = self.embeddings(samples)
        return np.concatenate([embeddings.mean(0), embeddings.max(0)])

    def embeddings(self, samples: np.ndarray) -> np.ndarray:
        """One 96-number embedding per 80 ms of float32 samples (at least 0.76 s of them)."""
        return self.network.embeddings(samples)


def loud_part(samples: np.ndarray) -> np.ndarray:
    """The samples from KEEP_SECONDS before the first 10 ms frame at a tenth of the loudest
    frame's RMS to KEEP_SECONDS after the last: the embedding's cost grows with the length."""
    frame = SAMPLE_RATE // 100
    n = len(samples) // frame
    if n == 0:
        return samples
    rms = np.sqrt((samples[:n * frame].reshape(n, frame) ** 2).mean(axis=1))
    loud = np.flatnonzero(rms >= 0.1 * rms.max())
    keep = int(KEEP_SECONDS * SAMPLE_RATE)
    return samples[max(0, loud[0] * frame - keep):(loud[-1] + 1) * frame + keep]


@dataclass(frozen=True)
class Classifier:
    """Multinomial logistic regression on standardised features."""

    words: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (features, words)
    bias: np.ndarray  # (words,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)

    def verdict(self, features: np.ndarray) -> Verdict:
        p = self.probabilities(features)
        best = int(np.argmax(p))
        return Verdict(self.words[best], float(p[best]))


def load_classifier() -> Classifier:
    data = resources.files("voicecoach").joinpath(f"data/{WEIGHTS_FILE}").read_bytes()
    with np.load(io.BytesIO(data)) as z:
        return Classifier(tuple(str(w) for w in z["words"]), z["mean"], z["scale"],
                          z["weights"], z["bias"])


class WordCheck:
    """Embedder plus classifier; `verdict(pcm)` in about 5-15 ms per phrase on one core."""

    def __init__(self) -> None:
        self.embedder = Embedder()
        self.classifier = load_classifier()

    def verdict(self, pcm: bytes) -> Verdict:
        return self.classifier.verdict(self.embedder.features(pcm))


_check: WordCheck | None = None
_check_problem: str | None = None
_check_lock = threading.Lock()


_preloader: threading.Thread | None = None
PRELOAD_WAIT = 30.0  # seconds the process waits at exit for a load in progress


def preload_check() -> None:
    """Start loading the word check on a helper thread (about 25 ms), once per process."""
    global _preloader
    with _check_lock:
        if _preloader is None and _check is None:
            _preloader = load_in_background(shared_check, "voicecoach-word-check", PRELOAD_WAIT)


def shared_check() -> WordCheck | None:
    """The process's word check, or None when it cannot load (a weights file missing or
    unreadable): pocketsphinx then decides alone, as before the check existed."""
    global _check, _check_problem
    with _check_lock:
        if _check is None and _check_problem is None:
            try:
                _check = WordCheck()
            except Exception as exc:  # whatever fails, pocketsphinx decides alone
                _check_problem = f"{type(exc).__name__}: {exc}"
                logging.getLogger(__name__).warning(
                    "word check unavailable, pocketsphinx decides alone (%s)", _check_problem)
        return _check


def second_opinion(value: str | None, text: str, verdict: Verdict,
                   meaning: Mapping[str, str], known: tuple[str, ...],
                   rule: CheckRule) -> str | None:
    """Combine pocketsphinx's value (from `text`) with the word check's verdict.

    pocketsphinx's answer stands when the check's best word means the same. Otherwise it is
    dropped (not understood: asked again) when the check is `rule.contradict` sure of another
    answer of this vocabulary ("a eight" against "three"), `rule.disagree` sure of another
    word where pocketsphinx's text is one of the check's own words ("yes" against "five"), or
    `rule.veto` sure of any other word ("I do" against a clear "five"). A phrase pocketsphinx
    did not understand is taken as the check's word when that is an answer here, not in
    `rule.never_rescued`, and the check is `rule.rescue` sure. `meaning` maps phrases to this
    vocabulary's values (the vocabulary's own phrases); `known` are the check's words.
    """
    checked = meaning.get(verdict.word)
    sure = verdict.probability
    if value is not None:
        if checked == value:
            return value
        if ((checked is not None and sure >= rule.contradict)
                or (text in known and sure >= rule.disagree) or sure >= rule.veto):
            return None
        return value
    if checked is not None and checked not in rule.never_rescued and sure >= rule.rescue:
        return checked
    return None
