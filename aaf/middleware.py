"""Middleware written as one function, FastAPI's and Starlette's ``@app.middleware("http")``.

::

    @app.middleware("http")
    async def timed(connection: Connection, call_next: CallNext) -> Answer:
        started = time.perf_counter()
        answer = await call_next(connection)
        answer.headers["X-Process-Time"] = f"{time.perf_counter() - started:.4f}"
        return answer

``call_next`` runs the rest of the app, in a task of its own, until the response starts: it
gives the ``Answer``, its status and headers, which the function may change before it returns
it; then the body follows as the app sends it, a message at a time (nothing is held: an
event stream stays a stream). The function may answer by itself instead, returning a response
(``HttpResponse(..., status_code=401)``) without calling ``call_next``. What it raises is
answered by the app's exception handlers, as a handler's exception is.

The request's body belongs to the handler: the function reads the request line, headers,
cookies and query through ``connection``, and ``connection.body()`` raises ``RuntimeError``
there. WebSocket sessions and the lifespan pass by the function untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from werkzeug.datastructures import Headers

from aaf._errors import answer_error
from aaf._http import WITH_BODY, empty_framing, encode_header, status_problem
from aaf._rules import named
from aaf._types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    ReceiveEvent,
    Scope,
    Send,
    SendEvent,
)
from aaf.connection import Connection
from aaf.response import HttpResponse

if TYPE_CHECKING:
    from aaf.app import App

__all__ = ["Answer", "CallNext", "FunctionMiddleware", "HttpMiddleware"]

logger: logging.Logger = logging.getLogger("aaf")


class Answer:
    """The app's answer to a request as it starts, before its body: ``status_code`` and
    ``headers`` (werkzeug's ``Headers``, changed in place: ``answer.headers["X-A"] = "1"``)."""

    __slots__ = ("_flow", "headers", "status_code")

    def __init__(self, status_code: int, headers: Headers, flow: _Flow) -> None:
        self.status_code: int = status_code
        self.headers: Headers = headers
        self._flow = flow

    def __repr__(self) -> str:
        return f"<Answer {self.status_code}>"


CallNext = Callable[[Connection], Awaitable[Answer]]
# A function middleware: given the request's connection and the rest of the app.
HttpMiddleware = Callable[[Connection, CallNext], Awaitable[Answer | HttpResponse]]
M = TypeVar("M", bound=HttpMiddleware)


class FunctionMiddleware:
    """The ASGI middleware that runs ``dispatch`` for each HTTP request to ``app``; ``owner``
    is the aaf app whose exception handlers answer what ``dispatch`` raises."""

    def __init__(self, app: ASGIApp, dispatch: HttpMiddleware, owner: App) -> None:
        self.app = app
        self.dispatch = dispatch
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        flow = _Flow(self.app, scope, receive)
        # The function's view of the request: everything but its body, and it cannot send.
        seen = Connection(scope, _body_is_the_handlers, _answer_by_returning, self.owner)
        try:
            try:
                result = await self.dispatch(seen, flow.call_next)
            finally:
                seen.release()
            if isinstance(result, HttpResponse):
                await flow.stop()  # an answer of its own: what the app started is dropped
                await self._answer(scope, receive, send, result.send_to)
                return
            if getattr(result, "_flow", None) is not flow:  # untyped code may return anything
                raise TypeError(
                    f"http middleware {named(self.dispatch)} returned {result!r}: return "
                    "what call_next gave, or a response"
                )
            # Checked here, while a 500 can still be answered: what the function set.
            headers = [encode_header(name, value) for name, value in result.headers.items()]
            if not 200 <= result.status_code <= 599:  # a response's (status_problem says why)
                raise ValueError(status_problem(result.status_code))
            if result.status_code not in WITH_BODY:  # a 304 made of a 200: its body is dropped
                headers = [h for h in headers if h[0] != b"content-length"]
                headers += empty_framing(result.status_code)
        except Exception as exc:
            await flow.stop()
            handlers, debug = self.owner.exception_handlers, self.owner.debug
            failed = functools.partial(answer_error, exc=exc, handlers=handlers, debug=debug)
            await self._answer(scope, receive, send, failed)
            return
        except BaseException:  # cancelled (the server stops): no task left behind
            flow.stopped = True
            if flow.task is not None:
                flow.task.cancel()
            raise
        await flow.forward(result.status_code, headers, send)

    async def _answer(
        self,
        scope: HTTPScope,
        receive: Receive,
        send: Send,
        by: Callable[[Connection], Awaitable[None]],
    ) -> None:
        """Answer the request ``by`` itself, on a connection of the app's."""
        connection = Connection(scope, receive, send, self.owner)
        try:
            await by(connection)
        finally:
            connection.release()


class _Flow:
    """The rest of the app, run by ``call_next`` in a task whose messages come here: the
    response's start is held for the middleware, its body handed on as it comes (the app
    waits while two messages are on their way: no body piles up here; two, so that a whole
    response's body and its end pass without a turn of the event loop each)."""

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        self.app: ASGIApp = app
        self.scope: Scope = scope
        self.receive: Receive = receive
        self.task: asyncio.Task[None] | None = None  # made by call_next
        self.start: asyncio.Future[HTTPResponseStartEvent] = (
            asyncio.get_running_loop().create_future()
        )
        self.body: asyncio.Queue[SendEvent | None] = asyncio.Queue(maxsize=2)
        self.stopped: bool = False  # stop() ran: nobody reads the body on

    async def call_next(self, connection: Connection) -> Answer:
        if self.task is not None:
            raise RuntimeError("call_next() runs the app once per request")
        self.task = asyncio.ensure_future(self._run())
        message = await self.start  # raises what the app raised before it answered
        pairs = message.get("headers", ())
        headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs])
        return Answer(message["status"], headers, self)

    async def _run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self._send)
        except Exception as exc:
            if self.start.done():
                raise  # after the start: forward() raises it
            self.start.set_exception(exc)  # before: call_next raises it
        finally:
            if not self.start.done():
                self.start.set_exception(
                    RuntimeError("The app returned without sending a response")
                )
            if not self.stopped:
                with contextlib.suppress(asyncio.CancelledError):
                    await self.body.put(None)  # the end, however it ended

    async def _send(self, message: SendEvent) -> None:
        if self.stopped:
            return  # the middleware answered by itself: what the app sends goes nowhere
        if message["type"] == "http.response.start" and not self.start.done():
            self.start.set_result(message)  # pyright: ignore[reportArgumentType]  # narrowed by its type
        else:
            await self.body.put(message)

    async def forward(self, status: int, headers: list[tuple[bytes, bytes]], send: Send) -> None:
        """Send the start as the middleware left it, then the body as it comes; then wait
        for the app (raising what it raised after the start)."""
        assert self.task is not None  # an Answer came from call_next
        start: HTTPResponseStartEvent = {
            **self.start.result(),
            "status": status,
            "headers": headers,
        }
        empty = status not in WITH_BODY  # 204, 205, 304 (checked: 200 to 599)
        try:
            try:
                await send(start)
                while (message := await self.body.get()) is not None:
                    if empty and message["type"] == "http.response.body":
                        more = bool(message.get("more_body", False))
                        emptied: HTTPResponseBodyEvent = {
                            "type": "http.response.body",
                            "body": b"",
                            "more_body": more,
                        }
                        message = emptied
                    await send(message)
            except OSError as exc:  # the server says the client left: the app is stopped
                logger.debug("Client left while a middleware passed its response on: %r", exc)
                return
            await self.task
        finally:
            await self.stop()

    async def stop(self) -> None:
        """End the app's task if it runs still (the middleware answered by itself, failed, or
        the request was abandoned). What it sends from then on is dropped: with nobody reading,
        a full queue held it (and this wait) for ever."""
        self.stopped = True
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        elif task is not None and not task.cancelled():
            task.exception()  # seen: what it raised after its start is answered no more


async def _body_is_the_handlers() -> ReceiveEvent:
    raise RuntimeError(
        "An http middleware cannot read the request body: it is the handler's (read "
        "headers, cookies and the query through the connection)"
    )


async def _answer_by_returning(message: SendEvent) -> None:
    raise RuntimeError(
        "An http middleware answers by returning a response (or what call_next gave), not "
        "through its connection"
    )
