"""voicecoach: a hands-free, offline voice coach for low back and hip stretches."""

import os

__version__ = "0.1.0"

# numpy's matrices here are small (the speech embedding, the echo canceller): OpenBLAS's extra
# threads only spin beside the audio threads, and doubled serve's CPU while it heard talk
# (scripts/bench_wake.py --live). Set before numpy is imported; a value already set stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
