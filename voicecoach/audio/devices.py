"""The sound devices PortAudio sees: one listing for the microphone listener and check-audio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.audio.quiet import quiet_stderr
from voicecoach.errors import AudioInputError


@dataclass
class Device:
    """One PortAudio device."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False


def list_devices() -> list[Device]:
    """Every PortAudio device; AudioInputError when PortAudio (PyAudio) is not installed."""
    try:
        import pyaudio
    except ImportError:
        raise AudioInputError(
            "microphone support is not installed (PyAudio); run ./scripts/setup"
        ) from None
    with quiet_stderr():  # PortAudio's probing makes ALSA and JACK print pages of chatter
        audio = pyaudio.PyAudio()
        try:
            default_in = _default(audio.get_default_input_device_info)
            default_out = _default(audio.get_default_output_device_info)
            devices = []
            for i in range(audio.get_device_count()):
                info = audio.get_device_info_by_index(i)
                devices.append(Device(
                    i, str(info.get("name")), int(info.get("maxInputChannels", 0)),
                    int(info.get("maxOutputChannels", 0)),
                    float(info.get("defaultSampleRate", 0)), i == default_in, i == default_out))
        finally:
            audio.terminate()
    return devices


def _default(lookup: Callable[[], dict[str, object]]) -> int | None:
    try:
        return int(lookup()["index"])  # type: ignore[call-overload]
    except (OSError, KeyError, TypeError, ValueError):
        return None
