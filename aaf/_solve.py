"""Resolve a plan's dependencies on one request: validate everything, then call providers.

Two passes, so that one 422 lists every failing field of the handler and all its providers
before any provider runs (FastAPI calls providers before it validates the handler's own
values). Each provider runs once per request unless ``use_cache=False``; generator providers
are entered on an ``AsyncExitStack`` that the runner closes once the response is finished,
throwing in the handler's exception if there was one. Plain functions and generators run in a
worker thread. ``app.dependency_overrides`` swaps providers (their plans are built on first use).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from types import TracebackType
from typing import NoReturn, cast

from pydantic import ValidationError

from aaf._entries import Errors, error_entry, jsonable
from aaf._extract import take_body, validated
from aaf._plan import DependencyParam, HandlerPlan, cache_key, provider_plan, told_of_route
from aaf._rules import named
from aaf._threads import pool_of
from aaf.connection import Connection
from aaf.exceptions import RequestValidationError

__all__ = ["Resolution", "Solving", "solve"]


_NONE: dict[Callable[..., object], Callable[..., object]] = {}


class Solving:
    """The state of one request's resolution: validated values, results, open generators."""

    __slots__ = ("connection", "overrides", "path_args", "results", "route", "stack", "values")

    def __init__(self, connection: Connection, path_args: dict[str, object]) -> None:
        self.connection = connection
        self.path_args = path_args
        try:
            self.overrides = connection.app.dependency_overrides
        except RuntimeError:  # a connection built by hand, outside an app
            self.overrides = _NONE
        # The general path's (solve()) memo, made there: a compiled Resolution needs neither.
        self.values: dict[int, dict[str, object]]  # id(plan) -> its validated values
        self.results: dict[object, object]  # a provider's key (DependencyParam.key) -> result
        self.stack: contextlib.AsyncExitStack | None = None
        self.route: HandlerPlan | None = None  # the plan solve() answers, set there

    def effective(self, dependency: DependencyParam) -> HandlerPlan:
        """The plan that answers ``dependency``, an override's when one is set."""
        if not self.overrides:
            return dependency.plan
        override = self.overrides.get(dependency.provider)
        if override is None:
            return dependency.plan
        app = self.connection.app
        scopes = dependency.scopes  # the original's, as FastAPI keeps them for an override
        route = self.route
        assert route is not None  # overrides take solve(), which sets it
        # One plan per route: a model of the override's that refuses keys it does not read
        # (extra="forbid") is told the keys the route reads elsewhere, as the original's was.
        plan = app.override_plans.get((override, scopes, id(route)))
        if plan is None:
            plan = provider_plan(override, dependency.plan.rule_converters, scopes=scopes)
            plan = told_of_route(plan, route)
            app.override_plans[override, scopes, id(route)] = plan
        return plan

    async def close(self, exc: BaseException | None) -> None:
        """Run the generators' cleanup in reverse order, throwing ``exc`` in at their yield."""
        stack, self.stack = self.stack, None
        if stack is None:
            return
        if exc is None:
            await stack.aclose()
        else:
            await stack.__aexit__(type(exc), exc, exc.__traceback__)


class _Step:
    """One provider call of a compiled resolution."""

    __slots__ = ("connection_params", "fn", "kind", "plan", "validates", "wiring")

    def __init__(self, dependency: DependencyParam, wiring: tuple[tuple[str, int], ...]) -> None:
        self.fn = dependency.provider
        self.plan = dependency.plan
        self.kind = dependency.plan.kind
        self.wiring: tuple[tuple[str, int], ...] = wiring  # (parameter, step giving its value)
        self.connection_params = dependency.plan.connection_params
        self.validates = _validates(dependency.plan)


def _validates(plan: HandlerPlan) -> bool:
    return bool(
        plan.validator or plan.passthrough or plan.defaults or plan.uploads or plan.reads_body
    )


class Resolution:
    """A plan's providers flattened, at registration, into calls in dependency order.

    Each cached provider is one step however often it is asked for; the handler's own
    parameters come last. A request validates every step, then calls them in order, without
    a coroutine per step. ``app.dependency_overrides`` takes the general path instead.
    """

    __slots__ = (
        "copies_path",
        "plain",
        "plan",
        "reads_body",
        "steps",
        "top_path_only",
        "top_validates",
        "wiring",
    )

    def __init__(self, plan: HandlerPlan) -> None:
        self.plan = plan
        self.steps: list[_Step] = []
        cached: dict[object, int] = {}
        self.wiring = self._wire(plan, cached)
        self.top_validates = _validates(plan)
        self.reads_body = plan.reads_body or any(step.plan.reads_body for step in self.steps)
        # Every provider a coroutine function and nothing read from the body: the runner can
        # validate with validate_now() and await the providers itself, no Solving needed.
        self.plain = not self.reads_body and all(step.kind == "async" for step in self.steps)
        # The handler's own values are only path values that need no validation.
        only_path = not (plan.validator or plan.defaults or plan.uploads or plan.reads_body)
        self.top_path_only = plan.passthrough if only_path else None
        # PERF: no provider validates anything and the handler's own values are exactly the
        # rule's, as the converters gave them: validation is a copy of the path values.
        self.copies_path = (
            not any(step.validates for step in self.steps)
            and self.top_path_only is not None
            and set(self.top_path_only) == set(plan.rule_converters)
        )

    def validate_now(
        self, connection: Connection, path_args: dict[str, object]
    ) -> tuple[list[dict[str, object]], dict[str, object]]:
        """For a plain resolution: each step's validated values, then the handler's own.

        Raises:
            RequestValidationError: any value failed validation (no provider ran).
        """
        errors: Errors = []
        values = [
            _values_now(step.plan, connection, path_args, errors) if step.validates else {}
            for step in self.steps
        ]
        if self.top_path_only is not None:  # PERF: path values as the converters gave them
            own = {name: path_args[name] for name in self.top_path_only}
        elif self.top_validates:
            own = _values_now(self.plan, connection, path_args, errors)
        else:
            own = {}
        if errors:
            raise RequestValidationError(jsonable(errors[:100]))
        return values, own

    def _wire(
        self, plan: HandlerPlan, cached: dict[object, int]
    ) -> tuple[tuple[str | None, int], ...]:
        wiring: list[tuple[str | None, int]] = []
        for dependency in plan.dependencies:
            index = cached.get(dependency.key) if dependency.use_cache else None
            if index is None:
                inner = self._wire(dependency.plan, cached)
                named = tuple((n, i) for n, i in inner if n is not None)
                self.steps.append(_Step(dependency, named))
                index = len(self.steps) - 1
                if dependency.use_cache:
                    cached[dependency.key] = index
            wiring.append((dependency.name, index))
        return tuple(wiring)

    async def arguments(self, solving: Solving) -> dict[str, object]:
        """Validate every step and the handler, then call the providers; give the handler's
        keyword arguments (View attributes among them).

        Raises:
            RequestValidationError: any value failed validation (no provider ran).
        """
        if solving.overrides:
            return await solve(self.plan, solving)
        connection = solving.connection
        errors: Errors = []
        values: list[dict[str, object]] = []
        if self.reads_body:
            for step in self.steps:
                values.append(await _values(step.plan, solving, errors) if step.validates else {})
            own = await _values(self.plan, solving, errors) if self.top_validates else {}
        else:  # PERF: validation alone needs no coroutine (benchmarks/typed_cost.py)
            path_args = solving.path_args
            for step in self.steps:
                values.append(
                    _values_now(step.plan, connection, path_args, errors) if step.validates else {}
                )
            own = (
                _values_now(self.plan, connection, path_args, errors) if self.top_validates else {}
            )
        if errors:
            raise RequestValidationError(jsonable(errors[:100]))
        results: list[object] = []
        steps = self.steps
        for i in range(len(steps)):
            step, kwargs = steps[i], values[i]
            for wired, index in step.wiring:
                kwargs[wired] = results[index]
            for param in step.connection_params:
                kwargs[param] = connection
            if step.kind == "async":  # PERF: the common kind without a frame of its own
                results.append(await step.fn(**kwargs))  # type: ignore[misc]  # a coroutine fn
            else:
                results.append(await _call(step.fn, step.plan, kwargs, solving))
        for name, index in self.wiring:
            if name is not None:
                own[name] = results[index]
        return own


def _values_now(
    plan: HandlerPlan, connection: Connection, path_args: dict[str, object], errors: Errors
) -> dict[str, object]:
    kwargs, found = validated(plan, connection, path_args, None)
    if found:
        errors.extend(found)
    return kwargs


async def _values(plan: HandlerPlan, solving: Solving, errors: Errors) -> dict[str, object]:
    connection = solving.connection
    form = await connection.form() if plan.reads_form else None
    kwargs, found = validated(plan, connection, solving.path_args, form)
    if plan.body is not None:
        large = take_body(plan, await connection.body(), kwargs, found, connection)
        if large is not None:
            await large
    errors.extend(found)
    return kwargs


async def _call(
    fn: Callable[..., object], plan: HandlerPlan, kwargs: dict[str, object], solving: Solving
) -> object:
    kind = plan.kind
    if kind == "async":
        # PERF: the cast's type as a string: a subscripted Callable is built on every call.
        return await cast("Callable[..., Awaitable[object]]", fn)(**kwargs)
    if kind == "sync":
        return await pool_of(solving.connection).run(fn, **kwargs)
    if kind == "model":
        return made(fn, kwargs, plan)
    if kind == "agen":
        entered = contextlib.asynccontextmanager(cast("Callable[..., AsyncGenerator[object]]", fn))
        async_manager = entered(**kwargs)
        try:
            value = await async_manager.__aenter__()
        except RuntimeError as exc:
            _raise_named(exc, fn)
        _stack(solving).push_async_exit(_named_exit(async_manager.__aexit__, fn))
        return value
    manager = contextlib.contextmanager(cast("Callable[..., Generator[object]]", fn))(**kwargs)
    pool = pool_of(solving.connection)
    try:
        value = await pool.run(manager.__enter__)
    except RuntimeError as exc:
        _raise_named(exc, fn)
    # Its cleanup in a worker thread too, as its start.
    leave: _Exit = lambda kind, exc, tb: pool.run(manager.__exit__, kind, exc, tb)  # noqa: E731
    _stack(solving).push_async_exit(_named_exit(leave, fn))
    return value


def made(model: Callable[..., object], kwargs: dict[str, object], plan: HandlerPlan) -> object:
    """A model class (or a pydantic dataclass) given to ``Depends()`` made of the values read
    for its fields (FastAPI's classes as dependencies); what its validators refuse is the
    request's, a 422 located where each field was read from (where FastAPI answers 500).

    Raises:
        RequestValidationError: the model refused the values.
    """
    try:
        return model(**kwargs)
    except ValidationError as exc:
        raise RequestValidationError(jsonable(_located(exc, plan))) from None


def _located(exc: ValidationError, plan: HandlerPlan) -> Errors:
    """A model provider's errors, each under where its field was read from: ``["query",
    "page"]``; the model's own (a model validator's) under its first field's place."""
    places = {
        spec.name: ("body" if group == "form" else group, spec.wire)
        for group, specs in plan.fields.items()
        for spec in specs
    }
    head = next(iter(places.values()), ("query",))[0]  # the first field's place
    errors: Errors = []
    for error in exc.errors(include_url=False)[:100]:
        loc = error["loc"]
        place = places.get(loc[0]) if loc and isinstance(loc[0], str) else None
        where = (*place, *loc[1:]) if place is not None else (head, *loc)
        errors.append(error_entry(where, error))
    return errors


# What contextlib says of a generator that does not yield exactly once.
_NO_YIELD = "generator didn't yield"
_TWO_YIELDS = frozenset(
    (
        "generator didn't stop",
        "generator didn't stop after throw()",
        "generator didn't stop after athrow()",
    )
)


def _raise_named(exc: RuntimeError, provider: Callable[..., object]) -> NoReturn:
    """Raise contextlib's complaint about a generator provider said of the provider; any
    other ``RuntimeError`` (the provider's own) as it was raised."""
    said = str(exc)
    if said == _NO_YIELD:
        problem = "it returned without yielding one"
    elif said in _TWO_YIELDS:
        problem = "it yielded a second"
    else:
        raise exc
    raise RuntimeError(
        f"{named(provider)}: a generator provider yields one value, its result; {problem}"
    ) from None


_Exit = Callable[
    [type[BaseException] | None, BaseException | None, TracebackType | None],
    Awaitable[bool | None],
]


def _named_exit(leave: _Exit, provider: Callable[..., object]) -> _Exit:
    """``leave`` (a generator provider's cleanup), contextlib's complaint said of the
    provider."""

    async def exit_named(
        kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        try:
            return await leave(kind, exc, tb)
        except RuntimeError as error:
            if error is exc:
                raise
            _raise_named(error, provider)

    return exit_named


async def solve(plan: HandlerPlan, solving: Solving) -> dict[str, object]:
    """Give the keyword arguments of ``plan``'s function, its providers called (the general
    path, which ``app.dependency_overrides`` takes).

    Raises:
        RequestValidationError: any value of the handler or a provider failed validation.
    """
    solving.values, solving.results, solving.route = {}, {}, plan
    errors: Errors = []
    await _validate(plan, solving, errors)
    if errors:
        raise RequestValidationError(jsonable(errors[:100]))
    return await _arguments(plan, solving)


async def _validate(plan: HandlerPlan, solving: Solving, errors: Errors) -> None:
    if id(plan) in solving.values:
        return
    solving.values[id(plan)] = await _values(plan, solving, errors)
    for dependency in plan.dependencies:
        await _validate(solving.effective(dependency), solving, errors)


async def _arguments(plan: HandlerPlan, solving: Solving) -> dict[str, object]:
    kwargs = dict(solving.values[id(plan)])
    for name in plan.connection_params:
        kwargs[name] = solving.connection
    for dependency in plan.dependencies:
        value = await _provide(dependency, solving)
        if dependency.name is not None:
            kwargs[dependency.name] = value
    return kwargs


async def _provide(dependency: DependencyParam, solving: Solving) -> object:
    provider = dependency.provider
    plan = solving.effective(dependency)
    # An override that reads the scopes (its original may not): one call for each set.
    reads = plan is not dependency.plan and plan.security_scopes is not None
    key = cache_key(provider, plan) if reads else dependency.key
    if dependency.use_cache and key in solving.results:
        return solving.results[key]
    fn = solving.overrides.get(provider, provider) if solving.overrides else provider
    kwargs = await _arguments(plan, solving)
    value = await _call(fn, plan, kwargs, solving)
    if dependency.use_cache:
        solving.results[key] = value
    return value


def _stack(solving: Solving) -> contextlib.AsyncExitStack:
    if solving.stack is None:
        solving.stack = contextlib.AsyncExitStack()
    return solving.stack
