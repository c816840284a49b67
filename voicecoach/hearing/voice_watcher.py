"""The voice watcher: a thread that reads the microphone and spots commands in it."""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator

from voicecoach.audio.wav import Clip
from voicecoach.hearing.endpointer import CHUNK
from voicecoach.hearing.second_pass import preload_transcriber
from voicecoach.hearing.spotting import CommandSpotter
from voicecoach.hearing.tuning import LISTEN_SWITCH_INTERVAL
from voicecoach.hearing.word_check import preload_check
from voicecoach.session.actions import Heard


class VoiceWatcher:
    """Listens to a microphone (or any source with the same shape) on a thread, while started.

    `open_source` gives a SpeechRecognition-style source: a context manager whose `stream`
    has `read(frames)` of 16 kHz 16-bit mono audio. It is opened on `start` and released on
    `stop`, so a question's listener can have the microphone to itself.
    """

    def __init__(self, open_source: Callable[[], object], spotter: CommandSpotter | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 on_error: Callable[[str], None] | None = None):
        self.open_source = open_source
        self.spotter = spotter or CommandSpotter()
        self.clock = clock
        self.on_error = on_error
        self.commands: queue.Queue[Heard] = queue.Queue()
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self.cpu_seconds = 0.0  # CPU time used by the listening thread, summed over runs
        self._switch_interval = sys.getswitchinterval()  # restored when listening stops
        self.listened_seconds = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        preload_check()  # the second and third opinions load now, not at the first command
        preload_transcriber()
        # The listening thread must keep up with the microphone: while it runs, it is handed
        # the interpreter sooner when another thread is busy (LISTEN_SWITCH_INTERVAL).
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, LISTEN_SWITCH_INTERVAL))
        self._running.set()
        self._thread = threading.Thread(target=self._listen, name="voicecoach-commands",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
            sys.setswitchinterval(self._switch_interval)

    def _listen(self) -> None:
        cpu_start, wall_start = time.thread_time(), time.monotonic()
        try:
            with self.open_source() as source:
                self.spotter.reset()
                self.spotter.self_hearing.reset_stream()
                while self._running.is_set():
                    chunk = source.stream.read(CHUNK)
                    if not chunk:
                        break
                    heard = self.spotter.feed(chunk, self.clock())
                    if heard is not None:
                        self.commands.put(heard)
        except Exception as exc:  # the microphone went away: commands stop, the session goes on
            if self.on_error:
                self.on_error(f"listening for commands stopped: {exc}")
        finally:
            self.cpu_seconds += time.thread_time() - cpu_start
            self.listened_seconds += time.monotonic() - wall_start

    def next_command(self, timeout: float) -> Heard | None:
        try:
            return self.commands.get(timeout=max(0.0, timeout)) if timeout > 0 else \
                self.commands.get_nowait()
        except queue.Empty:
            return None

    def pending(self) -> str | None:
        with self.commands.mutex:
            return self.commands.queue[0].value if self.commands.queue else None

    def played(self, clip: Clip, at: float) -> None:
        """The loudspeaker started playing `clip` at clock time `at` (for echo cancelling)."""
        self.spotter.self_hearing.played(clip.pcm, clip.rate, at)

    def cut(self, at: float) -> None:
        """The loudspeaker stopped playing at clock time `at`, before the sound's end."""
        self.spotter.self_hearing.cut(at)

    @contextlib.contextmanager
    def speaking(self, text: str) -> Iterator[None]:
        self.spotter.self_hearing.begin(self.clock(), text)
        try:
            yield
        finally:
            self.spotter.self_hearing.end(self.clock())

    def user_speaking(self) -> bool:
        spotter = self.spotter
        return self._thread is not None and (spotter.endpointer.in_phrase or spotter.deciding)

    def close(self) -> None:
        self.stop()
