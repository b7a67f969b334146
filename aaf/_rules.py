"""What a route's handler must look like, shared by registration and the mypy plugin.

Registration (``aaf._plan``) reads a handler with ``inspect``; the mypy plugin (``aaf.mypy``)
reads it from mypy's types. Both describe it in the neutral terms below (``Param``,
``Member``) and ask the same functions, which answer with the message to report or ``None``,
so the two cannot disagree on a rule or word it differently. Imports werkzeug only (and
pydantic when an ``any(...)`` rule's values are checked): the mypy plugin loads this module
inside mypy.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import re
import typing
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Literal
from urllib.parse import unquote

from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)

from aaf._http import TOKEN

__all__ = [
    "one_string_problem",
    "CONSTRAINTS",
    "CONVERTERS",
    "OWN_KEYWORDS",
    "HTTP_METHODS",
    "LazyBuilderRule",
    "Member",
    "Param",
    "ParamKind",
    "OpaqueConverter",
    "anything_kind",
    "constraint_problem",
    "converter_names",
    "converter_type",
    "custom_converter_problem",
    "cycle_problem",
    "first_param_problem",
    "body_and_form_problem",
    "fits",
    "FOREIGN_VIEW_HOOKS",
    "foreign_hook_problem",
    "generator_problem",
    "invalid_rule_problem",
    "operation_above_route_problem",
    "unslashed_rule_problem",
    "wrapped_after_route_problem",
    "leading_back",
    "resolved_away",
    "marker_problem",
    "nameable_problem",
    "named",
    "no_methods_problem",
    "not_a_plain_method_problem",
    "no_provider_problem",
    "not_async_problem",
    "path_problem",
    "field_text_problem",
    "forbidding_headers_problem",
    "no_choice_problem",
    "rule_choices",
    "unchosen_problem",
    "no_value_problem",
    "text_problem",
    "two_bodies_problem",
    "two_markers_problem",
    "wire_name_problem",
    "upload_problem",
    "rule_converters",
    "same_key_problem",
    "type_names",
    "unused_variable_problem",
    "websocket_body_problem",
    "whole_model_marker_problem",
]


_PATTERNS: dict[str, re.Pattern[str]] = {}


def named(value: object) -> str:
    """A function or class as a message names it (its qualified name), anything else by its
    repr (text given where a function goes, an instance)."""
    return getattr(value, "__qualname__", None) or repr(value)


def resolved_away(path: str) -> bool:
    """Whether ``path`` holds a ``.`` or ``..`` segment, which every client resolves away
    (RFC 3986 section 5.2.4; ``%2E%2E`` too, in WHATWG URLs): a link built with one names
    another place."""
    return "." in path and not {".", ".."}.isdisjoint(path.split("/"))


def _leads_back(converter: BaseConverter, text: str, bounded: bool = False) -> None:
    """Refuse to build a path segment the converter would not match, or (``bounded``: a
    number converter's ``min``, ``max`` or ``fixed_digits``) would not convert back:
    werkzeug builds ``/files/a/b`` for ``<name>`` given ``"a/b"`` (and ``/items/-1`` for
    ``<int:item_id>``), a URL that leads to another route or to none.

    Raises:
        ValueError: saying why, for ``url_for`` to name the route.
    """
    if resolved_away(text):
        # werkzeug builds /s/.. for <name> given "..", which leaves the route.
        raise ValueError(
            f"{text!r} is not a value its rule variable matches: a '.' or '..' path segment"
            " is resolved away by clients"
        )
    pattern = _PATTERNS.get(converter.regex)
    if pattern is None:  # one per rule's converter, compiled at its first build
        pattern = _PATTERNS[converter.regex] = re.compile(converter.regex)
    if pattern.fullmatch(text) is not None:
        if not bounded:
            return
        try:
            converter.to_python(text)
            return
        except ValidationError:
            pass
    hint = (
        ": a <name> variable takes one path segment, <path:name> several"
        if "/" in text and not isinstance(converter, PathConverter)
        else ""
    )
    raise ValueError(f"{text!r} is not a value its rule variable matches{hint}")


def _bounded(converter: NumberConverter) -> bool:
    return bool(converter.fixed_digits) or converter.min is not None or converter.max is not None


def _number(kind: str, name: str, value: object) -> None:
    if value is not None and (type(value) is bool or not isinstance(value, int | float)):
        raise ValueError(f"{kind}({name}=...) takes a number, not {value!r}")


def _whole(kind: str, name: str, value: object, least: int) -> None:
    if type(value) is not int or value < least:
        raise ValueError(f"{kind}({name}=...) takes a whole number from {least}, not {value!r}")


def _number_arguments(
    kind: str, minimum: object, maximum: object, signed: object, fixed_digits: object = 0
) -> None:
    """Refuse a number converter's arguments that werkzeug would keep and fail on at each
    request (``max=x``, read as the text 'x', made every match a 500 comparing an int with
    it) or that no value could meet (``fixed_digits=x``, ``min`` above ``max``)."""
    _number(kind, "min", minimum)
    _number(kind, "max", maximum)
    _whole(kind, "fixed_digits", fixed_digits, 0)
    if type(signed) is not bool:
        raise ValueError(f"{kind}(signed=...) takes True or False, not {signed!r}")
    if isinstance(minimum, int | float) and isinstance(maximum, int | float) and minimum > maximum:
        raise ValueError(f"{kind}(min={minimum!r}, max={maximum!r}) matches no number")


class AsciiIntegerConverter(IntegerConverter):
    """werkzeug's ``int`` converter on ASCII digits only: its ``\\d`` also takes full-width
    and other Unicode digits, so ``/items/１２`` would reach a handler as 12. Like each
    converter here, it builds only URLs it matches (``_leads_back``), and refuses arguments
    it could not use (``_number_arguments``)."""

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,  # noqa: A002  # werkzeug's name, which it passes by keyword
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        _number_arguments("int", min, max, signed, fixed_digits)
        super().__init__(map, fixed_digits, min, max, signed)

    def to_url(self, value: object) -> str:
        text = super().to_url(value)
        if not isinstance(value, int | str) and int(text) != value:
            # werkzeug builds /items/3 for 3.7 (int() truncates): a link to another item.
            raise ValueError(f"{value!r} is not a whole number, which {text!r} would stand for")
        _leads_back(self, text, _bounded(self))
        return text


class AsciiFloatConverter(FloatConverter):
    """werkzeug's ``float`` converter on ASCII digits only."""

    regex = r"[0-9]+\.[0-9]+"

    def __init__(
        self,
        map: Map,  # noqa: A002
        min: float | None = None,  # noqa: A002
        max: float | None = None,  # noqa: A002
        signed: bool = False,
    ) -> None:
        _number_arguments("float", min, max, signed)
        super().__init__(map, min, max, signed)

    def to_url(self, value: object) -> str:
        text = super().to_url(value)
        _leads_back(self, text, _bounded(self))
        return text


class _Exact(BaseConverter):
    """A string converter that builds only values it matches (put before werkzeug's own)."""

    def to_url(self, value: object) -> str:
        _leads_back(self, str(value))
        return super().to_url(value)


class SegmentConverter(_Exact, UnicodeConverter):
    """werkzeug's default (``<name>``, ``<string(length=2):code>``), refusing lengths that
    werkzeug would cut to whole numbers (``maxlength=2.5``) or that match nothing (``minlength``
    above ``maxlength``, which made the app's whole matcher fail at its first request)."""

    def __init__(
        self,
        map: Map,  # noqa: A002
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        _whole("string", "minlength", minlength, 0)
        if maxlength is not None:
            _whole("string", "maxlength", maxlength, 1)
            if maxlength < minlength:
                raise ValueError(
                    f"string(minlength={minlength}, maxlength={maxlength}) matches no text"
                )
        if length is not None:
            _whole("string", "length", length, 1)
        super().__init__(map, minlength, maxlength, length)


class _NoArguments(BaseConverter):
    """A converter that takes no arguments: werkzeug's ``path`` and ``uuid`` took any and
    ignored them (``<path(maxlength=3):p>`` matched paths of any length)."""

    written = ""  # the converter's name in a rule

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:  # noqa: A002
        if args or kwargs:
            given = [repr(arg) for arg in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
            raise ValueError(f"{self.written}(...) takes no arguments, given {', '.join(given)}")
        super().__init__(map)


class ExactPathConverter(_Exact, _NoArguments, PathConverter):
    """werkzeug's ``path``."""

    written = "path"


class ExactAnyConverter(_Exact, AnyConverter):
    """werkzeug's ``any(a, b)``."""


class ExactUUIDConverter(_Exact, _NoArguments, UUIDConverter):
    """werkzeug's ``uuid``."""

    written = "uuid"


CONVERTERS: Mapping[str, type[BaseConverter]] = {
    "default": SegmentConverter,
    "string": SegmentConverter,
    "path": ExactPathConverter,
    "any": ExactAnyConverter,
    "int": AsciiIntegerConverter,
    "float": AsciiFloatConverter,
    "uuid": ExactUUIDConverter,
}

# `{name}` and `{name:kind}`, as FastAPI, Starlette and OpenAPI write path variables.
_BRACED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")
# A rule variable's name: `<name>` or `<converter(arguments):name>`.
_VARIABLE = re.compile(r"<(?:[^<>]*:)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*>")

# The value each werkzeug converter gives, where it is not a plain str.
_CONVERTER_TYPES: dict[type[BaseConverter], type] = {
    IntegerConverter: int,
    FloatConverter: float,
    UUIDConverter: uuid.UUID,
}


class LazyBuilderRule(Rule):
    """A werkzeug rule that compiles each of its two URL builders when it first builds a URL.

    PERF: werkzeug compiles them from source whenever a rule is bound to a map, a quarter of
    registering a route and nine tenths of compiling a router's map at the first request
    (benchmarks/registration.py); a rule parsed for its converters never builds a URL, nor
    do most routes.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_lazily(rule: Rule, *args: object, **kwargs: object) -> tuple[str, str]:
            builder: Callable[..., tuple[str, str]] = compile_now(append_unknown).__get__(rule)
            setattr(rule, attribute, builder)
            return builder(*args, **kwargs)

        return build_lazily


def rule_converters(
    rule: str,
    websocket: bool = False,
    custom: Mapping[str, type[BaseConverter]] | None = None,
) -> Mapping[str, BaseConverter]:
    """Parse ``rule`` as the router will (with its ``custom`` converters beside werkzeug's)
    and give each variable's converter.

    Raises:
        ValueError: werkzeug cannot parse the rule.
        LookupError: the rule names a converter that does not exist.
    """
    braced = _BRACED.search(rule)
    if braced is not None:  # FastAPI's and OpenAPI's spelling, a literal to werkzeug
        text, name, kind = braced.group(0), braced.group(1), braced.group(2)
        written = (
            f"<{kind}:{name}>"
            if kind in ("int", "float", "path", "uuid")
            else f"<{name}> or <int:{name}>"
        )
        raise ValueError(
            f"{text} would match only the text {text}: aaf writes rule variables in "
            f"werkzeug's syntax, {written}"
        )
    # A scratch map binds the rule, which parses it and builds its converters.
    scratch = LazyBuilderRule(rule, websocket=websocket)
    try:
        Map([scratch], converters={**CONVERTERS, **custom} if custom else CONVERTERS)
    except TypeError as exc:  # werkzeug calls the converter with the arguments as written
        if _ANY_NUMBER.search(rule):  # any(1, 2): werkzeug reads 1 as a number, then fails
            raise ValueError(
                "any(...) matches text: quote a value that reads as a number, any('1', '2')"
            ) from None
        raise ValueError(f"a converter does not take the arguments given: {exc}") from None
    # werkzeug's URL builder takes one parameter per variable: a name given twice is a
    # SyntaxError when it is compiled (at the first url_for), said here.
    names = [name for dynamic, name in scratch._trace if dynamic]  # pyright: ignore[reportPrivateUsage]  # werkzeug's
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"the variable <{'>, <'.join(twice)}> appears twice")
    converters = dict(scratch._converters)  # pyright: ignore[reportPrivateUsage]  # werkzeug's
    for name, converter in converters.items():
        # werkzeug compiles the app's rules together at its first match: a converter's regex
        # that does not compile failed every request to the app, each route's with it.
        try:
            re.compile(converter.regex)
        except re.error as exc:
            raise ValueError(
                f"the converter of <{name}>, {type(converter).__name__}, has a regex that "
                f"does not compile ({converter.regex!r}: {exc})"
            ) from None
    return converters


# An any(...) converter given a value werkzeug's argument parser reads as a number.
_ANY_NUMBER = re.compile(r"<any\((?:[^)]*,)?\s*[-+]?(?:\d|\.\d)[^,)]*(?:,[^)]*)?\):")


def converter_type(converter: BaseConverter) -> type:
    """Give the Python type a werkzeug converter produces (``str`` for the string ones); for
    an app's own converter, the class its ``to_python`` is annotated to return (``object``,
    which any annotation takes, when that is not a class)."""
    for cls, produced in _CONVERTER_TYPES.items():
        if isinstance(converter, cls):
            return produced
    to_python = type(converter).to_python
    if to_python is BaseConverter.to_python or isinstance(converter, _WERKZEUG_TEXT):
        return str
    try:
        returned = typing.get_type_hints(to_python).get("return")
    except Exception:  # noqa: BLE001  # a name its module cannot resolve: nothing known
        return object
    return returned if isinstance(returned, type) else object


def custom_converter_problem(name: object, converter: object) -> str | None:
    """Whether ``converter`` may be given to a router under ``name``: a werkzeug converter
    class under a name of its own (werkzeug's names keep werkzeug's meaning in every rule)."""
    if not isinstance(name, str) or not name.isidentifier():
        return f"a converter's name must be an identifier, got {name!r}"
    if name in CONVERTERS:
        return (
            f"the converter name {name!r} is werkzeug's own: give {_class_name(converter)} "
            "another name"
        )
    if not isinstance(converter, type) or not issubclass(converter, BaseConverter):
        return (
            f"the converter {name!r} must be a subclass of werkzeug's BaseConverter, "
            f"got {converter!r}"
        )
    return None


def _class_name(value: object) -> str:
    return getattr(value, "__name__", repr(value))


class OpaqueConverter(BaseConverter):
    """Stands for a converter of the app's own that the mypy plugin cannot see: it may give
    any value."""

    def to_python(self, value: str) -> object:
        return value


def leading_back(converter: type[BaseConverter]) -> type[BaseConverter]:
    """An app's own ``converter`` that builds only paths it matches back, as werkzeug's
    do here (``_leads_back``): its ``to_url``'s text, decoded, must match its regex. One
    class for each, made the first time."""
    built = _LEADING_BACK.get(converter)
    if built is not None:
        return built

    def to_url(self: BaseConverter, value: object) -> str:
        text: str = converter.to_url(self, value)
        _leads_back(self, unquote(text))
        return text

    namespace = {"to_url": to_url, "__qualname__": converter.__qualname__}
    built = type(converter.__name__, (converter,), namespace | {"__module__": converter.__module__})
    _LEADING_BACK[converter] = built
    return built


_LEADING_BACK: dict[type[BaseConverter], type[BaseConverter]] = {}


def rule_variables(rule: str) -> frozenset[str]:
    """The variables ``rule`` has (``<int:item_id>`` is ``item_id``)."""
    return frozenset(_VARIABLE.findall(rule))


def converter_names(rule: str) -> list[str]:
    """The converters ``rule`` names (``<hex:n>`` names ``hex``), in order."""
    return _CONVERTER_NAME.findall(rule)


_CONVERTER_NAME = re.compile(r"<\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^)]*\))?\s*:")
# Converters whose to_python gives the matched text as it is.
_WERKZEUG_TEXT = (UnicodeConverter, PathConverter, AnyConverter)


# The methods a View may define, one per HTTP method it answers.
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "head")

# How a parameter is declared: before `/`, plain, `*args`, after `*`, `**kwargs`.
ParamKind = Literal["positional_only", "positional", "var_positional", "keyword", "var_keyword"]


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    """One member of a parameter's annotation (a union has several), as a path value meets it."""

    mro: tuple[str, ...] = ()  # the class's and its bases' qualified names ("builtins.int")
    literals: tuple[object, ...] | None = None  # the values of a Literal[...]
    anything: bool = False  # Any, object or a type variable: takes every value


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """A handler's parameter as the rules see it."""

    name: str
    kind: ParamKind
    shown: str | None  # the annotation as written for a message; None when not annotated
    connection: bool = False  # annotated with Connection (or a subclass)


def type_names(cls: type) -> tuple[str, ...]:
    """The qualified names of a class and its bases, as mypy spells a type's MRO."""
    return tuple(f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__)


def fits(members: Iterable[Member], produced: type) -> bool:
    """Whether a path value of type ``produced`` (not str) fits an annotation's members.

    It fits a member that is anything, a Literal whose values are all of that type, a class
    related to it either way (``bool`` for ``int``, ``object``), or ``float`` for ``int``.
    """
    produced_names = type_names(produced)
    for member in members:
        if member.anything:
            return True
        if member.literals is not None:
            if all(isinstance(value, produced) for value in member.literals):
                return True
            continue
        if not member.mro:
            continue
        if produced_names[0] in member.mro or member.mro[0] in produced_names:
            return True
        if produced is int and member.mro[0] == "builtins.float":
            return True
    return False


def first_param_problem(
    qualname: str, first: Param | None, rule_variables: Collection[str]
) -> str | None:
    """A handler takes the connection first (a provider gets it by annotation instead)."""
    if first is None or first.kind not in ("positional_only", "positional"):
        return f"{qualname} must take the connection as its first parameter"
    if (first.shown is not None and not first.connection) or (
        first.shown is None and first.name in rule_variables
    ):
        shown = "" if first.shown is None else f": {first.shown}"
        return (
            f"{qualname} must take the connection as its first parameter, got "
            f"{first.name}{shown}; add `connection: Connection` before it"
        )
    return None


def scopes_problem(qualname: str, name: str) -> str:
    """``SecurityScopes`` is a provider's: a handler has no Security above it to give any."""
    return (
        f"{qualname}: parameter {name!r} is annotated SecurityScopes, which only a provider "
        "takes (the scopes the Security(..., scopes=[...]) above it require); check them in "
        "the provider the handler's Security(...) names"
    )


def nameable_problem(qualname: str, param: Param) -> str | None:
    """Values are passed by name: ``*args`` and positional-only parameters have no source."""
    if param.kind in ("var_positional", "positional_only"):
        return (
            f"{qualname}: parameter {param.name!r} must be nameable: aaf passes each value by "
            "its name, so *args and parameters before / are given none"
        )
    return None


def path_problem(
    qualname: str, name: str, shown: str, members: Iterable[Member], produced: type
) -> str | None:
    """A rule variable's converter must be able to produce its parameter's annotation (a
    converter giving ``object`` may give anything: its value is validated)."""
    if produced is str or produced is object or fits(members, produced):
        return None
    return (
        f"{qualname}: parameter {name!r} is annotated {shown}, "
        f"but its rule converter gives {produced.__name__}"
    )


def no_provider_problem(qualname: str) -> str:
    """``Depends()`` with no provider where no parameter's annotation names the class to call
    (``dependencies=[...]``, a View's attribute)."""
    return (
        f"{qualname}: Depends() names no provider, so it can only mark a parameter whose "
        "class it calls (Annotated[Paging, Depends()]); write Depends(provider)"
    )


def bare_provider_problem(provider: str) -> str:
    """A provider itself in ``dependencies=[...]``, not given to ``Depends``, FastAPI's
    spelling's too: ``dependencies=[check_key]``."""
    return (
        f"dependencies= takes Depends(provider) values, got the provider {provider} itself: "
        f"write Depends({provider})"
    )


def foreign_marker_problem(qualname: str, name: str, marker: str, annotation: str) -> str:
    """FastAPI's ``Query()``, ``Depends()``, ... (an app being ported, its imports kept):
    aaf reads none of them, and mypy takes them (FastAPI types them ``Any``)."""
    where = (
        ""
        if marker in ("Depends", "Security")
        else (f", in the annotation: {name}: Annotated[{annotation}, {marker}()]")
    )
    return (
        f"{qualname}: parameter {name!r} is marked with FastAPI's {marker}(), which aaf does "
        f"not read: use aaf's (from aaf.params import {marker}){where}"
    )


# What a handler of an app being ported takes from Starlette or FastAPI by its type, and how
# aaf gives it.
_PORTED_TYPES = {
    "Request": "the request is the Connection, a handler's first parameter (a provider's by "
    "its annotation): `connection: Connection` (from aaf.connection import Connection), its "
    "req_headers, query, req_cookies and `await connection.body()`",
    "Response": "set the answer's headers, cookies and status on the Connection "
    "(connection.put_resp_header, connection.put_resp_cookie, connection.resp_status_code = "
    "201), or return a response (from aaf.response import HttpResponse)",
    "BackgroundTasks": "give the work to connection.add_background(fn, *args), which runs "
    "it once the response is sent (its arguments type-checked)",
}
_PORTED_TYPES["HTTPConnection"] = _PORTED_TYPES["WebSocket"] = _PORTED_TYPES["Request"]


def ported_type_problem(qualname: str, name: str, module: str, kind: str) -> str | None:
    """A parameter annotated with Starlette's or FastAPI's ``Request``, ``WebSocket``,
    ``Response`` or ``BackgroundTasks`` (the class ``kind`` of ``module``; an app being
    ported): what to write instead."""
    if module.partition(".")[0] not in ("starlette", "fastapi"):
        return None
    how = _PORTED_TYPES.get(kind)
    if how is None:
        return None
    return (
        f"{qualname}: parameter {name!r} is annotated {kind} (Starlette's, as FastAPI "
        f"takes it), which aaf does not give: {how}"
    )


def marker_default_problem(qualname: str, name: str, marker: str, annotation: str) -> str:
    """A marker given as the parameter's default, FastAPI's spelling (``q: str = Query()``),
    or pydantic's ``Field(10, ge=1)``: aaf reads them from the annotation only, and a default
    is a value, so the marker would reach the handler as the value of a parameter the request
    left out (and a ``Field``'s constraints would check nothing)."""
    return (
        f"{qualname}: parameter {name!r} has {marker}() as its default; aaf reads {marker}() "
        f"from the annotation: {name}: Annotated[{annotation}, {marker}()], with a default "
        "value, if any, after it"
    )


def marker_problem(
    qualname: str, name: str, marker: str, is_path: bool, in_rule: bool
) -> str | None:
    """A rule variable comes from the path, and only a rule variable can: ``Path()`` (or a
    subclass, ``is_path``) marks one, the other markers (``Query()``, ``Header()``, ...) a
    parameter that is not one. ``marker`` is the marker's class name, for the message."""
    if in_rule and not is_path:
        return (
            f"{qualname}: parameter {name!r} is the rule variable <{name}>, which comes from the "
            f"path: mark it Path(), not {marker}()"
        )
    if not in_rule and is_path:
        return f"{qualname}: parameter {name!r} is marked {marker}(), but the rule has no <{name}>"
    return None


def unused_variable_problem(
    qualname: str,
    rule_variables: Iterable[str],
    used: Collection[str],
    provided: Collection[str] = (),
) -> str | None:
    """Every rule variable fills a parameter (of the handler or one of its providers); a
    parameter a provider gives (``provided``) is not filled from the path, whatever its name."""
    for variable in rule_variables:
        if variable in used:
            continue
        if variable in provided:
            return (
                f"{qualname}: the rule variable <{variable}> fills no parameter: parameter "
                f"{variable!r} is given by its provider (Depends), not by the path; rename one "
                "of them"
            )
        return f"{qualname}: the rule variable <{variable}> has no parameter of that name"
    return None


def no_choice_problem(qualname: str, name: str, shown: str, items: Iterable[str]) -> str:
    """A rule variable of ``any(...)`` matches its listed values only: where its parameter's
    type (with its constraints) takes none of them, every request is a 422."""
    listed = ", ".join(items)
    return (
        f"{qualname}: parameter {name!r} is annotated {shown}, which none of the values its "
        f"rule converter matches (any({listed})) is valid for"
    )


def rule_choices(converters: Mapping[str, BaseConverter]) -> dict[str, tuple[str, ...]]:
    """The values each ``any(...)`` variable of a rule matches, by variable, in the order
    registration checks them (sorted)."""
    return {
        name: tuple(sorted(converter.items))
        for name, converter in converters.items()
        if isinstance(converter, AnyConverter)
    }


# The classes an any(...) value is checked against without the app's code (the plugin knows
# a member by its class's name): pydantic validates the text as registration has it do.
_CHECKABLE: Mapping[str, type] = {
    "builtins.int": int,
    "builtins.float": float,
    "builtins.bool": bool,
    "builtins.bytes": bytes,
    "builtins.NoneType": type(None),
    "uuid.UUID": uuid.UUID,
    "decimal.Decimal": decimal.Decimal,
    "datetime.date": datetime.date,
    "datetime.datetime": datetime.datetime,
    "datetime.time": datetime.time,
    "datetime.timedelta": datetime.timedelta,
}


def unchosen_problem(
    qualname: str, name: str, shown: str, members: Iterable[Member], items: Iterable[str]
) -> str | None:
    """``no_choice_problem`` where it can be decided from the annotation's members alone
    (the mypy plugin's view): each a ``Literal`` of text or a class of ``_CHECKABLE``
    (``str`` takes every value). Any other member, a class or enum of the app's own, may
    take a value its own way: left to registration (``None``), which validates each value."""
    items = tuple(items)
    classes: list[type] = []
    for member in members:
        if member.literals is not None:
            if not all(type(value) is str for value in member.literals):
                return None  # Literal[1]: registration reads text into it its own way
            if any(item in member.literals for item in items):
                return None
        elif member.anything or not member.mro or member.mro[0] not in _CHECKABLE:
            return None  # str, an enum, a class of the app's: not decided here
        else:
            classes.append(_CHECKABLE[member.mro[0]])
    if classes:
        from pydantic import TypeAdapter  # noqa: PLC0415  # only for any(...) values
        from pydantic import ValidationError as Invalid  # noqa: PLC0415

        adapter: TypeAdapter[object] = TypeAdapter(typing.Union[tuple(classes)])  # type: ignore[arg-type]  # noqa: UP007  # a union of the classes found
        for item in items:
            try:
                adapter.validate_python(item)
            except Invalid:
                continue
            return None
    return no_choice_problem(qualname, name, shown, items)


def forbidding_headers_problem(qualname: str, name: str, model: str) -> str:
    """A header model with ``extra="forbid"``: every HTTP/1.1 request carries a ``Host``
    header (and clients add ``User-Agent``, ``Accept``, ...), which it would refuse, so every
    request would be a 422 (FastAPI's too)."""
    return (
        f"{qualname}: parameter {name!r}: the header model {model} forbids extra keys "
        "(extra='forbid'), but every request carries headers it does not read (Host, and "
        "what the client adds): every request would be a 422; leave extra at 'ignore' and "
        "check the headers you refuse in a provider"
    )


def same_key_problem(qualname: str, first: str, second: str, source: str, key: str) -> str:
    """Two parameters of one handler (or provider) read one value: the API document can
    show it as one of their types only, and a request valid as that one was refused by the
    other. (A handler and its provider may: the document shows the value as both.)"""
    return (
        f"{qualname}: parameters {first!r} and {second!r} both read the {source} value "
        f"{key!r}: give one of them another name or alias, or read it once"
    )


def no_value_problem(qualname: str, name: str, marker: str, named: str, shown: str) -> str:
    """A marker's constraints that no value of a ``Literal``, an enum or a ``bool`` meets:
    every request that gives the parameter would be a 422."""
    return (
        f"{qualname}: parameter {name!r}: {marker}({named}...) leaves none of the values of {shown}"
    )


def upload_problem(qualname: str, name: str, shown: str, source: str) -> str:
    """An uploaded file read from the path, the query, a header, a cookie (which carry text
    only) or the JSON body: every request would be a 422."""
    where = "JSON body" if source == "body" else source
    return (
        f"{qualname}: parameter {name!r} is annotated {shown}, an uploaded file, which no "
        f"{where} value can be: files come in a multipart form; mark it File()"
    )


def text_problem(qualname: str, name: str, shown: str, source: str) -> str:
    """A path, query, header, cookie or form value is text (a list of texts for a list): a
    type that only an object or a mapping can fill (a dataclass, a dict, a model that is not
    the whole source) would make every request a 422."""
    whole = (
        ""
        if source == "path"
        else f"A pydantic model marked {source.capitalize()}() (not in a union or a list) "
        f"reads several {source} values as its fields; "
    )
    body = "; Annotated[..., Body()] reads it from the JSON body" if source == "query" else ""
    return (
        f"{qualname}: parameter {name!r} is annotated {shown}, which no {source} value can "
        f"fill: a {source} value is {'one text' if source == 'cookie' else 'text'}. {whole}"
        f"Json[...] (pydantic) reads JSON text into it; a provider (Depends) can build it{body}"
    )


def field_text_problem(
    qualname: str, name: str, model: str, field: str, shown: str, source: str
) -> str:
    """A model marked ``Query()`` (``Header()``, ``Cookie()``, ``Form()``) is filled field by
    field from text: a field only an object or a mapping can fill would make every request
    that sends it a 422, as ``text_problem`` says of a parameter."""
    return (
        f"{qualname}: parameter {name!r} is the model {model} marked "
        f"{source.capitalize()}(), whose field {field!r} is annotated {shown}, which no "
        f"{source} value can fill: a {source} value is "
        f"{'one text' if source == 'cookie' else 'text'}. Json[...] (pydantic) reads JSON "
        f"text into it; a field_validator(mode='before') can parse the text its own way"
    )


# Which of a marker's constraints a kind of value takes. Given to another, pydantic checks
# the constraint by comparing the value (`"abc" >= 1`), a TypeError at the first request: a
# 500 for a mistake registration can name.
# A bound is compared (`value >= 1`), which a date, a time or a duration can be too;
# only a Decimal has digits to count (`max_digits=` on an int or a float is that TypeError).
_BOUNDS = frozenset(("gt", "ge", "lt", "le"))
_COMPARED = _BOUNDS | {"multiple_of", "allow_inf_nan"}
_NUMERIC = _COMPARED | {"max_digits", "decimal_places"}
_SIZED = frozenset(("min_length", "max_length"))
ValueKind = Literal[
    "a model",
    "text",
    "bytes",
    "a number",
    "a decimal",
    "a collection",
    "a date or time",
    "a duration",
    "a UUID",
    "an enum member",
    "text or a file",
    "any JSON value",
    "a complex number",
    "a file path",
    "secret text",
    "a secret value",
    "a compiled pattern",
]
_TAKES: dict[ValueKind, frozenset[str]] = {
    "a model": frozenset(),
    "text": _SIZED | {"pattern"},
    "bytes": _SIZED,
    "a number": _COMPARED,
    "a decimal": _NUMERIC,
    "a collection": _SIZED,
    "a date or time": _BOUNDS,
    "a duration": _BOUNDS | {"multiple_of"},
    "a UUID": frozenset(),
    "an enum member": frozenset(),
    "text or a file": frozenset(),  # what Any is given from a form
    "any JSON value": frozenset(),  # from the body, or Json[Any]: a number has no length
    "a complex number": frozenset(),  # no order, no length
    "a file path": frozenset(),  # pydantic compares no bound, length or pattern to a Path
    "secret text": _SIZED,  # SecretStr, SecretBytes: their length, not a pattern
    "a secret value": frozenset(),  # Secret[T]: what it hides is not compared
    "a compiled pattern": frozenset(),  # re.Pattern: not its text's length
}
CONSTRAINTS = _NUMERIC | _SIZED | {"pattern"}
# The kind of value a marker's constraints would constrain, by class (its full name as mypy
# spells it): the first a type has among its bases. Registration resolves the names to the
# classes (``typing.Sequence`` is ``collections.abc.Sequence`` there) and the mypy plugin
# looks them up among mypy's bases, so the two read one table. Models, enums, literals and
# NewTypes are told apart before it.
VALUE_KINDS: tuple[tuple[str, ValueKind], ...] = (
    ("builtins.str", "text"),
    ("builtins.bytes", "bytes"),
    ("builtins.bytearray", "bytes"),
    ("decimal.Decimal", "a decimal"),
    ("builtins.int", "a number"),
    ("builtins.float", "a number"),
    ("builtins.list", "a collection"),
    ("builtins.tuple", "a collection"),
    ("builtins.set", "a collection"),
    ("builtins.frozenset", "a collection"),
    ("builtins.dict", "a collection"),
    ("collections.deque", "a collection"),
    # Written by what they do (str and bytes, Sequences too, are told apart above).
    ("typing.Sequence", "a collection"),
    ("typing.AbstractSet", "a collection"),
    ("typing.Mapping", "a collection"),
    ("datetime.date", "a date or time"),
    ("datetime.time", "a date or time"),
    ("datetime.timedelta", "a duration"),
    ("uuid.UUID", "a UUID"),
    ("builtins.complex", "a complex number"),
    ("pathlib.PurePath", "a file path"),
    ("pydantic.types.SecretStr", "secret text"),
    ("pydantic.types.SecretBytes", "secret text"),
    ("pydantic.types.Secret", "a secret value"),
    ("re.Pattern", "a compiled pattern"),
)


def anything_kind(source: str | None) -> ValueKind | None:
    """What a parameter annotated ``Any`` (or ``object``) is given from ``source``: text from
    a query, header, cookie or path value, text or an uploaded file from a form, any JSON
    value from the body; ``None`` for a value a rule's converter made (of its own type)."""
    if source in ("query", "header", "cookie", "path"):
        return "text"
    if source == "form":
        return "text or a file"
    return "any JSON value" if source == "body" else None


def constraint_problem(
    qualname: str, name: str, marker: str, shown: str, kind: ValueKind, given: Iterable[str]
) -> str | None:
    """Whether a marker's constraints (``given``, in the order written) can apply to one union
    member of the parameter's type, shown as ``shown``, of ``kind``: ``Query(ge=1)`` cannot
    constrain a ``str``, nor ``Body(max_length=3)`` a model."""
    refused = [keyword for keyword in given if keyword in CONSTRAINTS - _TAKES[kind]]
    if not refused:
        return None
    named = ", ".join(f"{keyword}=" for keyword in refused)
    takes = sorted(_TAKES[kind])
    if kind == "a model":
        hint = "constrain the model's fields with Field(...) instead"
    elif takes:
        hint = f"{kind} takes {', '.join(f'{keyword}=' for keyword in takes)}"
    else:
        hint = f"{kind} takes none"
    return (
        f"{qualname}: parameter {name!r}: {marker}({named}...) cannot constrain {shown}, "
        f"{kind}; {hint}"
    )


# A marker's own keywords (the rest are pydantic's Field's), the order a message names them.
OWN_KEYWORDS = ("alias", "openapi_examples")


def whole_model_marker_problem(
    qualname: str, name: str, marker: str, given: Collection[str], model: str
) -> str | None:
    """A model marked ``Query()`` (``Header()``, ``Cookie()``, ``Form()``) is read field by
    field, each field a parameter of its own in the API document: the marker's alias,
    examples and descriptions (``given``: the keywords given, Field's in the order written)
    would apply to none of them; ``include_in_schema`` applies to all."""
    named_first = [keyword for keyword in OWN_KEYWORDS if keyword in given]
    rest = [k for k in given if k not in OWN_KEYWORDS and k != "include_in_schema"]
    if not named_first and not rest:
        return None
    named = ", ".join(f"{keyword}=" for keyword in [*named_first, *rest])
    return (
        f"{qualname}: parameter {name!r}: {marker}({named}...) applies to no field of "
        f"{model}, which is read field by field (each one a parameter of its own "
        f"in the API document): give its fields Field(...) instead; {marker}() on a model "
        f"takes include_in_schema= only"
    )


def cycle_problem(names: Iterable[str]) -> str:
    """Providers that depend on each other, named from the first to itself again."""
    return "Dependency cycle: " + " -> ".join(names) + "; a provider cannot depend on itself"


def status_problem(qualname: str, status_code: int) -> str | None:
    """A route's status code that no response can have (1xx are not a handler's answer)."""
    if 200 <= status_code <= 599:
        return None
    return f"{qualname}: status_code {status_code} is not a response's status (200 to 599)"


def empty_status_problem(qualname: str, status_code: int, returned: str) -> str:
    """A route whose status sends no body (204, 205, 304) with a handler annotated to return a
    value that would go out as one: the value would be dropped unseen."""
    return (
        f"{qualname}: status_code {status_code} sends no body, but it returns {returned}: "
        "annotate it -> None (a response object it returns keeps its own status)"
    )


def operation_above_route_problem(qualname: str) -> str:
    """``@operation(...)`` written above a function's route decorator: decorators run from
    the bottom up, so the route was registered before it, and it would change nothing."""
    return (
        f"{qualname}: @operation(...) is above the route decorator, which registered the "
        "route before it ran, so it would change nothing: put it below the route decorator"
    )


def wrapped_after_route_problem(qualname: str, decorator: str) -> str:
    """A decorator that wraps the function (``@login_required``) written above its route
    decorator: it wraps what the route already registered, so requests never pass through it
    (Flask's rule too: the route decorator goes on top). The mypy plugin's alone:
    registration never sees the wrapper."""
    return (
        f"{qualname}: @{decorator} is above the route decorator, so it wraps the function "
        "after the route registered it and requests never pass through it: put the route "
        "decorator on top"
    )


# What other frameworks' class-based views run around every method, which aaf's View does not
# call: each would be left out without a word (a login check among Flask's decorators).
FOREIGN_VIEW_HOOKS = {
    "decorators": "Flask's MethodView wraps its view in",
    "dispatch": "Django's View (and Flask's) calls around every method",
    "dispatch_request": "Flask's MethodView calls around every method",
}


def foreign_hook_problem(qualname: str, name: str) -> str:
    """A View defining another framework's hook around its methods, ``name`` one of
    FOREIGN_VIEW_HOOKS (``decorators``, ``dispatch``): aaf never reads it."""
    return (
        f"{qualname}.{name} is what {FOREIGN_VIEW_HOOKS[name]}; aaf's View never reads it: "
        "run checks as dependencies=[Depends(...)] (the route's, or a method's @operation's) "
        "or in before()"
    )


def generator_problem(qualname: str) -> str:
    """A handler returns its response; a generator function would give a generator."""
    return (
        f"{qualname} is a generator: a handler returns its response; to stream, return "
        f"StreamingResponse(...) or EventSourceResponse(...) of a generator"
    )


def websocket_body_problem(qualname: str, name: str) -> str:
    """A WebSocket session has no request body to read a model or a form from."""
    return (
        f"{qualname}: parameter {name!r} reads a request body; WebSocket handlers take path, "
        "query, header and cookie parameters (mark a model Query())"
    )


def two_bodies_problem(qualname: str, first: str, second: str) -> str:
    """A request has one JSON body: two parameters reading it would each want all of it
    (FastAPI embeds them under their names; aaf asks for one model)."""
    return (
        f"{qualname}: two body parameters ({first!r} and {second!r}) are ambiguous; combine "
        "them into one model"
    )


def body_and_form_problem(qualname: str) -> str:
    """A body is JSON or a form, never both."""
    return f"{qualname}: a JSON body parameter and Form() fields cannot mix"


def route_body_problem(
    qualname: str,
    json_readers: Iterable[str],
    form_readers: Iterable[str],
    websocket: bool = False,
) -> str | None:
    """A route's handler and its providers (at any depth, by name) that read the one body as
    JSON and as a form: no request could satisfy both (each read would answer the other's
    body 415). The first name of each, in order, is the one the message gives. A WebSocket
    route's providers read no body at all: a session has none (its handler's own parameters
    are refused one by one, ``websocket_body_problem``)."""
    json_reader, form_reader = min(json_readers, default=None), min(form_readers, default=None)
    if websocket and (reader := min(filter(None, (json_reader, form_reader)), default=None)):
        return (
            f"{qualname}: its provider {reader} reads a request body, which a WebSocket "
            "session has none of; its providers take path, query, header and cookie "
            "parameters, as its handler does"
        )
    if json_reader is None or form_reader is None:
        return None
    return (
        f"{qualname}: a JSON body parameter and Form() fields cannot mix, its providers' "
        f"included ({json_reader} reads the body as JSON, {form_reader} as a form)"
    )


# The kinds of JSON value a body may be read as: an object, an array, and the others
# (strings, numbers, booleans, null) as one, since pydantic's lax mode reads one as another
# (an int from "3", a bool from 1).
OBJECT, ARRAY, SCALAR = b"{", b"[", b'"'
ANY_KIND = frozenset((OBJECT, ARRAY, SCALAR))
_KIND_WORDS = {OBJECT: "an object", ARRAY: "an array", SCALAR: "a string, number, boolean or null"}


@dataclasses.dataclass(frozen=True, slots=True)
class BodyReading:
    """One function's reading of a route's JSON body: who reads it (its qualname), as what
    (the type, as messages show it), the kinds of JSON value that takes (all, where that
    cannot be told), and whether a request must send one."""

    reader: str
    shown: str
    kinds: frozenset[bytes]
    required: bool


def body_kinds_problem(qualname: str, readings: Iterable[BodyReading]) -> str | None:
    """A route's handler (``qualname``) and providers that read the one JSON body as types
    that take no JSON value in common (a model, an object, and an int, a number): every
    request would be a 422. None when a value suits them all, or when none requires a body
    (a request without one satisfies them all). Each reader once, the handler first."""
    readers = sorted(
        set(readings),  # a provider met twice, once
        key=lambda reading: (reading.reader != qualname, reading.reader, reading.shown),
    )
    if len(readers) < 2 or not any(reading.required for reading in readers):
        return None
    if readers[0].kinds.intersection(*(reading.kinds for reading in readers[1:])):
        return None
    said = " and ".join(
        f"as {reading.shown} by {reading.reader} ("
        + (" or ".join(_KIND_WORDS[k] for k in _KIND_WORDS if k in reading.kinds) or "nothing")
        + ")"
        for reading in readers
    )
    return (
        f"{qualname}: no request body can be read {said}: each reads the whole JSON body, "
        "not a field of it under its name as FastAPI's body parameters do; read one model "
        "with a field for each"
    )


def not_async_problem(qualname: str) -> str:
    """A WebSocket handler awaits frames, so it must be a coroutine function."""
    return f"{qualname} must be an async function (async def): it awaits frames"


def class_problem(qualname: str, is_view: bool, is_websocket_view: bool, websocket: bool) -> str:
    """A class handler must be the kind of view its route serves."""
    if websocket:
        if is_view:
            return f"{qualname} is a View, which answers HTTP: register it with router.route"
        return f"{qualname} is a class but not a WebSocketView: subclass aaf.views.WebSocketView"
    if is_websocket_view:
        return f"{qualname} is a WebSocketView: register it with router.websocket"
    return f"{qualname} is a class but not a View: subclass aaf.views.View"


def wire_name_problem(qualname: str, name: str, source: str, wire: str) -> str | None:
    """A header or cookie no request can send under ``wire`` (a marker's alias): the
    parameter would never be given a value. A header's name is a token; a cookie's holds no
    ``;`` or ``=``, and starts and ends with no space (what a ``Cookie`` header is split at and
    trimmed of)."""
    if source == "header" and not TOKEN.fullmatch(wire):
        return (
            f"{qualname}: parameter {name!r} reads the header {wire!r}, a name no request can "
            "send: a header's name is letters, digits and !#$%&'*+-.^_`|~ alone"
        )
    if source == "cookie" and (not wire or wire != wire.strip() or any(c in wire for c in ";=")):
        return (
            f"{qualname}: parameter {name!r} reads the cookie {wire!r}, a name no request can "
            "send: a cookie's name holds no ';' or '=' and starts and ends with no space"
        )
    return None


def two_markers_problem(qualname: str, name: str, markers: Sequence[str]) -> str:
    """A parameter given two markers (``Annotated[int, Query(), Header()]``, or a marker
    and a ``Depends``): one says where its value comes from."""
    return (
        f"{qualname}: parameter {name!r} is marked {' and '.join(f'{m}()' for m in markers)}: "
        "give it one, which says where its value comes from"
    )


def not_a_plain_method_problem(qualname: str, kind: str) -> str:
    """A view's handler written as a ``staticmethod`` or ``classmethod``: it would be given
    the connection where ``self`` goes, or no instance at all."""
    return (
        f"{qualname} is a {kind}: a view's handlers are plain methods, taking self and then "
        "the connection (a new instance serves each request)"
    )


def one_string_problem(keyword: str, value: str) -> str:
    """A keyword that takes a list given one string, which a type checker passes as a
    sequence of its letters (``methods="POST"`` would be P, O, S, T)."""
    return f"{keyword}={value!r} is one string; give a list: {keyword}=[{value!r}]"


def no_methods_problem(qualname: str) -> str:
    """A View answers the HTTP methods it defines, so it must define one."""
    return f"{qualname} defines none of {', '.join(HTTP_METHODS)}"


def unslashed_rule_problem(prefix: str, rule: str) -> str | None:
    """A rule that does not start with ``/`` under a router's ``prefix``: joined as written,
    ``/api`` and ``items`` are ``/apiitems`` (werkzeug refuses such a rule alone)."""
    if not prefix or not rule or rule.startswith("/"):
        return None
    return (
        f"the rule {rule!r} does not start with '/': under the prefix {prefix!r} it would be "
        f"{prefix + rule!r}; write {'/' + rule!r}"
    )


def invalid_rule_problem(rule: str, error: Exception) -> str:
    """What werkzeug found wrong with a rule (bad syntax, a converter that does not exist)."""
    return f"the rule {rule!r} is not valid: {error}"
