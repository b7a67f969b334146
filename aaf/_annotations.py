"""Small readers of runtime annotations shared by plans and result encoders."""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Union, cast, get_args, get_origin

from pydantic import BaseModel
from pydantic.errors import PydanticUndefinedAnnotation, PydanticUserError

__all__ = ["annotated", "models_in", "strip_annotated", "unbuilt_model", "union_members"]


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
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return get_args(annotation)
    return (annotation,)


def strip_annotated(annotation: object) -> tuple[object, list[object]]:
    """Split ``Annotated[T, *meta]`` into ``T`` and its metadata."""
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
