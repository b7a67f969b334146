"""One error policy for every way a connection is answered: HTTP and WebSocket routes, a
router called directly, mounted aaf apps such as ``StaticFiles``.

- ``ClientDisconnect``: the client left; logged at debug, nothing to answer.
- An exception handler registered for the exception's class (the most specific first) or, for
  an ``HTTPError``, its status code, answers instead. ``Exception`` (or ``BaseException``)
  stands for the 500 handler: an ``HTTPError`` keeps its own answer.
- ``HTTPError``: its response (text or JSON detail, its headers).
- Anything else: logged on the ``aaf`` logger, answered 500 (the traceback only in debug), by
  the handler of status 500 when there is one.
- Once an HTTP response has started, nothing can be answered any more: the error is logged and
  re-raised, so that the server aborts the connection and the client sees a cut, never a
  response that looks complete. WebSockets close instead: 1008 for an ``HTTPError``, 1011 for
  anything else; before ``accept`` an ``HTTPError`` refuses the handshake with its status.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Never, TypeVar, cast

from pydantic import JsonValue

from aaf.connection import Connection, WebSocketState
from aaf.exceptions import (
    ClientDisconnect,
    HTTPError,
    RequestValidationError,
    WebSocketDisconnect,
    WebSocketException,
)
from aaf.response import HttpResponse, error_response

__all__ = ["ExceptionHandler", "ExceptionHandlerOf", "ExceptionHandlers", "answer_error"]

logger = logging.getLogger("aaf")
E = TypeVar("E", bound=BaseException)
# A handler of exceptions of class E.
ExceptionHandlerOf = Callable[[Connection, E], Awaitable[HttpResponse]]
# A handler for one exception type or status code. `Never` as the parameter lets a handler
# annotated with any exception class fit, without `Any`.
ExceptionHandler = ExceptionHandlerOf[Never]
ExceptionHandlers = Mapping[type[BaseException] | int, ExceptionHandler]
_NO_HANDLERS: ExceptionHandlers = {}
TEST_ERRORS = "aaf.testing.errors"  # the scope extension aaf.testing reads


async def answer_error(
    connection: Connection,
    exc: Exception,
    handlers: ExceptionHandlers = _NO_HANDLERS,
    debug: bool = False,
) -> None:
    """Answer ``exc``, raised while serving ``connection``, by the policy above.

    Raises:
        Exception: ``exc`` (or what its handler raised) when the HTTP response had already
            started and could not be ended cleanly.
    """
    answering = _answer_error(connection, exc, handlers, debug)
    # This frame is in the traceback of the error re-raised once the response started: it
    # must not hold the error (a cycle that only the garbage collector would free).
    del exc
    try:
        await answering
    except ClientDisconnect as gone:  # the client left before the answer reached it
        logger.debug("Client left %s before its error's answer: %r", _request(connection), gone)


async def _answer_error(
    connection: Connection, exc: Exception, handlers: ExceptionHandlers, debug: bool
) -> None:
    # A failed request runs no background work (add_background's), as FastAPI's does not, and
    # its answer carries none of the headers and cookies set for the answer that failed (a
    # session cookie set before a check refused the request would be set all the same);
    # an exception handler may set its own.
    connection._background = None  # pyright: ignore[reportPrivateUsage]  # the connection's own
    if not connection.started:
        connection._resp_headers = None  # pyright: ignore[reportPrivateUsage]
    if isinstance(exc, ClientDisconnect | WebSocketDisconnect):
        logger.debug("Client left %s: %r", _request(connection), exc)
        if connection.scope["type"] == "http" and connection.started and not connection.finished:
            if not connection.client_gone:  # the server is shutting down: end the body
                await connection.finish()
        return
    # Handlers answer with HTTP responses: a WebSocket's errors take the policy below (its
    # handshake refused, or the session closed), which a dropped response would have skipped.
    http = connection.scope["type"] == "http"
    handler = _handler_for(handlers, exc) if handlers and http else None
    if handler is None and handlers and http and not isinstance(exc, HTTPError):
        handler = _server_error_handler(handlers)
        if handler is not None and not connection.started:
            _log_failed(connection, exc)  # still an error: logged, and raised in a test
            tell_test_client(connection, exc)
    if handler is not None and not connection.started:
        try:
            response = await _run(handler, connection, exc)
        except Exception as inner:
            if not isinstance(inner, HTTPError):
                logger.exception("Exception handler for %s failed", type(exc).__name__)
                # A server error now: the app's own answer to one, unless that answer is
                # what failed (as Starlette's ServerErrorMiddleware catches what its
                # ExceptionMiddleware's handlers raise).
                server_error = _server_error_handler(handlers)
                if server_error is None or server_error is handler:
                    return await _answer_500(connection, inner, debug)
                tell_test_client(connection, inner)
                try:
                    response = await _run(server_error, connection, inner)
                except Exception as last:
                    logger.exception("Exception handler for %s failed", type(inner).__name__)
                    return await _answer_500(connection, last, debug)
                return await _send_handled(connection, inner, response, debug)
            exc = inner
        else:
            await _send_handled(connection, exc, response, debug)
            return
    if (
        isinstance(exc, RequestValidationError)
        and connection.scope["type"] == "websocket"
        and connection.ws_state is WebSocketState.CONNECTING
    ):
        # Bad handshake input (a missing token, say) is the client's mistake: refuse it.
        # Raised after accept, it closes the session as any HTTPError does (below).
        logger.debug("Refusing WebSocket %s: %s", printable(connection.path), exc.errors)
        # Where and what, for a client that reads the refusal (a script, a test; a browser
        # shows none of it): the first few entries, as a close reason says them.
        said = _entries_said(exc.errors[:5]) + (" ..." if len(exc.errors) > 5 else "")
        await connection.reject(403, f"Invalid handshake parameters: {said}")
        return
    if isinstance(exc, WebSocketException) and connection.scope["type"] == "websocket":
        logger.debug("Closing WebSocket %s: %r", printable(connection.path), exc)
        if connection.ws_state is not WebSocketState.CLOSED:
            await connection.close(websocket_close_code(exc), exc.reason)
        return
    if isinstance(exc, HTTPError):
        if connection.scope["type"] == "websocket":
            await _close_websocket(connection, exc)
        elif not connection.started:
            await _send_or_500(connection, _response_for(exc, connection), debug)
        elif not connection.finished:
            _log_started(connection, exc)
            try:
                raise exc
            finally:  # this frame, in the error's traceback, must not hold the error: a cycle
                del exc
        else:  # a generator provider's cleanup, say: the client has its answer already
            _log_ended(connection, exc)
        return
    if not connection.started or connection.scope["type"] == "websocket":
        _log_failed(connection, exc)
    try:
        await _answer_500(connection, exc, debug)
    finally:  # it raises exc once the response started: this frame must not hold it then
        del exc


def _request(connection: Connection) -> str:
    """What a log line names: ``GET /items``, or ``WebSocket /chat`` for a session (its
    handshake's GET would read as an HTTP request)."""
    kind = "WebSocket" if connection.scope["type"] == "websocket" else connection.method
    return f"{kind} {printable(connection.path)}"


def printable(text: str) -> str:
    r"""``text`` for a log line: each character that is not printable (a line break, a
    terminal's escape) written as Python escapes it, so that what a client sent cannot
    forge lines of its own; the rest (``é``) as it is.

    >>> printable("/x\nERROR forged\x1b[2J")
    '/x\\nERROR forged\\x1b[2J'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _log_failed(connection: Connection, exc: BaseException) -> None:
    hint = ""
    if _other_frameworks_http_error(type(exc)):
        # From a FastAPI or Flask app being ported: its status is not aaf's to give.
        hint = f" ({type(exc).__name__} is not aaf's: raise aaf.HTTPError for that answer)"
    logger.error("Exception in handler for %s%s", _request(connection), hint, exc_info=exc)


def _other_frameworks_http_error(kind: type[BaseException]) -> bool:
    """Starlette's or FastAPI's ``HTTPException``, or werkzeug's (Flask's ``abort(404)``)."""
    return any(
        cls.__name__ == "HTTPException"
        and cls.__module__.partition(".")[0] in ("starlette", "fastapi", "werkzeug")
        for cls in kind.__mro__
    )


def _run(handler: ExceptionHandler, connection: Connection, exc: Exception) -> Awaitable[object]:
    """Call an exception handler: typed, it gives a response; untyped code may give anything."""
    return cast(Callable[[Connection, Exception], Awaitable[object]], handler)(connection, exc)


def _server_error_handler(handlers: ExceptionHandlers) -> ExceptionHandler | None:
    """The server error's own answer: by its status (Starlette's spelling) or by the
    catch-all classes, as Starlette's ServerErrorMiddleware takes them."""
    return handlers.get(500) or handlers.get(Exception) or handlers.get(BaseException)


def _handler_for(handlers: ExceptionHandlers, exc: BaseException) -> ExceptionHandler | None:
    """The handler registered for ``exc``'s status or class, the most specific first. The
    catch-all classes ``Exception`` and ``BaseException`` are not: an ``HTTPError`` has its
    own answer below them (as in Starlette, whose ``HTTPException`` has a default handler), and
    for other exceptions they stand for the 500 handler."""
    if isinstance(exc, HTTPError):
        handler = handlers.get(exc.status_code)
        if handler is not None:
            return handler
    for cls in type(exc).__mro__:
        if cls is Exception or cls is BaseException:
            return None
        handler = handlers.get(cls)
        if handler is not None:
            return handler
    return None


def _response_for(exc: HTTPError, connection: Connection) -> HttpResponse:
    try:
        return error_response(exc)
    except ValueError as bad:  # invalid headers, or a detail that is not JSON (untyped code)
        logger.error(
            "HTTPError(%d) for %s cannot be sent: %s", exc.status_code, _request(connection), bad
        )
        return HttpResponse("Internal Server Error", status_code=500)


async def _send_handled(
    connection: Connection, exc: Exception, response: object, debug: bool
) -> None:
    """Send what the exception handler for ``exc`` gave: a response, unless it answered
    through the connection itself; anything else (untyped code: a ``return`` forgotten, a
    dict) is a 500, logged."""
    if connection.started:
        return
    if isinstance(response, HttpResponse):
        await _send_or_500(connection, response, debug)
        return
    bad = TypeError(
        f"The exception handler for {type(exc).__name__} returned {type(response).__name__}, "
        "not a response"
    )
    logger.error("%s; answering 500", bad, exc_info=exc)
    await _answer_500(connection, bad, debug)


async def _send_or_500(connection: Connection, response: HttpResponse, debug: bool) -> None:
    try:
        await response.send_to(connection)
    except ValueError as bad:
        if connection.started:
            raise
        logger.error("Invalid response for %s: %s", _request(connection), bad)
        await _answer_500(connection, bad, debug)


def tell_test_client(connection: Connection, exc: BaseException) -> None:
    """Hand ``exc`` to aaf.testing's client, which asks for the exception that failed a
    request through this extension, to raise it in the test (the first one); a real server
    offers no such extension."""
    extensions = connection.scope.get("extensions") or {}
    sink = extensions.get(TEST_ERRORS)
    if sink is not None:
        sink.setdefault("exception", exc)


async def _answer_500(connection: Connection, exc: BaseException, debug: bool) -> None:
    tell_test_client(connection, exc)
    if connection.scope["type"] == "websocket":
        if not connection.finished:
            await connection.close(websocket_close_code(exc))
        return
    if connection.finished:
        _log_ended(connection, exc)
        return
    if connection.started:
        _log_started(connection, exc)
        try:
            raise exc
        finally:  # this frame, in the error's traceback, must not hold the error: a cycle
            del exc
    body = "".join(traceback.format_exception(exc)) if debug else "Internal Server Error"
    await HttpResponse(body, status_code=500).send_to(connection)


def _log_ended(connection: Connection, exc: BaseException) -> None:
    _log_after(connection, exc, "ended")


def _log_started(connection: Connection, exc: BaseException) -> None:
    _log_after(connection, exc, "started; aborting the connection")


def _log_after(connection: Connection, exc: BaseException, when: str) -> None:
    logger.error("Exception after the response to %s %s", _request(connection), when, exc_info=exc)


async def _close_websocket(connection: Connection, exc: HTTPError) -> None:
    # Before accept, an HTTPError refuses the handshake; after, it closes the session.
    if connection.ws_state is WebSocketState.CONNECTING:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        await connection.reject(exc.status_code, detail, exc.headers)
    elif connection.ws_state is WebSocketState.CONNECTED:
        said = exc.errors if isinstance(exc, RequestValidationError) else None
        reason = _entries_said(said) if said is not None else str(exc.detail)
        await connection.close(websocket_close_code(exc), reason)  # cut to a frame's size


def websocket_close_code(exc: BaseException) -> int:
    """The code an accepted WebSocket session is closed with for ``exc``: a
    ``WebSocketException``'s own, 1008 (policy violation) for an ``HTTPError``, 1011
    (internal error) for any other. One policy, which ``WebSocketView.on_disconnect`` is
    told before the close it names."""
    if isinstance(exc, WebSocketException):
        return exc.code
    return 1008 if isinstance(exc, HTTPError) else 1011


def _entries_said(errors: list[JsonValue]) -> str:
    """A validation error's entries in a close reason's words: ``query.token: Field required``."""
    said: list[str] = []
    for entry in errors:
        if isinstance(entry, dict):
            loc = entry.get("loc")
            where = ".".join(str(part) for part in loc) if isinstance(loc, list) else ""
            said.append(f"{where}: {entry.get('msg')}")
    return "; ".join(said)
