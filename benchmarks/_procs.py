"""Starting and stopping the servers the benchmark scripts measure, by PID only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from urllib.request import urlopen


def free_port() -> int:
    """Ask the OS for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server this script started: SIGTERM, then SIGKILL after 10 seconds."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(5)


def wait_up(server: subprocess.Popen[bytes], url: str, name: str, seconds: float = 30) -> None:
    """Wait up to ``seconds`` for ``url`` to answer; a server that exits or stays silent is
    stopped and reported as ``name`` did not start."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urlopen(url, timeout=max(1, seconds / 30)):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                stop(server)
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(0.05)
