"""Markers that say where a handler parameter comes from: ``Annotated[int, Query()]``."""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = ["Body", "Cookie", "Form", "Header", "Param", "Query"]

Source = Literal["query", "header", "cookie", "body", "form"]


class Param:
    """Base of the source markers; ``alias`` names the field on the wire."""

    source: ClassVar[Source]

    def __init__(self, *, alias: str | None = None) -> None:
        self.alias = alias

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r})"


class Query(Param):
    """Read from the query string; a model marked ``Query()`` takes the whole query string."""

    source = "query"


class Header(Param):
    """Read from a request header; ``x_token`` reads ``x-token`` unless aliased."""

    source = "header"


class Cookie(Param):
    """Read from a request cookie."""

    source = "cookie"


class Body(Param):
    """Read the whole JSON request body."""

    source = "body"


class Form(Param):
    """Read a field of an urlencoded or multipart form body."""

    source = "form"
