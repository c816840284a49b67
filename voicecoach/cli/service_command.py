"""`voicecoach service ...`: `voicecoach serve` as a systemd user service, from the installed
package (no checkout needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from voicecoach.cli.common import CliError
from voicecoach.errors import VoicecoachError

UNIT_NAME = "voicecoach.service"
PROJECT_PAGE = "https://pypi.org/project/voicecoach/"
LINGER_HINT = ("To start it at boot without anyone logging in (a box with no screen): "
               "sudo loginctl enable-linger {user}")


def command_line() -> list[str]:
    """How this voicecoach is started: its console script, else this Python with -m."""
    script = Path(sys.argv[0])
    if script.name == "voicecoach" and script.exists():
        return [str(script.resolve())]
    found = shutil.which("voicecoach")
    return [found] if found else [sys.executable, "-m", "voicecoach"]


def _systemd_quoted(arg: str) -> str:
    """One argument as systemd reads it: in double quotes, with \\ and " escaped, and % (a
    specifier to systemd) doubled."""
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def unit_text(exe: list[str], serve_args: tuple[str, ...] = ()) -> str:
    """The systemd user unit that runs `voicecoach serve` with `serve_args`."""
    command = " ".join(_systemd_quoted(a) for a in [*exe, "serve", *serve_args])
    return f"""[Unit]
Description=voicecoach: hands-free stretching coach, waiting for its wake phrase
Documentation={PROJECT_PAGE}
After=sound.target pulseaudio.service pipewire-pulse.service

[Service]
ExecStart={command}
Restart=on-failure
RestartSec=10
Environment=PYTHONUNBUFFERED=1
# serve ends cleanly on SIGTERM (a running session says goodbye and keeps its history)
TimeoutStopSec=20

[Install]
WantedBy=default.target
"""


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def _systemctl(*args: str) -> subprocess.CompletedProcess[str] | None:
    """`systemctl --user ...`, or None when there is no systemd user session here."""
    if shutil.which("systemctl") is None:
        return None
    probe = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return None
    return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True)


@click.group()
def service() -> None:
    """Run `voicecoach serve` as a systemd user service (waits for "hey coach").

    \b
    Example:
      voicecoach service print
      voicecoach service install -- --wake-phrase "okay coach"
      voicecoach service status
      voicecoach service remove
    """


serve_args_argument = click.argument("serve_args", nargs=-1, type=click.UNPROCESSED)


@service.command("print", context_settings={"ignore_unknown_options": True})
@serve_args_argument
def service_print(serve_args: tuple[str, ...]) -> None:
    """Print the unit that `service install` would write (options after -- go to serve).

    \b
    Example:
      voicecoach service print -- --log-file ~/voicecoach.log
    """
    click.echo(unit_text(command_line(), serve_args), nl=False)


@service.command("install", context_settings={"ignore_unknown_options": True})
@serve_args_argument
def service_install(serve_args: tuple[str, ...]) -> None:
    """Write the unit, then enable and start it (options after -- go to serve).

    \b
    Example:
      voicecoach service install
      voicecoach service install -- --wake-phrase "okay coach"
    """
    path = unit_dir() / UNIT_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(unit_text(command_line(), serve_args), encoding="utf-8")
    except OSError as exc:
        raise CliError(VoicecoachError(f"{path}: cannot write ({exc.strerror or exc})")
                       ) from None
    click.echo(f"Wrote {path}")
    reload = _systemctl("daemon-reload")
    if reload is None:
        click.echo("No systemd user session here; once there is one, start it with: "
                   "systemctl --user enable --now voicecoach")
    else:
        started = _systemctl("enable", "--now", UNIT_NAME)
        if started is not None and started.returncode != 0:
            raise CliError(VoicecoachError(
                f"systemctl could not start it: {started.stderr.strip()}"))
        click.echo("Started. Its log: journalctl --user -u voicecoach -f")
    click.echo(LINGER_HINT.format(user=os.environ.get("USER") or "$USER"))


@service.command("remove")
def service_remove() -> None:
    """Stop and disable the service, and delete its unit.

    \b
    Example:
      voicecoach service remove
    """
    path = unit_dir() / UNIT_NAME
    _systemctl("disable", "--now", UNIT_NAME)
    if not path.exists():
        click.echo(f"Not installed ({path} does not exist).")
        return
    try:
        path.unlink()
    except OSError as exc:
        raise CliError(VoicecoachError(f"{path}: cannot remove ({exc.strerror or exc})")
                       ) from None
    _systemctl("daemon-reload")
    click.echo(f"Removed {path}")


@service.command("status")
def service_status() -> None:
    """Say whether the service is installed and running; exit 1 when it is not running.

    \b
    Example:
      voicecoach service status
    """
    path = unit_dir() / UNIT_NAME
    if not path.exists():
        click.echo("Not installed. Install it with: voicecoach service install")
        sys.exit(1)
    started_by = next((line.split("=", 1)[1] for line in path.read_text().splitlines()
                       if line.startswith("ExecStart=")), "?")
    click.echo(f"Its command: {started_by}")
    state = _systemctl("is-active", UNIT_NAME)
    if state is None:
        click.echo(f"Installed ({path}), but there is no systemd user session here to run it.")
        sys.exit(1)
    active = state.stdout.strip() or "unknown"
    click.echo(f"Installed ({path}); {active}.")
    sys.exit(0 if active == "active" else 1)
