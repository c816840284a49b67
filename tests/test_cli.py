"""The command line, end to end in text mode: invoke, then check the exact output and code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.shared import ROOT, clear_answers, content, have
from voicecoach.cli.main import cli
from voicecoach.errors import ExitCode

needs_espeak = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")

C = content()
CLEAR = "\n".join(clear_answers()) + "\n"


def invoke(args: list[str], stdin: str = ""):
    return CliRunner().invoke(cli, args, input=stdin)


def test_whole_session_in_text_mode_with_piped_answers():
    result = invoke(["start", "--text", "--time-scale", "0.001"], CLEAR + "3\n2\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(C.triage.welcome + "\n" + C.triage.limits + "\n")
    assert "Exercise seven of seven." in out
    assert "Hold for thirty seconds." in out
    assert "Take ten slow, deep breaths." in out
    assert "Now the other side." in out or "Roll over and work the other leg" in out
    assert out.rstrip().endswith("Session finished. Exercises done: 7.")
    assert "Traceback" not in out


def test_red_flag_in_text_mode_stops_before_any_exercise():
    result = invoke(["start", "--text"], "no\nyes\nyes\nyes\n")
    assert result.exit_code == 0
    assert "You said yes to: Do you have numbness" in result.output
    assert "Call your emergency number" in result.output
    assert "Exercise one" not in result.output
    assert "Session ended after the safety questions. Exercises done: 0." in result.output


def test_end_of_input_stops_cleanly_with_a_message():
    result = invoke(["start", "--text"], "no\nyes\nno\n")
    assert result.exit_code == ExitCode.INPUT_ENDED
    assert "Input ended before the session finished" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_routine():
    result = invoke(["start", "--text", "--routine", "marathon"])
    assert result.exit_code == ExitCode.CONTENT
    assert "unknown routine 'marathon'; available routines:" in result.output


def test_broken_user_routine_names_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("routines:\n  - id: quick\n    level: beginner\n    intro: Hi.\n"
                   "    steps: [no_such_move]\n")
    result = invoke(["routines", "list", "--routines-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.CONTENT
    assert f"{bad}:2: name: missing" in result.output
    assert f"{bad}:5: exercise: unknown exercise id 'no_such_move'" in result.output
    assert "Traceback" not in result.output


def test_routines_list_and_show():
    listing = invoke(["routines", "list"])
    assert listing.exit_code == 0
    assert "beginner_back_hip (default): Beginner back and hip routine." in listing.output
    shown = invoke(["routines", "show", "beginner_back_hip"])
    assert shown.exit_code == 0
    assert "1. Pelvic tilt (supine" in shown.output
    assert "Dose: hold 10 s, 10-20 reps." in shown.output
    assert "Sources: 004_ac600ebd700da115.txt" in shown.output


def test_listings_as_json():
    import json

    listed = json.loads(invoke(["routines", "list", "--json"]).output)
    first = next(r for r in listed if r["id"] == "beginner_back_hip")
    assert first["default"] is True and first["exercises"] == 7 and first["minutes"] > 5
    shown = json.loads(invoke(["routines", "show", "desk_break", "--json"]).output)
    assert [s["exercise"] for s in shown["steps"]] == [e["id"] for e in shown["exercises"]]
    assert all(e["sources"] for e in shown["exercises"])  # every exercise names its seed
    unknown = invoke(["routines", "show", "nosuch", "--json"])
    assert unknown.exit_code == 3 and "unknown routine" in unknown.output


@needs_espeak
def test_voices_are_listed_with_their_language_and_filtered():
    import json

    english = invoke(["voices", "english"])
    assert english.exit_code == 0 and "English (Great Britain)" in english.output
    assert all("english" in line.lower() for line in english.output.splitlines())
    data = json.loads(invoke(["voices", "en-gb", "--json"]).output)
    assert data and all("en-gb" in v["id"] or "en-gb" in v["name"].lower() for v in data)
    assert "No voice matches" in invoke(["voices", "no-such-language"]).output


@needs_espeak
def test_a_process_that_used_the_voice_ends_without_pyttsx3_complaining():
    """pyttsx3's own clean-up ran during interpreter shutdown in a test run that had listed
    the voices, and printed "Exception ignored in DriverProxy.__del__" at its very end."""
    name = "test_voices_are_listed_with_their_language_and_filtered"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             f"tests/test_cli.py::{name}"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "Exception ignored" not in result.stdout + result.stderr


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = invoke([*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_console_script_runs_as_a_subprocess_with_no_stdin():
    exe = shutil.which("voicecoach") or ""
    cmd = [exe] if exe else [sys.executable, "-m", "voicecoach"]
    result = subprocess.run([*cmd, "start", "--text"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == ExitCode.INPUT_ENDED
    assert "Input ended before the session finished" in result.stdout
    assert "Traceback" not in result.stderr


def test_routines_validate_reports_each_problem_with_file_and_line(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("routines:\n  - id: mine\n    name: Mine\n    level: beginner\n"
                    "    intro: Mine.\n    steps: [childs_pose]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("routines:\n  - id: x\n    name: X\n    level: hard\n    intro: Hi.\n"
                   "    steps: [frog]\n")
    result = invoke(["routines", "validate", str(good), str(bad)])
    assert result.exit_code == ExitCode.CONTENT
    assert f"{good}: ok" in result.output
    assert f"{bad}:6: exercise: unknown exercise id 'frog'" in result.output
    assert f"{bad}:4: level: 'hard'; must be one of: beginner, intermediate, advanced" in (
        result.output)


def test_content_json_lists_everything():
    import json

    result = invoke(["content", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["exercises"]) == len(C.exercises)
    assert {r["id"] for r in data["routines"]} == set(C.routines)
    a1 = next(q for q in data["triage"]["questions"] if q["id"] == "A1")
    assert a1["action"] == "emergency" and a1["sources"]
    triage = data["triage"]  # the whole safety logic, for a clinician's review
    a11 = next(q for q in triage["questions"] if q["id"] == "A11")
    assert a11["followup_action"] == "emergency" and a11["lifetime"] is True
    assert next(g for g in triage["groups"] if g["id"] == "A")["unclear_action"] == "urgent_today"
    assert next(r for r in triage["rules"] if r["id"] == "A15")["any"] == ["B1-1", "B1-2"]
    c4 = next(q for q in triage["questions"] if q["id"] == "C4")
    assert c4["avoid_positions"] == ["kneeling", "all-fours"] and c4["advice"]
    assert triage["in_session"]["warning_signs"]["numb"][0] == "A1"
    assert triage["investigation_rule"] and len(triage["project_choices"]) >= 5


def test_the_checked_in_safety_summary_is_the_one_the_content_makes():
    from tests.shared import ROOT

    result = invoke(["content", "--triage-summary"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "docs" / "safety.md").read_text(encoding="utf-8"), (
        "docs/safety.md is out of date: voicecoach content --triage-summary > docs/safety.md")
    for question in C.triage.questions:
        assert f"| {question.id} | {question.text} |" in result.output
    assert invoke(["content"]).output == result.output  # the readable summary is the default


@pytest.mark.parametrize("routine", sorted(C.routines))
def test_each_routine_runs_end_to_end_in_text_mode(routine):
    result = invoke(["start", "--text", "--time-scale", "0.0005", "--routine", routine],
                    CLEAR + "2\n2\n")
    assert result.exit_code == 0, result.output
    steps = len(C.routines[routine].steps)
    assert f"Session finished. Exercises done: {steps}." in result.output


def test_transcript_logs_every_line_with_session_times(tmp_path):
    import json

    log = tmp_path / "session.jsonl"
    scale = 0.002
    result = invoke(["start", "--text", "--time-scale", str(scale), "--transcript", str(log)],
                    CLEAR + "3\n2\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {line["kind"] for line in lines} == {"say", "ask", "heard", "event"}
    assert lines[0] == {"t": lines[0]["t"], "kind": "event",
                        "text": "session started: routine beginner_back_hip"}
    assert lines[-1]["text"] == "session ended: finished"
    times = [line["t"] for line in lines]
    assert times == sorted(times)  # monotonic
    heard = [line for line in lines if line["kind"] == "heard"]
    assert [h["value"] for h in heard[-2:]] == ["3", "2"]
    # each hold's end is logged its planned length after its start, in session seconds
    starts = [line for line in lines if line["text"].endswith(" starts")]
    ends = [line for line in lines if line["text"].endswith(" ends")]
    assert len(starts) == len(ends) > 10
    for begin, end in zip(starts, ends, strict=True):
        # 5 session seconds is 10 ms of real time at this scale: scheduler jitter on a busy
        # 2-core machine, not drift (hold timing at scale 1 is in scripts/bench_handsfree.py)
        assert abs((end["t"] - begin["t"]) - begin["seconds"]) < 5
    # everything the console showed as the coach's words is in the transcript too
    spoken = {line["text"] for line in lines if line["kind"] in ("say", "ask")}
    assert C.triage.welcome in spoken


def test_transcript_in_a_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    result = invoke(["start", "--text", "--transcript", str(tmp_path / "no" / "t.jsonl")], "")
    assert result.exit_code == 1
    assert "cannot write the transcript" in result.output and "Traceback" not in result.output


def test_typed_commands_mid_routine_in_text_mode(tmp_path):
    import json

    log = tmp_path / "t.jsonl"
    typed = "3\npause\ncontinue\nrepeat\nhow long\nskip\nhelp\n2\n"
    result = invoke(["start", "--text", "--time-scale", "0.002", "--routine", "desk_break",
                     "--transcript", str(log)], CLEAR + typed)
    assert result.exit_code == 0, result.output
    out = result.output
    first = C.routines["desk_break"].steps[0].exercise
    for line in ("> pause", "Paused. Say continue when you are ready, or stop to finish.",
                 "> skip", f"Skipping {first.name}.", "> help"):
        assert line in out
    assert out.rstrip().endswith("Session finished. Exercises done: 2. Skipped: 1.")
    heard = [json.loads(x) for x in log.read_text().splitlines()]
    values = [h["value"] for h in heard if h["kind"] == "heard" and "during" in h]
    assert values == ["pause", "resume", "repeat", "time_left", "skip", "help"]
    assert [h["value"] for h in heard if h["kind"] == "heard"][-1] == "2"


def test_typed_it_hurts_then_sharp_pain_leaves_the_exercise_out():
    typed = "3\nit hurts\nno\nyes\n2\n"
    result = invoke(["start", "--text", "--time-scale", "0.002", "--routine", "desk_break"],
                    CLEAR + typed)
    assert result.exit_code == 0, result.output
    assert "Is the pain sharp or severe?" in result.output
    assert result.output.rstrip().endswith(
        "Session finished. Exercises done: 2. Stopped for pain: 1.")


def test_typed_stop_mid_routine_ends_with_a_goodbye():
    result = invoke(["start", "--text", "--time-scale", "0.002", "--routine", "desk_break"],
                    CLEAR + "3\nq\n")
    assert result.exit_code == 0, result.output
    assert "Stopping now, as you asked. Goodbye." in result.output
    assert result.output.rstrip().endswith("Session stopped at your request. Exercises done: 0.")
