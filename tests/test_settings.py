"""Settings: file, then environment, then flags; clear messages for anything wrong."""

from __future__ import annotations

from click.testing import CliRunner

from tests.shared import clear_answers, content
from voicecoach.cli.main import cli

CLEAR = "\n".join(clear_answers()) + "\n"


def invoke(args, stdin="", env=None):
    return CliRunner().invoke(cli, args, input=stdin, env=env)


def test_show_lists_every_setting_with_its_source():
    result = invoke(["config", "show"])
    assert result.exit_code == 0
    assert "rate = 160  (default; speech rate in words per minute, 80 to 400)" in result.output
    for key in ("volume", "voice", "verbosity", "earcons", "mic_device", "routine"):
        assert f"\n{key} = " in result.output


def test_set_is_stored_and_the_environment_overrides_it(private_data_dir):
    assert invoke(["config", "set", "rate", "140"]).exit_code == 0
    assert 'rate = 140' in (private_data_dir / "config.toml").read_text()
    assert "rate = 140  (file;" in invoke(["config", "show"]).output
    shown = invoke(["config", "show"], env={"VOICECOACH_RATE": "200"}).output
    assert "rate = 200  (environment;" in shown
    assert invoke(["config", "reset"]).exit_code == 0
    assert "rate = 160  (default;" in invoke(["config", "show"]).output


def test_unknown_keys_and_bad_values_say_what_is_valid():
    unknown = invoke(["config", "set", "speed", "fast"])
    assert unknown.exit_code == 2
    assert "unknown setting 'speed'" in unknown.output and "verbosity: full" in unknown.output
    bad = invoke(["config", "set", "volume", "3"])
    assert bad.exit_code == 2 and "volume = '3': must be from 0.1 to 1.0" in bad.output
    word = invoke(["config", "set", "verbosity", "chatty"])
    assert "must be one of: full, brief" in word.output
    env = invoke(["config", "show"], env={"VOICECOACH_EARCONS": "maybe"})
    assert env.exit_code == 2 and "VOICECOACH_EARCONS: earcons = 'maybe'" in env.output


def test_a_broken_settings_file_is_named(private_data_dir):
    (private_data_dir / "config.toml").write_text("rate = = 3\n")
    result = invoke(["start", "--text"])
    assert result.exit_code == 2
    assert "config.toml: cannot read the settings" in result.output
    assert "Traceback" not in result.output


def test_a_session_uses_the_stored_routine_and_verbosity():
    invoke(["config", "set", "routine", "gentle_flare_up"])
    full = invoke(["start", "--text", "--time-scale", "0.01", "--no-history"], CLEAR + "3\n2\n")
    assert full.exit_code == 0, full.output
    assert "Exercise one of four." in full.output  # the flare-up routine has four
    invoke(["config", "set", "verbosity", "brief"])
    brief = invoke(["start", "--text", "--time-scale", "0.01", "--no-history"],
                   CLEAR + "3\n2\n")
    assert brief.exit_code == 0
    # Hold reminders go (counted: line totals vary with the cues dropped when late).
    routine = content().routines["gentle_flare_up"]
    reminders = {r for step in routine.steps for r in step.exercise.reminders}
    assert sum(full.output.count(r) for r in reminders) > 0
    assert sum(brief.output.count(r) for r in reminders) == 0


def test_the_microphone_asked_for_comes_before_the_stored_one() -> None:
    from voicecoach.settings import Settings

    assert Settings().microphone(None) is None  # -1: the system's default
    assert Settings(mic_device=3).microphone(None) == 3
    assert Settings(mic_device=3).microphone(0) == 0
