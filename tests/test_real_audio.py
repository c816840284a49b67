"""Real components on real audio: espeak-ng speech, the microphone path, pocketsphinx.

Questions are spoken by espeak-ng into a WAV file; answers are spoken by espeak-ng (or taken
from the human recordings in ../shared/speech) into WAV files and fed through the same
SpeechRecognition endpointing and pocketsphinx decoding that the microphone uses.
"""

from __future__ import annotations

import csv
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.shared import SPEECH, clear_answers, content, have
from voicecoach.audio.wav import silence
from voicecoach.cli.main import cli
from voicecoach.hearing.listeners import hear_wav, wav_files_listener

pytestmark = [
    pytest.mark.audio,
    pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed"),
]

QUESTIONS = content().triage.questions_for(first_session=True)

ONE_EXERCISE = """\
routines:
  - id: tiny
    name: Tiny
    level: beginner
    intro: One short stretch.
    steps:
      - exercise: childs_pose
        dose: {hold: 5}
"""


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> dict[str, Path]:
    """espeak-ng renderings of the answer words, as 22 kHz WAV files."""
    from voicecoach.audio.rendering import Pyttsx3Renderer

    folder = tmp_path_factory.mktemp("spoken")
    renderer = Pyttsx3Renderer(rate=160)
    files = {}
    for word in ("yes", "no", "three", "two"):
        path = folder / f"{word}.wav"
        path.write_bytes(renderer.render(word).to_wav())
        files[word] = path
    quiet = folder / "silence.wav"
    quiet.write_bytes(silence(1.5, 16000).to_wav())
    files["silence"] = quiet
    return files


def clear_spoken(spoken: dict[str, Path]) -> list[Path]:
    return [spoken[answer] for answer in clear_answers()]


def answer_args(paths: list[Path]) -> list[str]:
    return [arg for path in paths for arg in ("--answers", str(path))]


def run_cli(args: list[str]):
    return CliRunner().invoke(cli, ["start", "--time-scale", "0.001", *args])


def test_spoken_answers_through_the_microphone_path_finish_a_session(spoken, tmp_path):
    (tmp_path / "tiny.yaml").write_text(ONE_EXERCISE)
    speech = tmp_path / "coach.wav"
    answers = [*clear_spoken(spoken), spoken["three"], spoken["two"]]
    result = run_cli(["--routine", "tiny", "--routines-dir", str(tmp_path),
                      "--speak-to", str(speech), *answer_args(answers)])
    assert result.exit_code == 0, result.output
    assert "Thank you, three." in result.output and "Thank you, two." in result.output
    assert result.output.rstrip().endswith("Session finished. Exercises done: 1.")
    with wave.open(str(speech)) as w:
        seconds = w.getnframes() / w.getframerate()
    # every question, the welcome, limits and the exercise were spoken: well over a minute
    assert seconds > 60


def test_spoken_yes_to_a_red_flag_is_confirmed_and_ends_the_session(spoken, tmp_path):
    answers = [spoken["no"], spoken["yes"], spoken["yes"], spoken["yes"]]
    result = run_cli(["--speak-to", str(tmp_path / "coach.wav"),
                      *answer_args(answers)])
    assert result.exit_code == 0, result.output
    assert "You said yes to: Do you have numbness" in result.output
    assert "Call your emergency number" in result.output
    assert "Exercises done: 0." in result.output


def test_silence_is_never_taken_as_no(spoken, tmp_path):
    rest_of_a = sum(q.group == "A" for q in QUESTIONS) - 1  # every other sign is still asked
    answers = [spoken["no"], spoken["yes"], *[spoken["silence"]] * 3, *[spoken["no"]] * rest_of_a]
    result = run_cli(["--text", *answer_args(answers)])
    assert result.exit_code == 0, result.output
    assert "I could not hear your answer to: Do you have numbness" in result.output
    assert "Contact a doctor or an urgent advice line today" in result.output


def test_each_question_is_rendered_by_espeak_to_audible_speech(tmp_path):
    from voicecoach.audio.rendering import Pyttsx3Renderer
    from voicecoach.audio.speakers import WavFileSpeaker

    speaker = WavFileSpeaker(Pyttsx3Renderer(rate=160), tmp_path / "questions.wav")
    for question in QUESTIONS:
        speaker.say(question.text)
    speaker.close()
    for (start, end, text), question in zip(speaker.utterances, QUESTIONS, strict=True):
        words = len(question.text.split())
        assert text == question.text
        assert 0.15 * words < end - start < 1.0 * words, text  # plausible speaking time


def manifest_clips(word: str, limit: int) -> list[Path]:
    with open(SPEECH / "MANIFEST.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["word"] == word]
    return [SPEECH / r["path"] for r in sorted(rows, key=lambda r: r["path"])[:limit]]


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is absent")
def test_human_recordings_of_yes_and_no_are_heard_right():
    yes, no = manifest_clips("yes", 40), manifest_clips("no", 40)
    listener = wav_files_listener([*yes, *no])
    heard = [listener.listen("answer").value for _ in range(len(yes) + len(no))]
    yes_right = heard[: len(yes)].count("yes") / len(yes)
    no_right = heard[len(yes):].count("no") / len(no)
    # With rejection (tuning.py) these 80 clips measured 39/40 and 33/40, the rest rejected
    # (asked again); an answer heard as its opposite is what must never happen.
    assert yes_right >= 0.9 and no_right >= 0.75
    assert heard[: len(yes)].count("no") == 0 and heard[len(yes):].count("yes") == 0


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is absent")
def test_human_recordings_drive_a_session_to_the_emergency_advice():
    # A rejected clip is asked again, which would shift every later answer: take clips the
    # decoder hears (most do, see test_human_recordings_of_yes_and_no_are_heard_right).
    no = next(p for p in manifest_clips("no", 10) if hear_wav(p, "answer").value == "no")
    yes = [p for p in manifest_clips("yes", 10) if hear_wav(p, "answer").value == "yes"][:3]
    answers = [no, yes[0], yes[1], yes[2]]
    result = run_cli(["--text", *answer_args(answers)])
    assert result.exit_code == 0, result.output
    assert "Call your emergency number" in result.output
