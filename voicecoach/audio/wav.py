"""Small WAV helpers: read, write, tones and silence, with no audio libraries."""

from __future__ import annotations

import io
import math
import random
import wave
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit PCM audio."""

    pcm: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate

    def to_wav(self) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.pcm)
        return buffer.getvalue()

    def scaled(self, volume: float) -> Clip:
        """The clip at `volume` (0..1) of its level."""
        if volume >= 1.0:
            return self
        samples = array("h", self.pcm)
        return Clip(array("h", (int(s * volume) for s in samples)).tobytes(), self.rate)


def read_wav(data: bytes) -> Clip:
    """Parse mono or stereo 16-bit WAV bytes (stereo is mixed down)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit samples, got {8 * w.getsampwidth()}-bit")
        frames = w.readframes(w.getnframes())
        channels, rate = w.getnchannels(), w.getframerate()
    if channels == 1:
        return Clip(frames, rate)
    samples = array("h", frames)
    mixed = array("h", (sum(samples[i : i + channels]) // channels
                        for i in range(0, len(samples), channels)))
    return Clip(mixed.tobytes(), rate)


def frame_levels(pcm: bytes, rate: int, window: float = 0.03) -> list[float]:
    """The RMS level of each `window`-second frame of 16-bit PCM (a short last frame too)."""
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.int64)
    n = max(1, int(window * rate))
    whole = len(samples) // n * n
    sums = (samples[:whole] ** 2).reshape(-1, n).sum(axis=1)
    levels = [math.sqrt(int(total) / n) for total in sums]
    if whole < len(samples):  # the short last frame
        rest = samples[whole:]
        levels.append(math.sqrt(int((rest ** 2).sum()) / len(rest)))
    return levels


def high_band_db(pcm: bytes, rate: int, above: float = 4200.0) -> float:
    """The share of a 16-bit recording's power above `above` Hz, in dB (-120 for silence).

    A microphone that records at 8 kHz (a Bluetooth headset in call mode, a telephone line)
    has nothing there, even once resampled to 16 kHz.
    """
    import numpy as np  # here: wav.py is imported at start-up, numpy is not needed then

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float64)
    if rate <= 2 * above or not len(samples):
        return -120.0
    power = np.abs(np.fft.rfft(samples)) ** 2
    high = power[np.fft.rfftfreq(len(samples), 1 / rate) > above].sum()
    return round(10 * math.log10(max(high / max(power.sum(), 1e-12), 1e-12)), 1)


def peak_rms(pcm: bytes, rate: int, window: float = 0.03) -> float:
    """The loudest short-window RMS level of 16-bit PCM (0 for silence)."""
    return max(frame_levels(pcm, rate, window), default=0.0)


def trim_trailing_silence(clip: Clip, keep: float = 0.1, floor_db: float = 40.0) -> Clip:
    """The clip without the quiet after its last sound, but for `keep` seconds of it.

    espeak-ng ends every utterance with about 0.35 s of silence; while the coach speaks its
    own voice is ignored by the command listener, so that silence would only deafen it.
    """
    window = 0.01
    levels = frame_levels(clip.pcm, clip.rate, window)
    if not levels:
        return clip
    quiet = max(levels) * 10 ** (-floor_db / 20)
    last = max((i for i, level in enumerate(levels) if level > quiet), default=-1)
    end = min(len(clip.pcm) // 2, int(((last + 1) * window + keep) * clip.rate))
    return Clip(clip.pcm[: 2 * end], clip.rate)


def silence(seconds: float, rate: int) -> Clip:
    return Clip(bytes(2 * int(seconds * rate)), rate)


def tone(freqs: tuple[float, ...], seconds: float = 0.09, rate: int = 22050) -> Clip:
    """A short, soft earcon: one tone per frequency in turn, with gentle fades."""
    samples = array("h")
    n = int(seconds * rate)
    fade = int(0.01 * rate)
    for freq in freqs:
        for i in range(n):
            envelope = min(1.0, i / fade, (n - i) / fade)
            samples.append(int(9000 * envelope * math.sin(2 * math.pi * freq * i / rate)))
    return Clip(samples.tobytes(), rate)


# The listening cue rises; the "got it" cue falls. Distinct by pitch direction, not only pitch.
EARCONS = {"listen": (660.0, 880.0), "understood": (880.0, 660.0)}


@cache
def unit_noise(length: int = 16001) -> array:
    """A fixed table of Gaussian noise (seeded: the same audio always decodes the same)."""
    generator = random.Random(45)
    return array("f", (generator.gauss(0.0, 1.0) for _ in range(length)))


def add_noise_floor(pcm: bytes, level: float) -> bytes:
    """Add faint noise of RMS `level` to 16-bit mono PCM (a microphone's own hiss).

    The decoder misreads words set in digital silence (measured in hearing/tuning.py); real
    microphones always hiss a little, so audio quieter than that is given the same floor.
    """
    if level <= 0 or not pcm:
        return pcm
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.int64)
    noise = np.frombuffer(unit_noise().tobytes(), dtype=np.float32).astype(np.float64)
    repeated = np.resize(noise, len(samples))  # the table again and again, as long as needed
    mixed = samples + np.trunc(level * repeated).astype(np.int64)
    return np.clip(mixed, -32768, 32767).astype("<i2").tobytes()


def _chunks(data: bytes) -> tuple[bytes, int, int]:
    """The fmt chunk's body, and where the data chunk's samples start and end."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    fmt, position = None, 12
    while position + 8 <= len(data):
        chunk_id = data[position:position + 4]
        size = int.from_bytes(data[position + 4:position + 8], "little")
        if chunk_id == b"fmt ":
            fmt = data[position + 8:position + 8 + size]
        elif chunk_id == b"data":
            if fmt is None or len(fmt) < 16:
                break
            return fmt, position + 8, min(len(data), position + 8 + size)
        position += 8 + size + (size & 1)
    raise ValueError("no fmt or data chunk")


def wav_head(path: Path, seconds: float) -> bytes:
    """The start of a WAV file, at most `seconds` of it, as a WAV of its own (same encoding):
    a one-hour recording is not read whole to decode its first phrase. Raises OSError when the
    file cannot be read, ValueError when it is not a WAV."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
        fmt, start, _ = _chunks(head + bytes(8))  # the data chunk may end past what was read
        channels = int.from_bytes(fmt[2:4], "little")
        rate = int.from_bytes(fmt[4:8], "little")
        width = max(1, int.from_bytes(fmt[14:16], "little") // 8)
        size = int.from_bytes(head[start - 4:start], "little")
        wanted = min(size, int(seconds * rate) * channels * width)
        handle.seek(start)
        samples = handle.read(wanted)
    return _rebuilt(fmt, samples)


def whole_frames(data: bytes) -> bytes:
    """A WAV rebuilt with its data cut to whole frames (a file cut short mid-sample once
    raised audioop's "not a whole number of frames" deep in SpeechRecognition); data that is
    not a WAV comes back as it was, for the reader to refuse."""
    try:
        fmt, start, end = _chunks(data)
    except ValueError:
        return data
    return _rebuilt(fmt, data[start:end])


def _rebuilt(fmt: bytes, samples: bytes) -> bytes:
    channels = int.from_bytes(fmt[2:4], "little")
    width = int.from_bytes(fmt[14:16], "little") // 8
    frame = max(1, channels * width)
    samples = samples[:len(samples) - len(samples) % frame]
    fmt_chunk = b"fmt " + len(fmt).to_bytes(4, "little") + fmt + bytes(len(fmt) & 1)
    data_chunk = b"data" + len(samples).to_bytes(4, "little") + samples
    body = b"WAVE" + fmt_chunk + data_chunk
    return b"RIFF" + len(body).to_bytes(4, "little") + body


HEADER_BYTES = 1 << 16  # the fmt and data chunk headers are found in this much of a file


def wav_as_pcm16(data: bytes) -> bytes:
    """Any PCM or float WAV (8/16/24/32-bit, any channels, extensible header) as a plain
    16-bit mono WAV at the same rate. Raises ValueError when the data is not such a WAV."""
    import numpy as np

    fmt, start, end = _chunks(data)
    tag, channels, rate = (int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little"),
                           int.from_bytes(fmt[4:8], "little"))
    bits = int.from_bytes(fmt[14:16], "little")
    if tag == 0xFFFE and len(fmt) >= 26:
        tag = int.from_bytes(fmt[24:26], "little")  # the sub-format of an extensible header
    width = bits // 8
    if channels < 1 or width < 1 or rate < 1 or (tag, width) not in {
        (1, 1), (1, 2), (1, 3), (1, 4), (3, 4)
    }:
        raise ValueError(f"unsupported WAV encoding (format {tag}, {bits} bits)")
    count = (end - start) // (width * channels)
    raw = np.frombuffer(data, np.uint8, count * width * channels, start)
    if tag == 3:
        values = raw.view("<f4").astype(np.float64) * 32767
    elif width == 1:
        values = (raw.astype(np.float64) - 128) * 256
    elif width == 3:  # three bytes, little-endian, signed: the top two make the 16-bit sample
        triples = raw.reshape(-1, 3).astype(np.int32)
        values = ((triples[:, 2] << 24 | triples[:, 1] << 16 | triples[:, 0] << 8) >> 16
                  ).astype(np.float64)
    else:
        values = (raw.view(f"<i{width}").astype(np.int64) >> (8 * (width - 2))).astype(
            np.float64)
    mono = values.reshape(count, channels).mean(axis=1)
    out = np.clip(np.trunc(mono), -32768, 32767).astype("<i2")
    return Clip(out.tobytes(), rate).to_wav()
