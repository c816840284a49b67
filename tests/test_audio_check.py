"""check-audio: the measuring and the advice (pure), and the command with no devices at all.

On the virtual audio devices it is tested in test_virtual_audio.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from array import array
from pathlib import Path

import pytest

from tests.shared import SPEECH
from voicecoach.audio.wav import Clip, read_wav, tone
from voicecoach.coach.audio_check import Levels, analyse, diagnose, portaudio_problem
from voicecoach.testing.room import to_16k


def voice_like(seconds: float = 1.0, gain: float = 1.0) -> Clip:
    clip = Clip(to_16k(tone((300.0, 500.0), seconds / 2)).tobytes(), 16000)
    return clip.scaled(gain) if gain < 1 else clip


def test_levels_of_silence_and_of_a_voice() -> None:
    quiet = analyse(Clip(bytes(32000), 16000))
    assert not quiet.speech and quiet.peak_dbfs == -90.3 and quiet.clipped_share == 0
    loud = analyse(Clip(bytes(16000) + voice_like().pcm, 16000))
    assert loud.speech and loud.peak_dbfs > -20 and loud.floor_dbfs == -90.3


def test_clipping_is_measured() -> None:
    square = array("h", [32767, -32768] * 8000).tobytes()
    assert analyse(Clip(square, 16000)).clipped_share == 1.0


def test_advice_for_each_kind_of_recording() -> None:
    good = Levels(3.0, -12.0, -70.0, 0.0, True)
    assert diagnose(good, "yes", "yes") == []
    assert "silence" in diagnose(Levels(3.0, -80.0, -85.0, 0.0, False), None, "")[0].what
    clipped = diagnose(Levels(3.0, -0.1, -70.0, 0.05, True), "yes", "yes")
    assert [p.what for p in clipped] == ["the sound was clipped (5.0% of samples at full scale)"]
    noisy = diagnose(Levels(3.0, -20.0, -25.0, 0.0, True), "yes", "yeah")
    assert "loud" in noisy[0].what
    misheard = diagnose(good, None, "up")
    assert misheard[0].what == 'I heard "up", not "yes"'
    assert diagnose(good, "no", "no")[0].what == 'I heard "no", not "yes"'


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_an_8_khz_microphone_is_told_apart_on_real_recordings() -> None:
    """A spoken digit recorded at 8 kHz (stored at 16) against the same digit recorded at 16."""
    def levels(name: str) -> Levels:
        clip = read_wav((SPEECH / name).read_bytes())
        return analyse(Clip(to_16k(clip).tobytes(), 16000))

    narrow = levels("six/fsdd_6_george_15.wav")
    wide = levels("six/scv1vinsis_51055bda_nohash_4.wav")
    assert narrow.high_band_db < -50 < wide.high_band_db, (narrow, wide)
    told = [p.what for p in diagnose(narrow, "yes", "yes")]
    assert len(told) == 1 and "nothing above 4 kHz" in told[0]
    assert diagnose(wide, "yes", "yes") == []


def test_portaudio_errors_in_plain_words() -> None:
    assert "audio group" in portaudio_problem(OSError(13, "Permission denied")).fix
    assert "busy" in portaudio_problem(OSError(-9985, "Device unavailable")).what
    assert "16 kHz" in portaudio_problem(ValueError("Invalid sample rate")).what
    assert "arecord -l" in portaudio_problem(OSError("something else")).fix


def has_sound_card() -> bool:
    return Path("/proc/asound/cards").exists() and "no soundcards" not in \
        Path("/proc/asound/cards").read_text()


@pytest.mark.skipif(has_sound_card(), reason="this machine has a sound card")
def test_check_audio_with_no_devices_says_what_to_fix(tmp_path: Path) -> None:
    """No sound card, no sound server: every problem is reported, exit 1, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE")}
    env |= {"VOICECOACH_PLAYER": "aplay -q", "PULSE_SERVER": "unix:/nonexistent"}
    result = subprocess.run([sys.executable, "-m", "voicecoach", "check-audio", "--json",
                             "--seconds", "1"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    what = [p["what"] for p in report["problems"]]
    assert any(w.startswith("no sound could be played") for w in what), what
    assert "no microphone was found" in what
    assert report["devices"] == [] and not report["spoke"]
