#!/usr/bin/env python3
"""Start-to-first-word and the gap between sentences, for espeak-ng and the piper voice.

Start-to-first-word: `voicecoach start --voice V` is launched with a player that only notes
the wall-clock time it was handed the first utterance (the moment sound would begin).
Sentence gap: the coach renders each utterance when the one before has finished playing, so
the quiet between two utterances is the time to render the next; this renders every
utterance of a session (voicecoach.coach.phrasebook) in turn and reports those times.
piper is measured cold (an empty speech cache: every sentence rendered as it is needed) and
warm (after `voicecoach voices --prepare`). Prints medians and 95th percentiles.

    python scripts/bench_voices.py [--runs 5] [--voices espeak,piper:joe]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def first_word(exe: str, voice: str, cache: Path, workdir: Path) -> float:
    """Seconds from launching a session to its first utterance reaching the player."""
    stamp = workdir / "first-word.txt"
    stamp.unlink(missing_ok=True)
    env = {**os.environ, "VOICECOACH_PLAYER": f"sh -c 'date +%s.%N >> {stamp}' player",
           "VOICECOACH_CACHE": str(cache), "VOICECOACH_CONFIG": str(workdir / "config.toml"),
           "XDG_DATA_HOME": str(workdir / "data")}
    args = [exe, "start", "--no-history"] + (["--voice", voice] if voice != "espeak" else [])
    started = time.time()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if stamp.exists() and stamp.read_text().strip():
                return float(stamp.read_text().split()[0]) - started
            time.sleep(0.005)
        raise RuntimeError(f"no utterance reached the player within 60 s ({voice})")
    finally:
        process.kill()
        process.wait()


def render_times(voice: str, cache: Path, texts: list[str]) -> list[float]:
    """Seconds to render each utterance, in session order, with `cache` as the speech cache."""
    from voicecoach.audio.piper_voice import PiperRenderer
    from voicecoach.audio.rendering import Pyttsx3Renderer
    from voicecoach.audio.speech_cache import SentenceCache

    if voice == "espeak":
        renderer = Pyttsx3Renderer(rate=160)
    else:
        renderer = PiperRenderer(voice, rate=160, cache=SentenceCache(cache), preload=False)
        renderer.render("Warm up.")  # the model's load is start-up, measured above
    times = []
    for text in texts:
        started = time.perf_counter()
        renderer.render(text)
        times.append(time.perf_counter() - started)
    return times


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:6.0f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:6.0f} ms, max {max(values) * 1000:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--voices", default="espeak,piper:joe")
    parser.add_argument("--voicecoach", default=shutil.which("voicecoach") or str(
        Path(sys.executable).with_name("voicecoach")))
    args = parser.parse_args()
    from voicecoach.cli.common import load_library
    from voicecoach.coach.phrasebook import session_texts

    texts = session_texts(load_library(()))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm = work / "warm-cache"
        cases: list[tuple[str, str, bool]] = []
        for voice in args.voices.split(","):
            cases += [(voice, "", False)] if voice == "espeak" else [
                (voice, "cold", True), (voice, "warm", False)]
        if any(cold is False and voice != "espeak" for voice, _, cold in cases):
            for voice in {v for v, _, _ in cases if v != "espeak"}:
                subprocess.run([args.voicecoach, "voices", "--prepare", "--voice", voice],
                               env={**os.environ, "VOICECOACH_CACHE": str(warm)}, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"{len(texts)} utterances of a session; {args.runs} launches each\n")
        for voice, label, cold in cases:
            name = f"{voice} {label}".strip()

            def cache(run: int, cold: bool = cold) -> Path:
                return work / f"cold-{run}" if cold else warm

            first_word(args.voicecoach, voice, cache(-1), work)  # warm the file cache
            starts = [first_word(args.voicecoach, voice, cache(i), work)
                      for i in range(args.runs)]
            gaps = render_times(voice, cache(99), texts)
            print(f"{name:16} start to first word: {summary(starts)}")
            print(f"{'':16} gap between sentences: {summary(gaps)}")


if __name__ == "__main__":
    main()
