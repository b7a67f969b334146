"""A 422's entries, in FastAPI's shape and bounded whatever the input: at most
``MAX_ERRORS`` of them, each echoing at most ``MAX_INPUT`` bytes of JSON (``jsonable``), a
body that is not JSON located by the character where parsing failed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import cast

from pydantic import JsonValue, ValidationError
from pydantic_core import from_json, to_json

__all__ = [
    "AT_PLACE",
    "Errors",
    "FULL_REPORT_SIZE",
    "Loc",
    "MAX_ERRORS",
    "MAX_INPUT",
    "body_entry",
    "chars_before",
    "decoded_window",
    "error_entry",
    "first_byte",
    "json_invalid_at",
    "json_invalid_entry",
    "jsonable",
    "missing_entry",
    "report_body",
    "sent_from",
    "skip_space",
]


Errors = list[dict[str, object]]
Loc = tuple[str | int, ...]  # where in the request a value is
# A 422 lists at most this many errors, each echoing at most MAX_INPUT bytes of JSON input.
MAX_ERRORS = 100
MAX_INPUT = 1024
# Bodies up to this size get every error listed; larger ones stop at each collection's first.
FULL_REPORT_SIZE = 64 * 1024


def report_body(
    exc: ValidationError, data: bytes, errors: Errors, loc: Loc = ("body",), of_data: bool = True
) -> None:
    """Add the errors of validating the body ``data`` (or a value in it, at ``loc``; without
    ``of_data``, of validating other text made from it) to ``errors``, FastAPI's way."""
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            refused = error["msg"].removeprefix("Invalid JSON: ")
            errors.append(json_invalid_entry(data, refused, of_data))
            break
        errors.append(body_entry((*loc, *error["loc"]), error))
        if len(errors) >= MAX_ERRORS:
            break


AT_PLACE = re.compile(r" at line \d+ column \d+$")
_NUMBERS = re.compile(r"\d+")


def chars_before(data: bytes, pos: int) -> int:
    """How many characters the UTF-8 ``data`` holds before byte ``pos``: where Python's parser,
    which counts characters, would place an error there."""
    head = data[:pos]
    return pos if head.isascii() else len(head.decode("utf-8", "replace"))


def sent_from(data: bytes, pos: int) -> str:
    """What a 422 echoes of a value read apart: its text as sent from ``data[pos]``, long
    enough for jsonable() to cut and mark it as any long input is."""
    return data[pos : pos + 2 * MAX_INPUT].decode("utf-8", "ignore")


def json_invalid_entry(data: bytes, refused: str, of_data: bool = True) -> dict[str, object]:
    """FastAPI's entry for a body that is not JSON: the offset and message of Python's
    parser, which counts characters. Where that parser takes the body, or gives up on it for
    its own limits (nesting deeper than its stack, an integer of more digits than ``int()``
    converts), pydantic's own message ``refused`` says why, at pydantic's place (its line and
    column, counted in characters) when ``of_data`` (pydantic read ``data`` itself), else at
    offset 0. Past ``FULL_REPORT_SIZE``, pydantic's message and place without asking Python
    (parsed again by Python, 10 MB held the event loop 0.1 s), but for what Python reads
    cheaply: a body that starts with a scalar (one value read), and a string where pydantic
    found the body broken (read from its opening quote)."""
    if not of_data or len(data) <= FULL_REPORT_SIZE or _opens_no_collection(data):
        try:
            json.loads(data)  # (past a first scalar, Python reads no further: "Extra data")
        except json.JSONDecodeError as exc:
            return json_invalid_at(exc.pos, exc.msg)
        except (ValueError, RecursionError):  # Python's limits, not the client's JSON
            pass
    placed = pydantic_place(data, refused, 0) if of_data else None
    if placed is not None:
        at, reason = placed
        if reason in _IN_A_STRING and (said := _python_on_string(data, at, reason)) is not None:
            return said
        return json_invalid_at(chars_before(data, at), reason)
    return json_invalid_at(0, refused)


def _opens_no_collection(data: bytes) -> bool:
    """Whether ``data`` starts with a scalar (a string, a number, a word): Python's parser
    reads that one value whatever follows, as fast as pydantic's (a 10 MB string 10 ms).
    Not a BOM: Python's parser takes it, and would read on, all of a list after it."""
    first = first_byte(data)
    return first.isalnum() or first in (b'"', b"-")


def first_byte(data: bytes) -> bytes:
    """The first byte of the JSON in ``data`` past any space (``b""`` where there is none)."""
    first = skip_space(data, 0)
    return data[first : first + 1]


_WHITESPACE = re.compile(rb"[ \t\n\r]*")


def skip_space(data: bytes, pos: int) -> int:
    """The position of the first byte at or after ``pos`` that is not JSON whitespace."""
    return _WHITESPACE.match(data, pos).end()  # type: ignore[union-attr]  # * always matches


# pydantic's reasons for JSON that breaks inside a string (a body cut short in a long one).
_IN_A_STRING = frozenset(
    {
        "EOF while parsing a string",
        "invalid escape",
        "control character (\\u0000-\\u001F) found while parsing a string",
        "invalid unicode code point",
        "lone leading surrogate in hex escape",
        "unexpected end of hex escape",
    }
)
_DECODER = json.JSONDecoder()
_PAST_ERROR = 64  # bytes read past pydantic's place, for Python's error to lie well inside
# Bounds on finding where a string opens: the escaped quotes passed on the way back, the
# backslashes before a quote (more is a body made to be slow: pydantic's words then).
_MAX_QUOTES = 1024
_MAX_RUN = 1024


def _python_on_string(data: bytes, at: int, reason: str) -> dict[str, object] | None:
    """FastAPI's entry for a large body that pydantic found broken in a string, at byte
    ``at``, for ``reason``: what Python's parser says of that string, read from its opening
    quote (Python places an unterminated string at its start, pydantic at the body's end).
    ``None`` where that cannot be told, which leaves pydantic's words: the quote not found
    within the bounds, or Python taking the string (a lone surrogate)."""
    # A body that ends in a string's opening quote is placed at it; other errors after it (a
    # lone surrogate's at the string's closing quote).
    quote = at + 1 if reason == "EOF while parsing a string" else at
    for _ in range(_MAX_QUOTES):
        quote = data.rfind(b'"', 0, quote)  # memrchr: 10 MB in a millisecond
        if quote < 0:
            return None
        run = quote
        while run > 0 and data[run - 1] == 0x5C and quote - run < _MAX_RUN:
            run -= 1
        if quote - run == _MAX_RUN:
            return None
        if (quote - run) % 2 == 0:
            break  # no backslash escapes it: the string's opening quote
    else:
        return None
    if reason == "EOF while parsing a string" and data.find(b"\\", max(quote, len(data) - 12)) < 0:
        # No escape cut short at the end, and pydantic found nothing wrong before it: Python
        # says the string is unterminated, at its quote (not read again: a 10 MB one held
        # the event loop another 12-16 ms, benchmarks/large_bodies.py, "text cut short").
        return json_invalid_at(chars_before(data, quote), "Unterminated string starting at")
    end = min(len(data), at + _PAST_ERROR)
    try:
        text = decoded_window(data, quote, end)
    except UnicodeDecodeError:
        return None  # not UTF-8: pydantic's words, as for any such body
    try:
        _DECODER.raw_decode(text)  # the string (Python's scanner, at its opening quote)
    except json.JSONDecodeError as exc:
        if end < len(data) and (exc.msg.startswith("Unterminated") or exc.pos > len(text) - 8):
            return None  # the cut's own (the string, or an escape, goes on past it)
        return json_invalid_at(chars_before(data, quote) + exc.pos, exc.msg)
    return None


def decoded_window(data: bytes, start: int, stop: int) -> str:
    """``data[start:stop]`` decoded, less a character its end cuts in two.

    Raises:
        UnicodeDecodeError: it is not UTF-8 (but for the cut).
    """
    try:
        return data[start:stop].decode("utf-8")
    except UnicodeDecodeError as exc:
        if stop < len(data) and exc.reason == "unexpected end of data":
            return data[start : start + exc.start].decode("utf-8")
        raise


def pydantic_place(
    data: bytes, refused: str, start: int, wrapped: bool = False
) -> tuple[int, str] | None:
    """Where pydantic's message ``refused`` ("... at line 3 column 7"), of text that holds
    ``data`` from ``start`` on (after one byte of its own when ``wrapped``: the bracket a
    slice is read in), places its error: a byte of ``data``, and the message without its
    place; ``None`` when it names no place."""
    place = AT_PLACE.search(refused)
    if place is None:
        return None
    line, column = (int(number) for number in _NUMBERS.findall(place.group()))
    if line > 1:
        # Where that line starts: past its newlines, found by one pattern (a loop in C).
        lines = re.compile(rb"(?:[^\n]*\n){%d}" % (line - 1)).match(data, start)
        begins = lines.end() if lines is not None else len(data)
    else:
        begins = start - 1 if wrapped else start
    at = begins + column - 1  # pydantic counts bytes
    return max(start, min(at, len(data))), refused[: place.start()]


def json_invalid_at(position: int, message: str) -> dict[str, object]:
    return {
        "type": "json_invalid",
        "loc": ["body", position],
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": message},
    }


def missing_entry(loc: tuple[str | int, ...]) -> dict[str, object]:
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


def body_entry(loc: tuple[str | int, ...], error: Mapping[str, object]) -> dict[str, object]:
    # A missing body field echoes the enclosing object, as FastAPI does.
    return _entry(loc, error, error.get("input"))


def error_entry(loc: tuple[str | int, ...], error: Mapping[str, object]) -> dict[str, object]:
    # A missing query, header, cookie or path value echoes null, as FastAPI does.
    return _entry(loc, error, None if error["type"] == "missing" else error.get("input"))


def _entry(
    loc: tuple[str | int, ...], error: Mapping[str, object], echoed: object
) -> dict[str, object]:
    """One 422 entry in FastAPI's shape, from pydantic's ``error``, at ``loc``."""
    entry: dict[str, object] = {
        "type": error["type"],
        "loc": list(loc),
        "msg": error["msg"],
        "input": echoed,
    }
    if (context := error.get("ctx")) is not None:
        entry["ctx"] = _context(cast("Mapping[str, object]", context))
    return entry


def _context(context: Mapping[str, object]) -> dict[str, object]:
    """An error's ``ctx`` (the limit it broke, the values it expected), JSON-safe as FastAPI
    writes it: a ``Decimal`` limit as a number; an exception a validator raised as its
    message (FastAPI writes ``{}``, pydantic's own JSON the message)."""
    out: dict[str, object] = {}
    for key, value in context.items():
        if isinstance(value, BaseException):
            value = str(value)
        elif isinstance(value, Decimal):
            value = (
                int(value) if value.is_finite() and value == value.to_integral() else float(value)
            )
        out[key] = value
    return out


def _truncated(value: object) -> object:
    """Give ``value``, or when its JSON passes ``MAX_INPUT`` bytes, the start of it (of the
    string itself, or of the JSON text of anything else) marked ``...(truncated)``. PERF: a
    long list or dict is written only as far as its first ``MAX_INPUT`` items (each at least
    a byte of JSON): the JSON of a 10 MB input echoed whole held the event loop 40 ms."""
    budget = [MAX_INPUT]
    bounded = _bounded(value, budget, 0) if _is_container(value) else value
    encoded = to_json(bounded, fallback=repr, inf_nan_mode="strings")
    if len(encoded) <= MAX_INPUT and budget[0] > 0:
        return value
    text = value if isinstance(value, str) else encoded.decode("utf-8", errors="replace")
    keep = MAX_INPUT - 20
    while True:  # escaping may lengthen the text: halve until it fits (a few rounds at most)
        candidate = text[:keep] + "...(truncated)"
        if len(to_json(candidate)) <= MAX_INPUT:
            return candidate
        keep //= 2


_CONTAINERS = (list, tuple, dict, set, frozenset)
_BOUNDED_DEPTH = 200  # deeper than JSON a parser takes


def _is_container(value: object) -> bool:
    return isinstance(value, _CONTAINERS)


def _bounded(value: object, budget: list[int], depth: int) -> object:
    """A copy of ``value`` as far as its first ``budget[0]`` items in all (``budget[0]``
    then 0 when they ran out, or strings or depth were cut), whose JSON starts as
    ``value``'s does for at least ``MAX_INPUT`` bytes."""
    if isinstance(value, str):
        if len(value) > MAX_INPUT:
            budget[0] = 0
            return value[:MAX_INPUT]
        return value
    if not _is_container(value):
        return value
    if depth >= _BOUNDED_DEPTH:
        budget[0] = 0
        return None
    if isinstance(value, dict):
        kept: dict[object, object] = {}
        for key, item in cast("dict[object, object]", value).items():
            if budget[0] <= 0:
                break
            budget[0] -= 1
            kept[_bounded(key, budget, depth + 1)] = _bounded(item, budget, depth + 1)
        else:
            return kept
        budget[0] = 0
        return kept
    listed: list[object] = []
    for item in cast("list[object]", value):
        if budget[0] <= 0:
            budget[0] = 0
            return listed
        budget[0] -= 1
        listed.append(_bounded(item, budget, depth + 1))
    return listed


def jsonable(errors: Errors) -> list[dict[str, JsonValue]]:
    """Make the errors JSON-safe once: bytes as text, non-finite floats as the strings
    ``"NaN"``/``"Infinity"``, anything else by ``repr``; an ``input`` longer than
    ``MAX_INPUT`` bytes of JSON becomes a string holding its truncated JSON text. So do a
    ``msg`` and each ``ctx`` value: they may quote the client too (a discriminated union's
    unknown tag is in both)."""
    for error in errors:
        value = error["input"]
        if isinstance(value, bytes | bytearray):
            value = error["input"] = bytes(value).decode("utf-8", errors="replace")
        if value is not None and not isinstance(value, int | float | bool):
            error["input"] = _truncated(value)
        message = error["msg"]
        if isinstance(message, str) and len(message) > MAX_INPUT // 4:  # 4 bytes a char at most
            error["msg"] = _truncated(message)
        context = error.get("ctx")
        if isinstance(context, dict):
            for key, value in cast("dict[str, object]", context).items():
                if value is not None and not isinstance(value, int | float | bool):
                    context[key] = _truncated(value)
    parsed: list[dict[str, JsonValue]] = from_json(
        to_json(errors, fallback=repr, inf_nan_mode="strings")
    )
    return parsed
