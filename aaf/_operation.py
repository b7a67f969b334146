"""What the API document says about an operation, its status code, how its returned value is
dumped and the providers run for it alone: given on a route or a View method."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import TypedDict, TypeVar, Unpack, cast

from pydantic import JsonValue

from aaf._annotations import unbuilt_model
from aaf._plan import not_a_dependency_problem
from aaf._rules import one_string_problem, operation_above_route_problem
from aaf.exceptions import ConfigurationError
from aaf.params import Dependency

__all__ = [
    "Operation",
    "Shown",
    "check_responses",
    "dependency_list",
    "operation",
    "response_model",
]

F = TypeVar("F", bound=Callable[..., object])
_ATTRIBUTE = "__aaf_operation__"


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """Options of one operation; ``None`` leaves the route's (or the default)."""

    status_code: int | None = None
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None
    responses: Mapping[int, object] | None = None  # status -> model (or None for no body)
    deprecated: bool | None = None
    include_in_schema: bool | None = None
    operation_id: str | None = None
    # How a returned value is dumped, as FastAPI's response_model_exclude_* (pydantic's words).
    exclude_unset: bool | None = None
    exclude_defaults: bool | None = None
    exclude_none: bool | None = None
    # Written over the operation's entry in the document, mappings merged key by key, as
    # FastAPI's openapi_extra (a body read by hand, an extension such as x-code-samples).
    openapi_extra: Mapping[str, JsonValue] | None = None
    # Run after the route's (and its routers'), before the handler's own: one method's
    # checks (a View's delete for admins only). Not a route's: it passes its own apart.
    dependencies: tuple[Dependency, ...] | None = None

    @classmethod
    def of(
        cls,
        *,
        status_code: int | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str | Enum] | None = None,
        responses: Mapping[int, object] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool | None = None,
        operation_id: str | None = None,
        exclude_unset: bool | None = None,
        exclude_defaults: bool | None = None,
        exclude_none: bool | None = None,
        openapi_extra: Mapping[str, JsonValue] | None = None,
        dependencies: Sequence[object] | None = None,
    ) -> Operation:
        """Build the options from keywords as users give them (any sequence of tags)."""
        return cls(
            status_code,
            summary,
            description,
            check_tags(tags) if tags is not None else None,
            check_responses(responses) if responses is not None else None,
            deprecated,
            include_in_schema,
            operation_id,
            exclude_unset,
            exclude_defaults,
            exclude_none,
            dict(openapi_extra) if openapi_extra is not None else None,
            tuple(dependency_list(dependencies)) if dependencies is not None else None,
        )

    def dump_options(self) -> dict[str, bool]:
        """The ``exclude_*`` keywords pydantic's dump takes, those set to true only."""
        given = {
            "exclude_unset": self.exclude_unset,
            "exclude_defaults": self.exclude_defaults,
            "exclude_none": self.exclude_none,
        }
        return {name: True for name, value in given.items() if value}

    def over(self, base: Operation) -> Operation:
        """These options, with ``base``'s where these leave one unset (tags are added)."""
        merged = {
            field.name: getattr(self, field.name)
            if getattr(self, field.name) is not None
            else getattr(base, field.name)
            for field in dataclasses.fields(self)
        }
        if self.tags is not None and base.tags:  # tags add up: the router's, the route's, ...
            merged["tags"] = tuple(dict.fromkeys((*base.tags, *self.tags)))
        if self.responses is not None and base.responses:  # so do responses, these winning
            merged["responses"] = {**base.responses, **self.responses}
        return Operation(**merged)


@dataclasses.dataclass(frozen=True, slots=True)
class Shown:
    """What a router says in the API document about every route below it, as FastAPI's
    ``APIRouter`` and ``include_router`` options do: its tags before the routes' own, its
    responses beside theirs (theirs winning for a status both give), every route deprecated
    when it is, none in the document when it is left out. Hashable: routing keys the
    endpoints it builds under including routers by it (a response's entry need not be)."""

    tags: tuple[str, ...] = ()
    responses: tuple[tuple[int, object], ...] = ()
    deprecated: bool = False
    include_in_schema: bool = True

    @classmethod
    def of(
        cls,
        tags: Sequence[str | Enum] = (),
        responses: Mapping[int, object] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
    ) -> Shown:
        given = check_responses(responses or {})
        return cls(check_tags(tags), tuple(given.items()), deprecated, include_in_schema)

    def __hash__(self) -> int:
        statuses = tuple(status for status, _ in self.responses)
        return hash((self.tags, statuses, self.deprecated, self.include_in_schema))

    def under(self, outer: Shown) -> Shown:
        """These options below a router that says ``outer`` (its tags come first)."""
        return Shown(
            tuple(dict.fromkeys((*outer.tags, *self.tags))),
            (*outer.responses, *self.responses),
            self.deprecated or outer.deprecated,
            self.include_in_schema and outer.include_in_schema,
        )

    def apply(self, options: Operation) -> Operation:
        """A route's ``options`` as a router saying these shows it."""
        if self == _SHOWN_AS_IS:
            return options
        # Tags and responses add up as a View method's and its route's do; deprecated and
        # left out, the router's word wins over the route's default.
        merged = options.over(
            Operation(tags=self.tags or None, responses=dict(self.responses) or None)
        )
        return dataclasses.replace(
            merged,
            deprecated=True if self.deprecated else merged.deprecated,
            include_in_schema=False if not self.include_in_schema else merged.include_in_schema,
        )


_SHOWN_AS_IS = Shown()


class OperationOptions(TypedDict, total=False):
    """The keywords of ``@operation``, as ``Operation.of`` takes them."""

    status_code: int | None
    summary: str | None
    description: str | None
    tags: Sequence[str | Enum] | None
    responses: Mapping[int, object] | None
    deprecated: bool | None
    include_in_schema: bool | None
    operation_id: str | None
    exclude_unset: bool | None
    exclude_defaults: bool | None
    exclude_none: bool | None
    openapi_extra: Mapping[str, JsonValue] | None
    dependencies: Sequence[object] | None


def operation(**options: Unpack[OperationOptions]) -> Callable[[F], F]:
    """Give one View method its own options: ``@operation(status_code=201, tags=["items"])``;
    under a function's route decorator, the function's.

    The route's options are the default for every method; these win where given.
    """
    recorded = Operation.of(**options)

    def decorator(fn: F) -> F:
        if fn in _ROUTED:
            name = getattr(fn, "__qualname__", repr(fn))
            raise ConfigurationError(operation_above_route_problem(name))
        setattr(fn, _ATTRIBUTE, recorded)
        return fn

    return decorator


# The functions a route serves, registered already: an @operation over them would come too
# late (written above the route decorator), and is refused rather than ignored.
_ROUTED: weakref.WeakSet[Callable[..., object]] = weakref.WeakSet()


def note_routed(fn: Callable[..., object]) -> None:
    """Note that a route serves the function ``fn`` (see _ROUTED)."""
    try:
        _ROUTED.add(fn)
    except TypeError:  # an object that takes no weak reference: it takes no @operation either
        pass


def dependency_list(values: Sequence[object]) -> list[Dependency]:
    """``dependencies=`` as given: a list of ``Depends(provider)`` values.

    Raises:
        TypeError: one ``Depends(...)`` given alone, not in a list.
        ConfigurationError: an item that is not aaf's ``Depends(...)``.
    """
    # Typed `object` for callers: Depends(p) is typed as p's result so that parameters check.
    if isinstance(values, Dependency):
        raise TypeError(f"dependencies= takes a list: dependencies=[{values!r}]")
    for value in values:
        if not isinstance(value, Dependency):
            raise ConfigurationError(not_a_dependency_problem(value))
    return [value for value in values if isinstance(value, Dependency)]


def operation_of(fn: object) -> Operation:
    """The options ``@operation`` gave ``fn``, or none."""
    found = getattr(fn, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else Operation()


# What a response entry written as FastAPI's mapping may hold: OpenAPI's Response Object's
# fields, and the model its JSON content is.
_RESPONSE_KEYS = ("model", "description", "content", "headers", "links")


def check_tags(tags: Sequence[str | Enum]) -> tuple[str, ...]:
    """``tags=`` as given: a list of tags, not one string, which a type checker passes as a
    sequence of letters (``tags="users"`` would be the tags u, s, e, r); an enum's member
    is its value, as FastAPI writes one (``tags=[Tags.items]``).

    Raises:
        TypeError: ``tags`` is a string.
    """
    if isinstance(tags, str):
        raise TypeError(one_string_problem("tags", tags))
    return tuple(str(tag.value) if isinstance(tag, Enum) else tag for tag in tags)


def check_responses(responses: Mapping[int, object]) -> dict[int, object]:
    """``responses`` as a route or router keeps them: each a status and a model, ``None``
    (no body), or FastAPI's ``{"model": M, "description": "...", "content": {...}}``.

    Raises:
        ConfigurationError: a status that is not one, or a mapping with another key (a
            misspelt ``description`` would otherwise be written into the document as it is).
    """
    for status, entry in responses.items():
        model = response_model(entry)
        # An int or an IntEnum (http.HTTPStatus.NOT_FOUND); True is no status. Untyped code
        # may give anything.
        key = cast(object, status)
        if not isinstance(key, int) or isinstance(key, bool) or not 100 <= key <= 599:
            raise ConfigurationError(
                f"responses takes HTTP statuses (100-599) as keys, got {status!r}"
            )
        if isinstance(entry, Mapping):
            written = cast("Mapping[object, object]", entry)
            unknown = [key for key in written if key not in _RESPONSE_KEYS]
            if unknown:
                raise ConfigurationError(
                    f"responses[{status}] has {', '.join(map(repr, unknown))}: a response "
                    f"entry takes {', '.join(_RESPONSE_KEYS)}"
                )
            description = written.get("description")
            if description is not None and not isinstance(description, str):
                raise ConfigurationError(
                    f"responses[{status}]['description'] must be a string, "
                    f"got {type(description).__name__}"
                )
        unbuilt = unbuilt_model(model)
        if unbuilt is not None:  # else found by the first request for the document
            named, reason = unbuilt
            raise ConfigurationError(
                f"responses[{status}]: pydantic cannot build the model {named} yet: {reason}; "
                f"define it before the route is registered"
            )
    return {int(status): entry for status, entry in responses.items()}


def response_model(entry: object) -> object:
    """The model a response entry's JSON content is (``None`` for none)."""
    if isinstance(entry, Mapping):
        return cast("Mapping[str, object]", entry).get("model")
    return entry
