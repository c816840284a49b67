"""Benchmark hearing: real recordings and espeak-ng voices, clean and with noise.

Every clip goes through `voicecoach.hearing.listeners.hear_wav`, the live listener's own path
(SpeechRecognition endpointing, energy gate, pocketsphinx grammar with decoys). For each
vocabulary and condition it prints: in-vocabulary clips right, confused (heard as another
answer), rejected (not understood), out-of-vocabulary clips accepted as an answer, and decode
time median and 95th percentile. The clean real clips are also split by bandwidth: "real clean
4k" holds nothing above 4 kHz (recorded at 8 kHz), "real clean 8k" the full 16 kHz band.
Real clips are those of the speakers the word check never trained on, unless --all-speakers.

    python scripts/bench_hearing.py                # everything, about 5 minutes on 2 cores
    python scripts/bench_hearing.py --quick        # every 4th real clip, fewer voices
    python scripts/bench_hearing.py --vocab answer --json results.json
    python scripts/bench_hearing.py --no-word-check  # pocketsphinx alone, to compare
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.audio.wav import high_band_db  # noqa: E402
from voicecoach.hearing import recognizer, tuning  # noqa: E402
from voicecoach.hearing.listeners import hear_wav  # noqa: E402
from voicecoach.hearing.second_pass import shared_transcriber  # noqa: E402
from voicecoach.hearing.vocabulary import VOCABULARIES  # noqa: E402
from voicecoach.hearing.word_check import held_out  # noqa: E402
from voicecoach.session.words import number_words  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"
NOISE_LEVELS_DB = (20, 10, 5)
# espeak-ng voices and speeds (words per minute), each pair one synthetic speaker.
VOICES = (("en-us", 150), ("en-gb", 175), ("en-us+f3", 130), ("en-gb-scotland", 190),
          ("en-029+m3", 160), ("en-gb-x-rp+f2", 145))
# Words and phrases that must not be taken for anything (said to every vocabulary).
OUT_OF_VOCABULARY = (
    "up", "down", "left", "right", "perhaps", "hello", "yesterday", "I don't know", "later",
    "okay", "what", "the weather is nice", "turn left", "nose", "yellow", "guess", "banana",
    "let me think", "this is the news", "forty", "goodbye", "excuse me",
)
# Real clips: the word in the manifest -> the value each vocabulary should hear (absent: other
# words, which must be rejected).
DIGITS = {number_words(n): str(n) for n in range(10)}
REAL_EXPECTED = {
    "answer": {"yes": "yes", "no": "no", "stop": "stop"},
    "number": DIGITS | {"stop": "stop"},
    "command": {"stop": "stop", "go": "resume"},
}


@dataclass
class Tally:
    """Counts for one vocabulary and condition."""

    n_in: int = 0
    right: int = 0
    confused: int = 0
    rejected: int = 0
    n_oov: int = 0
    oov_accepted: int = 0
    ms: list[float] = field(default_factory=list)
    ms_whisper: list[float] = field(default_factory=list)  # those phrases Whisper was asked of
    per_word: dict[str, list[int]] = field(default_factory=dict)
    confusions: Counter = field(default_factory=Counter)

    def add(self, label: str, expected: str | None, heard: str | None, ms: float,
            whisper_asked: bool = False) -> None:
        self.ms.append(ms)
        if whisper_asked:
            self.ms_whisper.append(ms)
        if heard == "unsure" and expected != "unsure":
            heard = None  # "I don't know" is asked again, never taken as an answer: a rejection
        if expected is None:
            self.n_oov += 1
            self.oov_accepted += heard is not None
            if heard is not None:
                self.confusions[(label, heard)] += 1
            return
        self.n_in += 1
        self.per_word.setdefault(label, [0, 0])[1] += 1
        if heard == expected:
            self.right += 1
            self.per_word[label][0] += 1
        elif heard is None:
            self.rejected += 1
        else:
            self.confused += 1
            self.confusions[(label, heard)] += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def read_pcm(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()


def to_wav(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(samples, -32768, 32767).astype(np.int16).tobytes())
    return buffer.getvalue()


def with_noise(samples: np.ndarray, snr_db: float | None, seed: int) -> np.ndarray:
    """White noise at `snr_db` below the speech's loudness (RMS over its loud frames)."""
    audio = samples.astype(np.float64)
    if snr_db is None:
        return audio
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    frame_rms = np.sqrt((frames**2).mean(axis=1))
    loud = frame_rms[frame_rms >= 0.1 * frame_rms.max()] if frame_rms.size else frame_rms
    speech_rms = float(np.sqrt((loud**2).mean())) if loud.size else 1.0
    noise = np.random.default_rng(seed).normal(0, speech_rms / 10 ** (snr_db / 20), len(audio))
    return audio + noise


def espeak(text: str, voice: str, speed: int) -> tuple[np.ndarray, int]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", out.name, text],
                       check=True, capture_output=True)
        samples, rate = read_pcm(Path(out.name))
    pad = np.zeros(int(0.3 * rate), dtype=np.int16)
    return np.concatenate([pad, samples, pad]), rate


def telephone_band(samples: np.ndarray, rate: int) -> bool:
    """Whether a clip holds nothing above 4.2 kHz (TELEPHONE_BAND_DB: recorded at 8 kHz,
    stored at 16): 299 of the spoken-digit set's 300 clips (most of the real numbers) and 31
    of the other 811. The decoder, trained on 16 kHz speech, loses the hiss of "six" there."""
    pcm = np.clip(samples, -32768, 32767).astype(np.int16).tobytes()
    return high_band_db(pcm, rate) < tuning.TELEPHONE_BAND_DB


def real_clips(speech: Path, step: int, all_speakers: bool) -> list[tuple[str, Path]]:
    """The manifest's clips; unless `all_speakers`, only the speakers the word check was
    never trained on (word_check.held_out), so its figures are not flattered."""
    with (speech / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    rows = [row for row in rows if all_speakers or held_out(row["speaker_id"])]
    return [(row["word"], speech / row["path"]) for row in rows[::step]]


def synthetic_phrases(vocab: str) -> list[tuple[str, str | None]]:
    phrases = list(VOCABULARIES[vocab].phrases.items())
    own = VOCABULARIES[vocab].phrases
    return phrases + [(p, None) for p in OUT_OF_VOCABULARY if p.lower() not in own]


def run_vocab(vocab: str, quick: bool, speech: str, all_speakers: bool) -> dict[str, Tally]:
    """All conditions for one vocabulary (one process, so timings are one core's)."""
    tallies: dict[str, Tally] = {}
    expected = REAL_EXPECTED[vocab]
    step = 4 if quick else 1
    if Path(speech).is_dir():
        clips = real_clips(Path(speech), step, all_speakers)
        for index, (word, path) in enumerate(clips):
            samples, rate = read_pcm(path)
            for snr in (None, *NOISE_LEVELS_DB):
                if snr is not None and index % 3:
                    continue  # noisy real conditions use every 3rd clip, to keep the run short
                data = to_wav(with_noise(samples, snr, seed=index), rate)
                decoded = hear_wav(data, vocab)
                name = "real clean" if snr is None else f"real {snr} dB"
                tally = tallies.setdefault(name, Tally())
                tally.add(word, expected.get(word), decoded.value, decoded.ms,
                          decoded.whisper_asked)
                if snr is None:  # the clean clips again, split by bandwidth
                    band = "4k" if telephone_band(samples, rate) else "8k"
                    tally = tallies.setdefault(f"real clean {band}", Tally())
                    tally.add(word, expected.get(word), decoded.value, decoded.ms)
    voices = VOICES[:3] if quick else VOICES
    for v, (voice, speed) in enumerate(voices):
        for p, (phrase, value) in enumerate(synthetic_phrases(vocab)):
            samples, rate = espeak(phrase, voice, speed)
            for snr in (None, *NOISE_LEVELS_DB):
                data = to_wav(with_noise(samples, snr, seed=v * 1000 + p), rate)
                decoded = hear_wav(data, vocab)
                name = "espeak clean" if snr is None else f"espeak {snr} dB"
                tally = tallies.setdefault(name, Tally())
                tally.add(value or phrase, value, decoded.value, decoded.ms)
    return tallies


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def table(results: dict[str, dict[str, Tally]]) -> str:
    lines = [
        f"{'vocabulary':<10} {'condition':<15} {'n':>5} {'right':>6} {'confused':>8} "
        f"{'rejected':>8} {'n_oov':>5} {'oov_acc':>7} {'ms_med':>6} {'ms_p95':>6}"
    ]
    for vocab, tallies in results.items():
        for name, t in tallies.items():
            lines.append(
                f"{vocab:<10} {name:<15} {t.n_in:>5} {share(t.right, t.n_in):>6.3f} "
                f"{share(t.confused, t.n_in):>8.3f} {share(t.rejected, t.n_in):>8.3f} "
                f"{t.n_oov:>5} {share(t.oov_accepted, t.n_oov):>7.3f} "
                f"{statistics.median(t.ms):>6.1f} {percentile(t.ms, 0.95):>6.1f}"
            )
    return "\n".join(lines)


def decode_times(results: dict[str, dict[str, Tally]]) -> str:
    """The whole decode's time on the real clean clips, split by whether Whisper was asked
    (with --workers 1 under `taskset -c 0`, one core's)."""
    lines = []
    for vocab, tallies in results.items():
        clean = tallies.get("real clean")
        if clean is None or not clean.ms:
            continue
        asked = clean.ms_whisper
        alone = sorted(clean.ms)
        for ms in asked:
            alone.remove(ms)
        line = (f"{vocab} real clean decode: without Whisper {len(alone) / len(clean.ms):.0%} "
                f"median {statistics.median(alone) if alone else 0:.0f} ms, "
                f"p95 {percentile(alone, 0.95):.0f} ms")
        if asked:
            line += (f"; with Whisper {len(asked) / len(clean.ms):.0%} median "
                     f"{statistics.median(asked):.0f} ms, p95 {percentile(asked, 0.95):.0f} ms")
        lines.append(line)
    return "\n".join(lines)


def details(results: dict[str, dict[str, Tally]]) -> str:
    lines = []
    for vocab, tallies in results.items():
        clean = tallies.get("real clean")
        if clean is None:
            continue
        words = " ".join(f"{w} {r / n:.2f}" for w, (r, n) in sorted(clean.per_word.items()))
        lines.append(f"{vocab} real clean, right per word: {words}")
        common = ", ".join(f"{a}->{b} {k}" for (a, b), k in clean.confusions.most_common(8))
        lines.append(f"{vocab} real clean, most common errors: {common}")
        if vocab == "answer":
            yes_no = sum(k for (a, b), k in clean.confusions.items()
                         if {a, b} == {"yes", "no"})
            n = sum(clean.per_word.get(w, [0, 0])[1] for w in ("yes", "no"))
            lines.append(f"answer real clean, yes<->no confusions: {yes_no} of {n}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the real clips")
    parser.add_argument("--vocab", action="append", choices=sorted(REAL_EXPECTED))
    parser.add_argument("--speech", default=str(SPEECH), help="folder with MANIFEST.tsv")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--decoys", type=int, help="try this many decoys (see tuning.py)")
    parser.add_argument("--weight", type=float, help="try this decoy weight (see tuning.py)")
    parser.add_argument("--no-synthetic", action="store_true", help="real clips only")
    parser.add_argument("--no-word-check", action="store_true",
                        help="pocketsphinx alone, without the word check's second opinion")
    parser.add_argument("--no-whisper", action="store_true",
                        help="without Whisper's third opinion on answers and numbers")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes (1 with `taskset -c 0` for one core's decode times)")
    parser.add_argument("--all-speakers", action="store_true",
                        help="also the real clips of speakers the word check was trained on")
    args = parser.parse_args()
    recognizer.word_check_enabled = not args.no_word_check
    recognizer.whisper_enabled = not args.no_whisper
    for name, rejection in list(tuning.REJECTION.items()):
        tuning.REJECTION[name] = replace(
            rejection,
            decoys=rejection.decoys if args.decoys is None else args.decoys,
            weight=rejection.weight if args.weight is None else args.weight,
        )
    global VOICES
    if args.no_synthetic:
        VOICES = ()
    vocabs = args.vocab or ["answer", "number", "command"]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {v: pool.submit(run_vocab, v, args.quick, args.speech, args.all_speakers)
                   for v in vocabs}
        results = {v: f.result() for v, f in futures.items()}
    print(f"word check: {'off' if args.no_word_check else 'on'}; Whisper: "
          f"{'off' if args.no_whisper or shared_transcriber() is None else 'on'}; real clips: "
          f"{'all speakers' if args.all_speakers else 'held-out speakers only'}")
    print(table(results))
    print()
    print(details(results))
    print(decode_times(results))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({
            v: {name: {"n": t.n_in, "right": t.right, "confused": t.confused,
                       "rejected": t.rejected, "n_oov": t.n_oov, "oov_accepted": t.oov_accepted,
                       "ms_median": statistics.median(t.ms), "ms_p95": percentile(t.ms, 0.95)}
                for name, t in tallies.items()}
            for v, tallies in results.items()
        }, indent=1))


if __name__ == "__main__":
    main()
