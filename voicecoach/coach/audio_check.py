"""`voicecoach check-audio`: are the loudspeaker and the microphone usable, and if not, why.

The measuring and the advice are pure (`analyse`, `diagnose`); `run_check` does the I/O: it
lists the devices, speaks a test phrase, records a few seconds and decodes them with the very
path a session's answers take.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from voicecoach.audio.deadline import Stalled, within
from voicecoach.audio.devices import PORTAUDIO_FIX, Device, InputStream, list_devices
from voicecoach.audio.wav import Clip, frame_levels, high_band_db
from voicecoach.errors import AudioInputError, VoicecoachError
from voicecoach.hearing.recognizer import SAMPLE_RATE
from voicecoach.hearing.tuning import ENERGY_FLOOR, TELEPHONE_BAND_DB

if TYPE_CHECKING:
    from voicecoach.audio.audio_speaker import AudioSpeaker

TEST_PHRASE = ("This is voicecoach, checking the loudspeaker and the microphone. "
               "After the tone, please say yes.")
CLIPPED_SHARE = 0.001  # more than 0.1% of samples at full scale: the input gain is too high
FULL_SCALE = 32767


@dataclass
class Levels:
    """How loud a recording was, in dB relative to full scale (0 is the loudest possible)."""

    seconds: float
    peak_dbfs: float  # the loudest 30 ms
    floor_dbfs: float  # the quietest tenth of 30 ms windows: the room and the microphone's hiss
    clipped_share: float  # samples at full scale
    speech: bool  # something as loud as speech (the listener's energy threshold)
    high_band_db: float = 0.0  # share of the power above 4.2 kHz: none at 8 kHz


@dataclass
class Problem:
    """What is wrong, and what to do about it, in plain words."""

    what: str
    fix: str


@dataclass
class Report:
    """Everything check-audio found."""

    portaudio: bool = False
    devices: list[Device] = field(default_factory=list)
    player: str | None = None
    spoke: bool = False
    levels: Levels | None = None
    heard: str | None = None  # the answer understood ("yes" expected)
    heard_text: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ok": self.ok}


def dbfs(rms: float) -> float:
    return round(20 * math.log10(max(rms, 1.0) / FULL_SCALE), 1)


def analyse(clip: Clip) -> Levels:
    """Levels of a 16-bit mono recording."""
    levels = sorted(frame_levels(clip.pcm, clip.rate)) or [0.0]
    samples = memoryview(clip.pcm).cast("h") if len(clip.pcm) % 2 == 0 else memoryview(b"")
    clipped = sum(1 for s in samples if s >= FULL_SCALE or s <= -FULL_SCALE)
    return Levels(
        seconds=round(clip.seconds, 2),
        peak_dbfs=dbfs(levels[-1]),
        floor_dbfs=dbfs(levels[len(levels) // 10]),
        clipped_share=round(clipped / max(1, len(samples)), 5),
        speech=levels[-1] >= ENERGY_FLOOR,
        high_band_db=high_band_db(clip.pcm, clip.rate),
    )


def diagnose(levels: Levels, heard: str | None, heard_text: str) -> list[Problem]:
    """What the recording says about the microphone."""
    problems = []
    if not levels.speech:
        problems.append(Problem(
            f"the microphone heard nothing louder than {levels.peak_dbfs} dBFS: silence",
            "check that the microphone is plugged in and not muted (alsamixer: F4 shows capture "
            "controls, M unmutes; or pavucontrol, Input Devices), that it is the device in use "
            "(--mic-device, see the list above), and speak after the tone"))
        return problems
    if levels.clipped_share > CLIPPED_SHARE:
        problems.append(Problem(
            f"the sound was clipped ({levels.clipped_share:.1%} of samples at full scale)",
            "lower the microphone's input gain (alsamixer, F4) or sit further from it"))
    if levels.floor_dbfs > levels.peak_dbfs - 15:
        problems.append(Problem(
            f"the room is loud next to the voice (noise {levels.floor_dbfs} dBFS, voice "
            f"{levels.peak_dbfs} dBFS)",
            "turn off music or the television, move the microphone nearer, or away from a fan"))
    if levels.high_band_db < TELEPHONE_BAND_DB:
        problems.append(Problem(
            "the microphone records nothing above 4 kHz, as an 8 kHz one does (a Bluetooth "
            "headset in call mode, a telephone line); numbers are heard right less often",
            "use a USB microphone or speakerphone, or a headset set to wideband (16 kHz)"))
    if heard != "yes":
        said = f'"{heard_text}"' if heard_text else "nothing I could make out"
        problems.append(Problem(
            f'I heard {said}, not "yes"',
            "if you said yes, speak a little closer and more slowly; if this keeps happening, "
            "use --text, or the keyboard during a session"))
    return problems


class DeviceError(Exception):
    """A PortAudio problem, already put in plain words."""

    def __init__(self, problem: Problem):
        super().__init__(problem.what)
        self.problem = problem


def portaudio_problem(exc: BaseException) -> Problem:
    """PortAudio's error, in plain words with a fix."""
    text = str(exc)
    if "Permission" in text or getattr(exc, "errno", None) == 13:
        return Problem(f"no permission to use the microphone ({text})",
                       "add yourself to the audio group (sudo usermod -aG audio $USER), "
                       "then log out and in again")
    if "Unanticipated host error" in text or "Device unavailable" in text or "busy" in text:
        return Problem(f"the microphone is busy or unavailable ({text})",
                       "close other programs that record sound, or choose another device "
                       "with --mic-device")
    if "Invalid sample rate" in text:
        return Problem(f"the microphone cannot record at 16 kHz ({text})",
                       "use PulseAudio or PipeWire (which convert rates), or another device")
    return Problem(f"the microphone could not be opened ({text})",
                   "check that it is plugged in (arecord -l lists it), or choose another "
                   "device with --mic-device")


def record(device: int | None, seconds: float, timeout: float) -> Clip:
    """`seconds` of 16 kHz mono from the microphone; DeviceError if it cannot, or stalls."""

    def capture() -> Clip:
        stream = InputStream(device, SAMPLE_RATE, 1024)
        try:
            chunks = [stream.read(1024) for _ in range(int(seconds * SAMPLE_RATE / 1024))]
        finally:
            stream.close()
        return Clip(b"".join(chunks), SAMPLE_RATE)

    try:
        return within(timeout, capture, "voicecoach-check")
    except Stalled:
        raise DeviceError(Problem(
            f"the microphone gave no sound for {timeout:.0f} seconds: it has stalled",
            "unplug it and plug it in again, or restart the sound server "
            "(systemctl --user restart pulseaudio, or pipewire)")) from None
    except Exception as exc:  # PortAudio raises OSError, ValueError...
        raise DeviceError(portaudio_problem(exc)) from None


def run_check(*, mic_device: int | None, seconds: float,
              make_speaker: Callable[[], AudioSpeaker], say: Callable[[str], None]) -> Report:
    """Check output, then input; `say` prints progress (and is read by tests to know when to
    speak). Problems are collected, never raised."""
    from voicecoach.hearing.listeners import hear_wav

    report = Report()
    try:
        report.devices = list_devices()
        report.portaudio = True
    except AudioInputError as exc:
        report.problems.append(Problem(str(exc), f"{PORTAUDIO_FIX}; then pip install "
                                                 "sounddevice if it is missing"))

    speaker: AudioSpeaker | None = None
    try:
        speaker = make_speaker()
    except VoicecoachError as exc:
        report.problems.append(Problem(f"speech cannot be made: {exc}",
                                       "install espeak-ng (apt-get install espeak-ng)"))
    if speaker is not None:
        report.player = " ".join(speaker.player) if speaker.player else None
        speaker.say(TEST_PHRASE)
        report.spoke = speaker.audio_ok
        if not speaker.audio_ok:
            report.problems.append(Problem(
                f"no sound could be played ({speaker.problem})",
                "check that the loudspeaker is connected, switched on and not muted "
                "(alsamixer, M unmutes); aplay -l should list a sound card, and with "
                "PulseAudio or PipeWire, pactl info should answer"))

    inputs = [d.index for d in report.devices if d.inputs > 0]
    if report.portaudio and not inputs:
        report.problems.append(Problem(
            "no microphone was found",
            "plug in a USB microphone or headset and run this again (arecord -l lists "
            "microphones); until then, use voicecoach start --text"))
    elif report.portaudio and mic_device is not None and mic_device not in inputs:
        report.problems.append(Problem(
            f"device {mic_device} is not a microphone",
            f"choose one of the input devices: {', '.join(map(str, inputs))}"))
    elif report.portaudio:
        if speaker is not None and report.spoke:
            speaker.cue("listen")
        say(f"Recording for {seconds:g} seconds: say yes now.")
        try:
            clip = record(mic_device, seconds, timeout=seconds + 5)
        except DeviceError as exc:
            report.problems.append(exc.problem)
        else:
            report.levels = analyse(clip)
            decoded = hear_wav(clip.to_wav(), "answer")
            report.heard, report.heard_text = decoded.value, decoded.text
            report.problems += diagnose(report.levels, report.heard, report.heard_text)

    verdict = ["All good: I could speak, and I heard you say yes."] if report.ok else [
        f"I found {len(report.problems)} problem{'s' if len(report.problems) > 1 else ''}."]
    verdict += [f"Problem: {p.what}. What to do: {p.fix}." for p in report.problems]
    for line in verdict:
        if speaker is not None and report.spoke:
            speaker.say(line)  # it is printed too
        else:
            say(line)
    return report


def report_lines(report: Report) -> list[str]:
    """The findings as plain lines of text, for the screen (and a screen reader)."""
    lines = ["Devices:" if report.devices else "Devices: none found."]
    for d in report.devices:
        roles = [r for r, on in (("default input", d.default_input),
                                 ("default output", d.default_output)) if on]
        extra = f" ({', '.join(roles)})" if roles else ""
        lines.append(f"  {d.index}: {d.name}{extra}: {d.inputs} inputs, {d.outputs} outputs, "
                     f"{d.default_rate:g} Hz")
    lines.append(f"Player: {report.player or 'none found'}; speech played: "
                 f"{'yes' if report.spoke else 'no'}.")
    if report.levels is not None:
        lv = report.levels
        lines.append(f"Recorded {lv.seconds:g} s: loudest {lv.peak_dbfs} dBFS, room "
                     f"{lv.floor_dbfs} dBFS, clipped {lv.clipped_share:.2%}, above 4 kHz "
                     f"{lv.high_band_db} dB.")
        lines.append(f"Heard: {report.heard_text or 'nothing'}"
                     f" (understood as {report.heard or 'nothing'}).")
    lines.append("Result: all good." if report.ok else
                 f"Result: {len(report.problems)} problem(s), listed above.")
    return lines
