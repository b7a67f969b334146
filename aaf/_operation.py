"""What the API document says about an operation, its status code and how its returned value
is dumped: given on a route or a View method."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TypedDict, TypeVar, Unpack

__all__ = ["Operation", "operation"]

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

    @classmethod
    def of(
        cls,
        *,
        status_code: int | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        responses: Mapping[int, object] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool | None = None,
        operation_id: str | None = None,
        exclude_unset: bool | None = None,
        exclude_defaults: bool | None = None,
        exclude_none: bool | None = None,
    ) -> Operation:
        """Build the options from keywords as users give them (any sequence of tags)."""
        return cls(
            status_code,
            summary,
            description,
            tuple(tags) if tags is not None else None,
            dict(responses) if responses is not None else None,
            deprecated,
            include_in_schema,
            operation_id,
            exclude_unset,
            exclude_defaults,
            exclude_none,
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
        return Operation(**merged)


class OperationOptions(TypedDict, total=False):
    """The keywords of ``@operation``, as ``Operation.of`` takes them."""

    status_code: int | None
    summary: str | None
    description: str | None
    tags: Sequence[str] | None
    responses: Mapping[int, object] | None
    deprecated: bool | None
    include_in_schema: bool | None
    operation_id: str | None
    exclude_unset: bool | None
    exclude_defaults: bool | None
    exclude_none: bool | None


def operation(**options: Unpack[OperationOptions]) -> Callable[[F], F]:
    """Give one View method its own options: ``@operation(status_code=201, tags=["items"])``.

    The route's options are the default for every method; these win where given.
    """
    recorded = Operation.of(**options)

    def decorator(fn: F) -> F:
        setattr(fn, _ATTRIBUTE, recorded)
        return fn

    return decorator


def operation_of(fn: object) -> Operation:
    """The options ``@operation`` gave ``fn``, or none."""
    found = getattr(fn, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else Operation()
