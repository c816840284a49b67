"""Hearing: the real decoder on real recordings and espeak-ng renderings, rejection, `hear`.

Figures for the whole set come from scripts/bench_hearing.py; these tests hold the properties
that must not regress on samples small enough to run in seconds.
"""

from __future__ import annotations

import io
import json
import subprocess
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.shared import SPEECH, clips, have
from voicecoach.audio.wav import Clip, add_noise_floor, silence, wav_as_pcm16
from voicecoach.cli.main import cli
from voicecoach.hearing.listeners import hear_wav, wav_files_listener
from voicecoach.hearing.recognizer import decoder_for, fewest_loud_frames, loud_frames
from voicecoach.hearing.vocabulary import VOCABULARIES

needs_espeak = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")
needs_speech = pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is absent")
OTHER_WORDS = ("up", "down", "left", "right", "on", "off")


def espeak(tmp_path: Path, text: str, voice: str = "en-us", *args: str) -> Path:
    out = tmp_path / f"{voice}-{text.replace(' ', '_')}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), *args, text], check=True)
    return out


@needs_speech
def test_other_words_are_rarely_taken_for_an_answer():
    others = [path for word in OTHER_WORDS for path in clips(word, 10, skip=20)]
    accepted = [p.name for p in others if hear_wav(p, "answer").value in ("yes", "no")]
    # The bench measured 4-6% of such words accepted; a bare grammar accepted 87-95%.
    assert len(accepted) <= 0.12 * len(others), accepted


@needs_speech
def test_stop_is_heard_as_a_command_and_hardly_ever_as_another_command():
    heard = [hear_wav(p, "command").value for p in clips("stop", 30)]
    assert heard.count("stop") >= 18  # measured 0.67-0.77 across the set; the rest rejected
    # Across all the real "stop" clips the bench finds a few in a hundred heard as another
    # (slower, resume), the same with and without denoising.
    others = [h for h in heard if h not in ("stop", None)]
    assert len(others) <= 1, others


@needs_espeak
@pytest.mark.parametrize(("expect", "phrase", "value"), [
    ("answer", "yes", "yes"), ("answer", "no", "no"), ("answer", "i think so", "yes"),
    ("answer", "not really", "no"), ("answer", "no i don't", "no"),
    ("number", "three", "3"), ("number", "about six", "6"), ("number", "ten out of ten", "10"),
    ("number", "zero", "0"),
    ("command", "stop", "stop"), ("command", "pause", "pause"), ("command", "skip", "skip"),
    ("command", "it hurts", "hurts"), ("command", "help", "help"), ("command", "louder", "louder"),
    ("command", "slow down", "slower"), ("command", "continue", "resume"),
])
def test_espeak_phrases_are_heard_as_meant(tmp_path, expect, phrase, value):
    assert hear_wav(espeak(tmp_path, phrase), expect).value == value


@needs_espeak
@pytest.mark.parametrize("phrase", ["I don't know", "hello", "banana", "the weather is nice",
                                    "up", "yesterday"])
def test_espeak_other_phrases_are_never_an_answer(tmp_path, phrase):
    decoded = hear_wav(espeak(tmp_path, phrase), "answer")
    assert decoded.value in (None, "unsure"), decoded


def test_silence_is_not_an_answer():
    assert hear_wav(silence(1.0, 16000).to_wav(), "answer").value is None


@pytest.mark.skipif(not have("sox"), reason="sox is not installed")
def test_a_tone_is_not_an_answer(tmp_path):
    tone = tmp_path / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", str(tone), "synth", "0.6", "sine", "440"],
                   check=True)
    assert hear_wav(tone, "answer").value is None


def test_decoys_exclude_the_vocabulary_and_its_homophones():
    from voicecoach.hearing.tuning import CONTAINING_ANSWERS

    decoys = decoder_for("answer").decoys
    assert decoys[:len(CONTAINING_ANSWERS)] == list(CONTAINING_ANSWERS)
    assert len(decoys) == len(CONTAINING_ANSWERS) + 200
    assert "know" not in decoys and "no" not in decoys and "yes" not in decoys
    assert "the" in decoys
    assert "go" not in decoder_for("command").decoys  # "go" means resume


def test_noise_floor_is_faint_and_the_same_every_time():
    pcm = bytes(3200)
    once, again = add_noise_floor(pcm, 10.0), add_noise_floor(pcm, 10.0)
    assert once == again and once != pcm
    assert max(abs(s) for s in memoryview(once).cast("h")) < 80
    assert add_noise_floor(pcm, 0) == pcm


def test_unusual_wav_encodings_become_plain_16_bit_mono(tmp_path):
    if not have("sox", "espeak-ng"):
        pytest.skip("sox or espeak-ng is not installed")
    source = espeak(tmp_path, "yes")
    for args in (["-r", "44100", "-c", "2", "-b", "24"], ["-e", "floating-point", "-b", "32"],
                 ["-r", "8000", "-b", "8", "-e", "unsigned-integer"]):
        out = tmp_path / f"converted-{'-'.join(args)}.wav"
        subprocess.run(["sox", str(source), *args, str(out)], check=True)
        plain = wav_as_pcm16(out.read_bytes())
        with wave.open(io.BytesIO(plain)) as w:
            assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        assert hear_wav(out, "answer").value == "yes", args
        assert wav_files_listener([out]).listen("answer").value == "yes", args  # --answers
    with pytest.raises(ValueError):
        wav_as_pcm16(b"RIFF\x00\x00\x00\x00WAVEjunk")


@pytest.mark.parametrize("samples", [0, 1, 479, 480, 481, 16000, 33333])
def test_levels_and_the_noise_floor_match_the_sample_by_sample_versions(samples):
    """numpy does them now (10 ms of each answer's decode was spent in these loops)."""
    import math
    import random
    from array import array

    from voicecoach.audio.wav import frame_levels, unit_noise

    rng = random.Random(samples)
    pcm = array("h", (rng.randrange(-32768, 32768) for _ in range(samples))).tobytes()
    values = array("h", pcm)
    expected = [math.sqrt(sum(v * v for v in values[i:i + 480]) / len(values[i:i + 480]))
                for i in range(0, len(values), 480)]
    assert frame_levels(pcm, 16000) == expected
    noise = unit_noise()
    for level in (0.5, 37.5, 3000.2):
        mixed = [max(-32768, min(32767, v + int(level * noise[i % len(noise)])))
                 for i, v in enumerate(values)]
        assert add_noise_floor(pcm, level) == array("h", mixed).tobytes()


def _reference_pcm16(fmt_tag: int, width: int, channels: int, frames: bytes) -> list[int]:
    """The conversion as it was written sample by sample, before numpy did it."""
    from array import array

    step, out = width * channels, []
    for i in range(len(frames) // step):
        total = 0.0
        for c in range(channels):
            raw = frames[i * step + c * width:i * step + (c + 1) * width]
            if fmt_tag == 3:
                total += array("f", raw)[0] * 32767
            elif width == 1:
                total += (raw[0] - 128) * 256
            else:
                total += int.from_bytes(raw, "little", signed=True) >> (8 * (width - 2))
        out.append(max(-32768, min(32767, int(total / channels))))
    return out


@pytest.mark.parametrize(("tag", "width", "channels"), [
    (1, 1, 1), (1, 2, 2), (1, 3, 2), (1, 4, 1), (3, 4, 2), (1, 3, 6)])
def test_the_conversion_to_16_bit_mono_matches_the_sample_by_sample_one(tag, width, channels):
    import random
    import struct

    rng = random.Random(width * 10 + channels)
    count = 999
    if tag == 3:
        frames = struct.pack(f"<{count * channels}f",
                             *(rng.uniform(-1.2, 1.2) for _ in range(count * channels)))
    else:
        frames = bytes(rng.randrange(256) for _ in range(count * channels * width))
    fmt = struct.pack("<HHIIHH", tag, channels, 16000, 16000 * width * channels,
                      width * channels, 8 * width)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack(
        "<I", len(frames)) + frames
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    with wave.open(io.BytesIO(wav_as_pcm16(data))) as w:
        got = list(memoryview(w.readframes(w.getnframes())).cast("h"))
    assert got == _reference_pcm16(tag, width, channels, frames)


@needs_espeak
def test_a_one_hour_file_is_heard_from_its_first_seconds_alone(tmp_path):
    """An hour of 24-bit stereo: only the first phrase's seconds are read and converted."""
    import struct

    from voicecoach.audio.wav import wav_head
    from voicecoach.hearing.listeners import FILE_SECONDS

    if not have("sox"):
        pytest.skip("sox is not installed")
    short = tmp_path / "short.wav"
    subprocess.run(["sox", str(espeak(tmp_path, "yes")), "-r", "44100", "-c", "2", "-b", "24",
                    str(short)], check=True)
    head = short.read_bytes()
    start = head.index(b"data") + 8
    hour = 3600 * 44100 * 2 * 3
    long = tmp_path / "hour.wav"
    with long.open("wb") as handle:  # the hour after the word is silence, stored sparse
        handle.write(b"RIFF" + struct.pack("<I", start - 8 + hour) + head[8:start - 4])
        handle.write(struct.pack("<I", hour) + head[start:])
        handle.truncate(start + hour)
    assert long.stat().st_size > 900_000_000
    assert len(wav_head(long, FILE_SECONDS)) <= start + FILE_SECONDS * 44100 * 6
    result = CliRunner().invoke(cli, ["hear", str(long), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["heard"] == "yes"


def test_hear_prints_one_json_line_per_file_and_reports_bad_files(tmp_path):
    good = tmp_path / "yes.wav"
    good.write_bytes(Clip(bytes(3200), 16000).to_wav())
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    result = CliRunner().invoke(cli, ["hear", str(bad), str(good), str(tmp_path / "gone.wav"),
                                      "--expect", "number", "--json"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(bad), str(good), str(tmp_path / "gone.wav")]
    assert "not a readable WAV file" in lines[0]["error"]
    assert lines[1] == {"file": str(good), "heard": None, "text": "", "ms": 0.0}
    assert "cannot read" in lines[2]["error"]


@needs_espeak
def test_hear_uses_the_listener_and_names_the_value(tmp_path):
    path = espeak(tmp_path, "about six")
    result = CliRunner().invoke(cli, ["hear", str(path), "--expect", "number", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert (line["heard"], line["text"]) == ("6", "about six")
    assert 0 < line["ms"] < 1000
    text = CliRunner().invoke(cli, ["hear", str(path), "--expect", "number"]).output
    assert "6" in text and "about six" in text


def test_every_vocabulary_is_understood_when_typed():
    commands = VOCABULARIES["command"]
    assert commands.meaning("Stop!") == "stop" and commands.meaning("time left") == "time_left"
    assert commands.meaning("p") == "pause" and commands.meaning("next") == "skip"
    assert VOCABULARIES["answer"].meaning("I don't know") == "unsure"
    assert VOCABULARIES["number"].meaning("7/10") == "7"


def test_a_word_fitted_over_quiet_is_counted():
    """0.3 s of hiss then 0.3 s of a loud tone: a word placed on the hiss has no loud frames."""
    import numpy as np

    t = np.arange(int(0.3 * 16000)) / 16000
    hiss = np.random.default_rng(0).normal(0, 300, len(t))
    tone = 10000 * np.sin(2 * np.pi * 300 * t)
    loud = loud_frames(np.concatenate([hiss, tone]).astype(np.int16).tobytes())
    assert fewest_loud_frames(loud, [("hey_coach", 0, 29), ("start", 30, 59)]) == 0
    assert fewest_loud_frames(loud, [("<sil>", 0, 29), ("stop", 30, 59)]) == 30
    assert fewest_loud_frames(loud, [("<sil>", 0, 59)]) is None


@needs_speech
def test_results_do_not_depend_on_what_was_decoded_before():
    """The same clips forwards and backwards give the same texts and values (the decoder's
    dither and front end once carried state from one phrase to the next: 14 of 150 changed)."""
    from voicecoach.hearing import recognizer

    chosen = [p for word in ("yes", "no", "up", "off") for p in clips(word, 12)]

    def decode_all(order: list[Path]) -> dict[Path, tuple[str, str | None]]:
        recognizer._decoders.clear()
        return {p: (d.text, d.value) for p in order for d in [hear_wav(p, "answer")]}

    assert decode_all(chosen) == decode_all(chosen[::-1])


def _scaled(path: Path, db: float, pad: float = 0.0) -> bytes:
    """A clip made `db` dB louder (negative: quieter), with `pad` seconds of silence around."""
    import numpy as np

    from voicecoach.audio.wav import read_wav

    clip = read_wav(path.read_bytes())
    samples = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float64) * 10 ** (db / 20)
    quiet = np.zeros(int(pad * clip.rate))
    out = np.concatenate([quiet, samples, quiet]).clip(-32768, 32767).astype(np.int16)
    return Clip(out.tobytes(), clip.rate).to_wav()


@needs_speech
def test_a_voice_twenty_db_quieter_is_heard_as_well_as_the_clip():
    """Someone on a mat two metres away: no fixed loudness floor they never reach (the old
    floor made a third of such clips "no speech")."""
    cases = [(p, "answer", w) for w in ("yes", "no") for p in clips(w, 8, skip=40)]
    cases += [(p, "number", "3") for p in clips("three", 8, skip=40)]
    loud = sum(hear_wav(p, expect).value == want for p, expect, want in cases)
    quiet = [hear_wav(_scaled(p, -20), expect) for p, expect, _want in cases]
    assert sum(d.value == want for d, (_p, _e, want) in zip(quiet, cases, strict=True)) >= loud - 1
    # the old fixed floor gave "no speech" for a third of them; two clips here are one
    # speaker whose recording is noise nearly as loud as the word, with no quiet part at all
    assert sum(d.text == "" for d in quiet) <= 2


@needs_speech
def test_a_file_is_read_in_the_microphones_chunks_and_padding_changes_nothing():
    from voicecoach.hearing.endpointer import CHUNK
    from voicecoach.hearing.listeners import wav_source

    short = clips("eight", 10, skip=30)
    with wav_source(short[0]) as source:
        assert source.CHUNK / source.SAMPLE_RATE == CHUNK / 16000  # 64 ms, as live
    bare = [hear_wav(p, "number").value for p in short]
    padded = [hear_wav(_scaled(p, 0, pad=0.3), "number").value for p in short]
    assert sum(v == "8" for v in padded) >= sum(v == "8" for v in bare) - 1
    assert padded.count(None) <= bare.count(None) + 1


def test_hear_exits_cleanly_whatever_the_word_check_loader_is_doing(tmp_path):
    """`hear` on silence needs no word check, so the process used to exit while onnxruntime was
    still loading on its thread: SIGABRT ("terminate called without an active exception") in
    most runs. Ten runs, every one exit 0."""
    import sys

    quiet = tmp_path / "silence.wav"
    quiet.write_bytes(silence(1.0, 16000).to_wav())
    for _ in range(10):
        run = subprocess.run([sys.executable, "-m", "voicecoach", "hear", str(quiet)],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "terminate called" not in run.stderr
        assert run.stdout.strip().endswith("not understood (no speech), 0 ms")


@needs_espeak
def test_longer_words_that_begin_with_an_answer_are_refused_in_many_voices(tmp_path):
    """"yesterday", "notice", "nobody", "nose" in seven voices at two speeds: never an answer
    (before, 6, 8, 9 and 2 of the 14 were)."""
    voices = ("en-us", "en-gb", "en-us+f3", "en-us+m7", "en-gb-x-rp", "en-029", "en-scottish")
    for word in ("yesterday", "notice", "nobody", "nose"):
        heard = [hear_wav(espeak(tmp_path, word, voice, "-s", speed), "answer").value
                 for voice in voices for speed in ("150", "175")]
        assert heard.count("yes") == heard.count("no") == 0, (word, heard)
