"""Benchmark hands-free listening: the coach's own voice, "stop" latency, hold timing, CPU.

1. Self-hearing, offline and per policy (cancel, gaps, compare, none): the whole beginner
   routine's narration, rendered by espeak-ng on its real schedule, leaks into the microphone
   in two rooms ("direct": heard exactly as played, at the moment it was started; "room": a
   player that starts up to 3 ms late by any fraction of a sample, 40 ms to the microphone,
   reflections over 0.3 s); every phrase goes through the live command spotter. Counted:
   commands falsely triggered. Then real recorded "stop" clips are spoken into the same
   stream at random moments inside holds and counted: stops heard, and the time from the end
   of the spoken word to the spotter's verdict. "alone" is each stop clip decoded by itself,
   the ceiling for any policy.
2. Real time, default policy: a routine of 5, 10 and 30 second holds run by the real coach
   at --time-scale 1 in a virtual room (espeak-ng speech leaking into a virtual microphone,
   the voice watcher listening on its own thread). Reported: each hold's length error, false
   commands, and the CPU used by the listening thread.
3. Real time: "stop" spoken into the room during a counted hold, N trials; the time from the
   end of the spoken word to the hold being cut off (the coach stops counting).
4. Urgent commands taken early (the spotter's `quick` path) against waiting for the phrase
   to end: every real clip of ../shared/speech, and a few espeak words that begin like
   "stop" or "pause", alone in hiss. Reported for each: stops heard, the time from the end
   of the word to the verdict, and other words taken for stop, pause or "it hurts".

    python scripts/bench_handsfree.py            # all four parts, about 15 minutes
    python scripts/bench_handsfree.py --quick    # shorter: fewer exercises and trials
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.audio.rendering import Pyttsx3Renderer  # noqa: E402
from voicecoach.audio.wav import Clip, frame_levels, read_wav  # noqa: E402
from voicecoach.coach.loop import Coach  # noqa: E402
from voicecoach.coach.transcript import Transcript  # noqa: E402
from voicecoach.content.loader import load_content  # noqa: E402
from voicecoach.content.model import Dose, Span  # noqa: E402
from voicecoach.hearing.endpointer import CHUNK  # noqa: E402
from voicecoach.hearing.spotting import CommandSpotter, SelfHearing  # noqa: E402
from voicecoach.hearing.tuning import COMMAND_QUICK  # noqa: E402
from voicecoach.hearing.voice_watcher import VoiceWatcher  # noqa: E402
from voicecoach.session.actions import Heard, Outcome, Watch  # noqa: E402
from voicecoach.session.asking import SessionStopped  # noqa: E402
from voicecoach.session.clock import FakeClock, MonotonicClock  # noqa: E402
from voicecoach.session.exercising import exercise_steps  # noqa: E402
from voicecoach.testing.room import Room, RoomSpeaker, late_by, room_response  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"
RATE = 16000
LEAK = 0.5  # loudspeaker to microphone gain in the virtual room
HISS = 20.0
ROOMS = ("direct", "room")
ROOM_DELAY = 0.04  # seconds from a player starting to the microphone hearing it
ROOM_RT60 = 0.3  # seconds for the room's reflections to die away by 60 dB
PLAYER_JITTER = 0.003  # a player starts up to this late, differently each time (seen: 3 ms)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def stop_clips() -> list[Clip]:
    rows = [line.split("\t") for line in (SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    return [read_wav((SPEECH / r[0]).read_bytes()) for r in rows if r[1] == "stop"]


def speech_end(clip: Clip) -> float:
    """Seconds from the clip's start to the end of its last loud 30 ms frame."""
    levels = frame_levels(clip.pcm, clip.rate)
    loud = max(levels) * 0.1
    last = max(i for i, level in enumerate(levels) if level >= loud)
    return (last + 1) * 0.03


def resample(clip: Clip) -> np.ndarray:
    x = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32)
    if clip.rate == RATE:
        return x
    n = int(len(x) * RATE / clip.rate)
    return np.interp(np.arange(n) * clip.rate / RATE, np.arange(len(x)), x)


class TimelineSpeaker:
    """Renders each utterance at the fake clock's time and lets the clock run past it."""

    def __init__(self, clock: FakeClock, renderer: Pyttsx3Renderer):
        self.clock = clock
        self.renderer = renderer
        self.utterances: list[tuple[float, float, str, np.ndarray]] = []

    def say(self, text: str) -> None:
        samples = resample(self.renderer.render(text))
        start = self.clock.now()
        self.clock.advance(len(samples) / RATE)
        self.utterances.append((start, self.clock.now(), text, samples))

    def cue(self, name: str) -> None:
        """No earcons while watching."""

    def adjust(self, command: str) -> str:
        return ""

    def close(self) -> None:
        """Nothing held."""


def routine_script(steps):
    """The routine part of a session only: watching, each exercise, no questions."""
    yield Watch(True)
    try:
        for step in steps:
            yield from exercise_steps(step.exercise, step.dose)
    except SessionStopped:
        return Outcome("stopped")
    return Outcome("finished")


def narration_timeline(quick: bool):
    content = load_content()
    routine = content.routines[content.default_routine]
    steps = routine.steps[:3] if quick else routine.steps
    clock = FakeClock()
    speaker = TimelineSpeaker(clock, Pyttsx3Renderer(rate=160))
    coach = Coach(speaker, None, clock)  # type: ignore[arg-type]  (no questions are asked)
    coach.run(routine_script(steps))
    length = int((clock.now() + 2) * RATE)
    holds = [(h.start, h.end) for h in coach.hold_log if h.kind == "hold"]
    return speaker.utterances, length, holds


def spot_offline(audio: np.ndarray, utterances, policy: str) -> list[tuple[float, Heard]]:
    """Feed the stream chunk by chunk, telling the spotter when the coach speaks."""
    spotter = CommandSpotter(SelfHearing(policy))
    pcm = np.clip(audio, -32768, 32767).astype(np.int16).tobytes()
    pending = sorted(utterances, key=lambda u: u[0])
    u = 0
    heard: list[tuple[float, Heard]] = []
    for offset in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        t_end = (offset // 2 + CHUNK) / RATE
        while u < len(pending) and pending[u][0] <= t_end:
            spotter.self_hearing.spoken.append((pending[u][0], pending[u][1], pending[u][2]))
            samples = np.clip(pending[u][3], -32768, 32767).astype(np.int16)
            spotter.self_hearing.played(samples.tobytes(), RATE, pending[u][0])
            u += 1
        result = spotter.feed(pcm[offset:offset + 2 * CHUNK], t_end)
        if result is not None:
            heard.append((t_end + spotter.log[-1].ms / 1000, result))
    return heard


def leak_into_room(utterances, length: int, room: str, rng: np.random.Generator) -> np.ndarray:
    """The microphone while the narration plays: "direct" is the loudspeaker heard exactly
    when it was started; "room" adds a player that starts 0 to PLAYER_JITTER late (by any
    fraction of a sample, as real players do) and the room's delay and reflections."""
    mic = rng.normal(0, HISS, length)
    response = room_response(rng, ROOM_DELAY, ROOM_RT60) if room == "room" else None
    for start, _end, _text, samples in utterances:
        late = rng.uniform(0, PLAYER_JITTER) * RATE if response is not None else 0.0
        echo = late_by(samples, late % 1) if late else samples
        if response is not None:
            echo = np.convolve(echo, response)
        i = int(start * RATE) + int(late)
        mic[i:i + len(echo)] += LEAK * echo[:len(mic) - i]
    return mic


def part_self_hearing(quick: bool, seed: int) -> dict:
    print("Rendering the beginner routine's narration on its schedule...", flush=True)
    utterances, length, holds = narration_timeline(quick)
    minutes = length / RATE / 60
    stops = stop_clips()
    random.seed(seed)
    trials, said = [], np.zeros(length)
    for k, (start, end) in enumerate(holds[: (12 if quick else 60)]):
        clip = stops[(k * 7) % len(stops)]
        at = random.uniform(start + 0.5, max(start + 0.6, end - 1.5))
        samples = resample(clip)
        i = int(at * RATE)
        said[i:i + len(samples)] += samples[: length - i]
        trials.append((at, at + speech_end(clip), clip))
    alone = CommandSpotter(SelfHearing("none"))
    alone_heard = sum(1 for _, _, clip in trials if alone.decoder.decode(
        Clip(resample(clip).astype(np.int16).tobytes(), RATE).pcm).value == "stop")
    results = {"narration_minutes": round(minutes, 1), "utterances": len(utterances),
               "stop_trials": len(trials), "stop_heard_alone": alone_heard, "rooms": {}}
    for room in ROOMS:
        print(f"  room {room}...", flush=True)
        mic = leak_into_room(utterances, length, room, np.random.default_rng(seed))
        policies = results["rooms"][room] = {}
        for policy in SelfHearing.POLICIES:
            false = spot_offline(mic, utterances, policy)
            heard = spot_offline(mic + said, utterances, policy)
            latencies, caught = [], 0
            for at, end, _ in trials:
                hits = [t for t, h in heard if h.value == "stop" and at <= t <= end + 2.0]
                if hits:
                    caught += 1
                    latencies.append(hits[0] - end)
            policies[policy] = {
                "false_commands": len(false),
                "false_per_hour": round(len(false) / minutes * 60, 1),
                "false_examples": sorted({h.text for _, h in false})[:8],
                "stops_heard": caught,
                "latency_median": round(statistics.median(latencies), 3) if latencies else None,
                "latency_p95": round(percentile(latencies, 95), 3) if latencies else None,
            }
    return results


def minimal_hold_steps(seconds: tuple[int, ...]):
    """One short exercise per hold length: no setup talk, two reps each."""
    content = load_content()
    base = content.exercises["childs_pose"]
    exercise = replace(base, setup=(), cautions=(), finish="", reminders=())
    from voicecoach.content.model import RoutineStep

    return [RoutineStep(exercise, Dose(hold=Span(s, s), reps=Span(2, 2), rest=Span(3, 3)))
            for s in seconds]


class _Events:
    """A transcript stream that notes when each event was written (monotonic time)."""

    def __init__(self, on_line=None):
        self.lines: list[tuple[float, dict]] = []
        self.on_line = on_line

    def write(self, text: str) -> None:
        line = json.loads(text)
        self.lines.append((time.monotonic(), line))
        if self.on_line:
            self.on_line(line)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def part_timing(quick: bool) -> dict:
    holds = (5, 10) if quick else (5, 10, 30)
    room = Room(hiss=HISS)
    speaker = RoomSpeaker(room, Pyttsx3Renderer(rate=160), gain=LEAK)
    watcher = VoiceWatcher(room.microphone)
    speaker.observer = watcher  # as wiring.build_io does for the loudspeaker
    clock = MonotonicClock(1.0)
    events = _Events()
    coach = Coach(speaker, None, clock, Transcript(events, clock), watcher)  # type: ignore[arg-type]
    print(f"Running holds of {holds} s at time scale 1 in the virtual room...", flush=True)
    wall = time.monotonic()
    outcome = coach.run(routine_script(minimal_hold_steps(holds)))
    wall = time.monotonic() - wall
    errors: dict[str, list[float]] = {}
    for kind, planned, start, end in coach.hold_log:
        if kind == "hold":
            errors.setdefault(str(int(planned)), []).append(round((end - start) - planned, 4))
    false = [s for s in watcher.spotter.log if s.accepted]
    return {
        "ended": outcome.ended, "wall_seconds": round(wall, 1),
        "hold_error_seconds": errors,
        "max_abs_error": max(abs(e) for v in errors.values() for e in v),
        "false_commands": len(false), "false_texts": [s.text for s in false],
        "listen_cpu_share": round(watcher.cpu_seconds / max(watcher.listened_seconds, 1e-9), 4),
        "phrases_decoded": len(watcher.spotter.log),
    }


def part_stop_latency(trials: int, seed: int) -> dict:
    stops = stop_clips()
    alone = CommandSpotter(SelfHearing("none"))
    usable = [c for c in stops if alone.decoder.decode(
        Clip(resample(c).astype(np.int16).tobytes(), RATE).pcm).value == "stop"]
    random.seed(seed)
    renderer = Pyttsx3Renderer(rate=160)
    steps = minimal_hold_steps((10,))
    steps = [replace(steps[0], dose=Dose(hold=Span(10, 10)))]
    latencies, missed = [], 0
    print(f"{trials} real-time stop trials (clips the decoder hears alone: "
          f"{len(usable)}/{len(stops)})...", flush=True)
    for k in range(trials):
        room = Room(hiss=HISS)
        speaker = RoomSpeaker(room, renderer, gain=LEAK)
        watcher = VoiceWatcher(room.microphone)
        speaker.observer = watcher
        clock = MonotonicClock(1.0)
        clip = usable[(k * 5) % len(usable)]
        spoken: dict[str, float] = {}

        def on_line(line, room=room, clip=clip, spoken=spoken):
            if line["text"] == "hold starts":
                at = room.clock() + random.uniform(1.0, 7.0)
                room.play(clip, at=at)
                spoken["end"] = at + speech_end(clip)

        events = _Events(on_line)
        coach = Coach(speaker, None, clock, Transcript(events, clock), watcher)  # type: ignore[arg-type]
        outcome = coach.run(routine_script(steps))
        cut = [t for t, line in events.lines if line["text"] == "hold interrupted: stop"]
        if outcome.ended == "stopped" and cut and "end" in spoken:
            latencies.append(cut[0] - spoken["end"])
        else:
            missed += 1
    return {"trials": trials, "missed": missed,
            "latency_median": round(statistics.median(latencies), 3) if latencies else None,
            "latency_p95": round(percentile(latencies, 95), 3) if latencies else None,
            "latencies": [round(x, 3) for x in latencies]}


QUICK_LOOKALIKES = ("stopped", "stopwatch", "top", "shop", "spot", "stock", "step", "start",
                   "paws", "pass", "past", "pose", "paid", "hurt", "stuff", "post")


def part_quick(seed: int) -> dict:
    rows = [line.split("\t") for line in (SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    words = [(r[1], read_wav((SPEECH / r[0]).read_bytes())) for r in rows]
    renderer = Pyttsx3Renderer(rate=160)
    words += [(f"espeak {w}", renderer.render(w)) for w in QUICK_LOOKALIKES]
    print(f"Quick urgent commands: {len(words)} words alone in hiss, twice...", flush=True)
    results = {}
    for quick in (False, True):
        rng = np.random.default_rng(seed)
        spotter = CommandSpotter(SelfHearing("none"), quick=quick)
        latencies, stops, false = [], 0, []
        for word, clip in words:
            lead = 0.6
            x = np.concatenate([np.zeros(int(lead * RATE)), resample(clip),
                                np.zeros(RATE * 3 // 2)])
            pcm = np.clip(x + rng.normal(0, HISS, len(x)), -32768, 32767).astype(np.int16).tobytes()
            spotter.reset()
            heard = []
            for offset in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK):
                t_end = (offset // 2 + CHUNK) / RATE
                if (h := spotter.feed(pcm[offset:offset + 2 * CHUNK], t_end)) is not None:
                    heard.append((t_end + spotter.log[-1].ms / 1000, h.value))
            if word == "stop":
                stops += 1
                if heard and heard[0][1] == "stop":
                    latencies.append(heard[0][0] - lead - speech_end(clip))
            else:
                false += [f"{word}->{v}" for _, v in heard if v in COMMAND_QUICK]
        results["quick" if quick else "at phrase end"] = {
            "stops": stops, "stops_heard": len(latencies),
            "latency_median": round(statistics.median(latencies), 3),
            "latency_p95": round(percentile(latencies, 95), 3),
            "latency_max": round(max(latencies), 3),
            "other_words": len(words) - stops, "urgent_false": len(false),
            "stop_false": sum(1 for f in false if f.endswith("->stop")),
            "false_examples": sorted(set(false))}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer exercises and trials")
    parser.add_argument("--trials", type=int, default=None, help="real-time stop trials")
    parser.add_argument("--only", choices=("self", "timing", "stop", "quick"),
                        help="run one part")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    trials = args.trials or (5 if args.quick else 15)
    results: dict = {}
    if args.only in (None, "self"):
        if not SPEECH.is_dir():
            sys.exit(f"{SPEECH} is absent: the real stop clips are needed")
        results["self_hearing"] = r = part_self_hearing(args.quick, args.seed)
        print(f"\nSelf-hearing: {r['narration_minutes']} min of narration "
              f"({r['utterances']} utterances) leaking at gain {LEAK}; {r['stop_trials']} real "
              f"'stop' clips spoken inside holds ({r['stop_heard_alone']} heard when alone)")
        print(f"{'room':7} {'policy':8} {'false':>6} {'per hour':>9} {'stops heard':>12} "
              f"{'lat med':>8} {'lat p95':>8}  false texts")
        for room, policies in r["rooms"].items():
            for name, p in policies.items():
                print(f"{room:7} {name:8} {p['false_commands']:6d} {p['false_per_hour']:9.1f} "
                      f"{p['stops_heard']:5d}/{r['stop_trials']:<6d} "
                      f"{p['latency_median']!s:>8} {p['latency_p95']!s:>8}  "
                      f"{', '.join(p['false_examples'])}")
    if args.only in (None, "timing"):
        results["timing"] = r = part_timing(args.quick)
        print(f"\nHold timing at time scale 1 ({r['wall_seconds']} s, ended {r['ended']}):")
        for planned, errors in r["hold_error_seconds"].items():
            print(f"  {planned:>3} s holds: errors {errors} s")
        print(f"  largest error {r['max_abs_error']:.4f} s; false commands "
              f"{r['false_commands']} {r['false_texts']}; {r['phrases_decoded']} phrases "
              f"decoded; listening thread CPU {100 * r['listen_cpu_share']:.1f}% of one core")
    if args.only in (None, "stop"):
        results["stop"] = r = part_stop_latency(trials, args.seed)
        print(f"\nStop, spoken mid-hold, to counting stopped: median {r['latency_median']} s, "
              f"p95 {r['latency_p95']} s, missed {r['missed']}/{r['trials']}")
    if args.only in (None, "quick"):
        results["quick"] = r = part_quick(args.seed)
        for name, q in r.items():
            print(f"  {name:14} stops heard {q['stops_heard']}/{q['stops']}, word end to "
                  f"verdict median {q['latency_median']} s, p95 {q['latency_p95']} s, max "
                  f"{q['latency_max']} s; other words taken for an urgent command "
                  f"{q['urgent_false']}/{q['other_words']} (for stop {q['stop_false']}): "
                  f"{', '.join(q['false_examples'])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
