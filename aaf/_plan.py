"""Read a handler's signature once, at registration, into a frozen plan.

The plan says where each parameter comes from and holds the pydantic validator that checks
them, so a request does no reflection (``_extract`` carries it out). Pure logic, no I/O: a plan
can be built and tested alone.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import enum
import functools
import importlib
import inspect
import json
import sys
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import (
    Annotated,
    Any,
    Literal,
    NewType,
    NoReturn,
    NotRequired,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import typing_extensions
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    FutureDate,
    FutureDatetime,
    Json,
    JsonValue,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    TypeAdapter,
    ValidationError,
)
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from pydantic.fields import FieldInfo
from pydantic_core import SchemaError, SchemaValidator
from typing_extensions import TypedDict
from werkzeug.datastructures import FileStorage
from werkzeug.routing.converters import AnyConverter, BaseConverter

import aaf._rules as _rules
from aaf._annotations import (
    is_alias,
    models_in,
    strip_annotated,
    unaliased,
    unbuilt_model,
    union_members,
)
from aaf._http import WITH_BODY
from aaf._readings import (
    ARRAY_SCHEMAS,
    BODY_COLLECTIONS,
    COLLECTION_TYPES,
    DICT_SCHEMAS,
    Collection,
    ItemsReading,
    KindReading,
    ModelReading,
    ParsedFirst,
    TaggedReading,
    UnionReading,
    body_reading,
    collection_validator,
    fail_fast_validator,
    field_aliases,
    forbids_others,
    keys_if_forbidding,
    kind_field,
    parsed_first,
    plain_text,
    schema_kinds,
    schema_under,
    tagged_reading,
    type_adapter,
    union_reading,
)
from aaf._rules import converter_type
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError
from aaf.params import Body, Dependency, Header, Param, SecurityScopes, Source
from aaf.response import (
    OTHER_FRAMEWORKS_RESPONSE,
    HttpResponse,
    ResultEncoder,
    is_asgi_class,
    result_encoder,
)

__all__ = [
    "MISSING",
    "BodyParam",
    "DependencyParam",
    "FieldSpec",
    "HandlerPlan",
    "attribute_dependency",
    "attribute_value_problem",
    "build_plan",
    "check_complete",
    "every_plan",
    "not_a_dependency_problem",
    "provider_plan",
    "status_of_none",
]

MISSING = inspect.Parameter.empty
# Where a validated group of fields comes from: the markers' sources, with form fields apart
# from the JSON body, and rule variables that need validation.
Group = Literal["path", "query", "header", "cookie", "form"]
_GROUPS: tuple[Group, ...] = get_args(Group)


@dataclasses.dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter filled from a named value of the request."""

    name: str  # the Python parameter name
    wire: str  # the name on the wire (query key, header name, cookie name, form field)
    many: bool  # collect every value (list[T]) rather than one
    whole: bool = False  # a model filled from the whole source (a model marked Query(), ...)
    list_fields: frozenset[str] = frozenset()  # for `whole`, the model's list-typed fields
    reads: frozenset[str] = frozenset()  # for `whole`, its fields' names and aliases
    default: object = ...  # for uploads, which bypass pydantic: `...` means required
    fresh: bool = False  # for uploads, that default is copied for each request (see fresh)
    content: bool = False  # a bytes form field: a file part's content when no value came
    # For `whole`, a model that refuses keys it does not read (`reads`): any other is an
    # error, and a 422 lists the first hundred, so the rest need no validating.
    forbids: bool = False
    # For such a model, the keys of its source the route reads elsewhere (its other
    # parameters', its providers'): the route's own, not extra, so not given to the model.
    others: frozenset[str] = frozenset()
    # For a model marked Header(), each header it reads (its name in lower case, as servers
    # give them) and the key the model reads it as: `x-token` for `x_token`, an alias as
    # written (`X-Custom`). Nothing else fills a field: not `x_token`, the header a proxy
    # drops (and a client could send beside the proxy's `x-token`).
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str], hash=False)

    def header_name(self, key: str) -> str:
        """The header this header model reads as ``key``, as the document and a 422 name
        it: an alias as written, else the field's name with ``-`` for ``_``; ``key``
        itself when it names none (a header the model does not read)."""
        for header, read_as in self.headers.items():
            if read_as == key:
                return key if key.lower() == header else header
        return key


@dataclasses.dataclass(frozen=True, slots=True)
class BodyParam:
    """The parameter filled from the JSON body."""

    name: str
    adapter: TypeAdapter[object]
    required: bool
    default: object
    # The same schema with every list, set, tuple and dict stopping at its first error: a body
    # of a million wrong items is refused in one pass that stops early, not a million errors.
    fail_fast: SchemaValidator
    # A plain list[T] (or dict[str, T]) body, no constraints on it as a whole: a large one
    # is validated in slices of its items, letting other requests run between them.
    items: ItemsReading | None = None
    # For a model body: how a large one is read a slice of members at a time.
    members: ModelReading | None = None
    # A set[T] or frozenset[T] body of scalars: its items read as a list, then made this.
    collection: Collection | None = None
    # Any JSON (Any, object, JsonValue): a large list or object read as connection.json() is.
    any_json: bool = False
    # A model refusing keys it does not read: those it reads (see keys_if_forbidding).
    known: frozenset[str] | None = None
    # A union of models told apart by a field (`Field(discriminator=...)`): how a large one
    # is read, as the model its tag names.
    tagged: TaggedReading | None = None
    # A union of models without a tag: how a large one is read, as each model in turn.
    union: UnionReading | None = None
    # A type whose validation starts with a function of the input as sent (a model's
    # validators of mode "before", say): a large body parsed a slice at a time, then given.
    parsed_first: ParsedFirst | None = None
    # A union where one member takes an array and one an object (one or many): how a large
    # one is read, as the member that takes the kind sent.
    kinds: KindReading | None = None
    annotation: object = None  # as the handler wrote it (for what registration says)
    fresh_default: bool = False  # the default is copied for each request (see fresh)


def _header_keys(model: type[BaseModel], convert_underscores: bool) -> dict[str, str]:
    """The headers a model marked ``Header()`` reads, in lower case, and the key it reads
    each as (``FieldSpec.headers``): a field's aliases as they are (headers are named
    without regard to case), else its name with ``_`` made ``-`` (as it is unless
    ``convert_underscores=False``), as FastAPI reads a header model."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        aliases = field_aliases(info)
        for key in aliases:
            keys.setdefault(key.lower(), key)
        if not aliases:
            keys.setdefault((name.replace("_", "-") if convert_underscores else name).lower(), name)
    return keys


# Coroutine, plain, async or sync generator; "model": a pydantic model class or pydantic
# dataclass (Depends() on one, FastAPI's classes as dependencies), made on the event loop
# (_solve.made), its validation errors the request's.
Kind = Literal["async", "sync", "agen", "gen", "model"]


@dataclasses.dataclass(frozen=True, slots=True)
class DependencyParam:
    """One ``Depends(provider)``: where its value goes, and the provider's own plan."""

    name: str | None  # the parameter or View attribute it fills; None: run for side effects
    provider: Callable[..., object]
    use_cache: bool
    plan: HandlerPlan
    attribute: bool = False  # a View class attribute, set on the instance before before()
    # Every scope the Security(..., scopes=[...]) from the handler down to this one require.
    scopes: tuple[str, ...] = ()
    # What a request's cache knows its result by: the provider, and the scopes when it (or a
    # provider below it) reads them, as one call per set of scopes answers them. Made here,
    # once: the general path (solve()) looks it up for every provider of every request.
    key: object = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        key = cache_key(self.provider, self.plan)
        object.__setattr__(self, "key", key)  # frozen: set once, as it is made


def cache_key(provider: Callable[..., object], plan: HandlerPlan) -> object:
    """What a request's cache knows ``provider``'s result by, ``plan`` answering it (its
    own, or an override's): the provider, and the scopes when the plan reads them."""
    read = plan.security_scopes
    return provider if read is None else (provider, frozenset(read))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HandlerPlan:
    """Where each parameter of one handler comes from, and how its result goes out."""

    qualname: str
    status_code: int
    encode_result: ResultEncoder
    kind: Kind = "async"  # a plain `def` runs in a worker thread
    passthrough: tuple[str, ...] = ()  # path values handed over as the converter gave them
    fields: Mapping[Group, tuple[FieldSpec, ...]]
    # Validates {group: {wire name: raw value}} into {group: {parameter: value}}; a TypedDict
    # rather than a model: it measured 2.4x faster and gives plain dicts.
    validator: TypeAdapter[dict[str, dict[str, object]]] | None = None
    # The same with every collection stopping at its first error: asked again when the first
    # pass found more errors than a 422 lists, so that thousands are never turned into dicts.
    fail_fast: SchemaValidator | None = None
    defaults: dict[str, object]
    # Those defaults a request gets its own deep copy of, as FastAPI gives them: the
    # unhashable ones (a list, a dict, a model), which a handler appending to one would
    # otherwise change for every later request (see fresh).
    fresh_defaults: tuple[str, ...] = ()
    body: BodyParam | None = None
    uploads: tuple[FieldSpec, ...] = ()
    reads_form: bool = False
    trivial: bool = True  # the keyword arguments are exactly the path values
    body_only: bool = False  # nothing to gather or validate but the JSON body
    wholes: frozenset[str] = frozenset()  # wire names of models filled from a whole source
    # The query string's fields are each one value, its last (none a list or a model): the
    # query's pairs go to the validator as one dict, which keeps a repeated key's last value
    # and whose other keys the validator passes over.
    plain_query: bool = False
    # Nothing to gather but such a query string's values (and path values a converter gave):
    # they validate straight into the keyword arguments, pydantic filling the defaults.
    query_kwargs: SchemaValidator | None = None
    # Providers to resolve first (Depends), in parameter order; route and router ones too.
    dependencies: tuple[DependencyParam, ...] = ()
    connection_params: tuple[str, ...] = ()  # a provider's parameters annotated Connection
    # The scopes required down to this provider, when it or a provider below reads them (a
    # parameter annotated SecurityScopes); None when none does.
    security_scopes: tuple[str, ...] | None = None
    rule_converters: Mapping[str, BaseConverter]
    used_names: frozenset[str] = frozenset()  # parameter names here and in every provider
    result_type: object = MISSING  # the return annotation (MISSING when there is none)
    docstring: str | None = None
    hidden: frozenset[tuple[Source, str]] = frozenset()  # marked include_in_schema=False
    # (source, wire name) -> the marker's openapi_examples, for the API document.
    examples: Mapping[tuple[str, str], Mapping[str, Mapping[str, JsonValue]]]
    # (source, wire name) -> every value the parameter takes, as JSON, for the API document
    # where pydantic's schema cannot say it: an any(...) rule variable's values its type
    # takes, and a Literal's, an enum's or a bool's values its constraints leave.
    choices: Mapping[tuple[str, str], tuple[JsonValue, ...]] = dataclasses.field(
        default_factory=dict[tuple[str, str], tuple[JsonValue, ...]]
    )

    @property
    def none_status(self) -> int:
        """The status a handler's ``None`` answers (``status_of_none``)."""
        return status_of_none(self.status_code)

    @property
    def is_async(self) -> bool:
        """Whether calling the function gives a coroutine."""
        return self.kind == "async"

    @property
    def reads_body(self) -> bool:
        """Whether filling the parameters needs the request body."""
        return self.body is not None or self.reads_form


def status_of_none(status_code: int) -> int:
    """The status a handler's ``None`` answers, with no body, on a route of ``status_code``:
    204 (No Content) for the default 200, else the one the route declares (a POST's 201).
    The runner answers it and the API document says it."""
    return 204 if status_code == 200 else status_code


def build_plan(
    fn: Callable[..., object],
    *,
    qualname: str,
    rule_converters: Mapping[str, BaseConverter],
    is_method: bool,
    status_code: int = 200,
    websocket: bool = False,
    provider: bool = False,
    dependencies: Sequence[Dependency] = (),
    attributes: Mapping[str, Dependency] | None = None,
    chain: tuple[Callable[..., object], ...] = (),
    scopes: tuple[str, ...] = (),
    dump: Mapping[str, bool] | None = None,
) -> HandlerPlan:
    """Read ``fn``'s signature once and build its plan.

    A handler's first parameter is the connection; a ``provider`` (a ``Depends`` function)
    gets it by annotation instead. ``dependencies`` run for their side effects (a route's or a
    router's); ``attributes`` are a View's class attributes filled by providers. ``chain`` is
    the providers being built above this one, to refuse a cycle, and ``scopes`` what their
    ``Security`` require. ``dump``: the ``exclude_*`` options of dumping a returned value.

    Raises:
        ConfigurationError: a rule variable has no parameter, an annotation does not fit its
            converter or cannot be validated, a name does not resolve, the body is ambiguous,
            or providers depend on each other in a cycle.
    """
    # A provider may be a callable object (the security schemes are): read its __call__.
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else _call_method(fn)
    kind = _kind(target)
    if websocket and kind != "async":
        raise TypeError(_rules.not_async_problem(qualname))
    if not provider and (problem := _rules.status_problem(qualname, status_code)) is not None:
        raise ConfigurationError(problem)
    try:
        hints = _hints(target)
    except Exception as exc:  # NameError and friends from user annotations
        raise ConfigurationError(f"{qualname}: cannot resolve its annotations: {exc}") from exc
    if not provider and not websocket and status_code not in WITH_BODY:
        returned = hints.get("return", MISSING)
        if returned is not MISSING and _gives_a_body(returned):
            shown = _name_of(returned)
            raise ConfigurationError(_rules.empty_status_problem(qualname, status_code, shown))
    if not provider and kind in ("agen", "gen"):
        raise ConfigurationError(_rules.generator_problem(qualname))
    params = list(inspect.signature(target).parameters.values())
    params = params[1:] if is_method else params
    if not provider:
        first = _rule_param(params[0], hints) if params else None
        problem = _rules.first_param_problem(qualname, first, rule_converters)
        if problem is not None:
            raise ConfigurationError(problem)
        params = params[1:]
    rest = next((p.name for p in params if p.kind is p.VAR_KEYWORD), None)  # `**rest`
    var_keyword = rest is not None
    builder = _Builder(qualname, websocket, rule_converters, (*chain, fn), scopes)
    # The route's (and its routers') run first, as in FastAPI: an auth check there refuses a
    # request before the handler's own providers open a session or do any work. A View's
    # attributes then, its instance's (as a class-based view's `self` is FastAPI's first
    # dependency), before the method's own parameters.
    for dependency in dependencies:
        builder.add_dependency(None, dependency)
    for name, dependency in (attributes or {}).items():
        builder.add_dependency(name, dependency, attribute=True)
    for param in params:
        if param.kind is not param.VAR_KEYWORD:
            builder.add(param, hints.get(param.name, MISSING), rule_converters, provider)
    if kind == "model":
        # A field its default_factory fills has a stand-in for a default in the signature,
        # not a value: left out of the call when not sent, for the model to make its own.
        for name, field in (_field_params(target) or {}).items():
            if field.default_factory is not None:
                builder.defaults.pop(name, None)
    if rest is not None and not provider:
        # The rule variables no parameter names go to the handler's `**rest` (Flask's way),
        # each a path value as its annotation says.
        named = {p.name for p in params}
        for variable in (v for v in rule_converters if v not in named):
            keyword = inspect.Parameter(variable, inspect.Parameter.KEYWORD_ONLY)
            builder.add(keyword, hints.get(rest, MISSING), rule_converters, provider)
    # A parameter a provider gives (or aaf: the connection, SecurityScopes) reads no path
    # value, whatever its name; its provider's parameters may.
    provided = {d.name for d in builder.dependencies if d.name is not None}
    used = frozenset(
        {p.name for p in params if p.name not in builder.connection_params}.difference(provided)
        | {n for d in builder.dependencies for n in d.plan.used_names}
    )
    if not provider and not var_keyword:
        problem = _rules.unused_variable_problem(qualname, rule_converters, used, provided)
        if problem is not None:
            raise ConfigurationError(problem)
    if builder.body is not None and builder.reads_form:
        raise ConfigurationError(_rules.body_and_form_problem(qualname))
    validator = _build_validator(builder.definitions, qualname) if builder.definitions else None
    plain_query = not any(f.many or f.whole for f in builder.fields.get("query", ()))
    plan = HandlerPlan(
        qualname=qualname,
        kind=kind,
        status_code=status_code,
        encode_result=(
            result_encoder(None)
            if provider
            else _result_encoder(hints.get("return", MISSING), qualname, dump or {})
        ),
        passthrough=tuple(builder.passthrough),
        fields={group: tuple(specs) for group, specs in builder.fields.items()},
        validator=validator,
        fail_fast=fail_fast_validator(validator) if validator is not None else None,
        defaults=builder.defaults,
        fresh_defaults=tuple(name for name, value in builder.defaults.items() if fresh(value)),
        body=builder.body,
        uploads=tuple(builder.uploads),
        reads_form=builder.reads_form,
        trivial=(
            validator is None
            and builder.body is None
            and not builder.reads_form
            and not builder.dependencies
            and not builder.connection_params
        )
        and not var_keyword,
        body_only=(
            validator is None
            and builder.body is not None
            and not builder.reads_form
            and not builder.passthrough
            and not builder.defaults
            and not builder.dependencies
            and not builder.connection_params
            and not var_keyword
        ),
        wholes=frozenset(f.wire for specs in builder.fields.values() for f in specs if f.whole),
        plain_query=plain_query,
        query_kwargs=(
            _query_kwargs(builder.definitions["query"], builder.defaults, qualname)
            if validator is not None
            and set(builder.fields) == {"query"}
            and plain_query
            and builder.body is None
            and not builder.reads_form
            and not builder.uploads
            and builder.defaults.keys() <= builder.definitions["query"].keys()
            and all(_hashable(d) for d in builder.defaults.values())
            else None
        ),
        dependencies=tuple(builder.dependencies),
        connection_params=tuple(builder.connection_params),
        security_scopes=(
            scopes
            if builder.reads_scopes
            or any(d.plan.security_scopes is not None for d in builder.dependencies)
            else None
        ),
        rule_converters=rule_converters,
        used_names=used,
        result_type=hints.get("return", MISSING),
        docstring=inspect.getdoc(target),
        hidden=frozenset(builder.hidden),
        examples=builder.examples,
        choices=builder.choices,
    )
    if not provider:  # what the route's handler and providers do together
        plans = list(every_plan(plan))
        problem = _route_body_problem(plan.qualname, plans, websocket)
        if problem is not None:
            raise ConfigurationError(problem)
        plan = _keys_read_elsewhere(plan, plans)
    return plan


def every_plan(plan: HandlerPlan) -> Iterator[HandlerPlan]:
    """The plan and every provider's plan below it, each once."""
    seen: set[int] = set()
    stack = [plan]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(d.plan for d in current.dependencies)


def told_of_route(plan: HandlerPlan, route: HandlerPlan) -> HandlerPlan:
    """``plan``, an override's (``app.dependency_overrides``), with each of its models that
    refuse keys they do not read told the keys ``route`` (a handler's plan, its providers')
    reads elsewhere, as registration tells the original provider's."""
    return _keys_read_elsewhere(plan, [*every_plan(route), *every_plan(plan)])


def _keys_read_elsewhere(plan: HandlerPlan, plans: Sequence[HandlerPlan]) -> HandlerPlan:
    """``plan`` with each model that refuses keys it does not read (``extra="forbid"``, in the
    handler or a provider) told the keys of its source the route reads elsewhere: a query
    value another parameter takes is the route's, listed in its document, not extra (FastAPI
    refuses it). ``plans``: it and its providers' (``every_plan``). ``plan`` itself when no
    model refuses any."""
    if not any(spec.forbids for p in plans for specs in p.fields.values() for spec in specs):
        return plan
    from aaf.security import SecurityScheme  # noqa: PLC0415  # which imports this module

    read: dict[str, set[str]] = {}
    for current in plans:
        for group, specs in current.fields.items():
            keys = read.setdefault(group, set())
            for spec in specs:
                keys.update(_own_keys(group, spec))
        read.setdefault("form", set()).update(upload.wire for upload in current.uploads)
        for dependency in current.dependencies:  # a security scheme reads its own
            if isinstance(scheme := dependency.provider, SecurityScheme):
                source, key = scheme.request_key
                read.setdefault(source, set()).add(key)
    return _told(plan, {group: frozenset(keys) for group, keys in read.items()})


def _own_keys(group: str, spec: FieldSpec) -> Iterable[str]:
    """The keys of its source ``spec`` reads, as a model filled from the whole source sees
    them: a header's name in lower case, as servers give it."""
    if group == "header":
        return spec.headers if spec.whole else (spec.wire.lower(),)
    return spec.reads if spec.whole else (spec.wire,)


def _told(plan: HandlerPlan, read: Mapping[str, frozenset[str]]) -> HandlerPlan:
    fields = {
        group: tuple(
            dataclasses.replace(spec, others=read[group].difference(_own_keys(group, spec)))
            if spec.forbids
            else spec
            for spec in specs
        )
        for group, specs in plan.fields.items()
    }
    dependencies = tuple(
        dataclasses.replace(dependency, plan=_told(dependency.plan, read))
        for dependency in plan.dependencies
    )
    return dataclasses.replace(plan, fields=fields, dependencies=dependencies)


def _route_body_problem(qualname: str, plans: Sequence[HandlerPlan], websocket: bool) -> str | None:
    """A route's handler and its providers (``plans``, at any depth) read one request body:
    never as JSON by one and as a form by another, nor as JSON of kinds no value is of both
    (an object and a number), which no request could satisfy; never at all on a WebSocket
    route."""
    problem = _rules.route_body_problem(
        qualname,
        (p.qualname for p in plans if p.body is not None),
        (p.qualname for p in plans if p.reads_form),
        websocket,
    )
    readers = [(p.qualname, p.body) for p in plans if p.body is not None]
    if problem is not None or len(readers) < 2 or not any(b.required for _, b in readers):
        return problem  # (the kinds' walk of each schema only where they may disagree)
    return _rules.body_kinds_problem(
        qualname,
        [
            _rules.BodyReading(
                reader,
                _name_of(body.annotation),
                schema_kinds(cast("dict[str, object]", body.adapter.core_schema)),
                body.required,
            )
            for reader, body in readers
        ],
    )


def _name_of(annotation: object) -> str:
    """An annotation as a message shows it, and as mypy does (``UUID``, ``Literal['a']``,
    ``Item | list[str]``, ``Mapping[str, int]``): classes by their names."""
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, type | NewType):
        return annotation.__name__
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return " | ".join(map(_name_of, arguments))
    if origin is Annotated:  # its markers are not its type (mypy drops them too)
        return _name_of(arguments[0])
    # collections.abc.Set is typing's AbstractSet, by that name to mypy
    named = "AbstractSet" if origin is collections.abc.Set else getattr(origin, "__name__", None)
    if arguments and named is not None and origin not in (Literal, Annotated):
        shown = ("..." if a is Ellipsis else _name_of(a) for a in arguments)
        return f"{named}[{', '.join(shown)}]"
    if origin is Literal:  # an enum's member by its name, as written: Literal[Color.RED]
        values = (
            f"{type(a).__name__}.{a.name}" if isinstance(a, enum.Enum) else repr(a)
            for a in arguments
        )
        return f"Literal[{', '.join(values)}]"
    return repr(annotation).replace("typing.", "").replace("uuid.", "")


def _hints(target: Callable[..., object]) -> dict[str, object]:
    """The annotations of what ``inspect.signature(target)`` lists, type aliases seen through
    (``item_id: ItemId`` of ``type ItemId = int`` is an ``int``): a class provider
    (``Depends(Paging)``) is called with its ``__init__``'s parameters, which the class's own
    annotations do not hold unless it is a dataclass or a model (whose fields they are)."""
    if isinstance(target, functools.partial):  # its signature is the function's, less the bound
        return _hints(cast("functools.partial[object]", target).func)
    fields = _field_params(target)
    if fields is not None:
        # A model (or a pydantic dataclass) is called by its signature, which pydantic writes
        # from its fields: named by alias where it takes one (`userName` for `user_name`),
        # each field annotated with its constraints (`Field(pattern=...)`, `Field(gt=0)`),
        # which the class's own annotations leave out (they are the fields' defaults).
        return {name: unaliased(_as_parameter(field)) for name, field in fields.items()}
    read: object = target
    if isinstance(target, type):
        cls: type = target
        init: object = getattr(cls, "__init__", None)
        if (
            not dataclasses.is_dataclass(cls)
            and not issubclass(cls, BaseModel)
            and inspect.isfunction(init)
        ):
            read = init
    hints = get_type_hints(read, include_extras=True)
    return {name: unaliased(hint) for name, hint in hints.items()}


def _call_method(fn: Callable[..., object]) -> Callable[..., object]:
    if isinstance(fn, type):
        return fn  # a class: read as it is
    call: object = inspect.getattr_static(type(fn), "__call__", None)
    if not inspect.isfunction(call):
        return fn  # a builtin: read as it is
    # The bound method: its signature leaves out self.
    return cast("Callable[..., object]", getattr(fn, "__call__"))  # noqa: B004, B009


def _field_params(cls: object) -> dict[str, FieldInfo] | None:
    """Each parameter of a pydantic model's (or pydantic dataclass's) signature, its field's
    alias where pydantic names it so, else its name, to the field; ``None`` for anything
    else."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        fields = cls.model_fields
    elif isinstance(cls, type) and is_pydantic_dataclass(cls):
        fields = cast("dict[str, FieldInfo]", getattr(cls, "__pydantic_fields__"))  # noqa: B009
    else:
        return None
    params = inspect.signature(cast("Callable[..., object]", cls)).parameters
    found: dict[str, FieldInfo] = {}
    for name, field in fields.items():
        key = field.alias if field.alias is not None and field.alias in params else name
        if key in params:
            found[key] = field
    return found


def _as_parameter(field: FieldInfo) -> object:
    """A model's field as a parameter's annotation: its type and constraints, and what the
    API document says of it (``description``, ``title``, ``examples``, ``deprecated``), as
    for the fields of a model marked ``Query()``."""
    annotation = field.rebuild_annotation()
    said = {
        key: value
        for key, value in (
            ("description", field.description),
            ("title", field.title),
            ("examples", field.examples),
            ("deprecated", field.deprecated),
        )
        if value is not None
    }
    if not said:
        return annotation
    return Annotated[annotation, Field(**said)]  # type: ignore[call-overload]  # keywords Field takes


def _kind(fn: Callable[..., object]) -> Kind:
    if _field_params(fn) is not None:
        return "model"
    if inspect.isasyncgenfunction(fn):
        return "agen"
    if inspect.isgeneratorfunction(fn):
        return "gen"
    if inspect.iscoroutinefunction(fn):
        return "async"
    return "sync"


def provider_plan(
    provider: Callable[..., object],
    rule_converters: Mapping[str, BaseConverter],
    chain: tuple[Callable[..., object], ...] = (),
    scopes: tuple[str, ...] = (),
) -> HandlerPlan:
    """Build the plan of a ``Depends`` provider, refusing a cycle of providers; ``scopes``
    are those required down to it."""
    name = _rules.named(provider)
    if provider in chain:
        names = [_rules.named(f) for f in chain[chain.index(provider) :]]
        raise ConfigurationError(_rules.cycle_problem([*names, name]))
    return build_plan(
        provider,
        qualname=name,
        rule_converters=rule_converters,
        is_method=False,
        provider=True,
        chain=chain,
        scopes=scopes,
    )


class _Builder:
    """Collects, parameter by parameter, what becomes a ``HandlerPlan``."""

    def __init__(
        self,
        qualname: str,
        websocket: bool,
        rule_converters: Mapping[str, BaseConverter],
        chain: tuple[Callable[..., object], ...],
        scopes: tuple[str, ...],
    ) -> None:
        self.qualname = qualname
        self.websocket = websocket
        self.rule_converters = rule_converters
        self.chain = chain
        self.scopes = scopes
        self.reads_scopes = False
        self.dependencies: list[DependencyParam] = []
        self.connection_params: list[str] = []
        self.passthrough: list[str] = []
        self.definitions: dict[Group, dict[str, tuple[object, str, bool]]] = {}
        self.fields: dict[Group, list[FieldSpec]] = {}
        self.uploads: list[FieldSpec] = []
        self.defaults: dict[str, object] = {}
        self.body: BodyParam | None = None
        self.reads_form = False
        self.hidden: set[tuple[Source, str]] = set()  # (source, wire name): not in the document
        self.examples: dict[tuple[str, str], Mapping[str, Mapping[str, JsonValue]]] = {}
        self.choices: dict[tuple[str, str], tuple[JsonValue, ...]] = {}

    def add_dependency(self, name: str | None, dependency: object, attribute: bool = False) -> None:
        if not isinstance(dependency, Dependency):
            raise ConfigurationError(f"{self.qualname}: {not_a_dependency_problem(dependency)}")
        if dependency.provider is None:
            raise ConfigurationError(_rules.no_provider_problem(self.qualname))
        scopes = tuple(dict.fromkeys((*self.scopes, *dependency.scopes)))
        plan = provider_plan(dependency.provider, self.rule_converters, self.chain, scopes)
        provider, use_cache = dependency.provider, dependency.use_cache
        self.dependencies.append(
            DependencyParam(name, provider, use_cache, plan, attribute, scopes)
        )

    def add_scopes(self, name: str, provider: bool) -> None:
        """A parameter annotated SecurityScopes: given, by a provider of aaf's own, the scopes
        required down to here (a new object per request: its list is the provider's to keep)."""
        if not provider:
            raise ConfigurationError(_rules.scopes_problem(self.qualname, name))
        scopes = self.scopes

        async def security_scopes() -> SecurityScopes:
            return SecurityScopes(scopes)

        plan = provider_plan(security_scopes, self.rule_converters)
        self.dependencies.append(DependencyParam(name, security_scopes, False, plan))
        self.reads_scopes = True

    def add(
        self,
        param: inspect.Parameter,
        annotation: object,
        rule_converters: Mapping[str, BaseConverter],
        provider: bool = False,
    ) -> None:
        qualname = self.qualname
        problem = _rules.nameable_problem(qualname, _rule_param(param, {}))
        if problem is not None:  # a provider's too: it is called by name as a handler is
            raise ConfigurationError(problem)
        default = param.default
        if (foreign := _foreign_marker(default, annotation)) or isinstance(
            default, Param | FieldInfo
        ):
            # A marker aaf does not read there: FastAPI's anywhere, or one as the default.
            shown = "str" if annotation is MISSING else _name_of(annotation)
            if foreign is not None:
                problem = _rules.foreign_marker_problem(qualname, param.name, foreign, shown)
            else:
                given = "Field" if isinstance(default, FieldInfo) else type(default).__name__
                problem = _rules.marker_default_problem(qualname, param.name, given, shown)
            raise ConfigurationError(problem)
        bare, meta = strip_annotated(annotation) if annotation is not MISSING else (None, [])
        if isinstance(bare, type) and (
            problem := _rules.ported_type_problem(
                qualname, param.name, bare.__module__, bare.__name__
            )
        ):
            raise ConfigurationError(problem)
        marks = [m for m in meta if isinstance(m, Param | Dependency)]
        if isinstance(default, Dependency) and not any(_same(default, m) for m in marks):
            marks.append(default)  # (the same Depends in both places says it once)
        if len(marks) > 1:  # the first would win without a word (FastAPI refuses them too)
            raise ConfigurationError(
                _rules.two_markers_problem(qualname, param.name, [_marker_name(m) for m in marks])
            )
        dependency = _dependency_of(param, annotation, qualname)
        if dependency is not None:
            self.add_dependency(param.name, dependency)
            return
        if provider and _is_connection(annotation):
            self.connection_params.append(param.name)
            return
        if strip_annotated(annotation)[0] is SecurityScopes:
            self.add_scopes(param.name, provider)
            return
        default = ... if param.default is MISSING else param.default
        written = annotation  # a path value without one keeps its converter's type
        if annotation is MISSING:
            annotation = str
        base, meta = strip_annotated(annotation)
        marker = next((m for m in meta if isinstance(m, Param)), None)
        in_rule = param.name in rule_converters
        check_complete(qualname, param.name, annotation)
        if marker is not None:
            problem = _rules.marker_problem(
                qualname, param.name, type(marker).__name__, marker.source == "path", in_rule
            )
            if problem is not None:
                raise ConfigurationError(problem)
        if in_rule:
            converter = rule_converters[param.name]
            produced = converter_type(converter)
            self._add_path(param.name, written, produced, marker)
            if isinstance(converter, AnyConverter) and param.name not in self.passthrough:
                self._choose(param.name, sorted(converter.items), written)
            return
        if default is not ... and fresh(default):
            _check_copies(qualname, param.name, default)
        source: Source
        if marker is not None:
            source = marker.source
        elif is_body_type(annotation):
            source, marker = "body", Body()
        elif _is_upload(annotation)[0]:
            source = "form"  # an unmarked UploadFile is an upload, as FastAPI reads it
        else:
            source = "query"
        convert_underscores = not isinstance(marker, Header) or marker.convert_underscores
        dashes = source == "header" and convert_underscores
        # The marker's alias, else one given with pydantic's Field in the annotation.
        alias = marker.alias if marker is not None else None
        alias = alias or next((m.alias for m in meta if isinstance(m, FieldInfo) and m.alias), None)
        wire = alias or (param.name.replace("_", "-") if dashes else param.name)
        if alias and (problem := _rules.wire_name_problem(qualname, param.name, source, alias)):
            raise ConfigurationError(problem)
        if marker is not None and not marker.include_in_schema:
            self.hidden.add((source, wire))
        if marker is not None and marker.openapi_examples:
            self.examples[source, wire] = marker.openapi_examples
        if marker is not None and marker.field:
            problem = _constraint_problem(
                qualname,
                param.name,
                type(marker).__name__,
                annotation,
                marker.field,
                source=source,
            )
            if problem is not None:
                raise ConfigurationError(problem)
        if problem := _metadata_problem(qualname, param.name, annotation, source):
            raise ConfigurationError(problem)
        if self.websocket and source in ("body", "form"):
            raise ConfigurationError(_rules.websocket_body_problem(qualname, param.name))
        if source == "body":
            if _only_uploads(annotation):  # Body() on a file: JSON has none
                shown = _name_of(annotation)
                raise ConfigurationError(_rules.upload_problem(qualname, param.name, shown, "body"))
            if marker is not None and marker.field:  # Body(max_length=...) constrains the body
                self._limit_values("body", param.name, param.name, annotation, marker)
                annotation = Annotated[annotation, Field(**marker.field)]  # type: ignore[call-overload]  # keywords Field takes
            self._add_body(param.name, annotation, default)
            return
        if source == "form":
            self.reads_form = True
            is_upload, many = _is_upload(annotation)
            if is_upload:
                spec = FieldSpec(param.name, wire, many, default=default, fresh=fresh(default))
                self.uploads.append(spec)
                return
        # A model marked Query(), Form(), Header() or Cookie() is filled from all of that.
        whole = isinstance(base, type) and issubclass(base, BaseModel)
        # A cookie is one text (a repeated one gives its first): a list of them is none.
        many = source != "cookie" and _is_many(annotation)
        if not whole and not _from_text(annotation, many=many, files=source == "form"):
            shown = _name_of(annotation)
            problem = (
                _rules.upload_problem(qualname, param.name, shown, source)
                if _is_upload(annotation)[0]
                else _rules.text_problem(qualname, param.name, shown, source)
            )
            raise ConfigurationError(problem)
        model = cast(type[BaseModel], base) if whole else None
        if model is not None and marker is not None:
            _check_whole_model_marker(qualname, param.name, marker, model)
        if (
            model is not None
            and source == "header"
            and forbids_others(model)
            and "host" not in _header_keys(model, convert_underscores)
        ):
            raise ConfigurationError(
                _rules.forbidding_headers_problem(qualname, param.name, model.__name__)
            )
        if model is not None and (field := _textless_field(model, source)) is not None:
            shown = _name_of(model.model_fields[field].annotation)
            raise ConfigurationError(
                _rules.field_text_problem(
                    qualname, param.name, model.__name__, field, shown, source
                )
            )
        spec = FieldSpec(
            param.name,
            wire,
            _is_many(annotation),
            whole,
            frozenset() if model is None else _keys_filled(model, many=True),
            frozenset() if model is None else _keys_filled(model),
            content=source == "form" and _is_bytes(annotation),
            forbids=forbids_others(model),
            headers={}
            if model is None or source != "header"
            else _header_keys(model, convert_underscores),
        )
        self.fields.setdefault(source, []).append(spec)
        if model is None:
            annotation = text_literals(annotation)
        else:
            annotation = model_text_literals(annotation, model)
        if marker is not None and marker.field:
            if model is None:
                self._limit_values(source, param.name, wire, annotation, marker)
            constrained: object = Annotated[annotation, Field(**marker.field)]  # type: ignore[call-overload]  # keywords Field takes
            annotation = constrained
        if model is None:  # one value, two parameters: the document can show one type
            for other in self.fields.get(source, ()):
                if other.wire == wire and other.name != param.name and not other.whole:
                    raise ConfigurationError(
                        _rules.same_key_problem(qualname, other.name, param.name, source, wire)
                    )
        self.definitions.setdefault(source, {})[param.name] = (annotation, wire, default is ...)
        if default is not ...:
            self.defaults[param.name] = default

    def _add_path(
        self, name: str, annotation: object, produced: type, marker: Param | None
    ) -> None:
        if annotation is MISSING or annotation is produced:
            # PERF: the converter already gives exactly this type; validating it again
            # cost 2.5 µs a request (benchmarks/typed_cost.py, "path, typed").
            self.passthrough.append(name)
            return
        problem = _rules.path_problem(
            self.qualname, name, _name_of(annotation), _members(annotation), produced
        )
        if problem is not None:
            raise ConfigurationError(problem)
        if produced is str and not _from_text(annotation, many=False):
            shown = _name_of(annotation)
            raise ConfigurationError(
                _rules.upload_problem(self.qualname, name, shown, "path")
                if _is_upload(annotation)[0]
                else _rules.text_problem(self.qualname, name, shown, "path")
            )
        if produced is str:
            annotation = text_literals(annotation)
        source = "path" if produced is str else None  # a converter's value is its own
        if problem := _metadata_problem(self.qualname, name, annotation, source):
            raise ConfigurationError(problem)
        if marker is not None and marker.field:  # Path(ge=1): pydantic's Field constraints
            problem = _constraint_problem(
                self.qualname,
                name,
                "Path",
                annotation,
                marker.field,
                source=source,
            )
            if problem is not None:
                raise ConfigurationError(problem)
            self._limit_values("path", name, name, annotation, marker)
            annotation = Annotated[annotation, Field(**marker.field)]  # type: ignore[call-overload]  # keywords Field takes
        self.definitions.setdefault("path", {})[name] = (annotation, name, True)
        self.fields.setdefault("path", []).append(FieldSpec(name, name, False))

    def _choose(self, name: str, items: Iterable[str], written: object) -> None:
        """The values an ``any(...)`` converter matches that the parameter's type (with its
        constraints) takes, for the document; none is a route every request of which would
        be a 422.

        Raises:
            ConfigurationError: no value it matches is valid.
        """
        annotation = self.definitions["path"][name][0]
        valid = _valid_values(_adapter(annotation, self.qualname, name), items)
        if not valid:
            raise ConfigurationError(
                _rules.no_choice_problem(self.qualname, name, _name_of(written), items)
            )
        self.choices["path", name] = valid

    def _limit_values(
        self, source: str, name: str, wire: str, annotation: object, marker: Param
    ) -> None:
        """The values of a ``Literal``, an enum or a ``bool`` that the marker's constraints
        leave (``Query(ge=2)`` on an ``IntEnum``), for the document, whose schema pydantic
        writes without them; none left is a parameter no request can give. (A JSON body's
        ``null`` is one of the values, where the type takes ``None``; no text is.)

        Raises:
            ConfigurationError: the constraints leave no value.
        """
        if not _rules.CONSTRAINTS.intersection(marker.field):
            return  # a title, a description: no value left out
        candidates = _finite_values(annotation)
        if candidates is None:
            return
        if source == "body" and _takes_none(annotation):
            candidates.append(None)
        constrained: object = Annotated[annotation, Field(**marker.field)]  # type: ignore[call-overload]  # keywords Field takes
        valid = _valid_values(_adapter(constrained, self.qualname, name), candidates)
        if not valid:
            named = ", ".join(f"{keyword}=" for keyword in marker.field)
            problem = _rules.no_value_problem(
                self.qualname, name, type(marker).__name__, named, _name_of(annotation)
            )
            raise ConfigurationError(problem)
        self.choices[source, wire] = valid

    def _add_body(self, name: str, annotation: object, default: object) -> None:
        if self.body is not None:
            raise ConfigurationError(_rules.two_bodies_problem(self.qualname, self.body.name, name))
        adapter = _adapter(annotation, self.qualname, name)
        check_comparable(self.qualname, adapter.core_schema, parameter=name, text=False)
        self.body = json_param(name, annotation, adapter, default)


def json_param(
    name: str, annotation: object, adapter: TypeAdapter[Any], default: object = ...
) -> BodyParam:
    """How JSON for ``annotation`` is validated (``default`` ``...`` when it is required):
    in one call, and a large one a slice at a time where its type allows."""
    validator = fail_fast_validator(adapter)
    items, members, collection, any_json = body_reading(annotation, validator)
    known = keys_if_forbidding(strip_annotated(annotation)[0])
    tagged = union = first = kinds = None
    if items is None and members is None and collection is None and not any_json:
        tagged = tagged_reading(adapter)
        if tagged is None:
            union = union_reading(adapter, validator)
        if tagged is None and union is None:
            first = parsed_first(adapter)
        if tagged is None and union is None and first is None:
            kinds = kind_field(annotation, frozenset(), {})
    return BodyParam(
        name,
        adapter,
        default is ...,
        default,
        validator,
        items,
        members,
        collection,
        any_json,
        known,
        tagged,
        union,
        first,
        kinds,
        annotation=annotation,
        fresh_default=fresh(default),
    )


def not_a_dependency_problem(value: object) -> str:
    """What ``dependencies=[...]`` says of a value that is not aaf's ``Depends(...)``."""
    foreign = _foreign_marker(value, MISSING)
    if foreign is not None:  # its repr, Depends(get_db), reads as aaf's own
        return (
            f"dependencies= takes Depends(provider) values, got FastAPI's {foreign}(), which "
            "aaf does not read (from aaf.params import Depends)"
        )
    qualname = getattr(value, "__qualname__", None)  # a function's, a class's, a wrapper's
    if callable(value) and isinstance(qualname, str):
        return _rules.bare_provider_problem(qualname)
    return f"dependencies= takes Depends(provider) values, got {value!r}"


def _foreign_marker(default: object, annotation: object) -> str | None:
    """The class name of a FastAPI marker (``fastapi.Query()``, ``fastapi.Depends()``) given
    as the parameter's default or in its ``Annotated``, else None."""
    for given in (default, *strip_annotated(annotation)[1]):
        if type(given).__module__.partition(".")[0] == "fastapi":
            return type(given).__name__
    return None


def _dependency_of(
    param: inspect.Parameter, annotation: object, qualname: str
) -> Dependency | None:
    """The parameter's ``Depends``; ``Depends()`` with no provider calls the annotation's
    class (FastAPI's shortcut: ``paging: Annotated[Paging, Depends()]``)."""
    found = param.default if isinstance(param.default, Dependency) else None
    where = f"{qualname}: parameter {param.name!r}"
    return _provided_by(found, annotation, where, "parameter")


def _same(dependency: Dependency, marker: Param | Dependency) -> bool:
    return (
        isinstance(marker, Dependency)
        and marker.provider == dependency.provider
        and marker.use_cache == dependency.use_cache
        and marker.scopes == dependency.scopes
    )


def _marker_name(marker: Param | Dependency) -> str:
    if isinstance(marker, Dependency):
        return "Security" if marker.scopes else "Depends"
    return type(marker).__name__


def attribute_dependency(cls: type, name: str, annotation: object) -> Dependency | None:
    """A View's ``db: Annotated[Db, Depends(get_db)]`` class annotation, given no value: its
    ``Depends`` (``Depends()`` calls ``Db``), else None. A string annotation (``from
    __future__ import annotations``) is evaluated in the class's module and namespace, as
    ``typing.get_type_hints`` does, one at a time: one that cannot be (a name only a type
    checker sees) is no dependency, and does not hide the others, unless it is written with
    ``Depends(...)`` or ``Security(...)``: one the app means, which would be missing.

    Raises:
        ConfigurationError: an annotation written with ``Depends`` cannot be evaluated (its
            provider defined in a function, which a string annotation cannot see).
    """
    if isinstance(annotation, str):
        text = annotation
        module = sys.modules.get(cls.__module__)
        try:
            annotation = eval(text, dict(vars(module)) if module else {}, dict(vars(cls)))  # noqa: S307  # what get_type_hints does
        except Exception as exc:
            if "Depends(" not in text and "Security(" not in text:
                return None
            raise ConfigurationError(
                f"{cls.__qualname__}.{name}: cannot resolve its annotation {text!r}: "
                f"{exc} (under `from __future__ import annotations` it is evaluated in the "
                "module: define the provider there, not in a function)"
            ) from exc
    marker = next((m for m in strip_annotated(annotation)[1] if isinstance(m, Param)), None)
    if marker is not None:  # `page: Annotated[int, Query()]`: nothing would set it
        problem = _view_marker_problem(cls, name, type(marker).__name__, annotated=True)
        raise ConfigurationError(problem)
    return _provided_by(None, annotation, f"{cls.__qualname__}.{name}", "attribute")


def attribute_value_problem(cls: type, name: str, value: object) -> str | None:
    """What is wrong with a View's class attribute whose value is a marker, which no request
    fills (``page: int = Query()`` would stay the marker), aaf's or FastAPI's; else None."""
    if isinstance(value, Param):
        return _view_marker_problem(cls, name, type(value).__name__, annotated=False)
    foreign = _foreign_marker(value, MISSING)
    if foreign is not None:  # from an app being ported
        return (
            f"{cls.__qualname__}.{name} is FastAPI's {foreign}(), which aaf does not read: a "
            "View's attribute is filled by aaf's Depends(provider) (from aaf.params import "
            "Depends)"
        )
    return None


def _view_marker_problem(cls: type, name: str, marker: str, *, annotated: bool) -> str:
    how = f"marked {marker}()" if annotated else f"{marker}()"
    return (
        f"{cls.__qualname__}.{name} is {how}: a View's attribute is filled by Depends(provider) "
        f"only; read a request value as a method's parameter, {name}: Annotated[T, {marker}()]"
    )


def _provided_by(
    found: Dependency | None, annotation: object, where: str, what: str
) -> Dependency | None:
    """``found`` (a default's ``Depends``), else the annotation's ``Annotated`` one; for
    ``Depends()`` with no provider, the annotation's class."""
    base, meta = strip_annotated(annotation)
    found = found or next((m for m in meta if isinstance(m, Dependency)), None)
    if found is None or found.provider is not None:
        return found
    if not isinstance(base, type) or base.__module__ == "builtins" or _is_connection(base):
        raise ConfigurationError(
            f"{where} is Depends() with no provider, which calls the {what}'s class, but it is "
            f"annotated {_name_of(annotation)}: name the provider, Depends(provider)"
        )
    return Dependency(base, found.use_cache, found.scopes)


def _is_connection(annotation: object) -> bool:
    base = strip_annotated(annotation)[0]
    return isinstance(base, type) and issubclass(base, Connection)


def _result_encoder(annotation: object, qualname: str, dump: Mapping[str, bool]) -> ResultEncoder:
    try:
        return result_encoder(None if annotation is MISSING else annotation, qualname, **dump)
    except SchemaError as exc:  # a constraint of the wrong type: Field(ge=1) on a date
        raise ConfigurationError(
            f"{qualname}: pydantic cannot validate its return type: {_reason(exc)}"
        ) from None
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        members = union_members(strip_annotated(annotation)[0])
        if any(is_asgi_class(member) for member in members):
            # Starlette's or FastAPI's Response, say, from an app being ported.
            raise ConfigurationError(
                f"{qualname}: its return type {annotation!r} is {OTHER_FRAMEWORKS_RESPONSE}"
            ) from None
        raise ConfigurationError(
            f"{qualname}: cannot serialize its return type {annotation!r}: {exc}"
        ) from None


# What a handler annotated to return cannot give a body with: None, and types that say
# nothing of the value (a response object is told by its class).
_NO_BODY_VALUES: tuple[object, ...] = (
    None,
    type(None),
    Any,
    object,
    NoReturn,
    typing_extensions.Never,
)


def _gives_a_body(annotation: object) -> bool:
    """Whether a handler annotated to return ``annotation`` may return a value that goes
    out as a body: anything but ``None``, a response object (which has its own status),
    ``Any``, ``object`` and ``NoReturn``."""
    for member in union_members(strip_annotated(annotation)[0]):
        member = strip_annotated(member)[0]
        if member in _NO_BODY_VALUES:
            continue
        kind = get_origin(member) or member
        if isinstance(kind, type) and issubclass(kind, HttpResponse):
            continue
        return True
    return False


def is_body_type(annotation: object, seen: frozenset[int] = frozenset()) -> bool:
    """Whether an unmarked parameter of this type is the JSON body (models and their lists).
    ``seen``: the type aliases already read, each once (a recursive one, ``type Tree =
    list[Tree] | int``, recurs without end, and the level read already decides)."""
    if is_alias(annotation):
        if id(annotation) in seen:
            return False
        seen = seen | {id(annotation)}
    for member in union_members(strip_annotated(annotation)[0]):
        if member is type(None):
            continue
        if get_origin(member) is Annotated:  # `Annotated[A | B, ...] | None`
            if is_body_type(member, seen):
                return True
            continue
        if get_origin(member) in BODY_COLLECTIONS or member is list:
            args: tuple[object, ...] = get_args(member)
            return bool(args) and is_body_type(args[0], seen)
        kind = get_origin(member) or member
        if isinstance(kind, type) and issubclass(kind, Mapping):
            # No query value is a mapping (a dict, a Counter, an OrderedDict, ...): FastAPI
            # reads one from the body too.
            return True
        if isinstance(member, type) and (
            issubclass(member, BaseModel)
            or dataclasses.is_dataclass(member)  # pyright: ignore[reportUnknownArgumentType]
            or typing_extensions.is_typeddict(member)  # pyright: ignore[reportUnknownArgumentType]
        ):
            return True
    return False


def _from_text(annotation: object, many: bool, files: bool = False) -> bool:
    """Whether some text (with ``many``, a list of texts) can be valid for ``annotation``, by
    its pydantic schema: not when it takes only an object or a mapping (a dataclass, a dict, a
    TypedDict, a model), unless a validator of its own or ``Json`` reads text first; an
    uploaded file only from a form (``files``). True for a type pydantic cannot validate:
    building the plan says so."""
    if all(plain_text(member, many) for member in union_members(strip_annotated(annotation)[0])):
        return True  # PERF: the common cases, without a schema built at registration
    try:
        with warnings.catch_warnings():  # Field(deprecated=...) outside a model, say
            warnings.simplefilter("ignore")
            schema = type_adapter(annotation).core_schema
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
        return True
    return _schema_from_text(cast("Mapping[str, object]", schema), {}, many, files)


def text_literals(annotation: object) -> object:
    """``annotation`` with each ``Literal`` of integers or booleans made to take its values
    as text too (``Literal[1, 2]`` takes ``"2"``), where they sit (in a union, a list, an
    ``Annotated``): a query, header, cookie, form or path value is text, which pydantic's
    ``Literal`` compares as it is with ``1`` and never matches, though the API document
    offers the numbers. Anything else is given back as it is."""
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is Literal:
        speller = _literal_speller(arguments)
        return annotation if speller is None else Annotated[annotation, BeforeValidator(speller)]
    if origin is Annotated:
        inner = text_literals(arguments[0])
        return annotation if inner is arguments[0] else Annotated[(inner, *arguments[1:])]
    if origin in (Union, types.UnionType) or origin in COLLECTION_TYPES:
        # PERF: a list's items each spelt where pydantic validates them, not by a validator
        # of the whole list that makes another (0.83 against 1.22 us for three values,
        # timeit of TypeAdapter(text_literals(list[Literal[1, 2, 3]])).validate_python).
        rebuilt = tuple(text_literals(a) for a in arguments)
        if all(new is old for new, old in zip(rebuilt, arguments, strict=True)):
            return annotation
        if origin in (Union, types.UnionType):
            return Union[rebuilt]  # noqa: UP007  # rebuilt from a tuple of members
        return cast("Any", origin)[rebuilt]
    return annotation


def model_text_literals(annotation: object, model: type[BaseModel]) -> object:
    """``annotation``, of a ``model`` read from text (marked ``Query()``, ``Form()``, ...),
    made to take the model's fields' ``Literal`` integers and booleans as text, as
    ``text_literals`` makes a parameter take its own."""
    spellers: dict[str, Callable[[object], object]] = {}
    for name, info in model.model_fields.items():
        speller = text_speller(info.annotation)
        if speller is not None:
            keys = (name, info.alias, info.validation_alias)  # whichever the client sends
            spellers.update((key, speller) for key in keys if isinstance(key, str))
    if not spellers:
        return annotation
    return Annotated[annotation, BeforeValidator(functools.partial(_fields_spelt, spellers))]


def text_speller(annotation: object) -> Callable[[object], object] | None:
    """What turns text naming a ``Literal`` integer or boolean of ``annotation`` into that
    value, where it sits (a list's items for a collection of them), leaving any other value
    as it is; None when ``annotation`` holds no such ``Literal``. For a model's field, whose
    annotation cannot be rebuilt as ``text_literals`` rebuilds a parameter's."""
    origin = get_origin(annotation)
    arguments = get_args(annotation)
    if origin is Literal:
        return _literal_speller(arguments)
    if origin is Annotated:
        return text_speller(arguments[0])
    if origin in (Union, types.UnionType):
        found = tuple(speller for a in arguments if (speller := text_speller(a)) is not None)
        if len(found) > 1:
            return functools.partial(_first_spelt, found)
        return found[0] if found else None
    if origin in COLLECTION_TYPES and arguments:
        if origin is tuple and arguments[-1] is not Ellipsis:  # tuple[int, Literal[1]]
            each = tuple(text_speller(a) for a in arguments)
            if all(speller is None for speller in each):
                return None
            return functools.partial(_spelt_in_place, each)
        item = text_speller(arguments[0])
        return None if item is None else functools.partial(_each_spelt, item)
    return None


def _literal_speller(values: tuple[object, ...]) -> Callable[[object], object] | None:
    """``Literal[*values]``'s speller: text naming one of its integers or booleans to it."""
    kinds = [k for k in (bool, int) if any(type(v) is k for v in values)]
    if not kinds:
        return None
    # PERF: each value's own spelling ("2", "true") looked up, made once; pydantic's
    # parsing only for another spelling of it ("02", "yes").
    spelt = {json.dumps(v): v for v in values if type(v) in kinds}
    parsers: tuple[TypeAdapter[Any], ...] = tuple(TypeAdapter(kind) for kind in kinds)
    return functools.partial(_literal_from_text, values, spelt, parsers)


def _first_spelt(spellers: tuple[Callable[[object], object], ...], value: object) -> object:
    """A union's: the first of its members' spellings that reads ``value``."""
    for speller in spellers:
        spelt = speller(value)
        if spelt is not value:
            return spelt
    return value


def _each_spelt(item: Callable[[object], object], value: object) -> object:
    """A collection's: each item of ``value`` (a list, as text values come) spelt."""
    return [item(v) for v in cast("list[object]", value)] if type(value) is list else value


def _spelt_in_place(each: tuple[Callable[[object], object] | None, ...], value: object) -> object:
    """A fixed tuple's: each item of ``value`` by its place's speller."""
    if type(value) is not list:
        return value
    return [
        v if index >= len(each) or (speller := each[index]) is None else speller(v)
        for index, v in enumerate(cast("list[object]", value))
    ]


def _fields_spelt(spellers: Mapping[str, Callable[[object], object]], value: object) -> object:
    """A model's: each field's value in ``value`` (what a source gave, by key) spelt."""
    if type(value) is not dict:
        return value
    given = cast("dict[str, object]", value)
    return {key: spellers[key](v) if key in spellers else v for key, v in given.items()}


def _literal_from_text(
    values: tuple[object, ...],
    spelt: Mapping[str, object],
    parsers: tuple[TypeAdapter[Any], ...],
    value: object,
) -> object:
    """The literal value ``value`` names as text (``"2"`` for ``2``, ``"true"`` for
    ``True``), else ``value`` as it came, for pydantic to refuse in its own words."""
    if not isinstance(value, str) or value in values:
        return value
    if value in spelt:
        return spelt[value]
    for parser in parsers:
        try:
            parsed = parser.validate_python(value)
        except ValidationError:
            continue
        for member in values:
            if type(member) is type(parsed) and member == parsed:
                return member
    return value


def _textless_field(model: type[BaseModel], source: str) -> str | None:
    """The first field of ``model`` (marked ``Query()``, ``Header()``, ``Cookie()`` or
    ``Form()``, read field by field) that no value from ``source`` can fill, as a parameter
    of its type would be refused; None when each can, or when a validator of the model's own
    reads the values first."""
    definitions: dict[object, Mapping[str, object]] = {}
    schema: Mapping[str, object] | None = cast(
        "Mapping[str, object]", model.__pydantic_core_schema__
    )
    while schema is not None and schema["type"] != "model-fields":
        kind = schema["type"]
        if kind == "definitions":
            for definition in cast("list[Mapping[str, object]]", schema["definitions"]):
                definitions[definition["ref"]] = definition
            schema = schema_under(schema, "schema")
        elif kind == "definition-ref":
            schema = definitions.get(schema["schema_ref"])
        elif kind == "model":
            schema = schema_under(schema, "schema")
        else:
            return None  # a model validator before (or around) the fields reads its own way
    if schema is None:
        return None
    many = source != "cookie"  # a cookie is one text: a list of them is none
    fields = cast("Mapping[str, Mapping[str, object]]", schema["fields"])
    for name, field in fields.items():
        if name in model.model_fields and not _schema_from_text(
            schema_under(field, "schema"), definitions, many, files=source == "form"
        ):
            return name
    return None


def _finite_values(annotation: object) -> list[object] | None:
    """Every value ``annotation`` takes, when it is a few (``Literal`` values, enum members'
    values, ``True`` and ``False``; ``None`` aside, which no text is); else None."""
    values: list[object] = []
    for written in union_members(strip_annotated(annotation)[0]):
        member = _newtype_base(strip_annotated(written)[0])  # a Literal spelt from text too
        if member is type(None) or member is None:
            continue
        if get_origin(member) is Literal:
            values.extend(get_args(member))
        elif isinstance(member, type) and issubclass(member, enum.Enum):
            values.extend(item.value for item in member)
        elif member is bool:
            values.extend((True, False))
        else:
            return None
    return values or None


def _takes_none(annotation: object) -> bool:
    """Whether ``None`` is a member of ``annotation`` (``Color | None``)."""
    return any(
        strip_annotated(member)[0] in (None, type(None))
        for member in union_members(strip_annotated(annotation)[0])
    )


def _valid_values(adapter: TypeAdapter[Any], candidates: Iterable[object]) -> tuple[JsonValue, ...]:
    """The ``candidates`` ``adapter`` takes, validated and as JSON, each once, in order."""
    valid: dict[str, JsonValue] = {}
    for candidate in candidates:
        try:
            value = adapter.dump_python(adapter.validate_python(candidate), mode="json")
        except (ValidationError, ValueError, TypeError):
            continue
        valid.setdefault(json.dumps(value, sort_keys=True), value)
    return tuple(valid.values())


def _schema_from_text(
    schema: Mapping[str, object],
    definitions: dict[object, Mapping[str, object]],
    many: bool,
    files: bool = False,
    visiting: frozenset[object] = frozenset(),
) -> bool:
    # Read as plain mappings: pydantic-core's schema types are a union of sixty TypedDicts.
    def inner(schema: Mapping[str, object], many: bool = many) -> bool:
        return _schema_from_text(schema, definitions, many, files, visiting)

    kind = schema["type"]
    if kind == "function-wrap" and collection_validator(schema):
        return inner(schema_under(schema, "schema"))
    if kind in ("function-before", "function-plain", "function-wrap", "json", "any"):
        return True  # reads what it is given its own way
    if kind == "is-instance" and _is_file_class(schema.get("cls")):
        return files  # an uploaded file, from a form only
    if kind == "json-or-python":
        # A Sequence: its Python side takes any sequence first, a text among them, then
        # refuses a text; its JSON side says what it holds.
        return inner(schema_under(schema, "json_schema"))
    if kind == "lax-or-strict":  # lax, as values are validated
        return inner(schema_under(schema, "lax_schema"))
    if kind == "definitions":
        for definition in cast("list[Mapping[str, object]]", schema["definitions"]):
            definitions[definition["ref"]] = definition
        return inner(schema_under(schema, "schema"))
    if kind == "definition-ref":
        ref = schema["schema_ref"]
        found = definitions.get(ref)
        if found is None or ref in visiting:
            return True  # a recursive type, inside itself: what the rest of it says
        return _schema_from_text(found, definitions, many, files, visiting | {ref})
    if kind in _MAPPING_SCHEMAS:
        return False
    if kind in ARRAY_SCHEMAS:
        items = schema.get("items_schema")
        members = cast(
            "list[Mapping[str, object]]",
            items if isinstance(items, list) else [items] if items else [],
        )
        return many and all(inner(m, False) for m in members)
    if kind == "union":
        return any(
            inner(schema_under({"schema": choice}, "schema"))
            for choice in cast("list[object]", schema["choices"])
        )
    if kind == "tagged-union":
        choices = cast("dict[object, Mapping[str, object]]", schema["choices"])
        return any(inner(c) for c in choices.values())
    if kind == "chain":
        steps = cast("list[Mapping[str, object]]", schema["steps"])
        return inner(steps[0])
    # A model or a dataclass by its fields (a RootModel by its root, one with a validator
    # before by that); nullable, default, function-after, custom-error, ...: what they hold.
    if isinstance(schema.get("schema"), dict):
        return inner(schema_under(schema, "schema"))
    return True  # str, int, a date, an enum, a literal, ...


_MAPPING_SCHEMAS = DICT_SCHEMAS | {"typed-dict", "model-fields", "dataclass-args", "arguments"}

# What pydantic's Json[T] puts in the annotation's metadata (type checkers see an alias).
_JSON_MARKER: type[object] = type(cast("object", get_args(Json[int])[1]))


def _is_many(annotation: object) -> bool:
    base, meta = strip_annotated(annotation)
    if any(isinstance(m, _JSON_MARKER) for m in meta):
        return False  # Json[list[int]]: one value, JSON text of the list
    for member in union_members(base):
        origin = get_origin(member)
        if any(member is c for c in COLLECTION_TYPES) or origin in COLLECTION_TYPES:
            return True
    return False


def _holds(annotation: object, wanted: Callable[[object], bool]) -> tuple[bool, bool]:
    """Whether ``annotation`` (a union member of it) is a ``wanted`` type or a list of one:
    ``(found, as a list)``."""
    for member in union_members(strip_annotated(annotation)[0]):
        if wanted(member):
            return True, False
        if get_origin(member) is list and get_args(member) and wanted(get_args(member)[0]):
            return True, True
    return False, False


def _only_uploads(annotation: object) -> bool:
    """Whether each union member of ``annotation`` but ``None`` is an uploaded file or a
    list of them."""
    members = [m for m in union_members(strip_annotated(annotation)[0]) if m is not type(None)]
    return bool(members) and all(_is_upload(member)[0] for member in members)


def _is_upload(annotation: object) -> tuple[bool, bool]:
    return _holds(annotation, _is_file_class)


def _is_bytes(annotation: object) -> bool:
    """``bytes`` or ``list[bytes]``: a form field that takes a file's content."""
    return _holds(annotation, lambda member: member is bytes)[0]


def _is_file_class(member: object) -> bool:
    # UploadFile, or werkzeug's FileStorage that it extends.
    return isinstance(member, type) and issubclass(member, FileStorage)


def _keys_filled(model: type[BaseModel], *, many: bool = False) -> frozenset[str]:
    """The keys ``model``'s fields (its list fields, with ``many``) are filled from, as
    pydantic reads them: their aliases, else their names (their names too where the model
    takes them as well). A key of none is another (a ``extra="allow"`` model's)."""
    by_name = model.model_config.get("populate_by_name") or model.model_config.get(
        "validate_by_name"
    )
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        if not many or _is_many(info.annotation):
            aliases = field_aliases(info)
            keys.update(aliases if aliases and not by_name else (name, *aliases))
    return frozenset(keys)


def _class_named(fullname: str) -> type[object]:
    """The class ``fullname`` (as ``_rules.VALUE_KINDS`` spells it, mypy's way) names here:
    ``typing.Sequence`` is the ``collections.abc.Sequence`` it stands for."""
    module, _, name = fullname.rpartition(".")
    found: object = getattr(importlib.import_module(module), name)
    origin = get_origin(found) or found
    assert isinstance(origin, type), fullname
    return origin


# _rules.VALUE_KINDS with its classes, resolved once.
_VALUE_CLASSES: tuple[tuple[type[object], _rules.ValueKind], ...] = tuple(
    (_class_named(name), kind) for name, kind in _rules.VALUE_KINDS
)
# pydantic's dates and times with a condition (AwareDatetime, PastDate, ...): classes of
# their own at run time, ``datetime``'s aliases to type checkers (and so to the plugin).
_PYDANTIC_DATES: frozenset[object] = frozenset(
    (AwareDatetime, NaiveDatetime, PastDate, FutureDate, PastDatetime, FutureDatetime)
)


def _kind_of(member: object) -> _rules.ValueKind | None:
    """What ``_rules.constraint_problem`` calls a union member's kind (a ``NewType`` its
    base's, a ``Literal`` of one value its value's); ``None`` for a type left to pydantic."""
    member = _newtype_base(member)
    found: object = get_origin(member) or member
    if found is Literal:  # one value (_literals_apart): its class's kind
        value: object = get_args(member)[0]
        return _kind_of(type(value))
    if not isinstance(found, type):
        return None
    base: type[object] = found
    if (
        issubclass(base, BaseModel)
        or dataclasses.is_dataclass(base)
        or typing_extensions.is_typeddict(base)
    ):
        return "a model"
    if issubclass(base, enum.Enum) and not issubclass(base, str | bytes | int | float | Decimal):
        return "an enum member"  # an IntEnum compares as a number, a StrEnum matches as text
    if base in _PYDANTIC_DATES:
        return "a date or time"
    return next((kind for cls, kind in _VALUE_CLASSES if issubclass(base, cls)), None)


def _check_whole_model_marker(
    qualname: str, name: str, marker: Param, model: type[BaseModel]
) -> None:
    """A model marked ``Query()`` (``Header()``, ``Cookie()``, ``Form()``) is read field by
    field: the marker may give it nothing but ``include_in_schema``.

    Raises:
        ConfigurationError: the marker gives more.
    """
    given = [
        *(["alias"] if marker.alias else []),
        *(["openapi_examples"] if marker.openapi_examples else []),
        *marker.field,
    ]
    problem = _rules.whole_model_marker_problem(
        qualname, name, type(marker).__name__, given, model.__name__
    )
    if problem is not None:
        raise ConfigurationError(problem)


def _metadata_problem(
    qualname: str, name: str, annotation: object, source: str | None
) -> str | None:
    """``_constraint_problem`` for the constraints written in ``annotation``'s own metadata
    rather than given to a marker: ``Annotated[int, Field(max_length=3)]``, ``MaxLen(3)`` of
    annotated_types, pydantic's ``StringConstraints``; each named as it was written."""
    for item in strip_annotated(annotation)[1]:
        if isinstance(item, FieldInfo):
            shown, parts = "Field", item.metadata
        elif _holds_constraints(item):
            shown, parts = type(item).__name__, [item]
        else:
            continue
        given = {
            keyword: True
            for part in parts
            if _holds_constraints(part)
            for keyword in _rules.CONSTRAINTS
            if getattr(part, keyword, None) is not None
        }
        problem = _constraint_problem(qualname, name, shown, annotation, given, source=source)
        if problem is not None:
            return problem
    return None


def _holds_constraints(item: object) -> bool:
    """Whether ``item`` of an annotation's metadata is one whose attributes named as Field's
    keywords are constraints: annotated-types' (``Ge(1)``, ``MaxLen(3)``) or pydantic's own
    (``StringConstraints(...)``, what its ``Field`` keeps in its metadata)."""
    module = type(item).__module__
    return module == "annotated_types" or module.startswith("pydantic.")


def _constraint_problem(
    qualname: str,
    name: str,
    marker: str,
    annotation: object,
    field: Mapping[str, object],
    *,
    source: str | None = None,
) -> str | None:
    """Why ``marker``'s constraints (``field``) cannot apply to ``annotation``, if they
    cannot: ``Query(ge=1)`` on a ``str``, ``Body(max_length=3)`` on a model. ``source``:
    where the value comes from, which says what ``Any`` (or ``object``) is given."""
    if not _rules.CONSTRAINTS.intersection(field):
        return None
    base, meta = strip_annotated(annotation)
    for member in _literals_apart(union_members(base)):
        found, own = strip_annotated(member)
        kind = _kind_of(found)
        if found is Any or found is object:
            # What Any is given: JSON for Json[Any]; left to pydantic where a validator in
            # its metadata may make it something else.
            if any(isinstance(m, _JSON) for m in (*meta, *own)):
                kind = _rules.anything_kind("body")  # parsed JSON, as a body's value
            elif all(isinstance(m, Param | FieldInfo) for m in (*meta, *own)):
                kind = _rules.anything_kind(source)
        if kind is None:
            continue
        problem = _rules.constraint_problem(qualname, name, marker, _name_of(member), kind, field)
        if problem is not None:
            return problem
    return None


def _json_marker() -> type[object]:
    """The class of pydantic's marker in ``Json[T]``, ``Annotated[T, Json()]`` at runtime
    (an alias to type checkers)."""
    json: Any = Json
    marker: object = get_args(json[Any])[1]
    return type(marker)


_JSON = _json_marker()


def _literals_apart(members: Iterable[object]) -> Iterator[object]:
    """``members`` with each ``Literal`` of several values one member per value, as mypy
    counts a union's members (``Literal['asc', 'desc']`` is two)."""
    for member in members:
        if get_origin(member) is Literal:
            for value in get_args(member):
                yield Literal[value]
        else:
            yield member


def _newtype_base(member: object) -> object:
    """``member``, or for a ``NewType`` (of a ``NewType``...) the type it is made from."""
    while hasattr(member, "__supertype__"):
        member = getattr(member, "__supertype__")  # noqa: B009
    return member


def _members(annotation: object) -> list[_rules.Member]:
    """An annotation's union members in the rules' terms (``NewType``s as their base)."""
    members: list[_rules.Member] = []
    for member in map(_newtype_base, union_members(strip_annotated(annotation)[0])):
        if member is Any or member is object or isinstance(member, TypeVar):
            members.append(_rules.Member(anything=True))
        elif get_origin(member) is Literal:
            members.append(_rules.Member(literals=get_args(member)))
        elif isinstance(member, type):
            members.append(_rules.Member(mro=_rules.type_names(member)))
        else:
            members.append(_rules.Member())
    return members


_KINDS: dict[object, _rules.ParamKind] = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def _rule_param(param: inspect.Parameter, hints: Mapping[str, object]) -> _rules.Param:
    annotation = hints.get(param.name, MISSING)
    if annotation is MISSING:
        return _rules.Param(param.name, _KINDS[param.kind], None)
    return _rules.Param(
        param.name, _KINDS[param.kind], _name_of(annotation), _is_connection(annotation)
    )


def check_comparable(qualname: str, schema: object, *, parameter: str | None, text: bool) -> None:
    """Refuse ``schema`` (the core schema what a client sends is validated by: a body's, the
    parameters' with the models read from the query) where it could answer 500: a constraint
    pydantic checks in a validator of its own over a value it cannot compare with it, such as
    a model's field ``Field(gt=0)`` on ``int | str``, which makes pydantic raise ``TypeError``
    (not a validation error) for a string. ``parameter``: the one ``schema`` validates, or
    ``None`` for the parameters' validator, whose fields are each source's parameters;
    ``text``: the values are read from text (``Any`` is a string there). A kind of value
    aaf does not know is let be.

    Raises:
        ConfigurationError: naming the parameter, the field, the constraint and the kind.
    """
    found = _incomparable(schema, (), text)
    if found is None:
        return
    where, constraint, kind = found
    if parameter is None:  # the parameters' validator: the source, then the parameter
        parameter, where = (where[1], where[2:]) if len(where) > 1 else ("?", ())
    field = f", field {'.'.join(where)}" if where else ""
    values = "values of any type" if kind == "any" else "null" if kind == "none" else kind
    raise ConfigurationError(
        f"{qualname}: parameter {parameter!r}{field}: {constraint}= applies to {values} there, "
        "which pydantic cannot compare with it: it would raise TypeError for such a value, "
        "a 500 for what a client sends; constrain the types that take it apart "
        "(Annotated[int, Field(gt=0)] | str)"
    )


# pydantic's validators of constraints that a type's own schema does not take, by what they
# compare: a number, or a length.
_NUMBER_CHECKS = frozenset(
    (
        "greater_than_validator",
        "greater_than_or_equal_validator",
        "less_than_validator",
        "less_than_or_equal_validator",
        "multiple_of_validator",
    )
)
_LENGTH_CHECKS = frozenset(("min_length_validator", "max_length_validator"))
_NUMBER_KINDS = frozenset(("int", "float", "bool", "decimal"))
_SIZED_KINDS = frozenset(("str", "bytes", "list", "tuple", "set", "frozenset", "dict"))
# The kinds of value told apart: any other kind of schema is not judged.
_KNOWN_KINDS = (
    _NUMBER_KINDS
    | _SIZED_KINDS
    | frozenset(
        ("none", "any", "date", "datetime", "time", "timedelta", "uuid", "model", "typed-dict")
    )
)
# Keys of a core schema that hold no schema to look into.
_NOT_SCHEMAS = frozenset(("metadata", "serialization", "default", "cls", "config", "function"))


def _incomparable(
    node: object, where: tuple[str, ...], text: bool
) -> tuple[tuple[str, ...], str, str] | None:
    """Where in ``node``, which constraint, on which kind of value (``check_comparable``)."""
    if isinstance(node, list):
        for item in cast("list[object]", node):
            if (found := _incomparable(item, where, text)) is not None:
                return found
        return None
    if not isinstance(node, dict):
        return None
    schema = cast("dict[str, object]", node)
    check = _constraint_check(schema)
    if check is not None:
        constraint, kinds = check
        for kind in _kinds_of(schema.get("schema"), text):
            if kind in _KNOWN_KINDS and kind not in kinds:
                return where, constraint, kind
    if schema.get("type") == "chain":  # a pattern on a value that is not a str: Any
        steps = cast("list[object]", schema.get("steps") or [])
        for step in steps[1:]:
            pattern = _pattern_check(step)
            if pattern is not None:
                for kind in _kinds_of(steps[0], text):
                    if kind in _KNOWN_KINDS and kind != "str":
                        return where, pattern, kind
    for key, value in schema.items():
        if key in _NOT_SCHEMAS:
            continue
        if key == "fields" and isinstance(value, dict):
            for field, inner in cast("dict[str, object]", value).items():
                if (found := _incomparable(inner, (*where, field), text)) is not None:
                    return found
            continue
        inside = where
        if schema.get("type") == "dataclass-field" and key == "schema":
            inside = (*where, str(schema.get("name")))
        if (found := _incomparable(value, inside, text)) is not None:
            return found
    return None


def _constraint_check(schema: Mapping[str, object]) -> tuple[str, frozenset[str]] | None:
    """The constraint (``gt``) and the kinds it compares, of pydantic's validator of it."""
    function = schema.get("function")
    if schema.get("type") != "function-after" or not isinstance(function, dict):
        return None
    call = cast("dict[str, object]", function).get("function")
    if not isinstance(call, functools.partial) or len(call.keywords) != 1:
        return None
    target = cast("functools.partial[object]", call).func
    named = getattr(target, "__name__", "")
    ((constraint, bound),) = call.keywords.items()
    if getattr(target, "__module__", "") != "pydantic._internal._validators":
        return None
    if named in _NUMBER_CHECKS:
        numeric = isinstance(bound, int | float | Decimal) and not isinstance(bound, bool)
        return (constraint, _NUMBER_KINDS) if numeric else None  # a date's bound: not judged
    if named in _LENGTH_CHECKS:
        return constraint, _SIZED_KINDS
    return None


def text_step(step: object) -> Mapping[str, object] | None:
    """The str schema a chain's step checks its value against, if that is what the step is:
    pydantic's way of putting a ``pattern`` (a str's constraint) on a type that is not a
    str, in a step after the first."""
    if not isinstance(step, dict):
        return None
    schema = cast("dict[str, object]", step)
    checked = schema.get("schema")
    if schema.get("type") != "function-wrap" or not isinstance(checked, dict):
        return None
    text = cast("dict[str, object]", checked)
    return text if text.get("type") == "str" else None


def _pattern_check(step: object) -> str | None:
    """The constraint a chain's step checks over a str schema (``text_step``)."""
    text = text_step(step)
    if text is None:
        return None
    keys = sorted(key for key in text if key not in ("type", "metadata"))
    return keys[0] if len(keys) == 1 else None


def _kinds_of(schema: object, text: bool) -> list[str]:
    """The kinds of value a core schema gives (``int``, ``str``, ``none``, ...): each of a
    union's, the type of each of a Literal's values; ``unknown`` where it cannot say."""
    while isinstance(schema, dict):
        node = cast("dict[str, object]", schema)
        kind = node.get("type")
        if kind in ("function-after", "function-before", "function-wrap", "default"):
            schema = node.get("schema")
        elif kind == "nullable":
            return ["none", *_kinds_of(node.get("schema"), text)]
        elif kind == "union":
            kinds: list[str] = []
            for choice in cast("list[object]", node.get("choices") or []):
                if isinstance(choice, tuple):  # (schema, label)
                    choice = cast("tuple[object, ...]", choice)[0]
                kinds += _kinds_of(choice, text)
            return kinds
        elif kind == "literal":
            return [
                _value_kind(value) for value in cast("list[object]", node.get("expected") or [])
            ]
        elif kind == "enum":
            sub_type = node.get("sub_type")
            return [sub_type] if isinstance(sub_type, str) else ["unknown"]
        elif kind == "any":
            return ["str" if text else "any"]
        elif isinstance(kind, str):
            return [kind]
        else:
            break
    return ["unknown"]


def _value_kind(value: object) -> str:
    if value is None:
        return "none"
    for kind, made in (
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("str", str),
        ("bytes", bytes),
    ):
        if isinstance(value, made):
            return kind
    return "unknown"


def check_complete(qualname: str, name: str, annotation: object) -> None:
    """Each model ``annotation`` names (in a union, a list, ``Annotated``) is one pydantic
    can build: a name it refers to that is not defined yet (``tree: "Later"``) is said here,
    as pydantic says it, once the model has been asked to rebuild.

    Raises:
        ConfigurationError: a model is not fully defined, or is pydantic's ``BaseModel``
            itself (which pydantic fills only from an empty object: any key is an
            ``AttributeError`` in pydantic, a 500).
    """
    if BaseModel in models_in(annotation):
        raise ConfigurationError(
            f"{qualname}: parameter {name!r} is annotated {_name_of(annotation)}: pydantic's "
            "BaseModel itself has no fields to fill (pydantic fails on any key given); "
            "annotate a model of your own, or dict[str, Any] to take any JSON object"
        )
    unbuilt = unbuilt_model(annotation)
    if unbuilt is not None:
        model, reason = unbuilt
        raise ConfigurationError(
            f"{qualname}: parameter {name!r} is annotated {_name_of(annotation)}, whose model "
            f"{model} pydantic cannot build yet: {reason}; define it before the route is "
            f"registered (or call {model}.model_rebuild() once it is)"
        )


def _adapter(annotation: object, qualname: str, name: str) -> TypeAdapter[object]:
    try:
        return type_adapter(annotation)
    except SchemaError as exc:
        raise ConfigurationError(_schema_problem(qualname, name, exc)) from None
    except (PydanticSchemaGenerationError, PydanticUserError) as exc:
        if isinstance(exc, PydanticSchemaGenerationError) and isinstance(annotation, type):
            # A class of its own (Starlette's Request, a Mapping, reads as a body): what
            # fills it, not pydantic's advice on models.
            problem = _no_value_problem(qualname, name, _name_of(annotation), "body")
        else:
            problem = f"{qualname}: parameter {name!r} has a type pydantic cannot validate: {exc}"
        raise ConfigurationError(problem) from None


# The functional TypedDict form, called with names and fields known only at runtime.
_typed_dict: Callable[[str, dict[str, object]], object] = TypedDict  # type: ignore[assignment]


def _build_validator(
    definitions: Mapping[Group, dict[str, tuple[object, str, bool]]], qualname: str
) -> TypeAdapter[dict[str, dict[str, object]]]:
    """One TypedDict per group, keyed by parameter name and read by wire name (the alias).
    The groups go in FastAPI's order, path, query, header, cookie, then the form, whatever
    the order of the parameters: pydantic lists a 422's errors in its fields' order."""
    safe = _safe_name(qualname)
    groups: dict[str, object] = {}
    try:
        for group in _GROUPS:
            if (defs := definitions.get(group)) is not None:
                groups[group] = _typed_dict(f"{safe}_{group}", _typed_members(defs))
        shape = _typed_dict(f"{safe}_params", groups)
        # The shape is built at runtime, so mypy cannot see what it validates into.
        validator = cast("TypeAdapter[dict[str, dict[str, object]]]", type_adapter(shape))
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError, SchemaError) as exc:
        raise ConfigurationError(_unvalidatable(definitions, qualname, exc)) from None
    check_comparable(qualname, validator.core_schema, parameter=None, text=True)
    return validator


def _query_kwargs(
    definitions: Mapping[str, tuple[object, str, bool]],
    defaults: Mapping[str, object],
    qualname: str,
) -> SchemaValidator:
    """A validator of the query string's values (``{wire name: value}``) that gives the
    handler's keyword arguments themselves, defaults filled. PERF: no group around them,
    no copy of the defaults, no update (benchmarks/instructions.py, search query). A
    default goes in as it is, as the general way passes it: only hashable ones, which
    pydantic does not copy. What it refuses goes the general way, which says what was
    wrong (its errors are the general validator's)."""
    shape = _typed_dict(
        f"{_safe_name(qualname)}_query_kwargs", _typed_members(definitions, defaults)
    )
    return type_adapter(shape).validator  # type: ignore[return-value]  # a SchemaValidator


def _safe_name(qualname: str) -> str:
    """A handler's qualified name as part of a TypedDict's name."""
    return qualname.replace(".", "_").replace("<", "_").replace(">", "_")


def _typed_members(
    definitions: Mapping[str, tuple[object, str, bool]],
    defaults: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A TypedDict's members: each parameter read by its wire name, NotRequired unless it is
    required, and given its default when ``defaults`` are to be filled by the validator."""
    members: dict[str, object] = {}
    for name, (annotation, wire, required) in definitions.items():
        if required:
            members[name] = Annotated[annotation, Field(alias=wire)]
        elif defaults is None:
            members[name] = NotRequired[Annotated[annotation, Field(alias=wire)]]
        else:
            filled = Field(alias=wire, default=defaults[name])
            members[name] = NotRequired[Annotated[annotation, filled]]
    return members


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _check_copies(qualname: str, name: str, default: object) -> None:
    """Refuse a default that ``fresh`` says is copied for each request but cannot be: each
    request leaving the parameter out would be a 500."""
    try:
        copy.deepcopy(default)
    except Exception as exc:
        raise ConfigurationError(
            f"{qualname}: parameter {name!r} has a default that cannot be copied "
            f"({type(exc).__name__}: {exc}); a request that leaves the parameter out gets its "
            "own copy of an unhashable default (a list, a dict, a model): give one "
            "copy.deepcopy() takes"
        ) from exc


def fresh(default: object) -> bool:
    """Whether a parameter's default is deep-copied for each request that leaves it out:
    an unhashable one (``[]``, ``{}``, a model), which is mutable, as pydantic copies a
    field's. Shared, ``x: list[int] = []`` kept what one request appended for the next."""
    return not _hashable(default)


def _unvalidatable(
    definitions: Mapping[Group, dict[str, tuple[object, str, bool]]],
    qualname: str,
    error: Exception,
) -> str:
    """Say which parameter pydantic cannot validate (found one at a time, on this rare path)
    and, for a plain class, that a provider is what fills it."""
    for group, defs in definitions.items():
        for name, (annotation, _, _) in defs.items():
            try:
                type_adapter(annotation)
            except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
                return _no_value_problem(qualname, name, _name_of(annotation), group)
            except SchemaError as exc:
                return _schema_problem(qualname, name, exc)
    return f"{qualname}: a parameter has a type pydantic cannot validate: {error}"


def _schema_problem(qualname: str, name: str, error: SchemaError) -> str:
    """A constraint of the wrong type (``Query(ge=1)`` on a date), said with pydantic's
    reason."""
    return f"{qualname}: parameter {name!r}: pydantic cannot validate it: {_reason(error)}"


def _reason(error: SchemaError) -> str:
    """pydantic's reason for a validator it cannot build: the last line of its error."""
    return str(error).splitlines()[-1].strip()


def _no_value_problem(qualname: str, name: str, shown: str, source: str) -> str:
    return (
        f"{qualname}: parameter {name!r} is annotated {shown}, which no {source} value can "
        f"fill (pydantic cannot validate it); if something the app makes fills it, give it a "
        f"provider: {name}: {shown} = Depends(get_{name})"
    )
