"""Steady noise taken out before decoding (voicecoach/hearing/denoise.py), on espeak-ng speech."""

from __future__ import annotations

import numpy as np
import pytest
from shared import espeak_16k as speech
from shared import have

from voicecoach.hearing.denoise import subtract_noise
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.wake import WakeSpotter, wake_decoder

RATE = 16000
needs_espeak = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")


def noisy(samples: np.ndarray, snr_db: float, seed: int = 3) -> np.ndarray:
    """White noise `snr_db` below the speech's RMS over its loud 10 ms frames."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames**2).mean(axis=1))
    level = np.sqrt((rms[rms >= 0.1 * rms.max()] ** 2).mean())
    return samples + np.random.default_rng(seed).normal(0, level / 10 ** (snr_db / 20),
                                                        len(samples))


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


def power_db(data: bytes) -> float:
    x = np.frombuffer(data, dtype=np.int16).astype(np.float64)
    return 10 * np.log10((x**2).mean())


@needs_espeak
def test_noise_between_words_is_taken_out_and_the_words_kept():
    words = speech("hold for thirty seconds")
    lead = np.zeros(RATE)
    before = pcm(noisy(np.concatenate([lead, words]), 10))
    after = subtract_noise(before)
    noise = slice(2 * RATE // 10, 2 * RATE * 9 // 10)  # inside the first second: noise alone
    assert power_db(after[noise]) < power_db(before[noise]) - 10
    assert power_db(after[2 * RATE:]) > power_db(before[2 * RATE:]) - 3


@needs_espeak
def test_speech_in_a_quiet_room_is_left_as_it_was():
    samples = np.concatenate([np.zeros(RATE // 2), speech("yes"), np.zeros(RATE // 2)])
    clean = pcm(samples + np.random.default_rng(1).normal(0, 3, len(samples)))
    assert subtract_noise(clean) == clean
    assert subtract_noise(clean[:2000]) == clean[:2000]  # too short to estimate anything
    assert subtract_noise(b"") == b""


@needs_espeak
def test_the_wake_phrase_is_found_in_steady_noise():
    """At 10 dB SNR: the spotter found 0.10 of wake phrases before denoising, 0.70 after
    (scripts/bench_wake.py); this voice and phrase are among those found."""
    audio = np.concatenate([np.zeros(2 * RATE), speech("hey coach, start stretching"),
                            np.zeros(2 * RATE)])
    stream = pcm(noisy(audio, 10))
    spotter = WakeSpotter(wake_decoder(("hey coach",)))
    heard = []
    for i in range(0, len(stream) - 2 * CHUNK + 1, 2 * CHUNK):
        request = spotter.feed(stream[i:i + 2 * CHUNK], (i + 2 * CHUNK) / 2 / RATE)
        if request is not None:
            heard.append(request.request)
    assert heard == ["start"]
