"""The guard in conftest.py: a test that tried to reach the internet would fail, not pass quietly."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import NetworkRefused


def test_a_public_address_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkRefused):
        sock.connect(("203.0.113.7", 443))


def test_a_vendor_host_name_is_refused() -> None:
    with pytest.raises(httpx.ConnectError, match="127.0.0.1"):
        httpx.post("https://oapi.dingtalk.com/robot/send?access_token=x", json={}, timeout=2)


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            conn, _ = server.accept()
            conn.close()
