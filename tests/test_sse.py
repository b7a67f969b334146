"""Server-sent events and background work: framing, and over a real uvicorn."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, cast

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from aaf import App, aaf
from aaf._types import ReceiveEvent, SendEvent
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Depends, Header
from aaf.response import (
    EventSourceResponse,
    HtmlResponse,
    HttpResponse,
    ServerSentEvent,
    _event_bytes,  # pyright: ignore[reportPrivateUsage]
)
from aaf.routing import Router
from aaf.testing import AsyncTestClient, TestClient

from ._helpers import http_scope, serve


class Tick(BaseModel):
    n: int


# Framing ------------------------------------------------------------------------------------------
def test_multiline_data_is_split_over_data_lines() -> None:
    event = ServerSentEvent("one\ntwo\r\nthree", event="note", id="7", retry=1500)
    assert event.encode() == (
        b"event: note\nid: 7\nretry: 1500\ndata: one\ndata: two\ndata: three\n\n"
    )


def test_models_and_dicts_go_as_json_and_comments_as_colon_lines() -> None:
    assert ServerSentEvent(Tick(n=1)).encode() == b'data: {"n":1}\n\n'
    assert ServerSentEvent({"a": [1, 2]}).encode() == b'data: {"a":[1,2]}\n\n'
    assert ServerSentEvent(comment="hello\nthere").encode() == b": hello\n: there\n\n"


@pytest.mark.parametrize("field", ["event", "id"])
def test_line_breaks_in_event_or_id_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        ServerSentEvent("x", **{field: "a\ndata: injected"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retry"):
        ServerSentEvent("x", retry=-1)


@pytest.mark.parametrize("retry", [1.5, True, "3000"])
def test_a_retry_browsers_would_ignore_is_refused(retry: object) -> None:
    # Browsers take a retry field of digits alone: "retry: 1.5" went out and did nothing.
    with pytest.raises(ValueError, match=f"not {retry!r}"):
        ServerSentEvent("x", retry=retry)  # type: ignore[arg-type]  # what the types refuse


def test_data_bytes_are_utf_8_text_or_refused_where_the_event_is_made() -> None:
    # The stream is text: bytes that are not UTF-8 failed mid-stream, cutting it.
    assert ServerSentEvent("é".encode()).encode() == "data: é\n\n".encode()
    with pytest.raises(ValueError, match="data bytes must be UTF-8"):
        ServerSentEvent(b"\xff\xfe")
    # A lone surrogate has no UTF-8 either: the stream was cut where the event went out.
    for field in ("data", "event", "id", "comment"):
        with pytest.raises(ValueError, match=f"event's {field} must be UTF-8 text"):
            ServerSentEvent(**{field: "a \udcff b"})  # type: ignore[arg-type]


_ANY_DATA = st.one_of(
    st.text(alphabet=st.characters(categories=["Cs", "Ll", "Lu", "Zs", "Cc"]), max_size=20),
    st.text(alphabet=st.sampled_from(list("ab\r\n\u2028é")), max_size=20),
    st.binary(max_size=10),
    st.none(),
    st.integers(),
    st.floats(),  # NaN and the infinities: null, as pydantic writes them
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.builds(Tick, n=st.integers()),
)


@settings(max_examples=400, deadline=None)
@given(data=_ANY_DATA)
def test_plain_data_goes_out_as_the_event_made_of_it_would(data: object) -> None:
    # The stream encodes plain items without making their ServerSentEvent: the same bytes,
    # or the same error.
    try:
        expected: bytes | str = ServerSentEvent(data).encode()
    except ValueError as exc:
        expected = str(exc)
    try:
        given: bytes | str = _event_bytes(data)
    except ValueError as exc:
        given = str(exc)
    assert given == expected


@pytest.mark.parametrize("ping", [0, -1, float("nan")])
def test_a_ping_interval_of_no_time_is_refused_where_the_response_is_made(ping: float) -> None:
    # It sent ping comments as fast as the loop turned, for as long as the stream was idle.
    with pytest.raises(ValueError, match=r"ping is how many seconds .* more than 0"):
        EventSourceResponse(iter(()), ping=ping)
    assert EventSourceResponse(iter(()), ping=0.001).ping == 0.001


def failing_after_first(app: App, path: str, error: Exception) -> None:
    """Serve one GET of ``path`` as a server that says nothing on receive (no
    http.disconnect, ever) and raises ``error`` on each send once the event "first" went."""
    sent: list[SendEvent] = []

    async def receive() -> ReceiveEvent:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: SendEvent) -> None:
        if any(b"first" in cast("bytes", m.get("body", b"")) for m in sent):
            raise error
        sent.append(message)

    async def serve_one() -> None:
        await asyncio.wait_for(app(http_scope(path=path), receive, send), 5)

    asyncio.run(serve_one())


def test_a_ping_that_finds_the_client_gone_ends_the_stream_waiting_for_an_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A server that raises on a send to a client that left, and says nothing on receive:
    # the stream, waiting for the generator's next event, hears of it from the pinger's
    # failed send (a task of its own), and ends as when the client's leaving is said.
    closed = threading.Event()
    router = Router()

    @router.get("/idle")
    async def idle(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            try:
                yield "first"
                await asyncio.sleep(3600)
            finally:
                closed.set()

        return EventSourceResponse(events(), ping=0.02)

    with caplog.at_level(logging.DEBUG, logger="aaf"):
        failing_after_first(aaf([router]), "/idle", OSError("Broken pipe"))
    assert closed.is_set()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_ping_the_server_refuses_otherwise_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An error of the server's own on a ping's send went nowhere (the pinger's task held it):
    # now it is logged, and the stream meets it at its next send, as a StreamingResponse's.
    router = Router()

    @router.get("/slow")
    async def slow(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            yield "first"
            await asyncio.sleep(0.1)
            yield "second"

        return EventSourceResponse(events(), ping=0.02)

    with caplog.at_level(logging.DEBUG, logger="aaf"), pytest.raises(RuntimeError):
        # Started, so re-raised for the server to cut the response.
        failing_after_first(aaf([router]), "/slow", RuntimeError("the server's own trouble"))
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert said[0] == "Sending a ping to an event stream failed; no more pings", said


# Generators as apps write them -------------------------------------------------------------------
_STEP = contextvars.ContextVar[str]("_STEP", default="unset")


def bounded_app(ping: float | None) -> App:
    """Event streams that bound themselves with a timeout or a cancel scope, and one that sets
    a context variable, each generator iterated as the app wrote it."""
    router = Router()

    @router.get("/timeout")
    async def timed(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[dict[str, int | bool]]:
            try:
                async with asyncio.timeout(0.3):
                    for n in itertools.count():
                        yield {"n": n}
                        await asyncio.sleep(0.1)
            except TimeoutError:
                yield {"done": True}

        return EventSourceResponse(events(), ping=ping)

    @router.get("/scope")
    async def scoped(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[dict[str, int | bool]]:
            with anyio.move_on_after(0.3):
                for n in itertools.count():
                    yield {"n": n}
                    await anyio.sleep(0.1)
            yield {"done": True}

        return EventSourceResponse(events(), ping=ping)

    @router.get("/context")
    async def context(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            _STEP.set("set in the generator")
            yield _STEP.get()
            await asyncio.sleep(0.05)
            yield _STEP.get()

        return EventSourceResponse(events(), ping=ping)

    return aaf([router])


@pytest.mark.parametrize("ping", [None, 0.02])
def test_a_timeout_a_cancel_scope_and_a_context_variable_span_a_generators_events(
    ping: float | None,
) -> None:
    # Each step of the generator was taken in a task of its own: the timeout and the cancel
    # scope never fired, so those streams never ended, and the variable was gone at the next
    # event. Now one task steps it from start to end, as a StreamingResponse's.
    with TestClient(bounded_app(ping)) as client:
        for path in ("/timeout", "/scope"):
            text = client.get(path, timeout=5).text
            data = [line for line in text.splitlines() if line.startswith("data: ")]
            assert data[0] == 'data: {"n":0}' and data[-1] == 'data: {"done":true}', path
            assert 2 <= len(data) <= 6, text
            assert (": ping" in text) == (ping is not None), text
        text = client.get("/context", timeout=5).text
        assert text.count("data: set in the generator\n\n") == 2, text


def test_a_generator_that_raises_cancelled_error_itself_ends_its_stream() -> None:
    # The CancelledError leaves the stream's task as a cancellation does: the stream ends
    # as a cancelled one (the server shutting down), and its pinger with it, not pinging
    # for ever.
    router = Router()

    @router.get("/gives-up")
    async def gives_up(connection: Connection) -> EventSourceResponse:
        async def events() -> AsyncIterator[str]:
            yield "a"
            await asyncio.sleep(0.05)
            raise asyncio.CancelledError

        return EventSourceResponse(events(), ping=0.01)

    with TestClient(aaf([router])) as client:
        text = client.get("/gives-up", timeout=5).text
    assert text.startswith("data: a\n\n") and text.count("data:") == 1, text


# Over uvicorn -----------------------------------------------------------------------------------
def make_app(events: dict[str, threading.Event], log: list[str]) -> App:
    router = Router()

    @router.get("/events")
    async def stream(
        connection: Connection,
        last_event_id: Annotated[int | None, Header(alias="Last-Event-ID")] = None,
    ) -> EventSourceResponse:
        start = (last_event_id or 0) + 1

        async def ticks() -> AsyncIterator[ServerSentEvent | Tick]:
            try:
                for n in range(start, start + 3):
                    yield ServerSentEvent(Tick(n=n), id=str(n), event="tick")
                    await asyncio.sleep(0.3)
                yield Tick(n=0)  # plain data is one event too
                await asyncio.sleep(3600)  # then nothing: pings keep the connection open
            finally:
                events["closed"].set()

        return EventSourceResponse(ticks(), ping=0.5)

    @router.get("/page")
    async def page(connection: Connection) -> HtmlResponse:
        return HtmlResponse(PAGE)

    async def slow_work() -> None:
        await asyncio.sleep(0.3)
        log.append("async work done")

    def blocking_work() -> None:
        log.append(f"sync work in {threading.current_thread().name}")

    def broken_work() -> None:
        raise RuntimeError("background failed")

    @router.get("/with-background")
    async def with_background(connection: Connection) -> HttpResponse:
        log.append("handler")
        return HttpResponse("done", background=[slow_work, broken_work, blocking_work])

    return aaf([router])


PAGE = """<!doctype html><html><body><ul id="got"></ul><script>
const source = new EventSource("/events");
source.addEventListener("tick", (e) => {
  const li = document.createElement("li");
  li.textContent = e.lastEventId + ":" + JSON.parse(e.data).n;
  document.getElementById("got").appendChild(li);
  if (document.querySelectorAll("#got li").length === 3) source.close();
});
</script></body></html>"""


@pytest.fixture()
def events() -> dict[str, threading.Event]:
    return {"closed": threading.Event()}


@pytest.fixture()
def log() -> list[str]:
    return []


@pytest.fixture()
def server(events: dict[str, threading.Event], log: list[str]) -> Iterator[str]:
    with serve(make_app(events, log)) as base:
        yield base


def read_events(response: httpx.Response, count: int) -> list[tuple[float, str]]:
    got: list[tuple[float, str]] = []
    buffer = ""
    for text in response.iter_text():
        buffer += text
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            got.append((time.monotonic(), block))
            if len(got) == count:
                return got
    return got


def test_events_arrive_one_by_one_before_the_stream_ends(
    server: str, events: dict[str, threading.Event]
) -> None:
    with httpx.Client(timeout=10) as client, client.stream("GET", server + "/events") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        got = read_events(response, 5)
    blocks = [block for _, block in got]
    assert blocks[:3] == [f'event: tick\nid: {n}\ndata: {{"n":{n}}}' for n in (1, 2, 3)]
    assert blocks[3] == 'data: {"n":0}' and blocks[4] == ": ping"
    # Each came as it was made, 0.3 s apart, not all at the end.
    assert got[1][0] - got[0][0] > 0.2 and got[2][0] - got[1][0] > 0.2
    assert events["closed"].wait(5), "leaving did not close the generator"


def test_last_event_id_is_a_typed_header(server: str) -> None:
    headers = {"Last-Event-ID": "41"}
    with httpx.Client(timeout=10) as client:
        with client.stream("GET", server + "/events", headers=headers) as response:
            first = read_events(response, 1)[0][1]
        assert first.startswith("event: tick\nid: 42\n")
        refused = client.get(server + "/events", headers={"Last-Event-ID": "x"})
        assert refused.status_code == 422


def test_background_work_runs_after_the_client_has_the_body(
    server: str, log: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="aaf"):
        response = httpx.get(server + "/with-background", timeout=10)
        assert response.text == "done"
        assert "async work done" not in log  # the body came before the work ended
        deadline = time.monotonic() + 5
        while len(log) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert log[:2] == ["handler", "async work done"]
    assert log[2].startswith("sync work in ") and "MainThread" not in log[2]
    assert any("background failed" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_connection_background_runs_after_any_response_and_only_after_success(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # FastAPI's BackgroundTasks, typed: connection.add_background(fn, *args, **kwargs).
    router = Router()
    log: list[str] = []

    async def record(what: str, *, after: float = 0.0) -> None:
        await asyncio.sleep(after)
        log.append(what)

    def record_in_thread(what: str) -> None:
        log.append(f"{what} in {threading.current_thread().name}")

    def broken() -> None:
        raise RuntimeError("connection background failed")

    @router.get("/model")
    async def model(connection: Connection) -> Tick:
        connection.add_background(record, "model", after=1.0)
        connection.add_background(broken)  # logged; the next still runs
        connection.add_background(record_in_thread, "sync")
        return Tick(n=1)

    @router.get("/stream")
    async def stream(connection: Connection) -> None:
        await connection.send(b"a")
        connection.add_background(record, "stream")  # the response started: still in time
        await connection.send(b"b", finish=True)
        with pytest.raises(ValueError, match="the response is finished"):
            connection.add_background(record, "too late")

    @router.get("/both")
    async def both(connection: Connection) -> HttpResponse:
        connection.add_background(record, "the connection's")
        return HttpResponse("both", background=functools.partial(record, "the response's"))

    @router.get("/failed")
    async def failed(connection: Connection) -> str:
        connection.add_background(record, "after a failure")
        raise HTTPError(409, "taken")

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 5
        while len(log) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="aaf"), serve(aaf([router])) as base:
        with httpx.Client(base_url=base, timeout=10) as client:
            began = time.monotonic()
            assert client.get("/model").json() == {"n": 1}
            assert time.monotonic() - began < 1.0 and log == []  # the body came first
            wait_for(2)
            assert log[0] == "model"
            assert log[1].startswith("sync in ") and "MainThread" not in log[1]
            assert client.get("/stream").content == b"ab"
            wait_for(3)
            assert log[2] == "stream"
            assert client.get("/failed").status_code == 409
            assert client.get("/both").text == "both"
            wait_for(5)
    assert log[3:] == ["the connection's", "the response's"]  # nothing from /failed
    failures = [r for r in caplog.records if r.exc_info]
    assert [str(r.exc_info[1]) for r in failures if r.exc_info] == ["connection background failed"]


def test_background_work_runs_before_generator_providers_clean_up() -> None:
    # So that work after the response may still use what a provider gave (a database
    # session): the provider's code after `yield` runs once the background work is done.
    router = Router()
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        yield "session"
        events.append("session closed")

    async def note(used: str) -> None:
        events.append(f"background used the {used}")

    @router.get("/work")
    async def work(connection: Connection, db: str = Depends(session)) -> str:
        connection.add_background(note, db)
        return "done"

    with TestClient(aaf([router])) as client:
        assert client.get("/work").text == "done"
    assert events == ["background used the session", "session closed"]


def test_background_work_is_for_http_responses() -> None:
    router = Router()
    refused: list[str] = []

    @router.websocket("/ws")
    async def socket(connection: Connection) -> None:
        try:
            connection.add_background(print, "never")
        except ValueError as exc:
            refused.append(str(exc))
        await connection.accept()
        await connection.close()

    with TestClient(aaf([router])) as client, client.websocket_connect("/ws"):
        pass
    assert refused and refused[0].startswith("add_background runs work after an HTTP response")


@pytest.mark.anyio
async def test_shutdown_cancels_background_work_after_the_grace_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = Router()
    events: list[str] = []

    async def slow() -> None:
        events.append("started")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    @router.get("/slow")
    async def begin(connection: Connection) -> HttpResponse:
        return HttpResponse("sent", background=slow)

    app = aaf([router], shutdown_grace=0.1)
    with caplog.at_level(logging.INFO, logger="aaf"):
        async with AsyncTestClient(app) as client:
            request = asyncio.ensure_future(client.get("/slow"))
            async with asyncio.timeout(5):  # the background work started
                while not events:
                    await asyncio.sleep(0.01)
        answer = await asyncio.wait_for(request, 5)
    assert answer.text == "sent"
    assert events == ["started", "cancelled"]
    messages = [r.getMessage() for r in caplog.records]
    assert "Shutting down: waiting for 1 background tasks" in messages
    assert any("was cancelled at shutdown" in m for m in messages)
