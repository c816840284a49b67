"""Home Assistant: voicecoach as a Wyoming handle program, and the household's speech services.

`voicecoach serve --wyoming` runs for real on the virtual sound devices and is spoken to by the
wyoming package's own client; the household TTS and ASR are small fake Wyoming servers on
loopback that speak the real protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.shared import clear_answers, content
from voicecoach.audio.rendering import Pyttsx3Renderer
from voicecoach.audio.wav import high_band_db, read_wav, silence, tone
from voicecoach.audio.wyoming_client import Service
from voicecoach.audio.wyoming_voice import WyomingRenderer
from voicecoach.cli.main import cli
from voicecoach.coach.household import (
    ALREADY_RUNNING_TEXT,
    NO_HISTORY_TEXT,
    NOTHING_TO_STOP_TEXT,
    STARTING_TEXT,
    STOPPING_TEXT,
    Household,
    request_in,
)
from voicecoach.hearing.wyoming_asr import WyomingTranscriber

wyoming = pytest.importorskip("wyoming", reason="the homeassistant extra is not installed")


# ---- what a sentence from Home Assistant asks for (pure) ----

@pytest.mark.parametrize(("text", "wanted"), [
    ("Start stretching.", "start"), ("hey coach, start stretching", "start"),
    ("Time to stretch", "start"), ("How am I doing?", "progress"),
    ("Voicecoach, stop!", "stop"), ("stop the session", "stop"),
    ("What can you do?", "help"), ("Turn on the kitchen lights", None),
    ("goodbye", None), ("", None), ("start the dishwasher", None),
])
def test_sentences_from_home_assistant_name_a_request(text, wanted):
    assert request_in(text) == wanted


def test_the_household_answers_with_what_happened():
    running = {"on": False}

    def start() -> bool:
        if running["on"]:
            return False
        running["on"] = True
        return True

    def stop() -> bool:
        was, running["on"] = running["on"], False
        return was

    house = Household(start, stop, lambda: ["You did 2 sessions this week."])
    assert house.answer("stop") == (True, NOTHING_TO_STOP_TEXT)
    assert house.answer("start stretching") == (True, STARTING_TEXT)
    assert house.answer("start stretching") == (True, ALREADY_RUNNING_TEXT)
    assert house.answer("how am I doing") == (True, "You did 2 sessions this week.")
    assert house.answer("stop") == (True, STOPPING_TEXT)
    handled, text = house.answer("play some jazz")
    assert not handled and "start stretching" in text
    assert Household(start, stop, list).answer("how am I doing") == (True, NO_HISTORY_TEXT)


# ---- serve --wyoming, for real, on the virtual sound devices ----

class Served:
    """`voicecoach serve --wyoming tcp://127.0.0.1:0` on its own sound server."""

    def __init__(self, folder: Path, data_dir: Path):
        from voicecoach.testing.virtual_audio import VirtualAudio

        self.audio = VirtualAudio(folder / "pulse")
        self.audio.start()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "serve", "--wyoming", "tcp://127.0.0.1:0",
             "--rate", "400", "--data-dir", str(data_dir), "--routine", "desk_break"],
            env={**self.audio.env, "VOICECOACH_CONFIG": str(folder / "config.toml")},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        threading.Thread(target=self._read, daemon=True).start()
        found = self.wait_for(r"Wyoming handle program on tcp://127\.0\.0\.1:(\d+)")
        self.port = int(found.group(1))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n{''.join(self.lines)}")

    def ask(self, *events: object) -> list[object]:
        """Send events with the wyoming package's client; one reply for each."""
        from wyoming.client import AsyncTcpClient

        async def talk() -> list[object]:
            async with AsyncTcpClient("127.0.0.1", self.port) as client:
                replies = []
                for event in events:
                    await client.write_event(event)
                    replies.append(await asyncio.wait_for(client.read_event(), 30))
                return replies

        return asyncio.run(talk())

    def raw(self, data: bytes, then_close: bool = False) -> bytes:
        """Send bytes as they are; what comes back before the server closes (or 5 s)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(data)
            if then_close:
                return b""
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
            except TimeoutError:
                raise AssertionError(f"still open after 5 s; got {received!r}") from None
            except ConnectionResetError:
                pass  # closed with our bytes unread: a reset instead of a goodbye
            return received

    def close(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(30)
        finally:
            self.audio.stop()
        time.sleep(0.1)  # the reader thread takes the last lines
        if self.process.stdout is not None:
            self.process.stdout.close()
        return "".join(self.lines)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    from voicecoach.testing.virtual_audio import missing_tools

    if missing_tools():
        pytest.skip(f"virtual audio needs {', '.join(missing_tools())}")
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(cli, ["start", "--text", "--time-scale", "0.001", "--routine",
                                      "desk_break", "--data-dir", str(data_dir)],
                                input="\n".join(clear_answers()) + "\n3\n2\n")
    assert result.exit_code == 0, result.output
    server = Served(tmp_path, data_dir)
    yield server
    server.close()


def transcript(text: str) -> object:
    from wyoming.asr import Transcript

    return Transcript(text=text).event()


def test_home_assistant_describes_starts_asks_and_stops(served: Served) -> None:
    from wyoming.info import Describe, Info

    (info,) = served.ask(Describe().event())
    program = Info.from_event(info).handle[0]
    assert program.name == "voicecoach" and program.installed
    assert program.models[0].languages == ["en"]

    (progress,) = served.ask(transcript("How am I doing?"))
    assert progress.type == "handled", progress
    assert "one session in the last seven days" in progress.data["text"]
    (unknown,) = served.ask(transcript("Turn on the lights"))
    assert unknown.type == "not-handled"
    (nothing,) = served.ask(transcript("stop"))
    assert nothing.data["text"] == NOTHING_TO_STOP_TEXT

    recording = served.audio.record()
    (started,) = served.ask(transcript("start stretching"))
    assert started.type == "handled" and started.data["text"] == STARTING_TEXT
    served.wait_for(r"heard '\(from Home Assistant\)': start")
    served.wait_for(r"Hello, I am your stretching coach", timeout=60)  # the session's own
    time.sleep(3)  # the session's welcome, on the box's own loudspeaker
    (again,) = served.ask(transcript("start stretching"))
    assert again.data["text"] == ALREADY_RUNNING_TEXT
    (stopped,) = served.ask(transcript("Voicecoach, stop"))
    assert stopped.data["text"] == STOPPING_TEXT
    served.wait_for(r"session ended with exit status 143")
    clip = recording.stop()
    assert clip.seconds > 2 and max(abs(s) for s in memoryview(clip.pcm).cast("h")) > 1000
    served.wait_for(r"I am here when you need me again", timeout=30)
    output = served.close()
    assert "Traceback" not in output and "could not run" not in output


def test_bad_peers_get_an_error_or_a_closed_connection_never_a_crash(served: Served) -> None:
    from wyoming.info import Describe

    reply = served.raw(b"this is not json\n")
    assert b'"type": "error"' in reply and b"bad-event" in reply
    huge = json.dumps({"type": "transcript", "payload_length": 10**9}).encode() + b"\n"
    assert b"over 1048576 bytes" in served.raw(huge)
    too_long = served.raw(b"x" * (200 * 1024))  # the error, or only a closed connection
    assert too_long == b"" or b"longer than" in too_long
    served.raw(json.dumps({"type": "transcript", "data_length": 500}).encode() + b"\n{",
               then_close=True)  # dropped inside an event
    served.raw(b'{"type": "synthesize", "data": {"text": "hi"}}\n', then_close=True)
    (unsupported,) = served.ask(wyoming.event.Event("synthesize", {"text": "hello"}))
    assert unsupported.type == "error" and "transcripts" in unsupported.data["text"]
    (info,) = served.ask(Describe().event())  # still serving
    assert info.type == "info"
    assert served.process.poll() is None
    assert "Traceback" not in served.close()


def test_zeroconf_needs_a_wyoming_address() -> None:
    result = CliRunner().invoke(cli, ["serve", "--zeroconf"])
    assert result.exit_code != 0 and "--wyoming tcp://HOST:PORT" in result.output


def test_a_wrong_wyoming_address_is_said_clearly() -> None:
    result = CliRunner().invoke(cli, ["serve", "--wyoming", "http://nowhere"])
    assert result.exit_code != 0
    assert "is not an address like tcp://HOST:PORT" in result.output


# ---- the household's TTS and ASR: fake Wyoming servers on loopback ----

class FakeService:
    """A Wyoming server on loopback that answers each request with `reply(events)`."""

    def __init__(self, reply, delay: float = 0.0):
        self.reply, self.delay = reply, delay
        self.received: list[list[wyoming.event.Event]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        from wyoming.event import read_event, write_event

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as stream:
                events = []
                while (event := read_event(stream)) is not None:
                    events.append(event)
                    if event.type in ("synthesize", "audio-stop"):
                        break
                self.received.append(events)
                time.sleep(self.delay)
                try:
                    for out in self.reply(events):
                        write_event(out, stream)
                    stream.flush()
                except OSError:
                    pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() that close() would not
        self.sock.close()


def tts_reply(events):
    from wyoming.audio import AudioChunk, AudioStart, AudioStop

    text = events[0].data["text"]
    clip = tone((660.0,), seconds=0.02 * len(text), rate=16000)
    yield AudioStart(rate=16000, width=2, channels=1).event()
    for i in range(0, len(clip.pcm), 4096):
        yield AudioChunk(rate=16000, width=2, channels=1, audio=clip.pcm[i:i + 4096]).event()
    yield AudioStop().event()


def test_the_household_voice_speaks_and_espeak_takes_over_when_it_is_down():
    server = FakeService(tts_reply)
    told: list[str] = []
    renderer = WyomingRenderer(Service("127.0.0.1", server.port), Pyttsx3Renderer(rate=160),
                               on_problem=told.append, timeout=2.0)
    clip = renderer.render("Breathe in slowly.")
    assert clip.rate == 22050 and abs(clip.seconds - 0.02 * 18) < 0.05
    assert server.received[0][0].data["text"] == "Breathe in slowly."
    server.close()
    fallback = renderer.render("Breathe out.")
    assert fallback.seconds > 0.3 and told and "espeak-ng" in told[0]
    assert high_band_db(fallback.pcm, fallback.rate) != high_band_db(clip.pcm, clip.rate)
    assert renderer.adjust("faster") == "Speaking faster."  # espeak-ng's speed, meanwhile


def test_start_with_tts_speaks_through_the_household_server(tmp_path, private_data_dir):
    server = FakeService(tts_reply)
    wav, quiet = tmp_path / "coach.wav", tmp_path / "quiet.wav"
    quiet.write_bytes(silence(1.0, 16000).to_wav())
    result = CliRunner().invoke(cli, [
        "start", "--tts", f"wyoming://127.0.0.1:{server.port}", "--speak-to", str(wav),
        "--time-scale", "0.001", "--no-earcons", "--answers", str(quiet)])
    server.close()
    texts = [events[0].data["text"] for events in server.received]
    assert texts[:2] == [content().triage.welcome, content().triage.limits], result.output
    spoken = read_wav(wav.read_bytes())
    expected = sum(0.02 * len(text) for text in texts)  # the fake voice: 20 ms a character
    assert spoken.rate == 22050
    # its audio and the pauses between (espeak-ng would take about three times as long)
    assert expected < spoken.seconds < expected * 1.5
    assert "Traceback" not in result.output


def test_the_household_asr_gives_an_opinion_or_none_within_its_time():
    from wyoming.asr import Transcript

    server = FakeService(lambda events: [Transcript(text="Yes.").event()])
    asr = WyomingTranscriber(Service("127.0.0.1", server.port), timeout=2.0)
    pcm = tone((300.0,), seconds=0.5, rate=16000).pcm
    assert asr.transcribe(pcm) == "Yes."
    received = server.received[0]
    assert [e.type for e in received][:2] == ["transcribe", "audio-start"]
    sent = b"".join(e.payload or b"" for e in received if e.type == "audio-chunk")
    assert sent.endswith(pcm) and len(sent) == len(pcm) + 2 * 8000  # 0.5 s of lead, as Whisper
    server.close()
    assert asr.transcribe(pcm) == ""  # down: no opinion
    slow = FakeService(lambda events: [Transcript(text="No.").event()], delay=3.0)
    started = time.monotonic()
    assert WyomingTranscriber(Service("127.0.0.1", slow.port), timeout=0.5).transcribe(pcm) == ""
    assert time.monotonic() - started < 1.5
    slow.close()


def test_household_services_are_off_unless_set(private_data_dir):
    shown = CliRunner().invoke(cli, ["config", "show", "--json"])
    settings = json.loads(shown.output)
    assert settings["tts"]["value"] == "" and settings["asr"]["value"] == ""
    assert "nothing leaves this machine" in settings["asr"]["meaning"]
    bad = CliRunner().invoke(cli, ["config", "set", "tts", "http://example.com"])
    assert bad.exit_code != 0 and "wyoming://HOST:PORT" in bad.output
    good = CliRunner().invoke(cli, ["config", "set", "asr", "wyoming://192.168.1.20:10300"])
    assert good.exit_code == 0, good.output
    assert 'asr = "wyoming://192.168.1.20:10300"' in Path(
        os.environ["VOICECOACH_CONFIG"]).read_text()


def test_zeroconf_announces_the_coach_as_home_assistant_looks_for_it():
    pytest.importorskip("zeroconf")
    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    from browse_wyoming import browse

    from voicecoach.coach.wyoming_server import WyomingServer

    lines: list[str] = []
    server = WyomingServer(Service("0.0.0.0", 0), Household(lambda: False, lambda: False, list),
                           lines.append, zeroconf=True, name="voicecoach-test-announce")
    server.start()
    try:
        found = browse(3.0)
    finally:
        server.stop()
    assert "(announced over zeroconf)" in lines[0]
    ours = [f for f in found if f[0] == "voicecoach-test-announce._wyoming._tcp.local."]
    assert ours and ours[0][2] == server.port, found
