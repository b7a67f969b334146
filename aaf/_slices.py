"""Validate a large JSON body a slice at a time, so that other requests run between the
slices: a list's items, a model's members, a union's member chosen by its tag or by kind,
long strings in pieces. How each body is read was decided at registration (``_readings``);
what goes wrong is reported as the whole body's validation would report it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import gc
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, SchemaValidator, core_schema, from_json

from aaf._entries import (
    MAX_ERRORS,
    MAX_INPUT,
    Errors,
    Loc,
    body_entry,
    chars_before,
    decoded_window,
    json_invalid_at,
    json_invalid_entry,
    pydantic_place,
    report_body,
    sent_from,
    skip_space,
)
from aaf._readings import (
    GIVEN_FIELDS,
    Collection,
    ItemsReading,
    KindReading,
    ModelReading,
    Reading,
    TaggedReading,
    UnionReading,
)

__all__ = [
    "ANY_ITEMS",
    "ANY_MEMBERS",
    "LongValue",
    "MAX_HOLD_SECONDS",
    "NOT_A_LIST",
    "attributes_of",
    "full_collections_held",
    "json_error",
    "made_a_set",
    "not_json_entry",
    "past_value",
    "remade",
    "validate_in_slices",
    "validate_kinds_in_slices",
    "validate_members_in_slices",
    "validate_tagged_in_slices",
    "validate_union_in_slices",
]

_ANY_LIST = SchemaValidator(core_schema.list_schema(core_schema.any_schema()))


_ANY_OBJECT = SchemaValidator(
    core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())
)


# Any JSON's arrays and objects: a long item in them that is an array or an object is read
# as one of these in its turn (``_long_item``), a long string in pieces.
ANY_ITEMS = ItemsReading(_ANY_LIST, b"[", None, True)
ANY_MEMBERS = ItemsReading(_ANY_OBJECT, b"{", None, True)


def attributes_of(value: object) -> dict[str, object] | None:
    """What a model body read a slice at a time holds, by attribute: a model's or a
    dataclass's attributes, a TypedDict's dict itself; ``None`` for anything else."""
    if type(value) is dict:
        return cast("dict[str, object]", value)
    if isinstance(value, BaseModel) or (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and hasattr(value, "__dict__")
    ):
        return cast("dict[str, object]", vars(value))
    return None


async def made_a_set(items: list[object], collection: Collection) -> object:
    """``items`` (a large body's, validated as a list) made a ``set`` a slice at a time (a
    million numbers hashed at once, 60 ms); for a ``frozenset`` too, which the caller makes
    from it, its table copied as it is."""
    made: set[object] = set()
    for start in range(0, len(items), _SET_SLICE):
        made.update(items[start : start + _SET_SLICE])
        await asyncio.sleep(0)
    return made


_SET_SLICE = 65_536
_ORDERED_SLICE = 16_384


async def remade(made: Callable[[Any], object], items: object) -> object:
    """``items`` (a list or dict read a slice at a time) made what its type is, a deque or a
    Counter, ...: an OrderedDict a slice at a time (600,000 keys in one call, 0.44 s; in
    slices, its last growth of its own table is what is left, about 35 ms), a set too (a
    model's ``set[str]`` of 800,000 in one call, 215 ms)."""
    if made is set or made is frozenset:  # hashed a slice at a time, as a set body's are
        collected = await made_a_set(cast("list[object]", items), set)
        return collected if made is set else frozenset(cast("set[object]", collected))
    if made is not collections.OrderedDict:
        return made(items)
    ordered: collections.OrderedDict[object, object] = collections.OrderedDict()
    pairs = iter(cast("dict[object, object]", items).items())
    while chunk := list(itertools.islice(pairs, _ORDERED_SLICE)):
        ordered.update(chunk)
        await asyncio.sleep(0)
    return ordered


# A large body is sliced as bytes, never decoded whole: every character JSON's structure is
# made of is ASCII, and no byte of a UTF-8 sequence for another character is (10 MB decoded at
# once was a stall of its own, and its page faults most of a refused body's cost).
_WHITESPACE_TEXT = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_SLICE = 32 * 1024  # bytes of items validated between two turns of the event loop
NOT_A_LIST = object()
# An item longer than this is not read on its own: Python's decoder, from ever wider windows,
# took 0.5 s (in one stall) for one item holding 10 MB of objects, where validating the body
# whole takes 0.1 s. Such an item of any JSON is read a slice at a time in its turn (lists in
# lists, this deep at most); a typed one has the body validated whole.
_WIDEST_WINDOW = 128 * 1024
_MAX_NESTED_SLICING = 32
# A JSON string after its opening quote, by the grammar (what _after_string finds faster).
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"')


class _Held:
    """How many holds are on, since when, and the collector's thresholds before them."""

    count = 0
    since = 0.0
    thresholds: tuple[int, int, int] = (700, 10, 10)


# Large bodies one after another could hold full collections for good, and cyclic garbage
# that outlives young collections would pile up: past this, one full collection runs anyway.
MAX_HOLD_SECONDS = 10.0


@contextlib.contextmanager
def full_collections_held() -> Generator[None]:
    """Hold the garbage collector's full collections while a large list's items pile up.

    Each full collection walks every object alive, and a list growing by hundreds of thousands
    of models sets off one after another (up to ~190 ms each at 600,000 items), pausing every
    request. Young collections go on; the first full one comes once the last large body is
    done, when its items are usually gone again (or, when holds overlap for more than
    ``MAX_HOLD_SECONDS``, as the next one begins).
    """
    now = time.monotonic()
    if _Held.count == 0:
        _Held.thresholds = gc.get_threshold()
        young, middle, _ = _Held.thresholds
        gc.set_threshold(young, middle, 1 << 30)
        _Held.since = now
    elif now - _Held.since > MAX_HOLD_SECONDS:
        gc.collect()
        _Held.since = now
    _Held.count += 1
    try:
        yield
    finally:
        _Held.count -= 1
        if _Held.count == 0:
            gc.set_threshold(*_Held.thresholds)


class _ItemTooLarge(Exception):
    """An item of a large list runs past the widest window."""


def _skip_space_in(text: str, pos: int) -> int:
    """``skip_space`` in decoded text."""
    return _WHITESPACE_TEXT.match(text, pos).end()  # type: ignore[union-attr]  # * always matches


async def validate_in_slices(
    reading: ItemsReading,
    data: bytes,
    errors: Errors,
    loc: Loc = ("body",),
    *,
    keep: bool = True,
    first: int | None = None,
    stopped: list[int] | None = None,
) -> object:
    """Validate a large JSON list (or dict) a slice of items at a time, as ``reading`` says,
    letting the event loop serve other requests between slices: one client's 10 MB body must
    not stall the others.

    Each slice goes to the reading's fail-fast validator as a list of its own, so a wrong
    item ends the work at its slice, and error locations count from the start of the whole
    list. Gives the validated items, or ``NOT_A_LIST`` when the body is not a UTF-8 JSON
    list (the caller validates it whole, which reports why). Where a wrong item stopped the
    reading, the item its slice starts at goes to ``stopped``: all before it is JSON. With
    ``first`` and without ``keep``, as ``_in_slices`` reads.
    """
    pos = skip_space(data, 0)
    if not data.startswith(reading.opening, pos):
        return NOT_A_LIST
    try:
        items, end = await _in_slices(
            reading, data, pos, loc, errors, keep=keep, first=first, stopped=stopped
        )
    except (UnicodeDecodeError, _ItemTooLarge):
        return NOT_A_LIST
    if end >= 0 and _out_of_bounds(reading, items, data, pos, loc, errors):
        return items
    if end >= 0:
        after = skip_space(data, end)
        if after < len(data):
            errors.append(json_invalid_at(chars_before(data, after), "Extra data"))
    return items


def _out_of_bounds(
    reading: ItemsReading,
    items: list[object] | dict[object, object],
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
) -> bool:
    """Whether the ``items`` read from ``data[pos]`` are more or fewer than ``reading``
    allows, adding pydantic's error if so (its words, its context; the input echoed is the
    start of the list as sent, cut as any long input is)."""
    count, low, high = len(items), reading.min_length, reading.max_length
    if (low is None or count >= low) and (high is None or count <= high):
        return False
    too_long = high is not None and count > high
    kind: Literal["too_short", "too_long"] = "too_long" if too_long else "too_short"
    bound = {"max_length": high} if too_long else {"min_length": low}
    field_type = "List" if reading.opening == b"[" else "Dictionary"
    actual = None if too_long and field_type == "Dictionary" and _dicts_stop_early() else count
    exc = ValidationError.from_exception_data(
        "body",
        [
            InitErrorDetails(
                type=kind,
                loc=(),
                input=sent_from(data, pos),
                ctx={"field_type": field_type, **bound, "actual_length": actual},
            )
        ],
    )
    report_body(exc, data, errors, loc)
    return True


@functools.cache
def _dicts_stop_early() -> bool:
    """Whether this pydantic stops a dict at its first key too many ("not more"; 2.12 does)
    or counts them all ("not 3"; 2.11 does), asked once."""
    bounded = TypeAdapter[object](Annotated[dict[str, int], Field(max_length=1)])
    try:
        bounded.validate_python({"a": 1, "b": 2, "c": 3})
    except ValidationError as exc:
        return exc.errors()[0].get("ctx", {}).get("actual_length") is None
    raise AssertionError("a dict over its bound validated")  # pragma: no cover


async def _in_slices(
    reading: ItemsReading,
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
    depth: int = 0,
    keep: bool = True,
    *,
    first: int | None = None,
    stopped: list[int] | None = None,
) -> tuple[list[object] | dict[object, object], int]:
    """Validate the JSON array (or object) at ``data[pos]`` a slice of about ``_SLICE`` bytes
    of items at a time, the event loop serving other requests between slices. Gives the
    items (a dict for an object: a key given twice keeps its first place and its last value,
    as in one piece) and the position after the closing bracket, or -1 after an error (added
    to ``errors``, located below ``loc``; list indexes count from the start).

    An item too long to read with its neighbours is read on its own (``depth`` counting how
    deep), as the reading's ``each`` says: a model's object or a plain list; any JSON's
    lists and objects a slice at a time in their turn. A long string item of plain ``str``
    items (any JSON's too) is read in pieces (``_long_string``). Without ``keep``, the JSON
    is only checked: each slice's items are let go as it is read (none given), not freed in
    one piece after (400,000 objects, 30 ms). From ``first`` on, it reads the items from
    there (an item's start) to the end; where a wrong item stops it, the item its slice
    starts at goes to ``stopped``.

    Raises:
        UnicodeDecodeError: the items are not UTF-8.
        _ItemTooLarge: an item runs past the widest window (and cannot be sliced itself).
    """
    opening = data[pos : pos + 1]
    closing = b"]" if opening == b"[" else b"}"
    found: list[object] | dict[object, object] = [] if opening == b"[" else {}
    pos = skip_space(data, pos + 1) if first is None else first
    if data.startswith(closing, pos):
        return found, pos + 1
    start, plain = pos, True
    validator, each = reading.validator, reading.each
    any_json = reading is ANY_ITEMS or reading is ANY_MEMBERS
    while True:
        if plain and reading.strings:
            item = await _long_string(data, start, closing, isinstance(found, dict))
            if item is not None:
                key, value, after = item
                if keep:
                    _put(found, key, value)
                if data.startswith(closing, after):
                    return found, after + 1
                await asyncio.sleep(0)
                start = skip_space(data, after + 1)
                continue
        # Where this slice ends. PERF: a slice of plain values (numbers, strings, booleans) is
        # cut at a comma and validated as it is, without finding where each item ends: 1.25
        # million numbers took 1.1 s item by item, 0.1 s so.
        run = await _plain_run(data, start, closing, reading.strings) if plain else None
        if run is None and plain:
            run = _nested_cut(data, start, isinstance(found, dict))
        cut = run is not None
        if run is None:
            try:
                run = _items_end(data, start, closing, isinstance(found, dict), errors)
            except _ItemTooLarge:
                if await _item_of_other_kind(reading, data, start, found, loc, errors, depth):
                    return _stopped(found, start, stopped)
                if each is None and not any_json:
                    raise  # a typed item is validated as a whole: the body is
                step = await _long_item(data, start, closing, found, loc, errors, depth, each, keep)
                if step is None:
                    return _stopped(found, start, stopped)
                after, last = step
                if last:
                    return found, after + 1
                await asyncio.sleep(0)
                start, plain = skip_space(data, after + 1), True
                continue
            if run is None:
                return found, -1  # errors holds why
        end, last = run
        # PERF: one copy of the slice, not three (a 10 MB string item: 8 ms -> 3 ms).
        piece = b"".join((opening, memoryview(data)[start:end], closing))
        outcome = _validated_slice(validator, piece)
        if isinstance(outcome, ValidationError):
            if cut and _is_json_invalid(outcome):
                plain = False  # broken JSON in a cut slice: item by item, which says where
                continue
            _report_slice(outcome, loc, found, data, start, errors)
            return _stopped(found, start, stopped)
        if keep:
            _add(found, outcome)
        if last:
            return found, end + 1
        await asyncio.sleep(0)  # the other requests' turn
        start, plain = skip_space(data, end + 1), True


async def _item_of_other_kind(
    reading: ItemsReading,
    data: bytes,
    pos: int,
    found: list[object] | dict[object, object],
    loc: Loc,
    errors: Errors,
    depth: int,
) -> bool:
    """Refuse the item at ``data[pos]`` (a member, after its key), too long for a window,
    when it is a JSON array or object that the items' schema refuses whatever it holds:
    checked for being JSON a slice at a time, then the error for an empty one in its place,
    echoing the start of what was sent. False when it is not such an item, or not JSON.
    PERF: validated whole, pydantic built the 10 MB input its error echoes: 424 ms of one
    call (benchmarks/large_bodies.py, "other kind")."""
    if not reading.refuses:
        return False
    key: str | None = None
    if isinstance(found, dict):
        member = await _member_key(data, pos)
        if member is None:
            return False
        key, pos = member
    kind = data[pos : pos + 1]
    if kind not in reading.refuses or await past_value(data, pos, loc, depth) < 0:
        return False
    empty = b"[]" if kind == b"[" else b"{}"
    piece = (
        b"[" + empty + b"]"
        if key is None
        else b"{" + json.dumps(key).encode() + b":" + empty + b"}"
    )
    outcome = _validated_slice(reading.validator, piece)
    if not isinstance(outcome, ValidationError):
        return False  # taken when empty after all: the whole reading says what of the rest
    first = len(errors)
    _report_slice(outcome, loc, found, data, pos, errors)
    for entry in errors[first:]:
        if len(cast("list[object]", entry["loc"])) > len(loc):
            entry["input"] = sent_from(data, pos)  # the item as sent, not the empty one
    return True


async def _long_item(
    data: bytes,
    pos: int,
    closing: bytes,
    found: list[object] | dict[object, object],
    loc: Loc,
    errors: Errors,
    depth: int,
    each: Reading | None = None,
    keep: bool = True,
) -> tuple[int, bool] | None:
    """Read the item at ``data[pos]`` too long for a window (a member's value, after its
    key), a slice at a time, into ``found``: of any JSON, a list or an object; with ``each``,
    a model's object a slice of members at a time, or a plain list a slice of items at a
    time (without ``keep``, only checked). Gives ``(where
    the comma or closing bracket after it is, whether it is the closing one)``, or ``None``
    after adding what is wrong to ``errors``.

    Raises:
        _ItemTooLarge: the item is something else (a long string, a long key, another
            type than ``each`` reads), nested too deep, or a model's object that is not
            read apart: the body is read whole.
    """
    if depth >= _MAX_NESTED_SLICING:
        raise _ItemTooLarge
    key: str | None = None
    if isinstance(found, dict):
        member = await _member_key(data, pos)
        if member is None:
            raise _ItemTooLarge
        key, pos = member
    opening = data[pos : pos + 1]
    if opening != b"[" and opening != b"{":
        raise _ItemTooLarge
    value: object
    place = len(found) if key is None else key
    if isinstance(each, ModelReading):
        if opening != b"{":
            raise _ItemTooLarge
        value, end = await _members_in_slices(each, data, pos, (*loc, place), errors, depth + 1)
        if value is NOT_A_LIST:
            raise _ItemTooLarge
    elif isinstance(each, TaggedReading):
        if opening != b"{" or each.validator is None:
            raise _ItemTooLarge
        start, inner = pos, depth + 1

        async def read(
            model: ModelReading, where: Loc, seen: dict[str, object]
        ) -> tuple[object, int]:
            return await _members_in_slices(model, data, start, where, errors, inner, seen=seen)

        # (what a tag given twice had read as the other model is let go at once: rare)
        value, end, _ = await _tagged_at(
            each, each.validator, data, pos, (*loc, place), errors, [], read, inner
        )
        if value is NOT_A_LIST:
            raise _ItemTooLarge
        if value is None:
            return None  # errors holds why
    elif each is not None:
        if opening != each.opening:
            raise _ItemTooLarge
        value, end = await _in_slices(each, data, pos, (*loc, place), errors, depth + 1, keep)
    else:
        reading = ANY_ITEMS if opening == b"[" else ANY_MEMBERS
        value, end = await _in_slices(reading, data, pos, loc, errors, depth + 1, keep)
    if end < 0:
        return None
    after = skip_space(data, end)
    if not data.startswith(b",", after) and not data.startswith(closing, after):
        errors.append(json_invalid_at(chars_before(data, after), "Expecting ',' delimiter"))
        return None
    if keep:
        _put(found, key, value)
    return after, data.startswith(closing, after)


def _stopped(
    found: list[object] | dict[object, object], start: int, stopped: list[int] | None
) -> tuple[list[object] | dict[object, object], int]:
    """``_in_slices``' answer where the item at ``start`` (or its slice) was wrong: errors
    holds why."""
    if stopped is not None:
        stopped.append(start)
    return found, -1


def _put(found: list[object] | dict[object, object], key: object, value: object) -> None:
    """Add an item read on its own: under its key to an object's items, or to a list's."""
    if isinstance(found, dict):
        found[key] = value
    else:
        found.append(value)


def _items_end(
    data: bytes, pos: int, closing: bytes, members: bool, errors: Errors
) -> tuple[int, bool] | None:
    """Read items (``members`` of an object: key, colon and value) from ``data[pos]`` until
    about ``_SLICE`` bytes or the closing bracket: ``(where they end, whether at the closing
    bracket)``, or ``None`` after adding why the JSON is broken to ``errors``.

    Python's decoder reads them from a window of the body decoded on its own, twice a slice
    long, and twice as wide again while an item runs past it; broken JSON counts only once
    the window holds the rest of the body (until then, it may be the window's end).

    Raises:
        UnicodeDecodeError: the items are not UTF-8.
        _ItemTooLarge: an item runs past the widest window.
    """
    window = 2 * _SLICE
    while True:
        stop = min(len(data), pos + window)
        text = decoded_window(data, pos, stop)
        whole = stop == len(data)
        found = _items_in(text, closing.decode(), members, whole)
        if found is None:  # an item runs past the window: a wider one
            if window >= max(2 * _SLICE, _WIDEST_WINDOW):
                raise _ItemTooLarge
            window *= 2
            continue
        at, rest = found
        byte = pos + (at if text.isascii() else len(text[:at].encode()))
        if isinstance(rest, str):  # broken JSON, at character `at` of the window
            char, rest = _as_python_says(data, byte, chars_before(data, pos) + at, rest, closing)
            errors.append(json_invalid_at(char, rest))
            return None
        return byte, rest


@functools.cache
def _trailing_commas() -> dict[bytes, str] | None:
    """How this Python's parser names a trailing comma, by closing bracket, where it places
    the error at the comma itself (3.13: "Illegal trailing comma before end of array");
    ``None`` where it places it at the bracket (3.11, 3.12: "Expecting value"), as reading
    a window after the comma finds it."""
    said: dict[bytes, str] = {}
    for closing, sample in ((b"]", "[1 ,]"), (b"}", '{"a": 1 ,}')):
        try:
            json.loads(sample)
        except json.JSONDecodeError as exc:
            if exc.pos != sample.index(","):
                return None
            said[closing] = exc.msg
    return said


_COMMA_BEFORE = re.compile(rb",[ \t\n\r]*\Z")


def _as_python_says(
    data: bytes, byte: int, char: int, message: str, closing: bytes
) -> tuple[int, str]:
    """The place (in characters) and message Python's parser gives for broken JSON that a
    window's reading found at ``data[byte]`` (character ``char``), in a list or object
    that ``closing`` ends: a trailing comma where this Python names it."""
    said = _trailing_commas()
    if said is None or not data.startswith(closing, byte):
        return char, message
    comma = _COMMA_BEFORE.search(data, 0, byte)  # (ASCII from there: bytes are characters)
    return (char, message) if comma is None else (char - (byte - comma.start()), said[closing])


def _items_in(text: str, closing: str, members: bool, whole: bool) -> tuple[int, bool | str] | None:
    """``_items_end``'s reading of one window ``text`` (``whole``: the rest of the body):
    ``(where the items end, whether at the closing bracket)``, ``(where, why)`` for broken
    JSON, or ``None`` when it cannot tell before the window's end. The items read and where
    they stop are those of reading the whole body: only an item that runs past the window, or
    broken JSON, is read again from a wider one, and the items before it end this slice
    (its next starts with it)."""
    pos = 0
    comma: int | None = None  # after the last item read whole
    while True:
        try:
            if members:  # a member's key and colon first
                if not text.startswith('"', pos):
                    raise json.JSONDecodeError(
                        "Expecting property name enclosed in double quotes", text, pos
                    )
                pos = _skip_space_in(text, _DECODER.raw_decode(text, pos)[1])
                if not text.startswith(":", pos):
                    raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
                pos = _skip_space_in(text, pos + 1)
            end = _DECODER.raw_decode(text, pos)[1]
        except (ValueError, RecursionError) as exc:
            if not whole and not (isinstance(exc, json.JSONDecodeError) and _broken(text, exc)):
                return None if comma is None else (comma, False)  # perhaps the window's end
            if isinstance(exc, json.JSONDecodeError):
                return exc.pos, exc.msg
            if isinstance(exc, RecursionError):  # an item nested deeper than Python's stack
                return pos, "recursion limit exceeded"
            # ValueError: an integer of more digits than int() converts (sys.int_info)
            return pos, "number out of range"  # pydantic's words
        pos = _skip_space_in(text, end)
        last = text.startswith(closing, pos)
        if not last and not text.startswith(",", pos):
            if not whole and len(text) - pos <= _CUT_REACH:
                # a number the window cut ("1.5" as "1."), or the window's end
                return None if comma is None else (comma, False)
            return pos, "Expecting ',' delimiter"
        if last or pos >= _SLICE:
            return pos, last
        comma = pos
        pos = _skip_space_in(text, pos + 1)


def _broken(text: str, exc: json.JSONDecodeError) -> bool:
    """Whether the error Python's decoder found in a window (``text``) that the body goes on
    past is the JSON's own, not the window's cut: one the cut makes lies in the last few
    characters (a literal, a number or an escape cut short, an item or a delimiter missing
    at the end), but for a string the cut leaves open, which Python places at its start."""
    return len(text) - exc.pos > _CUT_REACH and not exc.msg.startswith("Unterminated string")


# How far before a window's end an error its cut makes can lie ("tru" for "true", "1." for
# "1.5", "\u00" for "\u00e9"): past this, it is the JSON's (10 MB with a comma missing in
# the middle had the body validated in one piece, 0.1 s on the event loop).
_CUT_REACH = 32


def _plain_between(data: bytes, start: int, stop: int) -> bool:
    """Whether ``data[start:stop]`` is plain values whose end lies outside strings: no
    bracket and no backslash (then every double quote opens or closes a string, and nothing
    nests), and an even count of double quotes.

    PERF: ``bytes.find`` (memchr) scans, not a regex of the five: a 32 KiB slice 2 µs against
    92 µs, a 10 MB string 1.5 ms against 41 ms."""
    return (
        data.find(b"[", start, stop) < 0
        and data.find(b"]", start, stop) < 0
        and data.find(b"{", start, stop) < 0
        and data.find(b"}", start, stop) < 0
        and data.find(b"\\", start, stop) < 0
        and not data.count(b'"', start, stop) % 2
    )


# With brackets or escapes, plain values are read by this: strings whole (escapes and brackets
# in them, by the grammar's pattern for a string's rest), no bracket outside one.
_PLAIN_VALUES = re.compile(rb'(?:[^"\[\]{}\\]++|"(?:' + _STRING_REST.pattern + rb"))*+")


async def _plain_run(
    data: bytes, pos: int, closing: bytes, strings: bool = False
) -> tuple[int, bool] | None:
    """Where a run of plain items from ``pos`` ends: ``(position of a comma about _SLICE
    bytes on, False)`` or ``(position of the closing bracket, True)``; ``None`` when the
    items there nest, or the body is not JSON there."""
    start = pos
    cut = data.find(b",", pos + _SLICE)
    if cut >= 0:
        # The usual case: an even count of quotes puts the cut outside strings (an odd one
        # inside a string, which the reading below moves past).
        if _plain_between(data, pos, cut):
            return cut, False
    else:
        # No comma that far on: the run may end the list, as one long string at its end
        # does (read by the pattern below, a 10 MB string held the event loop 30 ms).
        close = data.find(closing, pos)
        if close > pos and _plain_between(data, pos, close):
            return close, True
    for _ in range(4):  # a cut that falls in a string moves past it, a few times at most
        limit = len(data) if cut < 0 else cut
        # PERF: the pattern reads at most two slices: a string that runs past that is not
        # matched, but skipped below by _after_string, 30 times faster on a long one.
        bound = min(limit, pos + 2 * _SLICE)
        end = _PLAIN_VALUES.match(data, pos, bound).end()  # type: ignore[union-attr]  # * matches
        if end == bound < limit:
            return None  # one long number or run of spaces: item by item
        if end == limit and cut >= 0:
            return cut, False  # the comma is outside strings, nothing nests before it
        if data.startswith(closing, end):
            return (end, True) if end > start else None  # (a trailing comma: refused below)
        after = await _after_string(data, end + 1) if data.startswith(b'"', end) else -1
        if strings and after - end > 2 * _SLICE:
            return None  # a long string, read in pieces when a slice starts with it
        if after < 0:
            return None  # a bracket that opens an item, or broken JSON: item by item
        pos = after  # the string that held the cut; the next comma after it
        cut = data.find(b",", pos)
    return None


# Where one item (or member) of nested values ends and the next begins: a closing bracket, a
# comma, an opening bracket (a member's key, in an object). Inside items too, now and then.
_BETWEEN_ITEMS = re.compile(rb"[}\]][ \t\n\r]*,[ \t\n\r]*[{\[]")
_BETWEEN_MEMBERS = re.compile(rb'[}\]][ \t\n\r]*,[ \t\n\r]*"')


def _nested_cut(data: bytes, pos: int, members: bool) -> tuple[int, bool] | None:
    """A comma about ``_SLICE`` bytes on that probably ends a run of nested items from
    ``pos``: ``(its position, False)``, or ``None`` when none is near.

    PERF: finding where each item ends with Python's decoder costs about 1 µs an item, more
    than validating it (a slice of 32 KiB of small models took 2.5 ms). Validating the run as
    cut here is safe wherever the cut falls: from an item's start, a cut inside an item (in a
    string, or in a bracket) leaves the JSON of ``[`` + run + ``]`` broken, which the caller
    sees as json_invalid (pydantic parses the whole JSON before it validates anything) and
    reads that slice item by item instead.
    """
    between = _BETWEEN_MEMBERS if members else _BETWEEN_ITEMS
    found = between.search(data, pos + _SLICE, pos + 2 * _SLICE)
    if found is None:
        return None
    return data.index(b",", found.start()), False


def _validated_slice(validator: SchemaValidator, piece: bytes) -> object:
    """The validated items of ``piece``, or the ValidationError it raised, without its
    traceback: kept by the caller, the error would hold a cycle through the frames above it
    (the body and its text among their locals) until a collection came, hundreds of MiB and
    a pause of tens of ms under a stream of wrong 10 MB lists (make load-hostile)."""
    try:
        return validator.validate_json(piece)
    except ValidationError as exc:
        return exc.with_traceback(None)


def _is_json_invalid(exc: ValidationError) -> bool:
    # JSON that does not parse is the one error: a slice of many wrong values (thousands of
    # keys a model refuses) is not turned into a dict each just to ask.
    return exc.error_count() == 1 and exc.errors(include_url=False)[0]["type"] == "json_invalid"


def _add(found: list[object] | dict[object, object], items: object) -> None:
    if isinstance(found, list):
        found.extend(cast("list[object]", items))
    else:
        found.update(cast("dict[object, object]", items))


def _report_slice(
    exc: ValidationError,
    loc: Loc,
    found: list[object] | dict[object, object],
    data: bytes,
    start: int,
    errors: Errors,
) -> None:
    """Add the errors of a slice that began at ``data[start]``, after the items ``found``
    before it, to ``errors``, located below ``loc`` (list indexes from the list's start)."""
    first_index = len(found) if isinstance(found, list) else 0
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":  # a lone surrogate and the like, which Python takes
            # pydantic's reason, at its place in the slice (the slice's start if it says none)
            refused = error["msg"].removeprefix("Invalid JSON: ")
            at, reason = pydantic_place(data, refused, start, wrapped=True) or (start, refused)
            errors.append(json_invalid_at(chars_before(data, at), reason))
            break
        index, *rest = error["loc"] or (0,)
        if isinstance(index, int):
            index += first_index
        errors.append(body_entry((*loc, index, *rest), error))
        if len(errors) >= MAX_ERRORS:
            break


async def validate_members_in_slices(
    reading: ModelReading,
    data: bytes,
    errors: Errors,
    leftovers: list[object],
    loc: Loc = ("body",),
    seen: dict[str, object] | None = None,
) -> object:
    """Validate a large JSON object for a model body a member at a time, as ``reading`` says
    (``_members_in_slices``; errors located under ``loc``, the values of the keys in
    ``seen`` put there). Gives the model, or ``NOT_A_LIST`` when the body is not an object
    this reads (the caller validates it whole, which reports why). Without a model, what was
    read apart goes to ``leftovers``, for the app to let go a slice at a time."""
    found: dict[str, object] = {}
    extras: dict[str, object] = {}
    model: object = NOT_A_LIST
    try:
        model, end = await _members_in_slices(
            reading,
            data,
            skip_space(data, 0),
            loc,
            errors,
            rest=True,
            found=found,
            extras=extras,
            seen=seen,
        )
        if (
            model is not None
            and model is not NOT_A_LIST
            and (after := skip_space(data, end)) < len(data)
        ):
            # Something after the object: not JSON, where Python's parser says (validated
            # whole to say it, 10 MB held the event loop 56 ms).
            errors.append(json_invalid_at(chars_before(data, after), "Extra data"))
            model = None  # what it holds, read apart, is let go of below
    except (UnicodeDecodeError, _ItemTooLarge):
        pass
    if model is None or model is NOT_A_LIST:
        leftovers += [kept for kept in (found, extras) if kept]
    return model


async def validate_union_in_slices(
    union: UnionReading, data: bytes, errors: Errors, leftovers: list[object]
) -> object:
    """Validate a large JSON object for a body that is a union of models without a tag as
    each model in turn (``_union_at``, each reading a whole body's:
    ``validate_members_in_slices``). Gives the model chosen, or ``None`` after adding to
    ``errors`` each model's errors under its label; ``NOT_A_LIST`` when the body is to be
    validated whole: not an object, not JSON, or a tie pydantic decides by how exactly each
    model matched. PERF: validated whole, pydantic gave each model the 10 MB input to echo
    in its errors: 1.2 s of one call for a body two models refused
    (benchmarks/large_bodies.py, "without a tag")."""

    async def read(reading: ModelReading, loc: Loc, own: Errors) -> tuple[object, int]:
        model = await validate_members_in_slices(reading, data, own, leftovers, loc)
        return model, len(data)

    value, _ = await _union_at(union, ("body",), errors, leftovers, read)
    return value


async def _union_at(
    union: UnionReading,
    loc: Loc,
    errors: Errors,
    leftovers: list[object],
    read: Callable[[ModelReading, Loc, Errors], Awaitable[tuple[object, int]]],
) -> tuple[object, int]:
    """Read a JSON object for a union of models without a tag as each model in turn
    (``read``, given the reading, where its errors are located and where they go), then
    choose as pydantic does (``UnionReading``). Gives ``(the model chosen, where the object
    ends)``; ``(None, end)`` after adding to ``errors`` each model's errors under its label
    (``end`` -1 where the object is not JSON); ``(NOT_A_LIST, -1)`` when it is to be
    validated whole: not an object, not JSON that a reading could tell apart, or a tie
    pydantic decides by how exactly each model matched."""
    taken: list[tuple[object, ModelReading]] = []
    refusals: list[Errors] = []
    end = past = -1  # where the object ends, from the last model that took it
    for label, reading in union.choices:
        own: Errors = []
        model, end = await read(reading, (*loc, label), own)
        if model is NOT_A_LIST:
            break  # the whole validation says why
        if model is None:
            if (invalid := not_json_entry(own)) is not None:
                # Not JSON: pydantic says so once, before any model sees it.
                errors.append(invalid)
                return _let_go(taken, None, leftovers), -1
            refusals.append(own)
            continue
        taken.append((model, reading))
        past = end
        if not union.smart:  # left to right: the first that takes it
            return _let_go(taken, model, leftovers), past
    else:
        if not taken:
            for own in refusals:
                errors += own[: MAX_ERRORS - len(errors)]
            return None, end
        # Smart mode: the model with the most fields set, if one has more than the others
        # (pydantic counts the fields the object gave, not extras).
        counts = [len(_fields_given(model)) for model, _ in taken]
        most = max(counts)
        if counts.count(most) == 1:
            return _let_go(taken, taken[counts.index(most)][0], leftovers), past
    return _let_go(taken, NOT_A_LIST, leftovers), -1


def _fields_given(model: object) -> set[str]:
    """The fields of ``model`` (read as a model is) that the object gave, extras left out."""
    given = cast("BaseModel", model).model_fields_set
    return given & type(cast("BaseModel", model)).model_fields.keys()


def _let_go(
    taken: list[tuple[object, ModelReading]], chosen: object, leftovers: list[object]
) -> object:
    """``chosen``, the models in ``taken`` but it going to ``leftovers`` (what each read
    apart, taken out of it: nothing else holds it)."""
    for model, reading in taken:
        if model is not chosen and (attributes := attributes_of(model)) is not None:
            leftovers += [attributes.pop(field.name, None) for field in reading.wanted.values()]
    return chosen


@dataclasses.dataclass(frozen=True, slots=True)
class LongValue:
    """A value too long for a slice, where it starts."""

    start: int


_NO_TAG = object()


async def validate_tagged_in_slices(
    tagged: TaggedReading,
    validator: SchemaValidator,
    data: bytes,
    errors: Errors,
    leftovers: list[object],
) -> tuple[object, ModelReading | None]:
    """Validate a large JSON object for a body that is a union of models told apart by a tag,
    as the model its tag names is read (``_tagged_at``, each reading a whole body's:
    ``validate_members_in_slices``). Gives the model (or ``None`` after adding what is wrong
    to ``errors``) and that model's reading; ``NOT_A_LIST`` when the body is to be
    validated whole: not an object, not JSON, or its tag names a model read whole."""

    async def read(reading: ModelReading, loc: Loc, seen: dict[str, object]) -> tuple[object, int]:
        model = await validate_members_in_slices(reading, data, errors, leftovers, loc, seen)
        return model, len(data)

    start = skip_space(data, 0)
    value, _, reading = await _tagged_at(
        tagged, validator, data, start, ("body",), errors, leftovers, read, whole=True
    )
    return value, reading


async def _tagged_at(
    tagged: TaggedReading,
    validator: SchemaValidator,
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
    leftovers: list[object],
    read: Callable[[ModelReading, Loc, dict[str, object]], Awaitable[tuple[object, int]]],
    depth: int = 0,
    *,
    whole: bool = False,
) -> tuple[object, int, ModelReading | None]:
    """Read the JSON object at ``data[pos]`` for a union of models told apart by a tag, as
    the model its tag names is read (``read``, given the reading, where errors go and the
    keys to note the last values of). Gives ``(the model, where the object ends, that
    model's reading)``; ``(None, end, None)`` after adding a missing or unknown tag to
    ``errors``, located at ``loc`` (``validator`` is the union's); ``(NOT_A_LIST, -1,
    None)`` when it is to be validated whole: not an object, not JSON, or its tag names a
    model read whole. With ``whole``, the object is all of ``data`` (but spaces).

    The tag is found among the members (read past a slice at a time where it comes late),
    and the last value given under the keys pydantic looks at, in its order, is the one it
    reads: when the object read says it is another, it is read again as that one's.
    A missing or unknown tag is pydantic's error for an object holding that tag alone,
    once the whole is known to be JSON (validated whole, pydantic built the 10 MB input
    its error echoes)."""
    found = await _find_tag(data, pos, tagged.keys)
    if found is None:
        return NOT_A_LIST, -1, None  # not an object, or not JSON: whole validation says why
    key, tag_start, tag_end = found
    tag: object = _NO_TAG
    if key is not None:
        tag = (
            from_json(data[tag_start:tag_end])
            if tag_end - tag_start <= MAX_INPUT
            else LongValue(tag_start)
        )
    first = len(errors)
    for _ in range(2):
        if not isinstance(tag, str) or (reading := tagged.readings.get(tag)) is None:
            break
        seen: dict[str, object] = dict.fromkeys(tagged.keys, _NO_TAG)
        model, end = await read(reading, (*loc, tag), seen)
        key = next((k for k in tagged.keys if seen[k] is not _NO_TAG), None)
        given = _NO_TAG if key is None else seen[key]
        if model is NOT_A_LIST or (given == tag and type(given) is str):
            return model, end, reading
        del errors[first:]  # the tag given again names another model: pydantic reads that
        if (attributes := attributes_of(model)) is not None:
            leftovers.append(attributes)  # what was read as the other: let go a slice at a time
        del model
        tag = given
    if not tagged.exact or (isinstance(tag, str) and tag in tagged.tags):
        return NOT_A_LIST, -1, None  # a model read whole, or a tag only pydantic can place
    # A missing or unknown tag: pydantic says so for an object of that tag alone, once the
    # whole is known to be JSON (which whole validation would report first).
    end = await past_value(data, pos, loc, depth)
    if end < 0 or (whole and skip_space(data, end) < len(data)):
        return NOT_A_LIST, -1, None
    if tag is _NO_TAG or key is None:
        alone = b"{}"
    else:
        if isinstance(tag, LongValue):  # its start as text, as a 422 echoes a long input
            tag = data[tag.start : tag.start + MAX_INPUT].decode("utf-8", "ignore") + _CUT
        alone = b"{" + json.dumps(key).encode() + b":" + json.dumps(tag).encode() + b"}"
    try:
        validator.validate_json(alone)
    except ValidationError as exc:
        first = len(errors)
        report_body(exc.with_traceback(None), data, errors, loc, of_data=False)
        for entry in errors[first:]:
            if entry["loc"] == list(loc):
                entry["input"] = sent_from(data, pos)
        return None, end, None
    return NOT_A_LIST, -1, None


async def _find_tag(
    data: bytes, pos: int, keys: tuple[str, ...]
) -> tuple[str | None, int, int] | None:
    """The first member of the JSON object at ``data[pos]`` under one of ``keys``: ``(its
    key, where its value starts, where it ends)``; ``(None, -1, -1)`` when there is none;
    ``None`` when ``data[pos]`` is not an object, or not JSON. Members are read a slice at a
    time, a long one past (``past_value``), as the reading of the object would."""
    if not data.startswith(b"{", pos):
        return None
    pos = skip_space(data, pos + 1)
    plain = True
    wanted = frozenset(keys)
    while data.startswith(b'"', pos):
        end, last = -1, False  # where this step ends, and whether the object does there
        try:
            run = await _members_run(data, pos, plain, [])
        except _ItemTooLarge:
            run = None
        else:
            if run is None:
                return None
            end, last, cut = run
            outcome = _validated_slice(
                _ANY_OBJECT, b"".join((b"{", memoryview(data)[pos:end], b"}"))
            )
            if isinstance(outcome, ValidationError):
                if cut and _is_json_invalid(outcome):
                    plain = False
                    continue
                return None
            if not wanted.isdisjoint(cast("dict[str, object]", outcome)):
                # In this slice: its first such member, read on its own.
                return await _tag_in(data, pos, end, wanted)
        if run is None:
            member = await _member_span(data, pos)
            if member is None:
                return None
            key, _, end = member
            if key in wanted:
                return member
            end = skip_space(data, end)
            last = data.startswith(b"}", end)
            if not last and not data.startswith(b",", end):
                return None
        plain = True
        if last:
            return None, -1, -1
        await asyncio.sleep(0)  # the other requests' turn
        pos = skip_space(data, end + 1)
    return None  # not an object of string keys, or an empty one (read whole: it is short)


async def _tag_in(
    data: bytes, pos: int, stop: int, wanted: frozenset[str]
) -> tuple[str | None, int, int] | None:
    """The first member under a key in ``wanted`` among the short members of
    ``data[pos:stop]`` (JSON already), as ``_find_tag`` gives it."""
    while pos < stop:
        member = await _member_span(data, pos)
        if member is None:
            return None
        if member[0] in wanted:
            return member
        pos = skip_space(data, skip_space(data, member[2]) + 1)
    return None


async def _member_span(data: bytes, pos: int) -> tuple[str, int, int] | None:
    """The key of the object member at ``data[pos]``, where its value starts and where it
    ends; ``None`` where it is not JSON."""
    member = await _member_key(data, pos)
    if member is None:
        return None
    key, start = member
    end = await _value_end(data, start)
    return None if end < 0 else (key, start, end)


async def _value_end(data: bytes, pos: int) -> int:
    """Where the JSON value at ``data[pos]`` ends (read past a slice at a time when it is a
    list or an object), or -1 when it is not JSON."""
    if data.startswith(b'"', pos):
        return await _after_string(data, pos + 1)
    if data.startswith((b"[", b"{"), pos):
        return await past_value(data, pos, ("body",), 0)
    scalar = _SCALAR.match(data, pos)
    return -1 if scalar is None else scalar.end()


_SCALAR = re.compile(rb"-?[0-9][0-9.eE+-]*|true|false|null")
_CUT = "...(truncated)"


async def _members_in_slices(
    reading: ModelReading,
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
    depth: int = 0,
    *,
    rest: bool = False,
    found: dict[str, object] | None = None,
    extras: dict[str, object] | None = None,
    seen: dict[str, object] | None = None,
) -> tuple[object, int]:
    """``_read_members``; where it gives the object back to be read whole, without the
    errors it found on the way (the whole reading finds them again)."""
    first = len(errors)
    try:
        outcome = await _read_members(
            reading,
            data,
            pos,
            loc,
            errors,
            depth,
            rest=rest,
            found=found,
            extras=extras,
            seen=seen,
        )
    except (UnicodeDecodeError, _ItemTooLarge):
        del errors[first:]
        raise
    if outcome[0] is NOT_A_LIST:
        del errors[first:]
    return outcome


async def _read_members(
    reading: ModelReading,
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
    depth: int = 0,
    *,
    rest: bool = False,
    found: dict[str, object] | None = None,
    extras: dict[str, object] | None = None,
    seen: dict[str, object] | None = None,
) -> tuple[object, int]:
    """Read the JSON object at ``data[pos]`` for ``reading``'s model a slice at a time, then
    validate what the model reads in one call, with the values read apart emptied and put
    in after.

    Short members are read a slice of them at a time, as any JSON's are: a slice holding no
    key the model reads (when it ignores the others) is left out, else kept for the one
    call. A member too long for a slice is read on its own: a sliced field's list or dict a
    slice of items at a time (``[]`` or ``{}`` standing in for it); a list or object under
    a key the model ignores checked for being JSON the same way and left out; a long string
    of a plain ``str`` field (``""`` standing in) or an ignored one read in pieces. Another
    long value (validated in one piece anyway) has the rest of the object kept for the one
    call, when the object is the whole body (``rest``).
    PERF: 500,000 members of ``[1]`` the model ignores held the event loop 3 s read one by
    one, 75 ms read whole; a slice of them at a time, 0.1-0.2 s with turns of at most 12 ms.

    Gives ``(the model, the position after the object)`` (the body's end, when the rest is
    kept); ``(None, -1)`` after adding what is wrong to ``errors`` (located below ``loc``);
    ``(NOT_A_LIST, -1)`` when the object is not one this reads (a key given twice for a
    value read apart, or nothing read apart): the caller reads it whole, which reports why.
    The values read apart go into ``found`` (the caller's, to let go of when there is no
    model), and the keys a model keeping them does not read (``extra="allow"``), with their
    values as any JSON's, into ``extras``, in the order pydantic keeps them: each is the
    model's after, and none is given to the one call. The last value given for each key in
    ``seen`` is put there (a long one as where it starts, a ``LongValue``).
    """
    if found is None:
        found = {}
    if extras is None:
        extras = {}
    # The model's fields set, to come: the extras' keys, gathered a slice at a time (700,000
    # added to the model's set at once held the event loop 49 ms).
    extra_keys: set[str] = set()
    # Fields read apart and found wrong: the rest is read, and validated, all the same, so
    # that the 422 lists every failing field, in the model's order, as pydantic's would.
    failed: set[str] = set()
    first_error = len(errors)
    opened = pos  # where the object starts, for what a 422 echoes of it
    texts: dict[str, str] = {}  # long values of plain str fields, read in pieces
    kept: set[str] = set()  # keys of fields read apart seen in slices kept for the one call
    spans: list[bytes] = []  # the members kept for the one call, as text
    apart = False  # whether anything was read apart
    # A model that refuses unknown keys: how many more of them the one call is given (each is
    # an error, reported in order after the fields'; a 422 lists the first hundred), and
    # where the values of long ones given as null start, for what their errors echo.
    room = MAX_ERRORS if reading.forbid else 0
    stood_in: dict[str, int] = {}
    other_kinds: dict[str, int] = {}  # where long values of a kind their field refuses start
    given_at: dict[str, int] = {}  # where values of fields given to the one call start
    if not data.startswith(b"{", pos):
        return NOT_A_LIST, -1
    pos = skip_space(data, pos + 1)
    plain = True
    whole_from: int | None = None  # where the rest is kept from
    while data.startswith(b'"', pos):
        end, last = -1, False  # where this step ends, and whether the object does there
        try:
            run = await _members_run(data, pos, plain, errors)
        except _ItemTooLarge:
            run = None  # the member at pos is long: read on its own, below
        else:
            if run is None:
                return None, -1  # broken JSON: errors holds why
            end, last, cut = run
            outcome = _validated_slice(
                _ANY_OBJECT, b"".join((b"{", memoryview(data)[pos:end], b"}"))
            )
            if isinstance(outcome, ValidationError):
                if cut and _is_json_invalid(outcome):
                    plain = False  # cut inside a member: member by member, which says where
                    continue
                _report_slice(outcome, loc, {}, data, pos, errors)
                return None, -1
            members = cast("dict[str, object]", outcome)
            keys = members.keys()
            if seen is not None:
                for key in keys & seen.keys():
                    seen[key] = members[key]
            reads = reading.reads
            # (counted only for a model refusing or keeping them: a set difference a slice,
            # thousands of keys)
            counted = reading.forbid or reading.keeps
            unknown = len(keys - reads) if counted and reads is not None else 0
            if unknown and reading.keeps:
                assert reads is not None  # a model keeping them has the keys it reads
                for key, value in members.items():
                    if key not in reads:
                        extras[key] = value  # the first place and the last value, as pydantic
                        extra_keys.add(key)
                apart = True
            if reads is None or not keys.isdisjoint(reads) or (unknown and room):
                read_apart = keys & (
                    reading.wanted.keys()
                    | reading.texts.keys()
                    | reading.nested.keys()
                    | reading.parsed.keys()
                    | reading.anything.keys()
                )
                if not read_apart.isdisjoint(found.keys() | texts.keys()):
                    return NOT_A_LIST, -1  # a key given twice: pydantic's own rules decide
                kept |= read_apart
                # Many members the model ignores beside one it reads (a key given every
                # slice, say, to have them all kept), or more than a refusing model has
                # room for: those it reads (and the room's worth of the others), picked out.
                chosen = None
                if reads is not None and (
                    unknown > room
                    if reading.forbid
                    else unknown > 0
                    if reading.keeps
                    else len(keys) > _FEW_MEMBERS and not keys <= reads
                ):
                    chosen = _members_read(data, pos, end, reads, room)
                    if chosen is None and reading.keeps:
                        return NOT_A_LIST, -1  # kept whole, its extras would be the one call's
                if chosen is None:
                    spans.append(data[pos:end])
                    room = max(0, room - unknown)
                else:
                    spans += chosen[0]
                    room -= chosen[1]
                    apart = True
            else:
                apart = True  # nothing the model reads: left out
        if run is None:
            member = await _member_key(data, pos)
            if member is None:
                return NOT_A_LIST, -1
            key, start = member
            if seen is not None and key in seen:
                seen[key] = LongValue(start)
            if key in reading.wanted and reading.wanted[key].given:
                given_at[reading.wanted[key].loc] = start
            refused = reading.refuses.get(key)
            kind = data[start : start + 1]
            if refused is not None and kind in refused[1] and key not in found:
                # A long array or object where the field takes neither (its type's error,
                # whatever it holds): checked for being JSON and an empty one given to the
                # one call, which refuses it as it would this (validated whole, pydantic
                # built the 10 MB input its error echoes: 400-570 ms of one call).
                end = await past_value(data, start, loc, depth)
                if end < 0:
                    return NOT_A_LIST, -1  # not JSON: the whole reading says where
                stand_in: bytes | None = b"[]" if kind == b"[" else b"{}"
                other_kinds[refused[0]] = start
            else:
                end, stand_in = await _long_member(
                    reading, key, data, start, loc, errors, depth, found, texts, extras, failed
                )
            if end >= 0 and stand_in is None and room and key not in (reading.reads or ()):
                # A long value under a key a refusing model does not read: checked and left
                # out, its key kept for the one call's error, with null standing in.
                stand_in, stood_in[key] = b"null", start
                room -= 1
            if end == _FAR:
                whole_from = pos
                break
            if key in extras:
                extra_keys.add(key)
            if end == _WRONG:
                return None, -1  # errors holds why
            if end < 0:
                return NOT_A_LIST, -1
            if key in kept:
                return NOT_A_LIST, -1  # a key given twice: pydantic's own rules decide
            apart = True
            if stand_in is not None:
                spans.append(data[pos:start] + stand_in)
            end = skip_space(data, end)
            if not data.startswith((b",", b"}"), end):
                return NOT_A_LIST, -1
            last = data.startswith(b"}", end)
        plain = True
        if last:
            pos = end
            break
        await asyncio.sleep(0)  # the other requests' turn
        pos = skip_space(data, end + 1)
    else:
        return NOT_A_LIST, -1  # not an object of string keys, or an empty one
    if not apart or (whole_from is not None and (not rest or reading.keeps)):
        # Nothing read apart, or the rest kept (where a model keeping what it does not read
        # would keep some of it in the one call, out of order): all of it whole.
        return NOT_A_LIST, -1
    if whole_from is None:
        end = pos + 1
        text = b"".join((b"{", b",".join(spans), b"}"))
    else:  # the rest of the body, from a member on
        end = len(data)
        text = b"".join((b"{", *(span + b"," for span in spans), data[whole_from:]))
    validator = reading.validator
    if reading.relaxed:  # [] stood in for lists bounded below, null for models: read above
        names = frozenset(
            reading.nested[key].name
            if key in reading.nested
            else reading.parsed[key]
            if key in reading.parsed
            else reading.wanted[key].name
            for key in found
            if key in reading.nested
            or key in reading.parsed
            or (
                key in reading.wanted
                and (reading.wanted[key].items.min_length is not None or reading.wanted[key].given)
            )
        )
        validator = reading.relaxed.get(names, validator)
    # Fields with validators of their own are given to the one call as read (its relaxed
    # validator takes them from there, the stand-ins left aside), so that those validators
    # run in it, after the fields before them, as pydantic runs them; so are the values of
    # fields validated from the value as sent, parsed apart.
    given = {
        reading.wanted[key].name: value
        for key, value in found.items()
        if key in reading.wanted and reading.wanted[key].given
    }
    given |= {reading.parsed[key]: found[key] for key in found.keys() & reading.parsed.keys()}
    token = GIVEN_FIELDS.set(given) if given else None
    try:
        model = validator.validate_json(text)
    except ValidationError as exc:
        first = len(errors)
        report_body(exc.with_traceback(None), data, errors, loc, of_data=False)
        if given_at:  # a field found wrong has its own errors: its validators' are not run
            wrong = {reading.wanted[key].loc for key in failed if key in reading.wanted}
            errors[first:] = [e for e in errors[first:] if _under(e, loc) not in wrong]
        for entry in errors[first:]:
            # What the model was given is the object without what was read apart or left
            # out ([] standing in for 10 MB of items): echo the start of what was sent.
            where = cast("list[object]", entry["loc"])
            depth_of = len(where) - len(loc)
            if depth_of == 0 or (depth_of == 1 and entry["type"] == "missing"):
                entry["input"] = sent_from(data, opened)
            elif depth_of >= 1 and other_kinds and str(where[len(loc)]) in other_kinds:
                entry["input"] = sent_from(data, other_kinds[str(where[len(loc)])])
            elif depth_of == 1 and given_at and str(where[-1]) in given_at:
                entry["input"] = sent_from(data, given_at[str(where[-1])])  # as sent
            elif depth_of == 1 and entry["type"] == "extra_forbidden" and stood_in:
                start = stood_in.get(str(where[-1]), -1)  # the value as sent, not null
                if start < 0:
                    continue
                start += data.startswith(b'"', start)  # a string's text, escapes as sent
                entry["input"] = sent_from(data, start)
        if failed:
            _in_field_order(errors, first_error, loc, reading)
        return None, -1
    finally:
        if token is not None:
            GIVEN_FIELDS.reset(token)
    if failed:
        _in_field_order(errors, first_error, loc, reading)
        return None, -1  # errors holds why
    if reading.keeps:
        if model.__pydantic_extra__:
            # The one call kept keys of its own (a field's name where only its alias is
            # read, say): in what order with these, the whole reading says.
            return NOT_A_LIST, -1
        object.__setattr__(model, "__pydantic_extra__", extras)
        extra_keys |= model.__pydantic_fields_set__
        object.__setattr__(model, "__pydantic_fields_set__", extra_keys)
    attributes: dict[str, object] = model.__dict__
    for key, value in found.items():
        if key in reading.nested:
            attributes[reading.nested[key].name] = value
            continue
        if key in reading.anything:
            attributes[reading.anything[key]] = value  # any JSON: pydantic gives it as is
            continue
        if key in reading.parsed or reading.wanted[key].given:
            continue  # the one call's, its validators' output
        made = reading.wanted[key].items.made
        attributes[reading.wanted[key].name] = value if made is None else await remade(made, value)
    for key, string in texts.items():
        attributes[reading.texts[key]] = string
    if reading.after is not None and not (rest and skip_space(data, end) < len(data)):
        # (something after the object: not JSON, as the caller says, and nothing is run)
        try:  # the model's own "after" validators, on the model as pydantic would have made it
            model = reading.after.run(model)
        except ValidationError as exc:
            first = len(errors)
            report_body(exc.with_traceback(None), data, errors, loc, of_data=False)
            for entry in errors[first:]:
                if len(cast("list[object]", entry["loc"])) == len(loc):
                    entry["input"] = sent_from(data, opened)  # the object as sent, as pydantic's
            return None, -1
    if reading.made is not None:  # a TypedDict's dict, a dataclass
        return reading.made(cast("BaseModel", model)), end
    return model, end


_FEW_MEMBERS = 16  # a slice kept with no more keys than this is kept whole


def _under(entry: Mapping[str, object], loc: Loc) -> str | None:
    """The field below ``loc`` that a 422 entry is located in, if any."""
    where = cast("list[object]", entry["loc"])
    return str(where[len(loc)]) if len(where) > len(loc) else None


def _in_field_order(errors: Errors, first: int, loc: Loc, reading: ModelReading) -> None:
    """Put the errors from ``first`` on (an object's at ``loc``: of fields read apart, then of
    the one call) in the order pydantic gives them: by field, as the model declares them, the
    keys it does not read after; each field's own in the order found."""
    depth, order, after = len(loc), reading.order, len(reading.order)

    def place(entry: dict[str, Any]) -> int:
        where = cast("list[object]", entry["loc"])
        return order.get(str(where[depth]), after) if len(where) > depth else -1

    errors[first:] = sorted(errors[first:], key=place)


def _members_read(
    data: bytes, pos: int, end: int, reads: frozenset[str], others: int = 0
) -> tuple[list[bytes], int] | None:
    """The members of ``data[pos:end]`` (a slice of an object's members, JSON the validators
    took) whose keys are in ``reads``, and the first ``others`` of the rest, as text, found
    with Python's decoder, and how many of the rest were taken; ``None`` when it reads them
    otherwise (the slice is then kept whole)."""
    text = data[pos:end].decode("utf-8")
    plain = text.isascii()  # else byte positions are counted apart from characters
    chosen: list[bytes] = []
    taken = 0
    i, at = 0, pos  # a member's start, in the text and in data
    try:
        while i < len(text):
            key, j = _DECODER.raw_decode(text, i)
            j = _skip_space_in(text, j)
            if not text.startswith(":", j):
                return None
            stop = _DECODER.raw_decode(text, _skip_space_in(text, j + 1))[1]
            after = _skip_space_in(text, stop)
            if after < len(text):
                if not text.startswith(",", after):
                    return None
                after = _skip_space_in(text, after + 1)
            size = stop - i if plain else len(text[i:stop].encode())
            if key in reads or taken < others:
                chosen.append(data[at : at + size])
                taken += key not in reads
            at += size + (after - stop if plain else len(text[stop:after].encode()))
            i = after
    except (ValueError, RecursionError):
        return None
    return chosen, taken


async def _members_run(
    data: bytes, pos: int, plain: bool, errors: Errors
) -> tuple[int, bool, bool] | None:
    """Where a slice of an object's members from ``data[pos]`` ends, as ``_in_slices`` finds
    it: ``(the comma or closing brace, whether the brace, whether cut by a guess)``, or
    ``None`` after adding why the JSON is broken to ``errors``.

    Raises:
        _ItemTooLarge: the member at ``pos`` is too long for a slice.
    """
    run = await _plain_run(data, pos, b"}", True) if plain else None
    if run is None and plain:
        run = _nested_cut(data, pos, True)
    if run is not None:
        return (*run, True)
    run = _items_end(data, pos, b"}", True, errors)
    return None if run is None else (*run, False)


async def _long_member(
    reading: ModelReading,
    key: str,
    data: bytes,
    pos: int,
    loc: Loc,
    errors: Errors,
    depth: int,
    found: dict[str, object],
    texts: dict[str, str],
    extras: dict[str, object],
    failed: set[str],
) -> tuple[int, bytes | None]:
    """Read the value at ``data[pos]`` of a member too long for a slice, as
    ``_members_in_slices`` says, adding what it reads apart to ``found``, ``texts`` or
    ``extras``: the
    position after it, and what stands in for it in the one call (``None``: the member is
    left out). The position is ``_FAR`` when it is kept for the one call, ``_WRONG`` after
    adding what is wrong to ``errors`` where the value's end is not known, -1 when the object
    is not one this reads. A field read apart and found wrong is added to ``failed``, its
    errors to ``errors``, and the reading goes on after it."""
    field = reading.wanted.get(key)
    if key in found or key in texts:
        return -1, None  # a key given twice: pydantic's own rules decide
    held = reading.nested.get(key)
    own = held.reading if held is not None else None
    tagged = held.own if held is not None and isinstance(held.own, TaggedReading) else None
    if held is not None and tagged is not None and data.startswith(b"{", pos):
        # A union of models told apart by a tag: read as the model its tag names.
        if depth + 1 >= _MAX_NESTED_SLICING or tagged.validator is None:
            return _FAR, None
        inner = depth + 1

        async def read(
            each: ModelReading, where: Loc, seen: dict[str, object]
        ) -> tuple[object, int]:
            return await _members_in_slices(each, data, pos, where, errors, inner, seen=seen)

        # (what a tag given twice had read as the other model is let go at once: rare)
        at = (*loc, held.loc)
        value, end, _ = await _tagged_at(
            tagged, tagged.validator, data, pos, at, errors, [], read, inner
        )
        return await _held(key, value, end, value is None, data, pos, loc, depth, found, failed)
    if (
        held is not None
        and isinstance(held.own, KindReading)
        and data.startswith((b"[", b"{"), pos)
    ):
        # A list or a model: an array read as the list, an object as the model.
        if depth + 1 >= _MAX_NESTED_SLICING:
            return _FAR, None
        kinds, at = held.own, (*loc, held.loc)
        opening = data[pos : pos + 1]
        if opening not in kinds.takers:
            return _FAR, None  # (a kind two members take; none: refused before this)
        taker, how = kinds.takers[opening]
        wrong: Errors = []
        where = (*at, kinds.labels[taker])
        if isinstance(how, ItemsReading):
            value, end = await _in_slices(how, data, pos, where, wrong, depth + 1)
        else:
            value, end = await _members_in_slices(how, data, pos, where, wrong, depth + 1)
            if value is NOT_A_LIST:
                return _FAR, None  # kept for the one call, which reads it
        if wrong:
            if (invalid := not_json_entry(wrong)) is not None:
                errors.append(invalid)
                return _WRONG, None
            errors += _kind_errors(kinds, opening, wrong, at, data, pos)[: MAX_ERRORS - len(errors)]
        return await _held(key, value, end, bool(wrong), data, pos, loc, depth, found, failed)
    if held is not None and isinstance(held.own, UnionReading) and data.startswith(b"{", pos):
        # A union of models without a tag: read as each, chosen as pydantic chooses.
        if depth + 1 >= _MAX_NESTED_SLICING:
            return _FAR, None
        inner = depth + 1

        async def each(choice: ModelReading, where: Loc, into: Errors) -> tuple[object, int]:
            return await _members_in_slices(choice, data, pos, where, into, inner)

        taken: list[object] = []  # what the models not chosen read apart, let go at once
        value, end = await _union_at(held.own, (*loc, held.loc), errors, taken, each)
        return await _held(key, value, end, value is None, data, pos, loc, depth, found, failed)
    if held is not None and own is not None and data.startswith(b"{", pos):
        # A model's: read as its own reading says (a model holding itself: so deep at most).
        if depth + 1 >= _MAX_NESTED_SLICING:
            return _FAR, None
        at = (*loc, held.loc)
        value, end = await _members_in_slices(own, data, pos, at, errors, depth + 1)
        return await _held(key, value, end, value is None, data, pos, loc, depth, found, failed)
    if key in reading.parsed and depth + 1 < _MAX_NESTED_SLICING:
        # Validated from the value as sent: parsed a slice at a time and given to the one
        # call, which pydantic would have made Python values of in one piece (a validator of
        # mode "before" given 10 MB held other clients 200 ms).
        if data.startswith(b'"', pos):
            end = await _after_string(data, pos + 1)
            if end < 0:
                return -1, None  # not a JSON string: the whole reading says why
            try:
                found[key] = await _string_in_pieces(data, pos, end)
            except ValueError:
                return -1, None
            return end, b"null"
        if data.startswith((b"[", b"{"), pos):
            sent = ANY_ITEMS if data.startswith(b"[", pos) else ANY_MEMBERS
            value, end = await _in_slices(sent, data, pos, loc, errors, depth + 1, keep=True)
            if end < 0:
                return _WRONG, None  # not JSON: errors holds why
            found[key] = value
            return end, b"null"
        return _FAR, None
    if key in reading.anything and data.startswith((b"[", b"{"), pos):
        # Any JSON: parsed a slice at a time and put in after, an empty one of its kind
        # standing in (pydantic made Python values of 10 MB in one piece: 107-265 ms).
        sent = ANY_ITEMS if data.startswith(b"[", pos) else ANY_MEMBERS
        value, end = await _in_slices(sent, data, pos, loc, errors, depth + 1, keep=True)
        if end < 0:
            return _WRONG, None  # not JSON: errors holds why
        found[key] = value
        return end, b"[]" if sent is ANY_ITEMS else b"{}"
    ignored = field is None and reading.reads is not None and key not in reading.reads
    if field is not None and data.startswith(field.items.opening, pos):
        at = (*loc, field.loc)
        items, end = await _in_slices(field.items, data, pos, at, errors, depth + 1)
        found[key] = items  # (for the app to let go of, when wrong)
        if end < 0:  # errors holds why: on after it, if it is JSON
            end = await past_value(data, pos, loc, depth)
            if end < 0:
                return _WRONG, None
            failed.add(key)
        elif _out_of_bounds(field.items, items, data, pos, at, errors):
            failed.add(key)
        return end, b"[]" if field.items.opening == b"[" else b"{}"
    if data.startswith(b'"', pos):
        end = await _after_string(data, pos + 1)
        if end < 0 or not (ignored or key in reading.texts):
            return (_FAR if end >= 0 else -1), None
        try:  # read in pieces, put in after or left out
            text = await _string_in_pieces(data, pos, end)
        except ValueError:
            return -1, None  # not a JSON string: the whole reading says why
        if ignored:
            if reading.keeps:
                extras[key] = text
            return end, None
        texts[key] = text
        return end, b'""'
    if not ignored or not data.startswith((b"[", b"{"), pos):
        return _FAR, None
    # Ignored by the model: checked for being JSON a slice at a time (as the whole body's
    # validation would), and left out; or kept as any JSON, for a model that keeps it.
    skipped = ANY_ITEMS if data.startswith(b"[", pos) else ANY_MEMBERS
    value, end = await _in_slices(skipped, data, pos, loc, errors, depth + 1, keep=reading.keeps)
    if end < 0:
        return _WRONG, None
    if reading.keeps:
        extras[key] = value
    return end, None


def _kind_errors(
    kinds: KindReading, opening: bytes, wrong: Errors, at: Loc, data: bytes, pos: int
) -> Errors:
    """The errors of a union no member took the array or object at ``data[pos]`` for (see
    ``KindReading``): the taker's (``wrong``), and each other member's for an empty one of
    that kind, echoing what was sent, in the union's order, under ``at``."""
    taker = kinds.takers[opening][0]
    listed: Errors = []
    for place in range(len(kinds.labels)):
        if place == taker:
            listed += wrong
            continue
        for error in kinds.refusing[opening][place]:
            sub = cast("tuple[str | int, ...]", tuple(cast("Sequence[object]", error["loc"])))
            entry = body_entry((*at, kinds.labels[place], *sub), error)
            entry["input"] = sent_from(data, pos)
            listed.append(entry)
    return listed


async def validate_kinds_in_slices(
    kinds: KindReading, data: bytes, errors: Errors, leftovers: list[object]
) -> object:
    """Validate a large body for a union where one member takes an array and one an object
    (``list[Item] | Item``) as the member that takes the kind sent reads it (see
    ``KindReading``). Gives the value, or ``None`` after adding the union's errors to
    ``errors``; ``NOT_A_LIST`` when it is to be validated whole (a kind no member, or
    several, take; not JSON a reading could tell apart). PERF: validated whole, a 10 MB list
    of models held other clients 565 ms (benchmarks/large_bodies.py, "one or many")."""
    pos = skip_space(data, 0)
    opening = data[pos : pos + 1]
    if opening not in kinds.takers:
        return NOT_A_LIST
    taker, how = kinds.takers[opening]
    wrong: Errors = []
    where: Loc = ("body", kinds.labels[taker])
    if isinstance(how, ItemsReading):
        value = await validate_in_slices(how, data, wrong, where)
    else:
        value = await validate_members_in_slices(how, data, wrong, leftovers, where)
    if value is NOT_A_LIST:
        return NOT_A_LIST
    if not wrong:
        return value
    if type(value) is list or type(value) is dict:
        leftovers.append(cast("object", value))
    invalid = not_json_entry(wrong)
    if invalid is not None:  # not JSON: pydantic says so once, before any member sees it
        errors.append(invalid)
    else:
        errors += _kind_errors(kinds, opening, wrong, ("body",), data, pos)[
            : MAX_ERRORS - len(errors)
        ]
    return None


def not_json_entry(errors: Errors) -> dict[str, object] | None:
    """The entry of ``errors`` saying the JSON read is not JSON, if any."""
    return next((entry for entry in errors if entry["type"] == "json_invalid"), None)


async def _held(
    key: str,
    value: object,
    end: int,
    wrong: bool,
    data: bytes,
    pos: int,
    loc: Loc,
    depth: int,
    found: dict[str, object],
    failed: set[str],
) -> tuple[int, bytes | None]:
    """``_long_member``'s answer for a long value read for a field holding a model or a union,
    ``value`` (``NOT_A_LIST``: not read) ending at ``end`` (-1 where not known): kept for
    the one call, or put in ``found`` with null standing in, on after it when it was found
    ``wrong`` (and is JSON)."""
    if value is NOT_A_LIST:
        return _FAR, None  # kept for the one call, which reads it
    found[key] = value  # (for the app to let go of, when wrong)
    if wrong:  # errors holds why: on after it, if it is JSON
        if end < 0:
            end = await past_value(data, pos, loc, depth)
        if end < 0:
            return _WRONG, None
        failed.add(key)
    return end, b"null"


async def json_error(
    reading: ItemsReading, data: bytes, first: int | None = None
) -> dict[str, object] | None:
    """Why ``data``, a large JSON array or object found wrong, is not JSON (Python's reason
    and place, as FastAPI gives them), ``None`` where it is: read as any JSON (``reading``,
    ``ANY_ITEMS`` or ``ANY_MEMBERS``) a slice at a time, kept nowhere; from the item at
    ``first`` on, where all before it is known to be JSON."""
    errors: Errors = []
    checked = await validate_in_slices(reading, data, errors, keep=False, first=first)
    if checked is NOT_A_LIST:
        # Not UTF-8, or an item past the widest window: parsed whole, as it was validated.
        try:
            from_json(data)
        except ValueError as exc:
            return json_invalid_entry(data, str(exc))
        return None
    return not_json_entry(errors)


async def past_value(data: bytes, pos: int, loc: Loc, depth: int) -> int:
    """Where the list or object at ``data[pos]``, found wrong, ends: read as any JSON a
    slice at a time, kept nowhere; -1 where it is not JSON (whose error is left out here:
    ``read_large_json`` finds it, checking the whole once something was wrong)."""
    skipped = ANY_ITEMS if data.startswith(b"[", pos) else ANY_MEMBERS
    try:
        return (await _in_slices(skipped, data, pos, loc, [], depth + 1, keep=False))[1]
    except (UnicodeDecodeError, _ItemTooLarge):
        return -1  # not read in slices: its first error alone, as before the rest was read


async def _long_string(
    data: bytes, pos: int, closing: bytes, members: bool
) -> tuple[str, str, int] | None:
    """The item at ``data[pos]`` (a member of an object: key, colon and value) when it is a
    string longer than two slices: ``(its key, "" for a list's item; its text, read in
    pieces; where the comma or closing bracket after it is)``. ``None`` for anything else,
    and for a string that is not JSON's or not followed by either: the slices read those, and
    say what is wrong."""
    key = ""
    if members:
        member = await _member_key(data, pos)
        if member is None:
            return None
        key, pos = member
    if not data.startswith(b'"', pos):
        return None
    end = await _after_string(data, pos + 1)
    if end - pos <= 2 * _SLICE:  # short (or never closed)
        return None
    after = skip_space(data, end)
    if not data.startswith((b",", closing), after):
        return None
    try:
        text = await _string_in_pieces(data, pos, end)
    except ValueError:
        return None
    return key, text, after


async def _string_in_pieces(data: bytes, pos: int, end: int) -> str:
    """The JSON string ``data[pos:end]`` (its quotes included), read ``_STRING_PIECE`` bytes
    at a time by the validators' own parser, the event loop's turn between pieces: the text
    reading it whole gives (10 MB of escapes held the loop 20 ms in one piece).

    Raises:
        ValueError: it is not a JSON string.
    """
    pieces: list[str] = []
    start, stop = pos + 1, end - 1
    while True:
        cut = stop
        if stop - start > _STRING_PIECE:
            cut = _piece_end(data, start, start + _STRING_PIECE)
            if cut < 0:
                cut = stop
        piece = from_json(b"".join((b'"', memoryview(data)[start:cut], b'"')))
        if not isinstance(piece, str):  # not reached: the piece is quoted text
            raise ValueError("not a string")
        pieces.append(piece)
        if cut >= stop:
            return "".join(pieces)
        start = cut
        await asyncio.sleep(0)


def _piece_end(data: bytes, start: int, cut: int) -> int:
    """Where the text of a string can be cut, at ``cut`` or before it and after ``start``
    (where the text is not inside an escape): not inside an escape, nor between the two
    escapes of a surrogate pair, nor inside a UTF-8 character. -1 when nowhere."""
    slash = data.rfind(b"\\", start, cut)
    if slash < 0 or slash + 12 <= cut:  # no escape reaches the cut, nor pairs across it
        for _ in range(3):  # a UTF-8 character is at most 4 bytes
            if data[cut] & 0xC0 == 0x80:
                cut -= 1
        return cut if cut > start else -1
    # The escape that backslash is part of starts at it, or at the one before it (an even
    # run of backslashes before it: they escape each other).
    at = slash if _escapes_from(data, start, slash) else slash - 1
    for _ in range(2):  # not right after the first half of a surrogate pair
        half = at - 6
        if not (
            half >= start
            and _HIGH_SURROGATE.fullmatch(data, half, at)
            and _escapes_from(data, start, half)
        ):
            break
        at = half
    return at if at > start else -1


def _escapes_from(data: bytes, start: int, slash: int) -> bool:
    """Whether the backslash at ``data[slash]`` starts an escape, in text that starts at
    ``start`` (not inside an escape): an even run of backslashes before it."""
    text = data[start:slash]
    return not (len(text) - len(text.rstrip(b"\\"))) % 2


_STRING_PIECE = 512 * 1024
_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


async def _member_key(data: bytes, pos: int) -> tuple[str, int] | None:
    """The key of the object member at ``data[pos]`` and where its value starts (after the
    colon), or ``None`` when no key and colon are there. The key is read as the validators
    read JSON (a lone surrogate is no character to them)."""
    end = await _string_end(data, pos) if data.startswith(b'"', pos) else -1
    if end < 0:
        return None
    try:
        key = from_json(data[pos:end])
    except ValueError:
        return None
    colon = skip_space(data, end)
    if not isinstance(key, str) or not data.startswith(b":", colon):
        return None
    return key, skip_space(data, colon + 1)


async def _string_end(data: bytes, pos: int) -> int:
    """The position after the JSON string that opens at ``data[pos]``, or -1 if it is never
    closed."""
    return await _after_string(data, pos + 1)


async def _after_string(data: bytes, pos: int) -> int:
    """The position after the closing quote of the JSON string whose text starts at
    ``data[pos]`` (after its opening quote), or -1 if it is never closed (or an escape in it
    is broken before its end).

    PERF: the grammar's pattern reads a short string at once; past a few KiB a string
    without a backslash ends at the next quote, found by ``bytes.find`` (memchr): a 10 MB
    one in 1 ms, where the pattern takes 30 ms. A long one with escapes is read a window at
    a time, turns of the event loop between windows."""
    rest = _STRING_REST.match(data, pos, pos + _SHORT_STRING)
    if rest is not None:
        return rest.end()
    if pos + _SHORT_STRING >= len(data):
        return -1  # the pattern saw the rest of the body
    quote = data.find(b'"', pos)
    if quote < 0:
        return -1
    if data.find(b"\\", pos, quote) < 0:
        return quote + 1
    # Escapes. A quote right after a character other than a backslash ends the string (a
    # string of \u escapes holds no other); else the pattern reads the escapes one at a
    # time, within a window, and a string longer than that is read by _in_escapes (the
    # pattern took 0.34 s over 10 MB of escaped quotes).
    if data[quote - 1] != _BACKSLASH and data.find(b"\\\n", pos, quote) < 0:
        return quote + 1
    stop = min(len(data), pos + _ESCAPES_WINDOW)
    rest = _STRING_REST.match(data, pos, stop)
    if rest is not None:
        return rest.end()
    if stop == len(data):
        return -1
    while True:
        end, pos = _in_escapes(data, pos)
        if pos < 0:
            return end
        await asyncio.sleep(0)  # the other requests' turn: 10 MB of escaped quotes, 70 ms


def _in_escapes(data: bytes, pos: int) -> tuple[int, int]:
    """Read ``_ESCAPES_STEP`` bytes of a long string with escapes from ``data[pos]`` (not
    inside an escape): in a copy, each escaped backslash and then each escaped quote is
    overwritten (same length, so places stay), and the first quote left ends the string.
    Gives ``(where the string ends, -1)``, ``(-1, -1)`` when the grammar ends it first or it
    never closes, or ``(-1, where the next window starts)``: a window never ends between a
    backslash and what it escapes."""
    stop = min(len(data), pos + _ESCAPES_STEP)
    window = data[pos:stop]
    if stop < len(data) and (len(window) - len(window.rstrip(b"\\"))) % 2:
        stop -= 1  # an odd run of backslashes at the end: its last escapes the next byte
        window = window[:-1]
    window = window.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    quote = window.find(b'"')
    # A backslash before a line feed escapes nothing: JSON's grammar ends there.
    broken = window.find(b"\\\n", 0, len(window) if quote < 0 else quote) >= 0
    if broken or (quote < 0 and stop == len(data)):
        return -1, -1
    if quote >= 0:
        return pos + quote + 1, -1
    return -1, stop


_SHORT_STRING = 4 * 1024
_ESCAPES_WINDOW = 64 * 1024
_ESCAPES_STEP = 512 * 1024  # at least 2
_BACKSLASH = ord("\\")
_FAR = -2  # what _long_member gives for a value kept for the one call
_WRONG = -3  # what _long_member gives after adding errors
