"""Google's speech_embedding in numpy: 16 kHz audio to one 96-number embedding per 80 ms.

The network is openWakeWord's ONNX conversion (data/speech_embedding/README.md); its weights
were taken out of the two ONNX files once by `scripts/convert_speech_embedding.py` into
`data/speech_embedding/weights.npz`, and tests/test_speech_embedding.py checks that this code
gives what onnxruntime gives on those files (within 1e-3 on values up to about 50).

Two things make it cheap enough that onnxruntime is not needed at all:
- the network is convolutional along time with a total stride of 8 mel frames, the same step
  as the 76-frame windows it was trained on, so running it once over the whole phrase gives
  every window's embedding without computing their overlaps 9 times over;
- every convolution is 1x3 or 3x1 (the first 3x3, on one channel), one matrix product each.

Measured (scripts/bench_speech_embedding.py): 10 ms a phrase against onnxruntime's 28 on the wake
head's input, and 45 MB resident after 400 phrases against 115 (python and numpy alone: 26).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

WEIGHTS = "data/speech_embedding/weights.npz"
FFT_SIZE, HOP = 512, 160  # the mel front end's window and step, in samples (32 ms, 10 ms)
WINDOW_FRAMES, WINDOW_STEP = 76, 8  # mel frames per embedding and between embeddings
TOP_DB = 80.0  # quieter mel bins are raised to the loudest minus this (as in the ONNX model)
SLOPE, FLOOR = np.float32(0.2), np.float32(-0.4)  # leaky ReLU's slope, then a floor
CONVOLUTIONS = 20
POOLS = {2: (2, 2), 6: (1, 2), 10: (2, 2), 14: (1, 2), 18: (2, 2)}  # after conv k: (time, freq)


@dataclass(frozen=True)
class Weights:
    stft: np.ndarray  # (FFT_SIZE, 2 * bins): windowed cosines then sines
    mel: np.ndarray  # (bins, 32)
    first: np.ndarray  # (9, 24): the first 3x3 convolution, on one channel, no bias
    norm_scale: np.ndarray  # (24,) batch normalisation after it, folded to scale and shift
    norm_shift: np.ndarray
    kernels: tuple[np.ndarray, ...]  # convolutions 1-19, each (out, in, height, width)
    biases: tuple[np.ndarray | None, ...]


def load_weights() -> Weights:
    data = resources.files("voicecoach").joinpath(WEIGHTS).read_bytes()
    with np.load(io.BytesIO(data)) as z:
        kernels = tuple(z[f"conv{k}_w"] for k in range(1, CONVOLUTIONS))
        biases = tuple(z.get(f"conv{k}_b") for k in range(1, CONVOLUTIONS))
        first = z["conv0_w"][:, 0].reshape(len(z["conv0_w"]), 9).T.copy()
        return Weights(z["stft"], z["mel"], first, z["bn_scale"], z["bn_shift"], kernels, biases)


def mel_frames(weights: Weights, samples: np.ndarray) -> np.ndarray:
    """Log-mel frames (frames, 32), scaled as the embedding expects, of float samples at 16-bit
    scale; at least FFT_SIZE samples."""
    frames = sliding_window_view(samples.astype(np.float32), FFT_SIZE)[::HOP]
    spectrum = frames @ weights.stft
    bins = weights.mel.shape[0]
    power = spectrum[:, :bins] ** 2 + spectrum[:, bins:] ** 2
    decibels = 10 * np.log10(np.maximum(power @ weights.mel, np.float32(1e-10)))
    return np.maximum(decibels, decibels.max() - np.float32(TOP_DB)) / 10 + 2


def _activate(x: np.ndarray) -> np.ndarray:
    """Leaky ReLU, then nothing under FLOOR; in place."""
    np.maximum(x, x * SLOPE, out=x)
    return np.maximum(x, FLOOR, out=x)


def _convolve(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """A 1x3 convolution (across frequency, zero-padded) or 3x1 (across time, unpadded) of
    x (time, frequency, channels)."""
    out, channels, _, width = kernel.shape
    if width == 3:
        x = np.pad(x, ((0, 0), (1, 1), (0, 0)))
        stacked = np.concatenate([x[:, k:k + x.shape[1] - 2] for k in range(3)], axis=-1)
        matrix = kernel[:, :, 0, :]
    else:
        stacked = np.concatenate([x[k:k + x.shape[0] - 2] for k in range(3)], axis=-1)
        matrix = kernel[:, :, :, 0]
    y = stacked @ matrix.transpose(2, 1, 0).reshape(3 * channels, out)
    if bias is not None:
        y += bias
    return y


def _pool(x: np.ndarray, time: int, frequency: int) -> np.ndarray:
    t, f, c = x.shape[0] // time, x.shape[1] // frequency, x.shape[2]
    return x[:t * time, :f * frequency].reshape(t, time, f, frequency, c).max(axis=(1, 3))


def embeddings_of_mel(weights: Weights, mel: np.ndarray) -> np.ndarray:
    """One embedding (96) per WINDOW_STEP frames of mel (frames >= WINDOW_FRAMES, 32): the
    same as running the network on each 76-frame window."""
    count = (mel.shape[0] - WINDOW_FRAMES) // WINDOW_STEP + 1
    if count < 1:
        raise ValueError(f"{mel.shape[0]} mel frames; the embedding needs {WINDOW_FRAMES}")
    x = np.pad(mel.astype(np.float32), ((0, 0), (1, 1)))
    t, f = x.shape[0] - 2, x.shape[1] - 2
    stacked = np.stack([x[i:i + t, j:j + f] for i in range(3) for j in range(3)], axis=-1)
    x = np.maximum(stacked @ weights.first, 0) * weights.norm_scale + weights.norm_shift
    _activate(x)
    for k, (kernel, bias) in enumerate(zip(weights.kernels, weights.biases, strict=True), 1):
        x = _convolve(x, kernel, bias)
        if k == CONVOLUTIONS - 1:
            break  # the last convolution has no activation
        _activate(x)
        if k in POOLS:
            x = _pool(x, *POOLS[k])
    return x[:count].reshape(count, -1)


class SpeechEmbedding:
    """The network with its weights loaded (about 1.3 MB; a few milliseconds)."""

    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or load_weights()

    def embeddings(self, samples: np.ndarray) -> np.ndarray:
        """One 96-number embedding per 80 ms of float samples (at least 0.76 s of them)."""
        return embeddings_of_mel(self.weights, mel_frames(self.weights, samples))
