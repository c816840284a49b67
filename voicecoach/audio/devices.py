"""The sound devices PortAudio sees, and a 16-bit mono input stream on one of them.

Through `sounddevice` (a pure-Python wheel over the system's libportaudio2, so a plain
`pip install voicecoach` hears with nothing compiled), else through PyAudio where only that is
installed. One listing serves the microphone listener and check-audio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voicecoach.audio.quiet import quiet_stderr
from voicecoach.errors import AudioInputError

PORTAUDIO_FIX = "sudo apt-get install libportaudio2"


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


_open_streams = 0  # PortAudio is re-initialised (to see new devices) only when this is 0


def _sounddevice() -> object | None:
    """The sounddevice module, PortAudio freshly initialised when no stream is open (so a
    microphone plugged in since is seen); None when it is not installed; AudioInputError
    when the library under it, libportaudio2, is missing."""
    try:
        import sounddevice
    except ImportError:
        return None
    except OSError:  # the module is there, the C library is not
        raise AudioInputError(f"PortAudio is not installed: {PORTAUDIO_FIX}") from None
    if _open_streams == 0:
        with quiet_stderr():  # PortAudio's probing makes ALSA and JACK print pages of chatter
            sounddevice._terminate()
            sounddevice._initialize()
    return sounddevice


def list_devices() -> list[Device]:
    """Every PortAudio device; AudioInputError when PortAudio is missing."""
    sd = _sounddevice()
    if sd is None:
        return _pyaudio_devices()
    with quiet_stderr():
        found = sd.query_devices()  # type: ignore[attr-defined]
        default_in, default_out = sd.default.device  # type: ignore[attr-defined]
    return [Device(i, str(d["name"]), int(d["max_input_channels"]),
                   int(d["max_output_channels"]), float(d["default_samplerate"]),
                   i == default_in, i == default_out) for i, d in enumerate(found)]


def _pyaudio_devices() -> list[Device]:
    try:
        import pyaudio
    except ImportError:
        raise AudioInputError(
            f"microphone support is not installed: pip install sounddevice, and {PORTAUDIO_FIX}"
        ) from None
    with quiet_stderr():
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


class InputStream:
    """16-bit mono input at `rate`: read(frames) gives that many frames as bytes, waiting for
    them (overflows are not errors: a late reader loses audio, it does not crash)."""

    def __init__(self, device: int | None, rate: int, frames_per_read: int):
        global _open_streams
        sd = _sounddevice()
        self._pyaudio = None
        self._closed = False
        if sd is not None:
            try:
                with quiet_stderr():
                    # low latency, as PyAudio opens it: each read comes back close to when
                    # its audio was recorded, which the echo canceller's timing relies on
                    self._stream = sd.RawInputStream(  # type: ignore[attr-defined]
                        samplerate=rate, channels=1, dtype="int16", device=device,
                        blocksize=frames_per_read, latency="low")
                    self._stream.start()
            except (sd.PortAudioError, ValueError) as exc:  # type: ignore[attr-defined]
                raise OSError(str(exc)) from None  # as PyAudio reports it
            _open_streams += 1
            return
        import pyaudio  # only PyAudio is installed: the old way

        with quiet_stderr():
            self._pyaudio = pyaudio.PyAudio()
            self._stream = self._pyaudio.open(
                format=pyaudio.paInt16, channels=1, rate=rate, input=True,
                input_device_index=device, frames_per_buffer=frames_per_read)

    def read(self, frames: int) -> bytes:
        if self._pyaudio is not None:
            return self._stream.read(frames, exception_on_overflow=False)
        try:
            data, _overflowed = self._stream.read(frames)
        except Exception as exc:  # sounddevice.PortAudioError: the device went away
            raise OSError(str(exc)) from None
        return bytes(data)

    def close(self) -> None:
        global _open_streams
        if self._closed:
            return
        self._closed = True
        if self._pyaudio is None:
            _open_streams -= 1
        try:
            if self._pyaudio is not None:
                self._stream.stop_stream()
                self._stream.close()
                self._pyaudio.terminate()
            else:
                self._stream.stop()
                self._stream.close()
        except Exception:  # a device that vanished cannot be closed cleanly; it is gone
            pass
