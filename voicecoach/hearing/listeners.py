"""Listeners: the microphone (or WAV files, through the very same path).

Speech is captured and endpointed by SpeechRecognition, then decoded offline by pocketsphinx
against a grammar of only the words expected at that moment (see recognizer.py).
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Protocol

from voicecoach.audio.deadline import Stalled, within
from voicecoach.audio.devices import InputStream, list_devices
from voicecoach.audio.quiet import quiet_stderr
from voicecoach.audio.wav import peak_rms, wav_as_pcm16, wav_head, whole_frames
from voicecoach.errors import AudioInputError, InputEnded
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.recognizer import SAMPLE_RATE, Decoded, GrammarDecoder, decoder_for
from voicecoach.hearing.second_pass import preload_transcriber
from voicecoach.hearing.tuning import (
    AMBIENT_FACTOR,
    ENERGY_FLOOR,
    LISTEN_TIMEOUT,
    NON_SPEAKING_DURATION,
    PAUSE_THRESHOLD,
    PHRASE_THRESHOLD,
    PHRASE_TIME_LIMIT,
    QUIET_FLOOR,
    STALL_MARGIN,
)
from voicecoach.hearing.word_check import preload_check
from voicecoach.session.actions import Heard


class Listener(Protocol):
    """Waits for one reply and says what it meant in the expected vocabulary."""

    def listen(self, expect: str) -> Heard: ...

    def close(self) -> None: ...


def configure(recognizer: object) -> None:
    """Apply the capture settings to a speech_recognition.Recognizer."""
    recognizer.energy_threshold = ENERGY_FLOOR
    recognizer.dynamic_energy_threshold = False
    recognizer.pause_threshold = PAUSE_THRESHOLD
    recognizer.non_speaking_duration = NON_SPEAKING_DURATION
    recognizer.phrase_threshold = PHRASE_THRESHOLD


class SpeechListener:
    """Captures one phrase from an audio source and decodes it offline.

    `open_source` returns a fresh SpeechRecognition source (a Microphone, or an AudioFile for
    tests); both go through the same `listen()` endpointing and the same decoder.
    """

    def __init__(self, open_source: Callable[[], object], calibrate: bool,
                 on_listen: Callable[[], None] | None = None,
                 timeout: float = LISTEN_TIMEOUT):
        import speech_recognition as sr

        self._sr = sr
        self.open_source = open_source
        self.calibrate = calibrate
        self.on_listen = on_listen
        self.timeout = timeout
        self.recognizer = sr.Recognizer()
        configure(self.recognizer)
        self._calibrated = False
        self.last: Decoded | None = None
        preload_check()  # about 25 ms, while the first question is being asked
        preload_transcriber()  # Whisper, where installed: about 0.4 s

    def listen(self, expect: str) -> Heard:
        """One answer; AudioInputError when the source fails or, live, stops giving sound."""
        decoder = decoder_for(expect)
        if not self.calibrate:  # a file: it cannot stall
            return self._listen(decoder)
        limit = self.timeout + PHRASE_TIME_LIMIT + STALL_MARGIN
        try:
            return within(limit, lambda: self._listen(decoder), "voicecoach-listen")
        except Stalled:
            raise AudioInputError(
                f"the microphone gave no sound for {limit:.0f} seconds") from None

    def _listen(self, decoder: GrammarDecoder) -> Heard:
        sr = self._sr
        try:
            with self.open_source() as source:
                if self.calibrate and not self._calibrated:
                    self.recognizer.adjust_for_ambient_noise(source, duration=0.5)
                    self.recognizer.energy_threshold = max(
                        QUIET_FLOOR, AMBIENT_FACTOR * self.recognizer.energy_threshold
                    )
                    self._calibrated = True
                elif not self.calibrate:  # a file: its own quiet parts are the room
                    self.recognizer.energy_threshold = file_threshold(source)
                if self.calibrate:
                    # A live stream takes 70-130 ms (2 s the first time, under PulseAudio) to
                    # deliver its first sound; wait for it, so "listening" is true when said.
                    source.stream.read(source.CHUNK)
                if self.on_listen:
                    self.on_listen()
                try:
                    audio = self.recognizer.listen(
                        source, timeout=self.timeout, phrase_time_limit=PHRASE_TIME_LIMIT
                    )
                except sr.WaitTimeoutError:
                    self.last = Decoded("", None, 0.0)
                    return Heard(None, "", timed_out=True)
        except (OSError, AttributeError, AssertionError) as exc:  # what PyAudio raises
            raise AudioInputError(f"cannot read the microphone: {exc}") from None
        pcm = audio.get_raw_data(convert_rate=SAMPLE_RATE, convert_width=2)
        if peak_rms(pcm, SAMPLE_RATE) < self.recognizer.energy_threshold:
            # Nothing as loud as speech was captured (a file of silence, say): that is no
            # answer at all, whatever the grammar-bound decoder would force it to be.
            self.last = Decoded("", None, 0.0)
            return Heard(None, "", timed_out=True)
        self.last = decoder.decode(pcm)
        return Heard(self.last.value, self.last.text)

    def close(self) -> None:
        """Sources are opened per answer; nothing stays open."""


def microphone_opener(device_index: int | None = None) -> Callable[[], object]:
    """A function that opens the real microphone as a SpeechRecognition source; it raises
    AudioInputError when there is none (checked at each call: microphones come and go)."""
    import speech_recognition as sr

    class Microphone(sr.AudioSource):
        """The microphone as SpeechRecognition reads it: 16 kHz, 16-bit, CHUNK frames a read,
        through devices.InputStream (sounddevice, else PyAudio)."""

        SAMPLE_RATE, SAMPLE_WIDTH = SAMPLE_RATE, 2

        def __init__(self) -> None:
            self.CHUNK = CHUNK
            self.stream: InputStream | None = None

        def __enter__(self) -> Microphone:
            self.stream = InputStream(device_index, self.SAMPLE_RATE, self.CHUNK)
            return self

        def __exit__(self, *exc: object) -> None:
            if self.stream is not None:
                self.stream.close()
                self.stream = None

    def open_source() -> object:
        inputs = [d.index for d in list_devices() if d.inputs > 0]
        if not inputs:
            raise AudioInputError("no microphone was found")
        if device_index is not None and device_index not in inputs:
            raise AudioInputError(f"device {device_index} is not a microphone; inputs: {inputs}")
        return Microphone()

    return open_source


def microphone_listener(device_index: int | None = None,
                        on_listen: Callable[[], None] | None = None) -> SpeechListener:
    """A listener on the real microphone; raises AudioInputError saying what is missing."""
    open_source = microphone_opener(device_index)
    try:
        with quiet_stderr(), open_source():  # type: ignore[attr-defined]
            pass  # open once now, so a device that cannot record is reported before we start
    except (OSError, AttributeError, ValueError, AssertionError) as exc:
        raise AudioInputError(f"the microphone could not be opened ({exc})") from None
    return SpeechListener(open_source, calibrate=True, on_listen=on_listen)


MIN_RATE, MAX_RATE = 4000, 192000  # Hz: from a narrowband phone line to studio audio


def _check_rate(data: bytes, name: str) -> None:
    """AudioInputError for a WAV whose header gives an impossible sample rate (0 Hz divided
    by zero deep in SpeechRecognition)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as header:
            rate = header.getframerate()
    except (wave.Error, EOFError, OSError):
        return  # not a plain WAV: the conversion below says what is wrong with it
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioInputError(f"{name}: a sample rate of {rate} Hz is not audio voicecoach can "
                              f"hear ({MIN_RATE} to {MAX_RATE} Hz)")


# A file holds one answer: the listener waits at most LISTEN_TIMEOUT for it to start and takes
# at most PHRASE_TIME_LIMIT of it, so only the file's first seconds are ever read (a one-hour
# recording was once read and converted whole before its first phrase was decoded).
FILE_SECONDS = LISTEN_TIMEOUT + PHRASE_TIME_LIMIT + 2.0


def wav_source(wav: Path | bytes) -> object:
    """A SpeechRecognition source over one WAV file (a path or its bytes).

    Any WAV rate, width or channel count is accepted: SpeechRecognition converts the common
    ones; 8-bit (which confuses listen()'s energy measure), 24-bit, float and extensible files
    are made plain 16-bit mono first. Raises AudioInputError when the data is not audio.
    """
    import speech_recognition as sr

    name = "audio data" if isinstance(wav, bytes) else str(wav)
    if isinstance(wav, bytes):
        data = whole_frames(wav)
    else:
        try:
            data = wav_head(wav, FILE_SECONDS)
        except OSError as exc:
            raise AudioInputError(f"{wav}: cannot read ({exc.strerror or exc})") from None
        except ValueError:
            data = b""  # not a WAV: said below, as for bytes that are not
    _check_rate(data, name)
    try:
        with sr.AudioFile(io.BytesIO(data)) as probe:
            plain = probe.SAMPLE_WIDTH == 2
    except (ValueError, OSError, EOFError, AssertionError):
        plain = False
    if not plain:
        try:
            data = wav_as_pcm16(data)
        except ValueError as exc:
            raise AudioInputError(f"{name}: not a readable WAV file ({exc})") from None
    return _live_chunked_file()(io.BytesIO(data))


@cache
def _live_chunked_file() -> type:
    import speech_recognition as sr

    class LiveChunkedFile(sr.AudioFile):
        """A WAV file read in the microphone's 64 ms chunks (AudioFile reads 4096 frames, 256 ms
        at 16 kHz), so the endpointer sees a file exactly as it sees the microphone: a short
        word that fitted in one long chunk was taken for silence."""

        def __enter__(self) -> object:
            source = super().__enter__()
            source.CHUNK = max(1, round(source.SAMPLE_RATE * CHUNK / SAMPLE_RATE))
            return source

    return LiveChunkedFile


def file_threshold(source: object) -> float:
    """The endpointer's threshold for a WAV file: AMBIENT_FACTOR times its quietest tenth
    (as the microphone is calibrated on the room), between QUIET_FLOOR and ENERGY_FLOOR."""
    import numpy as np

    stream = source.audio_reader  # the open wave reader, rewound after
    start = stream.tell()
    frames = stream.readframes(stream.getnframes())
    stream.setpos(start)
    samples = np.frombuffer(frames, dtype=f"<i{source.SAMPLE_WIDTH}").astype(np.float64)
    if source.audio_reader.getnchannels() > 1:
        samples = samples[: len(samples) // stream.getnchannels() * stream.getnchannels()]
        samples = samples.reshape(-1, stream.getnchannels()).mean(axis=1)
    size = max(1, int(0.03 * source.SAMPLE_RATE))
    usable = len(samples) // size * size
    if usable == 0:
        return ENERGY_FLOOR
    levels = np.sqrt((samples[:usable].reshape(-1, size) ** 2).mean(axis=1))
    ambient = float(np.percentile(levels, 10))
    return min(ENERGY_FLOOR, max(QUIET_FLOOR, AMBIENT_FACTOR * ambient))


def wav_files_listener(paths: list[Path]) -> SpeechListener:
    """Answers spoken from WAV files, one file per answer, through the microphone's path.

    Every file is checked now, so a file that is not audio is reported before the session
    starts rather than at its question (AudioInputError)."""
    for path in paths:
        wav_source(path)
    remaining: Iterator[Path] = iter(paths)

    def open_source() -> object:
        path = next(remaining, None)
        if path is None:
            raise InputEnded("no more answer files")
        return wav_source(path)

    return SpeechListener(open_source, calibrate=False)


def hear_wav(wav: Path | bytes, expect: str) -> Decoded:
    """Decode one WAV (a path or its bytes) exactly as the live listener decodes the microphone.

    Raises AudioInputError when the data is not readable audio (see `wav_source`).
    """
    source = wav_source(wav)
    listener = SpeechListener(lambda: source, calibrate=False, timeout=PHRASE_TIME_LIMIT)
    try:
        listener.listen(expect)
    except (ValueError, EOFError) as exc:  # a truncated or malformed file found while reading
        name = "audio data" if isinstance(wav, bytes) else str(wav)
        raise AudioInputError(f"{name}: not a readable WAV file ({exc})") from None
    return listener.last or Decoded("", None, 0.0)
