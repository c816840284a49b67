"""The speech embedding: numpy (what voicecoach runs) against onnxruntime on the same ONNX files.

    python scripts/bench_speech_embedding.py [--runs 200]

Each engine runs in its own fresh process (so one's memory does not count against the other)
on the same inputs: the wake head's 1.4 s window (hearing/wake_head.py) and the word check's
padded answers of 1.3-3 s. Prints milliseconds per phrase (median and 95th percentile) and the
process's resident memory after loading and after the runs. onnxruntime is measured only where
it is installed (the whisper and piper extras bring it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, sys, time
import numpy as np

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

engine, runs = sys.argv[1], int(sys.argv[2])
start = rss()
if engine == "numpy":
    from voicecoach.hearing.speech_embedding import SpeechEmbedding
    embed = SpeechEmbedding().embeddings
else:
    import onnxruntime as ort
    folder = "voicecoach/data/speech_embedding/"
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    mel = ort.InferenceSession(folder + "melspectrogram.onnx", options,
                               providers=["CPUExecutionProvider"])
    net = ort.InferenceSession(folder + "embedding_model.onnx", options,
                               providers=["CPUExecutionProvider"])

    def embed(samples):
        m = mel.run(None, {"input": samples[None]})[0].squeeze() / 10 + 2
        windows = np.array([m[i:i + 76] for i in range(0, len(m) - 75, 8)])
        return net.run(None, {"input_1": windows[..., None].astype(np.float32)})[0]
loaded = rss()
rng = np.random.default_rng(0)
lengths = {"wake head 1.4 s + pads": [38400] * runs,
           "answers 1.3-3 s": [int(n) for n in rng.integers(20800, 48000, runs)]}
out = {"engine": engine, "start_mb": start, "loaded_mb": loaded, "ms": {}}
for name, sizes in lengths.items():
    times = []
    for n in sizes:
        samples = (rng.normal(0, 2000, n)).astype(np.float32)
        t = time.perf_counter()
        embed(samples)
        times.append(1000 * (time.perf_counter() - t))
    out["ms"][name] = [float(np.median(times)), float(np.percentile(times, 95))]
out["after_mb"] = rss()
print(json.dumps(out))
"""


def measure(engine: str, runs: int) -> dict | None:
    done = subprocess.run([sys.executable, "-c", WORKER, engine, str(runs)], cwd=ROOT,
                          capture_output=True, text=True, env={"OPENBLAS_NUM_THREADS": "1",
                                                                "OMP_NUM_THREADS": "1",
                                                                "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        print(f"{engine}: could not run ({done.stderr.strip().splitlines()[-1]})")
        return None
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    results = [r for r in (measure(e, args.runs) for e in ("numpy", "onnxruntime")) if r]
    print(f"{args.runs} phrases each, one thread, this machine")
    print(f"{'engine':12} {'input':24} {'median ms':>10} {'p95 ms':>8}")
    for r in results:
        for name, (median, p95) in r["ms"].items():
            print(f"{r['engine']:12} {name:24} {median:10.1f} {p95:8.1f}")
    print(f"{'engine':12} {'memory (MB): python+numpy':>28} {'loaded':>8} {'after runs':>11}")
    for r in results:
        print(f"{r['engine']:12} {r['start_mb']:28.0f} {r['loaded_mb']:8.0f} {r['after_mb']:11.0f}")


if __name__ == "__main__":
    main()
