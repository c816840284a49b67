"""A second stage for the wake phrase: a head on the speech embedding that confirms it.

The grammar spotter (hearing/wake.py) proposes; this head, a small neural network on the
speech embedding (the word check's, hearing/word_check.py) of the first HEAD_SECONDS of the
phrase's loud part (averaged over BLOCKS stretches of time, in order, and its maximum), says
how sure it is that the phrase begins with "hey coach". The network is a few members trained
alike from different random starts, their log-odds averaged (steadier than any one of them).
It is trained by `scripts/train_wake_head.py` on synthetic voices (never the ones bench_wake
measures with) mixed with noise, against real speech of other words and the coach's own
sentences; the same script sets how sure it must be to confirm or rescue a phrase (`confirm`,
`rescue`), from how often voices it did not train on made other words reach those levels.
It exists for the default wake phrase only: a custom one is spotted by the grammar alone.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from importlib import resources

import numpy as np

from voicecoach.hearing.wake_tuning import WAKE_HEAD
from voicecoach.hearing.word_check import PAD_SECONDS, SAMPLE_RATE, Embedder, loud_part

HEAD_FILE = "wake_head.npz"
HEAD_SECONDS = 1.4  # of the loud part: "hey coach" said slowly, and the start of a request
BLOCKS = 5  # stretches of time the embeddings are averaged over, kept in order


def head_samples(pcm: bytes) -> np.ndarray:
    """The first HEAD_SECONDS of the loud part, with PAD_SECONDS of quiet before and enough
    after for a fixed length: the same number of embeddings for every phrase."""
    samples = loud_part(np.frombuffer(pcm, np.int16).astype(np.float32))
    samples = samples[: int(HEAD_SECONDS * SAMPLE_RATE)]
    out = np.zeros(int((2 * PAD_SECONDS + HEAD_SECONDS) * SAMPLE_RATE), np.float32)
    start = int(PAD_SECONDS * SAMPLE_RATE)
    out[start:start + len(samples)] = samples
    return out


def pooled(embeddings: np.ndarray) -> np.ndarray:
    """The embeddings' mean over each of BLOCKS stretches of time, then their maximum."""
    blocks = [part.mean(axis=0) for part in np.array_split(embeddings, BLOCKS)]
    return np.concatenate([*blocks, embeddings.max(axis=0)])


@dataclass(frozen=True)
class HeadWeights:
    """One-hidden-layer networks on standardised features (their log-odds averaged), the
    phrase they were trained for, and how sure they must be to confirm or rescue it."""

    phrase: str
    mean: np.ndarray
    scale: np.ndarray
    hidden: np.ndarray  # (members, features, units)
    hidden_bias: np.ndarray  # (members, units)
    out: np.ndarray  # (members, units)
    out_bias: np.ndarray  # (members,)
    confirm: float = WAKE_HEAD.confirm
    rescue: float = WAKE_HEAD.rescue

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """One probability per row of `features` (examples, features)."""
        z = (features - self.mean) / self.scale
        h = np.maximum(0.0, np.einsum("nf,mfu->nmu", z, self.hidden) + self.hidden_bias)
        logits = ((h * self.out).sum(axis=2) + self.out_bias).mean(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    def probability(self, features: np.ndarray) -> float:
        return float(self.probabilities(features[None])[0])


def load_weights(data: bytes | None = None) -> HeadWeights:
    """The shipped head, or the head file given as bytes (to compare two in a benchmark).
    A file from before members and thresholds is one member judged by WAKE_HEAD's levels."""
    if data is None:
        data = resources.files("voicecoach").joinpath(f"data/{HEAD_FILE}").read_bytes()
    with np.load(io.BytesIO(data)) as z:
        hidden, hidden_bias, out = z["hidden"], z["hidden_bias"], z["out"]
        out_bias = np.atleast_1d(z["out_bias"])
        if hidden.ndim == 2:
            hidden, hidden_bias, out = hidden[None], hidden_bias[None], out[None]
        levels = {k: float(z[k]) for k in ("confirm", "rescue") if k in z.files}
        return HeadWeights(str(z["phrase"]), z["mean"], z["scale"], hidden, hidden_bias,
                           out, out_bias, **levels)


class WakeHead:
    """`probability(pcm)`: how sure the head is that the phrase starts with its wake phrase."""

    def __init__(self, embedder: Embedder | None = None, weights: HeadWeights | None = None):
        self.embedder = embedder or Embedder()
        self.weights = weights or load_weights()
        self.phrase = self.weights.phrase
        self.confirm = self.weights.confirm
        self.rescue = self.weights.rescue

    def features(self, pcm: bytes) -> np.ndarray:
        return pooled(self.embedder.embeddings(head_samples(pcm)))

    def probability(self, pcm: bytes) -> float:
        return self.weights.probability(self.features(pcm))


_head: WakeHead | None = None
_problem: str | None = None
_lock = threading.Lock()


def shared_wake_head(phrase: str) -> WakeHead | None:
    """The process's head for `phrase`, or None: no head was trained for that phrase, or it
    cannot load (the grammar then decides alone, as before the head existed)."""
    global _head, _problem
    with _lock:
        if _head is None and _problem is None:
            try:
                _head = WakeHead()
            except Exception as exc:  # whatever fails, the grammar decides alone
                _problem = f"{type(exc).__name__}: {exc}"
                logging.getLogger(__name__).warning(
                    "wake phrase head unavailable, the grammar decides alone (%s)", _problem)
        if _head is not None and _head.phrase == phrase.strip().lower():
            return _head
        return None
