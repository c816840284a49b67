"""`voicecoach routines ...` and `voicecoach content`: the content, listed, shown and checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from voicecoach.cli.common import CliError, load_library, routines_dir_option
from voicecoach.content.loader import find_routine, load_content
from voicecoach.errors import ExitCode, VoicecoachError
from voicecoach.session.handout import content_as_dict, routine_handout, routine_list
from voicecoach.session.safety_summary import triage_summary as summarize_triage


@click.group()
def routines() -> None:
    """List routines, or show one as a printable handout.

    \b
    Example:
      voicecoach routines list
      voicecoach routines show beginner_back_hip
    """


json_option = click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")


@routines.command("list")
@routines_dir_option
@json_option
def routines_list(routines_dirs: tuple[Path, ...], as_json: bool) -> None:
    """List the available routines with their length.

    \b
    Example:
      voicecoach routines list --routines-dir ~/my-routines
      voicecoach routines list --json
    """
    content = load_library(routines_dirs)
    if as_json:
        listed = [{k: r[k] for k in ("id", "name", "level", "default", "minutes")}
                  | {"exercises": len(r["steps"])} for r in content_as_dict(content)["routines"]]
        click.echo(json.dumps(listed, indent=2))
    else:
        click.echo(routine_list(content))


@routines.command("show")
@click.argument("name")
@routines_dir_option
@json_option
def routines_show(name: str, routines_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Show one routine: order, doses, time and cautions.

    \b
    Example:
      voicecoach routines show beginner_back_hip
      voicecoach routines show beginner_back_hip --json
    """
    content = load_library(routines_dirs)
    try:
        routine = find_routine(content, name)
    except VoicecoachError as exc:
        raise CliError(exc) from None
    if as_json:
        data = content_as_dict(content)
        (shown,) = [r for r in data["routines"] if r["id"] == routine.id]
        used = {step["exercise"] for step in shown["steps"]}
        shown["exercises"] = [e for e in data["exercises"] if e["id"] in used]
        click.echo(json.dumps(shown, indent=2))
    else:
        click.echo(routine_handout(routine))


@routines.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
def routines_validate(files: tuple[Path, ...]) -> None:
    """Check your own routine files; print each problem with its file and line.

    Your routines may use the built-in exercises by id.

    \b
    Example:
      voicecoach routines validate ~/.config/voicecoach/routines/mine.yaml
    """
    problems: list[str] = []
    for path in files:
        try:
            load_content(extra_files=[path])
        except VoicecoachError as exc:
            problems += getattr(exc, "problems", [str(exc)])
        else:
            click.echo(f"{path}: ok")
    if problems:
        for problem in problems:
            click.echo(problem)
        sys.exit(int(ExitCode.CONTENT))


@click.command("content")
@click.option("--json", "as_json", is_flag=True,
              help="Every exercise, routine and the whole safety logic, as JSON.")
@click.option("--triage-summary", is_flag=True,
              help="The safety logic for a clinician to review, as Markdown (the default).")
@routines_dir_option
def content_command(as_json: bool, triage_summary: bool, routines_dirs: tuple[Path, ...]) -> None:
    """Print the content: the safety logic for review, or everything as JSON.

    \b
    Example:
      voicecoach content --triage-summary > safety.md
      voicecoach content --json > content.json
    """
    content = load_library(routines_dirs)
    if as_json:
        click.echo(json.dumps(content_as_dict(content), indent=2))
    else:
        click.echo(summarize_triage(content.triage), nl=False)
