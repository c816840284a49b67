"""The layout stays readable: every room says what it holds, no module outgrows one job."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "voicecoach"
LONGEST = 340  # lines: "about 300", with room for a docstring or two


def test_every_subpackage_says_what_lives_there_and_what_it_may_import() -> None:
    rooms = [p for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name != "data"]
    assert {p.name for p in rooms} >= {"content", "session", "coach", "hearing", "audio",
                                       "history", "cli", "testing"}
    for room in rooms:
        doc = ast.get_docstring(ast.parse((room / "__init__.py").read_text())) or ""
        assert "Lives here" in doc, room.name
        assert "import" in doc.lower(), room.name


def test_no_module_is_longer_than_one_subject_needs() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > LONGEST}
    assert not long


def test_the_top_level_holds_the_rooms_and_a_handful_of_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "errors.py", "files.py", "settings.py"]
