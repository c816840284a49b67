#!/usr/bin/env python3
"""List the Wyoming services announced on this network (as Home Assistant discovers them).

    python scripts/browse_wyoming.py [--seconds 4]

Run it beside `voicecoach serve --wyoming tcp://0.0.0.0:10700 --zeroconf` to see the coach
announced: "voicecoach-HOSTNAME._wyoming._tcp.local. at 192.168.1.20:10700".
"""

from __future__ import annotations

import argparse
import time


def browse(seconds: float) -> list[tuple[str, list[str], int]]:
    """(name, addresses, port) of each `_wyoming._tcp.local.` service seen within `seconds`."""
    from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

    found: list[tuple[str, list[str], int]] = []

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            info = zc.get_service_info(type_, name, timeout=2000)
            if info is not None:
                found.append((name, info.parsed_addresses(), int(info.port or 0)))

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

    zeroconf = Zeroconf()
    try:
        ServiceBrowser(zeroconf, "_wyoming._tcp.local.", Listener())
        time.sleep(seconds)
    finally:
        zeroconf.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    found = browse(args.seconds)
    for name, addresses, port in found:
        print(f"{name} at {', '.join(addresses)}:{port}")
    if not found:
        print("No Wyoming service answered.")


if __name__ == "__main__":
    main()
