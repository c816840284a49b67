"""A second opinion from the household's Wyoming speech-to-text (opt-in, `--asr`).

Used where Whisper would be (hearing/second_pass.py): only for a phrase the local recognizer
is unsure of, with TIMEOUT on the whole exchange. A server that is down, slow or confused
gives no opinion (""), so the local opinions decide, as they do with no server at all.
"""

from __future__ import annotations

import logging

from voicecoach.audio.wyoming_client import Event, Service, ServiceError, exchange
from voicecoach.hearing.endpointer import SAMPLE_RATE
from voicecoach.hearing.second_pass import LEAD_SECONDS

TIMEOUT = 2.0  # seconds: the person is waiting for the next question
CHUNK_BYTES = 2 * 1024 * 2  # 1024 samples of 16-bit audio per audio-chunk event


class WyomingTranscriber:
    """transcribe(pcm) through a Wyoming ASR server; "" whenever it cannot."""

    def __init__(self, service: Service, timeout: float = TIMEOUT):
        self.service = service
        self.timeout = timeout
        self.problem = ""
        self.asked = self.answered = 0

    def transcribe(self, pcm: bytes) -> str:
        """The transcript of 16-bit mono 16 kHz PCM ('' for none or no answer)."""
        pcm = bytes(2 * round(LEAD_SECONDS * SAMPLE_RATE)) + pcm  # as Whisper gets it
        fmt = {"rate": SAMPLE_RATE, "width": 2, "channels": 1}
        events = [Event("transcribe", {"language": "en"}), Event("audio-start", fmt)]
        events += [Event("audio-chunk", fmt, pcm[i:i + CHUNK_BYTES])
                   for i in range(0, len(pcm), CHUNK_BYTES)]
        events.append(Event("audio-stop", {}))
        self.asked += 1
        try:
            answer = exchange(self.service, events, until=("transcript",), timeout=self.timeout)
        except ServiceError as exc:
            if str(exc) != self.problem:
                logging.getLogger(__name__).warning("second opinion unavailable: %s", exc)
            self.problem = str(exc)
            return ""
        self.problem = ""
        self.answered += 1
        return str(answer[-1].data.get("text") or "").strip()
