"""A normal (non-editable) install finds its routines from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.shared import ROOT


@pytest.mark.slow
def test_wheel_ships_the_routines_and_runs_from_elsewhere(tmp_path: Path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("voicecoach-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("voicecoach/routines/")}
    in_checkout = {p.name for p in (ROOT / "routines").glob("*.yaml")}
    assert in_checkout and in_checkout <= shipped
    # the wheel holds the package as it is now, nothing left from an older build folder
    modules = {n for n in names if n.startswith("voicecoach/") and n.endswith(".py")}
    here = {str(p.relative_to(ROOT)) for p in (ROOT / "voicecoach").rglob("*.py")}
    here |= {f"voicecoach/routines/{p.name}" for p in (ROOT / "routines").glob("*.py")}
    assert modules == here
    # the licence and the third-party notices travel with it
    licences = {Path(n).name for n in names if ".dist-info/licenses/" in n}
    assert {"LICENSE", "NOTICE"} <= licences, names

    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    run = subprocess.run(
        [sys.executable, "-c",
         "import voicecoach, sys; print(voicecoach.__file__); "
         "from voicecoach.cli import main; sys.argv=['voicecoach','routines','list']; main()"],
        capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    first_line, listing = run.stdout.split("\n", 1)
    assert first_line.startswith(str(site))
    assert "beginner_back_hip (default)" in listing
    # the word check's weights are in the wheel and load from it, without onnxruntime (an
    # import of it fails here), and the ONNX files they were taken from stay out of the wheel
    assert not [n for n in names if n.endswith(".onnx")], names
    check = subprocess.run(
        [sys.executable, "-c",
         "import sys; sys.modules['onnxruntime'] = None; "
         "from voicecoach.hearing.word_check import shared_check; c = shared_check(); "
         "print(c.verdict(bytes(32000)).word if c else 'unavailable')"],
        capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120,
    )
    assert check.returncode == 0 and check.stdout.strip() in load_words(), check.stderr


def load_words() -> tuple[str, ...]:
    from voicecoach.hearing.word_check import load_classifier

    return load_classifier().words
