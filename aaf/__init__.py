"""aaf: another ASGI framework, strictly typed, with class-based views."""

from aaf._types import ASGIApp, Receive, Scope, Send
from aaf.app import App, ExceptionHandler, aaf
from aaf.connection import Connection, ConnectionType
from aaf.datastructures import FormData, UploadFile
from aaf.exceptions import (
    ClientDisconnect,
    ConfigurationError,
    HTTPError,
    RequestValidationError,
    WebSocketDisconnect,
    WebSocketException,
)
from aaf.params import Body, Cookie, Depends, Form, Header, Query, Security
from aaf.response import (
    EventSourceResponse,
    HtmlResponse,
    HttpResponse,
    JsonResponse,
    RedirectResponse,
    ServerSentEvent,
    StreamingResponse,
)
from aaf.routing import Router
from aaf.views import View, WebSocketView

__all__ = [
    "App",
    "ASGIApp",
    "Body",
    "ClientDisconnect",
    "ConfigurationError",
    "Connection",
    "ConnectionType",
    "Cookie",
    "Depends",
    "ExceptionHandler",
    "Form",
    "FormData",
    "HTTPError",
    "Header",
    "HtmlResponse",
    "HttpResponse",
    "JsonResponse",
    "EventSourceResponse",
    "ServerSentEvent",
    "Query",
    "Receive",
    "RedirectResponse",
    "RequestValidationError",
    "Router",
    "Scope",
    "Security",
    "Send",
    "StreamingResponse",
    "UploadFile",
    "View",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketView",
    "aaf",
]
