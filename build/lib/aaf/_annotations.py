"""Small readers of runtime annotations shared by plans and result encoders."""

from __future__ import annotations

import types
from typing import Annotated, Union, get_args, get_origin

__all__ = ["strip_annotated", "union_members"]


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
