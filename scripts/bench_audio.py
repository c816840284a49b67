"""Benchmark the real audio path: from the end of a spoken answer to the coach's next sound.

Runs `voicecoach start` on virtual audio devices (a private PulseAudio server, see
voicecoach/testing/virtual_audio.py) with its real microphone and speaker classes, at the default
speech rate, and answers the safety questions with real recordings from ../shared/speech
played into the virtual microphone. The loudspeaker and the microphone are recorded on one
clock; for each answer it reports the time from the last sound of the answer in the
microphone to the first sound in the loudspeaker (the "understood" earcon), and to the start
of the next spoken prompt.

    python scripts/bench_audio.py               # 10 answers or more, about 2 minutes
    python scripts/bench_audio.py --answers 20
Needs: ./scripts/setup --test (pulseaudio, pulseaudio-utils, libasound2-plugins).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.testing.spoken_session import answer_recordings, run_spoken_session  # noqa: E402
from voicecoach.testing.virtual_audio import VirtualAudio  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=10, help="answers to time (at least)")
    parser.add_argument("--rate", type=int, default=None, help="speech rate (default: 175)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as tmp:
        base = Path(tmp)
        pool = answer_recordings(SPEECH, "no", "answer", args.answers + 5, base)
        used = iter(pool * 3)

        def answer(question: str, expect: str) -> Path:
            if "main pain" in question:  # in scope: answered by voice too, with a "yes"
                return answer_recordings(SPEECH, "yes", "answer", 1, base)[0]
            return next(used)

        extra = ["--rate", str(args.rate)] if args.rate else []
        with VirtualAudio(base / "pulse") as audio:
            run = run_spoken_session(
                audio, ["--routine", "desk_break", "--time-scale", "0.01", *extra], answer,
                env={"VOICECOACH_DATA_DIR": str(base / "data"),
                     "VOICECOACH_CONFIG": str(base / "none.toml")},
                transcript=base / "t.jsonl", reaction=0.3, timeout=900,
                stop_after=args.answers)
    latencies = run.latencies()
    to_sound = [a for a, _ in latencies]
    to_speech = [b for _, b in latencies]
    heard = [a.heard for a in run.answers]
    print(f"answers played: {len(run.answers)}; understood: "
          f"{sum(h is not None for h in heard)}; timed: {len(latencies)}")
    print("from the end of the answer in the microphone to...   median    p95    max (s)")
    for name, values in (("the next sound (earcon)", to_sound),
                         ("the next spoken prompt", to_speech)):
        print(f"  {name:<48} {statistics.median(values):6.3f} {p95(values):6.3f} "
              f"{max(values):6.3f}")


if __name__ == "__main__":
    main()
