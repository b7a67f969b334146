"""Turn a handler's signature into a plan, once, at registration.

The plan says where each parameter comes from and holds the pydantic validators that check it,
so a request does no reflection: it gathers raw values, validates them in one call per source
group, and calls the handler. Pure logic, no I/O: a plan can be built and tested alone.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import types
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import typing_extensions
from pydantic import BaseModel, Field, JsonValue, TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from pydantic_core import from_json, to_json
from typing_extensions import TypedDict
from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.routing.converters import (
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    UUIDConverter,
)

from aaf.connection import Connection
from aaf.datastructures import FormData
from aaf.exceptions import ConfigurationError, HTTPError, RequestValidationError
from aaf.params import Body, Param, Source
from aaf.response import HttpResponse

logger = logging.getLogger("aaf")
# The value each werkzeug converter gives, where it is not a plain str.
_CONVERTER_TYPES: dict[type[BaseConverter], type] = {
    IntegerConverter: int,
    FloatConverter: float,
    UUIDConverter: uuid.UUID,
}
_MISSING = inspect.Parameter.empty


def type_adapter(annotation: object) -> TypeAdapter[object]:
    """Build a pydantic ``TypeAdapter`` for an annotation read at runtime."""
    # Annotations read from signatures are plain objects to mypy; pydantic checks them itself.
    return TypeAdapter(annotation)  # type: ignore[arg-type]


def converter_type(converter: BaseConverter) -> type:
    """Give the Python type a werkzeug converter produces (``str`` for the string ones)."""
    for cls, produced in _CONVERTER_TYPES.items():
        if isinstance(converter, cls):
            return produced
    if isinstance(converter, NumberConverter):
        return int
    return str


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the Python parameter name
    wire: str  # the name on the wire (query key, header name, cookie name, form field)
    many: bool  # collect every value (list[T]) rather than the first
    whole: bool = False  # a model filled from the whole source (a model marked Query())
    list_fields: frozenset[str] = frozenset()  # for `whole`, the model's list-typed fields
    default: object = ...  # for uploads, which bypass pydantic: `...` means required


@dataclasses.dataclass(slots=True)
class _BodyParam:
    name: str
    adapter: TypeAdapter[object]
    required: bool
    default: object


class Plan:
    """Where each parameter of one handler comes from, and how its result goes out."""

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname
        self.passthrough: tuple[str, ...] = ()  # path values handed over as the converter gave them
        self.fields: dict[str, list[_Field]] = {}  # source -> fields validated by `validator`
        # Validates {source: {wire name: raw value}} into {source: {parameter: value}}; a
        # TypedDict rather than a model: it measured 2.4x faster and gives plain dicts.
        self.validator: TypeAdapter[dict[str, dict[str, object]]] | None = None
        self.defaults: dict[str, object] = {}  # parameters a request may leave out
        self.body: _BodyParam | None = None
        self.uploads: tuple[_Field, ...] = ()
        self.reads_form = False
        self.trivial = True  # kwargs are exactly the path values
        self.status_code = 200
        self.result: Callable[[object], tuple[bytes, bytes] | None] = _dump_any

    # Per request -------------------------------------------------------------------------------
    async def kwargs(
        self, connection: Connection, path_args: dict[str, object]
    ) -> dict[str, object]:
        """Gather, validate and return the handler's keyword arguments."""
        if self.trivial:
            return path_args
        form = await connection.form() if self.reads_form else None
        kwargs, errors = self._validated(connection, path_args, form)
        if self.body is not None:
            await self._read_body(connection, kwargs, errors)
        if errors:
            raise RequestValidationError(_jsonable(errors))
        return kwargs

    def kwargs_now(self, connection: Connection, path_args: dict[str, object]) -> dict[str, object]:
        """``kwargs`` for handlers that read no body, without a coroutine (``reads_body`` is
        false)."""
        kwargs, errors = self._validated(connection, path_args, None)
        if errors:
            raise RequestValidationError(_jsonable(errors))
        return kwargs

    @property
    def reads_body(self) -> bool:
        """Whether filling the parameters needs the request body."""
        return self.body is not None or self.reads_form

    def _validated(
        self, connection: Connection, path_args: dict[str, object], form: FormData | None
    ) -> tuple[dict[str, object], list[dict[str, object]]]:
        kwargs = self.defaults.copy()
        for name in self.passthrough:
            kwargs[name] = path_args[name]
        errors: list[dict[str, object]] = []
        raw: dict[str, dict[str, object]] = {}
        fields = self.fields
        if "path" in fields:
            raw["path"] = {f.wire: path_args[f.name] for f in fields["path"]}
        if "query" in fields:
            raw["query"] = _gather_pairs(connection._query_pairs(), fields["query"])
        if "header" in fields:
            raw["header"] = _gather(connection.req_headers, fields["header"])
        if "cookie" in fields:
            raw["cookie"] = _gather_cookies(connection.req_cookies, fields["cookie"])
        if form is not None:
            if "body" in fields:
                raw["body"] = _gather(form.fields, fields["body"])
            for upload in self.uploads:
                files = form.files.getlist(upload.wire)
                if files:
                    kwargs[upload.name] = files if upload.many else files[0]
                elif upload.default is not ...:
                    kwargs[upload.name] = upload.default
                else:
                    errors.append(_missing(("body", upload.wire)))
        if self.validator is not None:
            try:
                # PERF: the core validator directly; TypeAdapter's wrapper cost 0.35 µs a call
                # (benchmarks/typed_cost.py).
                validated = self.validator.validator.validate_python(raw)
            except ValidationError as exc:
                errors.extend(self._errors(exc))
            else:
                for values in validated.values():
                    kwargs.update(values)
        return kwargs, errors

    async def _read_body(
        self, connection: Connection, kwargs: dict[str, object], errors: list[dict[str, object]]
    ) -> None:
        body = self.body
        assert body is not None  # the caller checked; not user input
        data = await connection.body()
        if not data:
            if body.required:
                errors.append(_missing(("body",)))
            else:
                kwargs[body.name] = body.default
            return
        content_type = connection.req_headers.get("content-type")
        if content_type is not None and not _is_json(content_type):
            raise HTTPError(415, f"Expected a JSON body (application/json), got {content_type!r}")
        try:
            kwargs[body.name] = body.adapter.validator.validate_json(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_context=False):
                errors.append(_error(("body", *error["loc"]), error))

    def _errors(self, exc: ValidationError) -> list[dict[str, object]]:
        out = []
        wholes = {
            f.wire for group in self.fields.values() for f in group if f.whole
        }  # small, error path only
        for error in exc.errors(include_url=False, include_context=False):
            loc = error["loc"]
            source = "body" if loc[0] == "body" else loc[0]
            if len(loc) > 1 and loc[1] in wholes:
                loc = (source, *loc[2:])
            out.append(_error(loc, error))
        return out

    async def respond(self, connection: Connection, result: object) -> None:
        """Send what the handler returned."""
        if isinstance(result, HttpResponse):
            await result.send_to(connection)
        elif result is None:
            if connection.started and not connection.finished:
                logger.warning(
                    "%s returned with its response started but not finished; aaf ended it",
                    self.qualname,
                )
            if not connection.finished:
                await connection.finish()
        elif not connection.started:
            encoded = self.result(result)
            if encoded is None:
                raise TypeError(f"{self.qualname} returned {type(result).__name__} after answering")
            content_type, body = encoded
            headers = [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ]
            await connection._respond(self.status_code, headers, body)
        else:
            raise RuntimeError(
                f"{self.qualname} started the response itself and then returned a value; "
                "return None after answering through the connection"
            )


def _gather(source: MultiDict[str, str] | Headers, fields: list[_Field]) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in fields:
        if f.many:
            values = source.getlist(f.wire)
            if values:
                out[f.wire] = values
        else:
            value = source.get(f.wire)
            if value is not None:
                out[f.wire] = value
    return out


def _gather_pairs(pairs: list[tuple[str, str]], fields: list[_Field]) -> dict[str, object]:
    out: dict[str, object] = {}
    if not pairs:
        return out
    for f in fields:
        wire = f.wire
        if f.whole:
            whole: dict[str, object] = {}
            lists: dict[str, list[str]] = {}
            for key, value in pairs:
                if key in f.list_fields:
                    lists.setdefault(key, []).append(value)
                else:
                    whole.setdefault(key, value)
            out[wire] = whole | lists
        elif f.many:
            values = [value for key, value in pairs if key == wire]
            if values:
                out[wire] = values
        else:
            for key, value in pairs:
                if key == wire:
                    out[wire] = value
                    break
    return out


def _gather_cookies(cookies: Mapping[str, str], fields: list[_Field]) -> dict[str, object]:
    return {f.wire: cookies[f.wire] for f in fields if f.wire in cookies}


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _missing(loc: tuple[str | int, ...]) -> dict[str, object]:
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


def _error(loc: tuple[str | int, ...], error: Mapping[str, object]) -> dict[str, object]:
    kind = error["type"]
    return {
        "type": kind,
        "loc": list(loc),
        "msg": error["msg"],
        "input": None if kind == "missing" else error.get("input"),
    }


def _jsonable(errors: list[dict[str, object]]) -> list[dict[str, JsonValue]]:
    # Inputs can be anything the client sent (bytes, odd floats); make them JSON-safe once.
    for error in errors:
        if isinstance(error["input"], bytes | bytearray):
            error["input"] = bytes(error["input"]).decode("utf-8", errors="replace")
    parsed: list[dict[str, JsonValue]] = from_json(
        to_json(errors, fallback=repr, inf_nan_mode="constants")
    )
    return parsed


# Results ---------------------------------------------------------------------------------------
_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"


def _dump_any(value: object) -> tuple[bytes, bytes] | None:
    if isinstance(value, str):
        return _TEXT, value.encode()
    if isinstance(value, bytes):
        return b"application/octet-stream", value
    return _JSON, to_json(value)


def _result_encoder(
    annotation: object, qualname: str
) -> Callable[[object], tuple[bytes, bytes] | None]:
    if annotation is _MISSING or annotation is Any or annotation is object:
        return _dump_any
    if annotation is None or annotation is type(None):
        return _dump_any
    members = _union_members(annotation)
    data_members = [
        m
        for m in members
        if not (isinstance(m, type) and issubclass(m, HttpResponse)) and m is not type(None)
    ]
    if not data_members or all(m in (str, bytes) for m in data_members):
        return _dump_any
    try:
        # A union with response classes serializes only its data members.
        target = annotation if len(data_members) == len(members) else Union[tuple(data_members)]  # noqa: UP007
        adapter = type_adapter(target)
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        raise ConfigurationError(
            f"{qualname}: cannot serialize its return type {annotation!r}: {exc}"
        ) from None
    dump = adapter.serializer.to_json  # PERF: skips TypeAdapter's wrapper, 0.6 µs a call

    def encode(value: object) -> tuple[bytes, bytes] | None:
        if isinstance(value, str):
            return _TEXT, value.encode()
        return _JSON, dump(value)

    return encode


# Building a plan --------------------------------------------------------------------------------
def _union_members(annotation: object) -> tuple[object, ...]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return get_args(annotation)
    return (annotation,)


def _strip(annotation: object) -> tuple[object, list[object]]:
    """Split ``Annotated[T, *meta]`` into ``T`` and its metadata."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return base, meta
    return annotation, []


def _is_body_type(annotation: object) -> bool:
    for member in _union_members(_strip(annotation)[0]):
        if member is type(None):
            continue
        if get_origin(member) in (list, tuple, set, frozenset) or member in (list,):
            args = get_args(member)
            return bool(args) and _is_body_type(args[0])
        if isinstance(member, type) and (
            issubclass(member, BaseModel)
            or dataclasses.is_dataclass(member)
            or typing_extensions.is_typeddict(member)
        ):
            return True
    return False


def _is_many(annotation: object) -> bool:
    base = _strip(annotation)[0]
    for member in _union_members(base):
        origin = get_origin(member)
        if member in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
            return True
    return False


def _is_upload(annotation: object) -> tuple[bool, bool]:
    base = _strip(annotation)[0]
    for member in _union_members(base):
        if member is FileStorage:
            return True, False
        if get_origin(member) is list and get_args(member) and get_args(member)[0] is FileStorage:
            return True, True
    return False, False


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        (info.alias or name)
        for name, info in model.model_fields.items()
        if _is_many(info.annotation)
    )


def _accepts(annotation: object, produced: type) -> bool:
    """Whether a path value of type ``produced`` (not str) fits ``annotation``."""
    base = _strip(annotation)[0]
    for member in _union_members(base):
        if member is Any or member is object:
            return True
        if get_origin(member) is Literal:
            if all(isinstance(v, produced) for v in get_args(member)):
                return True
            continue
        if isinstance(member, type) and (
            issubclass(member, produced) or issubclass(produced, member)
        ):
            return True
        if produced is int and member is float:
            return True
    return False


def build_plan(
    fn: Callable[..., Awaitable[object]],
    *,
    qualname: str,
    rule_converters: Mapping[str, BaseConverter],
    is_method: bool,
    status_code: int = 200,
    websocket: bool = False,
) -> Plan:
    """Read ``fn``'s signature once and build its plan.

    Raises:
        ConfigurationError: a rule variable has no parameter, an annotation does not fit its
            converter or cannot be validated, a name does not resolve, or the body is ambiguous.
    """
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{qualname} must be an async function (async def), got a plain function")
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception as exc:  # NameError and friends from user annotations
        raise ConfigurationError(f"{qualname}: cannot resolve its annotations: {exc}") from exc
    params = list(inspect.signature(fn).parameters.values())
    params = params[1:] if is_method else params
    if not params or params[0].kind not in (
        params[0].POSITIONAL_ONLY,
        params[0].POSITIONAL_OR_KEYWORD,
    ):
        raise ConfigurationError(f"{qualname} must take the connection as its first parameter")
    params = params[1:]
    plan = Plan(qualname)
    plan.status_code = status_code
    plan.result = _result_encoder(hints.get("return", _MISSING), qualname)
    var_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
    names = {p.name for p in params}
    for variable in rule_converters:
        if variable not in names and not var_keyword:
            raise ConfigurationError(
                f"{qualname}: the rule variable <{variable}> has no parameter of that name"
            )
    passthrough: list[str] = []
    definitions: dict[str, dict[str, tuple[object, str, bool]]] = {}
    fields: dict[str, list[_Field]] = {}
    uploads: list[_Field] = []
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            raise ConfigurationError(f"{qualname}: parameter {param.name!r} must be nameable")
        annotation = hints.get(param.name, _MISSING)
        default = ... if param.default is _MISSING else param.default
        if param.name in rule_converters:
            produced = converter_type(rule_converters[param.name])
            if annotation is _MISSING or annotation is produced:
                # PERF: the converter already gives exactly this type; validating it again
                # cost 2.5 µs a request (benchmarks/typed_cost.py, "path, typed").
                passthrough.append(param.name)
                continue
            if produced is not str and not _accepts(annotation, produced):
                raise ConfigurationError(
                    f"{qualname}: parameter {param.name!r} is annotated {annotation!r}, "
                    f"but its rule converter gives {produced.__name__}"
                )
            definitions.setdefault("path", {})[param.name] = (annotation, param.name, True)
            fields.setdefault("path", []).append(_Field(param.name, param.name, False))
            continue
        if websocket:
            raise ConfigurationError(
                f"{qualname}: parameter {param.name!r} is not a rule variable; WebSocket handlers "
                "take only path parameters"
            )
        if annotation is _MISSING:
            annotation = str
        base, meta = _strip(annotation)
        marker = next((m for m in meta if isinstance(m, Param)), None)
        source: Source
        if marker is not None:
            source = marker.source
        elif _is_body_type(annotation):
            source = "body"
            marker = Body()
        else:
            source = "query"
        wire = (marker.alias if marker is not None else None) or (
            param.name.replace("_", "-") if source == "header" else param.name
        )
        if source == "body":
            if plan.body is not None:
                raise ConfigurationError(
                    f"{qualname}: two body parameters ({plan.body.name!r} and {param.name!r}) are "
                    "ambiguous; combine them into one model"
                )
            plan.body = _BodyParam(
                param.name, _adapter(annotation, qualname, param.name), default is ..., default
            )
            continue
        if source == "form":
            plan.reads_form = True
            is_upload, many = _is_upload(annotation)
            if is_upload:
                uploads.append(_Field(param.name, wire, many, default=default))
                continue
            source_key = "body"
        else:
            source_key = source
        whole = source == "query" and isinstance(base, type) and issubclass(base, BaseModel)
        many = _is_many(annotation)
        fields.setdefault(source_key, []).append(
            _Field(param.name, wire, many, whole, _list_fields(base) if whole else frozenset())  # type: ignore[arg-type]
        )
        definitions.setdefault(source_key, {})[param.name] = (annotation, wire, default is ...)
        if default is not ...:
            plan.defaults[param.name] = default
    if plan.body is not None and plan.reads_form:
        raise ConfigurationError(f"{qualname}: a JSON body parameter and Form() fields cannot mix")
    plan.passthrough = tuple(passthrough)
    plan.fields = fields
    plan.uploads = tuple(uploads)
    plan.validator = _build_validator(definitions, qualname) if definitions else None
    plan.trivial = (
        plan.validator is None and plan.body is None and not plan.reads_form and not var_keyword
    )
    return plan


def _adapter(annotation: object, qualname: str, name: str) -> TypeAdapter[object]:
    try:
        return type_adapter(annotation)
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        raise ConfigurationError(
            f"{qualname}: parameter {name!r} has a type pydantic cannot validate: {exc}"
        ) from None


# The functional TypedDict form, called with names and fields known only at runtime.
_typed_dict: Callable[[str, dict[str, object]], object] = TypedDict  # type: ignore[assignment]


def _build_validator(
    definitions: dict[str, dict[str, tuple[object, str, bool]]], qualname: str
) -> TypeAdapter[dict[str, dict[str, object]]]:
    """One TypedDict per source, keyed by parameter name and read by wire name (the alias)."""
    safe = qualname.replace(".", "_").replace("<", "_").replace(">", "_")
    groups: dict[str, object] = {}
    try:
        for source, defs in definitions.items():
            members: dict[str, object] = {}
            for name, (annotation, wire, required) in defs.items():
                member: object = Annotated[annotation, Field(alias=wire)]
                members[name] = member if required else NotRequired[member]
            groups[source] = _typed_dict(f"{safe}_{source}", members)
        shape = _typed_dict(f"{safe}_params", groups)
        # The shape is built at runtime, so mypy cannot see what it validates into.
        validator = cast("TypeAdapter[dict[str, dict[str, object]]]", type_adapter(shape))
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError) as exc:
        raise ConfigurationError(
            f"{qualname}: a parameter has a type pydantic cannot validate: {exc}"
        ) from None
    return validator
