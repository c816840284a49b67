"""Steady background noise taken out of a phrase before it is decoded (spectral subtraction).

A fan, a heater or a hiss covers the quiet parts of words, and the decoder, trained on clean
speech, then hears "though" for "hey coach". The noise's spectrum is estimated from the
phrase's own quietest frames (the lead-in and the gaps between words), and each frequency of
each frame keeps only what rises above it. A phrase whose loudest frames stand well above
its quietest (a quiet room) is left as it was.
Knobs and the measurements behind them: tuning.py.
"""

from __future__ import annotations

import numpy as np

from voicecoach.hearing.tuning import (
    DENOISE_BELOW_SNR,
    DENOISE_FLOOR,
    DENOISE_OVERSUBTRACT,
    DENOISE_QUIET_SHARE,
)

FRAME = 512  # 32 ms at 16 kHz
HOP = FRAME // 4


def subtract_noise(pcm: bytes, oversubtract: float = DENOISE_OVERSUBTRACT,
                   floor: float = DENOISE_FLOOR, quiet_share: float = DENOISE_QUIET_SHARE,
                   below_snr: float = DENOISE_BELOW_SNR) -> bytes:
    """16-bit mono PCM with its steady noise subtracted.

    The noise is the mean spectrum of the `quiet_share` of frames with the least energy;
    `oversubtract` times it is taken from each frequency, never leaving less than `floor` of
    the power there. A phrase too short to tell, or whose loudest frames are `below_snr` dB or
    more above its quietest, is returned as it is.
    """
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    frames = 1 + (len(samples) - FRAME) // HOP
    if frames < 8:
        return pcm
    window = np.hanning(FRAME)
    index = np.arange(FRAME)[None, :] + HOP * np.arange(frames)[:, None]
    spectra = np.fft.rfft(samples[index] * window, axis=1)
    power = np.abs(spectra) ** 2
    share = max(1, int(frames * quiet_share))
    by_energy = np.argsort(power.sum(axis=1))
    noise = power[by_energy[:share]].mean(axis=0)
    loud = power[by_energy[-share:]].sum(axis=1).mean()
    if loud > noise.sum() * 10 ** (below_snr / 10):
        return pcm  # a quiet room
    gain = np.sqrt(np.maximum(1 - oversubtract * noise / np.maximum(power, 1e-9), floor))
    pieces = np.fft.irfft(spectra * gain, n=FRAME, axis=1) * window
    out = np.zeros(len(samples))
    weight = np.zeros(len(samples))
    for first in range(FRAME // HOP):  # every fourth frame: frames that touch end to end
        run = pieces[first::FRAME // HOP].reshape(-1)
        start = first * HOP
        out[start:start + len(run)] += run
        weight[start:start + len(run)] += np.tile(window**2, len(run) // FRAME)
    covered = weight > 0.1  # the window sums to 1.5 where four frames overlap
    out[covered] /= weight[covered]
    out[~covered] = samples[~covered]  # the first few samples, and any past the last frame
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16).tobytes()
