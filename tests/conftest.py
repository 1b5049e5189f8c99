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


# ------------------------------------------------------------------ a throwaway PostgreSQL server
# The history suite runs against SQLite and a real PostgreSQL (issue 23's bar). The cluster is
# initdb'd in a temporary folder and listens only on a unix socket there (no TCP at all); as
# initdb refuses root, CI (root) runs it as the ``postgres`` user. With CI set, a missing
# PostgreSQL fails the suite instead of skipping it.

def _postgres_bin():
    import glob
    import os
    from pathlib import Path

    if os.environ.get("KAXL_PG_BIN"):
        return Path(os.environ["KAXL_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_server():
    """A running throwaway cluster: yields a function name → URL of a fresh empty database."""
    import itertools
    import os
    import shutil
    import subprocess
    import tempfile

    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        message = "PostgreSQL (initdb, pg_ctl) is not installed: apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = tempfile.mkdtemp(prefix="kaxl-pg-")  # not under pytest's 0700 root-owned tmp: postgres must enter
    data, log = os.path.join(base, "data"), os.path.join(base, "server.log")
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    run(str(bin_dir / "initdb"), "-D", data, "-U", "kaxl", "-A", "trust", "-E", "UTF8", "--no-locale")
    run(str(bin_dir / "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o",
        f"-k {base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start")
    counter = itertools.count(1)

    def fresh_database() -> str:
        import psycopg

        name = f"kaxl_test_{next(counter)}"
        with psycopg.connect(host=base, user="kaxl", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://kaxl@/{name}?host={base}"

    try:
        yield fresh_database
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
