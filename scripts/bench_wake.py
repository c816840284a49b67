"""Benchmark the wake phrase: false wake-ups per hour on long streams of other speech, and
how often the wake phrase is found, per voice and noise level.

Everything goes through `voicecoach.hearing.wake.WakeSpotter`, the code `voicecoach serve` runs,
fed 64 ms chunks as from a microphone.

Streams of other speech (none should wake):
  - the 1,111 real recordings in ../shared/speech, one after another with 0.5 s between them,
    and again with 0.3 s (words running into phrases), clean and with white noise 10 dB below
    the speech;
  - the five seed documents read aloud by espeak-ng voices (and flite's and festival's slt,
    where installed),
    clean and at 10 dB.
  - ../shared/speech-train's clips by the speakers word_check.held_out reserves (none of
    them trained the wake phrase head), 0.5 s apart, clean and at 10 dB.
Wake phrases: "hey coach" alone and with each request, said by every espeak-ng voice (and
flite's and festival's slt), between two seconds of silence or noise, clean and at 20, 10
and 5 dB SNR. None of these voices trained the wake phrase head (scripts/train_wake_head.py
HELD_OUT, HELD_OUT_OTHER).
Every stream and phrase goes through two spotters in the same run: the grammar alone
("grammar") and the grammar with the wake phrase head ("with head", what serve runs).

    python scripts/bench_wake.py            # about 8 minutes on 2 cores
    python scripts/bench_wake.py --quick    # a quarter of everything
    python scripts/bench_wake.py --live 60  # CPU and memory of `voicecoach serve` itself
                                            # on virtual sound devices: 60 s idle, then talk
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_hearing import VOICES, espeak, read_pcm, real_clips, with_noise  # noqa: E402

from voicecoach.hearing.endpointer import CHUNK  # noqa: E402
from voicecoach.hearing.wake import (  # noqa: E402
    DEFAULT_WAKE_PHRASES,
    WakeSpotter,
    rescue_decoder,
    wake_decoder,
)
from voicecoach.hearing.wake_head import shared_wake_head  # noqa: E402
from voicecoach.hearing.word_check import held_out  # noqa: E402

SPEECH_TRAIN = ROOT.parent / "shared" / "speech-train"
# BENCH_SPOTTERS="grammar,with head,head from /tmp/old_head.npz" compares another head file
SPOTTERS = tuple(os.environ.get("BENCH_SPOTTERS", "grammar,with head").split(","))

SPEECH = ROOT.parent / "shared" / "speech"
SEEDS = ROOT.parent / "shared" / "seeds"
RATE = 16000
WAKE_SAID = {
    "hey coach": "wake",
    "hey, coach": "wake",  # with a pause, as people often say it
    "hey coach, start stretching": "start",
    "hey coach, how am I doing?": "progress",
    "hey coach, what can you do?": "help",
    "hey coach, goodbye": "goodbye",
}


def to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return samples.astype(np.float64)
    n = int(len(samples) * RATE / rate)
    return np.interp(np.arange(n) * rate / RATE, np.arange(len(samples)), samples)


def as_pcm(samples: np.ndarray) -> bytes:
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


# flite's and festival's voices bench_wake measures with, never trained on (the same speaker,
# slt, in both); used where installed (apt-get install flite festival festvox-us-slt-hts)
OTHER_VOICES = (("flite", "slt"), ("festival", "cmu_us_slt_arctic_hts"))


def flite(text: str, voice: str) -> tuple[np.ndarray, int]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", out.name], check=True,
                       capture_output=True)
        return read_pcm(Path(out.name))


def festival(text: str, voice: str) -> tuple[np.ndarray, int] | None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        done = subprocess.run(["text2wave", "-eval", f"(voice_{voice})", "-o", out.name],
                              input=text.encode(), capture_output=True)
        if done.returncode != 0 or Path(out.name).stat().st_size == 0:
            return None
        return read_pcm(Path(out.name))


def voices(quick: bool) -> list[tuple[str, object]]:
    """(name, say(text) -> (samples, rate)) for every synthetic voice."""
    found: list[tuple[str, object]] = [
        (f"espeak {v} {s}", lambda text, v=v, s=s: espeak(text, v, s))
        for v, s in (VOICES[:3] if quick else VOICES)]
    for engine, voice in OTHER_VOICES[: 1 if quick else None]:
        if engine == "flite" and shutil.which("flite"):
            found.append((f"flite {voice}", lambda text, v=voice: flite(text, v)))
        elif (engine == "festival" and shutil.which("text2wave")
              and festival("hey", voice) is not None):
            found.append((f"festival {voice}", lambda text, v=voice: festival(text, v)))
    return found


@cache
def decoders() -> tuple[object, object]:
    grammar = wake_decoder(DEFAULT_WAKE_PHRASES)
    return grammar, rescue_decoder(DEFAULT_WAKE_PHRASES, share=grammar)


def new_spotter(kind: str) -> WakeSpotter:
    grammar, rescue = decoders()
    if kind == "grammar":
        return WakeSpotter(grammar)
    head = shared_wake_head(DEFAULT_WAKE_PHRASES[0])
    assert head is not None, "no wake phrase head: python scripts/train_wake_head.py"
    if kind.startswith("head from "):  # another head file, to compare two in one run
        from voicecoach.hearing.wake_head import WakeHead, load_weights

        data = Path(kind[len("head from "):]).read_bytes()
        head = WakeHead(head.embedder, load_weights(data))
    return WakeSpotter(grammar, head=head, rescue=rescue)


def spot(pcm: bytes, kind: str = "with head"
         ) -> tuple[list[tuple[float, str, str]], float, list[float]]:
    """Feed a stream to a fresh spotter: (requests heard, CPU seconds, decode ms)."""
    spotter = new_spotter(kind)
    heard = []
    step = CHUNK * 2
    cpu = time.process_time()
    for i in range(0, len(pcm) - step + 1, step):
        request = spotter.feed(pcm[i:i + step], (i + step) / 2 / RATE)
        if request is not None:
            heard.append((round(request.start, 1), request.request, request.text))
    return heard, time.process_time() - cpu, [s.ms for s in spotter.log]


def real_stream(snr: float | None, step: int, gap: float = 0.5) -> tuple[str, bytes]:
    """The real recordings one after another, `gap` seconds apart: at 0.5 s most are phrases
    of their own; at 0.3 s two or three run into one phrase, as words do in conversation."""
    parts = []
    for _, path in real_clips(SPEECH, step, True):
        samples, rate = read_pcm(path)
        parts += [to_16k(samples, rate), np.zeros(int(RATE * gap))]
    audio = with_noise(np.concatenate(parts), snr, seed=7)
    spacing = "" if gap == 0.5 else f", {gap} s apart"
    return f"real recordings{spacing}, {'clean' if snr is None else f'{snr} dB'}", as_pcm(audio)


def train_stream(snr: float | None, step: int) -> tuple[str, bytes]:
    """../shared/speech-train's held-out speakers' clips, 0.5 s apart."""
    from train_word_check import pcm_16k

    with (SPEECH_TRAIN / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if held_out(r["speaker_id"])]
    parts = []
    for row in sorted(rows, key=lambda r: r["path"])[::step]:
        parts += [np.frombuffer(pcm_16k(SPEECH_TRAIN / row["path"]), np.int16),
                  np.zeros(RATE // 2)]
    audio = with_noise(np.concatenate(parts).astype(np.float64), snr, seed=9)
    label = "clean" if snr is None else f"{snr} dB"
    return f"speech-train, held-out speakers, {label}", as_pcm(audio)


def seed_sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    text = re.sub(r"https?://\S+|[#*_>|\[\]()]", " ", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 20 < len(s.strip()) < 400]


def reading_stream(voice_index: int, snr: float | None, quick: bool) -> tuple[str, bytes]:
    name, say = voices(quick)[voice_index]
    sentences = seed_sentences()
    share = sentences[voice_index::len(voices(quick))][: 40 if quick else 160]
    parts = []
    for sentence in share:
        samples, rate = say(sentence)
        parts += [to_16k(samples, rate), np.zeros(RATE // 4)]
    audio = with_noise(np.concatenate(parts), snr, seed=voice_index)
    return f"seeds read by {name}, {'clean' if snr is None else f'{snr} dB'}", as_pcm(audio)


def false_wakes(job: tuple[str, tuple]) -> dict[str, object]:
    kind, args = job
    make = {"real": real_stream, "read": reading_stream, "train": train_stream}[kind]
    name, pcm = make(*args)
    seconds = len(pcm) / 2 / RATE
    out: dict[str, object] = {"name": name, "seconds": seconds}
    for spotter in SPOTTERS:
        heard, cpu, ms = spot(pcm, spotter)
        out[spotter] = {"heard": heard, "cpu": cpu, "ms": ms}
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def detections(job: tuple[int, bool]) -> dict[str, object]:
    voice_index, quick = job
    name, say = voices(quick)[voice_index]
    found: dict[str, dict[str, list[bool]]] = {s: {} for s in SPOTTERS}  # the request right
    woke: dict[str, dict[str, list[bool]]] = {s: {} for s in SPOTTERS}  # any request at all
    missed = []
    for k, (phrase, request) in enumerate(WAKE_SAID.items()):
        samples, rate = say(phrase)
        audio = np.concatenate([np.zeros(2 * RATE), to_16k(samples, rate), np.zeros(2 * RATE)])
        for snr in (None, 20, 10, 5):
            pcm = as_pcm(with_noise(audio, snr, seed=k))
            condition = "clean" if snr is None else f"{snr} dB"
            for spotter in SPOTTERS:
                heard, _, _ = spot(pcm, spotter)
                ok = any(r == request for _, r, _ in heard)
                found[spotter].setdefault(condition, []).append(ok)
                woke[spotter].setdefault(condition, []).append(bool(heard))
                if not ok:
                    missed.append((spotter, condition, phrase, [t for _, _, t in heard]))
    return {"voice": name, "found": found, "woke": woke, "missed": missed}


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def live(seconds: float) -> None:
    """`voicecoach serve` on virtual devices: CPU and memory while waiting in silence, then
    while 30 s of other words go into its microphone."""
    from voicecoach.audio.wav import Clip
    from voicecoach.testing.spoken_session import read_transcript
    from voicecoach.testing.virtual_audio import VirtualAudio

    with tempfile.TemporaryDirectory() as folder, VirtualAudio(Path(folder) / "pulse") as audio:
        transcript = Path(folder) / "serve.jsonl"
        env = {**audio.env, "VOICECOACH_DATA_DIR": folder,
               "VOICECOACH_CONFIG": str(Path(folder) / "none.toml")}
        process = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "serve", "--transcript", str(transcript)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not any(line["text"] == "listening" for line in read_transcript(transcript)):
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit("serve did not start listening within 60 s")
                time.sleep(0.1)
            time.sleep(2)
            cpu, t = process_cpu_seconds(process.pid), time.monotonic()
            time.sleep(seconds)
            idle = (process_cpu_seconds(process.pid) - cpu) / (time.monotonic() - t)
            rss = process_rss_mb(process.pid)
            _, pcm = real_stream(None, 40)  # every 40th real recording: about 30 s of words
            talk = Path(folder) / "talk.wav"
            talk.write_bytes(Clip(pcm, RATE).to_wav())
            cpu, t = process_cpu_seconds(process.pid), time.monotonic()
            audio.say_into_microphone(talk)
            busy = (process_cpu_seconds(process.pid) - cpu) / (time.monotonic() - t)
            rss_after = process_rss_mb(process.pid)
            woke = [line for line in read_transcript(transcript) if line["kind"] == "heard"]
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"voicecoach serve on virtual devices: waiting in silence for {seconds:.0f} s: CPU "
          f"{100 * idle:.1f}% of one core, resident memory {rss:.0f} MB")
    print(f"while {len(pcm) / 2 / RATE:.0f} s of other words went in: CPU {100 * busy:.1f}% of "
          f"one core, resident memory {rss_after:.0f} MB, requests heard: {len(woke)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of everything")
    parser.add_argument("--verbose", action="store_true", help="list every false wake-up")
    parser.add_argument("--found-only", action="store_true",
                        help="only the wake phrase said by each voice, no false-wake streams")
    parser.add_argument("--live", type=float, metavar="SECONDS",
                        help="measure `voicecoach serve` itself on virtual sound devices")
    args = parser.parse_args()
    if args.live:
        live(args.live)
        return
    started = time.monotonic()
    step = 4 if args.quick else 1
    n_voices = len(voices(args.quick))
    streams = [("real", (None, step)), ("real", (10, step)), ("real", (None, step, 0.3)),
               ("real", (10, step, 0.3))]
    streams += [("read", (v, snr, args.quick)) for v in range(n_voices) for snr in (None, 10)]
    streams += [("train", (None, step)), ("train", (10, step))]
    if args.found_only:
        streams = []
    with ProcessPoolExecutor(2) as pool:
        wakes = list(pool.map(false_wakes, streams))
        found = list(pool.map(detections, [(v, args.quick) for v in range(n_voices)]))

    all_ms: list[float] = []
    for spotter in SPOTTERS if wakes else ():
        print(f"False wake-ups on other speech (wake phrase: hey coach), {spotter}")
        print(f"{'stream':44} {'minutes':>7} {'wakes':>5} {'per hour':>8} {'CPU %':>6}")
        total_s = total_n = 0.0
        for row in wakes:
            result = row[spotter]
            n = len(result["heard"])
            total_s += row["seconds"]
            total_n += n
            all_ms += result["ms"] if spotter == "with head" else []
            print(f"{row['name']:44} {row['seconds'] / 60:7.1f} {n:5d} "
                  f"{n / row['seconds'] * 3600:8.2f} "
                  f"{100 * result['cpu'] / row['seconds']:6.2f}")
            if args.verbose:
                for heard in result["heard"]:
                    print("    ", heard)
        print(f"{'all':44} {total_s / 60:7.1f} {int(total_n):5d} "
              f"{total_n / total_s * 3600:8.2f}")
        print()
    conditions = ["clean", "20 dB", "10 dB", "5 dB"]
    for key, title in (("found", "Wake phrase found, with the request it was said with"),
                       ("woke", "Wake phrase found (it woke, whichever request it heard)")):
        for spotter in SPOTTERS:
            print(f"{title} ({len(WAKE_SAID)} phrases per voice and condition), {spotter}")
            print(f"{'voice':28} " + " ".join(f"{c:>7}" for c in conditions))
            totals: dict[str, list[bool]] = {c: [] for c in conditions}
            for row in found:
                cells = []
                for c in conditions:
                    oks = row[key][spotter][c]
                    totals[c] += oks
                    cells.append(f"{sum(oks)}/{len(oks)}")
                print(f"{row['voice']:28} " + " ".join(f"{c:>7}" for c in cells))
            print(f"{'all':28} " + " ".join(f"{sum(t) / len(t):7.3f}" for t in totals.values()))
            print()
    if args.verbose:
        for row in found:
            for miss in row["missed"]:
                print("  missed", row["voice"], miss)
    if not all_ms:
        print(f"Benchmark took {time.monotonic() - started:.0f} s")
        return
    print(f"Decoding a phrase with the head: median {statistics.median(all_ms):.0f} ms, p95 "
          f"{np.percentile(all_ms, 95):.0f} ms ({len(all_ms)} phrases); resident memory of a "
          f"worker at most {max(r['rss_mb'] for r in wakes):.0f} MB")
    print(f"Benchmark took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
