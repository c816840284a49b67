"""`voicecoach serve`: wait for the wake phrase, then run a session, and wait again.

For a box with a microphone and a loudspeaker and no screen. Between sessions it only spots
the wake phrase (hearing/wake.py); a session runs as a child `voicecoach start` process with the
microphone to itself, so whatever happens in a session, the service goes on waiting.
The loop is written against small interfaces (a microphone opener, a speaker, a session
runner) so the tests can drive it with fakes as well as on virtual sound devices.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from voicecoach.audio.speakers import Speaker
from voicecoach.coach.transcript import Transcript
from voicecoach.errors import ExitCode
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.wake import Request, WakeSpotter

READY = "Voicecoach is ready. When you want to stretch, say: {wake}, start stretching."
ASK_WHAT = "Yes? Say start stretching, how am I doing, or what can you do."
NOT_CAUGHT = "I did not catch that, so I will wait. Say {wake} when you need me."
STARTING = "Let's stretch. First, a few safety questions."
BACK_TO_WAITING = "I am here when you need me again. Say {wake}."
SESSION_FAILED = "The session could not run, so I am back to waiting. Say {wake} to try again."
HELP = ("I am a voice coach for low back and hip stretches. Say {wake}, start stretching, and "
        "I will ask a few safety questions and then talk you through a routine. Say {wake}, "
        "how am I doing, to hear your progress. During a session you can say stop, pause, "
        "repeat, or it hurts.")
GOODBYE = "Goodbye. I will be here when you need me."
NO_HISTORY = "There are no sessions in your history yet. Say {wake}, start stretching, to begin."
MICROPHONE_LOST = "I cannot hear: {problem}. I will keep trying."
MICROPHONE_BACK = "The microphone is working again. Say {wake} when you need me."

FOLLOW_UP_SECONDS = 8.0  # after "Yes?", how long to wait for the request
RETRY_SECONDS = 5.0  # how often to try a microphone that failed


@dataclass
class ServeIO:
    """The edges of the service: where sound comes from and goes, and where lines are logged."""

    open_source: Callable[[], object]  # a SpeechRecognition-style source (context manager)
    speaker: Speaker
    log: Callable[[str], None]
    transcript: Transcript
    clock: Callable[[], float] = time.monotonic


@dataclass
class Server:
    """The waiting loop. `run_session()` runs one session and returns its exit status;
    `progress()` gives the spoken progress summary (an empty list: no history yet)."""

    io: ServeIO
    spotter: WakeSpotter
    follow_up: WakeSpotter
    run_session: Callable[[], int]
    progress: Callable[[], list[str]]
    wake_phrase: str = "hey coach"
    once: bool = False
    retry_seconds: float = RETRY_SECONDS
    stopping: threading.Event = field(default_factory=threading.Event)
    handled: list[str] = field(default_factory=list)
    # requests from elsewhere (Home Assistant, coach/wyoming_server.py), taken while listening
    requests: queue.Queue[Request] = field(default_factory=queue.Queue)
    _mic_problem: str = field(default="", init=False)  # the microphone's failure, while failed

    def say(self, template: str, **values: str) -> None:
        text = template.format(wake=self.wake_phrase, **values)
        self.io.transcript.write("say", text)
        self.io.speaker.say(text)

    def serve(self) -> None:
        """Wait, handle requests, wait again, until stopped (or after one with `once`)."""
        self.say(READY)
        while not self.stopping.is_set():
            self.io.log("waiting for the wake phrase")
            request = self.listen(self.spotter, None, "wake")
            if request is None:
                break
            if request.request == "wake":
                self.io.speaker.cue("listen")
                self.say(ASK_WHAT)
                request = self.listen(self.follow_up, FOLLOW_UP_SECONDS, "request")
                if request is None:
                    if self.stopping.is_set():
                        break
                    self.say(NOT_CAUGHT)
                    self.handled.append("not caught")
                    if self.once:
                        break
                    continue
            self.handle(request)
            if self.once:
                break

    def handle(self, request: Request) -> None:
        self.handled.append(request.request)
        self.io.log(f"heard {request.text!r}: {request.request}")
        if request.request == "start":
            self.io.speaker.cue("understood")
            self.say(STARTING)
            self.io.transcript.write("event", "session starting")
            status = self.run_session()
            self.io.log(f"session ended with exit status {status}")
            self.io.transcript.write("event", f"session ended: exit status {status}")
            if self.stopping.is_set():
                return
            # 0 finished, 130 Ctrl-C, 143 stopped on request (SIGTERM, from Home Assistant)
            self.say(BACK_TO_WAITING if status in (0, 130, 143) else SESSION_FAILED)
        elif request.request == "help":
            self.say(HELP)
        elif request.request == "progress":
            sentences = self.progress()
            for sentence in sentences or [NO_HISTORY]:
                self.say(sentence)
        elif request.request == "goodbye":
            self.say(GOODBYE)

    def listen(self, spotter: WakeSpotter, timeout: float | None, expect: str) -> Request | None:
        """Read the microphone until `spotter` hears a request, `timeout` passes or we stop.

        A microphone that cannot be opened or fails is retried every `retry_seconds`; losing
        it and getting it back are logged and said.
        """
        deadline = None if timeout is None else self.io.clock() + timeout
        while not self.stopping.is_set():
            try:
                with self.io.open_source() as source:  # type: ignore[attr-defined]
                    self._microphone_ok()
                    spotter.reset()
                    self.io.transcript.write("ask", f"(listening for: {expect})", expect=expect)
                    self.io.transcript.write("event", "listening")
                    while not self.stopping.is_set():
                        if (asked := self._asked_elsewhere()) is not None:
                            return asked
                        chunk = source.stream.read(CHUNK)
                        if not chunk:
                            raise OSError("the microphone gave no more sound")
                        request = spotter.feed(chunk, self.io.clock())
                        if request is not None:
                            self.io.transcript.write("heard", request.text,
                                                     value=request.request)
                            return request
                        if deadline is not None and self.io.clock() > deadline:
                            return None
            except Exception as exc:  # a microphone unplugged, busy or gone: wait and retry
                self._microphone_failed(str(exc) or type(exc).__name__)
                if deadline is not None and self.io.clock() > deadline:
                    return None
                retry_at = time.monotonic() + self.retry_seconds
                while not self.stopping.is_set() and time.monotonic() < retry_at:
                    if (asked := self._asked_elsewhere()) is not None:
                        return asked  # taken at once, while the microphone waits
                    self.stopping.wait(0.1)
        return None

    def _asked_elsewhere(self) -> Request | None:
        try:
            request = self.requests.get_nowait()
        except queue.Empty:
            return None
        self.io.transcript.write("heard", request.text, value=request.request)
        return request

    def _microphone_failed(self, problem: str) -> None:
        if not self._mic_problem:
            self.io.log(f"microphone unavailable: {problem}; trying every "
                        f"{self.retry_seconds:g} s")
            self.io.transcript.write("event", f"microphone lost: {problem}")
            self._mic_problem = problem
            self.say(MICROPHONE_LOST, problem=problem)

    def _microphone_ok(self) -> None:
        if self._mic_problem:
            self._mic_problem = ""
            self.io.log("microphone back")
            self.io.transcript.write("event", "microphone back")
            self.say(MICROPHONE_BACK)


class SessionRunner:
    """Runs `voicecoach start ARGS` as a child process; `terminate()` ends it (SIGTERM)."""

    def __init__(self, args: list[str]):
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self._terminated = False  # terminate() was asked for the running session
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        with self._lock:
            return self.process is not None and self.process.poll() is None

    def __call__(self) -> int:
        """The session's exit status; 143 when `terminate()` ended it, even if the signal
        came before the session could say goodbye (then the status is -15 or -9)."""
        command = [sys.executable, "-m", "voicecoach", "start", *self.args]
        with self._lock:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
            self._terminated = False
        try:
            status = self.process.wait()
        finally:
            with self._lock:
                self.process = None
        return int(ExitCode.TERMINATED) if self._terminated and status < 0 else status

    def terminate(self, grace: float = 10.0) -> None:
        """Ask the session to close (it says goodbye and keeps its history); kill it if it
        has not within `grace` seconds. Returns at once: safe in a signal handler."""
        with self._lock:
            process = self.process
            if process is None or process.poll() is not None:
                return
            self._terminated = True
        process.terminate()
        timer = threading.Timer(grace, lambda: process.poll() is None and process.kill())
        timer.daemon = True
        timer.start()
