"""Spoken commands mid-hold, on real audio: espeak-ng narration leaking into a virtual room's
microphone, real recorded "stop"/"go" clips and espeak-ng commands spoken into it, the real
voice watcher (endpointer, self-hearing gate, pocketsphinx) on its own thread, real time."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from tests.shared import SPEECH, clips, content, have
from voicecoach.audio.wav import Clip, read_wav, silence
from voicecoach.coach.loop import Coach
from voicecoach.coach.transcript import Transcript
from voicecoach.content.model import Dose, Span
from voicecoach.hearing.endpointer import CHUNK, Endpointer
from voicecoach.hearing.spotting import CommandSpotter, SelfHearing
from voicecoach.hearing.tuning import ECHO_CONVERGED_DB
from voicecoach.hearing.voice_watcher import VoiceWatcher
from voicecoach.session.actions import Outcome, Say, Watch
from voicecoach.session.asking import SessionStopped
from voicecoach.session.clock import MonotonicClock
from voicecoach.session.exercising import exercise_steps
from voicecoach.testing.room import Room, RoomSpeaker

pytestmark = [
    pytest.mark.audio,
    pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is not installed"),
]
needs_speech = pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is absent")

C = content()
# A bare long hold: no setup talk, so the test spends its time in the hold. Holds over ten
# seconds have sparse cues (halfway, ten seconds left), as in the real routines.
BARE = replace(C.exercises["childs_pose"], setup=(), cautions=(), finish="", reminders=())
HOLD = Dose(hold=Span(12, 12))


@pytest.fixture(scope="module")
def renderer():
    from voicecoach.audio.rendering import Pyttsx3Renderer

    return Pyttsx3Renderer(rate=200)


@pytest.fixture
def quick_position(monkeypatch):
    """One second to get into position instead of five, for tests that act in the hold."""
    monkeypatch.setattr("voicecoach.session.narration.GET_INTO_POSITION", 1.0)

def one_exercise():
    yield Watch(True)
    try:
        result = yield from exercise_steps(BARE, HOLD)
    except SessionStopped:
        return Outcome("stopped")
    return Outcome("finished", exercises_skipped=[BARE.id] if result == "skipped" else [])


class Events:
    """Transcript lines as they are written; speaks clips into the room on cue."""

    def __init__(self, room: Room, plan: dict[str, list[tuple[float, Clip]]]):
        self.room = room
        self.plan = plan
        self.lines: list[dict] = []

    def write(self, text: str) -> None:
        line = json.loads(text)
        self.lines.append(line)
        for delay, clip in self.plan.pop(line["text"], []):
            self.room.play(clip, at=self.room.clock() + delay)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


# Room tests run on a clock slowed down this many times: the room, the listener and the coach
# all keep its time, so the audio is the same, but a loaded machine (CI's two shared cores)
# has three times the time for each second of it, and no test fails for want of CPU. At 2.0,
# 27 of 27 passed here beside a busy loop, but two CI runs in a row each missed one spoken
# command ("go", "repeat") in the full suite, beside its background sessions.
SLOWED = 3.0


def run_in_room(renderer, plan, script=one_exercise, watcher=None, slowed: float = SLOWED):
    def slow_clock() -> float:
        return time.monotonic() / slowed

    room = Room(clock=slow_clock)
    if watcher is None:
        watcher = VoiceWatcher(room.microphone, clock=slow_clock)
    else:
        watcher.open_source = room.microphone
        watcher.clock = slow_clock
    clock = MonotonicClock(slowed)
    events = Events(room, plan)
    speaker = RoomSpeaker(room, renderer)
    speaker.observer = watcher  # as wiring.build_io does for the loudspeaker
    coach = Coach(speaker, None, clock, Transcript(events, clock), watcher)
    outcome = coach.run(script())
    return outcome, events.lines, coach, watcher


def voice(text: str) -> Clip:
    """A command in a slower espeak-ng voice than the coach's, with a little silence around.

    ("pause" itself is not heard from espeak-ng by the command grammar, measured; "wait" is.)
    """
    from voicecoach.audio.rendering import Pyttsx3Renderer

    clip = Pyttsx3Renderer(rate=140).render(text)
    return Clip(silence(0.3, clip.rate).pcm + clip.pcm + silence(0.3, clip.rate).pcm, clip.rate)


def heard_stop_clip() -> Clip:
    """A real recorded "stop" that the command decoder hears when it is alone."""
    spotter = CommandSpotter(SelfHearing("none"))
    for path in clips("stop", 20):
        clip = read_wav(path.read_bytes())
        if hear(spotter, clip) == "stop":
            return clip
    raise AssertionError("no stop clip is heard alone")


def hear(spotter: CommandSpotter, clip: Clip) -> str | None:
    from voicecoach.testing.room import to_16k

    pcm = to_16k(clip).tobytes() + bytes(2 * 16000)
    for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        heard = spotter.feed(pcm[i:i + 2 * CHUNK], (i // 2 + CHUNK) / 16000)
        if heard is not None:
            return heard.value
    return None


def test_endpointer_cuts_one_phrase_around_a_word():
    quiet = silence(1.0, 16000).pcm
    loud = b"\x00\x20" * 8000  # 0.5 s at a steady level
    pcm = quiet + loud + quiet
    endpointer = Endpointer()
    phrases = []
    for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        phrase = endpointer.feed(pcm[i:i + 2 * CHUNK], (i // 2 + CHUNK) / 16000)
        if phrase:
            phrases.append(phrase)
    assert len(phrases) == 1
    assert phrases[0].start == pytest.approx(1.0, abs=0.07)
    assert phrases[0].end == pytest.approx(1.5, abs=0.07)


def test_own_speech_and_its_echo_tail_count_as_silence():
    gate = SelfHearing("gaps", tail=0.2)
    gate.begin(10.0, "One.")
    assert gate.gated(10.1, 10.2)
    gate.end(10.5)
    assert gate.gated(10.6, 10.65)
    assert not gate.gated(10.8, 10.9)
    assert not SelfHearing("none").gated(10.1, 10.2)


@needs_speech
def test_a_real_stop_spoken_mid_hold_cuts_it_off_fast(renderer, quick_position):
    stop = heard_stop_clip()
    outcome, lines, coach, _ = run_in_room(renderer, {"hold starts": [(4.0, stop)]})
    assert outcome.ended == "stopped"
    start = next(line["t"] for line in lines if line["text"] == "hold starts")
    cut = next(line for line in lines if line["text"] == "hold interrupted: stop")
    # the word ends about 4.5-5 s into the hold; endpointing and decoding take well under 1 s
    assert 4.3 < cut["t"] - start < 6.0, lines
    assert [h for h in coach.hold_log if h.kind == "hold"] == []  # the hold never ran to its end


@needs_speech
def test_pause_then_a_real_go_resumes_and_the_hold_keeps_its_length(renderer, monkeypatch,
                                                                     quick_position):
    go = next(read_wav(p.read_bytes()) for p in clips("go", 20)
              if hear(CommandSpotter(SelfHearing("none")), read_wav(p.read_bytes())) == "resume")
    # If a loaded machine delays the coach's "Paused..." until it overlaps the "go" (and the
    # go is ignored as said over the coach), the person says it again after the reminder;
    # the pause limit fails the test in a minute instead of hanging it for half an hour.
    monkeypatch.setattr("voicecoach.coach.loop.PAUSE_REMINDER", 10.0)
    monkeypatch.setattr("voicecoach.coach.loop.PAUSE_LIMIT", 60.0)
    plan = {"hold starts": [(3.0, voice("wait"))], "paused": [(4.5, go)],
            "Still paused. Say continue to carry on, or stop to finish.": [(4.0, go)]}
    outcome, lines, coach, watcher = run_in_room(renderer, plan)
    assert outcome.ended == "finished"
    resumed = next(line for line in lines if line["text"] == "resumed")
    assert resumed["paused"] > 3.0
    _, _, start, end = next(h for h in coach.hold_log if h.kind == "hold")
    assert end - start == pytest.approx(12, abs=0.2)  # the pause is not counted
    commands = [s.command for s in watcher.spotter.log if s.accepted]
    assert commands == ["pause", "resume"]  # nothing of its own narration taken for one


def test_repeat_then_skip_spoken_while_getting_into_position(renderer):
    plan = {"position starts": [(0.5, voice("repeat")), (3.5, voice("skip"))]}
    outcome, lines, _, _ = run_in_room(renderer, plan)
    assert outcome.exercises_skipped == [BARE.id]
    said = [line["text"] for line in lines if line["kind"] == "say"]
    assert said == [f"{BARE.name}.", f"{BARE.name}.", f"Skipping {BARE.name}."]


def test_it_hurts_spoken_mid_hold_asks_about_the_pain(renderer, quick_position):
    from tests.shared import ScriptedListener

    def slow_clock() -> float:
        return time.monotonic() / SLOWED

    room = Room(clock=slow_clock)
    clock = MonotonicClock(SLOWED)
    events = Events(room, {"hold starts": [(2.0, voice("it hurts"))]})
    coach = Coach(RoomSpeaker(room, renderer), ScriptedListener(["no", "yes"]), clock,
                  Transcript(events, clock), VoiceWatcher(room.microphone, clock=slow_clock))
    coach.run(one_exercise())
    asked = [line["text"] for line in events.lines if line["kind"] == "ask"]
    assert asked == ["Has any pain spread into your leg?", "Is the pain sharp or severe?"]
    assert events.lines[-1]["text"] == "session ended: finished"


def test_an_urgent_word_is_decoded_once_its_loud_part_is_over_then_not_again():
    """A word followed by a soft tail (a breath, room noise above the threshold) is given to
    the decoder COMMAND_QUICK_SILENCE after its last strong frame, once, and the phrase's end
    gives nothing more."""
    from voicecoach.hearing.tuning import COMMAND_QUICK_SILENCE

    quiet = silence(1.0, 16000).pcm
    word = b"\x00\x20" * 6400  # 0.4 s at 8192
    tail = b"\x90\x01" * 9600  # 0.6 s at 400: above the threshold, 26 dB below the word
    pcm = quiet + word + tail + quiet
    endpointer = Endpointer()
    settled, ended = [], []
    for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        t_end = (i // 2 + 2 * CHUNK // 2) / 16000
        if (phrase := endpointer.feed(pcm[i:i + 2 * CHUNK], t_end)) is not None:
            ended.append((t_end, phrase))
        elif (early := endpointer.settled(t_end)) is not None:
            settled.append((t_end, early))
    assert len(settled) == 1 and len(ended) == 1
    (t_settled, early), (t_ended, phrase) = settled[0], ended[0]
    assert early.end == pytest.approx(1.4, abs=0.07)  # the word's end, not the tail's
    assert early.end + COMMAND_QUICK_SILENCE <= t_settled < 1.4 + COMMAND_QUICK_SILENCE + 0.14
    assert t_ended > 2.2  # the tail held the phrase open; it ended 0.3 s after it
    assert phrase.end == pytest.approx(2.0, abs=0.07)


@needs_speech
def test_a_real_stop_with_a_breath_after_it_is_taken_before_the_phrase_ends():
    # one whose early decoding is steady (6 of 6 with this breath; others vary with dither)
    stop = read_wav(next(p for p in clips("stop", 20) if "0ea0e2f4" in p.name).read_bytes())
    from voicecoach.audio.wav import frame_levels
    from voicecoach.testing.room import to_16k

    word = to_16k(stop).tobytes()
    levels = frame_levels(word, 16000)
    last = max(i for i, level in enumerate(levels) if level >= 0.1 * max(levels))
    samples = np.frombuffer(word[:(last + 1) * 480 * 2], np.int16)  # to its last strong frame
    word = np.clip(samples * (8000 / max(levels)), -32768, 32767).astype(np.int16).tobytes()
    # 0.6 s at RMS 400: above the endpointer's threshold, 26 dB below the word's peak
    breath = (np.random.default_rng(3).normal(0, 400, 9600)).astype(np.int16).tobytes()
    pcm = silence(0.5, 16000).pcm + word + breath + bytes(2 * 16000)
    results = {}
    for quick in (True, False):
        spotter = CommandSpotter(SelfHearing("none"), quick=quick)
        heard = []
        for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
            if (h := spotter.feed(pcm[i:i + 2 * CHUNK], (i // 2 + CHUNK) / 16000)) is not None:
                heard.append(((i // 2 + CHUNK) / 16000, h.value))
        results[quick] = heard
    assert [v for _, v in results[True]] == ["stop"]  # once: the phrase's end adds nothing
    breath_end = 0.5 + len(word) / 32000 + 0.6
    assert results[True][0][0] < breath_end  # taken while the breath still held it open
    assert all(t > breath_end for t, _ in results[False])  # unlike waiting for its end


FIRST = ("Welcome back. Find a quiet spot with room to lie down, and keep some water nearby.",
         "Today we will work gently through five stretches for the low back and the hips.",
         "Move slowly, breathe easily, and never push into sharp pain.")
LONG = ("Lie on your back on the mat with both knees bent and your feet flat on the floor, "
        "about hip width apart, and let your arms rest by your sides with the palms down.")


def learn_then_long(canceller):
    """Sentences until the echo canceller has learned the room well (it listens over the
    coach only then; tests/test_echo.py and bench_handsfree measure how soon), then LONG."""
    yield Watch(True)
    for n in range(8):
        yield Say(FIRST[n % len(FIRST)])
        if canceller.reduction_db >= ECHO_CONVERGED_DB + 2:
            break
    reply = yield Say(LONG)
    return Outcome("stopped" if reply is not None and reply.value == "stop" else "finished")


def loud_stop() -> Clip:
    """A real "stop" said up (peak RMS 6000, over the coach's voice), one the decoder hears
    steadily."""
    from voicecoach.audio.wav import frame_levels
    from voicecoach.testing.room import to_16k

    clip = read_wav(next(p for p in clips("stop", 20) if "0ea0e2f4" in p.name).read_bytes())
    samples = np.frombuffer(to_16k(clip).tobytes(), np.int16)
    gain = 6000 / max(frame_levels(samples.tobytes(), 16000))
    return Clip(np.clip(samples * gain, -32768, 32767).astype(np.int16).tobytes(), 16000)


# A real "stop" said over a long instruction, heard once, failed now and then on CI's shared
# cores even on the slowed clock: per the guide it is a benchmark that reports a rate,
# scripts/bench_stop_over_speech.py (which uses LONG, learn_then_long and loud_stop above).


def test_the_listener_is_handed_the_interpreter_sooner_while_it_listens():
    """LISTEN_SWITCH_INTERVAL while the listening thread runs; Python's own setting after."""
    import sys

    from voicecoach.hearing.tuning import LISTEN_SWITCH_INTERVAL

    before = sys.getswitchinterval()
    watcher = VoiceWatcher(Room().microphone)
    watcher.start()
    try:
        assert sys.getswitchinterval() == pytest.approx(min(before, LISTEN_SWITCH_INTERVAL))
    finally:
        watcher.stop()
    assert sys.getswitchinterval() == before
