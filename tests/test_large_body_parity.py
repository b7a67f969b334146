"""Random body types and random bodies past 64 KiB: what aaf's reading a slice at a time gives
is what pydantic's validation of the whole gives, each collection stopping at its first error
(README, "Differences from FastAPI"): the same value, or the same errors in the same order.

Types are made of models (aliases, alias choices and generators, defaults, extra keys
forbidden or not, field and model validators, root models), stdlib and pydantic dataclasses,
TypedDicts, lists, tuples, sets, dicts (text or number keys), deques, the abc's sequences and
mappings, optional values, unions told apart by a tag, by a function or not at all, and
constrained values, dates, UUIDs, decimals and enums. This found deques, Counters and
OrderedDicts validated in one call that did not stop at their first error (pydantic 2.14
gives them schemas of their own).
"""

from __future__ import annotations

import asyncio
import collections
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import json
import random
import uuid
from collections.abc import Callable
from types import GenericAlias
from typing import Annotated, Any, Literal, NotRequired, Union, cast, get_args, get_origin

import pytest
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictInt,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    alias_generators,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from typing_extensions import TypedDict

from aaf import _entries, _extract, _plan, _readings
from aaf._readings import fail_fast_validator


class Colour(enum.Enum):
    RED = "r"
    BLUE = "b"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


SCALARS: list[object] = [
    int,
    str,
    float,
    bool,
    bytes,
    None,
    Any,
    Annotated[int, Field(ge=0)],
    Annotated[str, Field(max_length=3)],
    Annotated[float, Field(lt=10)],
    Literal["a", "b"],
    int | None,
    int | str,
    datetime.date,
    uuid.UUID,
    decimal.Decimal,
    Colour,
    Level,
    StrictInt,
    Annotated[str, Field(pattern="^a")],
]
ODD_VALUES: list[object] = [None, "x", 1, 1.5, [], {}, True, "1", -1, "2024-01-01", "boom", "r"]
# What each scalar type above is sent as, besides ODD_VALUES (a wrong one now and then).
SENT_AS: dict[object, list[object]] = {
    datetime.date: ["2024-01-01", "2024-13-01", 0],
    uuid.UUID: ["00000000-0000-0000-0000-000000000000", "x"],
    decimal.Decimal: ["1.5", 2, "nan", "x"],
    Colour: ["r", "b", "g"],
    Level: [1, 2, 3],
    StrictInt: [1, "1"],
}


_NOT_REQUIRED: object = NotRequired


def _kept(value: object) -> object:
    return value


def _swapped(value: object) -> object:
    return "a" if value == "swap" else value


def _no_boom(model: BaseModel) -> BaseModel:
    if "boom" in model.__dict__.values():
        raise ValueError("boom model")
    return model


def _without_extra(cls: type[BaseModel], data: object) -> object:
    if isinstance(data, dict):
        return {k: v for k, v in cast("dict[str, object]", data).items() if k != "extra"}
    return data


def _around(cls: type[BaseModel], data: object, handler: ValidatorFunctionWrapHandler) -> object:
    return handler(data)


def _boom_around(
    cls: type[BaseModel], value: object, handler: ValidatorFunctionWrapHandler
) -> object:
    if value == "boom":
        raise ValueError("boom around")
    return handler(value)


def _tag_of(value: object) -> object:
    return cast("dict[str, object]", value).get("kind") if isinstance(value, dict) else None


def _optional(kind: object) -> object:
    made: Any = kind
    return made | None


class Types:
    """Random types of a seed, and random JSON for them (mostly valid)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = 0
        self.large = False  # one long collection a body: bodies of 64 KiB to a few MB

    def name(self) -> str:
        self.names += 1
        return f"T{self.names}"

    def kind(self, depth: int) -> object:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.3:
            return rng.choice(SCALARS)
        inner = self.kind(depth - 1)
        makers: list[Callable[[], object]] = [
            lambda: GenericAlias(list, (inner,)),
            lambda: GenericAlias(dict, (str, inner)),
            lambda: _optional(inner),
            lambda: Annotated[GenericAlias(list, (inner,)), Field(max_length=5000)],
            lambda: GenericAlias(tuple, (inner, ...)),
            lambda: set[int] if rng.random() < 0.5 else frozenset[str],
            lambda: GenericAlias(tuple, (inner, self.kind(depth - 1))),
            lambda: Annotated[GenericAlias(dict, (str, inner)), Field(min_length=1)],
            lambda: GenericAlias(dict, (int, inner)),
            lambda: GenericAlias(collections.deque, (inner,)),
            lambda: GenericAlias(collections.abc.Sequence, (inner,)),
            lambda: GenericAlias(collections.abc.Mapping, (str, inner)),
            lambda: Annotated[inner, AfterValidator(_kept)],
            lambda: Annotated[inner, BeforeValidator(_swapped)],
            lambda: self.typed_dict(depth - 1),
            lambda: self.dataclass(depth - 1),
            lambda: self.union(depth - 1),
            lambda: self.model(depth - 1),
            lambda: self.model(depth - 1),
        ]
        return rng.choice(makers)()

    def union(self, depth: int) -> object:
        first, second = self.model(depth, tag="a"), self.model(depth, tag="b")
        how = self.rng.random()
        if how < 0.2:  # told apart by a function
            tagged: Any = Union[Annotated[first, Tag("a")], Annotated[second, Tag("b")]]  # noqa: UP007  # made at run time
            return Annotated[tagged, Discriminator(_tag_of)]
        either: Any = Union[first, second]  # noqa: UP007  # made at run time
        if how < 0.6:
            return Annotated[either, Field(discriminator="kind")]
        return either

    def typed_dict(self, depth: int) -> object:
        rng = self.rng
        fields: dict[str, Any] = {}
        for i in range(rng.randrange(1, 4)):
            kind: Any = self.kind(depth)
            fields[f"t{i}"] = NotRequired[kind] if rng.random() < 0.3 else kind
        return TypedDict(self.name(), fields)  # type: ignore[operator]  # made at run time

    def dataclass(self, depth: int) -> object:
        fields = [(f"d{i}", self.kind(depth)) for i in range(self.rng.randrange(1, 4))]
        made = dataclasses.make_dataclass(self.name(), fields)
        return pydantic_dataclass(made) if self.rng.random() < 0.5 else made

    def model(self, depth: int, tag: str | None = None) -> type[BaseModel]:
        rng = self.rng
        fields: dict[str, Any] = {}
        if tag is not None:
            fields["kind"] = (Literal[tag], ...)
        how = rng.random()
        if tag is None and how < 0.08:
            root: Any = RootModel[self.kind(depth)]  # type: ignore[misc]  # made at run time
            made: type[BaseModel] = create_model(self.name(), __base__=root)
            return made
        if how < 0.2:  # each field under either of two names
            for i in range(rng.randrange(1, 4)):
                choices = AliasChoices(f"f{i}", f"g{i}")
                fields[f"f{i}"] = (self.kind(depth), Field(..., validation_alias=choices))
            config = ConfigDict(extra=rng.choice(["ignore", "forbid", "allow"]))
            return create_model(self.name(), __config__=config, **fields)
        if how < 0.25:  # names made by a function: camelCase
            for i in range(rng.randrange(1, 4)):
                fields[f"f_{i}_x"] = (self.kind(depth), ...)
            config = ConfigDict(
                alias_generator=alias_generators.to_camel, populate_by_name=rng.random() < 0.5
            )
            return create_model(self.name(), __config__=config, **fields)
        for i in range(rng.randrange(1, 5)):
            kind = self.kind(depth)
            alias = f"F{i}x" if rng.random() < 0.2 else None
            if rng.random() < 0.2:
                fields[f"f{i}"] = (kind, Field(default_factory=list, alias=alias))
            elif rng.random() < 0.3:
                fields[f"f{i}"] = (kind, Field(rng.choice([None, 0]), alias=alias))
            else:
                fields[f"f{i}"] = (kind, Field(..., alias=alias))
        config = ConfigDict(
            extra=rng.choice(["ignore", "forbid", "allow"]),
            strict=rng.random() < 0.1,
            populate_by_name=rng.random() < 0.3,
        )
        model: type[BaseModel] = create_model(self.name(), __config__=config, **fields)
        if tag is None and rng.random() < 0.3:
            checked = rng.choice(list(model.model_fields))

            def refuse_boom(cls: type[BaseModel], value: object) -> object:
                if value == "boom":
                    raise ValueError("boom")
                return value

            checks: Any = classmethod(refuse_boom)
            if rng.random() < 0.5:
                check = field_validator(checked, mode="after")(checks)
            else:
                check = field_validator(checked, mode="before")(checks)
            validators: dict[str, Any] = {"check": check}
            model = create_model(self.name(), __base__=model, __validators__=validators)
        elif tag is None and rng.random() < 0.15:
            mode = rng.choice(["after", "before", "wrap", "field wrap"])
            validator: Any
            before: Any = classmethod(_without_extra)
            around: Any = classmethod(_around)
            if mode == "after":
                validator = model_validator(mode="after")(_no_boom)
            elif mode == "before":
                validator = model_validator(mode="before")(before)
            elif mode == "wrap":
                validator = model_validator(mode="wrap")(around)
            else:
                checked = rng.choice(list(model.model_fields))
                boom_around: Any = classmethod(_boom_around)
                validator = field_validator(checked, mode="wrap")(boom_around)
            model = create_model(self.name(), __base__=model, __validators__={"whole": validator})
        return model

    def value(self, kind: object, depth: int = 0) -> object:
        rng = self.rng
        if rng.random() < 0.03:
            return rng.choice(ODD_VALUES)
        origin, arguments = get_origin(kind), get_args(kind)
        if kind is int or kind is float:
            return rng.choice([0, 1, -5, 0.5])
        if kind is str:
            return rng.choice(["", "a", "abcd", "\u00e9", "swap", "boom"])
        if kind is bool:
            return rng.choice([True, False])
        if kind is bytes:
            return "bb"
        if kind is None or kind is type(None) or kind is Any:
            return rng.choice([None, 1, "x", [1, 2], {"a": 1}])
        if kind in SENT_AS:
            return rng.choice(SENT_AS[kind])
        if origin is Annotated:
            return self.value(arguments[0], depth)
        if origin is Literal:
            return rng.choice([*arguments, "c"])
        if origin is Union or origin is type(int | None):
            return self.value(rng.choice(arguments), depth)
        if origin is tuple and not (len(arguments) == 2 and arguments[1] is ...):
            return [self.value(a, depth + 1) for a in arguments]
        if origin in (list, tuple, set, frozenset, collections.deque, collections.abc.Sequence):
            return self.items(arguments[0], depth)
        if origin in (dict, collections.abc.Mapping):
            keys: list[str] = [str(k) for k in range(len(self.items(None, depth)))]
            if arguments[0] is int and keys and rng.random() < 0.05:
                keys[-1] = "x"
            return {
                key if arguments[0] is int else f"k{key}": self.value(arguments[1], depth + 1)
                for key in keys
            }
        if dataclasses.is_dataclass(kind):
            return {f.name: self.value(f.type, depth + 1) for f in dataclasses.fields(kind)}
        if isinstance(kind, type) and issubclass(kind, RootModel):
            return self.value(kind.model_fields["root"].annotation, depth)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            sent: dict[str, object] = {}
            for name, info in kind.model_fields.items():
                if rng.random() < 0.05:
                    continue
                if isinstance(info.validation_alias, AliasChoices):
                    either = info.validation_alias.choices
                    sent[str(rng.choice(either))] = self.value(info.annotation, depth + 1)
                    continue
                if get_origin(info.annotation) is Literal:
                    sent[info.alias or name] = (
                        get_args(info.annotation)[0] if rng.random() < 0.95 else "zz"
                    )
                else:
                    sent[info.alias or name] = self.value(info.annotation, depth + 1)
            if rng.random() < 0.1:
                sent["extra"] = 1
            return dict(reversed(sent.items())) if rng.random() < 0.3 else sent
        if isinstance(kind, type) and hasattr(kind, "__total__"):  # a TypedDict
            sent = {}
            for name, annotation in kind.__annotations__.items():
                if get_origin(annotation) is _NOT_REQUIRED:
                    if rng.random() < 0.5:
                        continue
                    annotation = get_args(annotation)[0]
                sent[name] = self.value(annotation, depth + 1)
            return sent
        raise AssertionError(f"no value for {kind!r}")

    def items(self, kind: object, depth: int) -> list[object]:
        """A collection's items: a few, or (once a body) thousands, mostly alike."""
        rng = self.rng
        if self.large:  # a long one made already: what it holds stays small
            count = rng.choice([0, 1])
        else:
            count = rng.choice([0, 1, 3]) if depth > 1 else rng.choice([0, 2, 3000])
        if count <= 3:
            return [self.value(kind, depth + 1) for _ in range(count)]
        self.large = True
        items = [self.value(kind, depth + 1)] * count
        items[rng.randrange(count)] = self.value(kind, depth + 1)
        return items


def _padded(value: object, rng: random.Random) -> bytes:
    """``value`` as JSON, past 64 KiB: as it is when long enough, else a long key added to an
    object or a list made longer with copies of its first item."""
    data = json.dumps(value).encode()
    if len(data) > 64 * 1024:
        return data
    if isinstance(value, dict):
        padding = "p" * 70_000 if rng.random() < 0.5 else list(range(15_000))
        return json.dumps({**value, "zpad": padding}).encode()
    if isinstance(value, list) and value:
        copies = 70_000 // len(json.dumps(value[0])) + 1
        return json.dumps(value + [value[0]] * copies).encode()
    return data


def _differs(kind: object, data: bytes) -> str | None:
    """How aaf's reading of ``data`` as ``kind`` differs from pydantic's, if it does."""
    adapter = _readings.type_adapter(kind)
    body = _plan.json_param("body", kind, adapter)
    errors: list[dict[str, object]] = []
    read = asyncio.run(_extract.read_large_json(body, data, errors, []))
    try:
        expected = fail_fast_validator(adapter).validate_json(data)
    except ValidationError as exc:
        wanted = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
        got = [(e["type"], e["loc"]) for e in errors]
        wanted = wanted[: _entries.MAX_ERRORS]  # a 422 lists no more
        if read is _extract.REFUSED and got == wanted:
            return None
        if wanted[0][0] == "json_invalid" and [kind for kind, _ in got] == ["json_invalid"]:
            return _python_says(data, errors[0])
        if read is _extract.REFUSED and any(t == "too_long" for t, _ in wanted):
            return None  # README: an item's error in a list over its bound is said first
        if got and wanted[: len(got)] == got and all("[key]" in w[1] for w in wanted[len(got) :]):
            return None  # pydantic's dict says the next key's error after its first one
        return f"errors {got[:5]} where pydantic says {wanted[:5]}"
    if read is _extract.REFUSED:
        return f"refused ({errors[:3]}) what pydantic takes"
    if adapter.dump_python(read, mode="json") != adapter.dump_python(expected, mode="json"):
        return "a value other than pydantic's"
    return None


def _python_says(data: bytes, entry: dict[str, object]) -> str | None:
    """How ``entry``, aaf's for ``data`` that is not JSON, differs from what Python's parser
    says of it (FastAPI's entry), if it does."""
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        said = (entry["loc"], cast("dict[str, object]", entry["ctx"])["error"])
        return None if said == (["body", exc.pos], exc.msg) else f"{said} where Python says {exc}"
    return None  # Python takes it (pydantic does not): pydantic's words stand


def _broken(data: bytes, rng: random.Random) -> bytes:
    """``data`` no longer JSON (mostly): cut short (just after a quote, or in a long string
    put in), a long string put in with a wrong escape or character, a few bytes put in (an
    escape or a character a string may not hold), or one put in, left out or replaced."""
    at = rng.randrange(len(data))
    kind = rng.randrange(6)
    if kind == 0:
        quote = data.rfind(b'"', 0, at)
        return data[: quote + 1 + rng.randrange(3)] if quote >= 0 else data[:at]
    if kind == 1:
        stray = rng.choice([b"\\x", b"\\u12", b"\x01", b"\\", b'"', b"\\ud800", b"\n"])
        return data[:at] + stray + data[at:]
    if kind == 2:
        return data[:at] + b'"' + b"z" * rng.choice([10, 70_000, 200_000])
    if kind == 3:
        wrong = rng.choice([b"\\q", b"\x02", b"\\u00"])
        return data[:at] + b'"' + b"z" * rng.choice([70_000, 200_000]) + wrong + b'"' + data[at:]
    return _one_byte_off(data, rng)


def _one_byte_off(data: bytes, rng: random.Random) -> bytes:
    """``data`` cut short, or a byte put in, left out or replaced."""
    at = rng.randrange(len(data))
    stray = bytes([rng.choice(b',]}["\\:{ x0-')])
    return rng.choice(
        [
            data[:at],
            data[:at] + stray + data[at:],
            data[:at] + data[at + 1 :],
            data[:at] + stray + data[at + 1 :],
            data + rng.choice([b",", b"]", b"}", b" x", b"1"]),
        ]
    )


def _compared(seeds: range, broken: bool) -> int:
    """Compare aaf's reading with pydantic's for the random type and body of each seed (the
    body ``broken`` somewhere if so); how many bodies were past 64 KiB, and compared."""
    compared = 0
    for seed in seeds:
        types = Types(seed)
        try:
            kind = types.kind(3) if types.rng.random() < 0.4 else types.model(3)
            _readings.type_adapter(kind)
        except Exception:  # a type pydantic refuses (a tag's field with a before validator)
            continue
        data = _padded(types.value(kind), types.rng)
        if broken:
            data = _broken(data, types.rng)
        if not 64 * 1024 < len(data) < 1_500_000:
            continue
        compared += 1
        assert _differs(kind, data) is None, (seed, kind)
    return compared


@pytest.mark.filterwarnings("ignore::UserWarning")  # a default not of its field's type
@pytest.mark.parametrize("first", range(0, 400, 200))
def test_random_large_bodies_broken_somewhere_are_not_json_wherever_wrong_values_are(
    first: int,
) -> None:
    # This found the reading stopped at a wrong value and answered its error, where the body
    # broke after it (FastAPI and pydantic say it is not JSON); and, on other seeds, a body
    # cut short in a long string, or a scalar going on, said in pydantic's words.
    assert _compared(range(first, first + 200), broken=True) > 30


@pytest.mark.filterwarnings("ignore::UserWarning")  # a default not of its field's type
@pytest.mark.parametrize("first", range(0, 2000, 400))
def test_random_large_bodies_are_read_as_pydantic_reads_them_whole(first: int) -> None:
    assert _compared(range(first, first + 400), broken=False) > 50
