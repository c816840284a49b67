"""The command line: thin click commands over the library, one module per command group.

Lives here: the group and entry point (`main`), shared options and errors (`common`), and the
commands: `start` (`session_commands`), `serve` (`serve_command`), `routines` and `content`
(`content_commands`), `check-audio`, `voices` and `hear` (`audio_commands`), `history`
(`history_commands`) and `config` (`settings_commands`). The top layer: nothing imports it.
"""

import os

# numpy's matrices here are small (the speech embedding, the echo canceller): OpenBLAS's extra
# threads only spin, and doubled serve's CPU while it heard talk (scripts/bench_wake.py --live).
# Set before numpy is first imported, which the commands below do; a user's own value stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from voicecoach.cli.main import cli, main

__all__ = ["cli", "main"]
