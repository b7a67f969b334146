"""The errors aaf raises and the ones a handler raises to answer the client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from pydantic import JsonValue, ValidationError
from pydantic_core import ErrorDetails

from aaf._http import check_close_code


class HTTPError(Exception):
    """An error that answers the client with ``status_code``.

    ``detail`` is the body: a string goes out as text, anything else as JSON. Without one, the
    status phrase is sent (``HTTPError(404)`` answers ``Not Found``).
    """

    def __init__(
        self,
        status_code: int,
        detail: JsonValue = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers: dict[str, str] = dict(headers) if headers else {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status_code!r}, {self.detail!r})"


class RequestValidationError(HTTPError):
    """Client input that failed validation: 422 with every failing field listed.

    ``errors`` holds the entries as they go out; ``body`` the JSON request body as it came,
    when the handler takes one (FastAPI's ``exc.body``, here the bytes), else ``None``.
    """

    def __init__(self, errors: Sequence[dict[str, JsonValue]], body: bytes | None = None) -> None:
        items: list[JsonValue] = list(errors)
        super().__init__(422, {"detail": items})
        self.errors = items
        self.body = body


class ResponseValidationError(ValueError):
    """A handler returned a value that does not fit its return annotation: a server bug,
    answered 500 and logged with the validation errors."""

    def __init__(self, qualname: str, error: ValidationError) -> None:
        # Once, without inputs: a returned list of a million wrong items is as many errors.
        self.errors: list[ErrorDetails] = error.errors(include_url=False, include_input=False)
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(the value)'}: {e['msg']}"
            for e in self.errors[:20]
        ]
        super().__init__(
            f"{qualname} returned a value that does not match its return annotation "
            f"({error.error_count()} errors):\n" + "\n".join(lines)
        )


class ClientDisconnect(ConnectionError):
    """The client went away before the request body was read to its end."""


class WebSocketDisconnect(ConnectionError):
    """The WebSocket peer closed the connection; ``code`` is its close code."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(f"WebSocket closed with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class WebSocketException(Exception):
    """Close the WebSocket with ``code`` and ``reason`` (Starlette's and FastAPI's
    ``WebSocketException``): raised by a WebSocket handler or one of its providers. Before
    ``accept`` the handshake is refused (the server answers 403); after, the session closes
    with that code. Raised while serving HTTP it is a server error, as any other exception.

    Raises:
        ValueError: ``code`` is not one an endpoint may send (RFC 6455 section 7.4:
            1000-1003, 1007-1014, 3000-4999).
    """

    def __init__(self, code: int = 1008, reason: str = "") -> None:
        check_close_code(code)
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.reason!r})"


class ConfigurationError(Exception):
    """A mistake in how routes or handlers are registered, found before any request."""
