"""Measure barge-in on real sound devices: "stop" said over the coach's counting.

On virtual audio devices (voicecoach/testing/virtual_audio.py), the loudspeaker leaks into the
microphone (a PulseAudio loopback at 79% volume, 30 ms late). The coach first reads a few
sentences (as a routine's introduction does), then counts a hold N times, one `paplay` per
utterance a second apart ("Hold.", "One.", ... "Ten.", "And relax."), as the real speaker
does; a real recorded "stop" is spoken into the room part-way through each hold. The
microphone is recorded with each sample's time, and so is each player's start.

Compared, on the same recording, through the live command spotter: no protection ("none"),
listening only in the gaps ("gaps", the old default), voicecoach's own echo canceller fed with
what was played and when ("cancel", voicecoach/hearing/echo.py), and PulseAudio's WebRTC canceller
(module-echo-cancel, measured with no protection). Reported per method: stops heard, other
commands (false), and the echo left while the coach alone speaks.

    python scripts/bench_echo_cancel.py [--trials 8]
Needs: ./scripts/setup --test.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.audio.rendering import Pyttsx3Renderer  # noqa: E402
from voicecoach.audio.wav import Clip, read_wav  # noqa: E402
from voicecoach.hearing.echo import EchoCanceller  # noqa: E402
from voicecoach.hearing.endpointer import CHUNK  # noqa: E402
from voicecoach.hearing.spotting import CommandSpotter, SelfHearing  # noqa: E402
from voicecoach.testing.spoken_session import answer_recordings  # noqa: E402
from voicecoach.testing.virtual_audio import Recording, VirtualAudio  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"
RATE = 16000
INTRO = ("Pelvic tilt. Lie on your back on the mat. Bend your knees and put both feet flat on "
         "the floor. Let your arms rest by your sides.",
         "Rep one of ten. Draw your belly in and press the small of your back into the floor.")
COUNT = ("Hold.", "One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.",
         "Nine.", "Ten.", "And relax.")


def spot(recording: Recording, clip: Clip, policy: str,
         played: list[tuple[Clip, float, float, str]]) -> list[tuple[float, str | None]]:
    """Run the recorded microphone through the spotter as the live watcher would."""
    spotter = CommandSpotter(SelfHearing(policy))
    pending = sorted(played, key=lambda p: p[1])
    heard = []
    for i in range(0, len(clip.pcm) - 2 * CHUNK + 1, 2 * CHUNK):
        t_end = recording.time_of(i // 2 + CHUNK)
        while pending and pending[0][1] <= t_end:
            sound, start, end, text = pending.pop(0)
            spotter.self_hearing.played(sound.pcm, sound.rate, start)
            spotter.self_hearing.spoken.append((start, end, text))
        if spotter.feed(clip.pcm[i:i + 2 * CHUNK], t_end) is not None:
            heard.append((t_end, spotter.log[-1].command))
    return heard


def play(audio: VirtualAudio, sink: str, wav: Path, clip: Clip, text: str,
         played: list[tuple[Clip, float, float, str]]) -> None:
    """One utterance, as AudioSpeaker plays it: the start noted just before the player runs."""
    start = time.monotonic()
    subprocess.run(["paplay", "-d", sink, str(wav)], env=audio.env, check=True)
    played.append((clip, start, time.monotonic(), text))


def run_holds(audio: VirtualAudio, sink: str, source: str, lines: dict, stops: list[Path]):
    """The coach alone, then the counted holds with a stop in each, recorded from `source`."""
    recording = audio.record(source)
    while recording.origin is None:
        time.sleep(0.05)
    time.sleep(1)
    played: list[tuple[Clip, float, float, str]] = []
    for text in INTRO + COUNT:  # the coach alone
        play(audio, sink, *lines[text], text, played)
        time.sleep(0.4)
    alone = (played[0][1], time.monotonic())
    said = []
    for stop in stops:
        at = random.uniform(2.0, 8.0)
        speaker_start = time.monotonic()
        voice = subprocess.Popen(
            ["sh", "-c", f"sleep {at:.3f}; paplay -d micfeed {stop}"], env=audio.env)
        for text in COUNT:
            play(audio, sink, *lines[text], text, played)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - played[-1][1])))
        voice.wait()
        length = read_wav(stop.read_bytes()).seconds
        said.append((speaker_start + at, speaker_start + at + length))
        time.sleep(1.0)
    return recording, recording.stop(), played, said, alone


def level(clip: Clip, recording: Recording, start: float, end: float) -> float:
    first, last = (round((t - recording.time_of(0)) * RATE) for t in (start, end))
    x = np.frombuffer(clip.pcm, np.int16)[max(0, first):last].astype(float)
    return math.sqrt(float(np.mean(x ** 2)) + 1.0)


def echo_left(recording: Recording, clip: Clip, played, alone) -> float:
    """dB of echo left by voicecoach's canceller in the second half of the coach alone."""
    canceller = EchoCanceller()
    pending = sorted(played, key=lambda p: p[1])
    first = round((alone[0] - recording.time_of(0)) * RATE)
    last = round((alone[1] - recording.time_of(0)) * RATE)
    out = []
    for i in range(first, last - CHUNK, CHUNK):
        t_end = recording.time_of(i + CHUNK)
        while pending and pending[0][1] <= t_end:  # told as each sound starts, as live
            sound, start, _end, _text = pending.pop(0)
            canceller.play(sound.pcm, sound.rate, start)
        out.append(canceller.process(clip.pcm[2 * i:2 * (i + CHUNK)], t_end).pcm)
    ours = np.frombuffer(b"".join(out), np.int16).astype(float)
    mid = len(ours) // 2  # after the canceller has had the first half to learn the room
    raw = np.frombuffer(clip.pcm, np.int16)[first + mid:first + len(ours)].astype(float)
    return 10 * math.log10((float(np.mean(ours[mid:] ** 2)) + 1) / (float(np.mean(raw ** 2)) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    renderer = Pyttsx3Renderer()
    with tempfile.TemporaryDirectory(prefix="voicecoach-aec-") as tmp:
        base = Path(tmp)
        lines = {}
        for k, text in enumerate(INTRO + COUNT):
            clip = renderer.render(text)
            (base / f"{k}.wav").write_bytes(clip.to_wav())
            lines[text] = (base / f"{k}.wav", clip)
        stops = answer_recordings(SPEECH, "stop", "command", args.trials, base)
        with VirtualAudio(base / "pulse") as audio:
            audio.leak_into_microphone("79%", 30)
            print("Playing to the loudspeaker directly...", flush=True)
            plain = run_holds(audio, "speaker", "mic", lines, stops)
            audio.pactl("load-module", "module-echo-cancel", "source_master=mic",
                        "sink_master=speaker", "source_name=mic_ec", "sink_name=speaker_ec",
                        "aec_method=webrtc", "use_master_format=1",
                        'aec_args="analog_gain_control=0 digital_gain_control=0"')
            print("Playing through PulseAudio's echo canceller...", flush=True)
            server = run_holds(audio, "speaker_ec", "mic_ec", lines, stops)

    def count(heard, said) -> tuple[int, int]:
        stops_heard = sum(1 for a, b in said if any(a <= t <= b + 1.5 and c == "stop"
                                                    for t, c in heard))
        false = sum(1 for t, _ in heard if not any(a <= t <= b + 1.5 for a, b in said))
        return stops_heard, false

    print(f"\n{len(stops)} holds counted with a real 'stop' said part-way through; the "
          "loudspeaker leaks into the microphone at 79%, 30 ms late\n")
    print(f"{'method':34} {'stops heard':>12} {'false':>6}")
    for name, run, policy in (("raw microphone, no protection", plain, "none"),
                              ("raw microphone, gaps", plain, "gaps"),
                              ("voicecoach's canceller (cancel)", plain, "cancel"),
                              ("PulseAudio WebRTC canceller", server, "none")):
        recording, clip, played, said, _alone = run
        caught, false = count(spot(recording, clip, policy, played), said)
        print(f"{name:34} {caught:5d}/{len(stops):<6d} {false:6d}")
    recording, clip, played, _said, alone = plain
    print(f"\necho left while the coach alone speaks: voicecoach "
          f"{echo_left(recording, clip, played, alone):.1f} dB (second half)")


if __name__ == "__main__":
    main()
