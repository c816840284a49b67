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
    assert "rate = 160  # default; speech rate in words per minute, 80 to 400" in result.output
    for key in ("volume", "voice", "verbosity", "earcons", "mic_device", "routine"):
        assert f"\n{key} = " in result.output


def test_show_is_toml_and_json(private_data_dir):
    import json
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    invoke(["config", "set", "voice", "gmw/en-us"])
    shown = tomllib.loads(invoke(["config", "show"]).output)
    assert shown["voice"] == "gmw/en-us" and shown["earcons"] is True and shown["rate"] == 160
    data = json.loads(invoke(["config", "show", "--json"]).output)
    assert data["voice"] == {"value": "gmw/en-us", "source": "file",
                             "meaning": data["voice"]["meaning"]}
    assert data["rate"]["source"] == "default"


def test_set_is_stored_and_the_environment_overrides_it(private_data_dir):
    assert invoke(["config", "set", "rate", "140"]).exit_code == 0
    assert 'rate = 140' in (private_data_dir / "config.toml").read_text()
    assert "rate = 140  # file;" in invoke(["config", "show"]).output
    shown = invoke(["config", "show"], env={"VOICECOACH_RATE": "200"}).output
    assert "rate = 200  # environment;" in shown
    assert invoke(["config", "reset"]).exit_code == 0
    assert "rate = 160  # default;" in invoke(["config", "show"]).output


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


def test_a_broken_settings_file_is_named_with_the_fix_and_sessions_run_on_defaults(
        private_data_dir):
    path = private_data_dir / "config.toml"
    path.write_text("rate = 140\nvoice = = 3\n")
    session = invoke(["start", "--text", "--time-scale", "0.01", "--no-history"],
                     CLEAR + "3\n2\n")
    assert session.exit_code == 0, session.output
    assert "config.toml: cannot read the settings" in session.output
    assert "line 2" in session.output and "config reset" in session.output
    assert "some settings are at their defaults today" in session.output
    assert "Session finished" in session.output
    assert "Traceback" not in session.output
    refused = invoke(["config", "set", "volume", "0.5"])  # never written over a broken file
    assert refused.exit_code == 2 and "config reset" in refused.output
    assert path.read_text() == "rate = 140\nvoice = = 3\n"
    reset = invoke(["config", "reset"])
    assert reset.exit_code == 0 and "config.toml.old" in reset.output
    assert not path.exists()
    assert (private_data_dir / "config.toml.old").read_text() == "rate = 140\nvoice = = 3\n"
    assert "rate = 160  # default;" in invoke(["config", "show"]).output


def test_one_bad_value_in_the_settings_file_takes_its_default_and_keeps_the_rest(
        private_data_dir):
    (private_data_dir / "config.toml").write_text('rate = 999\nverbosity = "brief"\n')
    shown = invoke(["config", "show"])
    assert shown.exit_code == 2 and "rate = '999': must be from 80 to 400" in shown.output
    session = invoke(["start", "--text", "--time-scale", "0.01", "--no-history"],
                     CLEAR + "3\n2\n")
    assert session.exit_code == 0, session.output
    assert "rate = '999'" in session.output and "takes its default" in session.output
    assert "Session finished" in session.output


def test_a_stored_routine_that_is_gone_is_named_as_coming_from_the_settings(private_data_dir):
    (private_data_dir / "config.toml").write_text('routine = "deleted_one"\n')
    result = invoke(["start", "--text", "--no-history"], "no\n")
    assert result.exit_code != 0
    assert "unknown routine 'deleted_one'" in result.output
    assert "comes from your settings file" in result.output
    assert "config set routine" in result.output


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
