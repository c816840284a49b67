"""The wake phrase head: trained on voices bench_wake never uses, it confirms "hey coach",
refuses other words, vetoes what the grammar took wrongly and rescues what it refused."""

from __future__ import annotations

import io
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from tests.shared import espeak_16k, have
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.wake import (
    DEFAULT_WAKE_PHRASES,
    WakeSpotter,
    rescue_decoder,
    wake_decoder,
    wake_spotter,
)
from voicecoach.hearing.wake_head import HeadWeights, load_weights, shared_wake_head
from voicecoach.hearing.wake_tuning import WAKE_HEAD

pytestmark = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")
ROOT = Path(__file__).resolve().parent.parent


def test_the_head_never_trained_on_the_voices_bench_wake_measures_with():
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_hearing import VOICES

    data = resources.files("voicecoach").joinpath("data/wake_head.npz").read_bytes()
    with np.load(io.BytesIO(data)) as z:
        trained = {str(v) for v in z["voices"]}
        assert str(z["phrase"]) == "hey coach"
    assert len(trained) >= 40
    for voice, _ in VOICES:  # bench_wake's voices, held out by name
        base = voice.split("+")[0]
        assert voice not in trained
        assert all(not v.startswith(base + "+") or base in ("en-us", "en-gb")
                   for v in trained), voice
        if "+" in voice:
            assert not any(v.endswith("+" + voice.split("+")[1]) for v in trained), voice
    from bench_wake import OTHER_VOICES

    for engine, voice in OTHER_VOICES:  # flite's and festival's slt, held out
        assert f"{engine} {voice}" not in trained


def pcm(samples: np.ndarray) -> bytes:
    pad = np.zeros(8000)
    return np.clip(np.concatenate([pad, samples, pad]), -32768, 32767).astype(np.int16).tobytes()


def test_the_head_hears_hey_coach_from_a_held_out_voice_and_refuses_other_words():
    head = shared_wake_head("hey coach")
    assert head is not None
    for voice in ("en-us", "en-gb-scotland"):
        assert head.probability(pcm(espeak_16k("hey coach", voice))) > 0.5, voice
        assert head.probability(pcm(espeak_16k("hey coach, start stretching", voice))) > 0.5
    for words in ("goodbye", "okay", "how are you", "start stretching", "eight"):
        assert head.probability(pcm(espeak_16k(words, "en-us"))) < 0.5, words


def test_a_custom_wake_phrase_has_no_head():
    assert shared_wake_head("okay coach") is None
    assert wake_spotter(("okay coach",)).head is None
    spotter = wake_spotter(DEFAULT_WAKE_PHRASES)
    assert spotter.head is not None and spotter.min_seconds == WAKE_HEAD.min_seconds


class FixedHead:
    confirm, rescue = 0.4, 0.8  # its own levels, as the shipped head's file carries them

    def __init__(self, sure: float):
        self.sure = sure

    def probability(self, pcm: bytes) -> float:
        return self.sure


def spot(spotter: WakeSpotter, audio: bytes) -> list[str]:
    stream = bytes(32000) + audio + bytes(32000)
    heard = []
    for i in range(0, len(stream) - 2 * CHUNK + 1, 2 * CHUNK):
        if (request := spotter.feed(stream[i:i + 2 * CHUNK], (i + 2 * CHUNK) / 32000)):
            heard.append(request.request)
    return heard


@pytest.fixture(scope="module")
def decoders():
    return wake_decoder(DEFAULT_WAKE_PHRASES), rescue_decoder(DEFAULT_WAKE_PHRASES)


def test_the_head_vetoes_what_the_grammar_took_and_rescues_what_it_refused(decoders):
    grammar, rescue = decoders
    said = pcm(espeak_16k("hey coach, start stretching", "en-us"))
    assert spot(WakeSpotter(grammar), said) == ["start"]
    assert spot(WakeSpotter(grammar, head=FixedHead(FixedHead.confirm - 0.01),
                            rescue=rescue), said) == []  # vetoed
    assert spot(WakeSpotter(grammar, head=FixedHead(FixedHead.confirm), rescue=rescue),
                said) == ["start"]
    other = pcm(espeak_16k("people", "en-us"))
    assert spot(WakeSpotter(grammar), other) == []  # a rival word won
    unsure = WakeSpotter(grammar, head=FixedHead(FixedHead.rescue - 0.01), rescue=rescue)
    assert spot(unsure, other) == []
    sure = WakeSpotter(grammar, head=FixedHead(FixedHead.rescue), rescue=rescue)
    assert spot(sure, other) == ["wake"]  # taken, its request read without rivals
    assert sure.log[-1].accepted


def test_the_head_hears_hey_coach_said_with_a_pause_or_quickly():
    """Trained with "hey, coach" (the words apart) and a quick "hey coach": the head from
    before them gave a paused one 0.00 in most voices."""
    head = shared_wake_head("hey coach")
    assert head is not None
    for voice in ("en-us", "en-gb-scotland", "en-029+m3"):
        paused = np.concatenate([espeak_16k("hey", voice), np.zeros(3200),
                                 espeak_16k("coach", voice)])
        assert head.probability(pcm(paused)) > 0.5, voice
        assert head.probability(pcm(espeak_16k("hey, coach", voice))) > 0.5, voice
        assert head.probability(pcm(espeak_16k("hey coach", voice, 260))) > 0.5, voice
    for words in ("okay, coach", "hey, there", "hey, go"):
        assert head.probability(pcm(espeak_16k(words, "en-us"))) < 0.5, words


def test_the_shipped_head_is_three_networks_with_levels_set_in_training():
    weights = load_weights()
    assert weights.hidden.shape[0] == 3 and weights.out_bias.shape == (3,)
    assert 0.0 < weights.confirm < weights.rescue < 1.0
    head = shared_wake_head("hey coach")
    assert head is not None and (head.confirm, head.rescue) == (weights.confirm, weights.rescue)
    features = np.random.default_rng(0).normal(size=weights.mean.shape)
    logits = []
    for m in range(3):  # the members' log-odds, averaged
        one = HeadWeights(weights.phrase, weights.mean, weights.scale, weights.hidden[m:m + 1],
                          weights.hidden_bias[m:m + 1], weights.out[m:m + 1],
                          weights.out_bias[m:m + 1])
        p = one.probability(features)
        logits.append(np.log(p / (1 - p)))
    assert weights.probability(features) == pytest.approx(1 / (1 + np.exp(-np.mean(logits))))


def test_a_head_file_from_before_members_is_one_network_judged_by_the_fixed_levels():
    """bench_wake compares older head files ("head from OLD.npz"): one network, no levels."""
    rng = np.random.default_rng(1)
    old = io.BytesIO()
    np.savez(old, phrase=np.array("hey coach"), mean=np.zeros(576), scale=np.ones(576),
             hidden=rng.normal(size=(576, 64)), hidden_bias=np.zeros(64),
             out=rng.normal(size=64), out_bias=np.float32(0.5))
    weights = load_weights(old.getvalue())
    assert weights.hidden.shape == (1, 576, 64)
    assert (weights.confirm, weights.rescue) == (WAKE_HEAD.confirm, WAKE_HEAD.rescue)
    features = rng.normal(size=576)
    h = np.maximum(0, features @ weights.hidden[0])
    assert weights.probability(features) == pytest.approx(
        1 / (1 + np.exp(-(h @ weights.out[0] + 0.5))))
