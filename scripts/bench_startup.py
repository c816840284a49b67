#!/usr/bin/env python3
"""Time from launching `voicecoach start` to the first spoken word reaching the audio player.

The player is replaced by a tiny command that notes the wall-clock time it was started with
the first utterance's WAV file; that is the moment sound would begin. Prints each run, the
median and the 95th percentile.

    python scripts/bench_startup.py [--runs 5] [--voicecoach .venv/bin/voicecoach]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def one_run(exe: list[str], workdir: Path) -> float:
    stamp = workdir / "first-word.txt"
    stamp.unlink(missing_ok=True)
    player = f"sh -c 'date +%s.%N >> {stamp}' player"
    started = time.time()
    process = subprocess.Popen(
        [*exe, "start"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**__import__("os").environ, "VOICECOACH_PLAYER": player},
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if stamp.exists() and stamp.read_text().strip():
                first = float(stamp.read_text().split()[0])
                return first - started
            time.sleep(0.005)
        raise RuntimeError("no utterance reached the player within 60 s")
    finally:
        process.kill()
        process.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--voicecoach", default=shutil.which("voicecoach") or "voicecoach")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one_run([args.voicecoach], Path(tmp))  # warm the file cache once; not counted
        times = [one_run([args.voicecoach], Path(tmp)) for _ in range(args.runs)]
    for i, t in enumerate(times, 1):
        print(f"run {i}: {t * 1000:.0f} ms")
    print(f"time to first spoken word: median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {percentile(times, 0.95) * 1000:.0f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
