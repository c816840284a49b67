"""`voicecoach config ...`: the settings that persist between sessions."""

from __future__ import annotations

import json

import click

from voicecoach.cli.common import CliError, load_library, routine_in
from voicecoach.errors import VoicecoachError
from voicecoach.settings import BACKUP_SUFFIX, DESCRIPTIONS, config_path, toml_value
from voicecoach.settings import KEYS as SETTING_KEYS
from voicecoach.settings import load as load_settings
from voicecoach.settings import parse as parse_setting
from voicecoach.settings import read_file as read_settings_file
from voicecoach.settings import write as write_settings


@click.group()
def config() -> None:
    """Show or change the settings that persist between sessions.

    Settings live in a TOML file in your config folder; VOICECOACH_<KEY> environment
    variables override it, and command-line flags override both.

    \b
    Example:
      voicecoach config show
      voicecoach config set rate 140
      voicecoach config reset
    """


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Each setting's value, source and meaning.")
def config_show(as_json: bool) -> None:
    """Print each setting as TOML, with where it comes from and what it means.

    \b
    Example:
      voicecoach config show
      voicecoach config show --json
    """
    try:
        settings, sources = load_settings()
    except VoicecoachError as exc:
        raise CliError(exc) from None
    if as_json:
        click.echo(json.dumps({key: {"value": getattr(settings, key), "source": sources[key],
                                     "meaning": DESCRIPTIONS[key]} for key in SETTING_KEYS},
                              indent=2))
        return
    click.echo(f"# settings file: {config_path()}")
    for key in SETTING_KEYS:
        value = toml_value(getattr(settings, key))
        click.echo(f"{key} = {value}  # {sources[key]}; {DESCRIPTIONS[key]}")


@config.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Store one setting in the settings file.

    \b
    Example:
      voicecoach config set volume 0.8
      voicecoach config set verbosity brief
    """
    path, warning = config_path(), ""
    try:
        stored = read_settings_file(path)
        stored[key] = parse_setting(key, value, "config set")
        if key == "routine" and stored[key]:  # a routine that does not exist fails every start
            routine_in(load_library(()), str(stored[key]), "")
        if key == "voice" and stored[key]:  # a voice that does not exist fails every start
            from voicecoach.audio.voices import check_voice

            warning = check_voice(str(stored[key]))
        write_settings(path, stored)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    click.echo(f"{key} = {stored[key]!r} (saved in {path})")
    if warning:
        click.echo(f"Warning: {warning}.", err=True)
    elif key == "voice" and str(stored[key]).startswith("piper:"):
        click.echo("Run `voicecoach voices --prepare` once (about 20 s), so sessions play "
                   "every sentence at once.")


@config.command("reset")
def config_reset() -> None:
    """Go back to the default settings; the old file is kept beside it, ending in .old.

    \b
    Example:
      voicecoach config reset
    """
    path = config_path()
    if not path.exists():
        click.echo(f"The settings are already the defaults ({path} does not exist).")
        return
    kept = path.with_name(path.name + BACKUP_SUFFIX)
    try:
        path.replace(kept)
    except OSError as exc:
        raise CliError(VoicecoachError(f"{path}: cannot move aside ({exc.strerror or exc})")
                       ) from None
    click.echo(f"Settings reset to the defaults (the old file is kept as {kept}).")
