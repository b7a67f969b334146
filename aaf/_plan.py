"""Read a handler's signature once, at registration, into a frozen plan.

The plan says where each parameter comes from and holds the pydantic validator that checks
them, so a request does no reflection (``_extract`` carries it out). Pure logic, no I/O: a plan
can be built and tested alone.
"""

from __future__ import annotations

import collections.abc
import contextvars
import copy
import dataclasses
import datetime
import enum
import functools
import importlib
import inspect
import itertools
import json
import sys
import types
import uuid
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
    Required,
    TypeGuard,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import annotated_types
import typing_extensions
from pydantic import (
    AliasChoices,
    AliasPath,
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
    RootModel,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, SchemaError, SchemaValidator
from typing_extensions import TypedDict
from werkzeug.datastructures import FileStorage
from werkzeug.routing.converters import AnyConverter, BaseConverter

import aaf._rules as _rules
from aaf._annotations import (
    annotated,
    is_alias,
    models_in,
    strip_annotated,
    unaliased,
    unbuilt_model,
    union_members,
)
from aaf._http import WITH_BODY
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
    "type_adapter",
]

MISSING = inspect.Parameter.empty
_T = TypeVar("_T")
# Where a validated group of fields comes from: the markers' sources, with form fields apart
# from the JSON body, and rule variables that need validation.
Group = Literal["path", "query", "header", "cookie", "form"]


def type_adapter(annotation: object) -> TypeAdapter[object]:
    """Build a pydantic ``TypeAdapter`` for an annotation read at runtime."""
    # Annotations read from signatures are plain objects to mypy; pydantic checks them itself.
    return TypeAdapter(annotation)  # type: ignore[arg-type]


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


# What a set[T] or frozenset[T] body's items, read as a list, are made.
Collection = type[set[object]] | type[frozenset[object]]


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
    # A model refusing keys it does not read: those it reads (see _keys_if_forbidding).
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


@dataclasses.dataclass(frozen=True, slots=True)
class TaggedReading:
    """How a large JSON object for a union of models told apart by a tag is read: the tag
    found among its members (read past a slice at a time where it comes late), then the
    object read as the model it names says (``readings``), errors located under the tag as
    pydantic locates them. A tag naming a model read whole has the body validated whole."""

    keys: tuple[str, ...]  # the keys the tag may be under, in the order pydantic tries them
    readings: Mapping[str, ModelReading]  # by tag
    tags: frozenset[str]  # every tag the union takes (some models may be read whole)
    exact: bool  # every tag is a string: a value that is none of them is an unknown tag
    # The union's own validator, for a model's field (a body's is the body's validator).
    validator: SchemaValidator | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class UnionReading:
    """How a large JSON object for a union of models without a tag is read: as each model in
    turn (each a slice of members at a time), then pydantic's choice made from what they
    gave. Of the models that take it, left to right the first; in smart mode (pydantic's
    default) the one with the most fields set, where one has more than the others (a tie is
    decided by how exactly each matched, which pydantic does not tell: the body is then
    validated whole). When none takes it, the errors are each model's, under its label, as
    pydantic lists them."""

    choices: tuple[tuple[str, ModelReading], ...]  # label and reading, in the union's order
    smart: bool  # pydantic's smart mode, not left to right


@dataclasses.dataclass(frozen=True, slots=True)
class KindReading:
    """How a long value for a model's field holding a union is read where one member at
    most takes a JSON array, and one at most an object (``list[Item] | Item``, one or many;
    ``str | list[str]``; or those ``| None``): the array or object read as the member that
    takes it reads one. Each other member's error is its error for an empty one of that kind
    (it refuses the kind whatever it holds), echoing what was sent; all are located under
    each member's label, in the union's order, as pydantic locates them."""

    labels: tuple[str, ...]  # in the union's order
    # By b"[" and b"{": the member that takes that kind (its place, how it reads it).
    takers: Mapping[bytes, tuple[int, ModelReading | ItemsReading]]
    # By b"[" and b"{": pydantic's errors of each other member for an empty one, by place.
    refusing: Mapping[bytes, Mapping[int, Sequence[Mapping[str, object]]]]
    refused: frozenset[bytes] = frozenset()  # the kinds no member takes whatever they hold


@dataclasses.dataclass(frozen=True, slots=True)
class ItemsReading:
    """How a large plain list (or dict of string keys) is read: a slice of its items at a
    time, each slice validated by ``validator`` as a list (or dict) of its own."""

    validator: SchemaValidator  # the list's, stopping at its first error
    opening: bytes  # "[" for a list, "{" for a dict
    each: Reading | None  # how one item too long for a slice is read apart
    strings: bool  # plain str items: a long one is read in pieces
    # Bounds on how many items the whole holds (`Body(max_length=...)`, a field's
    # `Field(max_length=...)`), checked once all are read: a slice's validator has none.
    min_length: int | None = None
    max_length: int | None = None
    # What the list or dict read is made in one call, for a type pydantic reads from one: a
    # deque, a Counter, an OrderedDict, a defaultdict (see _plain_of).
    made: Callable[[Any], object] | None = None
    # Which of a JSON array (``[``) and object (``{``) an item's schema refuses whatever they
    # hold: a long one of those is checked for being JSON a slice at a time and refused with
    # the error for an empty one.
    refuses: frozenset[bytes] = frozenset()


@dataclasses.dataclass(frozen=True, slots=True)
class SlicedField:
    """A field of a model body holding models or plain values in bulk: in a large body, its
    items are read as ``items`` says, the rest of the body in one call with the field left
    empty, and the items put in after."""

    key: str  # the field's name in the JSON object
    name: str  # the model's attribute
    loc: str  # how errors name it: the key, or the name when loc_by_alias is off
    items: ItemsReading
    # The field's own validators, all of mode "after" (`@field_validator`): the one call runs
    # them, given what was read in place of the stand-in, after the fields before them.
    given: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ModelReading:
    """How a large JSON object for a model is read a slice of members at a time, so that no
    one value in it is parsed in a piece: its bulk fields (``wanted``) a slice of items at a
    time and its plain ``str`` fields (``texts``) in pieces, both set on the model after;
    when it ignores keys it does not read (``reads``), what it does not read left out (when it
    refuses them, after the first hundred). The rest is validated in one call: the model
    pydantic would give for the whole, or its first errors."""

    validator: SchemaValidator  # the model's, each collection stopping at its first error
    reads: frozenset[str] | None  # every key the model may read; None: no member is left out
    wanted: Mapping[str, SlicedField]  # the bulk fields by key
    texts: Mapping[str, str]  # the plain str fields' attributes by key
    # The model refuses keys it does not read (extra="forbid"): the first hundred of those
    # are kept for the one call, which reports them in order; the rest are left out.
    forbid: bool = False
    # The model keeps them (extra="allow", as any JSON): read apart as any JSON is, and put
    # in after as its extras, in order.
    keeps: bool = False
    # Fields holding another model, by key: a long object for one read as that model's own
    # reading says (null standing in for it in the one call).
    nested: Mapping[str, NestedField] = dataclasses.field(default_factory=dict[str, "NestedField"])
    # For the one call when fields bounded below ([] standing in for each) or holding a
    # model (null standing in) were read apart: the model's validator without their bounds,
    # taking anything for a model's field, which the reading checked itself; by the names of
    # the fields read apart.
    relaxed: Mapping[frozenset[str], SchemaValidator] = dataclasses.field(
        default_factory=dict[frozenset[str], SchemaValidator]
    )
    # Each field's place in the model, by every name an error may give it: a 422 lists the
    # errors of fields read apart among the one call's in that order, as pydantic does.
    order: Mapping[str, int] = dataclasses.field(default_factory=dict[str, int])
    # The model's own validators of mode "after" (`@model_validator(mode="after")`), run on
    # the model once what was read apart is in it, as pydantic runs them on the model it
    # made; the one call's validator (and each relaxed one) runs without them.
    after: AfterValidators | None = None
    # For each field by its key: how errors name it, and which of a JSON array (``[``) and
    # object (``{``) its schema refuses whatever they hold; a long one of those is checked
    # for being JSON a slice at a time, and the one call given an empty one in its place.
    refuses: Mapping[str, tuple[str, frozenset[bytes]]] = dataclasses.field(
        default_factory=dict[str, tuple[str, frozenset[bytes]]]
    )
    # For a TypedDict or a dataclass, read as a model of its fields: what makes it of that
    # model once read (see _stand_in_reading).
    made: Callable[[BaseModel], object] | None = None
    # Fields whose validation starts with a function of the value as sent (a validator of
    # mode "before", "wrap" or "plain"), by key: their name. A long value for one is parsed
    # a slice at a time and given to the one call (which pydantic would make Python values
    # of in one piece first), null standing in for it.
    parsed: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    # Fields of any JSON as Python values (``Any``, ``object``, ``JsonValue``, a bare
    # ``list`` or ``dict``), by key: their name. A long list or object for one is parsed a
    # slice at a time and put in after, an empty one of its kind standing in for it.
    anything: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])


@dataclasses.dataclass(frozen=True, slots=True)
class NestedField:
    """A field of a model body holding another model (``{"data": {...}}``): in a large body,
    a long object for it is read as that model's ``reading`` says, the rest of the body in
    one call with null standing in, and the model put in after."""

    key: str  # the field's name in the JSON object
    name: str  # the model's attribute
    loc: str  # how errors name it
    # The model's reading; for a model holding itself (or one around it), where the readings
    # being made are kept, to be found there once made (None: the model is read whole); for
    # a union of models, told apart by a tag or not, or of a list and a model, its reading.
    own: ModelReading | tuple[_Memo, type] | TaggedReading | UnionReading | KindReading

    @property
    def reading(self) -> ModelReading | None:
        if isinstance(self.own, ModelReading):
            return self.own
        if isinstance(self.own, TaggedReading | UnionReading | KindReading):
            return None
        memo, model = self.own
        return memo.get(model)


Reading = ModelReading | ItemsReading | TaggedReading
_Memo = dict[type, ModelReading | None]


def _bare(annotation: object) -> object | None:
    """The type under ``annotation``'s markers, when aaf's are all it carries; ``None`` when
    it carries a constraint or a validator, which may need the whole value at once."""
    base, meta = strip_annotated(annotation)
    return base if all(isinstance(m, Param) for m in meta) else None


def _length_bounded(annotation: object) -> tuple[object, int | None, int | None] | None:
    """``(T, min, max)`` when ``annotation`` is ``T`` bounded in length and nothing else
    (``Annotated[list[int], Field(max_length=100)]``, ``Body(max_length=100)``, annotated-types'
    ``Len``), with aaf's markers beside; ``None`` otherwise."""
    base, meta = strip_annotated(annotation)
    constraints = [m for m in meta if not isinstance(m, Param)]
    if not constraints:
        return None
    info = FieldInfo.from_annotation(annotated(base, *constraints))  # type: ignore[arg-type]  # a runtime annotation
    bounds = _length_bounds(info)
    return None if bounds is None else (info.annotation, *bounds)


def _length_bounds(info: FieldInfo) -> tuple[int | None, int | None] | None:
    """``(min, max)`` when a field's constraints are bounds on its length and nothing else
    (no validator, no strict mode, ...); ``None`` otherwise."""
    low = high = None
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.Len):
            low, high = constraint.min_length or None, constraint.max_length
        elif isinstance(constraint, annotated_types.MinLen):
            low = constraint.min_length
        elif isinstance(constraint, annotated_types.MaxLen):
            high = constraint.max_length
        else:
            return None
    if (low is None and high is None) or info.discriminator is not None:
        return None
    return low, high


def items_reading(
    annotation: object,
    validator: SchemaValidator | None = None,
    seen: frozenset[type] = frozenset(),
    memo: _Memo | None = None,
) -> ItemsReading | None:
    """How a large ``annotation``, a plain ``list[T]`` or ``dict[str, T]`` (or ``dict[int,
    T]``, its keys made numbers; with only aaf's markers), is read a slice of items at a
    time (``validator`` its fail-fast validator, when the caller has it); ``None`` for
    another type. A model's fields reach here only with what the model's config leaves
    alone (``_fields_apart``)."""
    base = _bare(annotation)
    origin, args = get_origin(base), get_args(base)
    if origin is list and len(args) == 1:
        inner, opening = args[0], b"["
    elif origin is dict and len(args) == 2 and args[0] in (str, int):  # JSON keys, or numbers
        inner, opening = args[1], b"{"
    else:
        return None
    if validator is None:
        validator = fail_fast_validator(type_adapter(annotation))
    refuses = _JSON_KINDS - _kinds_taken(inner)
    if args[0] is int:  # an item read on its own would keep its key as text: none is
        return ItemsReading(validator, opening, None, False, refuses=refuses)
    each = (
        items_reading(inner, None, seen, memo)
        or model_reading(inner, None, seen, memo)
        or _stand_in_reading(inner, seen, memo)
        or _tagged_items(inner, seen, memo)
    )
    return ItemsReading(validator, opening, each, inner is str, refuses=refuses)


def body_reading(
    annotation: object, validator: SchemaValidator
) -> tuple[ItemsReading | None, ModelReading | None, Collection | None, bool]:
    """How a large body for ``annotation`` (``validator`` its fail-fast validator) is read a
    slice at a time: ``(items, members, collection, any JSON)``, all empty when it is read
    whole. A plain list or dict of string keys, or a model, as ``items_reading`` and
    ``model_reading`` say; ``X | None`` as ``X`` (slices validated by the body's own
    validator, whose schema takes both; a ``null`` body is read whole); a ``set[T]`` or
    ``frozenset[T]`` (T a hashable scalar) as a ``list[T]``, then made the collection; a
    ``Sequence``, a ``tuple[T, ...]``, a ``deque`` or a dict class as the list or dict
    pydantic reads it from (``_as_built``, ``_plain_of``); any JSON (``Any``, ``object``,
    ``JsonValue``) as ``connection.json()`` reads it."""
    bounded = _length_bounded(annotation)
    if bounded is not None:  # a list or dict with bounds on its length: read as one without
        base, low, high = bounded
        items = items_reading(base) if get_origin(base) in (list, dict) else None
        if items is not None:
            items = dataclasses.replace(items, min_length=low, max_length=high)
        return items, None, None, False
    bare = _bare(annotation)
    if bare is Any or bare is object or bare is JsonValue:
        return None, None, None, True
    base = _unwrapped(bare)
    if base is not bare:  # X | None
        annotation = base
    origin, args = get_origin(base), get_args(base)
    collection: Collection | None = None
    reading: SchemaValidator | None = validator
    scalars = len(args) == 1 and _plain_text(args[0], False) and args[0] is not bytes
    if origin is set and scalars:
        collection = set
    elif origin is frozenset and scalars:
        collection = frozenset
    made = None
    if collection is not None:  # its items validated as a list's
        annotation, reading = list[args[0]], None  # type: ignore[valid-type]  # built at run time
    elif (built := _as_built(base)) is not base:  # a Sequence: a list, as pydantic makes it
        annotation, reading = built, None
    else:
        plain, made = _plain_of(base)
        if made is not None:  # a tuple, a deque, ...: read as the list or dict it is made of
            annotation, reading = plain, None
    items = items_reading(annotation, reading)
    if items is not None and made is not None:
        items = dataclasses.replace(items, made=made)
    model = None if items is not None else model_reading(annotation, reading)
    if items is None and model is None:
        model = _stand_in_reading(annotation)
    return items, model, collection, False


def _stand_in_reading(
    annotation: object, seen: frozenset[type] = frozenset(), memo: _Memo | None = None
) -> ModelReading | None:
    """How a large JSON object for a TypedDict or a dataclass (with only aaf's markers) is read:
    as a model of the same fields would be (``model_reading``), the model made the dict or the
    dataclass pydantic would give (a TypedDict's keys that are not required: fields whose
    default, ``_ABSENT``, leaves them out; a dataclass's ``__post_init__`` run on it as the
    model's validator of mode "after"); ``None`` where that model could differ from it: a
    TypedDict with read-only keys or a default of pydantic's, a dataclass with an ``InitVar``
    or a field not in ``__init__``, pydantic's config or validators on either. ``seen``: the
    types around it, so one that holds itself stops (read whole there: a stand-in is a new
    model each time, which ``model_reading``'s own check would not know again)."""
    base = _bare(annotation)
    if not isinstance(base, type) or getattr(base, "__pydantic_config__", None) or base in seen:
        return None
    try:
        hints = get_type_hints(base, include_extras=True)
    except (NameError, TypeError):
        return None
    fields: dict[str, Any] = {}
    if typing_extensions.is_typeddict(base):
        required: frozenset[str] = getattr(base, "__required_keys__", frozenset())
        if getattr(base, "__readonly_keys__", None):
            return None
        fields = {
            name: (_unqualified(hint), ... if _required(name, hint, required) else _ABSENT)
            for name, hint in hints.items()
        }
        if not all(FieldInfo.from_annotation(hint).is_required() for hint, _ in fields.values()):
            return None  # a default of pydantic's (`Field(default=...)`) fills a missing key
        make: Callable[[BaseModel], object] = (
            _as_dict_of_given if any(d is _ABSENT for _, d in fields.values()) else _as_dict
        )
    elif dataclasses.is_dataclass(base):
        decorators = getattr(base, "__pydantic_decorators__", None)
        if any(isinstance(hint, dataclasses.InitVar) for hint in hints.values()) or (
            decorators is not None
            and (
                decorators.field_validators
                or decorators.model_validators
                or decorators.validators
                or decorators.root_validators
            )
        ):
            return None
        for field in dataclasses.fields(base):
            annotated = hints.get(field.name)
            if not field.init or annotated is None or isinstance(annotated, dataclasses.InitVar):
                return None
            if field.default is not dataclasses.MISSING:
                fields[field.name] = (annotated, field.default)
            elif field.default_factory is not dataclasses.MISSING:
                fields[field.name] = (annotated, Field(default_factory=field.default_factory))
            else:
                fields[field.name] = (annotated, ...)
        make = functools.partial(_as_dataclass, base)
    else:
        return None
    if any(name.startswith(("_", "model_")) or hasattr(BaseModel, name) for name in fields):
        return None  # a model's private attribute, or one of BaseModel's own: not a field
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (say, the protected "model_" namespace)
            stand_in = create_model(base.__name__, __module__=base.__module__, **fields)
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
        return None
    if stand_in.model_fields.keys() != fields.keys() or any(
        stand_in.model_fields[name].validate_default
        for name, (_, default) in fields.items()
        if default is _ABSENT
    ):
        return None  # (`_ABSENT` validated as the key's type)
    reading = model_reading(stand_in, None, seen | {base}, memo)
    if reading is None:
        return None
    if getattr(base, "__post_init__", None) is not None:
        # Run on the dataclass made, as pydantic runs it once the fields are set: what it
        # raises is an error of the object, as pydantic reports it.
        made = functools.partial(_post_init, make)
        step = {"type": "no-info", "function": made}
        return dataclasses.replace(reading, after=AfterValidators([step], None))
    return dataclasses.replace(reading, made=make)


def _post_init(make: Callable[[BaseModel], object], model: BaseModel) -> object:
    """The dataclass ``make`` gives for ``model``, its ``__post_init__`` run."""
    made = make(model)
    made.__post_init__()  # type: ignore[attr-defined]
    return made


def _as_dict(model: BaseModel) -> object:
    """The dict pydantic gives for a TypedDict, from the model read in its place."""
    return dict(vars(model))


def _as_dict_of_given(model: BaseModel) -> object:
    """The dict pydantic gives for a TypedDict with keys that are not required: those the
    body left out (their field's default ``_ABSENT``) are not in it."""
    return {name: value for name, value in vars(model).items() if value is not _ABSENT}


class _Absent:
    """The default of a TypedDict's key that is not required, in the model read in its place:
    one object, kept by the copies of the model's schema that the reading makes."""

    __slots__ = ()

    def __copy__(self) -> _Absent:
        return self

    def __deepcopy__(self, memo: object) -> _Absent:
        return self

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT = _Absent()


def _required(name: str, hint: object, required: frozenset[str]) -> bool:
    """Whether a TypedDict's key ``name`` is required, as pydantic decides it: by
    ``Required[...]`` or ``NotRequired[...]`` around ``hint``, else by the class (whose
    ``__required_keys__`` misses them under ``from __future__ import annotations``)."""
    origin = typing_extensions.get_origin(hint)
    if origin is Required or origin is typing_extensions.Required:
        return True
    if origin is NotRequired or origin is typing_extensions.NotRequired:
        return False
    return name in required


def _unqualified(hint: object) -> object:
    """``hint`` without ``Required[...]`` or ``NotRequired[...]`` around it (a TypedDict's)."""
    if typing_extensions.get_origin(hint) in _KEY_QUALIFIERS:
        return typing_extensions.get_args(hint)[0]
    return hint


_KEY_QUALIFIERS = frozenset(
    (typing_extensions.Required, typing_extensions.NotRequired, Required, NotRequired)
)


def _as_dataclass(cls: type, model: BaseModel) -> object:
    """The dataclass pydantic gives, from the model read in its place: made without calling
    ``__init__`` (which a pydantic dataclass's would validate again), its fields set."""
    made = cast("object", object.__new__(cls))
    for name, value in cast("dict[str, object]", vars(model)).items():
        object.__setattr__(made, name, value)
    return made


def model_reading(
    annotation: object,
    validator: SchemaValidator | None = None,
    seen: frozenset[type] = frozenset(),
    memo: _Memo | None = None,
) -> ModelReading | None:
    """How a large JSON object for ``annotation``, a model (with only aaf's markers), is read
    a slice of members at a time (``validator`` its fail-fast validator, when the caller has
    it); or ``None`` when it is read whole: another type, a model that could see what reading
    apart changes (a model validator, a post-init hook, a validator of every field, a schema
    of its own), or one with nothing to read apart. ``seen``: the models around it, so a
    model that holds itself stops; ``memo``: the models already read in this call, each read
    once (a model holding three lists of the next, ten deep, was read 59,000 times: 27 s)."""
    base = _bare(annotation)
    if (
        not isinstance(base, type)
        or not issubclass(base, BaseModel)
        or issubclass(base, RootModel)
        or base in seen
        or base.model_post_init is not BaseModel.model_post_init
        or getattr(base.__get_pydantic_core_schema__, "__func__", None) is not _BASE_SCHEMA_HOOK
    ):
        return None
    decorators = base.__pydantic_decorators__
    if any(d.info.mode != "after" for d in decorators.model_validators.values()) or any(
        "*" in d.info.fields for d in decorators.field_validators.values()
    ):
        return None  # a validator before or around the model sees the input as sent
    after = _after_validators(base) if decorators.model_validators else None
    if decorators.model_validators and after is None:
        return None
    if memo is None:
        memo = {}
    elif validator is None and base in memo:
        return memo[base]
    wanted, texts, nested = _fields_apart(base, seen | {base}, memo)
    extra = base.model_config.get("extra", "ignore")
    # Extras of a type of their own (`__pydantic_extra__: dict[str, int]`) are validated by
    # the model: those stay with it.
    keeps = extra == "allow" and not any(
        "__pydantic_extra__" in vars(klass).get("__annotations__", {}) for klass in base.__mro__
    )
    reads = _keys_read(base) if extra in ("ignore", "forbid") or keeps else None
    reading = None
    parsed, anything = _parsed_fields(base)
    if wanted or texts or nested or parsed or anything or reads is not None:
        if after is not None:  # the one call runs without them
            adjust = functools.partial(_without_after, base)
            validator = fail_fast_validator(type_adapter(base), adjust)
        elif validator is None:
            validator = fail_fast_validator(type_adapter(base))
        wanted, nested, parsed, relaxed = _relaxed(base, wanted, nested, parsed)
        reading = ModelReading(
            validator,
            reads,
            wanted,
            texts,
            forbid=extra == "forbid",
            keeps=keeps,
            nested=nested,
            relaxed=relaxed,
            order=_field_order(base),
            after=after,
            refuses=_kinds_refused(base),
            parsed=parsed,
            anything=anything,
        )
    memo[base] = reading
    return reading


def _parsed_fields(model: type[BaseModel]) -> tuple[dict[str, str], dict[str, str]]:
    """The fields of ``model`` whose validation starts with a function of the value as sent,
    and those that take any JSON as Python values, by their key in JSON (see
    ``ModelReading.parsed`` and ``ModelReading.anything``)."""
    node = _top_of(cast("dict[str, object]", type_adapter(model).core_schema))
    while node.get("type") == "function-after":  # the model's own
        node = cast("dict[str, object]", node["schema"])
    if node.get("type") != "model" or node.get("cls") is not model:
        return {}, {}
    fields = cast("Mapping[str, Mapping[str, object]]", _inner(node, "schema").get("fields", {}))
    config = model.model_config
    by_alias = config.get("validate_by_alias", True)
    parsed: dict[str, str] = {}
    anything: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if name not in fields or not isinstance(info.validation_alias, str | None):
            continue
        step = _inner(fields[name], "schema")
        if step.get("type") == "default":
            step = _inner(step, "schema")
        if step.get("type") == "nullable":
            step = _inner(step, "schema")
        key = (info.validation_alias or info.alias or name) if by_alias else name
        if step.get("type") in ("function-before", "function-wrap", "function-plain"):
            parsed[key] = name
        elif not info.metadata and (_of_anything(step) or _of_anything(info.annotation)):
            anything[key] = name
    return parsed, anything


_ANYTHING: tuple[object, ...] = (Any, object, JsonValue)


def _of_anything(schema: object) -> bool:
    """Whether ``schema`` (a field's, or an annotation) takes any JSON as Python values: any,
    or a list or a dict of anything."""
    if any(schema is kind for kind in _ANYTHING):
        return True
    if not isinstance(schema, dict):
        return False
    node = cast("Mapping[str, object]", schema)
    kind = node.get("type")
    if kind == "any":
        return True
    if kind == "list" and not node.get("min_length") and not node.get("max_length"):
        return _inner(node, "items_schema").get("type", "any") == "any"
    if kind == "dict" and not node.get("min_length") and not node.get("max_length"):
        return (
            _inner(node, "keys_schema").get("type", "any") == "any"
            and _inner(node, "values_schema").get("type", "any") == "any"
        )
    return False


_BASE_SCHEMA_HOOK = getattr(BaseModel.__get_pydantic_core_schema__, "__func__", None)


def _top_of(schema: dict[str, object]) -> dict[str, object]:
    """The schema a model's core schema validates with at its top (through a reference to
    its own definition, when it holds itself)."""
    if schema.get("type") != "definitions":
        return schema
    definitions = cast("list[dict[str, object]]", schema["definitions"])
    top = cast("dict[str, object]", schema["schema"])
    if top.get("type") == "definition-ref":
        top = next(d for d in definitions if d.get("ref") == top["schema_ref"])
    return top


class AfterValidators:
    """The validators of mode "after" of a model (the ``function-after`` steps of its schema
    around the model), to run on a model made apart as pydantic runs them on the model it
    makes: in order, with the model's config, in JSON mode (what ``info`` says to those that
    take it)."""

    __slots__ = ("_validator",)

    def __init__(self, steps: Sequence[object], config: object) -> None:
        # The steps over the model given to run(): JSON's null validated in JSON mode stands
        # in for the input, as the model was made from JSON.
        schema: dict[str, object] = {
            "type": "function-plain",
            "function": {"type": "no-info", "function": _given_model},
        }
        for function in reversed(steps):  # the innermost runs first
            schema = {"type": "function-after", "function": function, "schema": schema}
        self._validator = SchemaValidator(cast("CoreSchema", schema), cast("Any", config))

    def run(self, value: object) -> object:
        """What the validators give for ``value``; their errors as a ``ValidationError``."""
        token = _GIVEN.set(value)
        try:
            return self._validator.validate_json(b"null")
        finally:
            _GIVEN.reset(token)


_GIVEN: contextvars.ContextVar[object] = contextvars.ContextVar("_GIVEN")


class ParsedFirst:
    """The validation of a type whose first step is a function given the JSON as Python
    values (a model's validators of mode "before", or ``BeforeValidator``,
    ``WrapValidator`` or ``PlainValidator`` around the type), run on JSON parsed apart: what
    pydantic parses whole and gives that function, the reading parses a slice at a time.
    The body's fail-fast validator given that value in the first function's place, in JSON
    mode (what ``info.mode`` says), so that the rest is pydantic's own."""

    __slots__ = ("_validator",)

    def __init__(self, adapter: TypeAdapter[Any]) -> None:
        self._validator = fail_fast_validator(adapter, _given_first)

    def run(self, value: object) -> object:
        """What validating the JSON ``value`` was parsed from gives; its errors as a
        ``ValidationError``."""
        token = _GIVEN.set(value)
        try:
            return self._validator.validate_json(b"null")
        finally:
            _GIVEN.reset(token)


def _given_first(schema: dict[str, object]) -> None:
    """Change ``schema`` (in place) to validate what ``_GIVEN`` holds in place of its input."""
    given: dict[str, object] = {
        "type": "function-before",
        "function": {"type": "no-info", "function": _given_model},
    }
    if schema.get("type") == "definitions":
        given["schema"] = schema["schema"]
        schema["schema"] = given
        return
    given["schema"] = dict(schema)
    schema.clear()
    schema.update(given)


def parsed_first(adapter: TypeAdapter[Any]) -> ParsedFirst | None:
    """How a large body for ``adapter``'s type is read when its validation starts with a
    function of the input as sent (through ``| None`` and validators of mode "after"); a
    strict model's is not, which pydantic refuses a dict for where it takes a JSON object."""
    schema = cast("dict[str, object]", adapter.core_schema)
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    node: Mapping[str, object] = schema
    while node.get("type") in ("definitions", "nullable", "definition-ref", "function-after"):
        if node.get("type") == "definition-ref":
            node = refs.get(cast(str, node.get("schema_ref")), {})
        else:
            node = _inner(node, "schema")
    kind = node.get("type")
    if kind in ("function-before", "function-wrap", "function-plain"):
        return ParsedFirst(adapter)
    if kind == "model":
        config = cast("Mapping[str, object]", node.get("config") or {})
        inner = _inner(node, "schema")
        if not node.get("strict") and not config.get("strict"):
            if inner.get("type") == "function-before":  # the model's own, before its fields
                return ParsedFirst(adapter)
    return None


def _given_model(value: object) -> object:
    return _GIVEN.get()


def _after_validators(model: type[BaseModel]) -> AfterValidators | None:
    """``model``'s validators of mode "after"; ``None`` when its schema is not those around
    ``model``'s own."""
    node = _top_of(cast("dict[str, object]", type_adapter(model).core_schema))
    steps: list[object] = []
    while node.get("type") == "function-after":
        steps.append(node["function"])
        node = cast("dict[str, object]", node["schema"])
    if not steps or node.get("type") != "model" or node.get("cls") is not model:
        return None
    return AfterValidators(steps, node.get("config"))


def tagged_reading(
    adapter: TypeAdapter[Any],
    validator: SchemaValidator | None = None,
    seen: frozenset[type] = frozenset(),
    memo: _Memo | None = None,
) -> TaggedReading | None:
    """How a large body for ``adapter``'s type is read when it is a union of models told apart
    by a tag under a key (``Annotated[Cat | Dog, Field(discriminator="kind")]``, or that
    ``| None``); ``None`` for another type, a tag found some other way (a callable, a path
    into the object), or no model in it read apart. ``validator``: the union's own, for a
    field's. ``seen``: the models around it (a model among ``seen`` is read whole: its
    reading would hold this union again, for ever)."""
    schema = cast("dict[str, object]", adapter.core_schema)
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    return _tagged_from(schema, refs, validator, seen, memo)


def union_reading(
    adapter: TypeAdapter[Any],
    validator: SchemaValidator,
    seen: frozenset[type] = frozenset(),
    memo: _Memo | None = None,
) -> UnionReading | None:
    """How a large body for ``adapter``'s type is read when it is a union of models without a
    tag (``Cat | Dog``, or that ``| None``; ``validator`` the body's): ``None`` for another
    type, a union with a custom error or strict, or one holding a model read whole (a model's
    field of a union holding that model, ``seen``, is read whole: each member's reading would
    hold the union again, for ever)."""
    schema = cast("dict[str, object]", adapter.core_schema)
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    node: Mapping[str, object] = schema
    while node.get("type") in ("definitions", "nullable", "definition-ref"):
        if node.get("type") == "definition-ref":
            node = refs.get(cast(str, node.get("schema_ref")), {})
        else:
            node = _inner(node, "schema")
    mode = node.get("mode", "smart")
    if (
        node.get("type") != "union"
        or mode not in ("smart", "left_to_right")
        or node.get("custom_error_type")
        or node.get("strict")
    ):
        return None
    readings: list[ModelReading] = []
    for choice in cast("list[object]", node.get("choices", [])):
        if isinstance(choice, tuple):  # (schema, label)
            choice = cast("tuple[object, ...]", choice)[0]
        inner = cast("Mapping[str, object]", choice)
        while inner.get("type") in ("definition-ref", "function-after"):
            if inner.get("type") == "definition-ref":
                inner = refs.get(cast(str, inner.get("schema_ref")), {})
            else:
                inner = _inner(inner, "schema")
        model = inner.get("cls")
        if inner.get("type") != "model" or not isinstance(model, type) or inner.get("strict"):
            return None
        reading = model_reading(model, None, seen, memo)
        if reading is None:
            return None  # what pydantic would choose needs that model validated whole
        readings.append(reading)
    labels = _union_labels(validator, len(readings))
    if labels is None:
        return None
    return UnionReading(tuple(zip(labels, readings, strict=True)), mode == "smart")


def _union_labels(validator: SchemaValidator, count: int) -> tuple[str, ...] | None:
    """The labels pydantic locates the errors of each of a union's ``count`` members under,
    in the union's order: its own errors for a value no member takes (``None`` where none
    of a few such values is refused by all)."""
    for probe in (b"0", b"{}", b"[]", b'""', b"true"):
        locs = [cast("Sequence[object]", error["loc"]) for error in _errors_of(validator, probe)]
        labels = tuple(str(where[0]) for where in locs if len(where) == 1)
        if len(labels) == count and len(set(labels)) == count:
            return labels
    return None


def _field_union(
    annotation: object, seen: frozenset[type], memo: _Memo, plain_values: bool
) -> UnionReading | KindReading | None:
    """How a long value for a model's field of ``annotation``, a union without a tag (with
    nothing but aaf's markers on it), is read: as each model, for a union of models
    (``union_reading``); as the member that takes the kind sent (``_kind_field``; where
    ``plain_values``, the model's config leaving a list's plain items alone); else ``None``."""
    members = [m for m in union_members(_bare(annotation)) if m is not type(None)]
    if len(members) < 2:
        return None
    if all(_is_model_class(member) for member in members):
        try:
            adapter = type_adapter(_bare(annotation))
            return union_reading(adapter, fail_fast_validator(adapter), seen, memo)
        except (PydanticSchemaGenerationError, PydanticUserError):
            return None
    return _kind_field(annotation, seen, memo) if plain_values else None


def _kind_field(annotation: object, seen: frozenset[type], memo: _Memo) -> KindReading | None:
    """``KindReading`` for ``annotation``, a union (with nothing but aaf's markers on it)
    where one member takes a JSON array or object that it reads apart, and every other
    member refuses that kind whatever it holds; ``None`` otherwise."""
    bare = _bare(annotation)
    members = [m for m in union_members(bare) if m is not type(None)]
    if len(members) < 2:
        return None
    takers: dict[bytes, tuple[int, ModelReading | ItemsReading]] = {}
    refusing: dict[bytes, dict[int, Sequence[Mapping[str, object]]]] = {}
    untaken: set[bytes] = set()
    try:
        for kind, empty in ((b"[", b"[]"), (b"{", b"{}")):
            taking = [i for i, member in enumerate(members) if kind in _kinds_taken(member)]
            if not taking:
                untaken.add(kind)  # (a field's: ModelReading.refuses says so)
            if len(taking) != 1:
                continue
            member: object = members[taking[0]]
            is_model = _is_model_class(member)
            reading: ModelReading | ItemsReading | None = (
                model_reading(member, None, seen, memo)
                if kind == b"{" and is_model
                else items_reading(member, None, seen, memo)
            )
            if reading is None or (isinstance(reading, ItemsReading) and reading.opening != kind):
                continue
            refused: dict[int, Sequence[Mapping[str, object]]] = {
                i: _errors_of(fail_fast_validator(type_adapter(other)), empty)
                for i, other in enumerate(members)
                if i != taking[0]
            }
            if not all(refused.values()):
                continue
            takers[kind], refusing[kind] = (taking[0], reading), refused
        if not takers:
            return None
        labels = _union_labels(fail_fast_validator(type_adapter(bare)), len(members))
    except (PydanticSchemaGenerationError, PydanticUserError):
        return None
    return None if labels is None else KindReading(labels, takers, refusing, frozenset(untaken))


def _is_model_class(member: object) -> bool:
    return isinstance(member, type) and issubclass(member, BaseModel)


def _errors_of(validator: SchemaValidator, data: bytes) -> list[Mapping[str, object]]:
    """pydantic's errors for the JSON ``data`` (none where it is valid)."""
    try:
        validator.validate_json(data)
    except ValidationError as exc:
        return cast("list[Mapping[str, object]]", exc.errors(include_url=False))
    return []


def _tagged_items(
    annotation: object, seen: frozenset[type], memo: _Memo | None
) -> TaggedReading | None:
    """``tagged_reading`` for the items of a list or dict, each such a union."""
    try:
        adapter = type_adapter(annotation)
        return tagged_reading(adapter, fail_fast_validator(adapter), seen, memo)
    except (PydanticSchemaGenerationError, PydanticUserError):
        return None


def _tagged_field(
    model: type[BaseModel], name: str, info: FieldInfo, seen: frozenset[type], memo: _Memo
) -> TaggedReading | None:
    """``tagged_reading`` for the field ``name`` of ``model``, from the model's schema."""
    schema = cast("dict[str, object]", type_adapter(model).core_schema)
    node = _top_of(schema)
    while node.get("type") == "function-after":  # the model's own
        node = cast("dict[str, object]", node["schema"])
    fields = cast("Mapping[str, Mapping[str, object]]", _inner(node, "schema").get("fields", {}))
    if node.get("type") != "model" or name not in fields:
        return None
    try:  # the union alone, for a missing or unknown tag's error
        tag = Field(discriminator=info.discriminator)
        alone = annotated(info.annotation, tag)
        validator = fail_fast_validator(type_adapter(alone))
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
        return None
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    return _tagged_from(_inner(fields[name], "schema"), refs, validator, seen, memo)


def _tagged_from(
    node: Mapping[str, object],
    refs: Mapping[str, Mapping[str, object]],
    validator: SchemaValidator | None,
    seen: frozenset[type],
    memo: _Memo | None,
) -> TaggedReading | None:
    """``tagged_reading`` for the schema ``node``, ``refs`` its references."""
    while node.get("type") in ("definitions", "nullable", "definition-ref", "default"):
        if node.get("type") == "definition-ref":
            node = refs.get(cast(str, node.get("schema_ref")), {})
        else:
            node = _inner(node, "schema")
    if node.get("type") != "tagged-union":
        return None
    discriminator = node.get("discriminator")
    # A key, or paths into the object that are each one key long, in the order tried.
    paths = [[discriminator]] if isinstance(discriminator, str) else discriminator
    if not isinstance(paths, list):
        return None
    keys: tuple[str, ...] = ()
    for path in cast("list[object]", paths):
        steps = cast("list[object]", path) if isinstance(path, list) else []
        if len(steps) != 1 or not isinstance(steps[0], str):
            return None  # a callable, or a path into what the object holds
        keys += (steps[0],)
    choices = cast("Mapping[object, Mapping[str, object]]", node.get("choices", {}))
    readings: dict[str, ModelReading] = {}
    for tag, choice in choices.items():
        while choice.get("type") in ("definition-ref", "function-after"):
            if choice.get("type") == "definition-ref":
                choice = refs.get(cast(str, choice.get("schema_ref")), {})
            else:
                choice = _inner(choice, "schema")
        model = choice.get("cls")
        if isinstance(tag, str) and choice.get("type") == "model" and isinstance(model, type):
            if (reading := model_reading(model, None, seen, memo)) is not None:
                readings[tag] = reading
    if not readings:
        return None
    tags = frozenset(str(tag) for tag in choices)
    exact = all(isinstance(tag, str) for tag in choices)
    return TaggedReading(keys, readings, tags, exact, validator)


def _kinds_refused(model: type[BaseModel]) -> dict[str, tuple[str, frozenset[bytes]]]:
    """For each field of ``model`` that refuses a JSON array or object whatever it holds, by
    its key: how errors name it, and the kinds it refuses (see ``ModelReading.refuses``)."""
    schema = cast("dict[str, object]", type_adapter(model).core_schema)
    node = _top_of(schema)
    while node.get("type") == "function-after":  # the model's own
        node = cast("dict[str, object]", node["schema"])
    if node.get("type") != "model" or node.get("cls") is not model:
        return {}
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    config = model.model_config
    by_alias = config.get("validate_by_alias", True)
    fields = cast("Mapping[str, Mapping[str, object]]", _inner(node, "schema").get("fields", {}))
    refused: dict[str, tuple[str, frozenset[bytes]]] = {}
    for name, info in model.model_fields.items():
        if name not in fields or not isinstance(info.validation_alias, str | None):
            continue
        kinds = _JSON_KINDS - _json_kinds(_inner(fields[name], "schema"), refs, set())
        if kinds:
            key = (info.validation_alias or info.alias or name) if by_alias else name
            refused[key] = (key if config.get("loc_by_alias", True) else name, kinds)
    return refused


_JSON_KINDS = frozenset((_rules.ARRAY, _rules.OBJECT))


def _kinds_taken(annotation: object) -> frozenset[bytes]:
    """Which of a JSON array, object and other value (``_rules.SCALAR``) ``annotation`` may take
    (all, where it cannot tell)."""
    try:
        schema = cast("dict[str, object]", type_adapter(annotation).core_schema)
    except (PydanticSchemaGenerationError, PydanticUserError):
        return _rules.ANY_KIND
    return _schema_kinds(schema)


def _schema_kinds(schema: Mapping[str, object]) -> frozenset[bytes]:
    """``_kinds_taken`` of a core schema."""
    refs: dict[str, Mapping[str, object]] = {}
    _collect_refs(schema, refs)
    return _json_kinds(schema, refs, set())


def _collect_refs(node: object, refs: dict[str, Mapping[str, object]]) -> None:
    """Every schema in ``node`` that has a ``ref``, by it."""
    if isinstance(node, dict):
        schema = cast("dict[str, object]", node)
        if isinstance(ref := schema.get("ref"), str):
            refs.setdefault(ref, schema)
        for value in schema.values():
            _collect_refs(value, refs)
    elif isinstance(node, list | tuple):
        for value in cast("Sequence[object]", node):
            _collect_refs(value, refs)


def _json_kinds(
    schema: Mapping[str, object], refs: Mapping[str, Mapping[str, object]], seen: set[str]
) -> frozenset[bytes]:
    """Which of a JSON array, object and other value ``schema`` may take (all, where it
    cannot tell)."""
    kind = schema.get("type")
    if kind in _TAKES_ARRAYS:
        return frozenset((_rules.ARRAY,))
    if kind in _TAKES_OBJECTS:
        return frozenset((_rules.OBJECT,))
    if kind in _TAKES_SCALARS:
        return frozenset((_rules.SCALAR,))
    if kind == "nullable":
        return _json_kinds(_inner(schema, "schema"), refs, seen) | {_rules.SCALAR}
    if kind in ("default", "function-after", "custom-error", "model", "definitions"):
        return _json_kinds(_inner(schema, "schema"), refs, seen)
    if kind == "json-or-python":
        return _json_kinds(_inner(schema, "json_schema"), refs, seen)
    if kind == "lax-or-strict":
        return _json_kinds(_inner(schema, "lax_schema"), refs, seen) | _json_kinds(
            _inner(schema, "strict_schema"), refs, seen
        )
    if kind == "union" or kind == "tagged-union":
        choices = schema["choices"]
        members = (
            cast("Mapping[object, object]", choices).values()
            if isinstance(choices, dict)
            else cast("list[object]", choices)
        )
        found: frozenset[bytes] = frozenset()
        for member in members:
            if isinstance(member, tuple):
                member = cast("tuple[object, ...]", member)[0]
            found |= _json_kinds(cast("Mapping[str, object]", member), refs, seen)
        return found
    if kind == "definition-ref":
        ref = schema.get("schema_ref")
        if isinstance(ref, str) and ref in refs and ref not in seen:
            return _json_kinds(refs[ref], refs, seen | {ref})
    return _rules.ANY_KIND  # anything else (a validator's function, Any): it may take any


_TAKES_ARRAYS = frozenset(("list", "tuple", "set", "frozenset", "generator"))
_TAKES_OBJECTS = frozenset(("dict", "typed-dict", "model-fields", "dataclass"))
_TAKES_SCALARS = frozenset(
    (
        "none", "bool", "int", "float", "decimal", "str", "bytes", "date", "time", "datetime",
        "timedelta", "uuid", "url", "multi-host-url", "enum", "literal", "json", "complex",
    )
)  # fmt: skip


def _after_only(model: type[BaseModel], names: set[str]) -> set[str]:
    """The fields in ``names`` whose validators are all of mode "after", which may see the
    value read apart in place of its stand-in (``_given_field``): those of another mode see
    the input as sent."""
    if not names:
        return set()
    node = _top_of(cast("dict[str, object]", type_adapter(model).core_schema))
    while node.get("type") == "function-after":  # the model's own
        node = cast("dict[str, object]", node["schema"])
    if node.get("type") != "model" or node.get("cls") is not model:
        return set()
    fields = cast("Mapping[str, Mapping[str, object]]", _inner(node, "schema").get("fields", {}))
    found: set[str] = set()
    for name in names & fields.keys():
        step = _inner(fields[name], "schema")
        if step.get("type") == "default":
            step = _inner(step, "schema")
        after = step.get("type") == "function-after"
        while step.get("type") == "function-after":
            step = _inner(step, "schema")
        if after and step.get("type") not in _FUNCTIONS:
            found.add(name)
    return found


# The values of fields read apart that the one call's validators take (``_given_field``), by
# the field's name: set around that call.
GIVEN_FIELDS: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar("GIVEN_FIELDS")


def _given_field(name: str, value: object) -> object:
    """What a field read apart holds, for the one call: its stand-in left aside."""
    return GIVEN_FIELDS.get()[name]


_FUNCTIONS = frozenset(("function-before", "function-wrap", "function-plain", "function-after"))


def _without_after(model: type[BaseModel], schema: dict[str, object]) -> None:
    """Change ``schema``, ``model``'s (in place), so that its top validates the model
    without the model's validators of mode "after" (``_after_validators`` runs them); where
    the model holds itself, that keeps them."""
    node = _top_of(schema)
    while node.get("type") == "function-after":
        node = cast("dict[str, object]", node["schema"])
    _put_on_top(schema, copy.deepcopy(node))


def _put_on_top(schema: dict[str, object], top: dict[str, object]) -> None:
    """Make ``top`` what ``schema`` (a model's core schema, changed in place) validates with at
    its top, every definition kept for what refers to it."""
    top.pop("ref", None)
    if schema.get("type") != "definitions":
        original = dict(schema)
        schema.clear()
        schema.update(type="definitions", schema=top, definitions=[original])
        return
    definitions = cast("list[dict[str, object]]", schema["definitions"])
    former = cast("dict[str, object]", schema["schema"])
    if former.get("type") != "definition-ref" and all(d is not former for d in definitions):
        definitions.append(former)  # what refers to it still finds it
    schema["schema"] = top


def _field_order(model: type[BaseModel]) -> dict[str, int]:
    """Each field's place in ``model``, by its name and its aliases."""
    order: dict[str, int] = {}
    for place, (name, info) in enumerate(model.model_fields.items()):
        for key in (name, info.alias, info.validation_alias):
            if isinstance(key, str):
                order.setdefault(key, place)
    return order


def _keys_if_forbidding(model: object) -> frozenset[str] | None:
    """The keys ``model`` reads, when it ``_forbids`` every other; else ``None``."""
    return _keys_read(model) if _forbids(model) else None


def _forbids(model: object) -> TypeGuard[type[BaseModel]]:
    """Whether ``model`` is a model that refuses every key it does not read
    (``extra="forbid"``), with no model validator of its own that could see the input's
    keys some other way."""
    return (
        isinstance(model, type)
        and issubclass(model, BaseModel)
        and model.model_config.get("extra") == "forbid"
        and not model.__pydantic_decorators__.model_validators
    )


def _keys_read(model: type[BaseModel]) -> frozenset[str]:
    """Every key of a JSON object ``model`` may read: its fields' names and aliases (more
    than it reads, by its config, is no harm: those members are kept)."""
    return frozenset(
        key for name, info in model.model_fields.items() for key in (name, *_aliases(info))
    )


def _aliases(info: FieldInfo) -> list[str]:
    """The keys a field is read by other than its name, as pydantic validates it: its
    validation alias (each of its choices; a path's first key), else its alias."""
    found: list[object] = [info.alias if info.validation_alias is None else info.validation_alias]
    if isinstance(info.validation_alias, AliasChoices):
        found = list(info.validation_alias.choices)
    keys: list[str] = []
    for alias in found:
        if isinstance(alias, AliasPath):
            alias = alias.path[0]
        if isinstance(alias, str) and alias not in keys:
            keys.append(alias)
    return keys


def _header_keys(model: type[BaseModel], convert_underscores: bool) -> dict[str, str]:
    """The headers a model marked ``Header()`` reads, in lower case, and the key it reads
    each as (``FieldSpec.headers``): a field's aliases as they are (headers are named
    without regard to case), else its name with ``_`` made ``-`` (as it is unless
    ``convert_underscores=False``), as FastAPI reads a header model."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        aliases = _aliases(info)
        for key in aliases:
            keys.setdefault(key.lower(), key)
        if not aliases:
            keys.setdefault((name.replace("_", "-") if convert_underscores else name).lower(), name)
    return keys


def _fields_apart(
    base: type[BaseModel], seen: frozenset[type], memo: _Memo
) -> tuple[dict[str, SlicedField], dict[str, str], dict[str, NestedField]]:
    """The fields of ``base`` (a model ``model_reading`` reads) that can be read apart from
    it, by their key in JSON: those that nothing checks as a whole (no constraint or strict
    mode, discriminator or validator on the field), so that validating the rest with the
    field empty and putting the value in after gives the model pydantic would.

    Bulk fields: plain lists of models, and dicts of string keys to models, or lists and
    dicts of those (for a dict at any level, no string settings in the model's config, which
    would apply to its keys); lists and dicts of plain ``int``, ``float``, ``str`` or
    ``bool`` (or lists, dicts and tuples of them) too, and plain ``str`` fields (their attributes'
    names, beside), when the model's config says nothing that changes how those validate (a
    model's config does not reach into another model, but it does reach plain values).
    Fields holding another model that has something to read apart (or ``X | None``)."""
    validated = {
        f for d in base.__pydantic_decorators__.field_validators.values() for f in d.info.fields
    }
    given = _after_only(base, validated)
    config = base.model_config
    by_alias = config.get("validate_by_alias", True)
    plain_strings = not any(key in config for key in _STRING_SETTINGS)
    plain_values = config.keys() <= _NEUTRAL_SETTINGS
    wanted: dict[str, SlicedField] = {}
    texts: dict[str, str] = {}
    nested: dict[str, NestedField] = {}
    for name, info in base.model_fields.items():
        # A field bounded only in how long it is may be (the one call is given an empty
        # stand-in for it, and a validator without a bound below, when it has one).
        bounds = _length_bounds(info) if info.metadata else (None, None)
        taken = name in given  # its validators run in the one call, given what was read
        if (
            bounds == (None, None)
            and name not in validated
            and isinstance(info.validation_alias, str | None)
            and (
                union := _tagged_field(base, name, info, seen, memo)
                if info.discriminator is not None
                else _field_union(info.annotation, seen, memo, plain_values)
            )
            is not None
        ):
            # A union: a long value for it read as the model its tag names, as each model
            # (no tag), or as the member that takes the kind sent (a list or a model), null
            # standing in for it in the one call.
            key = (info.validation_alias or info.alias or name) if by_alias else name
            loc = key if config.get("loc_by_alias", True) else name
            nested[key] = NestedField(key, name, loc, union)
            continue
        if (
            bounds is None
            or info.discriminator is not None
            or (name in validated and not taken)
            or not isinstance(info.validation_alias, str | None)
        ):
            continue
        key = (info.validation_alias or info.alias or name) if by_alias else name
        loc = key if config.get("loc_by_alias", True) else name
        if info.annotation is str and plain_values and not taken:
            texts[key] = name
            continue
        unwrapped = _unwrapped(info.annotation)  # `X | None` read as `X` (a null is short)
        held = unwrapped
        if isinstance(held, type) and issubclass(held, BaseModel):
            if bounds != (None, None) or taken:
                continue
            if held in seen:  # a model holding itself: its reading, once made
                nested[key] = NestedField(key, name, loc, (memo, held))
            elif (inner := model_reading(held, None, seen, memo)) is not None:
                nested[key] = NestedField(key, name, loc, inner)
            continue
        if (
            bounds == (None, None)
            and not taken
            and plain_values  # the model's config reaches into a TypedDict or a dataclass
            and (stand_in := _stand_in_reading(unwrapped, seen, memo)) is not None
        ):
            nested[key] = NestedField(key, name, loc, stand_in)
            continue
        # `list[Item] | None` is read apart as the list when it is one (a null is short, and
        # stays with the rest; the empty stand-in is valid for the union as for the list).
        annotation, made = _plain_of(_as_built(unwrapped))
        if made is not None and taken:
            continue  # its validators take the collection made, which is made last
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is list:
            item = args[0]
        elif origin is dict and args[0] is str and plain_strings:
            item = args[1]
        elif origin is dict and args[0] is int and plain_values:  # keys made numbers
            item = args[1]
        else:
            continue
        innermost, keyed = _innermost(item)
        if keyed and not plain_strings:
            continue  # an inner dict's keys are strings the config would change
        plain = plain_values and _is_plain(innermost)
        models = isinstance(innermost, type) and issubclass(innermost, BaseModel)
        if not models and not plain:
            continue  # (a model's config does not reach into another model)
        items = items_reading(annotation, None, seen, memo)
        assert items is not None  # a plain list or dict of string keys, as checked above
        if bounds != (None, None) or made is not None:
            items = dataclasses.replace(
                items, min_length=bounds[0], max_length=bounds[1], made=made
            )
        wanted[key] = SlicedField(key, name, loc, items, taken)
    return wanted, texts, nested


def _unwrapped(annotation: object) -> object:
    """``X`` for ``X | None``, else ``annotation``."""
    members = [m for m in union_members(annotation) if m is not type(None)]
    return members[0] if len(members) == 1 else annotation


def _as_built(annotation: object) -> object:
    """What pydantic makes of a JSON array or object for ``annotation``: ``list[T]`` for a
    ``Sequence[T]``, ``dict[K, V]`` for a ``Mapping[K, V]`` (items validated and located as
    theirs); else ``annotation``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if args and origin in _SEQUENCES:
        return list.__class_getitem__(args)
    if args and origin in _MAPPINGS:
        return dict.__class_getitem__(args)
    return annotation


def _plain_of(annotation: object) -> tuple[object, Callable[[Any], object] | None]:
    """For a ``deque[T]``, ``tuple[T, ...]``, ``Counter[K]``, ``OrderedDict[K, V]``,
    ``defaultdict[K, V]``, or a ``set[T]`` or ``frozenset[T]`` of ``int``, ``float``, ``str``
    or ``bool``: the ``list[T]`` or ``dict`` pydantic reads it from (items
    validated and located as theirs) and what makes the collection of that in one call;
    else ``(annotation, None)``."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is collections.deque and len(args) == 1:
        return list.__class_getitem__(args), collections.deque
    if (origin is set or origin is frozenset) and len(args) == 1 and args[0] in _HASHED_PLAIN:
        return list.__class_getitem__(args), origin  # (a model's field; a body is a Collection)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list.__class_getitem__(args[0]), tuple
    if origin is collections.Counter and len(args) == 1:
        return dict.__class_getitem__((args[0], int)), collections.Counter
    if origin is collections.OrderedDict and len(args) == 2:
        return dict.__class_getitem__(args), collections.OrderedDict
    if origin is collections.defaultdict and len(args) == 2:
        try:  # the default factory pydantic infers (int for int values, list for lists, ...)
            empty = type_adapter(annotation).validate_python({})
        except (PydanticSchemaGenerationError, PydanticUserError):
            return annotation, None  # building the plan says why
        factory = cast("collections.defaultdict[object, object]", empty).default_factory

        def made(items: dict[object, object]) -> object:
            return collections.defaultdict(factory, items)

        return dict.__class_getitem__(args), made
    return annotation, None


_HASHED_PLAIN: tuple[object, ...] = (int, float, str, bool)  # a set's plain items
_SEQUENCES: tuple[object, ...] = (collections.abc.Sequence, collections.abc.MutableSequence)
# Collections of models an unmarked parameter is the JSON body for, as FastAPI reads them.
_BODY_COLLECTIONS: tuple[object, ...] = (
    list,
    tuple,
    set,
    frozenset,
    collections.deque,
    *_SEQUENCES,
)
_MAPPINGS: tuple[object, ...] = (collections.abc.Mapping, collections.abc.MutableMapping)


# Config keys that change how strings (a dict's keys among them) are validated.
_STRING_SETTINGS = frozenset(
    (
        "strict",
        "str_strip_whitespace",
        "str_to_lower",
        "str_to_upper",
        "str_min_length",
        "str_max_length",
        "coerce_numbers_to_str",
    )
)


# Item types a model's config alone can change, and the config keys that change none of them
# (nor the errors about them): with only these set, such items validate apart as in the model.
# Values a bulk field may hold when the config is neutral: plain ones, and any JSON.
_PLAIN: tuple[object, ...] = (int, float, str, bool, Any, object, JsonValue)
_NEUTRAL_SETTINGS = frozenset(
    (
        "title",
        "model_title_generator",
        "field_title_generator",
        "json_schema_extra",
        "json_schema_mode_override",
        "extra",
        "frozen",
        "populate_by_name",
        "validate_by_alias",
        "validate_by_name",
        "alias_generator",
        "serialize_by_alias",
        "ser_json_timedelta",
        "ser_json_bytes",
        "ser_json_inf_nan",
        "protected_namespaces",
        "arbitrary_types_allowed",
        "defer_build",
        "use_attribute_docstrings",
        "validate_assignment",
        "revalidate_instances",
        "from_attributes",
    )
)


def _is_plain(item: object) -> bool:
    """A plain JSON value, or a tuple of them (``tuple[int, str]``, ``tuple[float, ...]``)."""
    if get_origin(item) is tuple:
        return all(a in _PLAIN or a is Ellipsis for a in get_args(item))
    return item in _PLAIN


def _innermost(item: object) -> tuple[object, bool]:
    """The items of a list of lists or dicts of string keys (at any depth), or ``item``
    itself; and whether a dict was among them."""
    keyed = False
    while True:
        origin, args = get_origin(item), get_args(item)
        if origin is list:
            item = args[0]
        elif origin is dict and args[0] is str:
            item, keyed = args[1], True
        else:
            return item, keyed


def fail_fast_validator(
    adapter: TypeAdapter[_T], adjust: Callable[[dict[str, object]], None] | None = None
) -> SchemaValidator:
    """Build a validator for ``adapter``'s schema whose collections stop at their first error,
    inside models too; ``adjust`` changes the schema (a copy) first."""
    schema = cast("dict[str, object]", copy.deepcopy(adapter.core_schema))
    if adjust is not None:
        adjust(schema)
    classes: set[type] = set()
    _stop_early(schema, classes)
    # pydantic-core builds a complete model's (or pydantic dataclass's) schema as the class's
    # own validator, which it has already, and the collections in it would not stop: a body
    # of 900,000 wrong items for a model checking its list was 1.8 million errors, 13-15 s
    # of one request's validation and 2 GiB (benchmarks/large_bodies.py). Each is built
    # from the schema here, the class said incomplete while it is (its own flag, put back).
    complete = [c for c in classes if vars(c).get("__pydantic_complete__") is True]
    try:
        for cls in complete:
            type.__setattr__(cls, "__pydantic_complete__", False)
        return SchemaValidator(cast("CoreSchema", schema))
    finally:
        for cls in complete:
            type.__setattr__(cls, "__pydantic_complete__", True)


def _relaxed(
    model: type[BaseModel],
    wanted: dict[str, SlicedField],
    nested: dict[str, NestedField],
    parsed: dict[str, str],
) -> tuple[
    dict[str, SlicedField],
    dict[str, NestedField],
    dict[str, str],
    dict[frozenset[str], SchemaValidator],
]:
    """The bulk, nested and parsed fields of ``model`` that can be read apart, and for each
    set of those whose stand-in the model would refuse (a list bounded below, a model, a
    field's own validators), the model's validator relaxed for them, built once: a bound
    below where no list or dict carries it, or past the first few such fields, stays with
    the model."""
    bounded = {f.name for f in wanted.values() if f.items.min_length is not None}
    given = {f.name for f in wanted.values() if f.given}
    held = {f.name for f in nested.values()}
    firsts = set(parsed.values())
    done: set[str] = set()
    schema = cast("dict[str, object]", copy.deepcopy(type_adapter(model).core_schema))
    _relax(model, _Relaxing(bounded, held, given, firsts), done, schema)
    kept = sorted(done)[:_MOST_RELAXED]
    validators: dict[frozenset[str], SchemaValidator] = {}
    for size in range(1, len(kept) + 1):
        for names in itertools.combinations(kept, size):
            chosen = set(names)
            relaxing = _Relaxing(bounded & chosen, held & chosen, given & chosen, firsts & chosen)
            adjust = functools.partial(_relax, model, relaxing, set[str]())
            validators[frozenset(names)] = fail_fast_validator(type_adapter(model), adjust)
    relaxable = bounded | given
    wanted = {k: f for k, f in wanted.items() if f.name not in relaxable or f.name in kept}
    nested = {k: f for k, f in nested.items() if f.name in kept}
    parsed = {k: name for k, name in parsed.items() if name in kept}
    return wanted, nested, parsed, validators


@dataclasses.dataclass(frozen=True, slots=True)
class _Relaxing:
    """The fields of a model whose stand-ins a relaxed validator takes, by name."""

    bounded: set[str]  # without their bound below
    held: set[str]  # anything, for a model
    given: set[str]  # their validators given what was read apart (``_given_field``)
    parsed: set[str] = dataclasses.field(default_factory=set[str])  # given it as sent


_MOST_RELAXED = 4  # fields read apart in one model that need a validator for each subset


def _relax(
    model: type[BaseModel], relaxing: _Relaxing, done: set[str], schema: dict[str, object]
) -> None:
    """Change ``schema``, ``model``'s (in place), so that its own object, at the top, takes
    the fields ``relaxing`` names as it says; the names of the fields it did that for go in
    ``done``. Where the model holds itself (a reference to its schema), that keeps it as it
    was."""
    top = _top_of(schema)
    while top.get("type") == "function-after":  # the model's own "after" validators: run apart
        top = cast("dict[str, object]", top["schema"])
    if top.get("type") != "model" or top.get("cls") is not model:
        return
    relaxed = copy.deepcopy(top)
    fields = cast("dict[str, dict[str, object]]", _inner(relaxed, "schema").get("fields", {}))
    for name in relaxing.held & fields.keys():
        fields[name]["schema"] = {"type": "any"}
        done.add(name)
    for name in relaxing.given & fields.keys():
        around = fields[name]  # the field, or the default around its value's schema
        if _inner(around, "schema").get("type") == "default":
            around = cast("dict[str, object]", around["schema"])
        while _inner(around, "schema").get("type") == "function-after":
            around = cast("dict[str, object]", around["schema"])
        around["schema"] = {
            "type": "function-plain",
            "function": {"type": "no-info", "function": functools.partial(_given_field, name)},
        }
        done.add(name)
    for name in relaxing.parsed & fields.keys():
        around = fields[name]  # the field, or the default around its value's schema
        if _inner(around, "schema").get("type") == "default":
            around = cast("dict[str, object]", around["schema"])
        around["schema"] = {
            "type": "function-before",
            "function": {"type": "no-info", "function": functools.partial(_given_field, name)},
            "schema": around["schema"],
        }
        done.add(name)
    for name in relaxing.bounded & fields.keys():
        inner = cast("dict[str, object]", fields[name]["schema"])
        while inner.get("type") in ("default", "nullable"):  # a default or None around it
            inner = cast("dict[str, object]", inner["schema"])
        if inner.get("type") in ("list", "dict") and inner.pop("min_length", None):
            done.add(name)
    _put_on_top(schema, relaxed)


def _stop_early(node: object, classes: set[type]) -> None:
    if isinstance(node, dict):
        schema = cast("dict[str, object]", node)  # a core schema is JSON-like
        kind = schema.get("type")
        if kind in _COLLECTIONS:
            schema["fail_fast"] = True
        elif (kind == "model" or kind == "dataclass") and isinstance(schema.get("cls"), type):
            classes.add(cast(type, schema["cls"]))
        for value in schema.values():
            _stop_early(value, classes)
    elif isinstance(node, list):
        for value in cast("list[object]", node):
            _stop_early(value, classes)


# Collections a repeated query, header or form key fills: those, and the abc's sets.
_COLLECTION_TYPES = (*_BODY_COLLECTIONS, collections.abc.Set, collections.abc.MutableSet)
_COLLECTIONS = frozenset(("list", "tuple", "set", "frozenset", "dict", "generator"))


Kind = Literal["async", "sync", "agen", "gen"]  # coroutine, plain, async/sync generator


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
    var_keyword = any(p.kind is p.VAR_KEYWORD for p in params)
    builder = _Builder(qualname, websocket, rule_converters, (*chain, fn), scopes)
    for param in params:
        if param.kind is not param.VAR_KEYWORD:
            builder.add(param, hints.get(param.name, MISSING), rule_converters, provider)
    for dependency in dependencies:
        builder.add_dependency(None, dependency)
    for name, dependency in (attributes or {}).items():
        builder.add_dependency(name, dependency, attribute=True)
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
                _schema_kinds(cast("dict[str, object]", body.adapter.core_schema)),
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


def _kind(fn: Callable[..., object]) -> Kind:
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
        meta = strip_annotated(annotation)[1] if annotation is not MISSING else []
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
                self.uploads.append(FieldSpec(param.name, wire, many, default=default))
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
            and _forbids(model)
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
            forbids=_forbids(model),
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
        self.body = json_param(name, annotation, adapter, default)


def json_param(
    name: str, annotation: object, adapter: TypeAdapter[Any], default: object = ...
) -> BodyParam:
    """How JSON for ``annotation`` is validated (``default`` ``...`` when it is required):
    in one call, and a large one a slice at a time where its type allows."""
    validator = fail_fast_validator(adapter)
    items, members, collection, any_json = body_reading(annotation, validator)
    known = _keys_if_forbidding(strip_annotated(annotation)[0])
    tagged = union = first = kinds = None
    if items is None and members is None and collection is None and not any_json:
        tagged = tagged_reading(adapter)
        if tagged is None:
            union = union_reading(adapter, validator)
        if tagged is None and union is None:
            first = parsed_first(adapter)
        if tagged is None and union is None and first is None:
            kinds = _kind_field(annotation, frozenset(), {})
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
    )


def not_a_dependency_problem(value: object) -> str:
    """What ``dependencies=[...]`` says of a value that is not aaf's ``Depends(...)``."""
    foreign = _foreign_marker(value, MISSING)
    if foreign is not None:  # its repr, Depends(get_db), reads as aaf's own
        return (
            f"dependencies= takes Depends(provider) values, got FastAPI's {foreign}(), which "
            "aaf does not read (from aaf.params import Depends)"
        )
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
        if get_origin(member) in _BODY_COLLECTIONS or member is list:
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


_TEXT_TYPES: frozenset[object] = frozenset(
    (
        str,
        int,
        float,
        bool,
        bytes,
        Decimal,
        uuid.UUID,
        datetime.date,
        datetime.datetime,
        None,
        type(None),
    )
)


def _from_text(annotation: object, many: bool, files: bool = False) -> bool:
    """Whether some text (with ``many``, a list of texts) can be valid for ``annotation``, by
    its pydantic schema: not when it takes only an object or a mapping (a dataclass, a dict, a
    TypedDict, a model), unless a validator of its own or ``Json`` reads text first; an
    uploaded file only from a form (``files``). True for a type pydantic cannot validate:
    building the plan says so."""
    if all(_plain_text(member, many) for member in union_members(strip_annotated(annotation)[0])):
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
    if origin in (Union, types.UnionType) or origin in _COLLECTION_TYPES:
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
    if origin in _COLLECTION_TYPES and arguments:
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
            schema = _inner(schema, "schema")
        elif kind == "definition-ref":
            schema = definitions.get(schema["schema_ref"])
        elif kind == "model":
            schema = _inner(schema, "schema")
        else:
            return None  # a model validator before (or around) the fields reads its own way
    if schema is None:
        return None
    many = source != "cookie"  # a cookie is one text: a list of them is none
    fields = cast("Mapping[str, Mapping[str, object]]", schema["fields"])
    for name, field in fields.items():
        if name in model.model_fields and not _schema_from_text(
            _inner(field, "schema"), definitions, many, files=source == "form"
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


def _plain_text(member: object, many: bool) -> bool:
    """A scalar text fills (``str``, ``int``, ``None``, ...), or with ``many`` a list of them."""
    if member in _TEXT_TYPES or get_origin(member) is Literal:
        return True
    if isinstance(member, type) and issubclass(member, enum.Enum):
        return True
    if many and get_origin(member) is list:
        arguments = get_args(member)
        return len(arguments) == 1 and _plain_text(arguments[0], False)
    return False


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
    if kind == "function-wrap" and _collection_validator(schema):
        return inner(_inner(schema, "schema"))
    if kind in ("function-before", "function-plain", "function-wrap", "json", "any"):
        return True  # reads what it is given its own way
    if kind == "is-instance" and _is_file_class(schema.get("cls")):
        return files  # an uploaded file, from a form only
    if kind == "json-or-python":
        # A Sequence: its Python side takes any sequence first, a text among them, then
        # refuses a text; its JSON side says what it holds.
        return inner(_inner(schema, "json_schema"))
    if kind == "lax-or-strict":  # lax, as values are validated
        return inner(_inner(schema, "lax_schema"))
    if kind == "definitions":
        for definition in cast("list[Mapping[str, object]]", schema["definitions"]):
            definitions[definition["ref"]] = definition
        return inner(_inner(schema, "schema"))
    if kind == "definition-ref":
        ref = schema["schema_ref"]
        found = definitions.get(ref)
        if found is None or ref in visiting:
            return True  # a recursive type, inside itself: what the rest of it says
        return _schema_from_text(found, definitions, many, files, visiting | {ref})
    if kind in _MAPPING_SCHEMAS:
        return False
    if kind in ("list", "set", "frozenset", "tuple", "generator", "deque"):
        items = schema.get("items_schema")
        members = cast(
            "list[Mapping[str, object]]",
            items if isinstance(items, list) else [items] if items else [],
        )
        return many and all(inner(m, False) for m in members)
    if kind == "union":
        return any(
            inner(_inner({"schema": choice}, "schema"))
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
        return inner(_inner(schema, "schema"))
    return True  # str, int, a date, an enum, a literal, ...


_MAPPING_SCHEMAS = frozenset(
    ("typed-dict", "dict", "model-fields", "dataclass-args", "arguments", "counter", "ordered-dict")
)

# pydantic's own wrappers of a collection's schema (a Sequence's, a deque's, a defaultdict's):
# what they take is what the collection inside takes.
_COLLECTION_VALIDATORS = frozenset(
    ("sequence_validator", "deque_validator", "defaultdict_validator")
)


def _collection_validator(schema: Mapping[str, object]) -> bool:
    function = cast("Mapping[str, object]", schema["function"]).get("function")
    function = getattr(function, "func", function)  # a functools.partial of it
    return (
        getattr(function, "__module__", None) == "pydantic._internal._validators"
        and getattr(function, "__name__", None) in _COLLECTION_VALIDATORS
    )


def _inner(schema: Mapping[str, object], key: str) -> Mapping[str, object]:
    """The schema under ``key``; a union's choice may be a (schema, label) pair."""
    inner = schema[key]
    if isinstance(inner, tuple):
        inner = cast("tuple[object, ...]", inner)[0]
    return cast("Mapping[str, object]", inner)


# What pydantic's Json[T] puts in the annotation's metadata (type checkers see an alias).
_JSON_MARKER: type[object] = type(cast("object", get_args(Json[int])[1]))


def _is_many(annotation: object) -> bool:
    base, meta = strip_annotated(annotation)
    if any(isinstance(m, _JSON_MARKER) for m in meta):
        return False  # Json[list[int]]: one value, JSON text of the list
    for member in union_members(base):
        origin = get_origin(member)
        if any(member is c for c in _COLLECTION_TYPES) or origin in _COLLECTION_TYPES:
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
            aliases = _aliases(info)
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
    """One TypedDict per group, keyed by parameter name and read by wire name (the alias)."""
    safe = _safe_name(qualname)
    groups: dict[str, object] = {}
    try:
        for group, defs in definitions.items():
            groups[group] = _typed_dict(f"{safe}_{group}", _typed_members(defs))
        shape = _typed_dict(f"{safe}_params", groups)
        # The shape is built at runtime, so mypy cannot see what it validates into.
        validator = cast("TypeAdapter[dict[str, dict[str, object]]]", type_adapter(shape))
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError, SchemaError) as exc:
        raise ConfigurationError(_unvalidatable(definitions, qualname, exc)) from None
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
