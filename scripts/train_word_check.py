"""Train the word check (voicecoach/hearing/word_check.py) on the real recordings of training
speakers.

Reads ../shared/speech/MANIFEST.tsv, keeps the speakers `held_out` does not reserve, embeds
each clip with the packaged speech embedding and fits a multinomial logistic regression (L2,
plain gradient descent, numpy only: deterministic). Writes voicecoach/data/word_check.npz and
prints the accuracy on the held-out speakers.

    python scripts/train_word_check.py            # about 30 s on one core
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.audio.wav import read_wav  # noqa: E402
from voicecoach.hearing.word_check import WEIGHTS_FILE, Classifier, Embedder, held_out  # noqa: E402
from voicecoach.testing.room import to_16k  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"
L2 = 0.05  # per sample; chosen by 5-fold speaker-disjoint validation (0.02-0.1 all 0.93)
STEPS = 3000
LEARNING_RATE = 0.5


def fit(x: np.ndarray, y: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by gradient descent with momentum (standardised x)."""
    weights = np.zeros((x.shape[1], n_words))
    bias = np.zeros(n_words)
    onehot = np.eye(n_words)[y]
    velocity_w, velocity_b = np.zeros_like(weights), np.zeros_like(bias)
    for _ in range(STEPS):
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad_w = x.T @ (p - onehot) / len(x) + L2 * weights
        grad_b = (p - onehot).mean(axis=0)
        velocity_w = 0.9 * velocity_w - LEARNING_RATE * grad_w
        velocity_b = 0.9 * velocity_b - LEARNING_RATE * grad_b
        weights += velocity_w
        bias += velocity_b
    return weights, bias


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "voicecoach" / "data" / WEIGHTS_FILE)
    args = parser.parse_args()
    if not (SPEECH / "MANIFEST.tsv").is_file():
        print(f"no recordings: {SPEECH / 'MANIFEST.tsv'} is missing", file=sys.stderr)
        return 2
    rows = list(csv.DictReader((SPEECH / "MANIFEST.tsv").open(), delimiter="\t"))
    embedder = Embedder()
    features = np.array([
        embedder.features(to_16k(read_wav((SPEECH / r["path"]).read_bytes())).tobytes())
        for r in rows])
    words = tuple(sorted({r["word"] for r in rows}))
    labels = np.array([words.index(r["word"]) for r in rows])
    test = np.array([held_out(r["speaker_id"]) for r in rows])
    train = ~test
    mean = features[train].mean(axis=0)
    scale = features[train].std(axis=0) + 1e-6
    weights, bias = fit((features[train] - mean) / scale, labels[train], len(words))
    classifier = Classifier(words, mean, scale, weights, bias)
    for name, part in (("training", train), ("held-out", test)):
        p = classifier.probabilities(features[part])
        right = (p.argmax(axis=1) == labels[part]).mean()
        speakers = len({r["speaker_id"] for r, t in zip(rows, part, strict=True) if t})
        print(f"{name:9s} speakers {speakers:3d}, clips {part.sum():4d}: {right:.3f} right")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    trained = sorted({r["speaker_id"] for r, t in zip(rows, train, strict=True) if t})
    with args.out.open("wb") as f:
        np.savez(f, words=np.array(words), mean=mean.astype(np.float32),
                 scale=scale.astype(np.float32), weights=weights.astype(np.float32),
                 bias=bias.astype(np.float32), trained_speakers=np.array(trained))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
