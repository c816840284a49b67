"""Load and validate content (exercises, routines, triage) from YAML into frozen dataclasses.

Every problem is reported as `path:line: field: what is wrong`, and all problems in a set of
files are collected before failing, so one run shows everything to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from voicecoach.errors import ContentError, UnknownRoutineError
from voicecoach.model import (
    LEVELS,
    POSITIONS,
    Action,
    Answer,
    Content,
    Dose,
    Exercise,
    Group,
    Question,
    Routine,
    RoutineStep,
    Rule,
    Span,
    Triage,
)
from voicecoach.yamlio import Located, load_yaml

# Plausible limits for a home routine; a value outside them is almost certainly a typo.
DOSE_LIMITS = {
    "hold": (1, 120),
    "breaths": (1, 30),
    "reps": (1, 50),
    "sets": (1, 5),
    "rest": (1, 180),
    "set_rest": (1, 300),
}


def builtin_routines_dir() -> Path:
    """The routines folder shipped with the package (works from a checkout or an install)."""
    checkout = Path(__file__).resolve().parent.parent / "routines"
    try:
        installed = Path(str(resources.files("voicecoach.routines")))
    except ModuleNotFoundError:  # running from a checkout that was not pip-installed
        return checkout
    return installed if installed.is_dir() else checkout


def user_routines_dir() -> Path:
    """The standard per-user folder for the user's own routines (XDG config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "voicecoach" / "routines"


class _Problems:
    """Collects `path:line: field: message` problems."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: Located | None, key: str, message: str, path: str = "") -> None:
        if where is not None:
            self.items.append(f"{where.path}:{where.line_of(key)}: {key}: {message}")
        else:
            self.items.append(f"{path}: {key}: {message}")


class _Fields:
    """Typed access to one YAML mapping, recording problems instead of raising."""

    def __init__(self, data: Any, problems: _Problems, what: str, path: str):
        self.problems = problems
        if isinstance(data, Located):
            self.data = data
        else:
            self.data = Located()
            self.data.path, self.data.line, self.data.key_lines = path, 0, {}
            problems.add(None, what, f"expected a mapping, got {type(data).__name__}", path)
        self.ok = True

    def fail(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.data, key, message)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            self.fail(key, "missing (a text is required)")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be non-empty text, got {value!r}")
            return ""
        return " ".join(value.split())

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "missing (a list of texts is required)")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, "must be a list of non-empty texts")
            return ()
        if required and not value:
            self.fail(key, "must not be empty")
        return tuple(" ".join(v.split()) for v in value)

    def choice(self, key: str, options: Iterable[str], default: str | None = None) -> str:
        options = tuple(options)
        value = self.data.get(key, default)
        if value not in options:
            shown = "missing" if value is None else repr(value)
            self.fail(key, f"{shown}; must be one of: {', '.join(options)}")
            return options[0]
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
            return default
        return value

    def span(self, key: str) -> Span | None:
        value = self.data.get(key)
        if value is None:
            return None
        low_high = value if isinstance(value, list) else [value]
        if (
            len(low_high) not in (1, 2)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in low_high)
        ):
            self.fail(key, f"must be a number or [low, high], got {value!r}")
            return None
        low, high = low_high[0], low_high[-1]
        lowest, highest = DOSE_LIMITS.get(key, (0, float("inf")))
        if low <= 0:
            self.fail(key, f"must be positive, got {low}")
            return None
        if low > high:
            self.fail(key, f"range [{low}, {high}] runs backwards")
            return None
        if low < lowest or high > highest:
            self.fail(key, f"{value!r} is not plausible (expected {lowest} to {highest})")
            return None
        return Span(float(low), float(high))

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.data.get(key, default)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not low <= value <= high:
            self.fail(key, f"must be a number from {low:g} to {high:g}, got {value!r}")
            return default
        return float(value)

    def unknown_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.fail(str(key), f"unknown field (expected one of: {expected})")


DOSE_KEYS = (
    "hold", "breaths", "reps", "sets", "rest", "set_rest",
    "per_side", "tempo", "breath_seconds", "note",
)


def _dose(
    data: Any, problems: _Problems, path: str, base: Dose | None = None, narrated: bool = True
) -> Dose:
    f = _Fields(data, problems, "dose", path)
    f.unknown_keys(DOSE_KEYS)
    base = base or Dose()
    spans = {key: f.span(key) if key in f.data else getattr(base, key) for key in DOSE_LIMITS}
    dose = Dose(
        **spans,
        per_side=f.flag("per_side", base.per_side),
        tempo=f.number("tempo", base.tempo, 1, 10),
        breath_seconds=f.number("breath_seconds", base.breath_seconds, 3, 12),
        note=f.text("note", base.note or " ") if "note" in f.data else base.note,
    )
    if narrated and dose.hold is None and dose.breaths is None and dose.reps is None:
        f.fail("dose", "needs at least one of hold, breaths or reps")
    return dose


EXERCISE_KEYS = (
    "id", "name", "level", "position", "dose", "setup", "action", "repeat_action", "release",
    "reminders",
    "other_side", "finish", "equipment", "targets", "cautions", "sources", "references",
    "narrated", "default", "dose_origin",
)
DOSE_ORIGINS = ("seed", "external", "assistant")


def _exercise(data: Any, problems: _Problems, path: str) -> Exercise | None:
    f = _Fields(data, problems, "exercise", path)
    f.unknown_keys(EXERCISE_KEYS)
    dose_data = f.data.get("dose")
    if dose_data is None:
        f.fail("dose", "missing (an exercise needs a dose)")
    exercise = Exercise(
        id=f.text("id"),
        name=f.text("name"),
        level=f.choice("level", LEVELS),
        position=f.choice("position", POSITIONS),
        dose=(
            _dose(dose_data, problems, path, narrated=f.data.get("narrated", True) is not False)
            if dose_data is not None
            else Dose()
        ),
        setup=f.texts("setup", required=True),
        action=f.text("action", "Hold."),
        repeat_action=f.text("repeat_action") if "repeat_action" in f.data else "",
        release=f.text("release", "And release."),
        reminders=f.texts("reminders"),
        other_side=f.text("other_side", "Now the other side."),
        finish=f.text("finish", "") if f.data.get("finish") else "",
        equipment=f.texts("equipment"),
        targets=f.texts("targets"),
        cautions=f.texts("cautions"),
        sources=f.texts("sources", required=True),
        references=f.texts("references"),
        narrated=f.flag("narrated", True),
        dose_origin=f.choice("dose_origin", DOSE_ORIGINS, "seed"),
    )
    return exercise if f.ok else None


ROUTINE_KEYS = ("id", "name", "intro", "level", "steps", "default")


def _routine(
    data: Any, problems: _Problems, path: str, exercises: dict[str, Exercise]
) -> tuple[Routine | None, bool]:
    f = _Fields(data, problems, "routine", path)
    f.unknown_keys(ROUTINE_KEYS)
    steps: list[RoutineStep] = []
    raw_steps = f.data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        f.fail("steps", "must be a non-empty list of exercises")
        raw_steps = []
    for raw in raw_steps:
        if isinstance(raw, str):
            raw = Located({"exercise": raw})
            raw.path, raw.line, raw.key_lines = f.data.path, f.data.line_of("steps"), {}
        step = _Fields(raw, problems, "step", path)
        step.unknown_keys(("exercise", "dose"))
        exercise_id = step.text("exercise")
        exercise = exercises.get(exercise_id)
        if exercise is None:
            if exercise_id:
                step.fail("exercise", f"unknown exercise id {exercise_id!r}")
            f.ok = False
            continue
        if not exercise.narrated:
            step.fail("exercise", f"{exercise_id!r} is an activity, not a narrated exercise")
            f.ok = False
            continue
        dose = exercise.dose
        if "dose" in step.data:
            dose = _dose(step.data["dose"], problems, path, base=exercise.dose)
        f.ok = f.ok and step.ok
        steps.append(RoutineStep(exercise, dose))
    routine = Routine(
        id=f.text("id"),
        name=f.text("name"),
        intro=f.text("intro"),
        level=f.choice("level", LEVELS),
        steps=tuple(steps),
        path=path,
    )
    return (routine if f.ok else None), f.flag("default", False)


def _triage(data: Any, problems: _Problems, path: str) -> Triage | None:
    f = _Fields(data, problems, "triage", path)
    f.unknown_keys(
        ("welcome", "limits", "actions", "groups", "questions", "rules", "investigation_rule")
    )
    actions: dict[str, Action] = {}
    raw_actions = f.data.get("actions")
    if not isinstance(raw_actions, Located) or not raw_actions:
        f.fail("actions", "must be a mapping of action id to advice")
        raw_actions = Located()
    for action_id, raw in raw_actions.items():
        a = _Fields(raw, problems, f"actions.{action_id}", path)
        a.unknown_keys(("advice", "ends_session", "severity"))
        actions[action_id] = Action(
            action_id,
            a.text("advice"),
            a.flag("ends_session", True),
            int(a.number("severity", 0, 0, 100)),
        )
        f.ok = f.ok and a.ok
    groups: list[Group] = []
    for raw in f.data.get("groups") or []:
        g = _Fields(raw, problems, "group", path)
        g.unknown_keys(("id", "name", "every_session", "unclear_action", "ask_all", "confirm"))
        group = Group(
            g.text("id"),
            g.text("name"),
            g.flag("every_session", False),
            g.choice("unclear_action", ["as_yes", *actions]) if actions else "",
            ask_all=g.flag("ask_all", False),
            confirm=g.flag("confirm", True),
        )
        groups.append(group)
        f.ok = f.ok and g.ok
    if not groups:
        f.fail("groups", "must list at least one question group")
    group_ids = [g.id for g in groups]
    questions: list[Question] = []
    seen: set[str] = set()
    for raw in f.data.get("questions") or []:
        q = _Fields(raw, problems, "question", path)
        q.unknown_keys(
            ("id", "group", "text", "flag_if", "action", "sources", "references", "note",
             "drops", "swaps", "followup", "followup_action", "followup_flag_if", "advice",
             "only_if", "unless", "adds", "keep_only", "max_level")
        )
        swaps_raw = q.data.get("swaps") or {}
        if not isinstance(swaps_raw, dict):
            q.fail("swaps", "must map an exercise id to its replacement id")
            swaps_raw = {}
        question = Question(
            id=q.text("id"),
            group=q.choice("group", group_ids) if group_ids else "",
            text=q.text("text"),
            flag_if=Answer(q.choice("flag_if", ("yes", "no"), "yes")),
            action=q.choice("action", actions) if actions else "",
            sources=q.texts("sources"),
            references=q.texts("references"),
            note=q.text("note", "") if q.data.get("note") else "",
            drops=q.texts("drops"),
            swaps=tuple((str(k), str(v)) for k, v in swaps_raw.items()),
            followup=q.text("followup") if "followup" in q.data else "",
            followup_action=(
                q.choice("followup_action", actions) if "followup" in q.data and actions else ""
            ),
            followup_flag_if=Answer(q.choice("followup_flag_if", ("yes", "no"), "yes")),
            advice=q.text("advice") if "advice" in q.data else "",
            only_if=q.text("only_if") if "only_if" in q.data else "",
            unless=q.text("unless") if "unless" in q.data else "",
            adds=q.texts("adds"),
            keep_only=q.texts("keep_only"),
            max_level=q.choice("max_level", LEVELS) if "max_level" in q.data else "",
        )
        for key in ("only_if", "unless"):
            other = getattr(question, key)
            if other and other not in seen:
                q.fail(key, f"must name an earlier question, not {other!r}")
        if not question.sources and not question.references:
            q.fail("sources", "name the seed file(s) or, if none, the references")
        if question.id in seen:
            q.fail("id", f"duplicated question id {question.id!r}")
        seen.add(question.id)
        if not question.text.endswith("?"):
            q.fail("text", "a question must end with a question mark")
        questions.append(question)
        f.ok = f.ok and q.ok
    if not questions:
        f.fail("questions", "must list at least one question")
    rules: list[Rule] = []
    for raw in f.data.get("rules") or []:
        r = _Fields(raw, problems, "rule", path)
        r.unknown_keys(("id", "text", "action", "all", "any", "others", "others_in", "exclude",
                        "sources", "references", "explain"))
        rule = Rule(
            id=r.text("id"),
            text=r.text("text"),
            action=r.choice("action", actions) if actions else "",
            all=r.texts("all"),
            any=r.texts("any"),
            others=int(r.number("others", 0, 0, 10)),
            others_in=r.texts("others_in"),
            exclude=r.texts("exclude"),
            sources=r.texts("sources"),
            references=r.texts("references"),
            explain=r.flag("explain", False),
        )
        for named in (*rule.all, *rule.any, *rule.exclude):
            if named not in seen:
                r.fail("all", f"unknown question id {named!r}")
        for group_id in rule.others_in:
            if group_id not in group_ids:
                r.fail("others_in", f"unknown group {group_id!r}")
        if not rule.all and not rule.any:
            r.fail("all", "a rule needs `all` or `any`")
        rules.append(rule)
        f.ok = f.ok and r.ok
    triage = Triage(
        welcome=f.text("welcome"),
        limits=f.text("limits"),
        actions=actions,
        groups=tuple(groups),
        questions=tuple(questions),
        rules=tuple(rules),
        investigation_rule=(
            f.text("investigation_rule") if "investigation_rule" in f.data else ""
        ),
    )
    return triage if f.ok else None


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
    problems = _Problems()
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
            exercise = _exercise(raw, problems, str(path))
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
            triage = _triage(data["triage"], problems, str(path))
            if triage is not None:
                _check_triage_refs(triage, data["triage"], exercises, known_seeds, problems)
    if triage is None and not any("triage" in d for _p, d in documents):
        problems.add(None, "triage", "no triage section found", str(dirs[0]))

    routines: dict[str, Routine] = {}
    default_routine = ""
    for path, data in documents:
        for raw in _list(data, "routines", problems):
            routine, is_default = _routine(raw, problems, str(path), exercises)
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


def _list(data: Located, key: str, problems: _Problems) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(data, key, "must be a list")
        return []
    return value


def _check_triage_refs(
    triage: Triage,
    raw: Located,
    exercises: dict[str, Exercise],
    known_seeds: set[str],
    problems: _Problems,
) -> None:
    by_id = {q.get("id"): q for q in raw.get("questions") or [] if isinstance(q, Located)}
    for question in triage.questions:
        where = by_id.get(question.id)
        for source in question.sources:
            if source not in known_seeds:
                problems.add(where, "sources", f"{source!r} is not one of the seed files")
        named = (*question.drops, *question.adds, *question.keep_only,
                 *(x for pair in question.swaps for x in pair))
        for exercise_id in named:
            if exercise_id not in exercises:
                problems.add(where, "drops", f"unknown exercise id {exercise_id!r}")


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
