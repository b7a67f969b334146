"""Typed URL building, shared by routers, apps and connections (no aaf import at run time,
so that each of them can build on it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from aaf.connection import Connection
    from aaf.views import View

__all__ = ["UrlBuilding"]

P = ParamSpec("P")

# Flask's url_for keywords, which a route name's other values would put in the query string.
_FLASK_KEYWORDS = {
    "_external": (
        "url_for gives the path; connection.base_url + app.url_for(...).lstrip('/') is the "
        "whole URL"
    ),
    "_scheme": "connection.base_url has the scheme the client used",
    "_anchor": "add the fragment to the path: url_for(...) + '#top'",
    "_method": "a URL names a route, whatever its methods",
}
V = TypeVar("V", bound="View")


class UrlBuilding:
    """``url_for``, typed once for ``Router``, ``App`` and ``Connection``: by a route's name,
    or by its handler (a function, or a View method such as ``ItemView.get``) so that mypy
    checks the parameters. Each class says how it builds (``_build_url``)."""

    @overload
    def url_for(self, target: str, /, **params: object) -> str: ...
    @overload
    def url_for(
        self,
        target: Callable[Concatenate[Connection, P], object],
        /,
        *args: P.args,
        **params: P.kwargs,
    ) -> str: ...
    @overload
    def url_for(
        self,
        target: Callable[Concatenate[V, Connection, P], object],
        /,
        *args: P.args,
        **params: P.kwargs,
    ) -> str: ...
    def url_for(self, target: object, /, *args: object, **params: object) -> str:
        """Build the path of a route: by its name, or by its handler.

        Rule variables fill the path. By handler, query parameters fill the query string as
        the handler reads it (an alias, a ``Query()`` model's fields, values as JSON writes
        them, ``None`` left out); by name, the other values go to the query string as given.
        Give them as keywords.

        Raises:
            LookupError: no route has that name or handler, or the parameters do not fit
                (``NotInUrl``: the handler reads one from a header, a cookie, the body or a
                provider, which a URL cannot carry).
            TypeError: parameters were given by position.
            ValueError: a rule variable's value would build a URL that does not lead back
                to the route (``"a/b"`` for ``<name>``, ``-1`` for ``<int:id>``).
        """
        if args:
            raise TypeError("url_for() takes the handler's parameters as keywords")
        # By name, they would go to the query string as given (by handler, none is taken).
        if isinstance(target, str) and (flask := _FLASK_KEYWORDS.keys() & params.keys()):
            keyword = min(flask)
            raise TypeError(f"url_for() takes no {keyword}= (Flask's): {_FLASK_KEYWORDS[keyword]}")
        return self._build_url(target, params)

    def _build_url(self, target: object, params: dict[str, object]) -> str:
        raise NotImplementedError
