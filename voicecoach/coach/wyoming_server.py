"""voicecoach as a Wyoming *handle* program that Home Assistant can find and talk to.

`voicecoach serve --wyoming tcp://HOST:PORT [--zeroconf]`: Home Assistant connects, sends
`describe` (answered with `info` naming one handle program, "voicecoach", English) and then
`transcript` events, each answered `handled` or `not-handled` with a text to say back
(coach/household.py decides). The server runs on its own thread beside the wake-phrase loop.

Events are read with limits, so a peer cannot make it hold unbounded memory or wait forever:
a header line longer than MAX_LINE, a data or payload part longer than MAX_PART, or JSON that
does not parse gets an `error` event and the connection is closed; a part that does not
arrive within PART_SECONDS closes it too. Nothing a client sends can stop the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable

from voicecoach import __version__
from voicecoach.audio.wyoming_client import Service, host_and_port
from voicecoach.coach.household import Household
from voicecoach.errors import VoicecoachError

MAX_LINE = 64 * 1024  # bytes of one event's JSON header line
MAX_PART = 1024 * 1024  # bytes of one event's data or payload part
PART_SECONDS = 10.0  # a promised data or payload part must arrive within this
MAX_CLIENTS = 16  # connections at once; more are closed at once


class WyomingError(VoicecoachError):
    """The Wyoming server cannot start (a bad address, a port in use, the extra missing)."""


class BadEvent(Exception):
    """An event that breaks the protocol or the limits; the connection is closed after it."""


def parse_address(uri: str) -> Service:
    """"tcp://HOST:PORT": where the handle program listens."""
    if (address := host_and_port(uri, ("tcp",))) is None:
        raise WyomingError(f"{uri!r} is not an address like tcp://HOST:PORT "
                           "(for example tcp://0.0.0.0:10700)")
    return address


def require_wyoming() -> None:
    try:
        import wyoming  # noqa: F401
    except ImportError:
        raise WyomingError("the Wyoming protocol needs the homeassistant extra: "
                           "pip install 'voicecoach[homeassistant]'") from None


async def read_event(reader: asyncio.StreamReader) -> object | None:
    """The next event (a wyoming Event), None at the end of the stream; BadEvent otherwise."""
    from wyoming.event import Event

    try:
        line = await reader.readline()
    except (ValueError, asyncio.LimitOverrunError):
        raise BadEvent(f"an event header longer than {MAX_LINE} bytes") from None
    if not line:
        return None
    try:
        header = json.loads(line)
        kind = header["type"]
        data = header.get("data") or {}
        if not isinstance(kind, str) or not isinstance(data, dict):
            raise TypeError
        lengths = [header.get("data_length") or 0, header.get("payload_length") or 0]
        if not all(isinstance(n, int) and 0 <= n <= MAX_PART for n in lengths):
            raise BadEvent(f"a data or payload part over {MAX_PART} bytes, or not a length")
        if lengths[0]:
            extra = json.loads(await _exactly(reader, lengths[0]))
            if not isinstance(extra, dict):
                raise TypeError
            data.update(extra)
        payload = await _exactly(reader, lengths[1]) if lengths[1] else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadEvent("not a Wyoming event (each event is one JSON line with a type)") from None
    return Event(type=kind, data=data, payload=payload)


async def _exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.readexactly(size), PART_SECONDS)
    except asyncio.TimeoutError:
        raise BadEvent(f"a promised part did not arrive within {PART_SECONDS:g} s") from None
    except asyncio.IncompleteReadError:
        raise BadEvent("the connection closed inside an event") from None


def describe_info() -> object:
    """The `info` event: one handle program, voicecoach, in English."""
    from wyoming.info import Attribution, HandleModel, HandleProgram, Info

    attribution = Attribution(name="voicecoach", url="https://pypi.org/project/voicecoach/")
    model = HandleModel(name="voicecoach", attribution=attribution, installed=True,
                        description="Starts a stretching session on the coach box, stops "
                                    "it, and tells your progress.",
                        version=__version__, languages=["en"])
    program = HandleProgram(name="voicecoach", attribution=attribution, installed=True,
                            description="A hands-free coach for low back and hip stretches",
                            version=__version__, models=[model])
    return Info(handle=[program]).event()


def _address_toward_multicast() -> str:
    """This machine's address on the network where mDNS goes (what Home Assistant dials)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("224.0.0.251", 5353))  # no packet is sent
        return str(probe.getsockname()[0])


class WyomingServer:
    """The handle program's TCP server, on a thread of its own with its own event loop."""

    def __init__(self, address: Service, household: Household, log: Callable[[str], None],
                 zeroconf: bool = False, name: str | None = None):
        require_wyoming()
        self.address = address
        self.household = household
        self.log = log
        self.zeroconf = zeroconf
        self.name = name or f"voicecoach-{socket.gethostname().split('.')[0]}"
        self.port = address.port  # the port bound (a chosen one when asked for port 0)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._clients = 0
        self._announcer: object | None = None

    def start(self) -> None:
        """Bind (raising WyomingError at once if it cannot), then serve on a thread."""
        try:
            self._server = self._loop.run_until_complete(asyncio.start_server(
                self._client, self.address.host, self.address.port, limit=MAX_LINE))
        except OSError as exc:
            self._loop.close()
            raise WyomingError(f"cannot listen on {self.address.host}:{self.address.port}: "
                               f"{exc.strerror or exc}") from None
        self.port = self._server.sockets[0].getsockname()[1]
        if self.zeroconf:
            self._announce()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="voicecoach-wyoming", daemon=True)
        self._thread.start()
        self.log(f"Wyoming handle program on tcp://{self.address.host}:{self.port}"
                 + (" (announced over zeroconf)" if self._announcer else ""))

    def stop(self) -> None:
        if self._thread is None:
            return

        async def close() -> None:
            if self._announcer is not None:
                with contextlib.suppress(Exception):
                    await self._announcer._aiozc.async_close()  # type: ignore[attr-defined]
            if self._server is not None:
                self._server.close()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._server.wait_closed(), 2)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._thread = None
        if not self._loop.is_running():
            self._loop.close()

    def _announce(self) -> None:
        """Register `_wyoming._tcp.local.` so Home Assistant discovers the coach."""
        try:
            from wyoming.zeroconf import HomeAssistantZeroconf

            host = self.address.host
            if host in ("0.0.0.0", "::", ""):
                host = _address_toward_multicast()

            async def announce() -> HomeAssistantZeroconf:
                announcer = HomeAssistantZeroconf(port=self.port, name=self.name, host=host)
                await announcer.register_server()  # in this loop, where it will be closed
                return announcer

            self._announcer = self._loop.run_until_complete(announce())
        except ImportError:
            self.log("zeroconf is not installed (pip install 'voicecoach[homeassistant]'); "
                     "add the coach in Home Assistant by host and port")
        except Exception as exc:  # no multicast route, a name clash: discovery is a nicety
            self.log(f"zeroconf announcement failed ({exc}); add the coach in Home "
                     "Assistant by host and port")

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from wyoming.error import Error

        peer = writer.get_extra_info("peername")
        self._clients += 1
        try:
            if self._clients > MAX_CLIENTS:
                self.log(f"Wyoming: too many connections; closed {peer}")
                return
            while True:
                try:
                    event = await read_event(reader)
                except BadEvent as exc:
                    self.log(f"Wyoming: {peer}: {exc}; connection closed")
                    await self._send(writer, Error(text=str(exc), code="bad-event").event())
                    return
                if event is None:
                    return
                reply = await self._reply(event)
                if reply is not None:
                    await self._send(writer, reply)
        except (ConnectionError, OSError):
            return  # the peer went away; nothing to tell
        finally:
            self._clients -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _reply(self, event: object) -> object | None:
        from wyoming.asr import Transcript
        from wyoming.error import Error
        from wyoming.handle import Handled, NotHandled
        from wyoming.ping import Ping, Pong

        kind = event.type  # type: ignore[attr-defined]
        if kind == "describe":
            return describe_info()
        if Ping.is_type(kind):
            return Pong(text=Ping.from_event(event).text).event()  # type: ignore[arg-type]
        if Transcript.is_type(kind):
            text = str(event.data.get("text") or "")  # type: ignore[attr-defined]
            loop = asyncio.get_running_loop()
            handled, answer = await loop.run_in_executor(None, self.household.answer, text)
            self.log(f"Wyoming: heard {text!r}: {'handled' if handled else 'not handled'}")
            return (Handled(text=answer) if handled else NotHandled(text=answer)).event()
        if kind in ("audio-start", "audio-chunk", "audio-stop"):
            return None  # audio without a transcript: voicecoach hears only sentences here
        return Error(text=f"voicecoach handles transcripts, not {kind!r} events",
                     code="unsupported").event()

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, event: object) -> None:
        from wyoming.event import async_write_event

        await async_write_event(event, writer)  # type: ignore[arg-type]
