"""The ASGI application: routers tried in order, lifespan, middleware and error handling."""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Never, cast

from aaf._types import ASGIApp, HTTPScope, LifespanScope, Receive, Scope, Send, WebSocketScope
from aaf.connection import Connection, WebSocketState
from aaf.exceptions import ClientDisconnect, HTTPError, WebSocketDisconnect
from aaf.response import HttpResponse, error_response
from aaf.routing import MATCH, MOUNT, NOT_FOUND, Outcome, Router

__all__ = ["App", "ExceptionHandler", "aaf"]

logger = logging.getLogger("aaf")
# A handler for one exception type. `Never` as the parameter lets a handler annotated with
# any exception class fit, without `Any`.
ExceptionHandler = Callable[[Connection, Never], Awaitable[HttpResponse]]
Middleware = Callable[[ASGIApp], ASGIApp]
Hook = Callable[[], object]
_NOT_FOUND_HEADERS = ((b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"9"))


class App:
    """An ASGI 3 application for ``http``, ``websocket`` and ``lifespan`` scopes.

    Build it as ``aaf(routers, ...)``. Routers are tried in order, and nothing matched answers
    404 ``Not found``. ``middleware`` wraps the app, outermost first (each takes the app alone:
    a class, or ``functools.partial(Cls, **options)``). ``on_startup``/``on_shutdown`` hooks and
    the ``lifespan`` context run on the lifespan protocol. ``exception_handlers`` answer
    exceptions by type, the most specific first; anything else is logged on the ``aaf`` logger
    and answered 500, with the traceback only when ``debug``. ``max_body_size`` caps request
    bodies (413); ``None`` lifts the cap.
    """

    def __init__(
        self,
        routers: Sequence[Router],
        *,
        middleware: Sequence[Middleware] = (),
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        lifespan: Callable[[App], AbstractAsyncContextManager[object]] | None = None,
        exception_handlers: Mapping[type[BaseException], ExceptionHandler] | None = None,
        max_body_size: int | None = 10 * 1024 * 1024,
        debug: bool = False,
    ) -> None:
        self.routers = list(routers)
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)
        self.lifespan = lifespan
        self.exception_handlers = dict(exception_handlers or {})
        self.max_body_size = max_body_size
        self.debug = debug
        self.state: dict[str, object] = {}
        app: ASGIApp = self._dispatch
        for wrap in reversed(middleware):
            app = wrap(app)
        self._asgi = app
        self._plain = not middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._plain and scope["type"] == "http":
            await self._http(scope, receive, send)  # PERF: one frame less per request
        else:
            await self._asgi(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)

    # HTTP --------------------------------------------------------------------------------------
    async def _http(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        connection = Connection(scope, send=send, receive=receive)
        connection.max_body_size = self.max_body_size
        path = connection.route_path if scope.get("root_path") else scope["path"]
        method = scope["method"]
        try:
            fallback: tuple[Router, Outcome] | None = None
            for router in self.routers:
                outcome = router.resolve(path, method)
                if outcome[0] == MATCH:
                    # PERF: the endpoint's runner is called here rather than through
                    # Router.answer and Endpoint.run (benchmarks/inprocess.py, plaintext).
                    endpoint, args = outcome[1], outcome[2]
                    connection.path_params = args
                    if endpoint.max_body_size is not None:
                        connection.max_body_size = endpoint.max_body_size
                    await endpoint.runners[method](connection, args)
                    return
                if outcome[0] == MOUNT:
                    await router.answer(connection, outcome)
                    return
                if outcome[0] != NOT_FOUND and fallback is None:
                    fallback = router, outcome  # a redirect or 405, if no later router matches
            if fallback is not None:
                await fallback[0].answer(connection, fallback[1])
            else:
                await connection._respond(404, list(_NOT_FOUND_HEADERS), b"Not found")
        except Exception as exc:
            await self._handle_error(connection, exc)
        finally:
            if connection._form is not None:
                connection._form.close()

    async def _handle_error(self, connection: Connection, exc: Exception) -> None:
        if isinstance(exc, ClientDisconnect):
            logger.debug("Client disconnected from %s %s", connection.method, connection.path)
            return
        handler = self._handler_for(exc)
        if handler is not None:
            try:
                call = cast(Callable[[Connection, Exception], Awaitable[HttpResponse]], handler)
                response = await call(connection, exc)
            except Exception as inner:
                if not isinstance(inner, HTTPError):
                    logger.exception("Exception handler for %s failed", type(exc).__name__)
                    return await self._answer_500(connection, inner)
                exc = inner
            else:
                if not connection.started:
                    await response.send_to(connection)
                return
        if isinstance(exc, HTTPError):
            if not connection.started:
                await error_response(exc).send_to(connection)
            elif not connection.finished:
                await self._end(connection)
            return
        logger.error(
            "Exception in handler for %s %s", connection.method, connection.path, exc_info=exc
        )
        await self._answer_500(connection, exc)

    def _handler_for(self, exc: BaseException) -> ExceptionHandler | None:
        if not self.exception_handlers:
            return None
        for cls in type(exc).__mro__:
            handler = self.exception_handlers.get(cls)
            if handler is not None:
                return handler
        return None

    async def _answer_500(self, connection: Connection, exc: BaseException) -> None:
        if connection.scope["type"] == "websocket":
            if not connection.finished:
                await connection.close(1011)
            return
        if not connection.started:
            body = "Internal Server Error"
            if self.debug:
                body = "".join(traceback.format_exception(exc))
            await HttpResponse(body, status_code=500).send_to(connection)
        elif not connection.finished:
            await self._end(connection)

    async def _end(self, connection: Connection) -> None:
        # The status line is out; the most we can do is end the body so the server is not
        # left with a half-finished response.
        connection.finished = True
        await connection.asgi_send({"type": "http.response.body", "body": b"", "more_body": False})

    # WebSocket ---------------------------------------------------------------------------------
    async def _websocket(self, scope: WebSocketScope, receive: Receive, send: Send) -> None:
        connection = Connection(scope, send=send, receive=receive)
        path = connection.route_path
        try:
            for router in self.routers:
                outcome = router.resolve_websocket(path)
                if outcome[0] != NOT_FOUND:
                    await router.answer(connection, outcome)
                    return
            # Closing before accept makes the server refuse the handshake (HTTP 403).
            await connection.close(1000, "No WebSocket route for this path")
        except WebSocketDisconnect:
            return
        except HTTPError as exc:
            # Before accept, an HTTPError refuses the handshake; after, it closes the session.
            if connection.ws_state is WebSocketState.CONNECTING:
                detail = exc.detail if isinstance(exc.detail, str) else ""
                await connection.reject(exc.status_code, detail, exc.headers)
            elif connection.ws_state is WebSocketState.CONNECTED:
                await connection.close(1008, str(exc.detail)[:120])
        except Exception as exc:
            logger.error("Exception in WebSocket handler for %s", connection.path, exc_info=exc)
            await self._answer_500(connection, exc)

    # Lifespan ----------------------------------------------------------------------------------
    async def _lifespan(self, scope: LifespanScope, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        context: AbstractAsyncContextManager[object] | None = None
        try:
            for hook in self.on_startup:
                await _call_hook(hook)
            if self.lifespan is not None:
                context = self.lifespan(self)
                await context.__aenter__()
        except BaseException as exc:
            logger.error("Application startup failed", exc_info=exc)
            await send(
                {"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"}
            )
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            if context is not None:
                await context.__aexit__(None, None, None)
            for hook in self.on_shutdown:
                await _call_hook(hook)
        except BaseException as exc:
            logger.error("Application shutdown failed", exc_info=exc)
            await send(
                {"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"}
            )
            return
        await send({"type": "lifespan.shutdown.complete"})

    def url_for(self, name: str, /, **params: object) -> str:
        """Build the path of the route called ``name`` in any of the routers."""
        for router in self.routers:
            try:
                return router.url_for(name, **params)
            except LookupError:
                continue
        raise LookupError(f"No route named {name!r} accepts the parameters {sorted(params)}")


async def _call_hook(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


# `aaf(routers, ...)` as the seed writes it: the class itself builds the app.
aaf = App
