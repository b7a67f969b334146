"""Carry out a handler's plan on one request: gather raw values, validate them, read the body.

Every source is gathered into ``{group: {wire name: raw value}}`` and validated in one pydantic
call; the JSON body is validated straight from bytes. All failures come back together as one
``RequestValidationError`` (422).
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Never, TypeVar, cast

from pydantic import JsonValue, ValidationError
from pydantic_core import SchemaValidator, from_json, to_json
from werkzeug.datastructures import Headers, MultiDict

from aaf._entries import (
    FULL_REPORT_SIZE,
    MAX_ERRORS,
    Errors,
    body_entry,
    error_entry,
    first_byte,
    json_invalid_entry,
    jsonable,
    missing_entry,
    report_body,
    sent_from,
    skip_space,
)
from aaf._http import is_json, json_charset_ok, query_last_values
from aaf._plan import BodyParam, FieldSpec, Group, HandlerPlan
from aaf._readings import (
    ItemsReading,
)
from aaf._slices import (
    ANY_ITEMS,
    ANY_MEMBERS,
    NOT_A_LIST,
    attributes_of,
    full_collections_held,
    json_error,
    made_a_set,
    not_json_entry,
    past_value,
    remade,
    validate_in_slices,
    validate_kinds_in_slices,
    validate_members_in_slices,
    validate_tagged_in_slices,
    validate_union_in_slices,
)
from aaf.connection import Connection
from aaf.datastructures import FormData, UploadFile
from aaf.exceptions import HTTPError, RequestValidationError

__all__ = [
    "BOM",
    "REFUSED",
    "arguments",
    "arguments_now",
    "body_arguments_now",
    "json_in_slices",
    "parse_json",
    "read_large_json",
    "take_body",
    "validated",
]

# Past this many errors, the input is validated again with each collection stopping at its
# first error: pydantic makes a dict of every error (2 µs each), a 422 lists MAX_ERRORS.
FAIL_FAST_PAST = 1000
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, skipped before JSON
_D = TypeVar("_D")  # what a validator takes: bytes of JSON, or Python values


async def arguments(
    plan: HandlerPlan, connection: Connection, path_args: dict[str, object]
) -> dict[str, object]:
    """Gather, validate and return the handler's keyword arguments."""
    if plan.trivial:
        return path_args
    if plan.body_only:
        # PERF: nothing to gather from other sources (benchmarks/inprocess.py, post model).
        if (found := body_arguments_now(plan, connection, await connection.body())) is not None:
            return found
        kwargs: dict[str, object] = {}  # a large body, read below
        errors: Errors = []
    else:
        form = await connection.form() if plan.reads_form else None
        kwargs, errors = validated(plan, connection, path_args, form)
    body: bytes | None = None
    if (param := plan.body) is not None:
        body = await connection.body()
        # take_body()'s two ways, here: a frame less (benchmarks/instructions.py, post model)
        if len(body) > FULL_REPORT_SIZE:
            await _read_large(param, body, kwargs, errors, connection)
        else:
            _take_body(param, body, kwargs, errors, connection)
    if errors:
        raise RequestValidationError(jsonable(errors[:MAX_ERRORS]), body)
    return kwargs


def body_arguments_now(
    plan: HandlerPlan, connection: Connection, body: bytes
) -> dict[str, object] | None:
    """``arguments`` for a plan whose one source is the JSON body (``plan.body_only``), given
    the body, without a coroutine: the app reads the body and calls this (a coroutine less
    per request, benchmarks/network_counted.py, post model). None for a body larger than
    FULL_REPORT_SIZE, which ``arguments`` reads in slices between turns of the event loop."""
    param = plan.body
    assert param is not None  # a body_only plan's
    if len(body) > FULL_REPORT_SIZE:
        return None
    if body and connection._body_type == b"application/json" and body[0] != 0xEF:  # pyright: ignore[reportPrivateUsage]
        # PERF: the usual body, JSON without a BOM, validated straight into the arguments
        try:
            return {param.name: param.adapter.validator.validate_json(body)}
        except ValidationError as exc:
            errors: Errors = []
            _body_refused(param, body, exc, errors)
    else:  # empty, another Content-Type or a BOM: _take_body says what to do
        kwargs: dict[str, object] = {}
        errors = []
        _take_body(param, body, kwargs, errors, connection)
        if not errors:
            return kwargs
    raise RequestValidationError(jsonable(errors[:MAX_ERRORS]), body)


def arguments_now(
    plan: HandlerPlan, connection: Connection, path_args: dict[str, object]
) -> dict[str, object]:
    """``arguments`` for a plan that reads no body, without a coroutine."""
    if (direct := plan.query_kwargs) is not None:
        # PERF: the query string's values validated straight into the keyword arguments,
        # none of validated()'s other sources asked about (benchmarks/instructions.py, search
        # query); a failure goes the general way, which says what was wrong.
        try:
            kwargs = direct.validate_python(
                query_last_values(connection.scope.get("query_string", b""))
            )
        except ValidationError:
            pass
        else:
            for name in plan.passthrough:
                kwargs[name] = path_args[name]
            return kwargs  # type: ignore[no-any-return]  # a new dict, of str keys
    kwargs, errors = validated(plan, connection, path_args, None)
    if errors:
        raise RequestValidationError(jsonable(errors))
    return kwargs


def validated(
    plan: HandlerPlan,
    connection: Connection,
    path_args: dict[str, object],
    form: FormData | None,
) -> tuple[dict[str, object], Errors]:
    kwargs = plan.defaults.copy()
    for name in plan.passthrough:
        kwargs[name] = path_args[name]
    errors: Errors = []
    raw: dict[str, dict[str, object]] = {}
    fields = plan.fields
    if "path" in fields:
        raw["path"] = {f.wire: path_args[f.name] for f in fields["path"]}
    if "query" in fields:
        raw["query"] = (
            # PERF: each key's last value, in one dict, the validator passing over the keys
            # no field reads: no loop over the pairs for each field (benchmarks/inprocess.py,
            # search query).
            cast("dict[str, object]", query_last_values(connection.scope.get("query_string", b"")))
            if plan.plain_query
            else _gather_pairs(connection.query_pairs, fields["query"])
        )
    if "header" in fields:
        raw["header"] = _gather(connection.req_headers, fields["header"])
    if "cookie" in fields:
        raw["cookie"] = _gather_cookies(connection.req_cookies, fields["cookie"])
    if form is not None:
        if "form" in fields:
            raw["form"] = _gather_form(form, fields["form"])
        _uploads(plan, form, kwargs, errors)
    if plan.validator is not None:
        try:
            # PERF: the core validator directly; TypeAdapter's wrapper cost 0.35 µs a call
            # (benchmarks/typed_cost.py).
            validated = plan.validator.validator.validate_python(raw)
        except ValidationError as exc:
            if exc.error_count() > FAIL_FAST_PAST:
                # Validated again, each collection stopping at its first error and a model
                # that refuses unknown keys given only the first hundred: 8,000 such keys in a
                # query string made 8,000 errors, 30-65 ms for a 422 that lists 100.
                fewer = _fewer_unknown_keys(raw, fields)
                again = plan.fail_fast or (plan.validator.validator if fewer else None)
                if again is not None:
                    exc = _again(again.validate_python, fewer or raw, exc)
            errors.extend(_errors(plan, exc)[:MAX_ERRORS])
        else:
            for values in validated.values():
                kwargs.update(values)
    for name in plan.fresh_defaults:  # left out: this request's own copy of the default
        if kwargs[name] is plan.defaults[name]:
            kwargs[name] = copy.deepcopy(kwargs[name])
    return kwargs, errors


def _uploads(plan: HandlerPlan, form: FormData, kwargs: dict[str, object], errors: Errors) -> None:
    for upload in plan.uploads:
        files = _chosen(form.files.getlist(upload.wire))
        if (upload.many or not files) and (
            text := [v for v in form.fields.getlist(upload.wire) if v]
        ):
            # Text where a file was expected: said as FastAPI says it, not "Field required"
            # nor dropped; among a list's files, each text at its place.
            errors += (
                _texts_in_place(form, upload.wire)
                if upload.many
                else [_text_for_a_file(("body", upload.wire), text[-1])]
            )
        elif files:
            kwargs[upload.name] = files if upload.many else files[0]
        elif upload.default is not ...:
            kwargs[upload.name] = copy.deepcopy(upload.default) if upload.fresh else upload.default
        else:
            errors.append(missing_entry(("body", upload.wire)))


def _texts_in_place(form: FormData, wire: str) -> Errors:
    """An entry for each text among the values of ``wire``, a list of files: its index among
    those that count (neither empty text nor a file input with none chosen), in the order
    the body sent them."""
    values = [
        v
        for v in form._in_order(wire)  # pyright: ignore[reportPrivateUsage]
        if (v if isinstance(v, str) else _is_chosen(v))
    ]
    return [
        _text_for_a_file(("body", wire, i), v) for i, v in enumerate(values) if isinstance(v, str)
    ]


def _chosen(files: list[UploadFile]) -> list[UploadFile]:
    """The files a client chose (see ``_is_chosen``)."""
    return [f for f in files if _is_chosen(f)]


def _is_chosen(file: UploadFile) -> bool:
    """Whether a client chose ``file``: a browser sends a file input with none chosen as a
    part with an empty name and no content, which counts as absent (as FastAPI counts it)."""
    return bool(file.filename or file.size)


def _text_for_a_file(loc: tuple[str | int, ...], text: str) -> dict[str, object]:
    reason = "Expected UploadFile, received: <class 'str'>"
    return {
        "type": "value_error",
        "loc": list(loc),
        "msg": f"Value error, {reason}",
        "input": text,
        "ctx": {"error": reason},
    }


def take_body(
    plan: HandlerPlan,
    data: bytes,
    kwargs: dict[str, object],
    errors: Errors,
    connection: Connection,
) -> Awaitable[None] | None:
    """Validate ``data``, the request body, into ``kwargs`` as the plan's body parameter, or
    add what was wrong to ``errors``. A small body is done on return; a large one gives the
    coroutine that does it a slice at a time, for the caller to await. PERF: not a coroutine
    itself, so a small body costs no frame of its own (benchmarks/instructions.py, post
    model)."""
    body = plan.body
    assert body is not None  # the caller checked; not user input
    if len(data) > FULL_REPORT_SIZE:
        return _read_large(body, data, kwargs, errors, connection)
    _take_body(body, data, kwargs, errors, connection)
    return None


_NOT_JSON = "Request body is not valid JSON: "


async def json_in_slices(data: bytes, problem: str = _NOT_JSON) -> JsonValue:
    """Parse ``data``, a large JSON body (``connection.json()``'s, past FULL_REPORT_SIZE), a
    slice of items at a time when it is a list or an object, the event loop serving other
    requests between slices (10 MB parsed whole held it about 0.1 s).

    Raises:
        HTTPError: 400, the body is not JSON; its detail ``problem`` followed by the reason
            and the character it was found at.
    """
    errors: Errors = []
    value = await _parsed_in_slices(data, errors)
    if errors:
        raise HTTPError(400, problem + _json_problem(errors[0]))
    if value is NOT_A_LIST:  # neither a list nor an object, or not UTF-8: parsed whole
        return parse_json(data, problem)
    return cast("JsonValue", value)


def parse_json(data: bytes, problem: str = _NOT_JSON) -> JsonValue:
    """Parse a JSON body whole (``connection.json()``'s; NaN and the infinities taken, as
    Python's json module and the sliced reading take them).

    Raises:
        HTTPError: 400, the body is not JSON, as ``json_in_slices`` says it.
    """
    try:
        value: JsonValue = from_json(data)
    except ValueError as exc:
        raise HTTPError(400, problem + _json_problem(json_invalid_entry(data, str(exc)))) from None
    return value


def _json_problem(error: Mapping[str, object]) -> str:
    """What is wrong with JSON that ``connection.json()`` or ``receive_json()`` cannot parse,
    from the 422 entry a typed body would get: the reason and the character it was found at,
    whichever way the JSON was read (whole or a slice at a time)."""
    reason = cast("dict[str, str]", error.get("ctx", {})).get("error", error["msg"])
    place = cast("list[object]", error["loc"])[-1]
    return f"{reason} (at character {place})"


def _take_body(
    body: BodyParam, data: bytes, kwargs: dict[str, object], errors: Errors, connection: Connection
) -> None:
    """Validate ``data``, a body of at most FULL_REPORT_SIZE, as ``take_body`` says."""
    if not data:
        if body.required:
            errors.append(missing_entry(("body",)))
        else:
            kwargs[body.name] = copy.deepcopy(body.default) if body.fresh_default else body.default
        return
    if connection._body_type != b"application/json" or data[0] == 0xEF:  # pyright: ignore[reportPrivateUsage]
        # PERF: the usual body, JSON without a BOM, needs no call (benchmarks/
        # instructions.py, post model)
        data = _json_payload(connection, data)
    try:
        kwargs[body.name] = body.adapter.validator.validate_json(data)
    except ValidationError as exc:
        _body_refused(body, data, exc, errors)


def _body_refused(body: BodyParam, data: bytes, exc: ValidationError, errors: Errors) -> None:
    """Add to ``errors`` why ``data``, JSON of at most FULL_REPORT_SIZE, was refused (``exc``)."""
    if exc.error_count() > FAIL_FAST_PAST:
        # Again, each collection stopping at its first error and a model that refuses
        # unknown keys given only the first hundred (as for a query string, below).
        fewer = _fewer_unknown_keys_json(data, body.known) if body.known else None
        exc = _again(body.fail_fast.validate_json, fewer or data, exc)
    report_body(exc, data, errors)


def _json_payload(connection: Connection, data: bytes) -> bytes:
    """``data``, a non-empty body, without a UTF-8 BOM; refused (415) when its Content-Type
    is not JSON in UTF-8: without one, a cross-site form could send it. PERF: the usual value
    is compared as the server gave it (noted when the body began to be read), not decoded,
    and the BOM looked for by its first byte before a bytes search (benchmarks/
    instructions.py, post model)."""
    value = connection._body_type  # pyright: ignore[reportPrivateUsage]  # what body() noted
    if value != b"application/json":
        if value is None:
            _refuse_json_type(None)
        content_type = value.decode("latin-1")
        if not is_json(content_type) or (";" in content_type and not json_charset_ok(content_type)):
            _refuse_json_type(content_type)
    if data[0] == 0xEF and data.startswith(BOM):
        return data[len(BOM) :]
    return data


def _refuse_json_type(content_type: str | None) -> Never:
    raise HTTPError(
        415,
        "Expected a JSON body with Content-Type: application/json (UTF-8), got "
        + (repr(content_type) if content_type else "no content type"),
    )


async def _read_large(
    body: BodyParam, data: bytes, kwargs: dict[str, object], errors: Errors, connection: Connection
) -> None:
    """Validate a body larger than FULL_REPORT_SIZE (``read_large_json``), what was read of a
    refused one let go a slice at a time by the app after the answer."""
    data = _json_payload(connection, data)
    leftovers: list[object] = []
    value = await read_large_json(body, data, errors, leftovers)
    if leftovers:
        # (one thing alone as it is: a set, which a list of things is not looked into for)
        kept = leftovers[0] if len(leftovers) == 1 else leftovers
        connection._keep_leftovers(kept)  # pyright: ignore[reportPrivateUsage]  # the app's
    if value is not REFUSED:
        kwargs[body.name] = value


REFUSED = object()  # what read_large_json gives for JSON refused


async def read_large_json(
    body: BodyParam, data: bytes, errors: Errors, leftovers: list[object]
) -> object:
    """Validate JSON larger than FULL_REPORT_SIZE for ``body``'s type: each collection stops
    at its first error, and a plain list or dict, or a model's object, is read in slices
    between turns of the event loop. Gives the value, or ``REFUSED`` after adding why to
    ``errors`` (a value read while ``errors`` already held another's is refused too); what
    was read and is to be let go a slice at a time goes to ``leftovers``: 400,000 models
    let go at once after the 422 held the event loop 55 ms.

    A body that is not JSON is refused as that alone, as pydantic's validation of the whole
    and FastAPI refuse it, in Python's words and at Python's place, as FastAPI says them:
    where a wrong value comes before the place it breaks (which the reading stopped at), or
    where pydantic, given all of it in one call, said it in its own words, the body is then
    read a slice at a time to find where Python's parser breaks (never in one piece: 10 MB
    held the event loop 0.1 s).
    """
    already = len(errors)
    stopped: list[int] = []  # where a list body's wrong item stopped its reading
    value = await _validated_large(body, data, errors, leftovers, stopped)
    if value is not REFUSED and value is not _REFUSED_PARSED:
        return value
    said_not_json = not_json_entry(errors[already:]) is not None
    if value is REFUSED:  # what is not JSON is said in Python's words, where the reading is
        check = len(errors) > already and not said_not_json
    else:  # all of it parsed by pydantic: only what it said is not JSON
        check = said_not_json
    # Neither an array nor an object: validated whole, which said first if it was not JSON.
    reading = _any_reading(data) if check else None
    if reading is not None:
        with full_collections_held():  # what was read is held: a full collection walks it
            broken = await json_error(reading, data, stopped[0] if stopped else None)
        if broken is not None:  # (None: Python takes what pydantic does not, a lone surrogate)
            errors[already:] = [broken]
    return REFUSED


_REFUSED_PARSED = object()  # refused after pydantic parsed all of the body


async def _validated_large(
    body: BodyParam, data: bytes, errors: Errors, leftovers: list[object], stopped: list[int]
) -> object:
    """``read_large_json``'s reading, which stops at the first wrong value (of a list body,
    where: ``stopped``); refused after parsing all the JSON, ``_REFUSED_PARSED``."""
    items, members = body.items, body.members
    if body.any_json:  # a list or an object of any JSON, as connection.json() reads it
        items = _any_reading(data)
    if (
        items is not None
        or members is not None
        or body.tagged is not None
        or body.union is not None
        or body.kinds is not None
    ):
        # The body was just joined from its chunks (a stall of its own, page faults on fresh
        # memory): the other requests' turn before its decoding makes another.
        await asyncio.sleep(0)
        with full_collections_held():
            if items is not None:
                sliced = await validate_in_slices(items, data, errors, stopped=stopped)
            elif members is not None:
                sliced = await validate_members_in_slices(members, data, errors, leftovers)
            elif body.union is not None:
                sliced = await validate_union_in_slices(body.union, data, errors, leftovers)
            elif body.kinds is not None:
                sliced = await validate_kinds_in_slices(body.kinds, data, errors, leftovers)
            else:
                assert body.tagged is not None  # one of the four, as checked
                sliced, members = await validate_tagged_in_slices(
                    body.tagged, body.fail_fast, data, errors, leftovers
                )
        if sliced is not NOT_A_LIST and not errors:
            if items is not None and items.made is not None:  # a deque, a Counter, ...
                sliced = await remade(items.made, sliced)
            elif body.collection is not None:
                sliced = await made_a_set(cast("list[object]", sliced), body.collection)
                if body.collection is frozenset:
                    # The set it is made from: its items let go a slice at a time once the
                    # frozenset (which cannot be emptied) is gone, which frees only its table.
                    leftovers.append(sliced)
                    sliced = frozenset(cast("set[object]", sliced))
            return sliced
        if members is not None and (attributes := attributes_of(sliced)) is not None:
            # Valid, but another value of the request was not: its long lists, taken out
            # of it (nothing else holds it).
            leftovers += [attributes.pop(field.name, None) for field in members.wanted.values()]
        elif type(sliced) is list or type(sliced) is dict:
            leftovers.append(cast("object", sliced))
        if sliced is not NOT_A_LIST:
            return REFUSED
        opening = items.opening if items is not None else b"{"
        if body.kinds is not None:
            # A kind no member takes, whatever it holds, is refused as any other kind is;
            # else the whole validation says.
            sent = first_byte(data)
            opening = b"" if sent in body.kinds.refused else sent
        if await _other_kind(body.fail_fast, data, opening, errors):
            return REFUSED
    if body.parsed_first is not None:
        already = len(errors)
        value = await _parsed_in_slices(data, errors)
        if len(errors) > already:  # not JSON
            leftovers.append(value)
            return REFUSED
        if value is not NOT_A_LIST:
            leftovers.append(value)  # let go a slice at a time, where nothing else holds it
            try:
                with full_collections_held():
                    return body.parsed_first.run(value)
            except ValidationError as exc:
                report_body(exc, data, errors, of_data=False)
                return _REFUSED_PARSED
    try:
        with full_collections_held():  # 0.34 s for a model of 400,000 items, 0.75 s unheld
            return body.fail_fast.validate_json(data)
    except ValidationError as exc:  # pydantic parses all the JSON before it validates
        report_body(exc, data, errors)
        return _REFUSED_PARSED


async def _parsed_in_slices(data: bytes, errors: Errors) -> object:
    """``data``, JSON, parsed a slice of items at a time (as ``connection.json()`` parses a
    large body): the value, with why it is not JSON added to ``errors`` where it is not;
    ``NOT_A_LIST`` for anything but an array or an object (parsed whole by the caller).
    PERF: a type whose validation starts with a function of the input as sent has pydantic
    make all of it Python values in one piece first: a model's validator of mode "before"
    held other clients 282 ms for 10 MB it ignores (benchmarks/large_bodies.py, "before")."""
    reading = _any_reading(data)
    if reading is None:
        return NOT_A_LIST
    await asyncio.sleep(0)  # joined from its chunks just now: the others' turn first
    with full_collections_held():
        return await validate_in_slices(reading, data, errors)


def _any_reading(data: bytes) -> ItemsReading | None:
    """How the JSON in ``data`` is parsed a slice at a time as any JSON: an array's items or
    an object's members; ``None`` for anything else."""
    start = first_byte(data)
    return ANY_ITEMS if start == b"[" else ANY_MEMBERS if start == b"{" else None


async def _other_kind(
    validator: SchemaValidator, data: bytes, opening: bytes, errors: Errors
) -> bool:
    """Refuse a large body that is a JSON array or object where the body's reading takes the
    other (``opening``), as its validation would, without building it: pydantic's error for an
    empty one of its kind (the kind is all it looks at), echoing the start of what was sent.
    False when it is not such a body, or not JSON: then it is validated whole, which says why.
    PERF: validated whole, pydantic built the 10 MB input its error echoes: 355-363 ms of
    one call (benchmarks/large_bodies.py, "other kind")."""
    pos = skip_space(data, 0)
    kind = data[pos : pos + 1]
    if kind not in (b"[", b"{") or kind == opening:
        return False
    end = await past_value(data, pos, ("body",), 0)  # JSON, checked a slice at a time
    if end < 0 or skip_space(data, end) < len(data):
        return False
    try:
        validator.validate_json(b"[]" if kind == b"[" else b"{}")
    except ValidationError as exc:
        first = len(errors)
        report_body(exc.with_traceback(None), data, errors, of_data=False)
        for entry in errors[first:]:
            if entry["loc"] == ["body"]:
                entry["input"] = sent_from(data, pos)
        return True
    return False  # taken when empty: whole validation says what it makes of the rest


def _fewer_unknown_keys(
    raw: dict[str, dict[str, object]], fields: Mapping[Group, Sequence[FieldSpec]]
) -> dict[str, dict[str, object]] | None:
    """``raw`` with each model that refuses unknown keys given at most ``MAX_ERRORS`` of them
    (the first, in order: pydantic reports them after its fields' errors, in the input's
    order, so the first hundred errors stay the same); ``None`` when there are no more."""
    fewer: dict[str, dict[str, object]] | None = None
    for source, specs in fields.items():
        for spec in specs:
            given = raw.get(source, {}).get(spec.wire) if spec.forbids else None
            if type(given) is not dict:
                continue
            given = cast("dict[str, object]", given)
            if len(given) <= MAX_ERRORS:
                continue
            kept = _known_and_first_unknown(given, spec.reads)
            if len(kept) < len(given):
                fewer = fewer if fewer is not None else {k: dict(v) for k, v in raw.items()}
                fewer[source][spec.wire] = kept
    return fewer


def _known_and_first_unknown(given: dict[str, object], known: frozenset[str]) -> dict[str, object]:
    """``given`` with its keys in ``known`` and the first ``MAX_ERRORS`` others, in order."""
    kept: dict[str, object] = {}
    unknown = 0
    for key, value in given.items():
        if key in known:
            kept[key] = value
        elif unknown < MAX_ERRORS:
            kept[key] = value
            unknown += 1
    return kept


def _fewer_unknown_keys_json(data: bytes, known: frozenset[str]) -> bytes | None:
    """The JSON object ``data`` for a model that refuses keys it does not read (``known``
    those it reads) with only the first ``MAX_ERRORS`` unknown keys, as ``_fewer_unknown_keys``
    makes a query model's; ``None`` when there are no more (or it is not an object)."""
    try:
        parsed = from_json(data)
    except ValueError:
        return None
    if type(parsed) is not dict:
        return None
    given = cast("dict[str, object]", parsed)
    kept = _known_and_first_unknown(given, known)
    return None if len(kept) == len(given) else to_json(kept, inf_nan_mode="constants")


def _again(validate: Callable[[_D], object], data: _D, exc: ValidationError) -> ValidationError:
    """Give the errors of ``validate`` (a fail-fast validator's) on ``data``, which gave
    ``exc``: turning each of a 64 KiB list's 16,000 wrong items into a dict would hold up the
    event loop 30 ms for a 422 that lists 100; stopping each collection at its first error
    keeps it to a few."""
    try:
        validate(data)
    except ValidationError as again:
        return again
    return exc  # not reached: the same input fails the same schema


def _errors(plan: HandlerPlan, exc: ValidationError) -> Errors:
    out: Errors = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        # Form fields are part of the body on the wire, as FastAPI reports them.
        source = "body" if loc[0] == "form" else loc[0]
        if len(loc) > 1 and (wire := loc[1]) in plan.wholes:
            if source == "query" or source == "body":
                # A field missing from a query or form model echoes what the client sent
                # for the model, as FastAPI does. Not a header or cookie model's: that would
                # be every header (a proxy's own among them) and every cookie (HttpOnly ones
                # too, then readable by a script that asks for a 422).
                out.append(body_entry((source, *loc[2:]), error))
                continue
            loc = (source, *loc[2:])
            if source == "header" and len(loc) > 1:  # the header, not the model's key
                loc = (source, _header_spec(plan, wire).header_name(str(loc[1])), *loc[2:])
        elif len(loc) > 2:
            # Part of a value missing (a tuple's second member): what was sent for the value
            # is echoed, as FastAPI does.
            out.append(body_entry((source, *loc[1:]), error))
            continue
        else:
            loc = (source, *loc[1:])
        out.append(error_entry(loc, error))
    return out


def _header_spec(plan: HandlerPlan, wire: object) -> FieldSpec:
    return next(f for f in plan.fields["header"] if f.wire == wire)


def _gather(
    source: MultiDict[str, str] | Headers, fields: tuple[FieldSpec, ...]
) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in fields:
        if f.whole:  # a model filled from every header, `x-token` filling `x_token`
            named: list[tuple[str, object]] = []
            headers, reads = f.headers, f.reads
            for k, v in source.items():
                key = headers.get(name := k.lower())
                if key is None:
                    if name in reads:
                        # `x_token` where the model reads `x-token` as x_token: another
                        # header, which a proxy drops or passes beside its own `x-token`.
                        continue
                    key = name  # another header, by its name (an `extra="allow"` model's)
                if key in f.list_fields:
                    named += [(key, item) for item in _list_items(v)]
                else:
                    named.append((key, v))
            out[f.wire] = _whole_model(named, f, first=True)
        elif f.many:
            values = [item for line in source.getlist(f.wire) for item in _list_items(line)]
            if values:
                out[f.wire] = values
        else:
            value = source.get(f.wire)
            if value is not None:
                out[f.wire] = value
    return out


def _list_items(line: str) -> list[str]:
    """The elements of a header line read as a list: RFC 9110 (5.3, 5.6.1) makes `X-Ids: 1, 2`
    the two lines `X-Ids: 1` and `X-Ids: 2`, as OpenAPI's `simple` style (a header array's)
    writes them, and has empty elements ignored (`X-Ids:` is none). A comma inside a quoted
    string is the element's (`If-Match: "a,b", "c"` is two entity tags, quotes kept)."""
    if '"' not in line:
        return [item for part in line.split(",") if (item := part.strip())]
    return [item for part in _LIST_ELEMENT.findall(line) if (item := part.strip())]


# A list element: text up to a comma, quoted strings (with their escapes) whole.
_LIST_ELEMENT = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+')


def _gather_form(form: FormData, fields: tuple[FieldSpec, ...]) -> dict[str, object]:
    # Browsers send every input, empty ones too: an empty value counts as absent. A repeated
    # key gives its last value, as in FastAPI, Starlette and Django.
    out: dict[str, object] = {}
    for f in fields:
        if f.whole:  # a model filled from the whole form, empty or not
            filled: list[tuple[str, object]] = [
                (k, v) for k, v in form.fields.items(multi=True) if v != ""
            ]
            # Its file fields (`file: UploadFile`) from the files; text wins where both came.
            texts = {k for k, _ in filled}
            for key in form.files:
                if key not in texts:
                    filled += [(key, file) for file in _chosen(form.files.getlist(key))]
            out[f.wire] = _whole_model(filled, f)
            continue
        values = [v for v in form.fields.getlist(f.wire) if v != ""]
        if values:
            out[f.wire] = values if f.many else values[-1]
        elif f.content:  # bytes: the content of the files chosen (an empty one is b"")
            contents = [file.read() for file in _chosen(form.files.getlist(f.wire))]
            if contents:
                out[f.wire] = contents if f.many else contents[-1]
        elif files := _chosen(form.files.getlist(f.wire)):
            # A file where text was expected is validated as it came (a string field says
            # "Input should be a valid string", as FastAPI does), not taken as absent.
            out[f.wire] = files if f.many else files[-1]
    return out


def _whole_model(
    pairs: Sequence[tuple[str, object]], spec: FieldSpec, first: bool = False
) -> dict[str, object]:
    """The input of a model filled from a whole source: a list field takes every value of its
    key, any other field the last (the ``first``, for headers); a key no field reads, every
    value when it is repeated (for ``extra="allow"``: nothing sent is lost), as FastAPI does."""
    whole: dict[str, object] = {}
    lists: dict[str, list[object]] = {}
    list_fields, reads, others = spec.list_fields, spec.reads, spec.others
    for key, value in pairs:
        if key in list_fields:
            lists.setdefault(key, []).append(value)
        elif key in reads:
            if first:
                whole.setdefault(key, value)
            else:
                whole[key] = value
        elif key in others:
            continue  # another parameter's, for a model that refuses what it does not read
        elif key in lists:
            lists[key].append(value)
        elif key in whole:
            lists[key] = [whole.pop(key), value]
        else:
            whole[key] = value
    return whole | lists


def _gather_pairs(pairs: list[tuple[str, str]], fields: tuple[FieldSpec, ...]) -> dict[str, object]:
    # A repeated key gives a scalar its last value (FastAPI, Starlette and Django do so).
    out: dict[str, object] = {}
    for f in fields:
        wire = f.wire
        if f.whole:  # a model filled from the whole query string, empty or not
            out[wire] = _whole_model(pairs, f)
        elif not pairs:
            continue
        elif f.many:
            values = [value for key, value in pairs if key == wire]
            if values:
                out[wire] = values
        else:
            for key, value in reversed(pairs):
                if key == wire:
                    out[wire] = value
                    break
    return out


def _gather_cookies(cookies: Mapping[str, str], fields: tuple[FieldSpec, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in fields:
        if f.whole:  # a model filled from every cookie (the first of a repeated name)
            out[f.wire] = dict(cookies)
        elif f.wire in cookies:
            out[f.wire] = cookies[f.wire]
    return out
