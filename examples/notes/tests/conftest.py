"""Fixtures for the notes app's tests: the app in-process with an in-memory database, and the
app under a real uvicorn (its own process, its own SQLite file, Redis when given)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest

from aaf.app import App
from aaf.testing import TestClient
from notes.api import get_db
from notes.app import create_app
from notes.db import Database
from tests._helpers import free_port, stop_process

EXAMPLES = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app(tmp_path: Path) -> App:
    return create_app(database=tmp_path / "notes.sqlite3")


@pytest.fixture()
def client(app: App) -> Iterator[TestClient]:
    """The app in-process, its database swapped for a private in-memory SQLite."""
    opened: list[Database] = []

    async def in_memory() -> Database:
        if not opened:  # opened on first use, on the app's event loop
            opened.append(await Database.open(":memory:"))
        return opened[0]

    app.dependency_overrides[get_db] = in_memory
    with TestClient(app) as client:
        yield client
    for db in opened:
        asyncio.run(db.close())


@contextlib.contextmanager
def notes_server(
    database: Path,
    redis_url: str | None = None,
    prefix: Literal["", "/notes"] = "",
    port: int | None = None,
) -> Generator[str]:
    """``uvicorn notes.app:app`` on a free port of 127.0.0.1 (or ``port``: a server started
    again where it was); stopped by PID. With ``prefix`` ("/notes"), the app served under it
    (``notes.tests.under_prefix``)."""
    port = port or free_port()
    module = "notes.tests.under_prefix:app" if prefix else "notes.app:app"
    env = {**os.environ, "AAF_NOTES_DB": str(database)}
    env.pop("AAF_REDIS_URL", None)
    if redis_url:
        env["AAF_REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(EXAMPLES), module]
        + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + prefix + "/api/notes", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, "uvicorn exited"
            assert time.monotonic() < deadline, "uvicorn did not answer within 20 s"
            time.sleep(0.1)
        yield base
    finally:
        stop_process(process)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    with notes_server(tmp_path / "notes.sqlite3") as base:
        yield base
