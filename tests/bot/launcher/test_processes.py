"""The launcher: what it tells Rasa, and how its processes listen."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.launcher.processes import Stack, tracker_store_config


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a socket listening on `port` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # /proc prints IPv6 as four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.slow
@pytest.mark.e2e
def test_every_process_listens_on_loopback_only(full_stack: Stack):
    ports = full_stack.ports
    for name, port in {"backend": ports.backend, "actions": ports.actions, "rasa": ports.rasa}.items():
        addresses = listening_addresses(port)
        assert addresses, f"{name} does not listen on {port}"
        assert addresses <= {"127.0.0.1", "::1"}, f"{name} listens on {addresses}"


def test_tracker_store_from_urls(tmp_path: Path):
    fallback = tmp_path / "t.db"
    assert tracker_store_config("", fallback) == {"type": "SQL", "dialect": "sqlite", "db": str(fallback)}
    assert tracker_store_config(f"sqlite:///{tmp_path}/x.db", fallback) == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": f"{tmp_path}/x.db",
    }
