"""The speech embedding in numpy (hearing/speech_embedding.py) against onnxruntime on the ONNX
files its weights were taken from, on real recordings and synthetic speech."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.shared import SPEECH
from voicecoach.audio.wav import read_wav
from voicecoach.hearing.speech_embedding import SpeechEmbedding, mel_frames
from voicecoach.testing.room import to_16k

ONNX = Path(__file__).resolve().parent.parent / "voicecoach" / "data" / "speech_embedding"
TOLERANCE = 1e-4  # of the largest value (about 50): float32 sums in another order, ~5e-5 apart


@pytest.fixture(scope="module")
def onnx_sessions():
    ort = pytest.importorskip("onnxruntime", reason="the comparison needs onnxruntime "
                              "(installed with the whisper or piper extras)")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1

    def session(name: str):
        return ort.InferenceSession(str(ONNX / name), options,
                                    providers=["CPUExecutionProvider"])

    return session("melspectrogram.onnx"), session("embedding_model.onnx")


def onnx_embeddings(sessions, samples: np.ndarray) -> np.ndarray:
    """The embeddings as openWakeWord computes them: mel, then each 76-frame window (step 8)."""
    mel_model, embedding_model = sessions
    mel = mel_model.run(None, {"input": samples[None].astype(np.float32)})[0].squeeze() / 10 + 2
    windows = np.array([mel[i:i + 76] for i in range(0, len(mel) - 76 + 1, 8)])
    out = embedding_model.run(None, {"input_1": windows[..., None].astype(np.float32)})[0]
    return out.reshape(len(windows), -1)


def real_recordings(count: int) -> list[np.ndarray]:
    with (SPEECH / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    step = max(1, len(rows) // count)
    return [np.asarray(to_16k(read_wav((SPEECH / r["path"]).read_bytes())), np.float32)
            for r in rows[::step][:count]]


def padded(samples: np.ndarray) -> np.ndarray:
    pad = np.zeros(8000, np.float32)
    return np.concatenate([pad, samples, pad])


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is absent")
def test_real_recordings_embed_as_onnxruntime_embeds_them(onnx_sessions):
    network = SpeechEmbedding()
    worst = 0.0
    for samples in real_recordings(40):
        ours = network.embeddings(padded(samples))
        theirs = onnx_embeddings(onnx_sessions, padded(samples))
        assert ours.shape == theirs.shape
        worst = max(worst, float(np.abs(ours - theirs).max() / np.abs(theirs).max()))
    assert worst < TOLERANCE, worst


def test_speech_noise_and_silence_embed_as_onnxruntime_embeds_them(onnx_sessions):
    from voicecoach.audio.rendering import Pyttsx3Renderer

    rng = np.random.default_rng(7)
    spoken = to_16k(Pyttsx3Renderer(rate=150).render("hey coach, start stretching"))
    inputs = [padded(np.asarray(spoken, np.float32)),
              rng.normal(0, 2000, 23456).astype(np.float32),  # a length that is no 80 ms step
              np.zeros(16000, np.float32),  # silence: the mel floor everywhere
              np.full(12_512, 32767, np.float32)]  # full scale, 76 frames: one window
    network = SpeechEmbedding()
    for samples in inputs:
        ours, theirs = network.embeddings(samples), onnx_embeddings(onnx_sessions, samples)
        assert ours.shape == theirs.shape and len(ours) >= 1
        assert np.abs(ours - theirs).max() < TOLERANCE * np.abs(theirs).max()


def test_the_mel_front_end_matches_onnxruntime(onnx_sessions):
    samples = np.random.default_rng(1).normal(0, 5000, 20000).astype(np.float32)
    theirs = onnx_sessions[0].run(None, {"input": samples[None]})[0].squeeze() / 10 + 2
    ours = mel_frames(SpeechEmbedding().weights, samples)
    assert ours.shape == theirs.shape == ((20000 - 512) // 160 + 1, 32)
    assert np.abs(ours - theirs).max() < 1e-4


def test_too_short_a_phrase_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="needs 76"):
        SpeechEmbedding().embeddings(np.zeros(12_000, np.float32))
