"""Voice-activity gates measured: which 64 ms chunks each rule calls speech, in noise.

    python scripts/bench_voice_gate.py [--step 4]

The real recordings of ../shared/speech one after another (0.5 s apart), with white or pink
noise at 10 and 5 dB below the speech, and the same noise alone. A chunk is truly speech when
the clean recording's chunk reaches a tenth of the speech's RMS. Rules, each fed the chunks
in order as the microphone gives them:
  - energy, fixed: the endpointer's floor (tuning.ENERGY_FLOOR), no adaptation;
  - energy, adaptive: the endpointer as `voicecoach serve` runs it (the threshold follows the
    room's noise);
  - webrtcvad at aggressiveness 0, 2 and 3 (a chunk is speech when either 30 ms frame is),
    and the adaptive energy rule AND webrtcvad 3, where webrtcvad(-wheels) is installed (it
    is not a dependency: measured here, it passed every chunk of noise);
  - bands: VoiceDetector below, a band-SNR rule (each band against the room's own level
    there), over the energy floor.
Measured here (speech chunks kept / noise-alone chunks passed):
                     white 10 dB   white 5 dB    pink 10 dB    pink 5 dB
  adaptive energy    0.50 / 0.00   0.26 / 0.00   0.86 / 0.46   0.81 / 0.55
  webrtcvad 3        1.00 / 1.00   1.00 / 1.00   1.00 / 1.00   1.00 / 1.00
  energy AND webrtc  0.50 / 0.00   0.26 / 0.00   0.86 / 0.46   0.81 / 0.55
  bands, 6.5 dB      0.84 / 0.04   0.73 / 0.03   0.83 / 0.04   0.72 / 0.04
The band rule keeps far more speech in white noise, but as serve's endpointer (tried in
scripts/bench_wake.py, 8 voices, 40 phrases a level) it woke for 0.725 / 0.675 at 10 / 5 dB
(0.900 / 0.825 at an 8 dB threshold) against 0.900 / 0.800 with the adaptive energy rule, so it
stays here.
Prints, per rule and condition, the share of speech chunks kept and of noise chunks passed.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_hearing import read_pcm, real_clips  # noqa: E402
from bench_wake import to_16k  # noqa: E402

from voicecoach.audio.wav import frame_levels  # noqa: E402
from voicecoach.hearing.endpointer import CHUNK, Endpointer  # noqa: E402
from voicecoach.hearing.tuning import ENERGY_FLOOR  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"
RATE = 16000
BANDS = 20


class VoiceDetector:
    """Bands: each 64 ms chunk's power in 20 bands from 150 Hz to 6 kHz against the room's
    (each band's 20th percentile over the last 80 chunks, 5 s); speech when the five most
    raised bands are on average `raise_db` above the room. Learns from every chunk given."""

    def __init__(self, raise_db: float = 6.5, chunk_samples: int = 1024) -> None:
        self.raise_db = raise_db
        self.size = chunk_samples
        freqs = np.fft.rfftfreq(chunk_samples, 1 / RATE)
        edges = np.geomspace(150.0, 6000.0, BANDS + 1)
        self._band = np.digitize(freqs, edges) - 1  # each bin's band; -1 or count: outside
        self._inside = (self._band >= 0) & (self._band < BANDS)
        self._bins = np.bincount(self._band[self._inside], minlength=BANDS)
        self._taper = np.hanning(chunk_samples)
        self._room: deque[np.ndarray] = deque(maxlen=80)
        self.last_raise_db = 0.0  # the score of the last chunk, for benchmarks and logs

    def band_power(self, chunk: bytes) -> np.ndarray:
        samples = np.frombuffer(chunk, np.int16)[: self.size].astype(np.float64)
        if len(samples) < self.size:
            samples = np.pad(samples, (0, self.size - len(samples)))
        power = np.abs(np.fft.rfft(samples * self._taper)) ** 2
        sums = np.bincount(self._band[self._inside], power[self._inside],
                           minlength=BANDS)
        return sums / np.maximum(self._bins, 1) + 1e-3

    def __call__(self, chunk: bytes) -> bool:
        power = self.band_power(chunk)
        self._room.append(power)
        room = np.quantile(np.array(self._room), 0.2, axis=0)
        raised = np.sort(10 * np.log10(power / room))[-5:]
        self.last_raise_db = float(raised.mean())
        return self.last_raise_db >= self.raise_db


def noise(kind: str, n: int, seed: int) -> np.ndarray:
    white = np.random.default_rng(seed).normal(0, 1, n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white) / np.sqrt(np.maximum(np.arange(n // 2 + 1), 1))
    pink = np.fft.irfft(spectrum, n)
    return pink / pink.std()


def speech_level(audio: np.ndarray) -> float:
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    loud = rms[rms >= 0.1 * rms.max()]
    return float(np.sqrt((loud ** 2).mean()))


def chunks(audio: np.ndarray) -> list[bytes]:
    pcm = np.clip(audio, -32768, 32767).astype(np.int16).tobytes()
    step = CHUNK * 2
    return [pcm[i:i + step] for i in range(0, len(pcm) - step + 1, step)]


def webrtc(mode: int):
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    frame = 480 * 2

    def gate(chunk: bytes) -> bool:
        return any(vad.is_speech(chunk[i:i + frame], RATE)
                   for i in range(0, len(chunk) - frame + 1, frame))
    return gate


def decisions(rule: str, stream: list[bytes]) -> np.ndarray:
    out = []
    if rule == "bands":
        detector = VoiceDetector()
        return np.array([detector(c) and max(frame_levels(c, RATE)) >= ENERGY_FLOOR
                         for c in stream])
    if rule.startswith("webrtcvad"):
        gate = webrtc(int(rule.split()[-1]))
        return np.array([gate(c) for c in stream])
    endpointer = Endpointer(adaptive=rule != "energy, fixed")
    gate = webrtc(3) if "AND" in rule else None
    for i, chunk in enumerate(stream):
        endpointer.feed(chunk, (i + 1) * CHUNK / RATE)
        loud = max(frame_levels(chunk, RATE), default=0) >= endpointer.threshold
        out.append(loud and (gate is None or gate(chunk)))
    return np.array(out)


def rules() -> tuple[str, ...]:
    found = ("energy, fixed", "energy, adaptive")
    try:
        import webrtcvad  # noqa: F401
    except ImportError:
        print("webrtcvad is not installed (pip install webrtcvad-wheels): its rows are left out")
    else:
        found += ("webrtcvad 0", "webrtcvad 2", "webrtcvad 3", "adaptive AND webrtcvad 3")
    return (*found, "bands")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=4, help="every STEP-th recording")
    args = parser.parse_args()
    if not SPEECH.is_dir():
        sys.exit(f"{SPEECH} is absent")
    parts = []
    for _, path in real_clips(SPEECH, args.step, True):
        samples, rate = read_pcm(path)
        parts += [np.asarray(to_16k(samples, rate), np.float64), np.zeros(RATE // 2)]
    clean = np.concatenate(parts)
    level = speech_level(clean)
    truth = np.array([np.sqrt((np.frombuffer(c, np.int16).astype(np.float64) ** 2).mean())
                      >= 0.1 * level for c in chunks(clean)])
    print(f"{len(truth)} chunks ({len(truth) * CHUNK / RATE / 60:.1f} min), "
          f"{truth.mean():.2f} of them speech; speech RMS {level:.0f}")
    print(f"{'rule':26} {'condition':16} {'speech kept':>11} {'noise passed':>12} "
          f"{'noise alone passed':>18}")
    chosen = rules()
    for kind in ("white", "pink"):
        for snr in (10, 5):
            added = noise(kind, len(clean), seed=snr) * level / 10 ** (snr / 20)
            mixed, alone = chunks(clean + added), chunks(added)
            for rule in chosen:
                said = decisions(rule, mixed)
                only = decisions(rule, alone)
                print(f"{rule:26} {kind + f' {snr} dB':16} {said[truth].mean():11.3f} "
                      f"{said[~truth].mean():12.3f} {only.mean():18.3f}")


if __name__ == "__main__":
    main()
