"""Compiled endpoints: for each route, what runs for each method, built once at registration."""

from __future__ import annotations

import asyncio
import collections
import inspect
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import cast, get_type_hints

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json
from werkzeug.routing.converters import BaseConverter

from aaf._annotations import unaliased
from aaf._background import run_background
from aaf._entries import FULL_REPORT_SIZE, Errors
from aaf._errors import websocket_close_code
from aaf._extract import REFUSED, arguments, arguments_now, read_large_json
from aaf._http import WITH_BODY, RawHeaders
from aaf._operation import Operation, Shown, note_routed, operation_of
from aaf._plan import (
    BodyParam,
    HandlerPlan,
    attribute_dependency,
    attribute_value_problem,
    build_plan,
    check_comparable,
    check_complete,
    json_param,
)
from aaf._readings import ModelReading, type_adapter
from aaf._rules import (
    FOREIGN_VIEW_HOOKS,
    class_problem,
    foreign_hook_problem,
    no_methods_problem,
    not_a_plain_method_problem,
)
from aaf._slices import attributes_of, full_collections_held
from aaf._solve import Resolution, Solving, solve
from aaf._threads import pool_of
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, WebSocketDisconnect
from aaf.params import Dependency
from aaf.response import (
    EncoderParts,
    HttpResponse,
    ResultEncoder,
    encoder_parts,
    no_part,
    respond_as_set,
    send_result,
)
from aaf.views import View, WebSocketView

Runner = Callable[[Connection, dict[str, object]], Awaitable[None]]
# What sends a handler's result: a response as it is, a value encoded (see _responder).
Responder = Callable[[Connection, object], Awaitable[None]]
# What gives a handler's keyword arguments when that is awaited: arguments(), or a plain
# resolution's providers (None: their overrides ask for the runner).
Extract = Callable[
    [HandlerPlan, Connection, dict[str, object]], Awaitable[dict[str, object] | None]
]
# A handler the app awaits itself (Endpoint.direct), by index: 0 the handler; 1 what sends
# anything it returns; 2 the encoder of a returned value and 3 the route's status, for the
# usual case the app sends itself; 4 the name of the one path value, or JSON body, the
# handler takes by position after the connection ("": only the connection, or by name);
# 5 the View class a new instance of which comes first (None: a function); 6 the plan whose
# arguments are extracted and passed by name (None: there are none to extract), 7 what
# extracts them when that is awaited (reading the body, or the providers'; None:
# arguments_now); 8 the body argument freed gradually after the response, 9 its
# models' fields freed so (see _freed_gradually); 10 to 13 the encoder's parts (see
# EncoderParts): kind, validate, dump and exact (kind 0 and exact None: 2 alone); 14 what
# passes the extracted arguments, two or three, by position (see _by_position; None: by
# name, or 4).
Direct = tuple[
    Callable[..., Awaitable[object]],
    Responder,
    ResultEncoder,
    int,
    str,
    type[View] | None,
    HandlerPlan | None,
    Extract | None,
    str | None,
    tuple[str, ...],
    int,
    Callable[[object], object],
    Callable[..., bytes],
    type | None,
    Callable[..., Awaitable[object]] | None,
]


class Endpoint:
    """One HTTP route: the methods it answers and the runner for each."""

    __slots__ = (
        "allow",
        "direct",
        "direct_rest",
        "max_body_size",
        "methods",
        "name",
        "operations",
        "plans",
        "runners",
    )

    def __init__(
        self,
        name: str,
        runners: dict[str, Runner],
        max_body_size: int | None = None,
        plans: dict[str, HandlerPlan] | None = None,
        operations: dict[str, Operation] | None = None,
        direct: dict[str, Direct] | None = None,
    ) -> None:
        # What the API document reads: each method's plan and options (not HEAD or OPTIONS
        # that aaf adds by itself).
        self.plans = plans or {}
        self.operations = operations or {}
        direct = dict(direct or {})
        if "GET" in runners and "HEAD" not in runners:
            runners["HEAD"] = runners["GET"]  # the connection drops the body for HEAD
            if "GET" in direct:
                direct["HEAD"] = direct["GET"]
        # PERF: the methods whose handler App.__call__ awaits itself, not through its runner
        # (see _direct; its runner does the same for a router called on a connection): in
        # one table the functions that take the connection and at most one path value, in
        # another, looked up second, View methods and handlers whose arguments are extracted
        # (benchmarks/instructions.py, plaintext, json, and the routing rows first).
        self.direct = {m: d for m, d in direct.items() if d[5] is None and d[6] is None}
        self.direct_rest = {m: d for m, d in direct.items() if m not in self.direct}
        self.allow = ", ".join(sorted({*runners, "OPTIONS"}))
        if "OPTIONS" not in runners:
            runners["OPTIONS"] = self._options
        self.name = name
        self.runners = runners
        self.methods = frozenset(runners)
        self.max_body_size = max_body_size

    async def _options(self, connection: Connection, args: dict[str, object]) -> None:
        await connection.respond_whole(204, [(b"allow", self.allow.encode())], b"")

    def shown_under(self, shown: Shown) -> Endpoint:
        """This endpoint as routers that include its router and say ``shown`` (their tags,
        responses, ...) show it in the API document; the same runners."""
        runners = {m: r for m, r in self.runners.items() if r != self._options}
        operations = {method: shown.apply(options) for method, options in self.operations.items()}
        direct = {m: d for m, d in (self.direct | self.direct_rest).items() if m in runners}
        return Endpoint(self.name, runners, self.max_body_size, self.plans, operations, direct)


def _runner(
    handler: Callable[..., object], plan: HandlerPlan, view: type[View] | None = None
) -> Runner:
    """The per-request code of one handler: a function, or the method ``handler`` of
    ``view``."""
    encode, status_code, qualname = _encoder(plan), plan.status_code, plan.qualname
    # The plan read the function: a coroutine function's calls are awaitable.
    fn = (
        cast("Callable[..., Awaitable[object]]", handler)
        if plan.is_async
        else _in_thread(handler, method=view is not None)
    )
    trivial, reads_body = plan.trivial, plan.reads_body
    has_before = view is not None and view.before is not View.before
    large_list, large_fields = _freed_gradually(plan)
    # PERF: one path value, or a JSON body, that the handler takes right after the
    # connection goes by position, without a keyword dict to unpack (benchmarks/
    # instructions.py, item model and post model).
    names = _positional(handler, plan, view is not None)
    single, by_position = _only(names), _by_position(fn, names, view is not None)

    none_status = plan.none_status
    respond = _responder(plan)

    if plan.dependencies:
        return _runner_with_dependencies(fn, plan, view, respond)

    async def run(connection: Connection, args: dict[str, object]) -> None:
        instance = None
        if view is not None:
            instance = view()  # a new one per request: attributes on self are per-request
            if has_before and (early := await instance.before(connection)) is not None:
                await respond(connection, _early_answer(view, early))
                return
        if not trivial:
            # PERF: without a body to read, no coroutine (benchmarks/typed_cost.py).
            args = (
                await arguments(plan, connection, args)
                if reads_body
                else arguments_now(plan, connection, args)
            )
        if instance is None:
            if single is not None:
                result = await fn(connection, args[single])
            elif by_position is not None:
                result = await by_position(connection, args)
            else:
                # PERF: a call without ** when there is nothing to pass (inprocess.py)
                result = await (fn(connection, **args) if args else fn(connection))
        elif single is not None:
            result = await fn(instance, connection, args[single])
        elif by_position is not None:
            result = await by_position(instance, connection, args)
        else:
            result = await fn(instance, connection, **args)
        # PERF: a whole response goes straight out, two frames less than through respond()
        # and send_to() (benchmarks/inprocess.py, plaintext).
        if isinstance(result, HttpResponse):
            if (whole := result.as_whole()) is not None:
                status, headers, content = whole  # PERF: a call with *whole is not specialized
                await connection.respond_whole(status, headers, content)
                if result.background:
                    await run_background(result.background, connection)
            else:
                await send_result(connection, result, qualname, none_status)
        elif result is not None and not connection.started:
            # respond()'s first case, inline: a frame less (benchmarks/instructions.py)
            headers, encoded = encode(result)
            if connection.resp_status_code is not None:  # the handler set another status
                await respond_as_set(connection, headers, encoded)
            else:
                await connection.respond_whole(status_code, headers, encoded)
        else:
            await send_result(connection, result, qualname, none_status)
        if large_list is not None:
            del result  # what is left holding the list is ours alone, or someone else's
            await free_gradually(args.pop(large_list, None), large_fields)

    return run


def _freed_gradually(plan: HandlerPlan) -> tuple[str | None, tuple[str, ...]]:
    """The name of the body argument freed after the response a slice at a time (None: it
    is small enough to go at once), and the fields of its models to free so."""
    # A list[T] body may hold hundreds of thousands of items: freed after the response a
    # slice at a time, not in one pause of every request (~90 ms at 600,000 items).
    body = plan.body
    # A model body's reading, or each reading of a union of models told apart by a tag.
    readings: tuple[ModelReading, ...] = (
        ()
        if body is None
        else (body.members,)
        if body.members is not None
        else tuple(body.tagged.readings.values())
        if body.tagged is not None
        else tuple(reading for _, reading in body.union.choices)
        if body.union is not None
        else tuple(how for _, how in body.kinds.takers.values() if isinstance(how, ModelReading))
        if body.kinds is not None
        else ()
    )
    large_fields = tuple(
        dict.fromkeys(
            name
            for reading in readings
            for name in (
                *(f.name for f in reading.wanted.values()),
                *(f.name for f in reading.nested.values()),
                *reading.parsed.values(),
                *reading.anything.values(),
            )
        )
    )
    keeps = any(reading.keeps for reading in readings)  # extras, kept by the model: freed too
    large = body is not None and (
        body.items or body.any_json or body.kinds or large_fields or keeps
    )
    return (body.name if body is not None and large else None), large_fields


def _encoder(plan: HandlerPlan) -> Callable[[object], tuple[RawHeaders, bytes]]:
    """How ``plan``'s handler's returned values are encoded: headers and body."""
    if plan.status_code not in WITH_BODY:  # 204, 205, 304
        # The status has no body: a returned value is dropped, as FastAPI does (sent, it
        # would be read as the start of the next response on the connection).
        return _no_body
    return plan.encode_result


def _responder(plan: HandlerPlan) -> Responder:
    """What sends the results of ``plan``'s handler."""
    encode, status_code, qualname = _encoder(plan), plan.status_code, plan.qualname
    none_status = plan.none_status

    def respond(connection: Connection, result: object) -> Awaitable[None]:
        # PERF: a plain function handing over a coroutine, no frame of its own; a returned
        # value goes straight to respond_whole (benchmarks/inprocess.py, item model and json;
        # benchmarks/typed_cost.py). The rest is send_result's.
        if result is not None and not isinstance(result, HttpResponse) and not connection.started:
            headers, body = encode(result)
            if connection.resp_status_code is not None:  # the handler set another status
                return respond_as_set(connection, headers, body)
            return connection.respond_whole(status_code, headers, body)
        return send_result(connection, result, qualname, none_status)

    return respond


def _positional(
    handler: Callable[..., object], plan: HandlerPlan, method: bool
) -> tuple[str, ...] | None:
    """The names of the arguments a plan passes that the handler takes by position right
    after the connection (and ``self``), in order; None: by name. A trivial plan's one path
    value, when the handler's next parameter takes it; or every argument of a plan whose
    extracted arguments always hold exactly the handler's parameters, each positional: one
    that reads only its JSON body, or only query values (and path values) validated
    straight into its arguments, their defaults filled."""
    if plan.trivial:
        if len(plan.passthrough) != 1:
            return None
        expected = None
    elif plan.body_only and plan.body is not None:
        expected = {plan.body.name}
    elif plan.query_kwargs is not None and not plan.dependencies and not plan.connection_params:
        expected = {f.name for f in plan.fields["query"]} | set(plan.passthrough)
    else:
        return None
    try:
        # What the function itself takes: a decorator's wrapper may take only keywords.
        parameters = list(inspect.signature(handler, follow_wrapped=False).parameters.values())
    except (TypeError, ValueError):  # no signature to read: keep the keyword call
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    after = parameters[2 if method else 1 :]
    if expected is None:  # the trivial plan's one path value: the next parameter's
        if after and after[0].name == plan.passthrough[0] and after[0].kind in positional:
            return plan.passthrough
        return None
    names = tuple(p.name for p in after)
    if set(names) != expected or any(p.kind not in positional for p in after):
        return None  # one taken by name, or one the plan does not fill
    return names


def _only(names: tuple[str, ...] | None) -> str | None:
    """The one name of ``names``, when there is just one."""
    return names[0] if names is not None and len(names) == 1 else None


def _by_position(
    fn: Callable[..., Awaitable[object]], names: tuple[str, ...] | None, method: bool
) -> Callable[..., Awaitable[object]] | None:
    """PERF: for two or three arguments that ``_positional`` found, a function
    that takes the connection (after the View instance) and the extracted arguments and
    calls the handler with them by position: Python 3.11 inlines both calls, where a call
    with ``**`` copies the dict and matches each keyword (benchmarks/instructions.py,
    search query). None for any other number."""
    if names is None or not 2 <= len(names) <= 3:
        return None
    if len(names) == 2:
        first, second = names
        if method:

            def method_of_two(
                instance: object, connection: Connection, values: dict[str, object]
            ) -> Awaitable[object]:
                return fn(instance, connection, values[first], values[second])

            return method_of_two

        def of_two(connection: Connection, values: dict[str, object]) -> Awaitable[object]:
            return fn(connection, values[first], values[second])

        return of_two
    first, second, third = names
    if method:

        def method_of_three(
            instance: object, connection: Connection, values: dict[str, object]
        ) -> Awaitable[object]:
            return fn(instance, connection, values[first], values[second], values[third])

        return method_of_three

    def of_three(connection: Connection, values: dict[str, object]) -> Awaitable[object]:
        return fn(connection, values[first], values[second], values[third])

    return of_three


def _no_body(value: object) -> tuple[RawHeaders, bytes]:
    return [], b""


async def free_gradually(value: object, fields: tuple[str, ...] = ()) -> None:
    """Free a large list (or the lists and models a model body holds in ``fields``, and what
    it keeps as extras) a slice at a time, other requests running between slices, when
    nothing but this call holds it (a handler may have kept it: then it is left alone)."""
    # Nothing else: the parameter and getrefcount's own argument are the only references.
    if sys.getrefcount(value) != 2:
        return
    # A model's attributes, or a TypedDict's dict or a dataclass's, each read as a model is
    # (a plain dict body, with no fields to take out, is freed as any dict is, below).
    attributes = attributes_of(value) if fields or isinstance(value, BaseModel) else None
    if attributes is not None:
        # Going away: its lists (and the extras a model with extra="allow" kept) taken out
        # first.
        extras = value.__pydantic_extra__ if isinstance(value, BaseModel) else None
        del value
        # Held by `extras` and getrefcount's argument alone, now that the model is gone.
        if extras and sys.getrefcount(extras) == 2:
            await _free_slices(cast("dict[object, object]", extras))
        del extras
        for name in fields:
            taken = attributes.get(name)
            if isinstance(taken, BaseModel) and sys.getrefcount(taken) == 3:
                # A model in it ({"data": {...}}): its own lists, and models, the same way.
                inner = tuple(k for k, v in vars(taken).items() if isinstance(v, _HOLDERS))
                del taken
                await free_gradually(attributes.pop(name), inner)
                continue
            # Held by the model, by `taken` and by getrefcount's argument alone.
            if isinstance(taken, _FREED) and sys.getrefcount(taken) == 3:
                bulk = cast("_Freed", taken)
                if len(bulk) > _FREE_SLICE:
                    attributes[name] = type(bulk)()
                    await _free_slices(bulk)
                del bulk
            del taken
        return
    if isinstance(value, _FREED):
        items = cast("_Freed", value)
        del value
        await _free_slices(items)


# What a body, or a model's field read apart, is made of: freed a slice at a time.
_FREED = (list, dict, set, collections.deque)  # a dict's subclasses too: a Counter, ...
_Freed = list[object] | dict[object, object] | set[object] | collections.deque[object]
_HOLDERS = (*_FREED, BaseModel)  # what a model's attribute freed a slice at a time may be


async def _free_slices(items: _Freed) -> None:
    if len(items) <= _FREE_SLICE:
        # A few items may hold a large list themselves (a JSON object's list, as
        # connection.json() gives it): that one a slice at a time.
        if isinstance(items, list | dict):  # a set body's are scalars
            for inner in _large_inside(items):
                await _free_slices(inner)
        return
    with full_collections_held():  # a full pass over what is left would be one long pause
        while items:
            if isinstance(items, list):
                del items[-_FREE_SLICE:]
            elif isinstance(items, dict):
                for _ in range(min(_FREE_SLICE, len(items))):
                    items.popitem()
            else:  # a set or a deque
                for _ in range(min(_FREE_SLICE, len(items))):
                    items.pop()
            await asyncio.sleep(0)


_FREE_SLICE = 4096
_FREE_DEPTH = 8  # how deep a large list inside a few items is looked for
_FREE_LOOKS = 1000  # how many containers are looked into for one


def _large_inside(
    items: list[object] | dict[object, object],
) -> list[list[object] | dict[object, object]]:
    """The lists and dicts of more than ``_FREE_SLICE`` items that ``items`` (a few of them)
    holds, or a few levels of small ones in it (a JSON object in a list holding a long list),
    where nothing else holds them; ``_FREE_LOOKS`` containers looked into at most."""
    taken: list[list[object] | dict[object, object]] = []
    looks = _FREE_LOOKS
    pending = [(items, 0)]
    while pending:
        container, depth = pending.pop()
        for inner in container.values() if isinstance(container, dict) else container:
            kind = type(inner)
            # Held by its container, `inner` and getrefcount's argument alone.
            if (kind is list or kind is dict) and looks > 0 and sys.getrefcount(inner) == 3:
                looks -= 1
                found = cast("list[object] | dict[object, object]", inner)
                if len(found) > _FREE_SLICE:
                    taken.append(found)  # emptied in place: its container goes too
                elif depth < _FREE_DEPTH:
                    pending.append((found, depth + 1))
    return taken


def _early_answer(view: type[View], early: object) -> object:
    """What ``before`` returned to answer instead: a response (typed code can give nothing
    else), never a value to be read through a method's return annotation.

    Raises:
        TypeError: untyped code's ``before`` returned something else.
    """
    if isinstance(early, HttpResponse):
        return early
    raise TypeError(
        f"{view.__qualname__}.before returned {type(early).__name__}: return a response to "
        "answer instead of the method, or None to go on"
    )


def _runner_with_dependencies(
    fn: Callable[..., Awaitable[object]],
    plan: HandlerPlan,
    view: type[View] | None,
    respond: Callable[[Connection, object], Awaitable[None]],
) -> Runner:
    """The runner of a handler with ``Depends`` parameters (routes without pay nothing)."""
    attributes = tuple(d.name for d in plan.dependencies if d.attribute and d.name)
    has_before = view is not None and view.before is not View.before
    resolution = Resolution(plan)  # PERF: flattened once (benchmarks/typed_cost.py)

    async def answer(connection: Connection, kwargs: dict[str, object]) -> None:
        if view is None:
            result = await fn(connection, **kwargs)
        else:
            instance = view()
            for name in attributes:  # class attributes filled before before()
                setattr(instance, name, kwargs.pop(name))
            if has_before and (early := await instance.before(connection)) is not None:
                await respond(connection, _early_answer(view, early))
                return
            result = await fn(instance, connection, **kwargs)
        await respond(connection, result)

    async def run(connection: Connection, args: dict[str, object]) -> None:
        solving = Solving(connection, args)
        try:
            await answer(connection, await resolution.arguments(solving))
        except BaseException as exc:
            # Cleanup after a failure: the exception is thrown in at each generator's yield.
            if solving.stack is not None:
                await solving.close(exc)
            raise
        if solving.stack is not None:  # the response is finished: clean up, in reverse order
            await solving.close(None)

    solve_plain = _plain_solver(resolution)
    if solve_plain is None:
        return run

    async def run_plain(connection: Connection, args: dict[str, object]) -> None:
        own = await solve_plain(plan, connection, args)
        if own is None:  # overridden
            await run(connection, args)
        elif view is None:  # PERF: one frame less than answer()
            await respond(connection, await fn(connection, **own))
        else:
            await answer(connection, own)

    return run_plain


def _plain_solver(resolution: Resolution) -> Extract | None:
    """What gives the keyword arguments of a handler whose providers are all coroutine
    functions and read no body (None when they are not): no Solving, nothing to clean up.
    It gives None when the app overrides providers: the runner's general way resolves those.

    PERF: written at registration as a function of its own, each provider awaited on a line
    of it with what it takes by keyword (its validated values, the providers' results it is
    wired to, the connection): no loop over the steps, no list of results, no dict per call
    (benchmarks/typed_cost.py, "path, 2 providers").
    """
    if not resolution.plain:
        return None
    copies = resolution.copies_path
    namespace: dict[str, object] = {"validate_now": resolution.validate_now}
    lines = [
        "async def solve_plain(plan, connection, args):",
        *_UNLESS_OVERRIDDEN,
        "        return None",
    ]
    if not copies:
        lines.append("    values, own = validate_now(connection, args)")
    lines += _provider_calls(resolution, namespace)
    wired = [(name, index) for name, index in resolution.wiring if name is not None]
    if copies:  # the path values as the converters gave them, then the providers' results
        own = [f"{name!r}: args[{name!r}]" for name in resolution.plan.rule_converters]
        own += [f"{name!r}: result{index}" for name, index in wired]
        lines.append(f"    return {{{', '.join(own)}}}")
    else:
        lines += [f"    own[{name!r}] = result{index}" for name, index in wired]
        lines.append("    return own")
    return cast("Extract", _written("solve_plain", lines, namespace, resolution.plan.qualname))


def _plain_call(
    resolution: Resolution, handler: Callable[..., Awaitable[object]], runner: Runner
) -> Callable[..., Awaitable[object]] | None:
    """For a function whose providers are plain (see _plain_solver), that validates nothing
    and whose rule has one variable or none: a function taking the connection and that
    value, which awaits the providers and then the handler, everything by keyword; it gives
    what the handler returns. While the app overrides providers, it has the runner answer and
    gives None (nothing more to send). PERF: the app awaits it as a handler of one path value
    (benchmarks/typed_cost.py, "path, 2 providers"). None when it does not apply."""
    variables = list(resolution.plan.rule_converters)
    if not (resolution.plain and resolution.copies_path and len(variables) <= 1):
        return None
    namespace: dict[str, object] = {"handler": handler, "runner": runner}
    given = [f"{_name(name)}=value" for name in variables]
    path = f"{{{variables[0]!r}: value}}" if variables else "{}"
    lines = [
        f"async def call(connection{', value' if variables else ''}):",
        *_UNLESS_OVERRIDDEN,
        f"        await runner(connection, {path})",
        "        return None",
        *_provider_calls(resolution, namespace),
    ]
    given += [
        f"{_name(name)}=result{index}" for name, index in resolution.wiring if name is not None
    ]
    lines.append(f"    return await handler(connection, {', '.join(given)})")
    return cast(
        "Callable[..., Awaitable[object]]",
        _written("call", lines, namespace, resolution.plan.qualname),
    )


# The first lines of a written resolution: what follows them runs only while the app
# overrides no provider (a connection built by hand, outside an app, has no overrides).
_UNLESS_OVERRIDDEN = (
    "    app = connection._app",
    "    if app is not None and app.dependency_overrides:",
)


def _provider_calls(resolution: Resolution, namespace: dict[str, object]) -> list[str]:
    """A line awaiting each provider in order, its result named ``result<step>``; each is
    given its validated values (``values``, unless the resolution only copies the path
    values), the results it is wired to and the connection, by keyword."""
    lines: list[str] = []
    for position, step in enumerate(resolution.steps):
        namespace[f"provider{position}"] = step.fn
        validated = step.validates and not resolution.copies_path
        given = [f"**values[{position}]"] if validated else []
        given += [f"{_name(wired)}=result{index}" for wired, index in step.wiring]
        given += [f"{_name(param)}=connection" for param in step.connection_params]
        lines.append(f"    result{position} = await provider{position}({', '.join(given)})")
    return lines


def _written(name: str, lines: list[str], namespace: dict[str, object], qualname: str) -> object:
    """The function ``name`` that ``lines`` define, made with ``namespace`` as its globals;
    a traceback through it names the handler."""
    code = compile("\n".join(lines), f"<aaf: the providers of {qualname}>", "exec")
    exec(code, namespace)  # noqa: S102  # names and numbers of aaf's own
    return namespace[name]


def _name(name: str) -> str:
    """A parameter's name, written into a call by keyword."""
    if not name.isidentifier():
        raise AssertionError(f"not a parameter name: {name!r}")  # pragma: no cover  # a plan's
    return name


def _in_thread(fn: Callable[..., object], method: bool) -> Callable[..., Awaitable[object]]:
    """Run a plain ``def`` handler in a worker thread of the app's pool, as FastAPI does, so
    that blocking code does not stall the event loop. Its connection comes first, after
    ``self`` for a ``method``."""

    def call(*args: object, **kwargs: object) -> Awaitable[object]:
        connection = cast("Connection", args[1] if method else args[0])
        return pool_of(connection).run(fn, *args, **kwargs)

    return call


def http_endpoint(
    handler: object,
    name: str,
    converters: Mapping[str, BaseConverter],
    methods: Iterable[str] | None,
    status_code: int,
    max_body_size: int | None = None,
    dependencies: Sequence[Dependency] = (),
    options: Operation | None = None,
) -> Endpoint:
    """Compile a function or ``View`` handler into an endpoint, checking its signature.

    ``dependencies`` run for their side effects before the handler (the route's and its
    router's), and after them an ``@operation``'s own; ``options`` are what the API document
    says, a View method's ``@operation`` winning over them.
    """
    runners: dict[str, Runner] = {}
    plans: dict[str, HandlerPlan] = {}
    operations: dict[str, Operation] = {}
    direct: dict[str, Direct] = {}
    route_options = options or Operation()
    if isinstance(handler, type) and issubclass(handler, View):
        below = handler.__mro__[: handler.__mro__.index(View)]  # the classes below aaf's
        for hook in FOREIGN_VIEW_HOOKS:
            if any(hook in vars(klass) for klass in below):
                raise ConfigurationError(foreign_hook_problem(handler.__qualname__, hook))
        attributes = _class_dependencies(handler)
        if methods is not None:
            raise ConfigurationError(
                f"{handler.__qualname__}: a View answers the methods it defines; drop methods="
            )
        if not handler.allowed_methods:
            raise ConfigurationError(no_methods_problem(handler.__qualname__))
        if not inspect.iscoroutinefunction(handler.before):  # awaited before every method
            raise TypeError(f"{handler.__qualname__}.before must be an async function (async def)")
        for method in sorted(handler.allowed_methods):
            _refuse_bound(handler, method.lower())
            fn = getattr(handler, method.lower())
            method_options = operation_of(fn).over(route_options)
            plan = build_plan(
                fn,
                qualname=f"{handler.__qualname__}.{method.lower()}",
                rule_converters=converters,
                is_method=True,
                status_code=status_code if (own := method_options.status_code) is None else own,
                dependencies=(*dependencies, *(method_options.dependencies or ())),
                attributes=attributes,
                dump=method_options.dump_options(),
            )
            runners[method] = _runner(fn, plan, handler)
            plans[method], operations[method] = plan, method_options
            if (found := _direct(fn, plan, runners[method], handler)) is not None:
                direct[method] = found
        return Endpoint(name, runners, max_body_size, plans, operations, direct)
    if isinstance(handler, type):
        raise ConfigurationError(_class_problem(handler, websocket=False))
    if not callable(handler):  # pyright: ignore[reportUnknownArgumentType]  # any object
        raise TypeError(
            f"Route handler must be an async function or a View subclass, got {handler!r}"
        )
    function: Callable[..., object] = handler
    qualname = getattr(function, "__qualname__", name)
    # @operation(...) on a function is its options too, over the route's, as on a method.
    function_options = operation_of(function).over(route_options)
    plan = build_plan(
        function,
        qualname=qualname,
        rule_converters=converters,
        is_method=False,
        status_code=status_code if (own := function_options.status_code) is None else own,
        dependencies=(*dependencies, *(function_options.dependencies or ())),
        dump=function_options.dump_options(),
    )
    note_routed(function)
    runner = _runner(function, plan)
    for method in methods or ("GET",):
        runners[method.upper()] = runner
        plans[method.upper()], operations[method.upper()] = plan, function_options
    if (found := _direct(function, plan, runner)) is not None:
        direct = dict.fromkeys(runners, found)
    return Endpoint(name, runners, max_body_size, plans, operations, direct)


def _direct(
    handler: Callable[..., object],
    plan: HandlerPlan,
    runner: Runner,
    view: type[View] | None = None,
) -> Direct | None:
    """How the app awaits ``plan``'s handler itself (see Direct), when it may: an async
    function, or an async method of a View without ``before``, with no providers or only
    plain ones (coroutine functions reading no body: see _plain_solver) none of which fills
    a View's attribute."""
    if not plan.is_async:
        return None
    if view is not None and view.before is not View.before:
        return None
    fn = cast("Callable[..., Awaitable[object]]", handler)
    responder, encode, status = _responder(plan), _encoder(plan), plan.status_code
    parts = encoder_parts(encode) or EncoderParts(0, no_part, no_part, None)
    tail: tuple[int, Callable[[object], object], Callable[..., bytes], type | None]
    tail = (parts.kind, parts.validate, parts.dump, parts.exact)  # Direct's slots 10 to 13
    extract: Extract | None = arguments if plan.reads_body else None
    if plan.dependencies:
        if any(d.attribute for d in plan.dependencies):
            return None  # set on the instance before before(): its runner's
        resolution = Resolution(plan)
        if view is None:
            call = _plain_call(resolution, fn, runner)
            if call is not None:  # awaited as a function of one path value or none
                path_value = next(iter(plan.rule_converters), "")
                head = (call, responder, encode, status, path_value, None, None, None, None, ())
                return *head, *tail, None
        if (extract := _plain_solver(resolution)) is None:
            return None
    if not plan.trivial:  # its arguments extracted, passed by name (a JSON body by position)
        large_list, large_fields = _freed_gradually(plan)
        names = _positional(handler, plan, view is not None)
        one = _only(names) or ""
        found = (fn, responder, encode, status, one, view, plan, extract, large_list, large_fields)
        return *found, *tail, _by_position(fn, names, view is not None)
    single = _only(_positional(handler, plan, view is not None))
    if plan.passthrough and single is None:
        return None  # path values by name: its runner's
    return fn, responder, encode, status, single or "", view, None, None, None, (), *tail, None


def _refuse_bound(cls: type, name: str) -> None:
    """Refuse a view's handler written as a ``staticmethod`` or ``classmethod``.

    Raises:
        ConfigurationError: it is one (named in the message).
    """
    written = inspect.getattr_static(cls, name, None)
    if isinstance(written, staticmethod | classmethod):
        kind = type(cast("object", written)).__name__
        raise ConfigurationError(not_a_plain_method_problem(f"{cls.__qualname__}.{name}", kind))


def _class_problem(cls: type, websocket: bool) -> str:
    is_view, is_websocket_view = issubclass(cls, View), issubclass(cls, WebSocketView)
    return class_problem(cls.__qualname__, is_view, is_websocket_view, websocket)


def _class_dependencies(cls: type) -> dict[str, Dependency]:
    """A class's ``name: T = Depends(provider)`` attributes and ``name: Annotated[T,
    Depends(provider)]`` annotations given no value, its bases' included (a subclass's own
    wins, as attribute lookup would)."""
    found: dict[str, Dependency] = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, View, WebSocketView):
            continue
        names = vars(klass)
        for name, value in names.items():
            if isinstance(value, Dependency):
                found[name] = value
            elif (problem := attribute_value_problem(klass, name, value)) is not None:
                raise ConfigurationError(problem)
            elif name in found:
                del found[name]  # a value of the subclass's own: no longer a dependency
        for name, annotation in names.get("__annotations__", {}).items():
            if name not in names and (dependency := attribute_dependency(klass, name, annotation)):
                found[name] = dependency
    return found


# WebSockets -------------------------------------------------------------------------------------
class WebSocketEndpoint:
    """One WebSocket route."""

    __slots__ = ("name", "run")

    def __init__(self, name: str, run: Runner) -> None:
        self.name: str = name
        self.run: Runner = run


def websocket_endpoint(
    handler: object,
    name: str,
    converters: Mapping[str, BaseConverter],
    dependencies: Sequence[Dependency] = (),
) -> WebSocketEndpoint:
    """Compile a WebSocket function or ``WebSocketView`` into an endpoint. ``dependencies``
    run for their side effects before the handler (or ``on_connect``), as for HTTP routes."""
    if isinstance(handler, type) and issubclass(handler, WebSocketView):
        return WebSocketEndpoint(name, _websocket_view_runner(handler, converters, dependencies))
    if isinstance(handler, type):
        raise ConfigurationError(_class_problem(handler, websocket=True))
    if not callable(handler):  # pyright: ignore[reportUnknownArgumentType]  # any object
        raise TypeError(
            f"WebSocket handler must be an async function or a WebSocketView, got {handler!r}"
        )
    function: Callable[..., object] = handler
    qualname = getattr(function, "__qualname__", name)
    plan = build_plan(
        function,
        qualname=qualname,
        rule_converters=converters,
        is_method=False,
        websocket=True,
        dependencies=dependencies,
    )
    # build_plan refused anything but a coroutine function.
    call = cast("Callable[..., Awaitable[object]]", function)

    async def run(connection: Connection, args: dict[str, object]) -> None:
        if not plan.dependencies:
            await call(connection, **await arguments(plan, connection, args))
            return
        solving = Solving(connection, args)
        try:
            await call(connection, **await solve(plan, solving))
        except BaseException as exc:
            await solving.close(exc)
            raise
        await solving.close(None)

    return WebSocketEndpoint(name, run)


async def _accept(view: WebSocketView, connection: Connection, **path: object) -> None:
    """A WebSocketView's ``on_connect`` when it defines none."""
    await connection.accept()


def _message_reader(cls: type[WebSocketView]) -> tuple[str, BodyParam | None]:
    """Say which frames ``on_receive`` takes ("text", "bytes" or "json") and how to validate
    a JSON one."""
    receive = cls.__dict__.get("on_receive") or getattr(cls, "on_receive", None)
    if receive is None:
        return "text", None
    qualname = f"{cls.__qualname__}.on_receive"
    if not inspect.iscoroutinefunction(receive):
        raise TypeError(f"{qualname} must be an async function (async def)")
    try:
        hints = get_type_hints(receive, include_extras=True)
    except Exception as exc:
        raise ConfigurationError(f"{qualname}: cannot resolve its annotations: {exc}") from exc
    params = list(inspect.signature(receive).parameters)
    if len(params) != 3:
        raise ConfigurationError(f"{qualname} must take (self, connection, data)")
    annotation = unaliased(hints.get(params[2], str))  # `type Text = str` is text
    if annotation is str:
        return "text", None
    if annotation is bytes:
        return "bytes", None
    check_complete(qualname, params[2], annotation)
    try:
        adapter = type_adapter(annotation)
    except Exception as exc:
        raise ConfigurationError(
            f"{qualname}: pydantic cannot validate {annotation!r}: {exc}"
        ) from None
    check_comparable(qualname, adapter.core_schema, parameter=params[2], text=False)
    # The close reason holds 123 bytes: collections stop at their first error, so that a
    # message of a million wrong items is refused in one short pass; a large one is read a
    # slice at a time as a body is.
    return "json", json_param("message", annotation, adapter)


async def _read_large_message(message: BodyParam, raw: str | bytes) -> tuple[object, str | None]:
    """Validate a JSON message larger than FULL_REPORT_SIZE as a large body is, a slice at a
    time: ``(the value, None)``, or ``(None, what is wrong)``, in a close reason's words.
    PERF: in one call, 1.2 MB of 45,000 models held other clients 75-150 ms; so, 10-12 ms."""
    errors: Errors = []
    leftovers: list[object] = []
    data = raw.encode() if isinstance(raw, str) else raw
    value = await read_large_json(message, data, errors, leftovers)
    if leftovers:  # what was read of a refused one: let go a slice at a time
        await free_gradually(leftovers[0] if len(leftovers) == 1 else leftovers)
    del leftovers
    if value is REFUSED:
        return None, _short_entries(errors)
    return value, None


def _short_entries(errors: Errors) -> str:
    """``_short_error`` for the entries of a 422 (located under "body")."""
    parts: list[str] = []
    for entry in errors:
        if entry["type"] == "json_invalid":
            context = cast("Mapping[str, object]", entry.get("ctx") or {})
            parts.append(f"message: Invalid JSON: {context.get('error', entry['msg'])}")
            continue
        loc = ".".join(str(p) for p in cast("list[object]", entry["loc"])[1:]) or "message"
        parts.append(f"{loc}: {entry['msg']}")
    return "; ".join(parts)


def _websocket_view_runner(
    cls: type[WebSocketView],
    converters: Mapping[str, BaseConverter],
    dependencies: Sequence[Dependency],
) -> Runner:
    for hook in ("on_connect", "on_receive", "on_disconnect", "on_invalid"):
        _refuse_bound(cls, hook)
    on_connect = getattr(cls, "on_connect", None)
    # Class attributes given by providers, as a View's: set on the session's instance before
    # on_connect, their generators left open for the whole session.
    attributes = _class_dependencies(cls)
    names = tuple(attributes)
    if on_connect is None and (dependencies or attributes):
        on_connect = _accept  # the providers run before the default accept
    connect_plan = (
        build_plan(
            on_connect,
            qualname=f"{cls.__qualname__}.on_connect",
            rule_converters=converters,
            is_method=True,
            websocket=True,
            dependencies=dependencies,
            attributes=attributes,
        )
        if on_connect is not None
        else None
    )
    kind, message_json = _message_reader(cls)
    on_receive = getattr(cls, "on_receive", None)
    for hook in ("on_disconnect", "on_invalid"):  # awaited by the session
        if not inspect.iscoroutinefunction(getattr(cls, hook)):
            raise TypeError(f"{cls.__qualname__}.{hook} must be an async function (async def)")

    async def run(connection: Connection, args: dict[str, object]) -> None:
        if connect_plan is None or not connect_plan.dependencies:
            await session(connection, args, None)
            return
        # Generator providers of on_connect stay open for the whole session.
        solving = Solving(connection, args)
        try:
            await session(connection, args, solving)
        except BaseException as exc:
            await solving.close(exc)
            raise
        await solving.close(None)

    async def session(
        connection: Connection, args: dict[str, object], solving: Solving | None
    ) -> None:
        view = cls()
        code = 1000
        try:
            if on_connect is not None and connect_plan is not None:
                kwargs = (
                    await solve(connect_plan, solving)
                    if solving is not None
                    else await arguments(connect_plan, connection, args)
                )
                for name in names:
                    setattr(view, name, kwargs.pop(name))
                await on_connect(view, connection, **kwargs)
            else:
                await connection.accept()
            # Without on_receive the session lasts until the client leaves, frames ignored
            # (a feed that only sends), as Starlette's WebSocketEndpoint does.
            while not connection.finished:
                text, data = await connection.receive_frame()
                if on_receive is None:
                    continue
                raw: str | bytes | None = text if text is not None else data
                if kind == "text" and text is None or kind == "bytes" and data is None:
                    got = "binary" if text is None else "text"
                    await connection.close(1003, f"Expected a {kind} frame, got a {got} frame")
                    break
                message: object = raw
                if message_json is not None:
                    payload = raw if raw is not None else b""
                    wrong = None
                    if len(payload) <= FULL_REPORT_SIZE:  # PERF: no coroutine for the usual
                        try:
                            message = message_json.fail_fast.validate_json(payload)
                        except ValidationError as exc:
                            wrong = _short_error(exc)
                    else:
                        message, wrong = await _read_large_message(message_json, payload)
                    if wrong is not None:
                        await view.on_invalid(connection, wrong)
                        continue
                await on_receive(view, connection, message)
        except WebSocketDisconnect as exc:
            code = exc.code
        except Exception as exc:
            code = websocket_close_code(exc)  # what the app closes the session with for it
            raise
        finally:
            if connection.accepted:  # a refused handshake has nothing to clean up
                # The code it closed with (by on_invalid, a 1003, the handler's own close,
                # the client), else the one the error will close it with.
                await view.on_disconnect(connection, connection.close_code or code)
        if not connection.finished:
            await connection.close()

    return run


def _short_error(exc: ValidationError) -> str:
    """What a close reason says of a message's errors (123 bytes of it are sent)."""
    errors: list[Mapping[str, object]]
    if exc.error_count() > _FEW_ERRORS:
        # Thousands of errors (a model refusing 80,000 unknown keys in a 1 MiB message: a
        # list stops at its first, a model's keys do not): errors() makes a dict of each, 0.2 s
        # of the event loop; pydantic's own JSON of them, without inputs, a few ms, of which
        # the start is read.
        text = exc.json(include_url=False, include_context=False, include_input=False)
        first = from_json(text[:_ERRORS_READ], allow_partial=True)
        errors = [e for e in first if "loc" in e and "msg" in e]  # the last may be cut
    else:
        errors = cast("list[Mapping[str, object]]", exc.errors(include_url=False))
    parts: list[str] = []
    for error in errors:
        loc = ".".join(str(p) for p in cast("list[object]", error["loc"])) or "message"
        parts.append(f"{loc}: {error['msg']}")
    return "; ".join(parts)


_FEW_ERRORS = 100  # past this many, a message's errors are read from pydantic's JSON of them
_ERRORS_READ = 8192  # characters of that JSON: a close reason holds 123 bytes
