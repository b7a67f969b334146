"""Small readers of runtime annotations shared by plans and result encoders."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Annotated, Union, cast, get_args, get_origin

import typing_extensions
from pydantic import BaseModel, JsonValue
from pydantic.errors import PydanticUndefinedAnnotation, PydanticUserError

__all__ = [
    "annotated",
    "is_alias",
    "models_in",
    "strip_annotated",
    "unaliased",
    "unbuilt_model",
    "union_members",
]

# `type X = ...` (Python 3.12's statement) and typing_extensions' TypeAliasType (a class of
# its own before 3.14).
_ALIASES: tuple[type, ...] = tuple(
    {
        typing_extensions.TypeAliasType,
        getattr(typing, "TypeAliasType", typing_extensions.TypeAliasType),
    }
)


def unaliased(annotation: object, seen: frozenset[int] = frozenset()) -> object:
    """``annotation`` with its type aliases (``type ItemId = int``, generic ones such as
    ``Pair[int]`` too) replaced by what they name: at the top, inside ``Annotated``, unions and
    the arguments of generic classes (``list[Tag]``), so that reading where a value comes from
    and how it is validated sees through them, as pydantic does. A recursive alias (``type
    Tree = list[Tree] | int``) is opened at the top and in unions only, kept where it recurs
    and in a class's arguments (so that reading a result again gives the same), and one whose
    value is text is kept, as pydantic takes both; so is pydantic's ``JsonValue``; anything
    else is as it was.
    """
    if annotation is JsonValue:  # pydantic's own alias, which aaf reads as "any JSON"
        return annotation
    if isinstance(annotation, _ALIASES):
        alias = cast("typing_extensions.TypeAliasType", annotation)
        value: object = alias.__value__
        if id(alias) in seen or isinstance(value, str):
            return annotation
        return unaliased(value, seen | {id(alias)})
    origin = get_origin(annotation)
    args: tuple[object, ...] = get_args(annotation)
    if not args:
        return annotation
    if isinstance(origin, _ALIASES):  # Pair[int]: the alias's value, its parameters given
        alias = cast("typing_extensions.TypeAliasType", origin)
        if id(alias) in seen:
            return annotation
        try:
            generic = cast("Mapping[object, object]", alias.__value__)
            given = generic[args[0] if len(args) == 1 else args]
        except TypeError:
            return annotation
        return unaliased(given, seen | {id(alias)})
    if origin is Annotated:
        base = unaliased(args[0], seen)
        return annotation if base is args[0] else annotated(base, *args[1:])
    union = origin is Union or origin is types.UnionType
    if not (union or isinstance(origin, type)):
        return annotation  # Literal["a"], ClassVar[...]: arguments that are not types
    if union:
        new = tuple(unaliased(argument, seen) for argument in args)
    else:
        # A recursive alias stays as it is in a class's arguments (list[Tree]): read again,
        # the result is the same (unions are read level by level, each once), where each
        # reading would otherwise open it one level deeper, without end.
        new = tuple(
            argument if _recursive(argument) else unaliased(argument, seen) for argument in args
        )
    if all(a is b for a, b in zip(new, args, strict=True)):
        return annotation
    if union:
        return Union[new]  # noqa: UP007  # built from a tuple at run time
    try:
        return cast("Mapping[object, object]", annotation).copy_with(new)  # type: ignore[attr-defined]
    except AttributeError:  # list[Tag], a builtin's alias
        return types.GenericAlias(cast("type", origin), new)


@functools.cache
def _recursive_alias(alias: object) -> bool:
    def refers(value: object, seen: set[int]) -> bool:
        if value is alias:
            return True
        if isinstance(value, _ALIASES):
            if id(value) in seen:
                return False
            seen.add(id(value))
            inner: object = cast("typing_extensions.TypeAliasType", value).__value__
            return not isinstance(inner, str) and refers(inner, seen)
        origin = get_origin(value)
        if origin is not None and refers(origin, seen):
            return True
        return any(refers(argument, seen) for argument in get_args(value))

    try:
        value: object = cast("typing_extensions.TypeAliasType", alias).__value__
        return not isinstance(value, str) and refers(value, set())
    except Exception:  # a name its value refers to is not defined: pydantic will say so
        return False


def _recursive(annotation: object) -> bool:
    """Whether ``annotation`` is a type alias whose value refers to itself, at any depth."""
    return isinstance(annotation, _ALIASES) and _recursive_alias(annotation)


def is_alias(annotation: object) -> bool:
    """Whether ``annotation`` is a type alias (``type Tree = ...``, a ``TypeAliasType``)."""
    return isinstance(annotation, _ALIASES)


def annotated(base: object, *metadata: object) -> object:
    """Build ``Annotated[base, *metadata]`` at run time (Python 3.13's ``Annotated`` is a
    special form without the ``__class_getitem__`` of 3.11's class).

    >>> annotated(int, "meta")
    typing.Annotated[int, 'meta']
    """
    special = cast("Mapping[tuple[object, ...], object]", Annotated)  # subscripted as a value
    return special[(base, *metadata)]


def union_members(annotation: object) -> tuple[object, ...]:
    """Give the members of a union, or the annotation alone.

    >>> union_members(int | None)
    (<class 'int'>, <class 'NoneType'>)
    """
    annotation = unaliased(annotation)
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return get_args(annotation)
    return (annotation,)


def strip_annotated(annotation: object) -> tuple[object, list[object]]:
    """Split ``Annotated[T, *meta]`` into ``T`` and its metadata (type aliases seen through)."""
    annotation = unaliased(annotation)
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return base, meta
    return annotation, []


def unbuilt_model(annotation: object) -> tuple[str, str] | None:
    """The first model ``annotation`` names (at any depth of its arguments) that pydantic
    cannot build yet, once asked to rebuild it (a name it refers to is defined later, or
    never): its name and pydantic's reason; ``None`` when each is built."""
    for model in models_in(annotation):
        if model is BaseModel:  # the base class itself: nothing to build (check_complete)
            continue
        if model.__pydantic_complete__ or model.model_rebuild(raise_errors=False):
            continue
        try:
            model.model_rebuild()
        except (PydanticUserError, PydanticUndefinedAnnotation) as exc:
            return model.__name__, str(exc).splitlines()[0]
    return None


def models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """The models ``annotation`` names, at any depth of its arguments."""
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            yield annotation
        return
    for argument in get_args(annotation):
        yield from models_in(argument)
