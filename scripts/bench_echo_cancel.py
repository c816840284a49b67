"""Measure echo cancellation by the sound server for barge-in: "stop" said over the counting.

On virtual audio devices (voicecoach/virtual_audio.py), the loudspeaker leaks into the
microphone (a PulseAudio loopback at 79% volume, 30 ms late), and PulseAudio's
module-echo-cancel (WebRTC, gain control off) makes an echo-cancelled microphone. A counted
hold ("Hold. One. ... Ten. And relax.") is played N times, with a real recorded "stop" spoken
into the room part-way through each. Both microphones are recorded and run through the live
command spotter with no self-hearing protection. Reported: the echo left (dB under the raw
microphone, measured while the coach alone speaks), stops recognized, other commands.

    python scripts/bench_echo_cancel.py [--trials 5]
Needs: ./scripts/setup --test.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach.audio import Clip, frame_levels  # noqa: E402
from voicecoach.speakers import Pyttsx3Renderer  # noqa: E402
from voicecoach.spoken_session import answer_recordings  # noqa: E402
from voicecoach.virtual_audio import VirtualAudio  # noqa: E402
from voicecoach.watchers import CHUNK, CommandSpotter, SelfHearing  # noqa: E402

SPEECH = ROOT.parent / "shared" / "speech"


def spotted(clip: Clip) -> list[str | None]:
    spotter = CommandSpotter(SelfHearing("none"))
    for i in range(0, len(clip.pcm), 2 * CHUNK):
        spotter.feed(clip.pcm[i:i + 2 * CHUNK], (i // 2 + CHUNK) / clip.rate)
    return [s.command for s in spotter.log if s.accepted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voicecoach-aec-") as tmp:
        base = Path(tmp)
        count = Pyttsx3Renderer().render("Hold. One. Two. Three. Four. Five. Six. Seven. "
                                         "Eight. Nine. Ten. And relax.")
        (base / "count.wav").write_bytes(count.to_wav())
        stops = answer_recordings(SPEECH, "stop", "command", args.trials, base)
        with VirtualAudio(base / "pulse") as audio:
            audio.pactl("load-module", "module-echo-cancel", "source_master=mic",
                        "sink_master=speaker", "source_name=mic_ec", "sink_name=speaker_ec",
                        "aec_method=webrtc", "use_master_format=1",
                        'aec_args="analog_gain_control=0 digital_gain_control=0"')
            audio.pactl("load-module", "module-loopback", "source=speaker.monitor",
                        "sink=micfeed", "latency_msec=30")
            for line in audio.pactl("list", "short", "sink-inputs").stdout.splitlines():
                if "loopback" in line:
                    audio.pactl("set-sink-input-volume", line.split()[0], "79%")
            time.sleep(1)
            raw, cancelled = audio.record("mic"), audio.record("mic_ec")
            # the coach alone, to measure the echo left
            subprocess.run(["paplay", "-d", "speaker_ec", str(base / "count.wav")],
                           env=audio.env, check=True)
            alone_end = time.monotonic()
            for k, stop in enumerate(stops):
                player = subprocess.Popen(["paplay", "-d", "speaker_ec",
                                           str(base / "count.wav")], env=audio.env)
                time.sleep(1.5 + 0.6 * k)
                audio.say_into_microphone(stop)
                player.wait()
                time.sleep(1.0)
            raw_clip, ec_clip = raw.stop(), cancelled.stop()
    cut = round((alone_end - raw.time_of(0)) * 16000) * 2
    echo = [math.sqrt(sum(x * x for x in frame_levels(c.pcm[:cut], 16000)) + 1)
            for c in (raw_clip, ec_clip)]
    print(f"echo left by the canceller: {20 * math.log10(echo[1] / echo[0]):.1f} dB")
    for name, clip in (("raw microphone", raw_clip), ("echo-cancelled", ec_clip)):
        heard = spotted(Clip(clip.pcm[cut:], 16000))
        print(f"{name:>15}: stops heard {heard.count('stop')}/{len(stops)}, "
              f"other commands {len(heard) - heard.count('stop')} {heard}")


if __name__ == "__main__":
    main()
