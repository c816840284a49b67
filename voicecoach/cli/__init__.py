"""The command line: thin click commands over the library, one module per command group.

Lives here: the group and entry point (`main`), shared options and errors (`common`), and the
commands: `start` (`session_commands`), `serve` (`serve_command`), `routines` and `content`
(`content_commands`), `check-audio`, `voices` and `hear` (`audio_commands`), `history`
(`history_commands`) and `config` (`settings_commands`). The top layer: nothing imports it.
"""

from voicecoach.cli.main import cli, main

__all__ = ["cli", "main"]
