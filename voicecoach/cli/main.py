"""The `voicecoach` command group and its entry point."""

from __future__ import annotations

import click

from voicecoach.cli.audio_commands import check_audio, hear, voices
from voicecoach.cli.content_commands import content_command, routines
from voicecoach.cli.history_commands import history
from voicecoach.cli.safety_commands import safety
from voicecoach.cli.serve_command import serve
from voicecoach.cli.service_command import service
from voicecoach.cli.session_commands import start
from voicecoach.cli.settings_commands import config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voicecoach")
def cli() -> None:
    """A hands-free, offline voice coach for low back and hip stretches.

    \b
    Example:
      voicecoach start            # speak and listen
      voicecoach start --text     # type answers, read the coach's words

    \b
    Exit codes:
      0    done (a session that ended with safety advice is done too)
      1    an error, said in one line (a bad file, a device, the history)
      2    a command-line mistake (an unknown option or value)
      3    a routine or content file has problems (each printed as file:line)
      4    typed or recorded answers ran out before the session ended
      129  the terminal closed (SIGHUP); 130 stopped with Ctrl-C; 131 with Ctrl-\\
           (SIGQUIT); 143 stopped by SIGTERM (each says a goodbye first)
    """


for command in (start, serve, service, routines, content_command, check_audio, voices, hear,
                history, safety, config):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="voicecoach")
