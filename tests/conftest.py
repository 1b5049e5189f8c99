"""Shared test set-up: no test reaches beyond this machine (issue 24's bar: loopback only).

Every robot, SMTP server and database a test talks to runs on 127.0.0.1 or a local socket; a
connection or name lookup anywhere else fails loudly instead of depending on the network.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return host is None
    if host in LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkRefused(OSError):
    """A test tried to reach a host other than this machine."""


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):  # type: ignore[index]
            raise NetworkRefused(f"tests may reach only 127.0.0.1, not {address!r}")

    def connect(self: socket.socket, address: object) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object):
        if not _is_local(host.decode() if isinstance(host, bytes) else host):
            raise NetworkRefused(f"tests may reach only 127.0.0.1, not {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield
