"""Routers: werkzeug rules mapped to async functions and class-based views."""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    NamedTuple,
    Protocol,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
)
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, JsonValue
from pydantic_core import to_jsonable_python
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BuildError, Map, MapAdapter, RequestRedirect, Rule
from werkzeug.routing.converters import BaseConverter, PathConverter

from aaf._dispatch import Endpoint, WebSocketEndpoint, http_endpoint, websocket_endpoint
from aaf._errors import answer_error
from aaf._http import check_limit, local_location
from aaf._matcher import MatchResult, SlashRedirect, StateMatcher, Unknown
from aaf._operation import Operation, Shown, dependency_list, operation
from aaf._plan import FieldSpec, HandlerPlan, every_plan
from aaf._rules import (
    CONVERTERS,
    LazyBuilderRule,
    custom_converter_problem,
    invalid_rule_problem,
    leading_back,
    named,
    one_string_problem,
    resolved_away,
    rule_converters,
    unslashed_rule_problem,
)
from aaf._types import ASGIApp, HTTPScope, Send, SendEvent
from aaf._urls import UrlBuilding
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, HTTPError
from aaf.params import Dependency
from aaf.response import HttpResponse
from aaf.staticfiles import StaticFiles
from aaf.views import View, WebSocketView

if TYPE_CHECKING:
    from aaf.app import App

__all__ = [
    "Match",
    "Mounted",
    "NotAllowed",
    "NotInUrl",
    "Operation",
    "Outcome",
    "Redirect",
    "RouteDecorator",
    "Router",
    "WebSocketRouteDecorator",
    "enter",
    "operation",
]

# An async function, a plain function (run in a worker thread) or a View class.
Handler = Callable[..., object] | type[View]
WebSocketHandler = Callable[..., Awaitable[None]] | type[WebSocketView]
H = TypeVar("H", bound=Handler)
W = TypeVar("W", bound=WebSocketHandler)


class RouteDecorator(Protocol):
    """What ``route`` and the method shortcuts give: registers a handler, returns it unchanged.

    A named type (not a bare callable) so that the mypy plugin ``aaf.mypy`` can find the
    decorated handler and check it against the rule.
    """

    def __call__(self, handler: H, /) -> H: ...


class WebSocketRouteDecorator(Protocol):
    """What ``websocket`` gives: registers a WebSocket handler, returns it unchanged."""

    def __call__(self, handler: W, /) -> W: ...


# What resolving a path gives. A route answers: its endpoint and the values of its rule
# variables, as a plain tuple, the one the matcher made. PERF: a named tuple built from it
# cost 1.3k instructions a request (benchmarks/instructions.py, item model). The rarer
# outcomes are small classes, not tuples, so `type(outcome) is tuple` tells a match.
Match = tuple[Endpoint, dict[str, object]]


class WebSocketMatch(NamedTuple):
    """A WebSocket route answers."""

    endpoint: WebSocketEndpoint
    args: dict[str, object]


@dataclasses.dataclass(frozen=True, slots=True)
class Mounted:
    """An app mounted at ``prefix`` takes the connection."""

    app: ASGIApp
    prefix: str


@dataclasses.dataclass(frozen=True, slots=True)
class Redirect:
    """The path exists with a trailing slash: redirect (308) there."""

    path: str


@dataclasses.dataclass(frozen=True, slots=True)
class NotAllowed:
    """The path exists, but not for this method: 405 with ``allow``."""

    allow: str


@dataclasses.dataclass(frozen=True, slots=True)
class Failed:
    """Finding the route raised (a converter of the app's own failed): answered as a handler's
    exception is, through the exception handlers (500, logged, by default)."""

    error: Exception


Outcome = Match | Mounted | Redirect | NotAllowed | None  # None: nothing here
WebSocketOutcome = WebSocketMatch | Mounted | None


class RouteOptions(TypedDict, total=False):
    """The keywords of ``route`` after ``methods``, as the method shortcuts take them."""

    name: str | None
    status_code: int
    max_body_size: int | None
    dependencies: Sequence[object]
    summary: str | None
    description: str | None
    tags: Sequence[str | Enum] | None
    responses: Mapping[int, object] | None
    deprecated: bool
    include_in_schema: bool
    operation_id: str | None
    exclude_unset: bool
    exclude_defaults: bool
    exclude_none: bool
    openapi_extra: Mapping[str, JsonValue] | None


class _AafRule(LazyBuilderRule):
    """A werkzeug rule that carries aaf's compiled endpoint."""

    def __init__(
        self, string: str, aaf_endpoint: Endpoint | WebSocketEndpoint, **kwargs: object
    ) -> None:
        super().__init__(string, **kwargs)  # type: ignore[arg-type]  # werkzeug's own keywords
        self.aaf_endpoint = aaf_endpoint
        self._paths: tuple[str, ...] | None = None  # see build

    def build(
        self, values: Mapping[str, object], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """werkzeug's URL for ``values``, refused where it would not lead back:

        - a value ending in ``/`` before the rule's closing slash (``docs/`` for
          ``/files/<path:name>/``) makes a path ending in ``//``, which werkzeug's
          ``merge_slashes`` redirects to the path without it, a value one slash short;
        - in a rule of several ``<path:...>`` variables, values that match back split
          otherwise (``/<path:a>/<path:b>`` given ``a/b`` and ``c`` builds ``/a/b/c``, where
          ``a`` takes the shortest text that leaves the rest a match: ``a`` and ``b/c``).
          Those rules alone are matched back, each URL they build.

        Raises:
            ValueError: saying why, for ``url_for`` to name the route.
        """
        built = super().build(values, append_unknown)
        if built is None:
            return None
        path = built[1].partition("?")[0]
        if self.merge_slashes and self.rule.endswith("/") and path.endswith("//"):
            raise ValueError(
                f"{path!r} ends in '//', which the rule's closing slash and a value "
                "ending in '/' make: the client is redirected to the path without one"
            )
        paths = self._paths
        if paths is None:
            converters = self._converters.items()  # pyright: ignore[reportPrivateUsage]  # werkzeug's
            paths = tuple(name for name, made in converters if isinstance(made, PathConverter))
            paths = self._paths = paths if len(paths) > 1 else ()
        if paths:
            self._matches_back(path, values, paths)
        return built

    def _matches_back(
        self, path: str, values: Mapping[str, object], paths: tuple[str, ...]
    ) -> None:
        assert self.map is not None  # bound, as it built
        method = "GET" if not self.methods or "GET" in self.methods else min(self.methods)
        found: Mapping[str, object] = {}
        try:
            rule, found = self.map.bind("localhost").match(
                unquote(path), method, return_rule=True, websocket=self.websocket
            )
        except (HTTPException, RequestRedirect, ValueError):
            rule = None
        given = {name: str(values[name]) for name in paths}
        read = {name: found.get(name) for name in paths}
        if rule is not self or read != given:
            raise ValueError(
                f"{path!r} is matched as {read if rule is self else 'another route'}, not "
                f"{given}: a <path:...> variable takes the shortest text that leaves the "
                "rest of the rule a match"
            )


# What the routers that include a router add to its routes: their dependencies, outermost
# first (they run before the router's own, as in FastAPI's include_router), and what they
# say in the API document (their tags first, their responses, deprecated, left out).
Outer = tuple[tuple[Dependency, ...], Shown]
_NOTHING: Outer = ((), Shown())


@dataclasses.dataclass(frozen=True)
class _Route:
    rule: str
    name: str
    handler: object
    endpoint: Endpoint | WebSocketEndpoint  # as its own router serves it
    websocket: bool
    # The endpoint built again with dependencies run before the route's own.
    rebuild: Callable[[tuple[Dependency, ...]], Endpoint | WebSocketEndpoint]
    variants: dict[Outer, Endpoint | WebSocketEndpoint] = dataclasses.field(
        default_factory=dict[Outer, "Endpoint | WebSocketEndpoint"]
    )

    def endpoint_under(self, outer: Outer) -> Endpoint | WebSocketEndpoint:
        """The endpoint served where including routers add ``outer``; built once for each."""
        if outer == _NOTHING:
            return self.endpoint
        found = self.variants.get(outer)
        if found is None:
            dependencies, shown = outer
            found = self.rebuild(dependencies) if dependencies else self.endpoint
            if isinstance(found, Endpoint) and shown != _NOTHING[1]:
                found = found.shown_under(shown)
            self.variants[outer] = found
        return found


def _below_mount(name: str, prefix: str, params: Mapping[str, object]) -> str:
    """``url_for(name, path=...)`` for the mount named ``name`` at ``prefix``.

    Raises:
        NotInUrl: anything but one ``path`` string was given.
        ValueError: the path holds a ``.`` or ``..`` segment, which clients resolve away
            (``../secret.txt`` leaves the mount), as a rule variable's value may not.
    """
    path = params.get("path")
    if set(params) != {"path"} or not isinstance(path, str):
        raise NotInUrl(
            f"url_for({name!r}) names a mount: give the path below it, "
            f"url_for({name!r}, path='css/app.css'), got {sorted(params)}"
        )
    if resolved_away(path):
        raise ValueError(
            f"url_for({name!r}): {path!r} holds a '.' or '..' path segment, which clients "
            "resolve away: the link would name another file, or leave the mount"
        )
    return f"{prefix}/{quote(path.lstrip('/'))}"


def _record(claims: list[tuple[Router, dict[tuple[str, str], str]]]) -> None:
    """Record what ``Router._claims_where_served`` found, the routes being registered."""
    for router, claimed in claims:
        router._claimed.update(claimed)  # pyright: ignore[reportPrivateUsage]  # routing's own


def _claims_of(path: str, route: _Route) -> tuple[str, list[str]]:
    """What ``route`` answers at the full rule ``path``: the rule with its variables' names
    left out (``/items/<int:a>`` and ``/items/<int:b>`` match the same paths), and the methods
    it declares (``HEAD`` with ``GET``), or ``WEBSOCKET``."""
    shape = _VARIABLE.sub(lambda m: f"<{m.group(1) or 'default'}>", path)
    endpoint = route.endpoint
    if not isinstance(endpoint, Endpoint):
        return shape, ["WEBSOCKET"]
    methods = set(endpoint.plans)
    if "GET" in methods:
        methods.add("HEAD")
    return shape, sorted(methods)


# A rule's variable: <name>, <converter:name> or <converter(arguments):name>.
_VARIABLE = re.compile(r"<(?:([a-zA-Z_]\w*(?:\([^)]*\))?):)?[a-zA-Z_]\w*>")


@dataclasses.dataclass(frozen=True)
class _Mount:
    prefix: str
    app: ASGIApp
    name: str | None = None  # url_for(name, path=...) builds a path below it


@dataclasses.dataclass(frozen=True)
class _Include:
    router: Router
    prefix: str


def _rule_first(rule: object) -> None:
    """A decorator written without its call (``@router.get``) is given the function as its
    rule, and would give back a decorator in the function's place, registering nothing.

    Raises:
        TypeError: ``rule`` is not text.
    """
    if not isinstance(rule, str):
        raise TypeError(
            f"A route's rule comes first, as text: write @router.get('/path'), with its "
            f"parentheses and rule (got {named(rule)} as the rule)"
        )


class Router(UrlBuilding):
    """A set of routes, included routers and mounted apps, matched with werkzeug.

    ::

        router = Router()

        @router.route("/items/<int:item_id>")
        class ItemView(View):
            async def get(self, connection: Connection, item_id: int) -> Item: ...
    """

    def __init__(
        self,
        prefix: str = "",
        *,
        dependencies: Sequence[object] = (),
        tags: Sequence[str | Enum] = (),
        responses: Mapping[int, object] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
    ) -> None:
        self.prefix: str = _clean_prefix(prefix)
        # werkzeug converters of the app's own (`<hex:n>`), for this router's rules.
        self.converters: Mapping[str, type[BaseConverter]] = _custom(converters or {})
        # What the API document says of every route registered here (FastAPI's APIRouter
        # options): tags before the routes' own, responses beside theirs, deprecated, left out.
        self._shown = Shown.of(tags, responses, deprecated, include_in_schema)
        # Depends(provider) values run before every route registered here (auth checks).
        self.dependencies: tuple[Dependency, ...] = tuple(dependency_list(dependencies))
        self._entries: list[_Route | _Mount | _Include] = []
        # Which route answers each (rule, method) here: a second route for one would never
        # be reached (the first registered wins), so registering it is an error.
        self._claimed: dict[tuple[str, str], str] = {}
        self._parents: list[Router] = []
        # Every route name served here, included routers' too, and what it names: made at
        # the first check, then kept up to date as routes come (see _names).
        self._named: dict[str, object] | None = None
        # The apps that serve this router among others (aaf([...]), include_router): a name
        # registered here later is checked against those others' too (see _check_name).
        self._apps: weakref.WeakSet[_NameScope] = weakref.WeakSet()
        self._compiled = False
        self._http_adapter: MapAdapter | None = None
        self._ws_adapter: MapAdapter | None = None
        self._static: dict[str, dict[str, Match]] = {}
        self._matcher: StateMatcher[Endpoint] | None = None
        self._ws_matcher: StateMatcher[WebSocketEndpoint] | None = None
        # The matcher's match, when it is all resolve() asks before after_match(): compiled,
        # and no mounts. App.__call__ calls it for its first router.
        self._fast_match: Callable[[str, str], MatchResult[Endpoint]] | None = None
        self._mounts: list[tuple[str, ASGIApp]] = []
        self._named_mounts: dict[str, str] = {}  # a named mount's full prefix
        # url_for's index: each handler (a function, a View or one of its methods) to the
        # name and plan (None for a WebSocket route) of each route it serves; made on first use.
        self._targets: dict[object, list[_Target]] | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        """The API document's tags of every route registered here."""
        return self._shown.tags

    # Registration ------------------------------------------------------------------------------
    def route(
        self,
        rule: str,
        methods: Iterable[str] | None = None,
        name: str | None = None,
        status_code: int = 200,
        max_body_size: int | None = None,
        dependencies: Sequence[object] = (),
        *,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str | Enum] | None = None,
        responses: Mapping[int, object] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        operation_id: str | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        openapi_extra: Mapping[str, JsonValue] | None = None,
    ) -> RouteDecorator:
        """Register an async function or a ``View`` class at ``rule``; return it unchanged.

        ``max_body_size`` overrides the app's request body limit for this route;
        ``dependencies`` (``Depends(provider)`` values) run before the handler. The rest say
        what the API document shows: ``summary`` and ``description`` (else the docstring),
        ``tags`` (beside the router's), extra ``responses`` (``{404: Model}``),
        ``deprecated``, ``include_in_schema``, ``operation_id``, and ``openapi_extra`` written
        over the operation's entry (mappings merged key by key). ``exclude_unset``,
        ``exclude_defaults`` and ``exclude_none`` leave those fields out of a returned value,
        as FastAPI's ``response_model_exclude_*`` (the annotation still validates it).

        Raises:
            TypeError: ``rule`` is not text (``@router.get`` written without its rule).
        """
        _rule_first(rule)
        options = Operation.of(
            status_code=status_code,
            summary=summary,
            description=description,
            tags=tags,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            operation_id=operation_id,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            openapi_extra=openapi_extra,
        )

        def decorator(handler: H) -> H:
            self.add_route(
                rule,
                handler,
                methods=methods,
                name=name,
                status_code=status_code,
                max_body_size=max_body_size,
                dependencies=dependencies,
                options=options,
            )
            return handler

        return decorator

    def get(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """Register a function for ``GET`` (and ``HEAD``) at ``rule``: ``route(rule,
        methods=["GET"], ...)``, as Flask 2 and FastAPI spell it."""
        return self.route(rule, ["GET"], **_known(options))

    def post(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """Register a function for ``POST`` at ``rule``."""
        return self.route(rule, ["POST"], **_known(options))

    def put(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """Register a function for ``PUT`` at ``rule``."""
        return self.route(rule, ["PUT"], **_known(options))

    def patch(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """Register a function for ``PATCH`` at ``rule``."""
        return self.route(rule, ["PATCH"], **_known(options))

    def delete(self, rule: str, **options: Unpack[RouteOptions]) -> RouteDecorator:
        """Register a function for ``DELETE`` at ``rule``."""
        return self.route(rule, ["DELETE"], **_known(options))

    def add_route(
        self,
        rule: str,
        handler: Handler,
        methods: Iterable[str] | None = None,
        name: str | None = None,
        status_code: int = 200,
        max_body_size: int | None = None,
        dependencies: Sequence[object] = (),
        options: Operation | None = None,
    ) -> None:
        """Register ``handler`` at ``rule`` without a decorator (``options``: what the API
        document says, as ``route``'s keywords give it).

        Raises:
            ConfigurationError: the name is taken by another handler, or the signature does
                not fit the rule.
            TypeError: the handler is not async.
        """
        check_limit("route", "max_body_size", max_body_size, none="the app's")
        full = _under(self.prefix, rule)
        route_name: str = name or getattr(handler, "__name__", None) or repr(handler)
        self._check_name(route_name, handler)
        converters = _converters(full, custom=self.converters)
        methods = _methods_of(route_name, methods)
        own = (*self.dependencies, *dependency_list(dependencies))
        route_options = self._shown.apply(options or Operation(status_code))

        def build(outer: tuple[Dependency, ...] = ()) -> Endpoint:
            return http_endpoint(
                handler,
                route_name,
                converters,
                methods,
                status_code,
                max_body_size,
                (*outer, *own),
                route_options,
            )

        self._add(_Route(rule, route_name, handler, build(), False, build))

    def websocket(
        self, rule: str, name: str | None = None, dependencies: Sequence[object] = ()
    ) -> WebSocketRouteDecorator:
        """Register an async function or a ``WebSocketView`` for WebSocket sessions at
        ``rule``. ``dependencies`` (and the router's) run before the handler or ``on_connect``;
        one that raises refuses the handshake."""
        _rule_first(rule)

        def decorator(handler: W) -> W:
            self.add_websocket_route(rule, handler, name=name, dependencies=dependencies)
            return handler

        return decorator

    def add_websocket_route(
        self,
        rule: str,
        handler: WebSocketHandler,
        name: str | None = None,
        dependencies: Sequence[object] = (),
    ) -> None:
        """Register a WebSocket handler at ``rule`` without a decorator."""
        full = _under(self.prefix, rule)
        route_name: str = name or getattr(handler, "__name__", None) or repr(handler)
        self._check_name(route_name, handler)
        converters = _converters(full, websocket=True, custom=self.converters)
        own = (*self.dependencies, *dependency_list(dependencies))

        def build(outer: tuple[Dependency, ...] = ()) -> WebSocketEndpoint:
            return websocket_endpoint(handler, route_name, converters, (*outer, *own))

        self._add(_Route(rule, route_name, handler, build(), True, build))

    def _add(self, route: _Route) -> None:
        # What it answers here and in every router that includes this one (checked first,
        # recorded once it is registered: a route that failed claims nothing).
        claims = self._claims_where_served([(self.prefix + route.rule, route)])
        # Built now as every router including this one serves it, so that their providers'
        # mistakes are found at registration, not at the first request.
        for outer in self._outer():
            route.endpoint_under(outer)
        self._entries.append(route)
        _record(claims)
        self._note_names({route.name: route.handler})
        self._invalidate()

    def _claims_where_served(
        self, routes: Iterable[tuple[str, _Route]]
    ) -> list[tuple[Router, dict[tuple[str, str], str]]]:
        """``_claims`` of ``routes`` (full rules here) in this router and in every router that
        includes it, under their prefixes there, for ``_record`` once they are registered.

        Raises:
            ConfigurationError: a method of a rule is answered in one of them already.
        """
        found: dict[Router, list[tuple[str, _Route]]] = {}
        for path, route in routes:
            for router, there in self._served_at(path):
                found.setdefault(router, []).append((there, route))
        return [(router, router._claims(here)) for router, here in found.items()]

    def _served_at(self, path: str) -> Iterator[tuple[Router, str]]:
        """This router and each that includes it (at any depth), with ``path`` (a full rule
        here) as it is written there."""
        yield self, path
        for parent in dict.fromkeys(self._parents):
            for entry in parent._entries:
                if isinstance(entry, _Include) and entry.router is self:
                    yield from parent._served_at(parent.prefix + entry.prefix + path)

    def _claims(self, routes: Iterable[tuple[str, _Route]]) -> dict[tuple[str, str], str]:
        """Which route would answer each method of each ``(full rule, route)``, for the caller
        to record once they are registered.

        Raises:
            ConfigurationError: a method of a rule is answered here already.
        """
        claims: dict[tuple[str, str], str] = {}
        for path, route in routes:
            shape, methods = _claims_of(path, route)
            for method in methods:
                taken = self._claimed.get((shape, method)) or claims.get((shape, method))
                if taken is not None:
                    raise ConfigurationError(
                        f"{method} {path} is answered by {taken!r} already: {route.name!r} "
                        f"would never be reached there; give it another rule or method"
                    )
                claims[shape, method] = route.name
            if methods != ["WEBSOCKET"] and (shape, "OPTIONS") not in self._claimed:
                # Every HTTP route answers OPTIONS by itself: the first for a rule does, and
                # only a route that declares OPTIONS is refused after it.
                claims.setdefault((shape, "OPTIONS"), route.name)
        return claims

    def _outer(self) -> list[Outer]:
        """What including routers add to this router's routes, once for each chain of
        routers above it (nothing for a router no other includes)."""
        if not self._parents:
            return [_NOTHING]
        chains = (
            ((*dependencies, *parent.dependencies), parent._shown.under(shown))
            for parent in self._parents
            for dependencies, shown in parent._outer()
        )
        return list(dict.fromkeys(chains))

    def include(
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
        """Serve every route of ``router`` under ``prefix`` too (a blueprint), with
        ``dependencies`` run before its own; in the API document, ``tags`` before its own,
        ``responses`` beside its routes' own (theirs win for a status both give), every route
        ``deprecated``, or none shown (``include_in_schema=False``): FastAPI's
        ``include_router`` options."""
        if router is self:
            raise ConfigurationError("A router cannot include itself")
        shown = Shown.of(tags, responses, deprecated, include_in_schema)
        if dependencies or shown != _NOTHING[1]:
            # Served here through a router of its own that adds them (no prefix: the
            # checks below see the prefix as given).
            wrapper = Router(
                dependencies=dependencies,
                tags=tags,
                responses=responses,
                deprecated=deprecated,
                include_in_schema=include_in_schema,
            )
            wrapper.include(router)
            router = wrapper
        if "<" in prefix:
            # The included routes were checked against their own rules, without these.
            raise ConfigurationError(
                f"include() takes a literal prefix, got {prefix!r}: give the included "
                f"router the variables instead, Router(prefix={prefix!r})"
            )
        if "<" in self.prefix:
            raise ConfigurationError(
                f"A router with variables in its prefix ({self.prefix!r}) cannot include another: "
                f"the included routes were checked against their own rules, without them; give "
                f"the included router the prefix instead"
            )
        if self in router._routers():
            raise ConfigurationError("Routers cannot include each other in a cycle")
        # One meaning for each converter name wherever the routes are served together.
        _merged_converters(
            [*(r for top in self._tops() for r in top._routers()), *router._routers()]
        )
        for name, handler in router._names().items():
            self._check_name(name, handler)
        prefix = _clean_prefix(prefix)
        claims = self._claims_where_served(
            (path, entry)
            for path, entry, _ in router._flatten(self.prefix + prefix)
            if isinstance(entry, _Route)
        )
        # Every route below, built now as served here (see _add).
        for dependencies, shown in self._outer():
            outer = ((*dependencies, *self.dependencies), self._shown.under(shown))
            for _, entry, under in router._flatten("", outer):
                if isinstance(entry, _Route):
                    entry.endpoint_under(under)
        self._entries.append(_Include(router, prefix))
        _record(claims)
        router._parents.append(self)
        self._note_names(router._names())
        self._invalidate()

    def mount(self, prefix: str, app: ASGIApp, *, name: str | None = None) -> None:
        """Hand every path under ``prefix`` to another ASGI app.

        The mounted app sees ``root_path`` extended by the prefix and ``path`` unchanged.
        With a ``name``, ``url_for(name, path="css/app.css")`` builds a path below the prefix
        (``/static/css/app.css``), as Starlette's named mounts do.

        Raises:
            ConfigurationError: the prefix is empty or not literal (or this router's is not),
                or the name is a route's.
        """
        prefix = _clean_prefix(prefix)
        if not prefix:
            raise ConfigurationError("mount() needs a prefix such as '/static'")
        if "<" in prefix:
            raise ConfigurationError(f"mount() takes a literal prefix, got {prefix!r}")
        if "<" in self.prefix:
            # Mounts match literal prefixes: it would be served at the text "<int:...>" itself.
            raise ConfigurationError(
                f"A router with variables in its prefix ({self.prefix!r}) cannot mount an app: "
                f"a mount's prefix is literal; mount it on a router without them"
            )
        if name is not None:
            self._check_name(name, app)
        self._entries.append(_Mount(prefix, app, name))
        if name is not None:
            self._note_names({name: app})
        self._invalidate()

    def _names(self) -> Mapping[str, object]:
        """Every route name served here (included routers' too) and the handler or app it
        names. Made once, then kept up to date by ``_note_names``: made again for each
        route, registering n routes took time growing as n squared (4,000: 3 s of 9)."""
        if self._named is None:
            names: dict[str, object] = {}
            for entry in self._entries:
                if isinstance(entry, _Route):
                    names[entry.name] = entry.handler
                elif isinstance(entry, _Include):
                    names.update(entry.router._names())
                elif entry.name is not None:  # a named mount
                    names[entry.name] = entry.app
            self._named = names
        return self._named

    def _note_names(self, names: Mapping[str, object]) -> None:
        """Add ``names``, just registered here, to this router's and every including one's."""
        if self._named is not None:
            self._named.update(names)
        for parent in dict.fromkeys(self._parents):
            parent._note_names(names)

    def _check_name(self, name: str, handler: object) -> None:
        """Refuse ``name`` for ``handler`` when it names something else where the route is
        served: here, in any router that includes this one, or in the other routers of an
        app that serves it (a route added after ``aaf([...])``, ``@app.get`` among them)."""
        for router in self._served_beside():
            existing = router._names().get(name)
            if existing is not None and existing is not handler:
                raise _name_taken(name, existing)

    def _served_beside(self) -> Iterator[Router]:
        """The routers whose names this one's routes share: each router above it that none
        includes (itself when none does), or, for one an app serves, that app's routers."""
        for top in self._tops():
            apps = list(top._apps)
            yield from (router for app in apps for router in app.routers) if apps else (top,)

    def _invalidate(self) -> None:
        self._compiled = False
        self._matcher = self._fast_match = None  # until compiled again
        self._static.clear()
        self._targets = None
        for parent in self._parents:
            parent._invalidate()

    def http_routes(self) -> Iterator[tuple[str, str, Endpoint, bool]]:
        """Each HTTP route as ``(full rule, name, endpoint, is a View)``, included routers'
        too, in registration order (what the API document lists)."""
        for path, entry, outer in self._flatten(""):
            if isinstance(entry, _Route):
                endpoint = entry.endpoint_under(outer)
                if isinstance(endpoint, Endpoint):
                    view = isinstance(entry.handler, type) and issubclass(entry.handler, View)
                    yield path, entry.name, endpoint, view

    # Compiling ---------------------------------------------------------------------------------
    def _flatten(
        self, prefix: str, outer: Outer = _NOTHING
    ) -> Iterable[tuple[str, _Route | _Mount, Outer]]:
        """Every route and mount below, with its full path and what the routers above this
        route's own router add (``outer`` is what the routers above this one add)."""
        for entry in self._entries:
            if isinstance(entry, _Include):
                dependencies, shown = outer
                below = ((*dependencies, *self.dependencies), self._shown.under(shown))
                yield from entry.router._flatten(prefix + self.prefix + entry.prefix, below)
            elif isinstance(entry, _Route):
                yield prefix + self.prefix + entry.rule, entry, outer
            else:
                yield prefix + self.prefix + entry.prefix, entry, outer

    def _mounted_apps(self) -> list[tuple[str, ASGIApp]]:
        """Each app mounted here or on a router included here, once, with the full prefix it
        is (first) mounted at: the apps whose lifespan the app drives from its own."""
        found: dict[int, tuple[str, ASGIApp]] = {}
        for path, entry, _ in self._flatten(""):
            if isinstance(entry, _Mount):
                found.setdefault(id(entry.app), (path, entry.app))
        return list(found.values())

    def _tops(self) -> Iterator[Router]:
        """Each router above this one that no other includes (this one when none does)."""
        if not self._parents:
            yield self
        for parent in dict.fromkeys(self._parents):
            yield from parent._tops()

    def _routers(self) -> Iterator[Router]:
        """This router and every router it includes, at any depth."""
        yield self
        for entry in self._entries:
            if isinstance(entry, _Include):
                yield from entry.router._routers()

    def _compile(self) -> None:
        http_rules: list[Rule] = []
        ws_rules: list[Rule] = []
        static: dict[str, dict[str, Match]] = {}
        mounts: list[tuple[str, ASGIApp]] = []
        named_mounts: dict[str, str] = {}
        by_path: dict[str, list[Endpoint]] = {}
        for path, entry, outer in self._flatten(""):
            if isinstance(entry, _Mount):
                mounts.append((path, entry.app))
                if entry.name is not None:
                    named_mounts.setdefault(entry.name, path)
                continue
            endpoint = entry.endpoint_under(outer)
            if isinstance(endpoint, WebSocketEndpoint):
                ws_rules.append(_AafRule(path, endpoint, endpoint=entry.name, websocket=True))
                continue
            rule = _AafRule(path, endpoint, endpoint=entry.name, methods=sorted(endpoint.methods))
            http_rules.append(rule)
            by_path.setdefault(path, []).append(endpoint)
            if "<" not in path:
                match: Match = (endpoint, {})  # shared: enter() copies the arguments
                # The first route registered for a method wins, as in werkzeug's matching.
                methods = static.setdefault(path, {})
                for method in endpoint.methods:
                    methods.setdefault(method, match)
        # Routes that share a rule (a GET function and a POST function on one path) answer
        # OPTIONS with every method the path takes, not only their own.
        for endpoints in by_path.values():
            allow = ", ".join(sorted({m for e in endpoints for m in e.methods}))
            for endpoint in endpoints:
                endpoint.allow = allow
        own = _merged_converters(self._routers())
        converters = {**CONVERTERS, **{name: leading_back(c) for name, c in own.items()}}
        self._http_adapter = Map(http_rules, converters=converters).bind("localhost")
        self._ws_adapter = (
            Map(ws_rules, converters=converters).bind("localhost") if ws_rules else None
        )
        # The same dict, refilled: the app looks up its first router's (App.__call__).
        self._static.clear()
        self._static.update(static)
        self._matcher = StateMatcher(self._http_adapter.map, _endpoint_of)
        if self._ws_adapter is not None:
            self._ws_matcher = StateMatcher(self._ws_adapter.map, _ws_endpoint_of)
        self._mounts = mounts
        self._named_mounts = named_mounts
        self._fast_match = None if mounts else self._matcher.match
        self._compiled = True

    # Matching ----------------------------------------------------------------------------------
    def resolve(self, path: str, method: str) -> Outcome:
        """Find what answers ``method path``: a ``Match`` or another outcome, ``None`` when
        nothing here does.

        Static paths come from a dict; everything else from werkzeug's own state machine,
        walked by ``aaf._matcher`` (werkzeug itself for the rare paths it hands back). No
        per-path state is kept, and the answers are werkzeug's.
        """
        if not self._compiled:
            self._compile()
        methods = self._static.get(path)
        if methods is not None:
            match = methods.get(method)
            if match is not None:
                return match
        if self._mounts:
            for prefix, app in self._mounts:
                if path == prefix or path.startswith(prefix + "/"):
                    return Mounted(app, prefix)
        matcher = self._matcher
        assert matcher is not None  # _compile set it
        found = matcher.match(path, method)
        if type(found) is tuple:
            return found  # the payload is the rule's Endpoint
        return self.after_match(path, method, found)

    def after_match(self, path: str, method: str, found: MatchResult[Endpoint]) -> Outcome:
        """What answers ``method path`` when the matcher found no rule to take it:
        ``found`` is its answer (a match goes werkzeug's way too, to the same rule)."""
        if type(found) is Unknown:
            return NotAllowed(", ".join(sorted(found.allow))) if found.allow else None
        if type(found) is SlashRedirect:
            return Redirect(found.path)
        return self._match(path, method)

    def _match(self, path: str, method: str) -> Outcome:
        adapter = self._http_adapter
        assert adapter is not None  # _compile set it
        try:
            rule, args = adapter.match(path, method, return_rule=True)
        except RequestRedirect as exc:
            return Redirect(urlsplit(exc.new_url).path)
        except MethodNotAllowed as exc:
            return NotAllowed(", ".join(sorted(exc.valid_methods or ())))
        except (NotFound, ValueError):  # ValueError: a converter's int() of 4,301+ digits
            return None
        return _endpoint_of(rule), dict(args)

    def resolve_websocket(self, path: str) -> WebSocketOutcome:
        """Find what serves a WebSocket session at ``path``, ``None`` when nothing here does."""
        if not self._compiled:
            self._compile()
        if self._ws_matcher is not None:
            # aaf's walk of werkzeug's state machine, as for HTTP: werkzeug's own match makes a
            # reference cycle each call (a recursive closure), garbage for the collector.
            found = self._ws_matcher.match(path, "GET")
            if type(found) is tuple:
                return WebSocketMatch(*found)
            if found is None:  # a path the walk leaves to werkzeug
                assert self._ws_adapter is not None  # compiled beside the matcher
                try:
                    rule, args = self._ws_adapter.match(
                        path, "GET", return_rule=True, websocket=True
                    )
                except (NotFound, MethodNotAllowed, RequestRedirect, ValueError):
                    pass  # ValueError: a converter's int() of 4,301+ digits
                else:
                    return WebSocketMatch(_ws_endpoint_of(rule), dict(args))
        for prefix, app in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                return Mounted(app, prefix)
        return None

    async def __call__(self, connection: Connection) -> None:
        """Answer ``connection`` if a route matches; otherwise leave it untouched."""
        app = _app_of(connection)
        try:
            if connection.scope["type"] == "http":
                method = connection.method
                outcome = self.resolve(connection.route_path, method)
                if outcome is not None:
                    await enter(outcome, connection, method)
            else:
                await dispatch_websocket((self,), connection)
        except Exception as exc:
            if app is None:
                await answer_error(connection, exc)
            else:
                await answer_error(connection, exc, app.exception_handlers, app.debug)

    # URL building ------------------------------------------------------------------------------
    def _build_url(self, target: object, params: dict[str, object]) -> str:
        if isinstance(target, str):
            # By name, as Flask's: what no rule variable takes is the query.
            return self._build_named(target, params)
        # By handler: each route it serves, in the order they were registered, until one
        # takes the parameters (werkzeug's way with the rules of one endpoint, as in Flask).
        # A value one route's converter refuses (`0` for `<int(min=1):n>`) leaves it to the
        # next; when none builds, that refusal says why, before a missing parameter would.
        refused: ValueError | None = None
        targets = self._target(target)
        for found in targets:
            values = params if found.plan is None else _url_values(found, params)
            try:
                return self._build_named(found.name, values)
            except NotInUrl:
                raise
            except ValueError as exc:
                refused = refused or exc
            except LookupError:
                if found is targets[-1] and refused is None:
                    raise
        assert refused is not None  # the last route raised one, or an earlier one did
        raise refused

    def _build_named(self, name: str, params: dict[str, object]) -> str:
        if not self._compiled:
            self._compile()
        prefix = self._named_mounts.get(name)
        if prefix is not None:
            return _below_mount(name, prefix, params)
        for adapter in (self._http_adapter, self._ws_adapter):
            if adapter is None:
                continue
            try:
                built = adapter.build(name, params)
                if adapter is self._ws_adapter:
                    # werkzeug builds a WebSocket rule's URL whole, with the host the map
                    # was bound to ("ws://localhost/..."): the path, as for every route.
                    parts = urlsplit(built)
                    built = parts.path + (f"?{parts.query}" if parts.query else "")
                return built
            except BuildError:
                continue
            except ValueError as exc:  # a value the rule would not match (aaf._rules)
                raise ValueError(f"url_for({name!r}): {exc}") from None
        raise LookupError(f"No route named {name!r} accepts the parameters {sorted(params)}")

    def _target(self, handler: object) -> list[_Target]:
        """The routes ``handler`` serves, in the order they were registered (``url_for``'s
        lookup).

        Raises:
            LookupError: no route here serves it.
        """
        if self._targets is None:
            targets: dict[object, list[_Target]] = {}
            for _, entry, outer in self._flatten(""):
                if (
                    not isinstance(entry, _Route)
                    or getattr(entry.handler, "__hash__", None) is None
                ):
                    continue  # (an object that cannot be a dict key is not looked up either)
                # As served here: the including routers' (and the app's) providers' query
                # parameters are the route's too.
                endpoint, registered = entry.endpoint_under(outer), entry.handler
                plans = endpoint.plans if isinstance(endpoint, Endpoint) else {}
                if isinstance(registered, type):  # a View: each method, with its own plan
                    targets.setdefault(registered, []).append(_Target(entry.name, None))
                    for method, plan in plans.items():
                        function = getattr(registered, method.lower())
                        targets.setdefault(function, []).append(_Target.of(entry.name, plan))
                else:  # each method's plan reads the same parameters: the first one's
                    first = next(iter(plans.values()), None)
                    targets.setdefault(registered, []).append(_Target.of(entry.name, first))
            self._targets = targets
        try:
            return self._targets[handler]
        except (KeyError, TypeError):  # TypeError: an object that cannot be a dict key
            raise LookupError(f"No route serves {handler!r}") from None


class _Target(NamedTuple):
    """A route ``url_for`` finds by its handler: its name, the handler's plan (``None`` for a
    View class or a WebSocket route) and the plan's query parameters by name."""

    name: str
    plan: HandlerPlan | None
    query: Mapping[str, FieldSpec] = {}

    @classmethod
    def of(cls, name: str, plan: HandlerPlan | None) -> _Target:
        if plan is None:
            return cls(name, None)
        # Its own query parameters first, then its providers' (a paging provider's
        # `page`), to any depth: the first of a name wins.
        query: dict[str, FieldSpec] = {}
        for each in every_plan(plan):
            for spec in each.fields.get("query", ()):
                query.setdefault(spec.name, spec)
        return cls(name, plan, query)


def _url_values(target: _Target, params: dict[str, object]) -> dict[str, object]:
    """``params``, given by the parameter names of ``target``'s handler or its providers, as
    the URL carries them: rule variables as they are, query values under their names on the
    wire (an alias), a ``Query()`` model as its fields, each as the query string writes it (an
    enum by its value, a date in ISO form; ``None`` left out).

    Raises:
        NotInUrl: a parameter the handler reads from elsewhere (a header, a cookie, the body,
            a provider): a URL cannot carry it.
    """
    plan, query = target.plan, target.query
    assert plan is not None  # the caller checked
    values: dict[str, object] = {}
    for key, value in params.items():
        spec = query.get(key)
        if key in plan.rule_converters:
            values[key] = value
        elif spec is None:
            raise NotInUrl(
                f"{plan.qualname}: {key!r} is not a path or query parameter, so a URL "
                f"cannot carry it"
            )
        elif spec.whole and isinstance(value, BaseModel):
            fields = value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            values.update((k, v) for k, v in fields.items() if v is not None)
        elif value is not None:
            values[spec.wire] = to_jsonable_python(value)
    return values


class NotInUrl(LookupError):
    """``url_for`` was given parameters its target cannot put in a URL (one the handler does
    not read from the URL; for a named mount, anything but ``path``): the other routers are
    not asked."""


# FastAPI's route keywords that aaf spells otherwise, and how.
_FASTAPI_KEYWORDS = {
    "response_model": (
        "the return annotation is the response model: write `-> Item` (the value returned is "
        "validated and serialized through it, by alias)"
    ),
    "response_model_exclude_none": "write exclude_none=True",
    "response_model_exclude_unset": "write exclude_unset=True",
    "response_model_exclude_defaults": "write exclude_defaults=True",
    "response_class": "return that response (an HtmlResponse, ...) from the handler",
    "response_description": "give responses={200: {'description': ...}}",
}


def _known(options: RouteOptions) -> RouteOptions:
    """A method shortcut's keywords, checked: FastAPI's ``response_model=`` (which type
    checkers refuse) says what to write instead of Python's bare "unexpected keyword"."""
    for keyword in options.keys() - RouteOptions.__annotations__.keys():
        how = _FASTAPI_KEYWORDS.get(keyword)
        if how is not None:
            raise TypeError(f"route() got an unexpected keyword argument {keyword!r}: {how}")
    return options


# An HTTP method is a token (RFC 9110): no space, no separator.
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _methods_of(name: str, methods: Iterable[str] | None) -> tuple[str, ...] | None:
    """A route's ``methods=`` as given, checked: a list of method names, not one string
    (``"POST"`` is ``P``, ``O``, ``S``, ``T`` to a loop, as Flask refuses it too), none of
    them empty or holding a space; an empty list answers nothing.

    Raises:
        TypeError: ``methods`` is a string.
        ConfigurationError: it is empty, or holds what is not a method name.
    """
    if methods is None:
        return None
    if isinstance(methods, str):
        raise TypeError(f"{name}: {one_string_problem('methods', methods)}")
    given = tuple(methods)
    if not given:
        raise ConfigurationError(f"{name}: methods=[] answers no method; leave it out for GET")
    for method in given:
        if not _METHOD.fullmatch(method):
            raise ConfigurationError(f"{name}: {method!r} in methods= is not an HTTP method name")
    return given


def _endpoint_of(rule: Rule) -> Endpoint:
    # The HTTP map's rules are _AafRules of HTTP endpoints: read for each rule at compile
    # time, and on the rare paths werkzeug itself matches.
    endpoint: object = getattr(rule, "aaf_endpoint")  # noqa: B009  # every rule is an _AafRule
    assert isinstance(endpoint, Endpoint)
    return endpoint


def _ws_endpoint_of(rule: Rule) -> WebSocketEndpoint:
    endpoint: object = getattr(rule, "aaf_endpoint")  # noqa: B009  # every rule is an _AafRule
    assert isinstance(endpoint, WebSocketEndpoint)  # the WebSocket map holds these
    return endpoint


def _clean_prefix(prefix: str) -> str:
    prefix = prefix.rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise ConfigurationError(f"A prefix must start with '/', got {prefix!r}")
    return prefix


def _under(prefix: str, rule: str) -> str:
    """``rule`` as a router with ``prefix`` registers it.

    Raises:
        ConfigurationError: the rule does not start with ``/`` (see unslashed_rule_problem).
    """
    problem = unslashed_rule_problem(prefix, rule)
    if problem is not None:
        raise ConfigurationError(problem)
    return prefix + rule


class _NameScope(Protocol):
    """What serves several routers, whose route names must name one thing each: an app."""

    @property
    def routers(self) -> list[Router]: ...


def serve_names_together(scope: _NameScope) -> None:
    """From now on, refuse a name registered on any of ``scope``'s routers (an app's) that
    another of them uses for something else, as ``check_names`` refuses it now."""
    for router in scope.routers:
        router._apps.add(scope)  # pyright: ignore[reportPrivateUsage]  # this module's


def check_names(routers: Iterable[Router]) -> None:
    """Refuse a route name that names two things among ``routers``, an app's (a different
    handler in each): ``url_for`` would build the first one's path for both, as ``include``
    refuses such a router.

    Raises:
        ConfigurationError: the first such name.
    """
    seen: dict[str, object] = {}
    for router in routers:
        for name, target in router._names().items():  # pyright: ignore[reportPrivateUsage]  # this module's
            existing = seen.setdefault(name, target)
            if existing is not target:
                raise _name_taken(name, existing)


def compile_routers(routers: Iterable[Router]) -> None:
    """Compile each of ``routers`` not compiled yet (werkzeug's map, aaf's matcher), as an app
    starts: the first request would otherwise wait for it (0.4 s for 2,000 routes,
    ``benchmarks/registration.py``). A route added later compiles its router again at the
    next request, as before."""
    for router in routers:
        if not router._compiled:  # pyright: ignore[reportPrivateUsage]  # this module's
            router._compile()  # pyright: ignore[reportPrivateUsage]


def _name_taken(name: str, existing: object) -> ConfigurationError:
    return ConfigurationError(
        f"Route name {name!r} is already used by {existing!r}; pass name= to tell them apart"
    )


def _converters(
    rule: str, websocket: bool = False, custom: Mapping[str, type[BaseConverter]] | None = None
) -> Mapping[str, BaseConverter]:
    try:
        return rule_converters(rule, websocket, custom)
    except (ValueError, LookupError) as exc:
        raise ConfigurationError(invalid_rule_problem(rule, exc)) from exc


def _custom(converters: Mapping[str, type[BaseConverter]]) -> Mapping[str, type[BaseConverter]]:
    """A router's own converters, checked: werkzeug converter classes under names of their
    own."""
    for name, converter in converters.items():
        problem = custom_converter_problem(name, converter)
        if problem is not None:
            raise ConfigurationError(problem)
    return MappingProxyType(dict(converters))


def _merged_converters(routers: Iterable[Router]) -> dict[str, type[BaseConverter]]:
    """The converters of ``routers``, served together.

    Raises:
        ConfigurationError: two of them give one name to different converters.
    """
    merged: dict[str, type[BaseConverter]] = {}
    for router in routers:
        for name, converter in router.converters.items():
            known = merged.setdefault(name, converter)
            if known is not converter:
                raise ConfigurationError(
                    f"The converter name {name!r} means {known.__qualname__} in one router "
                    f"and {converter.__qualname__} in another served with it; give one of "
                    "them another name"
                )
    return merged


def enter(
    outcome: Match | Mounted | Redirect | NotAllowed | Failed, connection: Connection, method: str
) -> Awaitable[None]:
    """The coroutine that answers ``connection`` by ``outcome`` (what a router's ``resolve``
    gave for its path and ``method``). Not a coroutine itself: the request's own coroutine awaits
    the one given, one frame less per request.

    Raises:
        HTTPError: 405.
    """
    if type(outcome) is tuple:
        # A router called as an endpoint; App.__call__ enters a match itself (its PERF note),
        # and the two must agree.
        endpoint, args = outcome
        if not args:
            args = {}  # the static table's outcomes are shared: a handler may change its own
        connection._path_params = args  # pyright: ignore[reportPrivateUsage]  # PERF: no setter
        if endpoint.max_body_size is not None:
            connection.max_body_size = endpoint.max_body_size
        return endpoint.runners[method](connection, args)
    if type(outcome) is Mounted:
        return _run_mounted(outcome.app, outcome.prefix, connection)
    if type(outcome) is Redirect:
        return _redirect(connection, outcome.path)
    if type(outcome) is Failed:
        raise outcome.error
    assert type(outcome) is NotAllowed  # the last kind
    raise HTTPError(405, "Method Not Allowed", {"Allow": outcome.allow})


async def dispatch_websocket(routers: Sequence[Router], connection: Connection) -> bool:
    """Serve a WebSocket ``connection`` with the first router that matches; give whether one
    did."""
    path = connection.route_path
    for router in routers:
        outcome = router.resolve_websocket(path)
        if type(outcome) is WebSocketMatch:
            connection.path_params = outcome.args
            await outcome.endpoint.run(connection, outcome.args)
            return True
        if type(outcome) is Mounted:
            await _run_mounted(outcome.app, outcome.prefix, connection)
            return True
    return False


async def _redirect(connection: Connection, path: str) -> None:
    query = connection.scope.get("query_string", b"")
    location = local_location(quote(connection.root_path) + path, query)
    await HttpResponse(b"", status_code=308, headers={"Location": location}).send_to(connection)


async def _run_mounted(app: ASGIApp, prefix: str, connection: Connection) -> None:
    scope = connection.scope
    child = scope.copy()
    child["root_path"] = scope.get("root_path", "") + prefix
    outer_send = connection.asgi_send

    async def send(message: SendEvent) -> None:
        connection.started = True
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            connection.finished = True
        await outer_send(message)

    if scope["type"] == "http" and isinstance(app, StaticFiles):
        # Its errors (404, 405, a failing stat) raise into this request, so that the app's
        # exception_handlers answer them as every error aaf answers itself (as in Starlette).
        await _serve_static(app, cast("HTTPScope", child), send, connection)
        return
    await app(child, connection.asgi_receive, send)
    if scope["type"] == "http" and not connection.started:
        raise RuntimeError(
            f"The app mounted at {prefix!r} returned without answering {connection.path}"
        )


async def _serve_static(
    files: StaticFiles, scope: HTTPScope, send: Send, connection: Connection
) -> None:
    inner = Connection(scope, connection.asgi_receive, send, _app_of(connection))
    try:
        await files.serve(inner)  # a client leaving mid-file ends the stream quietly there
    finally:
        inner.release()


def _app_of(connection: Connection) -> App | None:
    try:
        return connection.app
    except RuntimeError:  # a connection built by hand, outside an app
        return None
