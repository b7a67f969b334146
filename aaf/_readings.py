"""How a JSON body is read, decided once at registration: the fail-fast validators that stop
at a body's first error, and the readings that let a large body (a list's items, a model's
members, a union of models told apart by a tag or by kind) be validated a slice at a time while
other requests run. ``_plan`` puts them in a handler's plan; ``_extract`` carries them out.
Pure logic, no I/O.
"""

from __future__ import annotations

import collections.abc
import contextvars
import copy
import dataclasses
import datetime
import enum
import functools
import itertools
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    TypeGuard,
    TypeVar,
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
    BaseModel,
    Field,
    JsonValue,
    RootModel,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, SchemaValidator

import aaf._rules as _rules
from aaf._annotations import (
    annotated,
    strip_annotated,
    union_members,
)
from aaf.params import Param

__all__ = [
    "ARRAY_SCHEMAS",
    "BODY_COLLECTIONS",
    "COLLECTION_TYPES",
    "DICT_SCHEMAS",
    "GIVEN_FIELDS",
    "Collection",
    "ItemsReading",
    "KindReading",
    "ModelReading",
    "ParsedFirst",
    "Reading",
    "TaggedReading",
    "UnionReading",
    "body_reading",
    "collection_validator",
    "fail_fast_validator",
    "field_aliases",
    "forbids_others",
    "items_reading",
    "keys_if_forbidding",
    "kind_field",
    "model_reading",
    "parsed_first",
    "plain_text",
    "schema_kinds",
    "schema_under",
    "tagged_reading",
    "type_adapter",
    "union_reading",
]
_T = TypeVar("_T")


def type_adapter(annotation: object) -> TypeAdapter[object]:
    """Build a pydantic ``TypeAdapter`` for an annotation read at runtime."""
    # Annotations read from signatures are plain objects to mypy; pydantic checks them itself.
    return TypeAdapter(annotation)  # type: ignore[arg-type]


# What a set[T] or frozenset[T] body's items, read as a list, are made.
Collection = type[set[object]] | type[frozenset[object]]


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
    scalars = len(args) == 1 and plain_text(args[0], False) and args[0] is not bytes
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
    fields = cast(
        "Mapping[str, Mapping[str, object]]", schema_under(node, "schema").get("fields", {})
    )
    config = model.model_config
    by_alias = config.get("validate_by_alias", True)
    parsed: dict[str, str] = {}
    anything: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if name not in fields or not isinstance(info.validation_alias, str | None):
            continue
        step = schema_under(fields[name], "schema")
        if step.get("type") == "default":
            step = schema_under(step, "schema")
        if step.get("type") == "nullable":
            step = schema_under(step, "schema")
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
        return schema_under(node, "items_schema").get("type", "any") == "any"
    if kind == "dict" and not node.get("min_length") and not node.get("max_length"):
        return (
            schema_under(node, "keys_schema").get("type", "any") == "any"
            and schema_under(node, "values_schema").get("type", "any") == "any"
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
            node = schema_under(node, "schema")
    kind = node.get("type")
    if kind in ("function-before", "function-wrap", "function-plain"):
        return ParsedFirst(adapter)
    if kind == "model":
        config = cast("Mapping[str, object]", node.get("config") or {})
        inner = schema_under(node, "schema")
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
            node = schema_under(node, "schema")
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
                inner = schema_under(inner, "schema")
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
    (``union_reading``); as the member that takes the kind sent (``kind_field``; where
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
    return kind_field(annotation, seen, memo) if plain_values else None


def kind_field(annotation: object, seen: frozenset[type], memo: _Memo) -> KindReading | None:
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
    fields = cast(
        "Mapping[str, Mapping[str, object]]", schema_under(node, "schema").get("fields", {})
    )
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
    return _tagged_from(schema_under(fields[name], "schema"), refs, validator, seen, memo)


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
            node = schema_under(node, "schema")
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
                choice = schema_under(choice, "schema")
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
    fields = cast(
        "Mapping[str, Mapping[str, object]]", schema_under(node, "schema").get("fields", {})
    )
    refused: dict[str, tuple[str, frozenset[bytes]]] = {}
    for name, info in model.model_fields.items():
        if name not in fields or not isinstance(info.validation_alias, str | None):
            continue
        kinds = _JSON_KINDS - _json_kinds(schema_under(fields[name], "schema"), refs, set())
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
    return schema_kinds(schema)


def schema_kinds(schema: Mapping[str, object]) -> frozenset[bytes]:
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


# pydantic's own wrappers of a collection's schema (a Sequence's, a deque's, a defaultdict's):
# what they take is what the collection inside takes.
_COLLECTION_VALIDATORS = frozenset(
    ("sequence_validator", "deque_validator", "defaultdict_validator")
)


def collection_validator(schema: Mapping[str, object]) -> bool:
    """Whether ``schema``, a function-wrap, is pydantic's own around a collection's."""
    function = cast("Mapping[str, object]", schema["function"]).get("function")
    function = getattr(function, "func", function)  # a functools.partial of it
    return (
        getattr(function, "__module__", None) == "pydantic._internal._validators"
        and getattr(function, "__name__", None) in _COLLECTION_VALIDATORS
    )


def _json_kinds(
    schema: Mapping[str, object], refs: Mapping[str, Mapping[str, object]], seen: set[str]
) -> frozenset[bytes]:
    """Which of a JSON array, object and other value ``schema`` may take (all, where it
    cannot tell)."""
    kind = schema.get("type")
    if kind in ARRAY_SCHEMAS:
        return frozenset((_rules.ARRAY,))
    if kind in _TAKES_OBJECTS:
        return frozenset((_rules.OBJECT,))
    if kind in _TAKES_SCALARS:
        return frozenset((_rules.SCALAR,))
    if kind == "nullable":
        return _json_kinds(schema_under(schema, "schema"), refs, seen) | {_rules.SCALAR}
    if kind in ("default", "function-after", "custom-error", "model", "definitions") or (
        kind == "function-wrap" and collection_validator(schema)
    ):
        return _json_kinds(schema_under(schema, "schema"), refs, seen)
    if kind == "chain":  # its first step takes the input (a deque's strict way before 2.14)
        steps = cast("list[Mapping[str, object]]", schema["steps"])
        return _json_kinds(steps[0], refs, seen) if steps else _rules.ANY_KIND
    if kind == "json-or-python":
        return _json_kinds(schema_under(schema, "json_schema"), refs, seen)
    if kind == "lax-or-strict":
        return _json_kinds(schema_under(schema, "lax_schema"), refs, seen) | _json_kinds(
            schema_under(schema, "strict_schema"), refs, seen
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


# The core schema types of collections, read from a JSON array or from an object; each takes
# fail_fast. Later pydantic versions (2.14, not 2.11) give a deque, a Counter and an
# OrderedDict schemas of their own, not a list or a dict inside a wrapper: left out of these,
# a list of deques of a million wrong items held the event loop 4.5 s.
ARRAY_SCHEMAS = frozenset(("list", "tuple", "set", "frozenset", "generator", "deque"))
DICT_SCHEMAS = frozenset(("dict", "counter", "ordered-dict"))
_TAKES_OBJECTS = DICT_SCHEMAS | {"typed-dict", "model-fields", "dataclass"}
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
    fields = cast(
        "Mapping[str, Mapping[str, object]]", schema_under(node, "schema").get("fields", {})
    )
    found: set[str] = set()
    for name in names & fields.keys():
        step = schema_under(fields[name], "schema")
        if step.get("type") == "default":
            step = schema_under(step, "schema")
        after = step.get("type") == "function-after"
        while step.get("type") == "function-after":
            step = schema_under(step, "schema")
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


def keys_if_forbidding(model: object) -> frozenset[str] | None:
    """The keys ``model`` reads, when it ``forbids_others`` every other; else ``None``."""
    return _keys_read(model) if forbids_others(model) else None


def forbids_others(model: object) -> TypeGuard[type[BaseModel]]:
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
        key for name, info in model.model_fields.items() for key in (name, *field_aliases(info))
    )


def field_aliases(info: FieldInfo) -> list[str]:
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
BODY_COLLECTIONS: tuple[object, ...] = (
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
    fields = cast("dict[str, dict[str, object]]", schema_under(relaxed, "schema").get("fields", {}))
    for name in relaxing.held & fields.keys():
        fields[name]["schema"] = {"type": "any"}
        done.add(name)
    for name in relaxing.given & fields.keys():
        around = fields[name]  # the field, or the default around its value's schema
        if schema_under(around, "schema").get("type") == "default":
            around = cast("dict[str, object]", around["schema"])
        while schema_under(around, "schema").get("type") == "function-after":
            around = cast("dict[str, object]", around["schema"])
        around["schema"] = {
            "type": "function-plain",
            "function": {"type": "no-info", "function": functools.partial(_given_field, name)},
        }
        done.add(name)
    for name in relaxing.parsed & fields.keys():
        around = fields[name]  # the field, or the default around its value's schema
        if schema_under(around, "schema").get("type") == "default":
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
        if kind in ARRAY_SCHEMAS or kind in DICT_SCHEMAS:
            schema["fail_fast"] = True
        elif (kind == "model" or kind == "dataclass") and isinstance(schema.get("cls"), type):
            classes.add(cast(type, schema["cls"]))
        for value in schema.values():
            _stop_early(value, classes)
    elif isinstance(node, list):
        for value in cast("list[object]", node):
            _stop_early(value, classes)


# Collections a repeated query, header or form key fills: those, and the abc's sets.
COLLECTION_TYPES = (*BODY_COLLECTIONS, collections.abc.Set, collections.abc.MutableSet)


TEXT_TYPES: frozenset[object] = frozenset(
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


def plain_text(member: object, many: bool) -> bool:
    """A scalar text fills (``str``, ``int``, ``None``, ...), or with ``many`` a list of them."""
    if member in TEXT_TYPES or get_origin(member) is Literal:
        return True
    if isinstance(member, type) and issubclass(member, enum.Enum):
        return True
    if many and get_origin(member) is list:
        arguments = get_args(member)
        return len(arguments) == 1 and plain_text(arguments[0], False)
    return False


def schema_under(schema: Mapping[str, object], key: str) -> Mapping[str, object]:
    """The schema under ``key``; a union's choice may be a (schema, label) pair."""
    inner = schema[key]
    if isinstance(inner, tuple):
        inner = cast("tuple[object, ...]", inner)[0]
    return cast("Mapping[str, object]", inner)
