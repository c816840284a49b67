"""Load and validate content (exercises, routines, triage) from YAML files and folders.

Every problem is reported as `path:line: field: what is wrong`, and all problems in a set of
files are collected before failing, so one run shows everything to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from voicecoach.content.fields import Problems
from voicecoach.content.model import Content, Exercise, Routine, Triage
from voicecoach.content.parse import parse_exercise, parse_routine
from voicecoach.content.parse_triage import check_triage_refs, parse_triage
from voicecoach.content.yamlio import Located, load_yaml
from voicecoach.errors import ContentError, UnknownRoutineError


def builtin_routines_dir() -> Path:
    """The routines folder shipped with the package (works from a checkout or an install)."""
    checkout = Path(__file__).resolve().parents[2] / "routines"
    try:
        installed = Path(str(resources.files("voicecoach.routines")))
    except ModuleNotFoundError:  # running from a checkout that was not pip-installed
        return checkout
    return installed if installed.is_dir() else checkout


def user_routines_dir() -> Path:
    """The standard per-user folder for the user's own routines (XDG config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "voicecoach" / "routines"


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_content(
    extra_dirs: Iterable[Path] = (),
    builtin_dir: Path | None = None,
    seeds: Iterable[str] = (),
    extra_files: Iterable[Path] = (),
) -> Content:
    """Load the built-in content plus user folders and files; raise ContentError listing all
    problems."""
    problems = Problems()
    dirs = [builtin_dir or builtin_routines_dir(), *extra_dirs]
    files: list[Path] = []
    for directory in dirs:
        if directory.is_dir():
            files.extend(_yaml_files(directory))
        elif directory != dirs[0] or not directory.exists():
            problems.add(None, "routines folder", "not found", str(directory))
    files.extend(extra_files)
    documents: list[tuple[Path, Located]] = []
    for path in files:
        try:
            data = load_yaml(path)
        except ContentError as exc:
            problems.items.extend(exc.problems)
            continue
        if not isinstance(data, Located):
            problems.add(None, "file", "must hold a mapping (exercises:, routines:, triage:)",
                         str(path))
            continue
        unknown = set(data) - {"exercises", "routines", "triage", "seeds"}
        for key in sorted(unknown):
            problems.add(data, key, "unknown section (expected exercises, routines, triage, seeds)")
        documents.append((path, data))
    known_seeds = set(seeds)
    for _path, data in documents:
        known_seeds.update(str(s) for s in data.get("seeds") or [])

    exercises: dict[str, Exercise] = {}
    for path, data in documents:
        for raw in _list(data, "exercises", problems):
            exercise = parse_exercise(raw, problems, str(path))
            if exercise is None:
                continue
            if exercise.id in exercises:
                problems.add(raw, "id", f"duplicated exercise id {exercise.id!r}")
                continue
            for source in exercise.sources:
                if source not in known_seeds:
                    problems.add(raw, "sources", f"{source!r} is not one of the seed files")
            exercises[exercise.id] = exercise

    triage: Triage | None = None
    for path, data in documents:
        if "triage" in data:
            if triage is not None:
                problems.add(data, "triage", "defined twice; keep one triage section")
                continue
            triage = parse_triage(data["triage"], problems, str(path))
            if triage is not None:
                check_triage_refs(triage, data["triage"], exercises, known_seeds, problems)
    if triage is None and not any("triage" in d for _p, d in documents):
        problems.add(None, "triage", "no triage section found", str(dirs[0]))

    routines: dict[str, Routine] = {}
    default_routine = ""
    for path, data in documents:
        for raw in _list(data, "routines", problems):
            routine, is_default = parse_routine(raw, problems, str(path), exercises)
            if routine is None:
                continue
            if routine.id in routines:
                problems.add(raw, "id", f"duplicated routine id {routine.id!r}")
                continue
            routines[routine.id] = routine
            if is_default and not default_routine:
                default_routine = routine.id
    if not routines and not problems.items:
        problems.add(None, "routines", "no routine found", str(dirs[0]))

    if problems.items:
        raise ContentError(problems.items)
    assert triage is not None
    return Content(
        exercises=exercises,
        routines=routines,
        triage=triage,
        default_routine=default_routine or next(iter(routines)),
        files=tuple(str(p) for p in files),
    )


def _list(data: Located, key: str, problems: Problems) -> list[Any]:
    if key not in data:
        return []
    value = data.get(key)
    if not isinstance(value, list) or not value:
        problems.add(data, key, "must be a non-empty list (or leave the section out)")
        return []
    return value


def find_routine(content: Content, name: str | None) -> Routine:
    """The routine called `name` (id, or name ignoring case), or the default one."""
    if not name:
        return content.routines[content.default_routine]
    wanted = name.strip().lower().replace(" ", "_").replace("-", "_")
    for routine in content.routines.values():
        if wanted in (routine.id, routine.name.lower().replace(" ", "_")):
            return routine
    known = ", ".join(sorted(content.routines))
    raise UnknownRoutineError(f"unknown routine {name!r}; available routines: {known}")
