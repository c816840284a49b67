"""Bad input gets one clear line that says what and where, the documented exit code, and never
a traceback: broken and hostile routine files, odd WAV files, odd flags."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicecoach.cli.main import cli
from voicecoach.errors import ExitCode

GOOD_ROUTINE = """\
routines:
  - id: mine
    name: Mine
    intro: My own routine.
    level: beginner
    steps:
      - exercise: pelvic_tilt
        dose: {DOSE}
"""


def validate(tmp_path: Path, text: str, name: str = "mine.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["routines", "validate", str(path)])
    return result, time.perf_counter() - started


def assert_clear(result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    for word in words:
        assert word in result.output, result.output


@pytest.mark.parametrize(("dose", "words"), [
    ("{hold: .nan}", ["hold", "finite"]),
    ("{hold: .inf}", ["hold", "finite"]),
    ("{reps: 2.7}", ["reps", "whole number"]),
    ("{reps: 10, sets: 1.2}", ["sets", "whole number"]),
    ("{hold: 10, tempo: .nan}", ["tempo"]),
])
def test_impossible_doses_are_refused_where_they_stand(tmp_path, dose, words):
    result, _ = validate(tmp_path, GOOD_ROUTINE.replace("{DOSE}", dose))
    assert_clear(result, ExitCode.CONTENT, "mine.yaml:8:", *words)


def test_a_good_dose_passes(tmp_path):
    result, _ = validate(tmp_path, GOOD_ROUTINE.replace("{DOSE}", "{reps: 8}"))
    assert result.exit_code == 0 and result.output.strip().endswith(": ok")


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in pairs]
    # refused when the first alias is read, before anything is expanded (it took 111 s and
    # 3 GB when aliases were followed); the message shows which check caught it
    result, _ = validate(tmp_path, "\n".join(lines) + "\nname: *i\n")
    assert_clear(result, ExitCode.CONTENT, "mine.yaml:2:", "aliases")


def test_deep_nesting_and_a_list_used_as_a_key_are_clear_errors(tmp_path):
    result, _ = validate(tmp_path, "routines: " + "[" * 20000 + "]" * 20000 + "\n")
    assert_clear(result, ExitCode.CONTENT, "mine.yaml:1:", "nested")
    result, _ = validate(tmp_path, "routines:\n  ? [a, b]\n  : 1\n")
    assert_clear(result, ExitCode.CONTENT, "mine.yaml:2:", "key must be")


def test_oversized_files_and_routines_are_refused(tmp_path):
    steps = "".join("      - pelvic_tilt\n" for _ in range(61))
    text = GOOD_ROUTINE.replace("      - exercise: pelvic_tilt\n        dose: {DOSE}\n", steps)
    result, _ = validate(tmp_path, text)
    assert_clear(result, ExitCode.CONTENT, "steps", "at most 60")
    result, _ = validate(tmp_path, "# padding\n" * 110_000)
    assert_clear(result, ExitCode.CONTENT, "too large")
    result, _ = validate(tmp_path, "routines:\n")
    assert_clear(result, ExitCode.CONTENT, "routines", "non-empty list")


FUZZ_CASES = 60  # seeded random cases per fuzz test


def test_the_yaml_loader_survives_random_and_truncated_input(tmp_path):
    """A bounded fuzz: random bytes, and the shipped triage file cut at random places (a fixed
    number of seeded cases, so the test does the same work however busy the machine is)."""
    rng = random.Random(12)
    source = (Path(__file__).resolve().parent.parent / "routines" / "triage.yaml").read_text()
    for cases in range(FUZZ_CASES):
        if cases % 2:
            text = source[: rng.randrange(len(source))]
        else:
            text = "".join(rng.choice("ab:-[]{}&*!|>'\"\n #?,0.") for _ in range(200))
        result, _ = validate(tmp_path, text)
        assert result.exit_code in (0, ExitCode.CONTENT), (text, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            text, result.exception)


def test_the_wav_reader_survives_random_damaged_and_truncated_files(tmp_path):
    """A bounded fuzz of `hear`: a real WAV header with random bytes changed, cut short, or
    given odd formats, rates, channel counts and chunk sizes; each is heard or refused in one
    line, never a traceback or a hang."""
    import struct

    from voicecoach.audio.wav import Clip

    rng = random.Random(7)
    good = Clip(bytes(rng.randrange(256) for _ in range(16000)), 16000).to_wav()
    outcomes = set()
    for cases in range(FUZZ_CASES):
        data = bytearray(good)
        kind = cases % 4
        if kind == 0:  # random bytes changed in the header
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(44)] = rng.randrange(256)
        elif kind == 1:  # cut short anywhere
            data = data[:rng.randrange(len(data))]
        elif kind == 2:  # a header field set to an odd value
            offset, form = rng.choice([(20, "<H"), (22, "<H"), (24, "<I"), (34, "<H"),
                                       (40, "<I"), (4, "<I"), (16, "<I")])
            limit = 1 << (8 * struct.calcsize(form))
            value = rng.choice([0, 1, 3, 7, 255, limit - 1, rng.randrange(limit)])
            data[offset:offset + struct.calcsize(form)] = struct.pack(form, value)
        else:  # random bytes after a plausible start
            data = data[:12] + bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        path = tmp_path / f"case{cases % 8}.wav"
        path.write_bytes(bytes(data))
        result = CliRunner().invoke(cli, ["hear", str(path), "--json"])
        assert result.exit_code in (0, ExitCode.ERROR), (bytes(data[:48]), result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            bytes(data[:48]), result.exception)
        outcomes.add(result.exit_code)
    assert outcomes == {0, ExitCode.ERROR}


def _rate_zero_wav(path: Path) -> Path:
    import struct

    body = bytes(3200)
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVEfmt "
                     + struct.pack("<IHHIIHH", 16, 1, 1, 0, 0, 2, 16)
                     + b"data" + struct.pack("<I", len(body)) + body)
    return path


def test_a_wav_with_a_sample_rate_of_zero_is_named_not_divided_by(tmp_path):
    bad = _rate_zero_wav(tmp_path / "zero.wav")
    result = CliRunner().invoke(cli, ["hear", str(bad)])
    assert_clear(result, ExitCode.ERROR, "zero.wav", "sample rate of 0 Hz")
    result = CliRunner().invoke(cli, ["start", "--text", "--answers", str(bad)], input="no\n")
    assert_clear(result, ExitCode.ERROR, "zero.wav", "sample rate of 0 Hz")
    assert "Hello" not in result.output  # refused before the session starts


def test_an_answer_file_that_is_not_audio_is_refused_before_the_session(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    result = CliRunner().invoke(cli, ["start", "--text", "--answers", str(text)], input="no\n")
    assert_clear(result, ExitCode.ERROR, "notes.wav", "not a readable WAV file")
    assert "Hello" not in result.output


@pytest.mark.parametrize(("args", "words"), [
    (["start", "--text", "--time-scale", "nan"], ["--time-scale", "nan"]),
    (["start", "--text", "--time-scale", "inf"], ["--time-scale"]),
    (["history", "--data-dir", ""], ["--data-dir", "empty folder name"]),
])
def test_odd_flags_are_refused_as_usage_errors(args, words):
    result = CliRunner().invoke(cli, args, input="")
    assert_clear(result, ExitCode.USAGE, *words)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_under_the_transcript_does_not_end_the_session():
    from tests.shared import clear_answers

    answers = "\n".join(clear_answers()) + "\n3\n2\n"
    result = CliRunner().invoke(cli, ["start", "--text", "--time-scale", "0.001", "--routine",
                                      "desk_break", "--transcript", "/dev/full"], input=answers)
    assert result.exit_code == 0, result.output
    assert "cannot write /dev/full (No space left on device)" in result.output
    assert result.output.count("cannot write /dev/full") == 1
    assert "Session finished" in result.output


def test_files_about_a_person_are_readable_by_them_alone(tmp_path):
    import os
    import stat

    from tests.shared import clear_answers

    answers = "\n".join(clear_answers()) + "\n3\n2\n"
    transcript = tmp_path / "t.jsonl"
    runner = CliRunner()
    runner.invoke(cli, ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break",
                        "--transcript", str(transcript)], input=answers)
    csv_path = tmp_path / "s.csv"
    csv_path.write_text("old")
    os.chmod(csv_path, 0o644)  # an existing file is made private too
    assert runner.invoke(cli, ["history", "--csv", str(csv_path)]).exit_code == 0
    plot = tmp_path / "p.png"
    assert runner.invoke(cli, ["history", "--plot", str(plot)]).exit_code == 0
    for path in (transcript, csv_path, plot):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_sessions_with_a_damaged_date_are_left_out_and_said_so(private_data_dir):
    import sqlite3

    from tests.shared import clear_answers
    from voicecoach.history.store import FILE_NAME

    answers = "\n".join(clear_answers()) + "\n3\n2\n"
    fast = ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break"]
    runner = CliRunner()
    runner.invoke(cli, fast, input=answers)
    with sqlite3.connect(private_data_dir / FILE_NAME) as con:
        con.execute("INSERT INTO sessions (started_at, routine, ended) VALUES (1e300, 'x', 'f')")
        con.execute("INSERT INTO sessions (started_at, routine, ended) VALUES ('soon', 'x', 'f')")
    for args in (["history"], ["history", "--json"], ["history", "--say", "--text"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and result.exception is None, (args, result.output)
        assert "2 sessions with a damaged date left out" in result.output
    again = runner.invoke(cli, fast, input="no\n" + answers)  # the closing sentence still comes
    assert again.exception is None or isinstance(again.exception, SystemExit), again.output


def test_csv_and_plot_together_write_both(tmp_path):
    from tests.shared import clear_answers

    runner = CliRunner()
    runner.invoke(cli, ["start", "--text", "--time-scale", "0.001", "--routine", "desk_break"],
                  input="\n".join(clear_answers()) + "\n3\n2\n")
    result = runner.invoke(cli, ["history", "--csv", str(tmp_path / "a.csv"), "--plot",
                                 str(tmp_path / "b.png")])
    assert result.exit_code == 0
    assert (tmp_path / "a.csv").exists() and (tmp_path / "b.png").exists()
    assert "Wrote 1 session to" in result.output and "Drew 1 session to" in result.output


def test_the_exit_codes_are_listed_in_the_help_as_the_code_has_them():
    result = CliRunner().invoke(cli, ["--help"])
    for code in ExitCode:
        assert f"  {int(code)} " in result.output or f"; {int(code)} " in result.output, code


def test_no_message_points_at_line_zero(tmp_path):
    for text in ("- a list, not a mapping\n", "routines:\n  - just a name\n",
                 "routines:\n  - 42\n", "exercises:\n  - id: x\n"):
        result, _ = validate(tmp_path, text)
        assert result.exit_code == ExitCode.CONTENT, result.output
        assert ":0:" not in result.output, result.output


def test_a_setting_that_would_break_the_settings_file_is_refused_and_the_file_kept(
        private_data_dir):
    import os

    runner = CliRunner()
    assert runner.invoke(cli, ["config", "set", "rate", "140"]).exit_code == 0
    path = Path(os.environ["VOICECOACH_CONFIG"])
    before = path.read_bytes()
    bad = runner.invoke(cli, ["config", "set", "voice", "en\nrate = 999"])
    assert_clear(bad, ExitCode.USAGE, "control characters")
    unknown = runner.invoke(cli, ["config", "set", "routine", "nosuch_routine"])
    assert_clear(unknown, ExitCode.CONTENT, "unknown routine 'nosuch_routine'", "desk_break")
    assert path.read_bytes() == before
    shown = runner.invoke(cli, ["config", "show"])
    assert shown.exit_code == 0 and "rate = 140" in shown.output  # the file still reads


@pytest.mark.parametrize("where", ["/dev/full", "/nonexistent/folder/speech.wav"])
def test_speech_that_cannot_be_written_to_a_file_is_one_clear_line(where):
    if where == "/dev/full" and not Path(where).exists():
        pytest.skip("no /dev/full here")
    result = CliRunner().invoke(cli, ["start", "--speak-to", where, "--time-scale", "0.01",
                                      "--no-history"], input="no\n")
    assert_clear(result, ExitCode.ERROR, f"cannot write {where}")


def test_one_bad_file_among_the_users_routines_leaves_out_that_file_alone(tmp_path,
                                                                         monkeypatch):
    folder = tmp_path / "config" / "voicecoach" / "routines"
    folder.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (folder / "good.yaml").write_text(GOOD_ROUTINE.replace("{DOSE}", "{reps: 8}"))
    (folder / "broken.yaml").write_text("routines: [\n")
    result = CliRunner().invoke(cli, ["routines", "list"])
    assert result.exit_code == 0, result.output
    assert "mine: Mine." in result.output and "beginner_back_hip" in result.output
    assert "broken.yaml" in result.output and "left out until it is fixed" in result.output
    assert "Traceback" not in result.output


def test_a_voice_that_does_not_exist_is_refused_when_set_and_when_served(private_data_dir):
    import os

    runner = CliRunner()
    bad = runner.invoke(cli, ["config", "set", "voice", "en-us"])
    assert_clear(bad, ExitCode.ERROR, "unknown voice 'en-us'", "gmw/en-us")
    assert not Path(os.environ["VOICECOACH_CONFIG"]).exists()
    assert runner.invoke(cli, ["config", "set", "voice", "gmw/en-us"]).exit_code == 0
    served = runner.invoke(cli, ["serve", "--voice", "nosuch", "--once"])
    assert_clear(served, ExitCode.ERROR, "unknown voice 'nosuch'")
