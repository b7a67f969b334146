"""Plain ``def`` code (handlers, providers, background work) runs on the app's own pool of
worker threads, over a real uvicorn: as many at once as FastAPI runs (40), and never in the
threads that serve files, so slow sync handlers cannot starve a download."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from aaf import App, aaf
from aaf.connection import Connection
from aaf.params import Depends
from aaf.response import FileResponse, HttpResponse
from aaf.routing import Router
from aaf.testing import TestClient
from aaf.views import View

from ._helpers import serve

AT_ONCE = 12  # more than asyncio's default pool holds on this machine (cpu count + 4)
WAIT = 20.0  # the longest a blocked handler waits before giving up


class Blocks:
    """What the app's sync code waits on, and what it saw."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(AT_ONCE)
        self.release = threading.Event()
        self.threads: set[str] = set()
        self.background = threading.Event()
        self.entered = threading.Semaphore(0)  # released once per handler that got a thread


def make_app(tmp: Path, blocks: Blocks) -> App:
    router = Router()
    (tmp / "report.txt").write_bytes(b"report")

    def together() -> str:
        blocks.threads.add(threading.current_thread().name)
        # Every one of AT_ONCE requests must be running at once to get past this.
        return str(blocks.barrier.wait(timeout=WAIT))

    @router.get("/together")
    def meet(connection: Connection) -> str:
        together()
        return "met"

    @router.route("/view")
    class Meet(View):
        def get(self, connection: Connection) -> str:
            together()
            return "met"

    @router.get("/provided")
    async def provided(connection: Connection, met: str = Depends(together)) -> str:
        return "met"

    @router.get("/blocked")
    def blocked(connection: Connection) -> str:
        blocks.entered.release()
        blocks.release.wait(timeout=WAIT)
        return "released"

    @router.get("/file")
    async def file(connection: Connection) -> FileResponse:
        return FileResponse(tmp / "report.txt")

    @router.get("/later")
    async def later(connection: Connection) -> HttpResponse:
        def note() -> None:
            blocks.threads.add(threading.current_thread().name)
            blocks.background.set()

        return HttpResponse("ok", background=note)

    return aaf([router])


@pytest.fixture()
def blocks() -> Iterator[Blocks]:
    made = Blocks()
    yield made
    made.release.set()  # whatever a test did, nothing stays blocked
    made.barrier.abort()


@pytest.fixture()
def base(tmp_path: Path, blocks: Blocks) -> Iterator[str]:
    with serve(make_app(tmp_path, blocks)) as url:
        yield url


def get_all(url: str, count: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(count) as clients:
        futures = [clients.submit(httpx.get, url, timeout=WAIT + 10) for _ in range(count)]
        return [f.result() for f in futures]


@pytest.mark.parametrize("path", ["/together", "/view", "/provided"])
def test_sync_code_runs_many_at_once(base: str, blocks: Blocks, path: str) -> None:
    # asyncio's default pool (min(32, cpu count + 4) threads: 6 on two cores) left half of
    # them queued behind the barrier until it broke, and each such request a 500.
    answers = get_all(base + path, AT_ONCE)
    assert [a.status_code for a in answers] == [200] * AT_ONCE
    assert all(name.startswith("aaf-") for name in blocks.threads), blocks.threads


def test_slow_sync_handlers_cannot_starve_file_serving(base: str, blocks: Blocks) -> None:
    # As many blocked handlers as the old shared pool had threads (and more): files are read
    # in threads of their own, so the download is answered while they wait.
    with ThreadPoolExecutor(AT_ONCE) as clients:
        pending = [
            clients.submit(httpx.get, base + "/blocked", timeout=WAIT + 10) for _ in range(AT_ONCE)
        ]
        # Every handler in a thread of its own before the download is asked for.
        assert all(blocks.entered.acquire(timeout=10) for _ in range(AT_ONCE))
        answer = httpx.get(base + "/file", timeout=5)
        assert answer.status_code == 200 and answer.content == b"report"
        blocks.release.set()
        assert [f.result().text for f in pending] == ["released"] * AT_ONCE


def test_sync_background_work_runs_in_the_apps_pool(base: str, blocks: Blocks) -> None:
    assert httpx.get(base + "/later", timeout=5).text == "ok"
    assert blocks.background.wait(5)
    assert all(name.startswith("aaf-") for name in blocks.threads), blocks.threads


def test_max_threads_bounds_the_pool_and_survives_a_restart() -> None:
    router = Router()
    threads: list[threading.Thread] = []

    @router.get("/name")
    def name(connection: Connection) -> str:
        threads.append(threading.current_thread())
        return "ok"

    app = aaf([router], max_threads=1)
    for _ in range(2):  # the lifespan's end shuts the pool down; the next start makes a new one
        with TestClient(app) as client:
            assert [client.get("/name").text for _ in range(3)] == ["ok"] * 3
    # One thread for each start, reused by its three requests.
    first, second = threads[0], threads[3]
    assert threads == [first] * 3 + [second] * 3 and first is not second
    assert first.name.startswith("aaf-sync")
    with pytest.raises(ValueError, match="max_threads must be at least 1"):
        aaf([router], max_threads=0)


def test_handlers_run_their_own_blocking_calls_in_the_apps_pool() -> None:
    # What Starlette's run_in_threadpool does, typed: the call's arguments are checked.
    router = Router()

    def blocking_read(name: str, *, upper: bool = False) -> str:
        text = f"{name} in {threading.current_thread().name.split('_')[0]}"
        return text.upper() if upper else text

    @router.get("/read")
    async def read(connection: Connection) -> str:
        return await connection.app.threads.run(blocking_read, "notes", upper=True)

    assert TestClient(aaf([router])).get("/read").text == "NOTES IN AAF-SYNC"
