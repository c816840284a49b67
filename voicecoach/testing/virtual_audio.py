"""Virtual audio devices: a private PulseAudio server with a loudspeaker and a microphone.

For end-to-end tests and benchmarks on machines with no sound card. The server runs as an
ordinary process in a folder of its own; programs started with `env` play into the null sink
"speaker" (recorded from its monitor) and record from the source "mic", which hears whatever
is played into the sink "micfeed". PortAudio reaches it through ALSA's pulse plugin.

Needs Debian's pulseaudio, pulseaudio-utils and libasound2-plugins (`scripts/setup --test`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from voicecoach.audio.wav import Clip, read_wav
from voicecoach.errors import VoicecoachError

RATE = 16000  # recordings are made at the decoder's rate
SPEAKER, MIC_FEED, MIC = "speaker", "micfeed", "mic"
TOOLS = ("pulseaudio", "pactl", "paplay", "parec")


class VirtualAudioError(VoicecoachError):
    """The virtual sound server could not be started or used."""


def missing_tools() -> list[str]:
    """The PulseAudio programs this needs and the machine does not have."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class Recording:
    """What a PulseAudio source delivers, read on a thread, with each sample's monotonic time."""

    def __init__(self, env: dict[str, str], source: str):
        self.source = source
        self._data = bytearray()
        self._lock = threading.Lock()
        self.origin: float | None = None  # monotonic time of the first sample
        self._process = subprocess.Popen(
            ["parec", "-d", source, "--raw", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=10"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._thread = threading.Thread(target=self._read, name=f"parec-{source}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        while chunk := stream.read1(3200):
            now = time.monotonic()
            with self._lock:
                if self.origin is None:
                    self.origin = now - len(chunk) / 2 / RATE
                self._data.extend(chunk)

    def pcm(self) -> bytes:
        with self._lock:
            return bytes(self._data[: len(self._data) // 2 * 2])

    def between(self, start: float, end: float) -> bytes:
        """What was recorded from monotonic time `start` to `end`."""
        pcm = self.pcm()
        first, last = (max(0, round((t - self.time_of(0)) * RATE)) for t in (start, end))
        return pcm[2 * first: 2 * last]

    def time_of(self, sample: int) -> float:
        """The monotonic time at which sample number `sample` was heard."""
        if self.origin is None:
            raise VirtualAudioError(f"nothing was recorded from {self.source}")
        return self.origin + sample / RATE

    def stop(self) -> Clip:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._thread.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        return Clip(self.pcm(), RATE)


class VirtualAudio:
    """A PulseAudio server of our own; use as a context manager."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._process: subprocess.Popen[bytes] | None = None
        self._drains: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(folder),
            "PULSE_RUNTIME_PATH": str(folder / "pulse"),
            "PULSE_SERVER": f"unix:{folder / 'pulse' / 'native'}",
            "PULSE_STATE_PATH": str(folder / "state"),
            "PULSE_CONFIG_PATH": str(folder / "config"),
            "HOME": str(folder),
        }

    def __enter__(self) -> VirtualAudio:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        if missing := missing_tools():
            raise VirtualAudioError(
                f"virtual audio needs {', '.join(missing)}: run ./scripts/setup --test "
                "(apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # PulseAudio refuses a runtime folder others can enter
        self._log = (self.folder / "pulseaudio.log").open("wb")
        self._process = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disable-shm=yes", "--load=module-native-protocol-unix",
             f"--load=module-null-sink sink_name={SPEAKER}",
             f"--load=module-null-sink sink_name={MIC_FEED}",
             f"--load=module-remap-source source_name={MIC} master={MIC_FEED}.monitor",
             "--load=module-always-sink"],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while self.pactl("info", check=False).returncode != 0:
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "pulseaudio.log").read_text(errors="replace")[-500:]
                self.stop()
                raise VirtualAudioError(f"the PulseAudio server did not start: {log}")
            time.sleep(0.05)
        self.pactl("set-default-sink", SPEAKER)
        self.pactl("set-default-source", MIC)
        # A null sink nobody listens to at low latency runs in 2 s blocks, so a player waits
        # up to 2 s for its sound to "drain"; a real sound card does not. Low-latency readers
        # on both monitors make the sinks keep time like one.
        self._drains = [
            subprocess.Popen(["parec", "-d", f"{sink}.monitor", "--raw", "--latency-msec=10"],
                             env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for sink in (SPEAKER, MIC_FEED)
        ]

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                                timeout=10)
        if check and result.returncode != 0:
            raise VirtualAudioError(f"pactl {' '.join(args)}: {result.stderr.strip()}")
        return result

    def record(self, source: str = f"{SPEAKER}.monitor") -> Recording:
        """Start recording a source (by default, everything played to the loudspeaker)."""
        return Recording(self.env, source)

    def leak_into_microphone(self, volume: str = "79%", latency_ms: int = 30) -> None:
        """Let the loudspeaker be heard by the microphone, as in a room (a loopback)."""
        self.pactl("load-module", "module-loopback", f"source={SPEAKER}.monitor",
                   f"sink={MIC_FEED}", f"latency_msec={latency_ms}")
        for line in self.pactl("list", "short", "sink-inputs").stdout.splitlines():
            if "loopback" in line:
                self.pactl("set-sink-input-volume", line.split()[0], volume)

    def say_into_microphone(self, wav: Path) -> None:
        """Play a WAV file into the virtual microphone, returning when it has been played."""
        seconds = read_wav(wav.read_bytes()).seconds
        subprocess.run(["paplay", "-d", MIC_FEED, str(wav)], env=self.env, check=True,
                       timeout=seconds + 30, capture_output=True)

    def stop(self) -> None:
        for drain in self._drains:
            drain.terminate()
            drain.wait()
        self._drains = []
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
            self._log.close()
