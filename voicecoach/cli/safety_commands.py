"""`voicecoach safety ...`: the safety flags kept between sessions, listed, cleared, re-armed.

Everything a session can do by voice about a remembered flag can be done here by keyboard:
clearing one records that a clinician has checked it (the next session does not ask about it,
and a lifetime question is not asked again unless something changes); re-arming one puts it
back in force.
"""

from __future__ import annotations

from pathlib import Path

import click

from voicecoach.cli.common import CliError, data_dir_option, load_library, routines_dir_option
from voicecoach.content.model import Triage
from voicecoach.errors import VoicecoachError
from voicecoach.history.flags_view import flag_text, flags_json, flags_lines
from voicecoach.history.store import History, HistoryError, open_history


def _open(data_dir: Path | None, read_only: bool = False) -> History:
    try:
        return open_history(data_dir, read_only=read_only)
    except HistoryError as exc:
        raise CliError(exc) from None


def _known(triage: Triage, flag: str) -> str:
    """The action a flag id raises; a clear error naming the valid ids when it is unknown."""
    named = triage.flag(flag)
    if named is None:
        examples = ", ".join(q.id for q in triage.questions[:6])
        raise CliError(VoicecoachError(
            f"safety: unknown flag {flag!r}; flags are question or rule ids such as "
            f"{examples} (voicecoach content --triage-summary lists all)"))
    return named.action


@click.group(invoke_without_command=True)
@click.pass_context
def safety(ctx: click.Context) -> None:
    """Show, clear or re-arm the safety flags kept between sessions.

    \b
    Examples:
      voicecoach safety                 # what is in force, and what was cleared
      voicecoach safety clear B1-1      # a clinician has checked it
      voicecoach safety rearm B1-5      # put it back in force
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(safety_list)


@safety.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every flag as JSON.")
@data_dir_option
@routines_dir_option
def safety_list(as_json: bool = False, data_dir: Path | None = None,
                routines_dirs: tuple[Path, ...] = ()) -> None:
    """List the safety flags in force and those cleared, with dates.

    \b
    Example:
      voicecoach safety list --json
    """
    triage = load_library(routines_dirs).triage
    store = _open(data_dir, read_only=True)
    try:
        rows = store.flags()
    except HistoryError as exc:
        raise CliError(exc) from None
    finally:
        store.close()
    if as_json:
        click.echo(flags_json(rows, triage))
    else:
        click.echo("\n".join(flags_lines(rows, triage)) or "No safety flags have been raised.")


@safety.command("clear")
@click.argument("flag")
@click.option("--yes", "sure", is_flag=True, help="Do not ask for confirmation.")
@data_dir_option
@routines_dir_option
def safety_clear(flag: str, sure: bool, data_dir: Path | None,
                 routines_dirs: tuple[Path, ...]) -> None:
    """Record that a clinician has checked FLAG and said you can exercise.

    \b
    Example:
      voicecoach safety clear B1-1
    """
    triage = load_library(routines_dirs).triage
    _known(triage, flag)
    if not sure and not click.confirm(
            f"{flag}: {flag_text(triage, flag)}\nHas a doctor or physiotherapist checked this "
            "and told you that you can exercise?", default=False):
        click.echo(f"{flag} stays in force.")
        return
    store = _open(data_dir)
    try:
        cleared = store.clear_flag(flag, "keyboard")
    except HistoryError as exc:
        raise CliError(exc) from None
    finally:
        store.close()
    if not cleared:
        raise CliError(VoicecoachError(f"safety: {flag} is not in force; nothing to clear "
                                       "(voicecoach safety list shows what is)"))
    click.echo(f"{flag} cleared. The next session will not ask about it.")


@safety.command("rearm")
@click.argument("flag")
@data_dir_option
@routines_dir_option
def safety_rearm(flag: str, data_dir: Path | None, routines_dirs: tuple[Path, ...]) -> None:
    """Put FLAG back in force, as if it had been answered yes again.

    \b
    Example:
      voicecoach safety rearm B1-5
    """
    triage = load_library(routines_dirs).triage
    action = _known(triage, flag)
    if action == "none":
        raise CliError(VoicecoachError(
            f"safety: {flag} raises no action on its own, so there is nothing to keep in force"))
    store = _open(data_dir)
    try:
        store.raise_flag(flag, action, "keyboard")
    except HistoryError as exc:
        raise CliError(exc) from None
    finally:
        store.close()
    click.echo(f"{flag} is in force again. The next session will ask about it first.")
