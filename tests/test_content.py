"""Loading and validating content: every failure names the file, the line and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.shared import SEEDS
from voicecoach.content.loader import builtin_routines_dir, find_routine, load_content
from voicecoach.content.yamlio import load_yaml
from voicecoach.errors import ContentError, UnknownRoutineError

BUILTIN = builtin_routines_dir()


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "routines"
    shutil.copytree(BUILTIN, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems(builtin: Path) -> str:
    with pytest.raises(ContentError) as info:
        load_content(builtin_dir=builtin)
    return str(info.value)


def test_builtin_content_loads_with_the_default_routine_and_group_a():
    content = load_content()
    routine = content.routines[content.default_routine]
    assert len(routine.steps) >= 5
    assert sum(q.group == "A" for q in content.triage.questions) >= 15
    assert all(q.text.endswith("?") for q in content.triage.questions)


def test_yes_and_no_stay_words_not_booleans(tmp_path: Path):
    f = tmp_path / "x.yaml"
    f.write_text("a: yes\nb: no\nc: on\nd: true\n")
    assert load_yaml(f) == {"a": "yes", "b": "no", "c": "on", "d": True}


def test_every_source_is_a_real_seed_file():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent: cannot check seed file names")
    content = load_content()
    named = {s for e in content.exercises.values() for s in e.sources}
    named |= {s for q in content.triage.questions for s in q.sources}
    assert named <= {p.name for p in SEEDS.iterdir()}


def test_broken_yaml_names_file_and_line(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "    level: beginner\n", "    level: [beginner\n")
    message = problems(content_dir)
    assert "exercises.yaml:" in message and "not valid YAML" in message


def test_missing_field_names_file_line_and_field(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "    name: Pelvic tilt\n", "")
    message = problems(content_dir)
    assert "exercises.yaml:" in message
    assert ": name: missing" in message


def test_bad_level_lists_the_valid_ones(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "    level: beginner\n", "    level: expert\n")
    assert "level: 'expert'; must be one of: beginner, intermediate, advanced" in problems(
        content_dir
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("dose: {hold: 30}", "dose: {hold: -5}", "hold: must be positive"),
        ("dose: {hold: 30}", "dose: {hold: 900}", "hold: 900 is not plausible"),
        ("dose: {hold: 30}", "dose: {hold: [30, 20]}", "runs backwards"),
        ("dose: {hold: 30}", "dose: {hold: thirty}", "hold: must be a number"),
        ("dose: {hold: 30}", "dose: {}", "needs at least one of hold, breaths or reps"),
        ("dose: {hold: 30}", "dose: {hold: 30, holdd: 3}", "holdd: unknown field"),
    ],
)
def test_implausible_doses_are_rejected(content_dir: Path, old, new, expected):
    replace_in(content_dir / "exercises.yaml", old, new)
    message = problems(content_dir)
    assert expected in message
    assert "exercises.yaml:" in message


def test_unknown_exercise_in_a_routine(content_dir: Path):
    replace_in(content_dir / "beginner.yaml", "      - childs_pose\n", "      - child_pose\n")
    message = problems(content_dir)
    assert "beginner.yaml:" in message and "unknown exercise id 'child_pose'" in message


def test_duplicated_exercise_id(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "  - id: childs_pose\n", "  - id: pelvic_tilt\n")
    assert "duplicated exercise id 'pelvic_tilt'" in problems(content_dir)


def test_duplicated_key(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "    level: beginner\n",
               "    level: beginner\n    level: advanced\n")
    assert "level: duplicated key" in problems(content_dir)


def test_unknown_seed_file(content_dir: Path):
    replace_in(content_dir / "exercises.yaml", "sources: [004_ac600ebd700da115.txt]",
               "sources: [999_nothing.txt]")
    assert "'999_nothing.txt' is not one of the seed files" in problems(content_dir)


def test_question_needs_a_source_and_a_question_mark(content_dir: Path):
    replace_in(content_dir / "triage.yaml", "      text: Are you under sixteen?\n",
               "      text: You are under sixteen.\n")
    replace_in(content_dir / "triage.yaml",
               "      references: [NICE NG59 covers people aged 16 and over]\n", "")
    message = problems(content_dir)
    assert "text: a question must end with a question mark" in message
    assert "sources: name the seed file(s)" in message


def test_missing_triage_file(content_dir: Path):
    (content_dir / "triage.yaml").unlink()
    assert "triage: no triage section found" in problems(content_dir)


def test_missing_routines_folder(tmp_path: Path):
    with pytest.raises(ContentError, match="routines folder: not found"):
        load_content([tmp_path / "nowhere"])


def test_user_routine_reuses_builtin_exercises(tmp_path: Path):
    (tmp_path / "mine.yaml").write_text(
        "routines:\n  - id: quick\n    name: Quick\n    level: beginner\n"
        "    intro: A quick one.\n    steps: [childs_pose, pelvic_tilt]\n"
    )
    content = load_content([tmp_path])
    assert [s.exercise.id for s in find_routine(content, "quick").steps] == [
        "childs_pose", "pelvic_tilt"]


def test_unknown_routine_lists_the_available_ones():
    with pytest.raises(UnknownRoutineError, match=r"available routines: .*beginner_back_hip"):
        find_routine(load_content(), "marathon")
