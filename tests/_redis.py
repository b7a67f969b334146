"""A real redis-server for the tests: started on a free port on 127.0.0.1, stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from ._helpers import free_port, stop_process


class RedisServer:
    """One redis-server process this test started."""

    def __init__(self, port: int, password: str | None = None) -> None:
        self.port = port
        self.password = password
        secret = f":{password}@" if password else ""
        self.url = f"redis://{secret}127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no"]
            + (["--requirepass", self.password] if self.password else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    # +PONG, or -NOAUTH from a server that takes a password: it answers
                    if sock.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def freeze(self) -> None:
        """Stop the server answering while its sockets stay open (a hung or cut-off Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.thaw()  # a frozen process would not act on SIGTERM
            stop_process(self.process, timeout=5)
        self.process = None


def _running(password: str | None = None) -> Iterator[RedisServer]:
    """A fresh redis-server; in CI a missing one fails the run instead of skipping."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing: `make test` installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(free_port(), password)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server, open to all."""
    yield from _running()


@pytest.fixture()
def redis_with_password() -> Iterator[RedisServer]:
    """A fresh redis-server that takes the password ``hunter2`` (in its ``url``)."""
    yield from _running("hunter2")
