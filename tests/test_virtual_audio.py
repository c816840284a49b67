"""End to end on virtual audio devices: `voicecoach start` with its real microphone and speaker.

A private PulseAudio server (voicecoach/testing/virtual_audio.py) gives a null-sink loudspeaker
and a
virtual microphone. Real recordings from ../shared/speech answer each question when the
transcript says the coach is listening; the loudspeaker is recorded and heard back with the
decoder. Two sessions run at once, each on its own server: all "no" answers through a short
routine, and a red flag.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from shared import SPEECH
from spoken import SentenceChooser, sentences

from voicecoach.audio.wav import Clip, read_wav
from voicecoach.testing.room import to_16k
from voicecoach.testing.spoken_session import (
    VALUES,
    SpokenRun,
    answer_recordings,
    read_transcript,
    run_spoken_session,
)
from voicecoach.testing.virtual_audio import VirtualAudio, missing_tools

MISSING = missing_tools()
pytestmark = [
    pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here"),
    pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true",
                       reason=f"virtual audio needs {', '.join(MISSING)} (./scripts/setup --test)"),
]

SHORT_ROUTINE = """\
routines:
  - id: e2e_short
    name: Short check routine
    level: beginner
    intro: One short exercise to check the sound.
    steps:
      - exercise: adductor_opener_squat
        dose: {hold: 5}
"""


def recordings(word: str, expect: str, count: int, folder: Path) -> list[Path]:
    """Real recordings of `word` that the decoder hears right on their own: this test is about
    the audio path, not about recognition (tests/test_hearing.py measures that)."""
    return answer_recordings(SPEECH, word, expect, count, folder)


class Answerer:
    """Picks the recording that answers a question: `rule(question, expect)` gives the word."""

    def __init__(self, rule, pool: dict[str, list[Path]]):
        self.rule = rule
        self.pool = pool
        self.said: list[str] = []

    def __call__(self, question: str, expect: str) -> Path:
        word = self.rule(question, expect)
        self.said.append(word)
        used = self.said.count(word) - 1
        return self.pool[word][used % len(self.pool[word])]


def all_no(question: str, expect: str) -> str:
    if "main pain" in question:
        return "yes"  # in the lower back: what this coach is for
    if question.startswith("I heard "):
        return "yes"  # the pain rating read back
    return "one" if expect == "number" else "no"


def red_flag(question: str, expect: str) -> str:
    if "sixteen" in question:
        return "no"
    return "yes"  # the main pain is in the back; numbness in the saddle area; yes, that's right


class ServeRule:
    """For `voicecoach serve`: the wake phrase first, the red-flag answers in the session, then
    a stretch of other talk when it waits again."""

    def __init__(self) -> None:
        self.waits = 0

    def __call__(self, question: str, expect: str) -> str:
        if expect == "wake":
            self.waits += 1
            return "wake" if self.waits == 1 else "talk"
        return red_flag(question, expect)


def wake_recording(folder: Path) -> Path:
    """"Hey coach, start stretching" in an espeak-ng voice unlike the coach's, checked to be
    heard on its own (this test is about the service and the audio path)."""
    from voicecoach.hearing.endpointer import CHUNK
    from voicecoach.hearing.wake import WakeSpotter, wake_decoder

    path = folder / "wake.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+m3", "-s", "150", "-w", str(path),
                    "hey coach, start stretching"], check=True)
    clip = read_wav(path.read_bytes())
    pcm = to_16k(clip).tobytes() + bytes(32000)
    spotter = WakeSpotter(wake_decoder(("hey coach",)))
    heard = [spotter.feed(pcm[i:i + 2 * CHUNK], (i / 2 + CHUNK) / 16000)
             for i in range(0, len(pcm) - 2 * CHUNK, 2 * CHUNK)]
    assert [r.request for r in heard if r] == ["start"], "the wake recording is not heard"
    return path


def talk_recording(folder: Path, count: int = 24) -> Path:
    """About 30 seconds of real recordings of other words, one after another."""
    import csv

    with open(SPEECH / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[3::37][:count]
    pcm = b""
    for row in rows:
        clip = read_wav((SPEECH / row["path"]).read_bytes())
        pcm += to_16k(clip).tobytes() + bytes(int(0.3 * 16000) * 2)
    path = folder / "talk.wav"
    path.write_bytes(Clip(pcm, 16000).to_wav())
    return path


def typed_session(args: list[str], rule, env: dict[str, str], transcript: Path) -> None:
    """A --text session answered line by line as its transcript asks."""
    process = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "start", "--transcript", str(transcript), *args],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, **env})
    assert process.stdin is not None
    answered = 0
    deadline = time.monotonic() + 60
    while process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the typed session did not end within a minute")
        asks = [x for x in read_transcript(transcript) if x["kind"] == "ask"]
        for ask in asks[answered:]:
            word = rule(ask["text"], ask["expect"])
            process.stdin.write({"one": "1"}.get(word, word) + "\n")
            process.stdin.flush()
        answered = len(asks)
        time.sleep(0.01)
    process.stdin.close()
    assert process.wait() == 0


def spoken_sessions(base: Path) -> dict[str, SpokenRun]:
    """The sessions, each on its own sound server: all "no" beside the red flag and then
    `voicecoach serve`."""
    routines = base / "routines"
    routines.mkdir()
    (routines / "short.yaml").write_text(SHORT_ROUTINE)
    routine_args = ["--routines-dir", str(routines), "--routine", "e2e_short"]
    answers = base / "answers"
    answers.mkdir()
    pool = {"no": recordings("no", "answer", 20, answers),
            "yes": recordings("yes", "answer", 5, answers),
            "one": recordings("one", "number", 3, answers),
            "wake": [wake_recording(answers)], "talk": [talk_recording(answers)]}

    def private(name: str) -> dict[str, str]:
        return {"VOICECOACH_DATA_DIR": str(base / f"{name}-data"),
                "VOICECOACH_CONFIG": str(base / "no-config.toml")}

    # The "no" session follows a typed one, so it asks the questions asked every time.
    typed_session(["--text", *routine_args, "--time-scale", "0.001"], all_no, private("no"),
                  base / "typed.jsonl")
    plans = {
        "no": (all_no, ["--rate", "400", "--time-scale", "0.05"]),
        "red": (red_flag, ["--rate", "400"]),
        "serve": (ServeRule(), ["--rate", "400"]),
    }
    results: dict[str, SpokenRun | BaseException] = {}

    def run(name: str) -> None:
        rule, extra = plans[name]
        serving = name == "serve"  # waits, runs a session, waits again: ended after the talk
        try:
            with VirtualAudio(base / f"pulse-{name}") as audio:
                results[name] = run_spoken_session(
                    audio, [*routine_args, *extra], Answerer(rule, pool), env=private(name),
                    transcript=base / f"{name}.jsonl", reaction=0.1, timeout=200,
                    command="serve" if serving else "start",
                    stop_after=(lambda said: said[-1].wav.name == "talk.wav") if serving
                    else None)
        except BaseException as exc:  # reported in the caller's thread
            results[name] = exc

    def run_all(*names: str) -> None:
        for name in names:
            run(name)

    # Two at a time on two cores: the long all-"no" session beside the red flag then serve.
    threads = [threading.Thread(target=run_all, args=names)
               for names in (("no",), ("red", "serve"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for result in results.values():
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


_early: Future[dict[str, SpokenRun]] | None = None
_early_dir: Path | None = None


def start_early() -> None:
    """Start the two sessions in the background as soon as the tests are collected (conftest):
    they spend two minutes mostly waiting on real-time speech, while other tests run."""
    global _early, _early_dir
    if _early is None and not MISSING and SPEECH.is_dir():
        with warnings.catch_warnings():  # imported here, not in the thread, where pytest's
            warnings.simplefilter("ignore", DeprecationWarning)  # filters don't reach
            import speech_recognition  # noqa: F401
        _early_dir = Path(tempfile.mkdtemp(prefix="voicecoach-e2e-"))
        _early = ThreadPoolExecutor(1, "e2e").submit(spoken_sessions, _early_dir)


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, SpokenRun]]:
    if MISSING:
        pytest.fail(f"CI must have the virtual audio tools: {', '.join(MISSING)} are missing")
    start_early()
    assert _early is not None and _early_dir is not None
    yield _early.result(timeout=400)
    shutil.rmtree(_early_dir, ignore_errors=True)


def spoken_texts(run: SpokenRun) -> list[str]:
    return [str(line["text"]) for line in run.transcript if line["kind"] in ("say", "ask")]


def test_all_no_runs_the_routine_through_real_devices(runs: dict[str, SpokenRun]) -> None:
    run = runs["no"]
    assert run.returncode == 0, run.output
    assert "Session finished. Exercises done: 1." in run.output
    assert "ALSA lib" not in run.output and "jack server" not in run.output  # no C chatter
    assert len(run.answers) >= 19  # "anything changed?", 15 safety questions, pain x2, read x2
    assert sum(a.question.startswith("I heard one.") for a in run.answers) == 2
    meant = [VALUES[all_no(a.question, a.expect)] for a in run.answers]
    heard = [a.heard for a in run.answers]
    # Through the sound server an answer is now and then not understood, and asked again;
    # it is never taken for another answer.
    assert all(h in (m, None) for h, m in zip(heard, meant, strict=True)), heard
    assert heard.count(None) <= 2, heard
    ended = [line for line in run.transcript if line["text"] == "session ended: finished"]
    assert ended


def test_red_flag_stops_the_session_through_real_devices(runs: dict[str, SpokenRun]) -> None:
    run = runs["red"]
    assert "Session ended after the safety questions" in run.output, run.output
    heard = [a.heard for a in run.answers]
    assert heard == ["no", "yes", "yes", "yes"], heard  # the last: "yes, that is right"
    assert not any("routine" in text.lower() for text in spoken_texts(run)[-3:])


def test_serve_wakes_runs_a_session_and_waits_again(runs: dict[str, SpokenRun]) -> None:
    """`voicecoach serve` on the virtual devices: the recorded wake phrase starts a session
    (a red flag ends it), the service waits again, 30 s of other words wake nothing, and
    SIGTERM stops it cleanly."""
    run = runs["serve"]
    assert run.returncode == 0, run.output
    heard = [a.heard for a in run.answers]
    assert heard == ["start", "no", "yes", "yes", "yes", None], (heard, run.output)
    texts = [str(line["text"]) for line in run.transcript]
    assert "session starting" in texts
    assert "Session ended after the safety questions" in run.output
    assert "session ended: exit status 0" in texts
    after = texts[texts.index("session ended: exit status 0"):]
    assert "I am here when you need me again. Say hey coach." in after
    assert "listening" in after  # waiting again, then the talk: nothing more heard
    assert not [line for line in run.transcript[texts.index("session ended: exit status 0"):]
                if line["kind"] == "heard"]
    assert texts[-1] == "stopped"
    assert "voicecoach serve: stopping (SIGTERM)" in run.output
    assert "Traceback" not in run.output and "ALSA lib" not in run.output


def utterances(run: SpokenRun) -> list[tuple[str, bytes]]:
    """Each sentence the coach said or asked, with the loudspeaker audio from when its
    transcript line appeared to when the next one did."""
    found = []
    for i, line in enumerate(run.transcript):
        if line["kind"] in ("say", "ask") and i + 1 < len(run.transcript):
            pcm = run.speaker.between(run.seen[i] - 0.05, run.seen[i + 1] + 0.05)
            found.append((str(line["text"]), pcm))
    return found


def holds(heard: list[str], expected: list[str]) -> bool:
    """Whether the sentences of `expected` longer than two words are all in `heard`, in order
    (one or two words, "Take care.", fit almost any short sound)."""
    rest = iter(heard)
    return all(any(h == e for h in rest) for e in expected if len(e.split()) > 2)


def test_the_loudspeaker_said_it(runs: dict[str, SpokenRun]) -> None:
    """Each utterance in the transcript is heard back from the loudspeaker where it was said,
    sentence by sentence, chosen over every sentence of both sessions."""
    chooser = SentenceChooser([text for run in runs.values() for text in spoken_texts(run)])
    for name, run in runs.items():
        # One or two words ("Hold.", "Two.") are too short to tell apart: only longer count.
        said = [(text, pcm) for text, pcm in utterances(run) if len(text.split()) > 2]
        # A stretch may also hold the end of the utterance before or the start of the next.
        wrong = [(text, heard) for text, pcm in said
                 if not holds(heard := chooser.hear(pcm), sentences(text))]
        print(f"{name}: {len(said) - len(wrong)} of {len(said)} utterances heard back; "
              f"misheard: {wrong[:3]}")
        assert len(wrong) <= 0.15 * len(said), wrong
        ending = said[-2:] if name == "red" else said[-1:]  # the advice, the closing words
        assert not {text for text, _ in ending} & {text for text, _ in wrong}, wrong


def test_latency_from_answer_to_next_prompt(runs: dict[str, SpokenRun]) -> None:
    """Measured, not asserted against a goal (scripts/bench_audio.py reports it)."""
    latencies = runs["no"].latencies()
    assert len(latencies) >= 10
    to_sound = statistics.median(a for a, _ in latencies)
    to_speech = statistics.median(b for _, b in latencies)
    print(f"sessions took {runs['no'].seconds:.1f} s and {runs['red'].seconds:.1f} s")
    print(f"answer end -> next sound: median {to_sound:.3f} s; next speech {to_speech:.3f} s")
    assert 0 < to_sound <= to_speech < 5



def check_audio(audio: VirtualAudio, answer: Path | None,
                exe: tuple[str, ...] = (sys.executable, "-m", "voicecoach"),
                ) -> tuple[int, dict[str, object]]:
    """Run `voicecoach check-audio --json` on the virtual devices, answering when asked."""
    process = subprocess.Popen(
        [*exe, "check-audio", "--json", "--seconds", "3", "--rate", "400"],
        env=audio.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    progress = []
    for line in process.stderr:
        progress.append(line)
        if "say yes now" in line:
            break
    if answer is not None:
        time.sleep(0.5)
        audio.say_into_microphone(answer)
    out, err = process.communicate(timeout=60)
    print("".join(progress) + err + out)
    assert "Traceback" not in err
    return process.returncode, json.loads(out)


def test_check_audio_hears_yes(tmp_path: Path) -> None:
    yes = recordings("yes", "answer", 1, tmp_path)[0]
    with VirtualAudio(tmp_path / "pulse") as audio:
        code, report = check_audio(audio, yes)
    assert code == 0 and report["ok"], report["problems"]
    assert report["spoke"] and report["player"] == "paplay"
    assert report["heard"] == "yes"
    assert any(d["name"] == "pulse" and d["inputs"] > 0 for d in report["devices"])
    levels = report["levels"]
    assert levels["speech"] and levels["peak_dbfs"] > levels["floor_dbfs"] + 20


@pytest.mark.slow
def test_a_plain_pip_install_hears_without_pyaudio_or_a_compiler(tmp_path: Path) -> None:
    """The wheel, installed with no extras into a fresh virtual environment elsewhere: its
    microphone is sounddevice over the system's libportaudio2, and it hears a recorded yes."""
    from shared import ROOT

    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(wheels), str(ROOT)], capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("voicecoach-*.whl")
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr
    has_pyaudio = subprocess.run([str(venv / "bin" / "python"), "-c", "import pyaudio"],
                                 capture_output=True)
    assert has_pyaudio.returncode != 0  # hearing does not depend on it
    yes = recordings("yes", "answer", 1, tmp_path)[0]
    with VirtualAudio(tmp_path / "pulse") as audio:
        code, report = check_audio(audio, yes, exe=(str(venv / "bin" / "voicecoach"),))
    assert code == 0 and report["ok"], report["problems"]
    assert any(d["inputs"] > 0 for d in report["devices"])
    assert report["heard"] == "yes"


def test_check_audio_reports_silence(tmp_path: Path) -> None:
    with VirtualAudio(tmp_path / "pulse") as audio:
        code, report = check_audio(audio, None)
    assert code == 1 and not report["ok"]
    assert report["spoke"]
    assert [p["what"] for p in report["problems"]] == [
        f"the microphone heard nothing louder than {report['levels']['peak_dbfs']} dBFS: "
        "silence"]


def test_check_audio_tells_an_8_khz_microphone(tmp_path: Path) -> None:
    """A real "yes" as a Bluetooth headset in call mode would pass it on: resampled to 8 kHz
    (sox) before it goes into the virtual microphone, which records at 16 kHz."""
    yes = recordings("yes", "answer", 1, tmp_path)[0]
    narrow = tmp_path / "yes-8k.wav"
    subprocess.run(["sox", str(yes), "-r", "8000", str(narrow)], check=True)
    with VirtualAudio(tmp_path / "pulse") as audio:
        code, report = check_audio(audio, narrow)
    assert code == 1 and report["levels"]["high_band_db"] < -50, report
    assert any("nothing above 4 kHz" in p["what"] for p in report["problems"]), report


def test_sound_server_lost_mid_session_then_back(tmp_path: Path) -> None:
    """The sound server goes away after the first answer: the coach carries on in text with
    typed answers, then picks up the microphone and the loudspeaker again when it is back."""
    no = recordings("no", "answer", 4, tmp_path)
    transcript = tmp_path / "t.jsonl"
    audio = VirtualAudio(tmp_path / "pulse")
    audio.start()
    env = {**audio.env, "VOICECOACH_DATA_DIR": str(tmp_path / "data"),
           "VOICECOACH_CONFIG": str(tmp_path / "none.toml")}
    process = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "start", "--rate", "400", "--transcript",
         str(transcript)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    assert process.stdin is not None and process.stdout is not None
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()

    def wait_for(kind: str, text: str, after: int, limit: float = 60) -> int:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            lines = read_transcript(transcript)
            for i, line in enumerate(lines[after:], after):
                if line["kind"] == kind and text in line["text"]:
                    return i + 1
            time.sleep(0.05)
        raise AssertionError(f"no {kind} {text!r} in time; output: {''.join(output)}")

    try:
        seen = wait_for("event", "listening", 0)  # "Are you under sixteen?"
        audio.say_into_microphone(no[0])
        seen = wait_for("heard", "", seen)
        audio.stop()  # the sound server goes away
        seen = wait_for("ask", "main pain", seen)
        deadline = time.monotonic() + 30
        while "Please type your answers" not in "".join(output):
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.05)
        process.stdin.write("yes\n")  # typed: the main pain is in the back
        process.stdin.flush()
        seen = wait_for("heard", "yes", seen)
        audio.start()  # back again
        time.sleep(5)
        process.stdin.write("no\n")  # one more typed answer, while the microphone is retried
        process.stdin.flush()
        seen = wait_for("heard", "no", seen)
        # By voice again; a "not understood" is asked again, so answer until one is heard.
        voice: list[object] = []
        for clip in no[1:] * 2:
            seen = wait_for("event", "listening", seen)
            audio.say_into_microphone(clip)
            seen = wait_for("heard", "", seen)
            voice.append(read_transcript(transcript)[seen - 1]["value"])
            if "(Audio output is back.)" in "".join(output) and "no" in voice:
                break
        assert "no" in voice and "yes" not in voice, voice
    finally:
        process.kill()
        process.wait()
        process.stdin.close()
        audio.stop()
    process.stdout.close()
    text = "".join(output)
    assert "(No audio output: " in text
    assert "I can no longer hear the microphone" in text
    assert "The microphone is back. You can answer by voice again." in text
    assert "(Audio output is back.)" in text
    assert "Traceback" not in text


WATCH_SCRIPT = """
from voicecoach.hearing.listeners import microphone_listener
from voicecoach.hearing.typed import FallbackListener, KeyboardListener
from voicecoach.coach.wiring import voice_watcher
microphone = FallbackListener(microphone_listener, KeyboardListener(), print,
                              microphone_listener())
watcher = voice_watcher(microphone)
watcher.start()
print("watching", flush=True)
heard = watcher.next_command(20)
watcher.stop()
print("heard", heard.value if heard else None, flush=True)
"""


def test_commands_are_heard_through_the_real_microphone_path(tmp_path: Path) -> None:
    """The hands-free command watcher, as a session wires it, on the virtual microphone."""
    stop = recordings("stop", "command", 1, tmp_path)[0]
    with VirtualAudio(tmp_path / "pulse") as audio:
        process = subprocess.Popen([sys.executable, "-c", WATCH_SCRIPT], env=audio.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "watching"
        time.sleep(1.0)
        audio.say_into_microphone(stop)
        out, err = process.communicate(timeout=30)
    assert out.strip() == "heard stop", out + err


ECHO_SCRIPT = """
from voicecoach.coach.wiring import build_io
speaker, listener, watcher = build_io(text=False, rate=175, volume=1.0, voice=None,
                                      answer_files=[], speak_to=None, earcons=False,
                                      mic_device=None)
watcher.start()
lines = ["Lie on your back with your knees bent and your feet flat on the floor.",
         "Breathe out slowly and let your back settle into the mat.",
         "Hold.", "One.", "Two.", "Three.", "Four.", "Five.", "And relax."]
for line in lines:
    with watcher.speaking(line):
        speaker.say(line)
canceller = watcher.spotter.self_hearing.canceller
heard = watcher.next_command(1.0)
watcher.stop()
print("reduction", round(canceller.reduction_db, 1), "delay", canceller.delay, flush=True)
print("heard", heard.value if heard else None, flush=True)
"""


def test_the_coach_takes_its_own_voice_out_of_the_real_microphone(tmp_path: Path) -> None:
    """Wired as a session wires it (aplay, sounddevice), with the loudspeaker leaking into the
    microphone: the canceller finds the echo and learns it, and hears no command in it."""
    with VirtualAudio(tmp_path / "pulse") as audio:
        audio.leak_into_microphone("79%", 30)
        result = subprocess.run([sys.executable, "-c", ECHO_SCRIPT], env=audio.env,
                                capture_output=True, text=True, timeout=120)
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert "reduction" in lines, result.stdout + result.stderr
    reduction, _, delay = lines["reduction"].split()
    # How far the echo comes down is a real-time figure: 14-17 dB on a quiet machine, 3 and 9
    # in two CI runs where the audio threads were starved; scripts/bench_echo_cancel.py
    # measures it. Asserted here: the echo was found (its delay) and the coach's own voice
    # gave no command, which held in every run.
    print("echo reduction", reduction, "dB")
    assert delay != "None" and 0 < float(delay) < 16000 * 0.3, result.stdout  # about 40 ms
    assert lines["heard"] == "None", result.stdout
