"""Markers that say where a handler parameter comes from: ``Annotated[int, Query()]``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import ClassVar, Literal, Never, TypedDict, TypeVar, Unpack, cast, overload

from pydantic import JsonValue

__all__ = [
    "Body",
    "Constraints",
    "Cookie",
    "Dependency",
    "Depends",
    "File",
    "Form",
    "Header",
    "Param",
    "Path",
    "Query",
    "Security",
    "SecurityScopes",
]

Source = Literal["path", "query", "header", "cookie", "body", "form"]


class Constraints(TypedDict, total=False):
    """The keywords every marker takes: pydantic's ``Field`` constraints, and what the API
    document shows (``description``, ``title``, ``examples``, ``deprecated``,
    ``json_schema_extra``: more keys for the parameter's schema)."""

    description: str | None
    title: str | None
    examples: Sequence[object] | None
    deprecated: bool | None
    json_schema_extra: dict[str, JsonValue] | None
    gt: float | None
    ge: float | None
    lt: float | None
    le: float | None
    multiple_of: float | None
    allow_inf_nan: bool | None
    max_digits: int | None
    decimal_places: int | None
    min_length: int | None
    max_length: int | None
    pattern: str | None


class Param:
    """Base of the source markers; ``alias`` names the field on the wire.

    The other keywords are pydantic's ``Field`` constraints and what the API document shows,
    as FastAPI's markers take them: ``Query(ge=1, description="Page")``;
    ``include_in_schema=False`` leaves the parameter out of the document (it is still read).
    """

    source: ClassVar[Source]

    def __init__(
        self,
        *default: Never,
        alias: str | None = None,
        include_in_schema: bool = True,
        openapi_examples: Mapping[str, Mapping[str, JsonValue]] | None = None,
        **constraints: Unpack[Constraints],
    ) -> None:
        if default:  # FastAPI's old `q: str = Query(None)`: a type error, and said at run time
            raise TypeError(_positional_default(type(self).__name__, cast(object, default[0])))
        given = cast("Mapping[str, object]", constraints)
        if "default" in given:  # FastAPI's `Query(default=3)`: the value is there to show
            raise TypeError(_keyword_default(type(self).__name__, given["default"]))
        unknown = constraints.keys() - Constraints.__annotations__.keys()
        if unknown:
            # Type checkers refuse them; at run time pydantic's Field() would keep them as
            # schema extras and check nothing: `Query(gte=1)` let -4 through.
            raise TypeError(_unknown_keyword(type(self).__name__, min(unknown)))
        self.alias = alias
        self.include_in_schema = include_in_schema
        # Named examples for the API document (OpenAPI Example Objects: summary, description,
        # value), which Swagger UI offers in a list, as FastAPI's openapi_examples.
        self.openapi_examples: dict[str, dict[str, JsonValue]] = _examples(
            type(self).__name__, openapi_examples
        )
        # What goes into pydantic's Field() for this parameter (only what was given).
        self.field: dict[str, object] = {k: v for k, v in constraints.items() if v is not None}
        if "examples" in self.field:  # a list, as pydantic keeps them; any sequence here
            examples = cast("Sequence[object]", self.field["examples"])
            if isinstance(examples, (str, bytes)):  # a sequence of letters to a type checker
                raise TypeError(
                    f"{type(self).__name__}(examples={examples!r}) takes a list of examples: "
                    f"examples=[{examples!r}]"
                )
            self.field["examples"] = list(examples)

    def __repr__(self) -> str:
        # What was given, as it was written: Query(alias='q', ge=1), Body().
        given = [] if self.alias is None else [f"alias={self.alias!r}"]
        given += [f"{key}={value!r}" for key, value in self.field.items()]
        if not self.include_in_schema:
            given.append("include_in_schema=False")
        return f"{type(self).__name__}({', '.join(given)})"


# FastAPI's keywords aaf has another way to say, and what that is.
_SAID_OTHERWISE = {
    "default_factory": (
        "give the default as the parameter's, which a request leaving the parameter out gets "
        "a copy of: `q: Annotated[list[int], Query()] = []`"
    ),
    "regex": "pydantic's name for it is pattern=",
    "example": "write examples=[...], a list (FastAPI's example= is deprecated)",
    "min_items": "pydantic's name for it is min_length=",
    "max_items": "pydantic's name for it is max_length=",
    "embed": "a body is one model: write the model with a field of that name",
    "validation_alias": "the value's name on the wire is alias= (a path value's, the rule's)",
    "serialization_alias": "the value's name on the wire is alias= (a path value's, the rule's)",
    "media_type": "aaf reads JSON bodies and urlencoded or multipart forms by their Content-Type",
    "strict": (
        "a query, header, cookie, form or path value is text, which a strict int never "
        "takes; a JSON body's model can say Field(strict=True)"
    ),
}

# Param's own keywords a marker does not take, and what to write instead.
_FORM_REFUSES = {
    "openapi_examples": "a form is one schema in the API document: give its fields examples=[...]"
}
_REFUSED = {
    "Path": {
        "alias": "the rule names a path value; name the parameter as the rule does",
        "include_in_schema": "a path value is always in the API document: its path needs it",
        "openapi_examples": "a path value's examples go in examples=[...]",
    },
    "Form": _FORM_REFUSES,
    "File": _FORM_REFUSES,
}
_OWN = ("alias", "include_in_schema", "openapi_examples")


def _unknown_keyword(marker: str, keyword: str, refused: Mapping[str, str] | None = None) -> str:
    refused = _REFUSED.get(marker, {}) if refused is None else refused
    known = ", ".join([*(k for k in _OWN if k not in refused), *Constraints.__annotations__])
    how = refused.get(keyword) or _SAID_OTHERWISE.get(keyword)
    return f"{marker}() got an unexpected keyword argument {keyword!r}" + (
        f": {how}" if how else f" (it takes {known})"
    )


def _positional_default(marker: str, default: object) -> str:
    """What to write instead of a marker given a default by position, FastAPI's old spelling
    (``q: str = Query(None)``, ``item_id: int = Path(...)``)."""
    if default is Ellipsis:
        shown, how = (
            "...",
            f"a parameter with no default is required: `q: Annotated[int, {marker}()]`",
        )
    else:
        shown = repr(default)
        how = f"give it as the parameter's: {_with_default(marker, default)}"
    return f"{marker}({shown}) takes no default by position (FastAPI's old spelling); {how}"


def _keyword_default(marker: str, default: object) -> str:
    """What to write instead of a marker given ``default=`` (FastAPI's keyword)."""
    return (
        f"{marker}() got an unexpected keyword argument 'default': give the default as the "
        f"parameter's: {_with_default(marker, default)}"
    )


def _with_default(marker: str, default: object) -> str:
    """A parameter written with ``default``, its type guessed from it: ``q: Annotated[int,
    Query()] = 3``, ``str | None`` for ``None``."""
    shown = "str | None" if default is None else type(default).__name__
    if isinstance(default, list | set | tuple | frozenset):
        items = cast("list[object] | set[object] | tuple[object, ...]", default)
        item = next((type(item).__name__ for item in items), "str")
        shown += f"[{item}, ...]" if isinstance(default, tuple) else f"[{item}]"
    return f"`q: Annotated[{shown}, {marker}()] = {default!r}`"


def _refuse_own(marker: str, refused: Mapping[str, str], given: Mapping[str, object]) -> None:
    """A marker whose signature leaves out some of Param's keywords (``refused``) gets them in
    ``**constraints``, where Param would take them: refuse them first, saying why."""
    for keyword in refused:
        if keyword in given:
            raise TypeError(_unknown_keyword(marker, keyword, refused))


def _examples(
    marker: str, examples: Mapping[str, Mapping[str, JsonValue]] | None
) -> dict[str, dict[str, JsonValue]]:
    if not examples:
        return {}
    allowed = {"summary", "description", "value", "externalValue"}
    given = cast(object, examples)  # from code that is not type-checked, anything
    if not isinstance(given, Mapping) or not all(
        isinstance(example, Mapping) and set(cast("Mapping[str, object]", example)) <= allowed
        for example in cast("Mapping[str, object]", given).values()
    ):
        raise TypeError(
            f"{marker}(openapi_examples=...) takes {{name: {{'summary': ..., 'value': ...}}}} "
            f"(OpenAPI Example Objects: summary, description, value, externalValue), got "
            f"{examples!r}"
        )
    return {name: dict(example) for name, example in examples.items()}


class Path(Param):
    """Constrain or describe a rule variable's value: ``Annotated[int, Path(ge=1)]``.

    The rule names the value, so there is no ``alias``; a parameter marked ``Path()`` must be
    one of the rule's variables (registration refuses it otherwise).
    """

    source: ClassVar[Source] = "path"

    def __init__(self, *default: Never, **constraints: Unpack[Constraints]) -> None:
        _refuse_own("Path", _REFUSED["Path"], constraints)
        super().__init__(*default, **constraints)


class Query(Param):
    """Read from the query string; a model marked ``Query()`` takes the whole query string."""

    source: ClassVar[Source] = "query"


class Header(Param):
    """Read from a request header; ``x_token`` reads ``x-token`` unless aliased (or unless
    ``convert_underscores=False``: then the header ``x_token``, which proxies often drop)."""

    source: ClassVar[Source] = "header"

    def __init__(
        self,
        *default: Never,
        alias: str | None = None,
        convert_underscores: bool = True,
        include_in_schema: bool = True,
        openapi_examples: Mapping[str, Mapping[str, JsonValue]] | None = None,
        **constraints: Unpack[Constraints],
    ) -> None:
        super().__init__(
            *default,
            alias=alias,
            include_in_schema=include_in_schema,
            openapi_examples=openapi_examples,
            **constraints,
        )
        self.convert_underscores = convert_underscores


class Cookie(Param):
    """Read from a request cookie."""

    source: ClassVar[Source] = "cookie"


class Body(Param):
    """Read the whole JSON request body."""

    source: ClassVar[Source] = "body"


class Form(Param):
    """Read a field of an urlencoded or multipart form body."""

    source: ClassVar[Source] = "form"

    def __init__(
        self,
        *default: Never,
        alias: str | None = None,
        include_in_schema: bool = True,
        **constraints: Unpack[Constraints],
    ) -> None:
        _refuse_own(type(self).__name__, _FORM_REFUSES, constraints)
        super().__init__(*default, alias=alias, include_in_schema=include_in_schema, **constraints)


class File(Form):
    """A file part of a multipart form, as FastAPI's ``File()``: annotated ``UploadFile`` (or a
    list of them) it is the upload, annotated ``bytes`` its content. The same as ``Form()``,
    which reads uploads too."""


# Dependencies ------------------------------------------------------------------------------------
T = TypeVar("T")


class Dependency:
    """What ``Depends(provider)`` gives at run time: the marker a plan reads at registration.

    Type checkers see ``Depends(provider)`` as the provider's result type instead, so that a
    provider whose result does not fit the parameter's annotation is a type error.
    ``Security(provider, scopes=[...])`` is the same marker with the scopes it requires.
    """

    __slots__ = ("provider", "scopes", "use_cache")

    def __init__(
        self,
        provider: Callable[..., object] | None,
        use_cache: bool = True,
        scopes: Sequence[str] = (),
    ) -> None:
        marker = "Security" if scopes else "Depends"
        if provider is not None and not callable(provider):
            raise TypeError(f"{marker}() takes a function, got {provider!r}")
        if isinstance(scopes, str) or not all(
            isinstance(s, str) for s in cast("Sequence[object]", scopes)
        ):
            raise TypeError(f"Security() takes scopes=[...], a list of scope names, got {scopes!r}")
        # None: the parameter's class, called with its __init__'s parameters (read where
        # the parameter is, at registration).
        self.provider: Callable[..., object] | None = provider
        self.use_cache: bool = use_cache
        self.scopes: tuple[str, ...] = tuple(scopes)

    def __repr__(self) -> str:
        provider = self.provider
        given = [] if provider is None else [getattr(provider, "__qualname__", repr(provider))]
        if self.scopes:
            given.append(f"scopes={list(self.scopes)!r}")
        if not self.use_cache:
            given.append("use_cache=False")
        return f"{'Security' if self.scopes else 'Depends'}({', '.join(given)})"


class SecurityScopes:
    """What a provider's parameter annotated ``SecurityScopes`` is given: every scope that the
    ``Security(..., scopes=[...])`` above it ask for, from the handler's down to its own, each
    once, in that order (FastAPI's ``SecurityScopes``). ``scope_str`` joins them with spaces,
    as OAuth2's ``scope`` and ``WWW-Authenticate`` write them."""

    __slots__ = ("scope_str", "scopes")

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        if isinstance(scopes, str):  # a sequence of letters to a type checker
            raise TypeError(f"SecurityScopes takes a list of scope names: [{scopes!r}]")
        self.scopes: list[str] = list(scopes or ())
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"


# Overloads, most specific first: an async generator and a generator give what they yield, a
# coroutine function what it returns, a plain function its result. (One signature with a union
# would make mypy solve T as Never.)
@overload
def Depends(provider: Callable[..., AsyncIterator[T]], *, use_cache: bool = True) -> T: ...
@overload
def Depends(provider: Callable[..., Iterator[T]], *, use_cache: bool = True) -> T: ...
@overload
def Depends(provider: Callable[..., Awaitable[T]], *, use_cache: bool = True) -> T: ...
@overload
def Depends(provider: Callable[..., T], *, use_cache: bool = True) -> T: ...
@overload
def Depends(*, use_cache: bool = True) -> Dependency: ...
def Depends(provider: Callable[..., object] | None = None, *, use_cache: bool = True) -> object:  # noqa: N802
    """Fill a parameter from ``provider``: ``db: Db = Depends(get_db)`` or
    ``db: Annotated[Db, Depends(get_db)]``. With no provider, from the parameter's class,
    called with its ``__init__``'s parameters: ``paging: Annotated[Paging, Depends()]`` (a
    marker, not a value: type checkers refuse ``paging: Paging = Depends()``).

    The provider takes parameters as a handler does (the ``Connection`` by annotation, path,
    query, header, cookie and body values, other ``Depends``); it may be a plain or async
    function, or a generator that yields once (the code after ``yield`` runs once the response
    is finished). Each request calls it once however many parameters ask for it, unless
    ``use_cache=False``.
    """
    return Dependency(provider, use_cache)


# The same overloads as Depends' (see there), with the scopes the provider requires.
@overload
def Security(
    provider: Callable[..., AsyncIterator[T]],
    *,
    scopes: Sequence[str] = (),
    use_cache: bool = True,
) -> T: ...
@overload
def Security(
    provider: Callable[..., Iterator[T]], *, scopes: Sequence[str] = (), use_cache: bool = True
) -> T: ...
@overload
def Security(
    provider: Callable[..., Awaitable[T]], *, scopes: Sequence[str] = (), use_cache: bool = True
) -> T: ...
@overload
def Security(
    provider: Callable[..., T], *, scopes: Sequence[str] = (), use_cache: bool = True
) -> T: ...
@overload
def Security(*, scopes: Sequence[str] = (), use_cache: bool = True) -> Dependency: ...
def Security(  # noqa: N802
    provider: Callable[..., object] | None = None,
    *,
    scopes: Sequence[str] = (),
    use_cache: bool = True,
) -> object:
    """``Depends(provider)`` that requires OAuth2 ``scopes`` (FastAPI's ``Security``):
    ``user: User = Security(current_user, scopes=["items"])``. With no provider, as
    ``Depends()``: the parameter's class, in ``Annotated[Checker, Security(scopes=[...])]``.

    A provider below it (``current_user`` or any provider it depends on) that takes a
    parameter annotated :class:`SecurityScopes` is given every scope required on the way
    down, to check the token against them; the API document lists them in the operation's
    ``security``. A provider that reads them is called once per request for each set of
    scopes it is asked with; one that does not, once.
    """
    return Dependency(provider, use_cache, scopes)
