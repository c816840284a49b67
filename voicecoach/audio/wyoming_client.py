"""A small blocking Wyoming client for the household's speech services (opt-in).

Used for `--tts wyoming://HOST:PORT` (audio/wyoming_voice.py) and `--asr wyoming://HOST:PORT`
(hearing/wyoming_asr.py). One connection per request, a deadline on the whole exchange, and
limits on what is read, so a slow or broken server costs a bounded wait and nothing more.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from voicecoach.errors import AudioOutputError, VoicecoachError

MAX_PART = 16 * 1024 * 1024  # bytes of one event's data or payload


class ServiceError(VoicecoachError):
    """The household service is not there, too slow, or answered with something unusable."""


@dataclass(frozen=True)
class Service:
    """A Wyoming service in the home, "wyoming://HOST:PORT"."""

    host: str
    port: int

    @property
    def uri(self) -> str:
        return f"wyoming://{self.host}:{self.port}"


def host_and_port(uri: str, schemes: tuple[str, ...]) -> Service | None:
    """HOST and PORT of "SCHEME://HOST:PORT" for one of `schemes`; None if it is not that."""
    parsed = urlparse(uri)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in schemes or not parsed.hostname or port is None:
        return None
    return Service(parsed.hostname, port)


def parse_service(uri: str) -> Service:
    if (service := host_and_port(uri, ("wyoming", "tcp"))) is None:
        raise AudioOutputError(f"{uri!r} is not a service address like wyoming://HOST:PORT "
                               "(for example wyoming://192.168.1.20:10200)")
    return service


@dataclass
class Event:
    type: str
    data: dict
    payload: bytes = b""


def exchange(service: Service, events: Iterable[Event], until: tuple[str, ...],
             timeout: float) -> list[Event]:
    """Send `events`, then read events until one whose type is in `until` (included), an
    `error` event, or `timeout` seconds from now; return those read."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((service.host, service.port), timeout=timeout) as sock:
            for event in events:
                sock.sendall(_encode(event))
            reader = _Reader(sock, deadline)
            received: list[Event] = []
            while True:
                event = reader.event()
                received.append(event)
                if event.type == "error":
                    raise ServiceError(f"{service.uri} answered with an error: "
                                       f"{event.data.get('text', '')}")
                if event.type in until:
                    return received
    except TimeoutError:
        raise ServiceError(f"{service.uri} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise ServiceError(f"{service.uri}: {exc.strerror or exc}") from None


def _encode(event: Event) -> bytes:
    header: dict = {"type": event.type, "version": "1.5.0"}
    data = json.dumps(event.data).encode() if event.data else b""
    if data:
        header["data_length"] = len(data)
    if event.payload:
        header["payload_length"] = len(event.payload)
    return json.dumps(header).encode() + b"\n" + data + event.payload


class _Reader:
    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline, self.buffer = sock, deadline, b""

    def _more(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ServiceError("the service closed the connection mid-answer")
        self.buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        part, self.buffer = self.buffer[:size], self.buffer[size:]
        return part

    def event(self) -> Event:
        while b"\n" not in self.buffer:
            if len(self.buffer) > 65536:
                raise ServiceError("the service sent an event header over 64 KiB")
            self._more()
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            header = json.loads(line)
            data = header.get("data") or {}
            sizes = (int(header.get("data_length") or 0), int(header.get("payload_length") or 0))
            if not all(0 <= n <= MAX_PART for n in sizes):
                raise ValueError("a part over the size limit")
            if sizes[0]:
                data.update(json.loads(self._take(sizes[0])))
            return Event(str(header["type"]), data, self._take(sizes[1]) if sizes[1] else b"")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ServiceError(f"the service sent something that is not a Wyoming event "
                               f"({exc})") from None
