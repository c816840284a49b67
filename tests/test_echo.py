"""The echo canceller (voicecoach/hearing/echo.py) on espeak-ng speech in a simulated
reverberant room.

The room: the loudspeaker reaches the microphone 70 ms late at half strength, with reflections
dying away over 0.3 s, and each utterance starts a random fraction of 3 ms later than the coach
thinks (as a player does). The canceller is told only what was played and when it was started.
"""

from __future__ import annotations

import numpy as np
import pytest
from shared import espeak_16k, have

from voicecoach.hearing.echo import EchoCanceller
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.spotting import CommandSpotter, SelfHearing
from voicecoach.testing.room import late_by, room_response

pytestmark = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed")

RATE = 16000
LINES = ["Lie on your back and bend your knees.", "Rep one of ten.", "Hold.", "One.", "Two.",
         "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.", "Nine.", "Ten.", "And relax."]


@pytest.fixture(scope="module")
def session() -> dict:
    """Twice through the lines, a second apart after each: what was played and the microphone."""
    rng = np.random.default_rng(3)
    h = 0.5 * room_response(rng, 0.07)
    spoken = {line: espeak_16k(line) for line in LINES}
    plays, t = [], 0.5
    for line in LINES * 2:
        plays.append((t, line))
        t += len(spoken[line]) / RATE + (0.6 if len(line) < 8 else 0.3)
    mic = rng.normal(0, 20, int((t + 1) * RATE))
    for start, line in plays:
        late = rng.uniform(0, 0.003) * RATE
        echo = np.convolve(late_by(spoken[line], late % 1), h)
        i = int(start * RATE) + int(late)
        mic[i:i + len(echo)] += echo[:len(mic) - i]
    return {"plays": plays, "spoken": spoken, "mic": mic}


def run(canceller: EchoCanceller, session: dict, mic: np.ndarray) -> np.ndarray:
    plays = list(session["plays"])
    pcm = np.clip(mic, -32768, 32767).astype(np.int16).tobytes()
    out = []
    for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        t_end = (i // 2 + CHUNK) / RATE
        while plays and plays[0][0] <= t_end:  # told as each sound starts, as the coach does
            start, line = plays.pop(0)
            samples = np.clip(session["spoken"][line], -32768, 32767).astype(np.int16)
            canceller.play(samples.tobytes(), RATE, start)
        cleaned = canceller.process(pcm[i:i + 2 * CHUNK], t_end)
        out.append(cleaned.pcm)
    return np.frombuffer(b"".join(out), np.int16).astype(float)


def test_the_echo_is_taken_out_and_the_persons_voice_is_not(session: dict) -> None:
    second_round = int(session["plays"][len(LINES)][0] * RATE)
    stop_at = int(session["plays"][len(LINES) + 5][0] * RATE)  # over "Three." second time
    stop = espeak_16k("stop", voice="en-us+f3")
    mic = session["mic"].copy()
    mic[stop_at:stop_at + len(stop)] += stop
    canceller = EchoCanceller()
    out = run(canceller, session, mic)
    n = len(out)
    echo_only = np.ones(n, bool)
    echo_only[:second_round] = False  # the first round is for learning
    echo_only[stop_at - RATE // 2:stop_at + len(stop) + RATE // 2] = False
    echo_only &= np.abs(session["mic"][:n]) > 200
    left_db = 10 * np.log10(np.sum(out[echo_only] ** 2) / np.sum(mic[:n][echo_only] ** 2))
    assert left_db < -20, f"echo only {left_db:.1f} dB down"
    assert canceller.converged
    word = slice(stop_at, stop_at + len(stop))
    kept_db = 10 * np.log10(np.sum(out[word] ** 2) / np.sum(stop ** 2))
    assert abs(kept_db) < 3, f"the word came out at {kept_db:+.1f} dB"
    # Every block comes back, in order; at the end only what waits for alignment is missing.
    assert len(mic) - n < 0.2 * RATE


def test_stop_said_over_the_counting_is_heard_only_with_the_canceller(session: dict) -> None:
    stop_at = session["plays"][len(LINES) + 5][0] + 0.05
    stop = espeak_16k("stop", voice="en-us+m3", speed=130)
    mic = session["mic"].copy()
    mic[int(stop_at * RATE):int(stop_at * RATE) + len(stop)] += stop
    pcm = np.clip(mic, -32768, 32767).astype(np.int16).tobytes()
    heard = {}
    for policy in ("cancel", "gaps"):
        spotter = CommandSpotter(SelfHearing(policy))
        plays = list(session["plays"])
        commands = []
        for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
            t_end = (i // 2 + CHUNK) / RATE
            while plays and plays[0][0] <= t_end:
                start, line = plays.pop(0)
                samples = session["spoken"][line]
                spotter.self_hearing.played(
                    np.clip(samples, -32768, 32767).astype(np.int16).tobytes(), RATE, start)
                spotter.self_hearing.spoken.append((start, start + len(samples) / RATE, line))
            result = spotter.feed(pcm[i:i + 2 * CHUNK], t_end)
            if result is not None:
                commands.append((round(t_end, 1), result.value))
        heard[policy] = commands
    assert [c for _, c in heard["cancel"]] == ["stop"], heard
    assert heard["cancel"][0][0] - stop_at < 1.0
    assert heard["gaps"] == [], heard  # the old way hears nothing said over its own voice


def test_sounds_played_while_the_microphone_is_not_read_are_not_kept() -> None:
    canceller = EchoCanceller()
    beep = (8000 * np.sin(np.arange(8000) / 5)).astype(np.int16).tobytes()
    for k in range(200):  # a long stretch of questions: the watcher is not listening
        canceller.play(beep, RATE, 2.0 * k)
    assert len(canceller._sounds) <= 2
    cleaned = canceller.process(np.zeros(CHUNK, np.int16).tobytes(), 400.0)
    assert len(cleaned.pcm) > 0  # the stream starts again without waiting on old sounds
