"""Driving `voicecoach start` on the virtual audio devices: spoken answers in, speech out.

For the end-to-end tests and scripts/bench_audio.py. The session is answered aloud from
real recordings whenever its transcript says it is listening; the loudspeaker and the
microphone are recorded on one clock, so the time from an answer to the next prompt can be
measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voicecoach.audio.wav import Clip, frame_levels, read_wav
from voicecoach.testing.virtual_audio import (
    MIC_FEED,
    RATE,
    SPEAKER,
    Recording,
    VirtualAudio,
    VirtualAudioError,
)


@dataclass
class Answer:
    """One spoken answer: the question it answered and when it was played into the microphone."""

    question: str
    expect: str
    wav: Path
    played: tuple[float, float]  # monotonic start and end of playback
    heard: str | None = None  # what voicecoach understood (from its transcript)


@dataclass
class SpokenRun:
    """A voicecoach session run on the virtual devices, and what went in and came out."""

    returncode: int
    output: str
    transcript: list[dict[str, object]]
    seen: list[float]  # monotonic time each transcript line was first seen (within 20 ms)
    answers: list[Answer]
    speaker: Recording
    microphone: Recording
    seconds: float

    def latencies(self, threshold: float = 300.0) -> list[tuple[float, float]]:
        """For each answer: seconds from its end in the microphone to the first sound after it
        in the loudspeaker, and to the start of the next utterance longer than an earcon."""
        mic, spk = self.microphone.pcm(), self.speaker.pcm()
        mic_loud = _loud_runs(mic, threshold)
        spk_loud = _loud_runs(spk, threshold, gap=0.03)  # an earcon, a gap, then speech
        found = []
        for answer in self.answers:
            start, end = answer.played
            in_window = [b for a, b in mic_loud
                         if start - 0.1 <= self.microphone.time_of(a) <= end + 0.3]
            if not in_window:
                continue
            spoken_end = self.microphone.time_of(max(in_window))
            after = [(self.speaker.time_of(a), self.speaker.time_of(b)) for a, b in spk_loud
                     if self.speaker.time_of(a) > spoken_end]
            if not after:
                continue
            first_end = after[0][1] if after[0][1] - after[0][0] <= EARCON_MAX else after[0][0]
            speech = next((a for a, _ in after if a >= first_end), None)
            if speech is not None:
                found.append((after[0][0] - spoken_end, speech - spoken_end))
        return found


EARCON_MAX = 0.3  # seconds: the longest earcon (two 0.09 s tones); longer sounds are speech


def _loud_runs(pcm: bytes, threshold: float, window: float = 0.01,
               gap: float = 0.15) -> list[tuple[int, int]]:
    """(first, last) sample of each stretch louder than `threshold`, bridging short gaps."""
    levels = frame_levels(pcm, RATE, window)
    step = int(window * RATE)
    runs: list[tuple[int, int]] = []
    for i, level in enumerate(levels):
        if level < threshold:
            continue
        first, last = i * step, (i + 1) * step
        if runs and first - runs[-1][1] <= gap * RATE:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    return runs


def run_spoken_session(audio: VirtualAudio, args: list[str],
                       answer: Callable[[str, str], Path], *, env: dict[str, str],
                       transcript: Path, reaction: float = 0.3,
                       timeout: float = 180.0,
                       stop_after: int | Callable[[list[Answer]], bool] | None = None,
                       command: str = "start") -> SpokenRun:
    """Run `voicecoach start ARGS` (or another COMMAND) on the virtual devices, answering
    each question aloud.

    Whenever voicecoach's transcript says it is listening, `answer(question, expect)` picks a
    WAV, which is played into the microphone after `reaction` seconds (a person's reaction to
    the earcon). The loudspeaker and the microphone are recorded throughout. With
    `stop_after`, the session is ended (SIGTERM) 4 s after that many answers (time for the next
    prompt), or after the answer for which `stop_after(answers)` is true.
    """
    speaker = audio.record(f"{SPEAKER}.monitor")
    microphone = audio.record(f"{MIC_FEED}.monitor")
    started = time.monotonic()
    argv = [sys.executable, "-m", "voicecoach", command, "--transcript", str(transcript), *args]
    process = subprocess.Popen(argv, env={**audio.env, **env}, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True)
    reader.start()
    lines: list[dict[str, object]] = []
    seen: list[float] = []
    answers: list[Answer] = []
    question, expect = "", "answer"
    stop_at: float | None = None
    try:
        while True:
            finished = process.poll() is not None
            new = read_transcript(transcript)[len(lines):]
            for line in new:
                lines.append(line)
                seen.append(time.monotonic())
                if line["kind"] == "ask":
                    question, expect = str(line["text"]), str(line.get("expect", "answer"))
                elif line["kind"] == "heard" and answers:
                    answers[-1].heard = line.get("value")  # type: ignore[assignment]
                elif line["kind"] == "event" and line["text"] == "listening":
                    wav = answer(question, expect)
                    time.sleep(reaction)
                    begin = time.monotonic()
                    audio.say_into_microphone(wav)
                    answers.append(Answer(question, expect, wav, (begin, time.monotonic())))
            if finished and not new:
                break
            if stop_at is None and answers and stop_after is not None and (
                    stop_after(answers) if callable(stop_after) else
                    len(answers) >= stop_after):
                stop_at = answers[-1].played[1] + 4.0
            if stop_at is not None and time.monotonic() > stop_at:
                stop_at = float("inf")
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise VirtualAudioError(
                        "the process did not end within 30 s of SIGTERM") from None
                stop_after = None
            if time.monotonic() - started > timeout:
                process.kill()
                raise VirtualAudioError(f"the session did not end within {timeout:.0f} s")
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        time.sleep(0.2)  # let the recorders catch the last sound
        speaker.stop()
        microphone.stop()
    return SpokenRun(process.returncode, "".join(output), lines, seen, answers, speaker,
                     microphone,
                     time.monotonic() - started)


def read_transcript(path: Path) -> list[dict[str, object]]:
    """The complete JSON lines of a transcript being written (a torn last line waits; none
    before the file exists)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


VALUES = {"yes": "yes", "no": "no", "zero": "0", "one": "1", "two": "2", "three": "3",
          "stop": "stop"}


def spoken_part(wav: Path, folder: Path, margin: float = 0.15) -> Path:
    """A copy of a recording without the quiet before and after the word (but `margin` of
    it): the shared recordings are one-second cuts, and a person answering would not wait."""
    clip = read_wav(wav.read_bytes())
    levels = frame_levels(clip.pcm, clip.rate, 0.01)
    loud = [i for i, level in enumerate(levels) if level >= 0.1 * max(levels)]
    first = max(0, int((loud[0] * 0.01 - margin) * clip.rate))
    last = min(len(clip.pcm) // 2, int(((loud[-1] + 1) * 0.01 + margin) * clip.rate))
    out = folder / f"{wav.parent.name}-{wav.name}"
    out.write_bytes(Clip(clip.pcm[2 * first: 2 * last], clip.rate).to_wav())
    return out


def answer_recordings(speech: Path, word: str, expect: str, count: int,
                      folder: Path) -> list[Path]:
    """`count` real recordings of `word` (from a folder with a MANIFEST.tsv) that the decoder
    hears right on their own, trimmed: for measuring the audio path, not recognition."""
    import csv

    from voicecoach.hearing.listeners import hear_wav

    with open(speech / "MANIFEST.tsv", newline="") as f:
        paths = sorted(speech / r["path"] for r in csv.DictReader(f, delimiter="\t")
                       if r["word"] == word)
    right = []
    for path in paths:
        trimmed = spoken_part(path, folder)
        clip = read_wav(trimmed.read_bytes())
        # Heard right as it is, and also quieter after a little silence: a clip that only just
        # passes alone is often misheard after the trip through the sound server.
        variant = Clip(bytes(int(0.3 * clip.rate) * 2) + clip.scaled(0.5).pcm, clip.rate)
        if all(hear_wav(data, expect).value == VALUES[word]
               for data in (trimmed.read_bytes(), variant.to_wav())):
            right.append(trimmed)
            if len(right) == count:
                return right
    raise VirtualAudioError(f"only {len(right)} recordings of {word!r} are heard right")
