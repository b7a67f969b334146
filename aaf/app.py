"""The ASGI application: routers tried in order, lifespan, middleware and error handling."""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import logging
import types
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from enum import Enum
from typing import Concatenate, Literal, Never, ParamSpec, TypeVar, Unpack, cast, overload

from pydantic import JsonValue, ValidationError
from werkzeug.routing.converters import BaseConverter

from aaf._background import run_background
from aaf._dispatch import free_gradually
from aaf._docs import docs_routers
from aaf._errors import (
    ExceptionHandler,
    ExceptionHandlerOf,
    ExceptionHandlers,
    answer_error,
    printable,
)
from aaf._extract import arguments_now, body_arguments_now
from aaf._forms import FormLimits
from aaf._http import (
    JSON_TYPE,
    LENGTHS,
    SMALL_BODY,
    TEXT_TYPE,
    WITH_BODY,
    check_limit,
    length_header,
)
from aaf._lifecycle import Lifecycle, MountedLifespan
from aaf._matcher import NO_RULE
from aaf._openapi import build_document
from aaf._operation import dependency_list
from aaf._plan import HandlerPlan
from aaf._rules import named
from aaf._threads import MAX_THREADS, ThreadPool
from aaf._types import ASGIApp, HTTPScope, LifespanScope, Receive, Scope, Send, WebSocketScope
from aaf._urls import UrlBuilding
from aaf.connection import Connection, WebSocketState, origin_form, route_path
from aaf.exceptions import HTTPError
from aaf.middleware import FunctionMiddleware, HttpMiddleware
from aaf.params import Dependency
from aaf.response import HttpResponse
from aaf.routing import (
    Failed,
    Match,
    Mounted,
    NotInUrl,
    Outcome,
    RouteDecorator,
    RouteOptions,
    Router,
    WebSocketRouteDecorator,
    check_names,
    compile_routers,
    dispatch_websocket,
    enter,
    serve_names_together,
)

__all__ = ["App", "ExceptionHandler", "aaf"]

logger: logging.Logger = logging.getLogger("aaf")
# Any callable that takes the app and gives an ASGI app: a middleware class, or
# functools.partial(Cls, **options). `Never` as the parameter lets middleware typed against
# another library's (looser) ASGI types fit, without `Any`; aaf checks what it gets back.
Middleware = Callable[[Never], object]
Hook = Callable[[], object]
A = TypeVar("A", bound="App")
P = ParamSpec("P")
E = TypeVar("E", bound=BaseException)
H = TypeVar("H", bound=ExceptionHandler)
HH = TypeVar("HH", bound=ExceptionHandlerOf[HTTPError])  # a status's handler
HS = TypeVar("HS", bound=ExceptionHandlerOf[Exception])  # the server error's (500)
C = TypeVar("C", bound=Awaitable[HttpResponse])  # what a handler of a class gives
M = TypeVar("M", bound=HttpMiddleware)
# Whether an app of this process has frozen the garbage collector's objects (see _freeze_gc).
_gc_frozen = False


def _freeze_gc() -> None:
    """Move every object alive into the collector's permanent generation, once a process.

    PERF: what start-up built (routes, plans, validators: tens of thousands of objects) lives
    as long as the app; frozen, full collections skip it instead of pausing requests for
    ~10 ms each (benchmarks/network.py, varied ids, p99). Once: a server starts one app a
    process, and a test suite starting one for each test would pay a full collection each
    time and keep, frozen for good, whatever the tests before held then.
    """
    global _gc_frozen
    if _gc_frozen:
        return
    gc.collect()
    gc.freeze()
    _gc_frozen = True


_NOT_FOUND = ((b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"9"))


class App(UrlBuilding):
    """An ASGI 3 application for ``http``, ``websocket`` and ``lifespan`` scopes.

    Build it as ``aaf(routers, ...)``, or ``aaf()`` for an app whose routes are added to it
    (``@app.get(...)``, ``include_router``), as ``FastAPI()`` is. Routers are tried in order,
    and nothing matched answers 404 ``Not found``. ``dependencies`` run before those of every
    route the app serves, as FastAPI's app-wide ones (``aaf(routers,
    dependencies=[Depends(check_key)])``).
    ``middleware`` wraps the app, outermost first (each takes the app alone: a class, or
    ``functools.partial(Cls, **options)``; ``add_middleware`` adds more before the app
    starts); an app built with middleware is an instance of a subclass of its class whose
    ``__call__`` enters the middleware first.
    ``on_startup``/``on_shutdown`` hooks and the ``lifespan`` context run on the lifespan
    protocol; a mapping the lifespan yields goes into ``app.state``. ``exception_handlers``
    answer exceptions by type, the most specific first;
    anything else is logged on the ``aaf`` logger and answered 500, with the traceback only
    when ``debug``. ``max_body_size`` caps request bodies (413) and ``max_message_size`` the
    WebSocket messages a handler receives (close 1009; 1 MiB, as the ``websockets`` library
    sets it); ``None`` lifts either cap;
    ``max_form_fields`` and ``max_form_parts`` cap forms, and ``max_form_text_size`` the bytes
    of their text fields (an urlencoded body is all text; a multipart body's files count
    against ``max_body_size`` only). ``freeze_gc`` moves everything alive once start-up is
    done into the garbage collector's permanent generation (``gc.freeze()``), so that full
    collections skip it: the first app of a process to start does it. Plain ``def``
    handlers, providers and background work run in the app's own pool of up to
    ``max_threads`` worker threads (40, as in FastAPI),
    never in the threads that read files.
    """

    def __init__(
        self,
        routers: Sequence[Router] = (),
        *,
        dependencies: Sequence[object] = (),
        converters: Mapping[str, type[BaseConverter]] | None = None,
        middleware: Sequence[Middleware] = (),
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        lifespan: Callable[[App], AbstractAsyncContextManager[Mapping[str, object] | None]]
        | None = None,
        exception_handlers: ExceptionHandlers | None = None,
        max_body_size: int | None = 10 * 1024 * 1024,
        max_message_size: int | None = 1024 * 1024,
        max_form_fields: int = 1000,
        max_form_parts: int = 1000,
        max_form_text_size: int = 1024 * 1024,
        title: str = "aaf",
        version: str = "0.1.0",
        description: str | None = None,
        summary: str | None = None,
        terms_of_service: str | None = None,
        contact: Mapping[str, str] | None = None,
        license_info: Mapping[str, str] | None = None,
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: Mapping[str, JsonValue] | None = None,
        openapi_tags: Sequence[Mapping[str, JsonValue]] | None = None,
        servers: Sequence[Mapping[str, JsonValue]] | None = None,
        root_path_in_servers: bool = True,
        freeze_gc: bool = True,
        shutdown_grace: float = 30.0,
        max_threads: int = MAX_THREADS,
        debug: bool = False,
    ) -> None:
        self.title: str = title
        self.version: str = version
        self.description: str | None = description
        # The rest of the document's "info", as FastAPI names them: contact {"name", "url",
        # "email"}, license_info {"name", "identifier" or "url"}.
        self.summary: str | None = summary
        self.terms_of_service: str | None = terms_of_service
        self.contact: dict[str, str] | None = dict(contact) if contact else None
        self.license_info: dict[str, str] | None = dict(license_info) if license_info else None
        self.openapi_url: str | None = openapi_url
        self.docs_url: str | None = docs_url
        self.redoc_url: str | None = redoc_url
        # Where an OAuth2 sign-in started from Swagger UI comes back to, and what Swagger
        # UI's initOAuth() is given (clientId, usePkceWithAuthorizationCodeGrant, ...).
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth: dict[str, JsonValue] | None = (
            dict(swagger_ui_init_oauth) if swagger_ui_init_oauth else None
        )
        # The document's top-level "tags" (descriptions, order) and "servers", as given.
        self.openapi_tags: list[Mapping[str, JsonValue]] = list(openapi_tags or [])
        self.servers: list[Mapping[str, JsonValue]] = list(servers or [])
        # Behind a proxy that serves the app under a prefix (uvicorn --root-path), the
        # document served lists that prefix first among its servers, as FastAPI's does: else
        # Swagger UI's "Try it out" would ask for the paths without it.
        self.root_path_in_servers = root_path_in_servers
        self._document: dict[str, JsonValue] | None = None
        self._docs = docs_routers(self)  # after every other router, include_router's too
        # Run before every route's own (FastAPI's app-wide dependencies), routes the app
        # serves later included; not before the API document's own pages.
        self.dependencies: tuple[Dependency, ...] = tuple(dependency_list(dependencies))
        # Converters of the app's own for the rules of @app.get(...) and friends (Flask's
        # app.url_map.converters); a router given to the app has its own. Router() checks
        # them here, now.
        self.converters: Mapping[str, type[BaseConverter]] = Router(
            converters=converters
        ).converters
        given: object = routers
        if isinstance(given, Router):  # aaf(router): it iterates nothing, and said so badly
            raise TypeError("aaf() takes a list of routers: write aaf([router])")
        for keyword, value in (
            ("middleware", middleware),
            ("on_startup", on_startup),
            ("on_shutdown", on_shutdown),
        ):
            if callable(value):  # one, not in a list: "'type' object is not reversible"
                raise TypeError(f"aaf({keyword}=...) takes a list: {keyword}=[{value!r}]")
        routers = list(routers)  # read twice below (untyped code may pass an iterator)
        check_names([*routers, *self._docs])  # before any is wrapped (see include_router)
        self.routers: list[Router] = [*map(self._served, routers), *self._docs]
        serve_names_together(self)  # a name added to one later is checked against the others
        self._note_first()
        self.on_startup: list[Hook] = list(on_startup)
        self.on_shutdown: list[Hook] = list(on_shutdown)
        if inspect.isasyncgenfunction(lifespan) or inspect.isgeneratorfunction(lifespan):
            # Starlette wraps one, deprecated; typed, it is an error: say so before start-up.
            raise TypeError(
                f"lifespan={lifespan.__qualname__} is a generator function: decorate it with "
                "@contextlib.asynccontextmanager"
            )
        self.lifespan = lifespan
        self.exception_handlers: dict[type[BaseException] | int, ExceptionHandler] = {}
        for key, handler in (exception_handlers or {}).items():
            self._add_exception_handler(key, handler)
        # A negative size answered every request with a body 413; a negative grace waited
        # for no background work.
        check_limit("aaf", "max_body_size", max_body_size, none="no limit")
        check_limit("aaf", "max_message_size", max_message_size, none="no limit")
        check_limit("aaf", "max_form_fields", max_form_fields)
        check_limit("aaf", "max_form_parts", max_form_parts)
        check_limit("aaf", "max_form_text_size", max_form_text_size)
        check_limit("aaf", "shutdown_grace", shutdown_grace)
        self.max_body_size = max_body_size
        self.max_message_size = max_message_size
        self.form_limits: FormLimits = FormLimits(
            max_form_fields, max_form_parts, max_form_text_size
        )
        self.lifecycle: Lifecycle = Lifecycle(shutdown_grace)
        # Where plain `def` handlers, providers and background work run (aaf/_threads.py).
        self.threads: ThreadPool = ThreadPool(max_threads)
        # Swap a Depends provider for another, in tests: app.dependency_overrides[get_db] = fake
        self.dependency_overrides: dict[Callable[..., object], Callable[..., object]] = {}
        # An override's plan for each set of scopes it is asked with, in each route (by the
        # id of the route's plan, which the app keeps as long as itself).
        self.override_plans: dict[
            tuple[Callable[..., object], tuple[str, ...], int], HandlerPlan
        ] = {}
        self.freeze_gc = freeze_gc
        self.debug = debug
        self.state: dict[str, object] = {}
        # The app itself, innermost. A class made by _middleware_first stands for its base.
        cls = _base_of(type(self))
        app: ASGIApp = types.MethodType(cls.__call__, self)
        for wrap in reversed(middleware):
            app = _wrapped(app, wrap)
        self._asgi = app
        self._started = False  # the lifespan began: no more middleware or routers
        self._own: Router | None = None  # see the router property
        # PERF: App.__call__ serves a request in one frame, with no test for middleware
        # (benchmarks/inprocess.py, plaintext); an app with middleware becomes an instance of
        # a subclass whose __call__ enters the middleware first.
        self.__class__ = _middleware_first(cls) if middleware else cls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection (below the middleware, when there is any)."""
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            elif scope["type"] == "lifespan":
                await self._lifespan(scope, receive, send)
            return
        # HTTP, in this frame. PERF: one coroutine less per request than a method of its own
        # (benchmarks/inprocess.py, plaintext and not found).
        path = route_path(scope) if scope.get("root_path") else scope["path"]
        method = scope["method"]
        # The routers in order: the first match or mount answers; else the first redirect or
        # 405, kept until no later router matches; else 404.
        # PERF: the first router's static paths first, looked up here: what they hold answers
        # before any other router is asked, and without a call (benchmarks/instructions.py,
        # plaintext). The router keeps the table current (Router._compile, _invalidate).
        methods = self._first_static.get(path)
        outcome = None if methods is None else methods.get(method)
        if outcome is None:
            found: Outcome | Failed
            try:
                # PERF: then the first router's matcher, asked here, not through its
                # resolve(), when the router is compiled and mounts nothing (benchmarks/
                # instructions.py, the routing rows); what else it answers is resolve()'s.
                if (match := self._first._fast_match) is None:  # pyright: ignore[reportPrivateUsage]
                    found = self._resolve(path, method, self.routers, None)
                elif type(matched := match(path, method)) is tuple:
                    found = matched
                elif matched is not NO_RULE:  # a redirect or a 405, say: a later router may match
                    found = self._first.after_match(path, method, matched)
                    found = self._resolve(path, method, self._rest, found)
                else:  # nothing here: the other routers' answer
                    found = self._resolve_rest(path, method)
            except Exception as exc:  # a converter of the app's own failed: answered below
                found = Failed(exc)
            if not isinstance(found, tuple) and "://" in path:
                # An absolute-form target (`GET http://host/p`), whole in the path on
                # uvicorn's h11: served as its path, as httptools gives it.
                origin = origin_form(scope)
                if origin is not None:
                    await App.__call__(self, origin, receive, send)
                    return
            if found is None and not self.exception_handlers:
                # PERF: a 404 needs no Connection (benchmarks/inprocess.py, not found). A new
                # list: middleware may add to the headers it sees.
                body = b"" if method == "HEAD" else b"Not found"
                try:
                    await send(
                        {"type": "http.response.start", "status": 404, "headers": [*_NOT_FOUND]}
                    )
                    await send({"type": "http.response.body", "body": body})
                except OSError as exc:  # the server says the client left
                    logger.debug(
                        "Client left %s %s before its 404: %r", method, printable(path), exc
                    )
                return
            if not isinstance(found, tuple):  # a 404 to handle, a redirect, a 405, a mount, ...
                await self._unmatched(scope, receive, send, found)
                return
            outcome = found
        # A match. PERF: what the static table holds is one; only the matcher's answers are
        # told apart (benchmarks/instructions.py, plaintext, json, search query and post model).
        # PERF: Connection.__init__'s assignments made here, on an object made without it:
        # Python 3.11 calls a class's __init__ through C (type_call, slot_tp_init) and a fresh
        # run of the interpreter, 1,100 instructions a request more than these stores
        # (benchmarks/instructions.py, plaintext). test_app.py checks that the two agree.
        connection = _made_connection()
        connection.scope = scope
        connection._app = self  # pyright: ignore[reportPrivateUsage]
        connection.asgi_send = send
        connection.asgi_receive = receive
        # PERF: a comparison that jumps, which Python 3.11 specializes for str; stored as it
        # is, `method == "HEAD"` takes the generic one (benchmarks/instructions.py, plaintext).
        connection._head = True if method == "HEAD" else False  # pyright: ignore[reportPrivateUsage]
        connection.started = False
        connection.resp_status_code = None
        connection._resp_headers = None  # pyright: ignore[reportPrivateUsage]
        connection._holding = False  # pyright: ignore[reportPrivateUsage]
        try:
            # PERF: a match enters its endpoint here, not through enter(): each function
            # a request passes through is code and data the caches must hold
            # (benchmarks/inprocess.py --cold).
            endpoint, args = outcome
            limit = endpoint.max_body_size
            connection.max_body_size = self.max_body_size if limit is None else limit
            direct = endpoint.direct.get(method)
            if direct is None:
                if (direct := endpoint.direct_rest.get(method)) is None:
                    # Its runner's: a handler with dependencies, a sync one, ...
                    if not args:
                        args = {}  # the static table's are shared
                    connection._path_params = args  # pyright: ignore[reportPrivateUsage]
                    await endpoint.runners[method](connection, args)
                    return
                # PERF: a View's method, or a handler whose arguments are extracted,
                # awaited here, not by its runner (benchmarks/instructions.py, item model,
                # search query and post model).
                if args:
                    connection._path_params = args  # pyright: ignore[reportPrivateUsage]
                view = direct[5]
                instance = None if view is None else view()  # before, as the runner
                if (plan := direct[6]) is None:  # a View's, with one path value or none
                    if args:  # PERF: direct[4] not named (benchmarks/opcodes.py)
                        result = await direct[0](instance, connection, args[direct[4]])
                    else:
                        result = await direct[0](instance, connection)
                else:
                    if (extract := direct[7]) is None:
                        values = arguments_now(plan, connection, args)
                    elif (
                        plan.body_only
                        and (
                            # PERF: the body read here and its arguments made without a
                            # coroutine (benchmarks/network_counted.py, post model); a large
                            # one is extract()'s.
                            solved := body_arguments_now(plan, connection, await connection.body())
                        )
                        is not None
                    ):
                        values = solved
                    elif (solved := await extract(plan, connection, args)) is not None:
                        values = solved
                    else:  # providers overridden: its runner's
                        await endpoint.runners[method](connection, args)
                        return
                    if direct[4]:  # PERF: a JSON body, the one argument, by position: a
                        # call Python 3.11 makes with no keywords to match (benchmarks/
                        # instructions.py, post model, 1,350 instructions).
                        result = await (
                            direct[0](connection, values[direct[4]])
                            if instance is None
                            else direct[0](instance, connection, values[direct[4]])
                        )
                    elif direct[14] is not None:  # two or three, by position the same way
                        result = await (
                            direct[14](connection, values)
                            if instance is None
                            else direct[14](instance, connection, values)
                        )
                    else:
                        result = await (
                            direct[0](connection, **values)
                            if instance is None
                            else direct[0](instance, connection, **values)
                        )
            elif args:  # a function that takes one path value after the connection
                connection._path_params = args  # pyright: ignore[reportPrivateUsage]
                # PERF: direct's parts by index, not unpacked into names
                # (benchmarks/instructions.py, the routing rows).
                result = await direct[0](connection, args[direct[4]])
            else:  # a function that takes only the connection (plaintext and json)
                result = await direct[0](connection)
            # What the handler returned, sent from this frame as its runner would send it
            # when it is a whole response or a value to encode and the connection holds
            # nothing to merge: two coroutines and a call less (benchmarks/instructions.py).
            # test_app.py checks that the two send the same.
            if type(result) is HttpResponse and (
                (status := result.status_code) == 200 or status in WITH_BODY
            ):
                # PERF: HttpResponse.as_whole() for the class itself and a status with
                # a body, inline: a frame and a tuple less (benchmarks/instructions.py,
                # plaintext). test_app.py checks that the two agree.
                content = result.body
                size = len(content)
                headers = [
                    *result.raw_headers,
                    LENGTHS[size] if size < SMALL_BODY else length_header(size),
                ]
                background = result.background
            elif not isinstance(result, HttpResponse):
                if result is None or connection.started or connection.resp_status_code is not None:
                    await direct[1](connection, result)  # what sends a returned value
                    return
                # respond()'s first case, inline (benchmarks/instructions.py, json)
                # PERF: the encoder's parts called here, a frame less (benchmarks/
                # instructions.py, json, search query, item model and the routing
                # rows); where validation fails, the encoder says why. No name of their
                # own: one more local and this coroutine would outgrow the 512 bytes
                # Python's small-object allocator serves (test_app.py checks it fits).
                # The commonest kind first: plain data (benchmarks/instructions.py, json,
                # search query and the routing rows).
                if (kind := direct[10]) == 1:  # validated into plain data, then dumped
                    try:
                        content = direct[12](direct[11](result))
                    except ValidationError:
                        direct[2](result)  # raises ResponseValidationError
                        raise
                elif kind == 3 and type(result) is direct[13]:  # the declared model's
                    content = direct[12](result, by_alias=True)
                elif kind == 2:  # validated into data with models, then dumped by alias
                    try:
                        content = direct[12](direct[11](result), by_alias=True)
                    except ValidationError:
                        direct[2](result)
                        raise
                elif kind == 4 and type(result) is str:  # text, a -> str handler's
                    content = result.encode()
                    size = len(content)
                    # Its own headers: the JSON kinds' below pay no test for this one.
                    headers = [
                        TEXT_TYPE,
                        LENGTHS[size] if size < SMALL_BODY else length_header(size),
                    ]
                    kind = 0
                else:  # the encoder's: what has no schema, or another value for a model
                    headers, content = direct[2](result)
                    kind = 0  # its headers are made
                if kind:  # JSON made above: its headers
                    size = len(content)
                    headers = [
                        JSON_TYPE,
                        LENGTHS[size] if size < SMALL_BODY else length_header(size),
                    ]
                status = direct[3]
                background = None
            elif (whole := result.as_whole()) is not None:
                status, headers, content = whole
                background = result.background
            else:
                await direct[1](connection, result)
                return
            # What the handler may have set: headers (and cookies), or its answer.
            if connection.started or connection._resp_headers is not None:  # pyright: ignore[reportPrivateUsage]
                await connection.respond_whole(status, headers, content)  # pyright: ignore[reportPossiblyUnboundVariable]  # kind 0's or made after
            else:
                connection.started = connection.finished = True
                connection.resp_status_code = status
                send = connection.asgi_send  # add_background() may have wrapped it
                body = b"" if connection._head else content  # pyright: ignore[reportPrivateUsage]
                try:
                    await send(
                        {"type": "http.response.start", "status": status, "headers": headers}  # pyright: ignore[reportPossiblyUnboundVariable]  # as above
                    )
                    await send({"type": "http.response.body", "body": body})
                except OSError as exc:  # the server says the client left
                    raise connection._left(exc) from exc  # pyright: ignore[reportPrivateUsage]
            if background:
                await run_background(background, connection)
            if direct[8] is not None:  # a body that may be large: freed gradually
                del result  # what is left holding it is ours alone, or someone else's
                # Only a handler whose arguments were extracted (values) has one; popped
                # straight into the call, no name of ours holding it.
                await free_gradually(
                    values.pop(direct[8], None),  # pyright: ignore[reportPossiblyUnboundVariable]
                    direct[9],
                )
        except Exception as exc:
            await answer_error(connection, exc, self.exception_handlers, self.debug)
        finally:
            if connection._holding:  # pyright: ignore[reportPrivateUsage]  # PERF: no call
                await _let_go(connection)

    async def _unmatched(
        self, scope: HTTPScope, receive: Receive, send: Send, outcome: Outcome | Failed
    ) -> None:
        """Answer a request no route of the app matched: a 404 that an exception handler may
        answer, a redirect, a 405, a mounted app's answer, or a route's finding that failed."""
        connection = Connection(scope, receive, send, self)
        connection.max_body_size = self.max_body_size
        try:
            if outcome is None:
                raise HTTPError(404, "Not found")  # so that a 404 handler can answer
            await enter(outcome, connection, scope["method"])
        except Exception as exc:
            await answer_error(connection, exc, self.exception_handlers, self.debug)
        finally:
            if connection._holding:  # pyright: ignore[reportPrivateUsage]
                await _let_go(connection)

    def add_middleware(
        self,
        middleware: Callable[Concatenate[Never, P], object],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        """Wrap the app in ``middleware(app, *args, **kwargs)``, outside any it has, as
        Starlette's ``add_middleware`` does: ``app.add_middleware(CORSMiddleware,
        allow_origins=["*"])``. Type checkers check the options against the middleware's own
        parameters.

        Raises:
            RuntimeError: the app has started (its lifespan began).
            TypeError: ``middleware`` gave something that is not an ASGI app.
        """
        if self._started:
            raise RuntimeError("Cannot add middleware after the app has started")
        self._asgi = _wrapped(self._asgi, middleware, *args, **kwargs)
        self.__class__ = _middleware_first(_base_of(type(self)))

    def middleware(self, kind: Literal["http"]) -> Callable[[M], M]:
        """Run the decorated function around every HTTP request, outside the middleware the
        app has, as FastAPI's and Starlette's ``@app.middleware("http")`` do (see
        ``aaf.middleware``); return it unchanged.

        Raises:
            ValueError: ``kind`` is not ``"http"``.
            RuntimeError: the app has started.
        """
        if kind != "http":
            raise ValueError(f'app.middleware() takes "http", got {kind!r}')

        def decorator(dispatch: M) -> M:
            self.add_middleware(FunctionMiddleware, dispatch, self)
            return dispatch

        return decorator

    def include_router(
        self,
        router: Router,
        prefix: str = "",
        *,
        dependencies: Sequence[object] = (),
        tags: Sequence[str | Enum] = (),
        responses: Mapping[int, object] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
    ) -> None:
        """Serve ``router``'s routes after those of the routers the app has (FastAPI's
        ``include_router``), under ``prefix`` when given, with ``dependencies`` run before the
        router's own, and ``tags``, ``responses``, ``deprecated`` and ``include_in_schema``
        saying what the API document shows of its routes (as ``Router.include`` does).

        Raises:
            RuntimeError: the app has started (its lifespan began).
            ConfigurationError: ``prefix`` is not a literal path.
        """
        if self._started:
            raise RuntimeError("Cannot include a router after the app has started")
        check_names([*self.routers, router])  # before it is wrapped: refused, it is left as it was
        router = self._served(
            router, prefix, dependencies, tags, responses, deprecated, include_in_schema
        )
        self.routers.insert(len(self.routers) - len(self._docs), router)
        serve_names_together(self)
        self._note_first()
        self._document = None  # built anew, with these routes

    @staticmethod
    def _resolve(path: str, method: str, routers: Sequence[Router], outcome: Outcome) -> Outcome:
        """What answers ``method path``: ``outcome`` when it is a match (the first router's,
        found by App.__call__), else the first of ``routers`` to match or mount it; else
        ``outcome`` or the first redirect or 405 of theirs; else ``None`` (404)."""
        if type(outcome) is tuple:
            return outcome
        for router in routers:
            found = router.resolve(path, method)
            if found is not None:
                if type(found) is tuple or type(found) is Mounted:
                    return found
                if outcome is None:
                    outcome = found
        return outcome

    def _note_first(self) -> None:
        """Keep what App.__call__ reads of the routers at hand: the first one (a router of
        none's own, never compiled, when there is none: no matcher to ask), its table of
        static paths (which it keeps current), and the others."""
        self._first = self.routers[0] if self.routers else Router()
        self._first_static: dict[str, dict[str, Match]] = self._first._static  # pyright: ignore[reportPrivateUsage]
        self._rest = self.routers[1:]
        # PERF: the one other router's resolve() when there is one, called without a loop
        # (benchmarks/instructions.py, not found: the app's document is a router of its own).
        self._resolve_rest: Callable[[str, str], Outcome] = (
            self._rest[0].resolve
            if len(self._rest) == 1
            else functools.partial(self._resolve, routers=self._rest, outcome=None)
        )

    def _served(
        self,
        router: Router,
        prefix: str = "",
        dependencies: Sequence[object] = (),
        tags: Sequence[str | Enum] = (),
        responses: Mapping[int, object] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
    ) -> Router:
        """``router`` as the app serves it: under ``prefix``, after the app's dependencies
        and then ``dependencies``, shown in the document as ``Router.include`` says; itself
        when there is nothing to add."""
        dependencies = (*self.dependencies, *dependencies)
        if not (prefix or dependencies or tags or responses or deprecated or not include_in_schema):
            return router
        outer = Router(dependencies=dependencies)
        outer.include(
            router,
            prefix=prefix,
            tags=tags,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
        )
        return outer

    # Routes on the app itself, as FastAPI writes them ------------------------------------------
    @property
    def router(self) -> Router:
        """The app's own router, made (and served after the routers the app has) on first
        use: what ``@app.get(...)`` and the other shortcuts register on."""
        if self._own is None:
            self._own = Router(converters=self.converters)
            self.include_router(self._own)
        return self._own

    def route(
        self, rule: str, methods: Iterable[str] | None = None, **options: Unpack[RouteOptions]
    ) -> RouteDecorator:
        """``Router.route`` on the app's own router."""
        return self.router.route(rule, methods, **options)

    def get(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """``Router.get`` on the app's own router: ``@app.get("/")``, as in FastAPI."""
        return self.router.get(rule, **options)

    def post(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """``Router.post`` on the app's own router."""
        return self.router.post(rule, **options)

    def put(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """``Router.put`` on the app's own router."""
        return self.router.put(rule, **options)

    def patch(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """``Router.patch`` on the app's own router."""
        return self.router.patch(rule, **options)

    def delete(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """``Router.delete`` on the app's own router."""
        return self.router.delete(rule, **options)

    def websocket(
        self, rule: str, name: str | None = None, dependencies: Sequence[object] = ()
    ) -> WebSocketRouteDecorator:
        """``Router.websocket`` on the app's own router."""
        return self.router.websocket(rule, name, dependencies)

    def mount(self, prefix: str, app: ASGIApp, *, name: str | None = None) -> None:
        """Hand every path under ``prefix`` to another ASGI app (``StaticFiles``, say), after
        the app's own routers, as FastAPI's ``app.mount`` does (``Router.mount`` says how;
        ``name`` lets ``url_for(name, path=...)`` build a path below it).

        Raises:
            RuntimeError: the app has started (its lifespan began).
            ConfigurationError: ``prefix`` is empty or not a literal path.
        """
        router = Router()
        router.mount(prefix, app, name=name)
        self.include_router(router)

    @overload
    def add_exception_handler(self, key: type[E], handler: ExceptionHandlerOf[E]) -> None: ...
    @overload
    def add_exception_handler(
        self, key: Literal[500], handler: ExceptionHandlerOf[Exception]
    ) -> None: ...
    @overload
    def add_exception_handler(self, key: int, handler: ExceptionHandlerOf[HTTPError]) -> None: ...
    def add_exception_handler(
        self, key: type[BaseException] | int, handler: ExceptionHandler
    ) -> None:
        """Answer exceptions of class ``key`` (or of status ``key``) with ``handler``, as an
        entry of ``exception_handlers=`` does (Starlette's spelling). Type checkers check that
        the handler takes that class of exception; for a status, the ``HTTPError`` of that
        status (aaf's own 404 is one), and for 500 any exception nothing else answers.

        Raises:
            TypeError: ``handler`` is not an async function.
        """
        self._add_exception_handler(key, handler)

    @overload
    def exception_handler(
        self, key: type[E]
    ) -> Callable[[Callable[[Connection, E], C]], Callable[[Connection, E], C]]: ...
    @overload
    def exception_handler(  # type: ignore[overload-overlap]  # 500 is an int: the first wins
        self, key: Literal[500]
    ) -> Callable[[HS], HS]: ...
    @overload
    def exception_handler(self, key: int) -> Callable[[HH], HH]: ...
    def exception_handler(self, key: type[BaseException] | int) -> Callable[[H], H]:
        """``add_exception_handler`` as a decorator, as FastAPI writes it; it gives the
        function back::

            @app.exception_handler(Conflict)
            async def conflict(connection: Connection, exc: Conflict) -> JsonResponse: ...
        """

        _handled(key)  # `@app.exception_handler` without its key would register nothing

        def decorator(handler: H) -> H:
            self._add_exception_handler(key, handler)
            return handler

        return decorator

    def _add_exception_handler(
        self, key: type[BaseException] | int, handler: ExceptionHandler
    ) -> None:
        _handled(key)
        call = type(handler).__call__  # an object with an async __call__ will do
        if not inspect.iscoroutinefunction(handler) and not inspect.iscoroutinefunction(call):
            # A response is awaitable too: a plain def's would be awaited with no
            # connection to send on, and every such error become a 500.
            raise TypeError(
                f"The exception handler for {getattr(key, '__name__', key)!r} must be an "
                f"async function (async def), got {handler!r}"
            )
        self.exception_handlers[key] = handler

    # WebSocket ---------------------------------------------------------------------------------
    async def _websocket(self, scope: WebSocketScope, receive: Receive, send: Send) -> None:
        if "://" in scope["path"]:  # an absolute-form target, as for HTTP
            scope = origin_form(scope) or scope
        connection = Connection(scope, receive, send, self)
        connection.max_message_size = self.max_message_size
        try:
            if not await dispatch_websocket(self.routers, connection):
                # Closing before accept makes the server refuse the handshake (HTTP 403).
                await connection.close(1000, "No WebSocket route for this path")
            elif connection.ws_state is WebSocketState.CONNECTED:
                # The handler returned with the session open: it is done with it, so it ends
                # cleanly (1000); the server would drop the TCP connection instead, which a
                # browser reports as an abnormal closure (1006).
                with contextlib.suppress(OSError):  # the client left meanwhile
                    await connection.close()
        except Exception as exc:
            await answer_error(connection, exc, self.exception_handlers, self.debug)
        finally:
            connection.release()

    # Lifespan ----------------------------------------------------------------------------------
    async def _lifespan(self, scope: LifespanScope, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        self._started = True
        context: AbstractAsyncContextManager[Mapping[str, object] | None] | None = None
        entered = False
        # Apps mounted on the routers start after the app and stop before it, as a server
        # would start them on their own (their lifespan state shared, as the server's is).
        mounted = [
            MountedLifespan(app, where)
            for router in self.routers
            for where, app in router._mounted_apps()  # pyright: ignore[reportPrivateUsage]
            if app is not self
        ]
        started: list[MountedLifespan] = []
        try:
            # Names are checked as routes come (serve_names_together); once more here for
            # routers put in app.routers by hand, which that does not see.
            check_names(self.routers)
            for hook in self.on_startup:
                await _call_hook(hook)
            if self.lifespan is not None:
                context = self.lifespan(self)
                # What it yields goes to app.state, and to the lifespan scope's state, which
                # the server copies into every request's (connection.state), as Starlette's
                # lifespan state does.
                state: object = await context.__aenter__()
                entered = True
                if isinstance(state, Mapping):
                    self.state.update(state)
                    shared = scope.get("state")
                    if shared is not None:
                        shared.update(state)
                elif state is not None:
                    raise TypeError(
                        f"The lifespan yielded {state!r}: yield nothing, or a mapping of names "
                        f"to objects for app.state"
                    )
            shared_state = scope.get("state")
            for child in mounted:
                own: dict[str, object] = {}  # a server without lifespan state: its own
                child_state = shared_state if shared_state is not None else own
                if await child.startup(scope["asgi"], child_state):
                    started.append(child)
            # Now, not at the first request (routes added at start-up included), and
            # before the collector freezes what start-up made.
            compile_routers(self.routers)
        except BaseException as exc:
            logger.error("Application startup failed", exc_info=exc)
            # What started is stopped again, in reverse: a failed start leaves nothing open.
            for child in reversed(started):
                with contextlib.suppress(Exception):
                    await child.shutdown()
            if context is not None and entered:
                with contextlib.suppress(Exception):
                    await context.__aexit__(type(exc), exc, exc.__traceback__)
            await send(
                {"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"}
            )
            return
        self.lifecycle.started()
        if self.freeze_gc:
            _freeze_gc()
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        self.lifecycle.stopped()
        failed: BaseException | None = None
        for child in reversed(started):  # each is shut down, whatever another said
            try:
                await child.shutdown()
            except Exception as exc:
                failed = failed or exc
        await self.lifecycle.wait_background()
        self.threads.shutdown()  # nothing is left to run there: responses and work are done
        try:
            if context is not None:
                await context.__aexit__(None, None, None)
            for hook in self.on_shutdown:
                await _call_hook(hook)
        except BaseException as exc:
            failed = failed or exc
        if failed is not None:
            logger.error("Application shutdown failed", exc_info=failed)
            await send(
                {
                    "type": "lifespan.shutdown.failed",
                    "message": f"{type(failed).__name__}: {failed}",
                }
            )
            return
        await send({"type": "lifespan.shutdown.complete"})

    def openapi(self) -> dict[str, JsonValue]:
        """The OpenAPI 3.1.0 document of the app's HTTP routes, built once (on first use).

        Raises:
            ConfigurationError: two different models share a name, or two routes are one
                operation (one method of one path template).
        """
        if self._document is None:
            self._document = build_document(self)
        return self._document

    def _build_url(self, target: object, params: dict[str, object]) -> str:
        # Any of the routers, in order (see Router.url_for).
        for router in self.routers:
            try:
                return router._build_url(target, params)  # pyright: ignore[reportPrivateUsage]  # one implementation
            except NotInUrl:
                raise  # the handler's own router says why
            except LookupError:
                continue
        shown = target if isinstance(target, str) else getattr(target, "__qualname__", target)
        raise LookupError(f"No route for {shown!r} accepts the parameters {sorted(params)}")


def _handled(key: object) -> None:
    """What an exception handler answers: exceptions of a class, or errors of a status.

    Raises:
        TypeError: ``key`` is neither (a function: ``@app.exception_handler`` written
            without its key; text such as ``"404"``; an exception instance).
    """
    if not _handler_key(key):
        raise TypeError(
            "An exception handler answers an exception class or an HTTP status code: write "
            f"@app.exception_handler(ValueError) or (404), got {named(key)}"
        )


def _handler_key(key: object) -> bool:
    """A status code (not a bool), or an exception class."""
    if isinstance(key, int):
        return not isinstance(key, bool)
    return isinstance(key, type) and issubclass(key, BaseException)


def _wrapped(
    app: ASGIApp, middleware: Callable[..., object], *args: object, **kwargs: object
) -> ASGIApp:
    """``middleware(app, *args, **kwargs)``, checked to be callable (an ASGI app)."""
    wrapped = middleware(app, *args, **kwargs)
    if not callable(wrapped):
        raise TypeError(f"Middleware {middleware!r} gave {wrapped!r}, not an ASGI app")
    return cast(ASGIApp, wrapped)


async def _let_go(connection: Connection) -> None:
    """Let go of what a request's connection holds once it is answered: its form's files and
    its watcher; a large body's values freed a slice at a time."""
    connection.release()
    if connection._large_json:  # pyright: ignore[reportPrivateUsage]
        # What json() parsed: freed in one piece, 420,000 dicts held the event loop 18 ms
        # (benchmarks/hostile.py, "valid list read as JSON").
        await free_gradually(connection._take_large_json())  # pyright: ignore[reportPrivateUsage]
    if connection._leftovers is not None:  # pyright: ignore[reportPrivateUsage]
        await free_gradually(connection._take_leftovers())  # pyright: ignore[reportPrivateUsage]


async def _call_hook(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


def _middleware_first(cls: type[A]) -> type[A]:
    """A subclass of ``cls`` whose ``__call__`` enters the app's middleware, the innermost of
    which calls ``cls.__call__`` (one per class, made on first use)."""
    made = _MIDDLEWARE_FIRST.get(cls)
    if made is None:

        async def __call__(self: App, scope: Scope, receive: Receive, send: Send) -> None:
            # An absolute-form target (as App.__call__ says) made a path before the
            # middleware, which may judge a request by its path.
            if scope["type"] == "http":
                if "://" in scope["path"]:
                    scope = origin_form(scope) or scope
            elif scope["type"] == "websocket" and "://" in scope["path"]:
                scope = origin_form(scope) or scope
            await self._asgi(scope, receive, send)  # pyright: ignore[reportPrivateUsage]  # App's own

        namespace = {"__call__": __call__, "__module__": cls.__module__}
        made = type(cls.__name__, (cls,), namespace | {"__qualname__": cls.__qualname__})
        _MIDDLEWARE_FIRST[cls] = made
        _MADE_FROM[made] = cls
    return cast("type[A]", made)


def _base_of(cls: type[A]) -> type[A]:
    """The class ``_middleware_first`` made ``cls`` from, or ``cls`` itself."""
    return cast("type[A]", _MADE_FROM.get(cls, cls))


# PERF: the class of the connections App.__call__ makes: a Connection whose __init__ is
# object's, which runs no Python. Made so, the call costs 24 ns less than
# object.__new__(Connection), which Python 3.11 calls through a tuple of its arguments and
# checks (benchmarks/inprocess.py, plaintext). isinstance(connection, Connection) holds; its
# name, module and everything but __init__ are Connection's.
_made_connection = cast(
    "Callable[[], Connection]",
    type(
        "Connection",
        (Connection,),
        {"__init__": object.__init__, "__slots__": (), "__module__": Connection.__module__},
    ),
)
_MIDDLEWARE_FIRST: dict[type[App], type[App]] = {}
_MADE_FROM: dict[type[App], type[App]] = {}  # the other way round


# `aaf(routers, ...)` as the seed writes it: an alias of the class, which annotations name.
aaf = App
