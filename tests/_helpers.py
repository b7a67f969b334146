"""Helpers for tests: raw ASGI calls, a real uvicorn on 127.0.0.1, mypy on snippets."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Generator, MutableMapping, Sequence
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import uvicorn

from aaf import _entries, _extract, _slices
from aaf._types import ASGIApp, HTTPScope, ReceiveEvent, SendEvent, WebSocketScope
from aaf.channels import InMemoryGroups, RedisGroups
from aaf.connection import Connection
from aaf.routing import Router


def http_scope(
    method: str = "GET",
    path: str = "/",
    query_string: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    root_path: str = "",
) -> HTTPScope:
    """Build an HTTP scope as a server would."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": root_path,
        "headers": list(headers),
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
    }


def ws_scope(
    path: str = "/ws",
    extensions: MutableMapping[str, MutableMapping[object, object]] | None = None,
) -> WebSocketScope:
    """Build a WebSocket handshake scope as a server would."""
    scope: WebSocketScope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
    }
    if extensions is not None:
        scope["extensions"] = extensions
    return scope


def import_file(path: Path, name: str, keep: bool = True) -> ModuleType:
    """Import the module at ``path`` as ``name``, afresh. It is in ``sys.modules`` while it
    runs (pydantic and dataclasses look their module up), and after only with ``keep``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if not keep:
            del sys.modules[name]
    return module


def stop_process(
    process: subprocess.Popen[bytes], *, group: bool = False, timeout: float = 10.0
) -> None:
    """Stop a process this test started, by PID: SIGTERM, then SIGKILL if it lingers. With
    ``group``, its whole process group (it was started with ``start_new_session``), so that
    what it started stops too."""

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(5)


class Recorder:
    """A receive that feeds body chunks and a send that records every message."""

    def __init__(self, chunks: Sequence[bytes] = (b"",), disconnect_after: bool = False) -> None:
        self.incoming: list[ReceiveEvent] = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        if disconnect_after:
            self.incoming[-1] = {"type": "http.request", "body": chunks[-1], "more_body": True}
            self.incoming.append({"type": "http.disconnect"})
        self.sent: list[SendEvent] = []

    async def receive(self) -> ReceiveEvent:
        if self.incoming:
            return self.incoming.pop(0)
        await asyncio.sleep(3600)  # a real server blocks until the client leaves
        return {"type": "http.disconnect"}

    async def send(self, message: SendEvent) -> None:
        self.sent.append(message)

    def connection(self, scope: HTTPScope | None = None) -> Connection:
        """A connection over this recorder."""
        return Connection(scope or http_scope(), send=self.send, receive=self.receive)


def run_with_connection(
    body: Callable[[Connection], Coroutine[object, object, None]],
    scope: HTTPScope | None = None,
    chunks: Sequence[bytes] = (b"",),
) -> list[SendEvent]:
    """Run ``body`` on a fresh connection and give back what it sent."""
    recorder = Recorder(chunks)
    asyncio.run(body(recorder.connection(scope)))
    return recorder.sent


def multipart_part(name: str, filename: str | None, content: bytes, boundary: str = "B") -> bytes:
    """One part of a multipart body, its delimiter line first (a file's when ``filename`` is
    not None, "" as a browser sends a file input with none chosen); the body's last line is
    ``--B--``."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n"
    return head.encode() + content + b"\r\n"


def free_port() -> int:
    """Ask the OS for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# uvicorn's HTTP implementation for the tests' servers: "auto" is httptools, which the test
# extras install (`uvicorn[standard]` does too); `pip install aaf` alone gives h11, which
# `make test` runs the server tests on again (AAF_TEST_HTTP=h11, the Makefile's test-h11).
UVICORN_HTTP = os.environ.get("AAF_TEST_HTTP", "auto")
_HTTP_MODULES = {"h11": "h11_impl", "httptools": "httptools_impl"}
# And its WebSocket implementation: "auto" is the websockets library, which aaf depends on;
# `make test-h11` runs the WebSocket tests again on wsproto (AAF_TEST_WS=wsproto).
UVICORN_WS = os.environ.get("AAF_TEST_WS", "auto")
_WS_MODULES = {"websockets": "websockets_impl", "wsproto": "wsproto_impl"}


def uvicorn_command(*args: str) -> list[str]:
    """``python -m uvicorn`` with ``args``, on the tests' HTTP and WebSocket implementations."""
    return [sys.executable, "-m", "uvicorn", "--http", UVICORN_HTTP, "--ws", UVICORN_WS, *args]


@contextlib.contextmanager
def serve(app: ASGIApp, *, timeout: float = 10.0, **options: object) -> Generator[str]:
    """Run ``app`` under a real uvicorn on 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        **{"http": UVICORN_HTTP, "ws": UVICORN_WS, **options},  # type: ignore[arg-type]  # uvicorn.Config's keywords
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("uvicorn did not start in time")
        time.sleep(0.02)
    wanted = _HTTP_MODULES.get(str(options.get("http", UVICORN_HTTP)))
    if wanted is not None and not config.http_protocol_class.__module__.endswith(wanted):
        server.should_exit = True
        raise RuntimeError(f"uvicorn runs {config.http_protocol_class}, not {wanted}")
    wanted = _WS_MODULES.get(str(options.get("ws", UVICORN_WS)))
    if wanted is not None and not config.ws_protocol_class.__module__.endswith(wanted):  # pyright: ignore[reportOptionalMemberAccess]  # set by load(), as the server started
        server.should_exit = True
        raise RuntimeError(f"uvicorn runs {config.ws_protocol_class}, not {wanted}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)


def group_member(
    groups: InMemoryGroups, group: str
) -> Callable[[Connection], Coroutine[object, object, None]]:
    """A WebSocket handler whose client is a member of ``group`` until it leaves."""

    async def member(connection: Connection) -> None:
        await connection.accept()
        await groups.join(group, connection)
        try:
            async for _ in connection.iter_text():
                pass
        finally:
            await groups.leave(group, connection)

    return member


def count_turns(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> list[float]:
    """The turns of the event loop ``modules`` take (their ``asyncio.sleep`` calls), recorded."""
    turns: list[float] = []
    real_sleep = asyncio.sleep

    async def counted(delay: float) -> None:
        turns.append(delay)
        await real_sleep(delay)

    taking = [module for module in modules if hasattr(module, "asyncio")]
    assert taking, "none of the modules imports asyncio"
    for module in taking:
        monkeypatch.setattr(module, "asyncio", SimpleNamespace(sleep=counted))
    return turns


# The modules that read a JSON body (split from one): a name patched for a test is patched in
# each of them that has it, where it is defined and where it is imported.
BODY_MODULES = (_extract, _slices, _entries)


def patch_body_modules(monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    """Patch ``name`` in each module reading a JSON body that has it."""
    found = [module for module in BODY_MODULES if hasattr(module, name)]
    assert found, f"no body module has {name}"
    for module in found:
        monkeypatch.setattr(module, name, value)


def add_late_joiner(
    router: Router,
    groups: InMemoryGroups | RedisGroups,
    then: Callable[[Connection], object] = lambda connection: None,
) -> None:
    """Routes of a session that a task outliving it joins to the group "late": ``/ws`` opens
    the session, whose task joins it once the session is over (then calls ``then`` with the
    connection); ``/members`` waits for those tasks and counts the group's members here."""
    late: list[asyncio.Task[None]] = []

    async def join_when_over(connection: Connection, over: asyncio.Event) -> None:
        await over.wait()
        await groups.join("late", connection)
        then(connection)

    @router.websocket("/ws")
    async def session(connection: Connection) -> None:
        await connection.accept()
        over = asyncio.Event()
        connection.at_session_end(over.set)
        late.append(asyncio.ensure_future(join_when_over(connection, over)))

    @router.get("/members")
    async def members(connection: Connection) -> int:
        await asyncio.gather(*late)
        return groups.members("late")
