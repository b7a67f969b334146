"""Large JSON lists are validated a slice at a time: the same answers as whole validation,
error locations counted from the start of the list, and other requests served meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import re
import sys
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Mapping, Sequence
from types import GenericAlias, SimpleNamespace
from typing import Annotated, Any, Literal, NotRequired, Required, Union, cast

import pytest
from annotated_types import Len
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    RootModel,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic_core import SchemaValidator, from_json
from typing_extensions import ReadOnly, TypedDict

from aaf import _dispatch, _entries, _extract, _plan, _readings, _slices, aaf
from aaf._annotations import annotated
from aaf._readings import ItemsReading, ModelReading, fail_fast_validator
from aaf.app import App
from aaf.connection import Connection
from aaf.params import Body, Depends
from aaf.response import HttpResponse
from aaf.routing import Router
from aaf.testing import AsyncTestClient, TestClient

from ._helpers import BODY_MODULES, count_turns, patch_body_modules


class Item(BaseModel):
    id: int
    name: str


def make_app() -> App:
    router = Router()

    @router.post("/items")
    async def items(connection: Connection, items: list[Item]) -> dict[str, object]:
        return {"count": len(items), "last": items[-1].id if items else None}

    @router.get("/ping")
    async def ping(connection: Connection) -> str:
        return "pong"

    return aaf([router])


def body(items: Sequence[object], separator: str = ",") -> bytes:
    return ("[" + separator.join(json.dumps(i) for i in items) + "]").encode()


GOOD: list[dict[str, object]] = [{"id": i, "name": f"item {i}"} for i in range(20_000)]  # 600 KB
WRONG_ITEM = [*GOOD[:15_000], {"id": "x", "name": "n"}, *GOOD[15_000:]]  # wrong at 15,000
NAMED_ITEMS: list[dict[str, object]] = [{"id": i, "name": f"été {i}"} for i in range(20_000)]
NAMED = json.dumps(NAMED_ITEMS, ensure_ascii=False)


@pytest.fixture()
def client() -> TestClient:
    return TestClient(make_app())


def post(client: TestClient, data: bytes) -> tuple[int, Any]:
    answer = client.post("/items", content=data, headers={"content-type": "application/json"})
    return answer.status_code, answer.json()


def test_a_large_valid_list_arrives_whole(client: TestClient) -> None:
    assert post(client, body(GOOD)) == (200, {"count": 20_000, "last": 19_999})
    spaced = b" \n" + body(GOOD, separator=" ,\n ").replace(b"[", b"[ ", 1) + b" \n"
    assert post(client, spaced) == (200, {"count": 20_000, "last": 19_999})


def test_a_wrong_item_deep_in_the_list_is_located_from_its_start(client: TestClient) -> None:
    items: list[dict[str, object]] = list(GOOD)
    items[15_000] = {"id": "x", "name": "n"}
    status, answer = post(client, body(items))
    assert status == 422
    assert [e["loc"] for e in answer["detail"]] == [["body", 15_000, "id"]]


def test_a_large_list_read_by_a_provider_is_taken_as_a_handlers_is() -> None:
    # A provider reading the body goes the general resolution's way (the runner's), which
    # validates a large list a slice at a time too.
    router = Router()

    async def counted(items: list[Item]) -> int:
        return len(items)

    @router.post("/counted")
    async def handler(connection: Connection, count: int = Depends(counted)) -> int:
        return count

    client = TestClient(aaf([router]))
    typed = {"content-type": "application/json"}
    assert client.post("/counted", content=body(GOOD), headers=typed).json() == 20_000
    answer = client.post("/counted", content=body(WRONG_ITEM), headers=typed)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", 15_000, "id"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (body(GOOD) + b" 1", "Extra data"),
        (body(GOOD)[:-1] + b"}]", "delimiter"),
        (body(GOOD).replace(b'},{"id": 500,', b'} {"id": 500,', 1), "delimiter"),
        (body(GOOD).replace(b'"name": "item 700"', b'"name": item', 1), "Expecting value"),
        # Not ASCII: the body is sliced as bytes, and the place counted in characters.
        (NAMED.replace('"name": "été 700"', '"name": été', 1).encode(), "Expecting value"),
        (NAMED[:-1].encode() + b"}]", "delimiter"),
        # An item longer than the window a slice is read from (two slices): read from a wider.
        (('[{"id": 1, "name": "' + "€" * 50_000 + '"}, {"id": 2 "name": "x"}]').encode(), "delim"),
        # Broken in a string longer than that window: Python places an unterminated string
        # at its opening quote (a body cut short in it), where pydantic says "EOF while
        # parsing a string" at the body's end; other errors in a string in Python's words.
        (('[{"id": 1, "name": "' + "é" * 100_000).encode(), "Unterminated string"),
        (body(GOOD)[:-1] + b', {"id": 2, "name": "' + b"x" * 200_000, "Unterminated string"),
        (('[{"id": 1, "name": "' + "a" * 200_000 + '\\x"}]').encode(), "Invalid \\escape"),
        (('[{"id": 1, "name": "' + "a" * 200_000 + '\x01"}]').encode(), "Invalid control"),
        (('[{"id": 1, "name": "' + "€" * 50_000 + "\x01" + "€" * 99 + '"}]').encode(), "control"),
        (('[{"id": 1, "name": "' + "a" * 200_000 + "\\u12").encode(), "uXXXX escape"),
        (('[{"id": 1, "name": "' + "a" * 200_000 + '\\"\\\\').encode(), "Unterminated"),
        # A scalar, then more (validated whole): Python's parser reads the one value.
        (b'"b"' + b"z" * 70_000, "Extra data"),
        (b"tru" + b" " * 70_000, "Expecting value"),
        (b'  "' + b"a" * 70_000 + b'" [1, 2]', "Extra data"),
    ],
)
def test_broken_json_is_reported_where_python_finds_it(
    client: TestClient, data: bytes, message: str
) -> None:
    status, answer = post(client, data)
    assert status == 422
    [entry] = answer["detail"]
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(data)
    assert (entry["loc"], entry["ctx"]["error"]) == (["body", python.value.pos], python.value.msg)
    assert entry["type"] == "json_invalid" and message in entry["ctx"]["error"]


def test_a_string_made_to_hide_where_it_opens_is_answered_in_pydantics_words(
    client: TestClient,
) -> None:
    # Where a broken string opens is looked for back from where pydantic found it broken,
    # past at most 1,024 escaped quotes (each a step in Python): past that, pydantic's words
    # at its place, not a second of the event loop for 5 MB of them.
    data = b'[{"id": 1, "name": "' + b'\\"' * 600_000
    status, answer = post(client, data)
    assert status == 422
    assert answer["detail"] == [
        {
            "type": "json_invalid",
            "loc": ["body", len(data) - 1],  # pydantic places it at the last character
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "EOF while parsing a string"},
        }
    ]
    fewer = b'[{"id": 1, "name": "' + b'\\"' * 1_000 + b"x" * 100_000
    status, answer = post(client, fewer)
    assert answer["detail"][0]["loc"] == ["body", 19]  # Python's place: the opening quote


@pytest.mark.parametrize(
    "data",
    [
        b"[" + b"1, " * 30_000 + b'"',  # pydantic places it at the quote itself
        b"[" + b'"a", ' * 30_000 + b'"',
        b"[" + b'"a", ' * 30_000 + b'"\\',
        b'["' + "é".encode() * 50_000 + b"\\u12",
    ],
)
def test_pydantics_words_for_a_string_broken_are_made_pythons(data: bytes) -> None:
    # What a large body validated whole says, where pydantic says the body is not JSON.
    with pytest.raises(ValueError) as refused:
        from_json(data)
    entry = _entries.json_invalid_entry(data, str(refused.value))
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(data)
    assert (entry["loc"], entry["ctx"]) == (["body", python.value.pos], {"error": python.value.msg})


WRONG_FIRST = [{"id": "x", "name": "n"}, *GOOD]


@pytest.mark.parametrize(
    ("app", "path", "data"),
    [
        ("items", "/items", body(WRONG_FIRST)[:-1]),  # cut short
        ("items", "/items", body(WRONG_FIRST) + b" 1"),
        ("items", "/items", body(WRONG_FIRST).replace(b'},{"id": 700,', b'} {"id": 700,', 1)),
        ("items", "/items", body(WRONG_FIRST).replace(b'"item 900"', b'"item 900\xff"', 1)),
        ("orders", "/orders", json.dumps({"label": 1, "orderLines": GOOD}).encode() + b"}"),
        (
            "orders",
            "/orders",
            json.dumps({"label": "x", "orderLines": WRONG_FIRST}).encode()[:-30],
        ),
        (
            "plain",
            "/counts",
            json.dumps({f"k{i}": i for i in range(20_000)} | {"k0": "x"}).encode()[:-2],
        ),
    ],
)
def test_a_wrong_value_before_where_a_large_body_breaks_leaves_it_not_json(
    app: str, path: str, data: bytes
) -> None:
    # Past 64 KiB the reading stops at the first wrong value; the rest was not looked at,
    # and a body that is not JSON answered as if it were. Pydantic's validation of the whole
    # and FastAPI say it is not JSON, where Python says it breaks.
    made = {"items": make_app, "orders": order_app, "plain": plain_app}[app]()
    answer = TestClient(made).post(path, content=data, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert entry["type"] == "json_invalid"
    try:
        json.loads(data)
    except json.JSONDecodeError as exc:
        assert (entry["loc"], entry["ctx"]["error"]) == (["body", exc.pos], exc.msg)
    except UnicodeDecodeError:  # pydantic's words for what Python will not decode
        assert entry["ctx"]["error"].startswith("invalid unicode")


def test_a_list_body_refused_near_its_end_is_checked_from_where_its_reading_stopped(
    monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    # What comes before the wrong item's slice was read as JSON already: the check that the
    # body is JSON to its end starts there (a bulk list wrong at its last item: 424 ms, now
    # 329, with it checked from the start; `benchmarks.large_bodies`, "valid list but").
    turns = count_turns(monkeypatch, *BODY_MODULES)
    assert post(client, body(GOOD))[0] == 200
    whole = len(turns)
    turns.clear()
    wrong_last = [*GOOD[:-1], {"id": "x", "name": "n"}]
    status, answer = post(client, body(wrong_last))
    assert [(e["type"], e["loc"]) for e in answer["detail"]] == [
        ("int_parsing", ["body", 19_999, "id"])
    ]
    assert len(turns) < whole + 5  # not read again from the start: twice as many
    turns.clear()
    status, answer = post(client, body(wrong_last)[:-1])  # and broken after it
    assert (status, answer["detail"][0]["type"]) == (422, "json_invalid")


LONE = '"\\ud800"'  # a lone surrogate escaped: JSON to Python's parser, not to pydantic's


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/items", '[{"id": 1, "name": %s}, LONG]'),  # in the list's first slice
        ("/items", '[LONG, {"id": 1, "name": %s}]'),  # in a later one
        ("/items", '[LONG,\n{"id": 1,\n"name": %s}]'),  # lines: pydantic places by line
        ("/orders", '{"label": %s, "orderLines": [LONG]}'),  # a member before a long one
        ("/orders", '{"label": "x", "orderLines": [LONG], "notes": [%s]}'),  # one after it
        ("/orders", '{"label": "x", "orderLines": [LONG, {"id": 1, "name": %s}]}'),
    ],
)
def test_json_only_python_takes_is_refused_where_pydantic_places_it_whole_or_sliced(
    path: str, template: str
) -> None:
    # Where Python's parser takes the body, pydantic's place says where it breaks, as for a
    # body validated whole: a large body read a slice at a time placed it at the slice's
    # start (the item's, or the first member's of a slice of an object).
    client = TestClient(order_app() if path == "/orders" else make_app())
    headers = {"content-type": "application/json"}
    long = body(GOOD).decode()[1:-1].replace("}, {", "},\n{")
    places: list[int] = []
    for items in ('{"id": 0, "name": "n"}', long):  # a small body (whole), a large one
        text = template.replace("LONG", items) % LONE
        answer = client.post(path, content=text.encode(), headers=headers)
        assert answer.status_code == 422
        [entry] = answer.json()["detail"]
        assert entry["type"] == "json_invalid", entry
        assert entry["ctx"]["error"] == "unexpected end of hex escape"
        places.append(entry["loc"][1] - text.index(LONE))
    assert len(text) > 500_000 and places[0] == places[1] > 0


def test_what_is_not_a_list_is_refused_as_whole_validation_does(client: TestClient) -> None:
    status, answer = post(client, json.dumps({"items": GOOD}).encode())
    assert status == 422
    assert answer["detail"][0]["type"] == "list_type"
    # NaN is JSON to pydantic, as in whole validation: then not an item.
    nan = body(GOOD[:5000] + ["NaN-placeholder"]).replace(b'"NaN-placeholder"', b"NaN")
    status, answer = post(client, nan)
    assert status == 422
    assert [(e["type"], e["loc"]) for e in answer["detail"]] == [("model_type", ["body", 5000])]
    # A lone surrogate escape is JSON to Python, not to pydantic: pydantic's reason, placed
    # at the start of the slice that holds it.
    lone = body(GOOD[:5000] + ["LONE"]).replace(b'"LONE"', b'"\\ud800"')
    status, answer = post(client, lone)
    assert status == 422
    [entry] = answer["detail"]
    assert entry["type"] == "json_invalid"
    assert entry["ctx"]["error"] == "unexpected end of hex escape"


@pytest.mark.anyio
async def test_other_requests_are_served_while_a_large_list_is_validated() -> None:
    huge = body([{"id": i, "name": "n"} for i in range(300_000)])  # about 8 MB
    done: list[str] = []
    async with AsyncTestClient(make_app()) as client:

        async def big() -> None:
            answer = await client.post(
                "/items", content=huge, headers={"content-type": "application/json"}
            )
            assert answer.json()["count"] == 300_000
            done.append("big")

        async def small() -> None:
            await asyncio.sleep(0.05)  # the big one is being validated by now
            assert (await client.get("/ping")).text == "pong"
            done.append("small")

        await asyncio.gather(big(), small())
    # The small request was answered between two slices, while the big one was validated.
    assert done == ["small", "big"]


def test_odd_large_bodies_answer_as_whole_validation_does(client: TestClient) -> None:
    spaces = b" " * 70_000
    assert post(client, b"[" + spaces + b"]") == (200, {"count": 0, "last": None})
    status, answer = post(client, b"[" + spaces + b"] x")
    assert status == 422 and answer["detail"][0]["type"] == "json_invalid"
    status, answer = post(client, body(GOOD)[:-1] + b"\xff]")  # not UTF-8
    assert status == 422 and answer["detail"][0]["type"] == "json_invalid"


def test_lists_of_plain_values_and_of_lists_are_sliced_alike() -> None:
    with TestClient(plain_app()) as client:
        numbers_body = body(list(range(30_000)))
        headers = {"content-type": "application/json"}
        assert client.post("/numbers", content=numbers_body, headers=headers).json() == sum(
            range(30_000)
        )
        wrong = numbers_body.replace(b", 29000,", b', "x",', 1).replace(b",29000,", b',"x",', 1)
        refused = client.post("/numbers", content=wrong, headers=headers)
        assert refused.status_code == 422
        assert [e["loc"] for e in refused.json()["detail"]] == [["body", 29_000]]
        pairs_body = body([[i, i] for i in range(20_000)])
        assert client.post("/pairs", content=pairs_body, headers=headers).json() == 20_000


class Bounded(BaseModel):
    label: str
    items: list[Item] = Field(max_length=15_000)


class AtLeast(BaseModel):
    label: str
    items: list[Item] = Field(min_length=15_000)


BOUNDED: dict[str, object] = {  # route: the body's annotation
    "/most": Annotated[list[int], Body(max_length=25_000)],
    "/least": Annotated[list[int], Body(min_length=40_000)],
    "/keys": Annotated[dict[str, int], Field(max_length=25_000)],
    "/batch": Bounded,
    "/at-least": AtLeast,
}


AS_PYDANTIC: dict[str, object] = {  # what the routes' Body(...) says, in pydantic's terms
    "/most": Annotated[list[int], Field(max_length=25_000)],
    "/least": Annotated[list[int], Field(min_length=40_000)],
}


def bounded_app() -> App:
    router = Router()
    for path, annotation in BOUNDED.items():

        async def read(connection: Connection, value: object) -> int:
            return len(value.items if isinstance(value, BaseModel) else value)  # type: ignore[attr-defined, arg-type]  # a model's items, a list's or a dict's

        read.__annotations__ = {"connection": Connection, "value": annotation, "return": int}
        router.post(path, name=path)(read)
    return aaf([router])


def test_a_list_bounded_in_length_is_sliced_and_refused_in_pydantics_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    client = TestClient(bounded_app())
    headers = {"content-type": "application/json"}
    numbers = list(range(30_000))
    keys = {f"k{i}": i for i in range(30_000)}
    cases: list[tuple[str, object, int | None]] = [  # route, value, its length when accepted
        ("/most", numbers[:25_000], 25_000),
        ("/most", numbers, None),
        ("/least", numbers, None),
        ("/least", numbers + numbers[:10_000], 40_000),
        ("/keys", dict(list(keys.items())[:25_000]), 25_000),
        ("/keys", keys, None),
        ("/batch", {"label": "x", "items": GOOD[:15_000]}, 15_000),
        ("/batch", {"label": "x", "items": GOOD}, None),
        ("/at-least", {"label": "x", "items": GOOD[:15_000]}, 15_000),
        ("/at-least", {"label": "x", "items": GOOD[:14_999]}, None),
    ]
    for path, value, accepted in cases:
        data = json.dumps(value).encode()
        turns.clear()
        answer = client.post(path, content=data, headers=headers)
        assert len(turns) >= 4, path  # a slice at a time: 170 KB or more, 32 KiB a slice
        if accepted is not None:
            assert answer.json() == accepted
            continue
        # What pydantic says for the whole, but the input: the start of the list as sent.
        adapter = _readings.type_adapter(AS_PYDANTIC.get(path, BOUNDED[path]))
        with pytest.raises(ValidationError) as refused:
            adapter.validate_json(data)
        [expected] = refused.value.errors(include_url=False)
        [entry] = answer.json()["detail"]
        assert answer.status_code == 422
        assert entry["loc"] == ["body", *expected["loc"]]
        assert (entry["type"], entry["msg"]) == (expected["type"], expected["msg"])
        assert entry["ctx"] == expected.get("ctx")
        opening = b"[" if isinstance(value, list) or path in ("/batch", "/at-least") else b"{"
        sent = data[data.index(opening) :].decode()
        shown = entry["input"].removesuffix("...(truncated)")
        assert shown != entry["input"] and sent.startswith(shown) and len(shown) >= 400
    # A wrong item is reported where it is, as without a bound; README, "Differences from
    # FastAPI": in a list over its bound too (FastAPI, validating whole, says too_long).
    for size in (20_000, 30_000):
        wrong: list[object] = list(numbers[:size])
        wrong[19_000] = "x"
        answer = client.post("/most", content=json.dumps(wrong).encode(), headers=headers)
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
            ("int_parsing", ["body", 19_000])
        ]
    # A field bounded from below, read apart, has the model validated without that bound ([]
    # stands in for it); short, it is the model's own to refuse. (It was validated with the
    # model, 10 MB of items holding others 354-425 ms; now 3-5 ms.)
    over = {"items": GOOD, "pad": 1}  # over the bound, and no label
    answer = client.post("/batch", content=json.dumps(over).encode(), headers=headers)
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("missing", ["body", "label"]),
        ("too_long", ["body", "items"]),
    ]
    for value, wanted in (
        ({"items": GOOD}, [("missing", ["body", "label"])]),
        ({"label": "x", "items": [], "pad": GOOD}, [("too_short", ["body", "items"])]),
        (
            {"items": [], "label": 5, "pad": GOOD},
            [("string_type", ["body", "label"]), ("too_short", ["body", "items"])],
        ),
    ):
        answer = client.post("/at-least", content=json.dumps(value).encode(), headers=headers)
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == wanted


class Nonempty(BaseModel):
    """Fields bounded below, spelt the ways pydantic takes."""

    maybe: list[Item] | None = Field(None, min_length=2)
    annotated: Annotated[list[int], Len(1)] = [0]
    counts: dict[str, int] = Field({"a": 1}, min_length=1)
    aliased: list[str] = Field(["x"], alias="Aliased", min_length=1)


def test_fields_bounded_below_are_sliced_however_spelt(monkeypatch: pytest.MonkeyPatch) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/nonempty")
    async def nonempty(connection: Connection, body: Nonempty) -> dict[str, object]:
        return body.model_dump(mode="json")  # by name, as the comparison dumps it

    client = TestClient(aaf([router]))
    numbers = list(range(40_000))
    counts = {f"k{i}": i for i in range(30_000)}
    words = [f"w{i}" for i in range(40_000)]
    empty: dict[str, int] = {}
    cases: list[dict[str, object]] = [
        {"maybe": GOOD},
        {"annotated": numbers, "counts": counts},
        {"Aliased": words, "maybe": None},
        {"Aliased": [], "annotated": numbers},  # the short one refused by the model
        {"maybe": GOOD[:1], "counts": empty, "annotated": numbers},
        {"maybe": [*GOOD[:15_000], {"id": "x"}], "Aliased": ["y"]},
    ]
    for value in cases:
        assert_sliced_as_pydantic(client, "/nonempty", value, Nonempty, turns)


@pytest.mark.anyio
async def test_full_collections_are_held_while_large_lists_are_validated_then_restored() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    router = Router()

    @router.post("/items")
    async def items(connection: Connection, items: list[Item]) -> int:
        return len(items)

    @router.get("/threshold")
    async def threshold(connection: Connection) -> str:
        seen.append(gc.get_threshold())
        return "ok"

    async with AsyncTestClient(aaf([router])) as client:

        async def large(data: bytes) -> int:
            answer = await client.post(
                "/items", content=data, headers={"content-type": "application/json"}
            )
            return answer.status_code

        async def look() -> None:
            await asyncio.sleep(0.02)  # both lists are being validated by now
            await client.get("/threshold")

        huge = body([{"id": i, "name": "n"} for i in range(200_000)])
        wrong = huge.replace(b'"id": 150000', b'"id": "x"')
        statuses = await asyncio.gather(large(huge), large(wrong), look())
    assert list(statuses[:2]) == [200, 422]
    assert seen and seen[0][:2] == before[:2] and seen[0][2] > 1_000_000  # held meanwhile
    assert gc.get_threshold() == before  # restored once the last one was done, error or not


class Probe(BaseModel):
    n: int

    @field_validator("n")
    @classmethod
    def note_threshold(cls, value: int) -> int:
        THRESHOLDS.add(gc.get_threshold()[2])
        return value


class Wrapped(BaseModel):
    probes: list[Probe]


THRESHOLDS: set[int] = set()


def test_a_large_body_validated_in_one_piece_holds_full_collections_too() -> None:
    # A model holding a large list is validated in one call: full collections set off by
    # its growing objects would lengthen that stall (0.75 s against 0.34 s at 400,000 items).
    router = Router()

    @router.post("/wrapped")
    async def wrapped(connection: Connection, body: Wrapped) -> int:
        return len(body.probes)

    before = gc.get_threshold()
    client = TestClient(aaf([router]))
    THRESHOLDS.clear()
    small = client.post("/wrapped", json={"probes": [{"n": 1}]})
    assert small.json() == 1 and THRESHOLDS == {before[2]}  # small bodies: nothing held
    THRESHOLDS.clear()
    large = client.post("/wrapped", json={"probes": [{"n": i} for i in range(10_000)]})
    assert large.json() == 10_000 and THRESHOLDS == {1 << 30}
    assert gc.get_threshold() == before


def test_holds_that_overlap_for_too_long_let_one_full_collection_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patch_body_modules(monkeypatch, "MAX_HOLD_SECONDS", 0.0)
    full: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(note)
    try:
        with _slices.full_collections_held():
            assert full == []
            with _slices.full_collections_held():  # held "too long" already: one goes through
                assert len(full) == 1
    finally:
        gc.callbacks.remove(note)


def test_a_large_list_is_freed_after_the_response_unless_the_handler_kept_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Freed a slice at a time, a turn of the event loop after each: count the turns.
    turns = count_turns(monkeypatch, _dispatch)
    kept: list[list[Item]] = []
    router = Router()

    @router.post("/keep")
    async def keep(connection: Connection, items: list[Item]) -> int:
        kept.append(items)
        return len(items)

    @router.post("/drop")
    async def drop(connection: Connection, items: list[Item]) -> int:
        return len(items)

    @router.post("/answer")
    async def answer(connection: Connection, items: list[Item]) -> HttpResponse:
        return HttpResponse(str(len(items)))

    client = TestClient(aaf([router]))
    data = body([{"id": i, "name": "n"} for i in range(20_000)])
    headers = {"content-type": "application/json"}
    assert client.post("/keep", content=data, headers=headers).json() == 20_000
    assert turns == [] and len(kept[0]) == 20_000  # the handler's list is left whole
    assert client.post("/drop", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5  # 20,000 items, 4,096 a turn
    turns.clear()
    assert client.post("/answer", content=data, headers=headers).text == "20000"
    assert turns == [0] * 5  # a response returned is no different
    small = body([{"id": i, "name": "n"} for i in range(100)])
    turns.clear()
    assert client.post("/drop", content=small, headers=headers).json() == 100
    assert turns == []  # a small list is freed at once


def test_a_refused_large_list_is_let_go_a_slice_at_a_time_after_the_422(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wrong item at the end of 20,000: the 19,999 validated before it went in one piece
    # (400,000 models held the event loop about 50 ms).
    turns = count_turns(monkeypatch, _dispatch)
    client = TestClient(make_app())
    items = [{"id": i, "name": "n"} for i in range(20_000)]
    items[-1] = {"id": "x", "name": "n"}
    status, answer = post(client, body(items))
    assert (status, answer["detail"][0]["loc"]) == (422, ["body", 19_999, "id"])
    assert turns == [0] * 5  # 19,999 models, 4,096 a turn
    turns.clear()
    items[5] = {"id": "x", "name": "n"}  # refused in its first slice: little to let go
    assert post(client, body(items))[0] == 422 and turns == []


def test_a_refused_large_models_lists_are_let_go_a_slice_at_a_time_after_the_422(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its lists are read apart first, and its label, validated last, is wrong: the 20,000
    # models read went at once (420,000 held the event loop about 55 ms).
    turns = count_turns(monkeypatch, _dispatch)
    client = TestClient(order_app())
    data = json.dumps({"orderLines": GOOD, "label": 5}).encode()
    answer = client.post("/orders", content=data, headers={"content-type": "application/json"})
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("string_type", ["body", "label"])
    ]
    assert turns == [0] * 5  # 20,000 models, 4,096 a turn


def test_a_valid_large_body_beside_a_refused_value_is_let_go_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The body is valid, a query value is not: the 422 leaves 20,000 validated models behind.
    turns = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/orders")
    async def orders(connection: Connection, order: Order, page: int = 1) -> int:
        return len(order.lines)

    @router.post("/items")
    async def items(connection: Connection, items: list[Item], page: int = 1) -> int:
        return len(items)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    for path, data in (
        ("/orders", json.dumps({"label": "x", "orderLines": GOOD}).encode()),
        ("/items", body(GOOD)),
    ):
        turns.clear()
        answer = client.post(path + "?page=x", content=data, headers=headers)
        assert [e["loc"] for e in answer.json()["detail"]] == [["query", "page"]]
        assert turns == [0] * 5, path  # 20,000 models, 4,096 a turn


def test_a_field_missing_from_a_large_model_echoes_the_start_of_what_was_sent() -> None:
    # The model was given the object with its long list read apart, and a 422 for a missing
    # field echoed that: {"orderLines": []}, as if the list had been empty.
    client = TestClient(order_app())
    data = json.dumps({"orderLines": GOOD, "notes": ["n"]})
    answer = client.post(
        "/orders", content=data.encode(), headers={"content-type": "application/json"}
    )
    [entry] = answer.json()["detail"]
    assert (entry["type"], entry["loc"]) == ("missing", ["body", "label"])
    echoed = entry["input"]
    assert isinstance(echoed, str) and echoed.endswith("...(truncated)")
    assert data.startswith(echoed.removesuffix("...(truncated)"))
    assert len(json.dumps(echoed)) <= 1024
    # A wrong item in the list still echoes that item.
    wrong = json.dumps({"label": "x", "orderLines": [*GOOD[:500], {"id": 1}]}).encode()
    answer = client.post("/orders", content=wrong, headers={"content-type": "application/json"})
    assert answer.json()["detail"][0]["input"] == {"id": 1}


def test_broken_json_in_the_middle_of_a_large_list_is_found_without_reading_it_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A comma missing between two items half way: Python's decoder, reading item by item,
    # could not tell it from a window's end, and the body was validated in one piece.
    app = make_app()
    client = TestClient(app)
    match = app.routers[0].resolve("/items", "POST")
    assert type(match) is tuple
    plan_body = match[0].plans["POST"].body
    assert plan_body is not None
    whole: list[int] = []
    real = plan_body.fail_fast

    class Watched:
        def validate_json(self, data: bytes) -> object:
            whole.append(len(data))
            return real.validate_json(data)

    object.__setattr__(plan_body, "fail_fast", Watched())  # this test's own app's plan
    good = body(GOOD).decode()
    for broken in (
        good.replace('},{"id": 10000,', '} {"id": 10000,', 1),
        good.replace('"name": "item 10000"', '"name": item 10000', 1),
        good.replace('{"id": 10000,', '{"id": 10000,,', 1),
        good.replace('{"id": 10000,', '{"id": 10000 "x": 1,', 1),
        good.replace('"item 10000"', '"item \\x"', 1),
    ):
        status, answer = post(client, broken.encode())
        with pytest.raises(json.JSONDecodeError) as python:
            json.loads(broken)
        [entry] = answer["detail"]
        assert (status, entry["type"]) == (422, "json_invalid")
        assert (entry["loc"], entry["ctx"]["error"]) == (
            ["body", python.value.pos],
            python.value.msg,
        )
    assert whole == []


def test_a_large_body_read_whole_says_where_it_breaks_as_python_does_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A list with a validator of its own is validated in one piece; past 64 KiB, where the
    # JSON breaks was pydantic's place and reason ("trailing comma"), as Python's parse of
    # it all over again held the event loop 0.1 s for 10 MB. It is found a slice at a time,
    # in Python's words at Python's place, as FastAPI says them.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/few")
    async def few(
        connection: Connection, values: Annotated[list[int], Body(), AfterValidator(sorted)]
    ) -> int:
        return len(values)

    client = TestClient(aaf([router]))
    parsed: list[int] = []
    real_loads = json.loads

    def loads(data: str | bytes) -> object:
        parsed.append(len(data))
        return real_loads(data)

    patch_body_modules(
        monkeypatch, "json", SimpleNamespace(loads=loads, JSONDecodeError=json.JSONDecodeError)
    )
    numbers = "[" + ",".join(str(i) for i in range(40_000))
    cases = [numbers + ",]", numbers + "]\n x", '["é",\n' + numbers[1:] + ",]"]  # not ASCII
    for data in cases:
        turns.clear()
        answer = client.post(
            "/few", content=data.encode(), headers={"content-type": "application/json"}
        )
        [entry] = answer.json()["detail"]
        with pytest.raises(json.JSONDecodeError) as python:
            real_loads(data)
        assert (entry["loc"], entry["ctx"]["error"]) == (
            ["body", python.value.pos],
            python.value.msg,
        )
        assert len(turns) >= 5
    assert all(size < 64 * 1024 for size in parsed)  # never the whole body in one piece


# A model body holding a large list: the list is sliced, the rest validated in one call --------
class Order(BaseModel):
    label: str
    lines: list[Item] = Field(alias="orderLines")
    notes: list[str] = []
    note: str = ""
    returns: list[Item] = []
    by_sku: dict[str, Item] = {}
    batches: list[list[Item]] = []


class LowerKeys(BaseModel):
    """The config lowers strings, a dict's keys too: such a dict is validated in one piece."""

    model_config = ConfigDict(str_to_lower=True)
    by_sku: dict[str, Item]
    nested: dict[str, dict[str, int]] = {}
    rows: list[dict[str, float]] = []


class Checked(BaseModel):
    """A model validator sees the whole model: such a model is validated in one piece."""

    lines: list[Item]

    @model_validator(mode="after")
    def has_lines(self) -> Checked:
        if not self.lines:
            raise ValueError("an order needs lines")
        return self


class Tally(BaseModel):
    """Plain values in bulk: sliced as lists of models are."""

    label: str
    counts: dict[str, int] = {}
    numbers: list[float] = []
    flags: list[bool] = []
    words: list[str] = []
    series: dict[str, list[int]] = {}
    grid: list[list[float]] = []
    nested: dict[str, dict[str, int]] = {}
    rows: list[dict[str, float]] = []


class StrictTally(BaseModel):
    """A config that changes how plain values validate: validated in one piece."""

    model_config = ConfigDict(strict=True)
    numbers: list[int]


def order_app() -> App:
    router = Router()

    @router.post("/orders")
    async def orders(connection: Connection, order: Order) -> Order:
        return order

    @router.post("/checked")
    async def checked(connection: Connection, order: Checked) -> int:
        return len(order.lines)

    @router.post("/lower")
    async def lower(connection: Connection, order: LowerKeys) -> LowerKeys:
        return order

    @router.post("/tally")
    async def tally(connection: Connection, tally: Tally) -> Tally:
        return tally

    @router.post("/strict")
    async def strict(connection: Connection, tally: StrictTally) -> int:
        return len(tally.numbers)

    @router.get("/ping")
    async def ping(connection: Connection) -> str:
        return "pong"

    return aaf([router])


def test_a_large_body_of_the_other_kind_is_refused_without_building_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 10 MB array where a model was expected (or an object where a list was) was validated
    # whole: pydantic built the whole input its error echoes, 355-363 ms of one call. It is
    # checked for being JSON a slice at a time, then refused with pydantic's error for an
    # empty one of its kind, echoing the start of what was sent.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/batch")
    async def batch(connection: Connection, body: Batch) -> int:
        return len(body.items)

    @router.post("/items")
    async def items(connection: Connection, body: list[Item]) -> int:
        return len(body)

    @router.post("/by-name")
    async def by_name(connection: Connection, body: dict[str, Item] | None = None) -> int:
        return 0 if body is None else len(body)

    @router.post("/deque")
    async def in_a_deque(connection: Connection, body: deque[Item]) -> int:
        return len(body)

    client = TestClient(aaf([router]))
    by_key = {f"k{i}": item for i, item in enumerate(GOOD)}
    cases: list[tuple[str, object, object]] = [
        ("/batch", GOOD, Batch),
        ("/items", by_key, list[Item]),
        ("/by-name", GOOD, dict[str, Item] | None),
        ("/deque", by_key, deque[Item]),
    ]
    for path, value, kind in cases:
        data = json.dumps(value).encode()
        turns.clear()
        answer = client.post(path, content=data, headers={"content-type": "application/json"})
        assert answer.status_code == 422 and len(turns) >= 5, path
        with pytest.raises(ValidationError) as refused:
            _readings.type_adapter(kind).validate_json(data)
        wanted = [(e["type"], ["body", *e["loc"]], e["msg"]) for e in refused.value.errors()]
        got = [(e["type"], e["loc"], e["msg"]) for e in answer.json()["detail"]]
        assert got == wanted, path
        [entry] = answer.json()["detail"]
        assert entry["input"].endswith("...(truncated)")
        assert data.decode().startswith(entry["input"].removesuffix("...(truncated)"))
    # Not JSON, or something after it: validated whole, which says why (pydantic's place).
    for data in (body(GOOD)[:-1], body(GOOD) + b" 1"):
        answer = client.post("/batch", content=data, headers={"content-type": "application/json"})
        assert [e["type"] for e in answer.json()["detail"]] == ["json_invalid"]


class Kinds(BaseModel):
    """Fields each refusing a JSON array, an object or both, whatever they hold; and some
    taking either."""

    label: str = ""
    lines: list[Item] = []
    counts: dict[str, int] = {}
    data: Batch | None = None
    either: int | list[int] = 0
    anything: Any = None
    name_or_lines: str | list[Item] = ""


class Collections(BaseModel):
    """Fields of the collections pydantic 2.14 gives schemas of their own."""

    queue: deque[int] = deque()
    words: Counter[str] = Counter()
    ordered: OrderedDict[str, int] = OrderedDict()


def test_a_long_value_of_a_kind_its_field_refuses_is_refused_without_building_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 10 MB array for a model's `str` or `dict` field (or an object for a `list` field, an
    # array for a field holding a model) had the body validated whole: pydantic built the
    # input its error echoes, 400-570 ms of one call. It is checked for being JSON a slice at
    # a time and the one call given an empty one in its place; the same for a list's item.
    # And for a deque's, a Counter's or an OrderedDict's field (an object for the first, an
    # array for the others), once read in one call: 0.2-0.3 s, where a list's or a dict's
    # field took 0.07-0.1 s.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/kinds")
    async def kinds(connection: Connection, body: Kinds) -> Kinds:
        return body

    @router.post("/collections")
    async def collections(connection: Connection, body: Collections) -> Collections:
        return body

    @router.post("/items")
    async def items(connection: Connection, body: list[Item]) -> list[Item]:
        return body

    @router.post("/by-name")
    async def by_name(connection: Connection, body: dict[str, list[int]]) -> int:
        return len(body)

    client = TestClient(aaf([router]))
    objects = {f"k{i}": item for i, item in enumerate(GOOD)}
    numbers = list(range(100_000))
    cases: list[tuple[str, object, object, bool]] = [
        ("/kinds", {"label": GOOD}, Kinds, True),
        ("/kinds", {"label": objects, "lines": GOOD[:2]}, Kinds, True),
        ("/kinds", {"lines": objects, "counts": GOOD, "label": 5}, Kinds, True),
        ("/kinds", {"data": GOOD}, Kinds, True),
        ("/kinds", {"either": objects}, Kinds, True),  # a union's every member's error
        ("/kinds", {"name_or_lines": objects}, Kinds, True),
        # Taken by the field: read as before.
        ("/kinds", {"either": numbers}, Kinds, False),
        ("/kinds", {"anything": GOOD}, Kinds, False),
        ("/kinds", {"name_or_lines": GOOD}, Kinds, False),
        # A key given twice: the last is the one pydantic reads, and the one call's too.
        ("/kinds", {"label": "x", "counts": GOOD}, Kinds, True),
        ("/items", [*GOOD[:5], GOOD, *GOOD[:5]], list[Item], True),
        ("/items", [*GOOD[:5], objects], list[Item], True),
        ("/by-name", {"a": numbers[:5], "b": objects, "c": []}, dict[str, list[int]], True),
        ("/collections", {"queue": objects}, Collections, True),
        ("/collections", {"words": GOOD}, Collections, True),
        ("/collections", {"ordered": GOOD, "queue": [1]}, Collections, True),
    ]
    for path, value, kind, refused in cases:
        turns.clear()
        data = json.dumps(value).encode()
        assert_answered_as_pydantic(client, path, data, kind)
        if refused:
            assert len(turns) >= 5, (path, data[:60])
    duplicated = b'{"counts": ' + json.dumps(GOOD).encode() + b', "counts": {"a": 1}}'
    assert_answered_as_pydantic(client, "/kinds", duplicated, Kinds)
    # Each error echoes the start of the value as sent, as pydantic's echoes the value.
    for path, value, at in (
        ("/kinds", {"label": "x", "counts": GOOD}, ["body", "counts"]),
        ("/items", [GOOD[0], GOOD], ["body", 1]),
    ):
        sent = json.dumps(value)
        answer = client.post(path, content=sent, headers={"content-type": "application/json"})
        [entry] = answer.json()["detail"]
        assert entry["loc"] == at
        assert sent[sent.index("[", 2) :].startswith(entry["input"].removesuffix("...(truncated)"))


class Cat(BaseModel):
    kind: Literal["cat"]
    items: list[Item] = []
    name: str = ""


class Dog(BaseModel):
    kind: Literal["dog", "puppy"]
    bones: dict[str, int] = {}
    items: list[Item] = []

    @model_validator(mode="after")
    def counted(self) -> Dog:
        self.bones["items"] = len(self.items)
        return self


class Bird(BaseModel):
    """Read whole: a validator before it sees the input as sent."""

    kind: Literal["bird"]
    items: list[Item] = []

    @model_validator(mode="before")
    @classmethod
    def as_sent(cls, data: object) -> object:
        return data


Pet = Annotated[Cat | Dog | Bird, Field(discriminator="kind")]
MaybePet = Union[Pet, None]  # noqa: UP007  # `|` on an Annotated alias is not for type checkers


def test_a_union_of_models_told_apart_by_a_tag_is_read_as_the_model_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `Annotated[Cat | Dog, Field(discriminator="kind")]` was validated whole: 10 MB held
    # other clients 360 ms, and a missing or unknown tag as long (pydantic built the input
    # its error echoes). The tag is found among the members (a long member before it read
    # past a slice at a time), then the object read as the model it names.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/pets")
    async def pets(connection: Connection, pet: Pet) -> Pet:
        return pet

    @router.post("/maybe")
    async def maybe(connection: Connection, pet: MaybePet = None) -> MaybePet:
        return pet

    client = TestClient(aaf([router]))
    by_key = {f"k{i}": i for i in range(40_000)}
    cases: list[tuple[str, object, object, bool]] = [
        ("/pets", {"kind": "cat", "items": GOOD}, Pet, True),
        ("/pets", {"items": GOOD, "name": "n", "kind": "cat"}, Pet, True),  # the tag last
        ("/pets", {"kind": "puppy", "bones": by_key, "items": GOOD}, Pet, True),
        ("/pets", {"kind": "cat", "items": WRONG_ITEM}, Pet, True),
        ("/pets", {"items": WRONG_ITEM, "kind": "dog", "bones": 5}, Pet, True),
        ("/pets", {"items": GOOD}, Pet, True),  # no tag
        ("/pets", {"kind": "fish", "items": GOOD}, Pet, True),  # unknown
        ("/pets", {"items": GOOD, "kind": 5}, Pet, True),
        ("/pets", {"kind": "bird", "items": GOOD}, Pet, False),  # a model read whole
        ("/pets", GOOD, Pet, True),  # not an object
        ("/maybe", {"kind": "dog", "items": GOOD}, MaybePet, True),
    ]
    for path, value, kind, sliced in cases:
        assert_sliced_as_pydantic(client, path, value, kind, turns, sliced)
    # The tag given twice: the last is the one pydantic reads (the object is read again).
    for data in (
        b'{"kind": "cat", "items": ' + json.dumps(GOOD).encode() + b', "kind": "dog"}',
        b'{"kind": "dog", "items": ' + json.dumps(WRONG_ITEM).encode() + b', "kind": "cat"}',
        b'{"kind": "dog", "items": ' + json.dumps(GOOD).encode() + b', "kind": "fish"}',
    ):
        turns.clear()
        assert_answered_as_pydantic(client, "/pets", data, Pet)
        assert len(turns) >= 5
    # A model the first tag names that takes the last one too is read whole twice: what the
    # first reading made is let go a slice at a time after the response (20,000 items, 4,096
    # a turn), not in one piece (71 ms held for 420,000).
    freed = count_turns(monkeypatch, _dispatch)
    data = b'{"kind": "dog", "items": ' + json.dumps(GOOD).encode() + b', "kind": "puppy"}'
    assert client.post("/pets", content=data, headers=JSON).json()["kind"] == "puppy"
    assert len(freed) >= 10  # the model returned, and the one read first
    # An unknown tag's message as pydantic's; a long one's cut, as any long input is.
    data = json.dumps({"kind": "fish", "items": GOOD}).encode()
    [entry] = client.post("/pets", content=data, headers=JSON).json()["detail"]
    with pytest.raises(ValidationError) as refused:
        _readings.type_adapter(Pet).validate_json(data)
    assert entry["msg"] == refused.value.errors()[0]["msg"]
    assert entry["input"].endswith("...(truncated)")
    data = json.dumps({"kind": GOOD}).encode()
    [entry] = client.post("/pets", content=data, headers=JSON).json()["detail"]
    assert entry["type"] == "union_tag_invalid" and len(entry["msg"]) < 2 * 1024


JSON = {"content-type": "application/json"}


class Event(BaseModel):
    """A union told apart by a tag as a model's field."""

    id: int = 0
    pet: Pet
    note: str = ""


def test_a_field_holding_a_union_told_apart_by_a_tag_is_read_as_the_model_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # {"pet": {"kind": "cat", "items": [...]}} had the rest of the body from the field on
    # validated in one piece. A long object for it is read as the model its tag names,
    # null standing in for it in the one call, errors under the field and the tag.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/events")
    async def events(connection: Connection, event: Event) -> Event:
        return event

    client = TestClient(aaf([router]))
    cases: list[tuple[object, bool]] = [
        ({"id": 1, "pet": {"kind": "cat", "items": GOOD}, "note": "n"}, True),
        ({"pet": {"items": GOOD, "kind": "puppy"}}, True),  # the tag last
        ({"pet": {"kind": "dog", "items": WRONG_ITEM}, "id": "x"}, True),  # every field wrong
        ({"pet": {"kind": "fish", "items": GOOD}, "note": 5}, True),  # an unknown tag
        ({"pet": {"items": GOOD}}, True),  # no tag
        ({"pet": {"kind": "bird", "items": GOOD}}, False),  # a model read whole
        ({"pet": {"kind": "cat", "items": []}, "pad": GOOD}, True),  # short: the model's own
    ]
    for value, sliced in cases:
        assert_sliced_as_pydantic(client, "/events", value, Event, turns, sliced)
    twice = b'{"pet": {"kind": "cat", "items": ' + json.dumps(GOOD).encode() + b', "kind": "dog"}}'
    assert_answered_as_pydantic(client, "/events", twice, Event)


class Boxed(BaseModel):
    label: str
    items: list[Item]


class Tallied(BaseModel):
    label: str
    items: list[Item]
    count: int = 0


class Barks(BaseModel):
    label: str
    barks: bool


class KeepsExtras(BaseModel):
    """Extras kept: pydantic does not count them among the fields set."""

    model_config = ConfigDict(extra="allow")

    label: str


class Rewritten(BaseModel):
    """A validator that sees the object as sent: read whole."""

    items: list[Item]

    @model_validator(mode="before")
    @classmethod
    def as_sent(cls, value: object) -> object:
        return value


def routes_of(kinds: Mapping[str, object], marker: object = None) -> TestClient:
    """A client of an app answering a POST at each path of ``kinds`` with ``[the body's type
    name, the body]``, the body of that path's type (marked ``marker``, when given)."""
    router = Router()
    for path, kind in kinds.items():

        async def handler(connection: Connection, body: object) -> object:
            return [type(body).__name__, body]

        annotation = kind if marker is None else annotated(kind, marker)
        handler.__annotations__ = {
            "connection": Connection,
            "body": annotation,
            "return": list[Any],
        }
        router.post(path, name=path)(handler)
    return TestClient(aaf([router]))


def assert_named_as_pydantic(
    client: TestClient, path: str, data: bytes, kind: object
) -> list[dict[str, Any]] | None:
    """Posting ``data`` to a route of ``routes_of`` answers what pydantic's validation of
    ``kind`` gives past 64 KiB (each collection stopping at its first error): ``[its type's
    name, its value]``, or its errors' types and places under "body", each echoing at most
    1 KiB of JSON. Where pydantic says it is not JSON, gives the 422's entries instead, for
    the caller to check where aaf places that."""
    answer = client.post(path, content=data, headers=JSON)
    adapter = _readings.type_adapter(kind)
    try:
        expected = fail_fast_validator(adapter).validate_json(data)
    except ValidationError as exc:
        entries: list[dict[str, Any]] = answer.json()["detail"]
        if exc.errors()[0]["type"] == "json_invalid":
            return entries
        wanted = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
        assert [(e["type"], e["loc"]) for e in entries] == wanted, (path, data[:60])
        assert all(len(json.dumps(e["input"])) <= 1024 for e in entries)
    else:
        dumped = adapter.dump_python(expected, mode="json")
        assert answer.json() == [type(expected).__name__, dumped], (path, data[:60])
    return None


def assert_not_json_where_python_says(entries: list[dict[str, Any]], data: bytes) -> None:
    """``entries`` (a 422's) say ``data`` is not JSON at Python's place, in Python's words."""
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(data)
    [entry] = entries
    assert entry["loc"] == ["body", caught.value.pos]
    assert entry["ctx"]["error"] == caught.value.msg


def test_a_union_of_models_without_a_tag_is_read_as_each_and_chosen_as_pydantic_chooses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Validated whole, a body no model took held other clients 1.2 s (pydantic gave each
    # model the 10 MB input to echo), one they took 0.47 s. Each model reads it a slice at a
    # time; the choice is pydantic's: the first that takes it, left to right; in smart mode
    # the one with the most fields set (a tie is validated whole: pydantic decides it by how
    # exactly each matched). None taking it, each model's errors under its label.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kinds: dict[str, object] = {
        "/boxed-barks": Boxed | Barks,
        "/barks-boxed": Barks | Boxed,
        "/tallied": Boxed | Tallied,
        "/in-order": Annotated[Tallied | Boxed, Field(union_mode="left_to_right")],
        "/optional": Boxed | Barks | None,
        "/loose": KeepsExtras | Tallied,
        "/whole": Boxed | Rewritten,
        "/boxed": Boxed,
    }
    client = routes_of(kinds)
    cases: list[tuple[str, object, bool | None]] = [
        ("/boxed-barks", {"label": "x", "items": GOOD}, True),
        ("/barks-boxed", {"items": GOOD, "label": "x", "barks": True, "pad": GOOD}, None),
        ("/boxed-barks", {"label": "x", "barks": False, "pad": GOOD}, True),
        ("/boxed-barks", {"items": WRONG_ITEM}, True),
        ("/barks-boxed", {"label": 5, "items": GOOD, "barks": "x"}, True),
        ("/tallied", {"label": "x", "items": GOOD, "count": 3}, True),
        ("/tallied", {"count": 3, "label": "x", "items": WRONG_ITEM}, True),
        ("/tallied", {"label": "x", "items": GOOD}, None),  # a tie: the first, validated whole
        ("/in-order", {"label": "x", "items": GOOD}, True),
        ("/in-order", {"label": "x", "items": WRONG_ITEM}, True),
        ("/optional", {"label": "x", "barks": False, "pad": GOOD}, True),
        ("/optional", {"pad": GOOD}, True),
        ("/loose", {"label": "x", "items": GOOD, "a": 1, "b": 2, "c": 3}, True),
        ("/whole", {"label": "x", "items": GOOD}, False),
    ]
    sent = [(path, json.dumps(value).encode(), sliced) for path, value, sliced in cases]
    body = json.dumps({"label": "x", "items": GOOD}).encode()
    sent += [
        ("/boxed-barks", json.dumps(GOOD).encode(), True),  # an array: refused as pydantic does
        ("/boxed-barks", body[:-1], True),  # not JSON
        ("/boxed-barks", body + b" 1", True),  # something after the object
    ]
    for path, data, sliced in sent:
        turns.clear()
        entries = assert_named_as_pydantic(client, path, data, kinds[path])
        if entries is not None:  # not JSON: said as for a body of the first model
            alone = client.post("/boxed", content=data, headers=JSON).json()["detail"]
            assert entries == alone
            continue
        if sliced is not None:
            assert (len(turns) >= 5) is sliced, (path, data[:60])


def kept_whole(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of long members that the reading keeps for the one call (validated there in
    one piece), or that have it validate the whole object in one piece, as requests come."""
    kept: list[str] = []
    original = _slices._long_member  # pyright: ignore[reportPrivateUsage]

    async def spy(reading: ModelReading, key: str, *args: Any) -> tuple[int, bytes | None]:
        end, stand_in = await original(reading, key, *args)
        if end in (_slices._FAR, -1):  # pyright: ignore[reportPrivateUsage]  # (-1: all of it)
            kept.append(key)
        return end, stand_in

    patch_body_modules(monkeypatch, "_long_member", spy)
    return kept


class Parcel(BaseModel):
    ref: int
    content: Boxed | Barks
    maybe: Boxed | Tallied | None = None


def test_a_models_field_holding_a_union_without_a_tag_is_read_as_each_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long object for the field was validated with the rest of the body in one piece:
    # 10 MB no model took held other clients 0.74-0.89 s. It is read as each model in turn,
    # chosen as pydantic chooses, null standing in for it in the one call.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kept = kept_whole(monkeypatch)
    router = Router()

    @router.post("/parcels")
    async def parcels(connection: Connection, parcel: Parcel) -> Parcel:
        return parcel

    client = TestClient(aaf([router]))
    cases: list[tuple[object, bool]] = [
        ({"ref": 1, "content": {"label": "x", "items": GOOD}}, True),
        ({"content": {"items": WRONG_ITEM}, "ref": 1}, True),
        ({"ref": "x", "content": {"label": "x", "barks": True, "pad": GOOD}}, True),
        ({"ref": 1, "content": {"pad": GOOD}, "maybe": {"label": 5}}, True),
        ({"ref": 1, "content": {"label": "x", "barks": False}, "maybe": {"items": GOOD}}, True),
        (
            {
                "ref": 1,
                "content": {"label": "x", "barks": False},
                "maybe": {"label": "x", "items": GOOD, "count": 2},
            },
            True,
        ),
        (
            {
                "ref": 1,
                "content": {"label": "x", "barks": False},
                "maybe": {"label": "x", "items": GOOD},
            },
            True,
        ),  # a tie: whole
    ]
    for value, sliced in cases:
        kept.clear()
        assert_sliced_as_pydantic(client, "/parcels", value, Parcel, turns, sliced)
        tie = value.get("maybe") == {"label": "x", "items": GOOD}  # type: ignore[attr-defined]
        assert kept == (["maybe"] if tie else []), value


class OneOrMany(BaseModel):
    ref: int
    lines: list[Item] | Item
    maybe: Item | list[Item] | None = None
    tags: str | list[str] = ""
    ids: int | list[int] | None = None


def test_a_models_field_of_a_list_or_a_model_reads_an_array_as_the_list_an_object_as_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Validated with the rest of the body in one piece, 10 MB of objects the model did not
    # take held other clients 0.74-0.89 s (pydantic gave each member the input to echo).
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kept = kept_whole(monkeypatch)
    router = Router()

    @router.post("/lines")
    async def lines(connection: Connection, body: OneOrMany) -> OneOrMany:
        return body

    client = TestClient(aaf([router]))
    pad: dict[str, object] = {f"k{i}": i for i in range(40_000)}
    cases: list[dict[str, object]] = [
        {"ref": 1, "lines": GOOD},
        {"ref": 1, "lines": WRONG_ITEM},
        {"ref": 1, "lines": {"id": 1, "name": "n", **pad}},
        {"ref": 1, "lines": {"id": "x", **pad}},
        {"ref": "x", "lines": {"id": 1, "name": "n", **pad}, "maybe": GOOD},
        {"ref": 1, "lines": [], "maybe": WRONG_ITEM},
        {"ref": 1, "lines": [], "maybe": {"name": 5, **pad}},
        {"ref": 1, "lines": [], "tags": [f"t{i}" for i in range(60_000)]},
        {"ref": 1, "lines": [], "tags": [*(f"t{i}" for i in range(60_000)), 5]},
        {"ref": 1, "lines": [], "ids": list(range(100_000))},
        {"ref": 1, "lines": [], "ids": [*range(100_000), "x"], "tags": pad},
    ]
    for value in cases:
        kept.clear()
        assert_sliced_as_pydantic(client, "/lines", value, OneOrMany, turns)
        assert kept == [], value


def test_a_body_of_a_list_or_a_model_reads_an_array_as_the_list_an_object_as_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One or many, as APIs take a batch: validated whole, 10 MB of models held other clients
    # 565 ms, and 632 ms with a wrong one last.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kinds: dict[str, object] = {
        "/one-or-many": list[Item] | Item,
        "/maybe": Item | list[Item] | None,
        "/words": str | list[str],
        "/lists": list[int] | list[str],  # two members take arrays: validated whole
    }
    client = routes_of(kinds, Body())
    pad: dict[str, object] = {f"k{i}": i for i in range(40_000)}
    words = [f"w{i}" for i in range(60_000)]
    cases: list[tuple[str, object, bool]] = [
        ("/one-or-many", GOOD, True),
        ("/one-or-many", WRONG_ITEM, True),
        ("/one-or-many", {"id": 1, "name": "n", **pad}, True),
        ("/one-or-many", {"id": "x", **pad}, True),
        ("/maybe", GOOD, True),
        ("/maybe", {"name": 5, **pad}, True),
        ("/words", words, True),
        ("/words", [*words, 5], True),
        ("/words", pad, True),  # an object no member takes: refused as pydantic refuses it
        ("/lists", words, False),
    ]
    sent = [(path, json.dumps(value).encode(), sliced) for path, value, sliced in cases]
    data = json.dumps(GOOD).encode()
    sent += [("/one-or-many", data[:-1], True), ("/one-or-many", data + b" 1", True)]
    for path, body, sliced in sent:
        turns.clear()
        entries = assert_named_as_pydantic(client, path, body, kinds[path])
        if entries is not None:  # at Python's place, as any list body's
            with pytest.raises(json.JSONDecodeError) as caught:
                json.loads(body)
            assert [(e["type"], e["loc"]) for e in entries] == [
                ("json_invalid", ["body", caught.value.pos])
            ]
        assert (len(turns) >= 5) is sliced, (path, body[:60])


_UNION_FIELDS: dict[str, object] = {"a": int, "b": str, "c": list[Item], "d": float}
_UNION_DEFAULTS: dict[str, object] = {"a": 0, "b": "", "c": [], "d": 0.0}
_UNION_VALUES: list[object] = [1, "1", "x", 1.0, 1.5, True, None, GOOD[:3], [{"id": "x"}]]


def _union_model(name: str, shape: dict[str, bool]) -> type[BaseModel]:
    """A model of the fields ``shape`` names, each with a default where it says ``True``."""
    fields: dict[str, Any] = {
        key: (_UNION_FIELDS[key], _UNION_DEFAULTS[key] if default else ...)
        for key, default in shape.items()
    }
    return create_model(name, **fields)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(sorted(_UNION_FIELDS)), st.booleans(), min_size=1, max_size=4
        ),
        min_size=2,
        max_size=3,
    ),
    st.dictionaries(st.sampled_from([*sorted(_UNION_FIELDS), "e"]), st.sampled_from(_UNION_VALUES)),
    st.booleans(),
)
def test_a_union_without_a_tag_read_as_each_model_is_what_pydantic_chooses(
    shapes: list[dict[str, bool]], value: dict[str, object], smart: bool
) -> None:
    """Models of a few fields each (``True``: with a default), a body of some of their keys
    (and one none has) padded past 64 KiB: what the reading gives is what pydantic does."""
    models = tuple(_union_model(f"M{i}", shape) for i, shape in enumerate(shapes))
    union = cast("object", getattr(Union, "__getitem__")(models))  # noqa: B009  # Union[models]
    in_order = Field(union_mode="left_to_right")
    kind = union if smart else annotated(union, in_order)
    adapter = _readings.type_adapter(kind)
    body = _plan.json_param("body", kind, adapter)
    assert body.union is not None
    data = json.dumps({**value, "pad": list(range(20_000))}).encode()
    errors: list[dict[str, object]] = []
    read = asyncio.run(_extract.read_large_json(body, data, errors, []))
    try:
        expected = fail_fast_validator(adapter).validate_json(data)
    except ValidationError as exc:
        assert read is _extract.REFUSED
        assert [(e["type"], e["loc"]) for e in errors] == [
            (e["type"], ["body", *e["loc"]]) for e in exc.errors()
        ]
    else:
        assert type(read) is type(expected)
        assert cast("BaseModel", read).model_dump() == cast("BaseModel", expected).model_dump()


MODES: list[str] = []  # what info.mode said to the validators below


class Unwrapped(BaseModel):
    """A validator of mode "before" that takes the object as sent, or a list for its items."""

    label: str = "none"
    items: list[Item]

    @model_validator(mode="before")
    @classmethod
    def from_list(cls, value: object, info: ValidationInfo) -> object:
        MODES.append(info.mode)
        return {"items": cast("object", value)} if type(value) is list else value


class StrictUnwrapped(Unwrapped):
    """Strict: pydantic refuses a dict where it takes a JSON object, so read whole."""

    model_config = ConfigDict(strict=True)


def _labelled(value: object) -> object:
    if type(value) is dict:
        return {**cast("dict[str, object]", value), "label": "given"}
    return value


def test_a_type_validated_from_the_object_as_sent_is_given_it_parsed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model's validator of mode "before" (or a BeforeValidator, a WrapValidator around the
    # type) is given the JSON as Python values, which pydantic made of all 10 MB in one
    # piece: 282 ms of other clients' wait for a body of keys it ignores, 348 ms for one
    # refused. Parsed a slice at a time, the value is given in its place, and the rest of
    # the validation is pydantic's own.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kinds: dict[str, object] = {
        "/unwrapped": Unwrapped,
        "/optional": Unwrapped | None,
        "/strict": StrictUnwrapped,
        "/before": Annotated[Boxed, BeforeValidator(_labelled)],
        "/wrap": Annotated[Boxed, WrapValidator(lambda value, handler: handler(value))],
    }
    client = routes_of(kinds)
    cases: list[tuple[str, object, bool]] = [
        ("/unwrapped", {"label": "x", "items": GOOD}, True),
        ("/unwrapped", GOOD, True),
        ("/unwrapped", {"items": [], "pad": GOOD}, True),
        ("/unwrapped", {"label": 5, "pad": GOOD}, True),
        ("/unwrapped", {"label": "x", "items": WRONG_ITEM}, True),
        ("/unwrapped", WRONG_ITEM, True),
        ("/optional", {"label": "x", "items": GOOD}, True),
        ("/strict", {"label": "x", "items": GOOD}, False),
        ("/before", {"items": GOOD, "label": "sent"}, True),
        ("/before", {"items": WRONG_ITEM}, True),
        ("/wrap", {"label": "x", "items": GOOD}, True),
    ]
    sent = [(path, json.dumps(value).encode(), sliced) for path, value, sliced in cases]
    body = json.dumps({"label": "x", "items": GOOD}).encode()
    sent += [("/unwrapped", body[:-1], True), ("/unwrapped", body + b" 1", True)]
    for path, data, sliced in sent:
        turns.clear()
        MODES.clear()
        entries = assert_named_as_pydantic(client, path, data, kinds[path])
        assert set(MODES) <= {"json"}
        if entries is not None:  # Python's place and words
            assert_not_json_where_python_says(entries, data)
        assert (len(turns) >= 5) is sliced, (path, data[:60])


class Normalized(BaseModel):
    """Fields validated from the value as sent: a long one is parsed apart and given."""

    label: str
    tags: Annotated[list[str], BeforeValidator(lambda v: v.split(",") if type(v) is str else v)]
    note: Annotated[str, WrapValidator(lambda value, handler: handler(value))] = ""
    items: list[Item] = []

    @field_validator("label", mode="before")
    @classmethod
    def joined(cls, value: object, info: ValidationInfo) -> object:
        MODES.append(info.mode)
        if type(value) is list:
            if len(cast("list[object]", value)) > 100_000:
                raise ValueError("too many parts")
            return "".join(str(part) for part in cast("list[object]", value))
        return value


def test_a_long_value_of_a_field_validated_as_sent_is_parsed_apart_and_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A field's validator of mode "before" (or wrap, or a BeforeValidator) is given the
    # value as Python values, which pydantic made of a long one in one piece: 10 MB sent for
    # such a field held other clients 200 ms. It is parsed a slice at a time and given to
    # the one call in place of null.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kept = kept_whole(monkeypatch)
    router = Router()

    @router.post("/normalized")
    async def normalized(connection: Connection, body: Normalized) -> Normalized:
        return body

    client = TestClient(aaf([router]))
    parts = [f"part {i}" for i in range(30_000)]
    cases: list[tuple[object, bool]] = [
        ({"label": parts, "tags": "a,b"}, True),
        ({"label": "x", "tags": ",".join(parts * 12)}, True),  # 3 MB: pieces of 512 KiB
        ({"label": "x", "tags": parts, "items": GOOD}, True),
        ({"tags": [], "label": {"a": parts}}, True),  # an object: a string's error
        ({"label": [*parts, *parts, *parts, *parts], "tags": []}, True),  # its own error
        ({"label": "x", "tags": [1, *parts]}, True),  # a wrong item
        ({"label": "x", "tags": [], "note": "n" * 3_000_000}, False),  # no escapes: one piece
        ({"label": "x", "tags": [], "note": parts}, True),
        ({"label": parts, "tags": "a", "items": WRONG_ITEM}, True),  # a field found wrong
    ]
    for value, sliced in cases:
        MODES.clear()
        kept.clear()
        assert_sliced_as_pydantic(client, "/normalized", value, Normalized, turns, sliced)
        assert set(MODES) <= {"json"}
        assert kept == [] or not sliced, kept
    twice = b'{"label": ' + json.dumps(parts).encode() + b', "tags": [], "label": "x"}'
    assert_answered_as_pydantic(client, "/normalized", twice, Normalized)


class Document(BaseModel):
    """Fields of any JSON as Python values: a long one parsed apart, given as it is."""

    title: str
    meta: Any = None
    doc: JsonValue = None
    raw: dict = {}  # type: ignore[type-arg]  # a bare dict, as users write it
    rows: list = []  # type: ignore[type-arg]
    extra: object = None


def test_a_long_value_of_a_field_of_any_json_is_parsed_apart_and_given_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pydantic makes Python values of a long one in one piece: 10 MB for an `Any` field held
    # other clients 107-265 ms. Parsed a slice at a time, it is the field's value as it is.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    kept = kept_whole(monkeypatch)
    router = Router()

    @router.post("/documents")
    async def documents(connection: Connection, body: Document) -> Document:
        return body

    client = TestClient(aaf([router]))
    nested = {"a": GOOD[:100], "b": [GOOD[:50], {"c": None}], "d": "x"}
    cases: list[tuple[object, bool]] = [
        ({"title": "t", "meta": GOOD}, True),
        ({"title": "t", "doc": {f"k{i}": [i, None, True, 1.5] for i in range(20_000)}}, True),
        ({"title": "t", "raw": {f"k{i}": nested for i in range(200)}}, True),
        ({"title": "t", "rows": [nested] * 200, "extra": GOOD}, True),
        ({"meta": GOOD, "title": 5}, True),  # another field wrong
        ({"title": "t", "raw": GOOD}, True),  # a list for a dict: its error, from [] alone
        ({"title": "t", "meta": "é\\n" * 200_000}, False),  # a string: one piece
    ]
    for value, sliced in cases:
        kept.clear()
        assert_sliced_as_pydantic(client, "/documents", value, Document, turns, sliced)
        assert kept == [] or not sliced, kept
    twice = b'{"meta": ' + json.dumps(GOOD).encode() + b', "title": "t", "meta": 1}'
    assert_answered_as_pydantic(client, "/documents", twice, Document)
    broken = b'{"title": "t", "meta": ' + json.dumps(GOOD).encode()[:-1] + b"}"
    [entry] = client.post("/documents", content=broken, headers=JSON).json()["detail"]
    assert entry["type"] == "json_invalid"


class PlainSets(BaseModel):
    label: str
    tags: set[str] = set()
    ids: frozenset[int] = frozenset()
    maybe: set[str] | None = None


def test_a_models_sets_of_plain_values_are_read_as_lists_then_hashed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model's set[str] of 800,000 was made in one call: 215 ms of other clients' wait.
    reading = _readings.model_reading(PlainSets)
    assert reading is not None and reading.wanted.keys() == {"tags", "ids", "maybe"}
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/tagged")
    async def tagged(connection: Connection, body: PlainSets) -> list[object]:
        kinds = [type(body.tags).__name__, type(body.ids).__name__]
        return [sorted(body.tags), sorted(body.ids), body.maybe and sorted(body.maybe), kinds]

    client = TestClient(aaf([router]))
    words = [f"w{i % 70_000}" for i in range(100_000)]  # duplicates among them
    cases: list[dict[str, object]] = [
        {"label": "x", "tags": words},
        {"label": "x", "ids": list(range(100_000)), "maybe": words},
        {"label": "x", "tags": [*words, 5]},
        {"label": "x", "ids": [*range(100_000), "x"]},
        {"label": "x", "maybe": None, "tags": words},
    ]
    for value in cases:
        turns.clear()
        data = json.dumps(value).encode()
        answer = client.post("/tagged", content=data, headers=JSON)
        try:
            expected = PlainSets.model_validate_json(data)
        except ValidationError as exc:
            wanted = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
            assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == wanted
        else:
            maybe = expected.maybe and sorted(expected.maybe)
            kinds = ["set", "frozenset"]
            assert answer.json() == [sorted(expected.tags), sorted(expected.ids), maybe, kinds]
        assert len(turns) >= 5


def test_items_each_a_union_told_apart_by_a_tag_are_read_as_the_model_they_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A list of such unions had an item too long for a slice validated with the whole body.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/pets")
    async def pets(connection: Connection, pets: list[Pet]) -> list[Pet]:
        return pets

    @router.post("/by-name")
    async def by_name(connection: Connection, pets: dict[str, Pet]) -> dict[str, Pet]:
        return pets

    client = TestClient(aaf([router]))
    cat = {"kind": "cat", "items": GOOD}
    cases: list[tuple[str, object, object, bool]] = [
        ("/pets", [{"kind": "dog"}, cat, {"items": GOOD, "kind": "puppy"}], list[Pet], True),
        ("/pets", [{"kind": "dog"}, {"kind": "cat", "items": WRONG_ITEM}], list[Pet], True),
        ("/pets", [{"kind": "dog"}, {"kind": "fish", "items": GOOD}], list[Pet], True),
        ("/pets", [{"items": GOOD}], list[Pet], True),
        ("/pets", [{"kind": "bird", "items": GOOD}], list[Pet], False),
        ("/by-name", {"a": {"kind": "dog"}, "b": cat}, dict[str, Pet], True),
        ("/by-name", {"b": {"kind": "fish", "items": GOOD}}, dict[str, Pet], True),
    ]
    for path, value, kind, sliced in cases:
        assert_sliced_as_pydantic(client, path, value, kind, turns, sliced)


class BatchDict(TypedDict):
    label: str
    items: list[Item]
    counts: dict[str, int]


class SomeKeys(TypedDict, total=False):
    """Keys that may be missing: left out of the dict, as pydantic leaves them out."""

    label: str
    items: list[Item]
    counts: Required[dict[str, int]]


class NoteKey(TypedDict):
    """A key not required in a class of required keys (which its ``__required_keys__`` does
    not say under ``from __future__ import annotations``)."""

    items: list[Item]
    note: NotRequired[str]


class DefaultKey(TypedDict):
    """A default of pydantic's fills a missing key: read whole."""

    items: list[Item]
    label: NotRequired[Annotated[str, Field(default="none")]]


class CheckedKey(TypedDict, total=False):
    """A missing key's default would be validated (as the key's type): read whole."""

    items: list[Item]
    label: Annotated[str, Field(validate_default=True)]


@dataclasses.dataclass
class BatchClass:
    label: str
    items: list[Item]
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    note: str = "none"


@dataclasses.dataclass(frozen=True, slots=True)
class FrozenBatch:
    items: list[Item]
    label: str = ""


@pydantic_dataclass
class CheckedClass:
    items: list[Item]
    label: str = Field(default="", max_length=5)


@pydantic_dataclass(config=ConfigDict(str_to_lower=True))
class LowerClass:
    """A config of its own, which a model of its fields would not have: read whole."""

    items: list[Item]
    label: str = ""


class OddNames(TypedDict):
    """Names a model would take for its own (BaseModel's, its namespace): read whole."""

    json: list[Item]
    model_items: list[Item]


class Hidden(TypedDict):
    """A name a model would take for a private attribute: read whole."""

    _hidden: int
    items: list[Item]


@dataclasses.dataclass
class AfterInit:
    """Its __post_init__ runs on the dataclass made, as pydantic runs it."""

    items: list[Item]
    label: str = ""

    def __post_init__(self) -> None:
        if self.label == "refuse":
            raise ValueError("refused by __post_init__")
        self.items = self.items[:1]


@dataclasses.dataclass(frozen=True)
class FrozenAfterInit:
    items: list[Item]
    count: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", len(self.items))


@dataclasses.dataclass
class WithInitVar:
    """An InitVar goes to __post_init__ alone, not a field: read whole."""

    items: list[Item]
    scale: dataclasses.InitVar[int] = 1

    def __post_init__(self, scale: int) -> None:
        self.items = self.items[:scale]


def keys_of(value: object) -> list[str] | None:
    """A dict's keys, in order; ``None`` for anything else."""
    return list(cast("dict[str, object]", value)) if isinstance(value, dict) else None


def test_typeddicts_and_dataclasses_are_read_as_models_of_their_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A TypedDict or dataclass body was validated whole: 10 MB held other clients 350-365 ms.
    # It is read as a model of the same fields is, then made the dict or the dataclass
    # pydantic would give.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()
    kinds: dict[str, object] = {
        "/dict": BatchDict,
        "/some": SomeKeys,
        "/note": NoteKey,
        "/default": DefaultKey,
        "/checked-key": CheckedKey,
        "/class": BatchClass,
        "/frozen": FrozenBatch,
        "/checked": CheckedClass,
        "/lower": LowerClass,
        "/after": AfterInit,
        "/frozen-after": FrozenAfterInit,
        "/init-var": WithInitVar,
        "/odd": OddNames,
        "/hidden": Hidden,
    }
    for path, kind in kinds.items():

        async def handler(connection: Connection, body: object) -> object:
            return [type(body).__name__, keys_of(body), body]

        handler.__annotations__ = {"connection": Connection, "body": kind, "return": list[Any]}
        router.post(path, name=path)(handler)
    client = TestClient(aaf([router]))
    counts = {f"k{i}": i for i in range(40_000)}
    cases: list[tuple[str, object, bool]] = [
        ("/dict", {"label": "x", "items": GOOD, "counts": counts}, True),
        ("/dict", {"counts": {}, "items": GOOD, "label": "x", "other": GOOD}, True),
        ("/dict", {"label": 5, "items": WRONG_ITEM, "counts": counts}, True),
        ("/dict", {"items": GOOD}, True),
        ("/class", {"label": "x", "items": GOOD}, True),
        ("/class", {"label": "x", "items": GOOD, "counts": counts, "note": "n"}, True),
        ("/class", {"items": WRONG_ITEM}, True),
        ("/frozen", {"items": GOOD}, True),
        ("/checked", {"items": GOOD, "label": "short"}, True),
        ("/checked", {"items": GOOD, "label": "too long"}, True),
        ("/some", {"items": GOOD, "counts": counts}, True),
        ("/some", {"counts": {}, "label": "x", "items": GOOD}, True),
        ("/some", {"label": "x", "items": GOOD}, True),
        ("/some", {"label": None, "items": WRONG_ITEM, "counts": {}}, True),
        ("/note", {"items": GOOD}, True),
        ("/note", {"note": "n", "items": GOOD}, True),
        ("/note", {"note": 5, "items": GOOD}, True),
        ("/default", {"items": GOOD}, False),
        ("/checked-key", {"items": GOOD}, False),
        ("/after", {"items": GOOD}, True),
        ("/after", {"items": GOOD, "label": "refuse"}, True),
        ("/after", {"items": WRONG_ITEM, "label": "refuse"}, True),
        ("/frozen-after", {"items": GOOD}, True),
        ("/init-var", {"items": GOOD, "scale": 2}, False),
        ("/odd", {"json": GOOD, "model_items": []}, False),
        ("/odd", {"json": [], "model_items": GOOD}, False),
        ("/hidden", {"_hidden": 1, "items": GOOD}, False),
        ("/lower", {"items": GOOD, "label": "ABC"}, False),
    ]
    for path, value, sliced in cases:
        turns.clear()
        data = json.dumps(value).encode()
        answer = client.post(path, content=data, headers=JSON)
        adapter = _readings.type_adapter(kinds[path])
        try:
            expected = fail_fast_validator(adapter).validate_json(data)
        except ValidationError as exc:
            wanted = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
            assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == wanted
        else:
            dumped = adapter.dump_python(expected, mode="json")
            assert answer.json() == [type(expected).__name__, keys_of(expected), dumped], path
        assert (len(turns) >= 5) is sliced, (path, data[:60])


def test_something_after_a_large_model_object_is_not_json_where_python_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read in slices, the object was then validated whole to say the body is not JSON: 10 MB
    # held other clients 56-84 ms. Python's place and words, as for a list; nothing of the
    # model's own is run.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/totalled")
    async def totalled(connection: Connection, order: Totalled) -> int:
        return order.total

    client = TestClient(aaf([router]))
    for junk in (b" 1", b"}", b' {"lines": []}'):
        data = json.dumps({"lines": GOOD}).encode() + junk
        turns.clear()
        answer = client.post(
            "/totalled", content=data, headers={"content-type": "application/json"}
        )
        [entry] = answer.json()["detail"]
        with pytest.raises(json.JSONDecodeError) as caught:
            json.loads(data)
        assert (entry["type"], entry["loc"]) == ("json_invalid", ["body", caught.value.pos])
        assert entry["ctx"]["error"] == caught.value.msg == "Extra data"
        assert len(turns) >= 5


def test_a_large_model_body_equals_whole_validation_its_lists_sliced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    for order in (
        {"label": "big", "orderLines": GOOD, "notes": ["a", "b"]},
        {"returns": GOOD[:10], "orderLines": GOOD, "label": "lists on both sides"},
        {"label": "two lists", "orderLines": GOOD, "returns": GOOD},
    ):
        data = json.dumps(order).encode()
        turns.clear()
        answer = client.post("/orders", content=data, headers=headers)
        expected = Order.model_validate_json(data)
        assert answer.status_code == 200
        assert answer.json() == expected.model_dump(mode="json", by_alias=True)
        assert len(turns) >= 10  # 600 KB of items, 32 KiB of them a slice
    # The field by its name (not its alias) is not sliced, but the answer is the same.
    data = json.dumps({"label": "x", "lines": GOOD, "orderLines": GOOD[:3]}).encode()
    assert client.post("/orders", content=data, headers=headers).json()["orderLines"] == GOOD[:3]


def assert_answered_as_pydantic(client: TestClient, path: str, data: bytes, kind: object) -> None:
    """Posting ``data`` answers what pydantic's validation of ``kind`` gives past 64 KiB, each
    collection stopping at its first error: the value, or those errors under "body"."""
    answer = client.post(path, content=data, headers={"content-type": "application/json"})
    adapter = _readings.type_adapter(kind)
    try:
        expected = fail_fast_validator(adapter).validate_json(data)
    except ValidationError as exc:
        wanted = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == wanted
    else:
        assert answer.json() == adapter.dump_python(expected, mode="json")


def assert_sliced_as_pydantic(
    client: TestClient,
    path: str,
    value: object,
    kind: object,
    turns: list[float],
    sliced: bool = True,
) -> None:
    """``assert_answered_as_pydantic`` for ``value`` sent as JSON, read a slice at a time (in
    five turns of the event loop or more) or not, as ``sliced`` says."""
    turns.clear()
    assert_answered_as_pydantic(client, path, json.dumps(value).encode(), kind)
    assert (len(turns) >= 5) is sliced, (path, json.dumps(value)[:80])


class Maybe(BaseModel):
    """Bulk fields that may be null, as optional fields usually are."""

    label: str
    lines: list[Item] | None = None
    counts: dict[str, int] | None = None


def test_optional_bulk_fields_are_sliced_when_they_hold_a_list_or_a_dict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `list[Item] | None` and `dict[str, int] | None` fields were validated with the model in
    # one piece: 600,000 counts held other clients 0.42-0.45 s.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/maybe")
    async def maybe(connection: Connection, body: Maybe) -> Maybe:
        return body

    client = TestClient(aaf([router]))
    counts = {f"k{i}": i for i in range(30_000)}
    for value, sliced in (
        ({"label": "x", "lines": GOOD, "counts": counts}, True),
        ({"lines": None, "counts": counts, "label": "x"}, True),
        ({"label": "x", "lines": GOOD, "counts": None}, True),
        ({"label": "x", "lines": WRONG_ITEM}, True),
        ({"label": "x", "lines": GOOD, "counts": {**counts, "k5": "x"}}, True),
        ({"label": "x", "lines": 5, "counts": counts}, True),
        ({"label": "x", "lines": None, "counts": None, "pad": "p" * 70_000}, False),
    ):
        assert_sliced_as_pydantic(client, "/maybe", value, Maybe, turns, sliced)


class Abstract(BaseModel):
    """Bulk fields typed by what they are used as."""

    lines: Sequence[Item] = ()
    counts: Mapping[str, int] | None = None


def test_sequence_and_mapping_fields_are_sliced_as_lists_and_dicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Validated with the model in one piece before (pydantic gives a list and a dict).
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/abstract")
    async def abstract(connection: Connection, body: Abstract) -> Abstract:
        assert type(body.lines) is list and type(body.counts) in (dict, type(None))
        return body

    client = TestClient(aaf([router]))
    counts = {f"k{i}": i for i in range(30_000)}
    for value in (
        {"lines": GOOD, "counts": counts},
        {"lines": WRONG_ITEM},
        {"counts": {**counts, "last": "x"}, "lines": GOOD[:2]},
    ):
        assert_sliced_as_pydantic(client, "/abstract", value, Abstract, turns)


class Collected(BaseModel):
    """Bulk fields pydantic makes collections other than lists and dicts of."""

    queue: deque[Item] = deque()
    frozen: tuple[Item, ...] = ()
    words: Counter[str] = Counter()
    ordered: OrderedDict[str, int] | None = None
    defaults: defaultdict[str, list[int]] = defaultdict(list)


def test_deques_and_dict_classes_are_sliced_then_made_what_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Bodies and fields of these were validated in one piece (in-process, 420,000 models as a
    # deque held other clients 0.44 s; 600,000 counts as a Counter 0.31 s, as an OrderedDict
    # 0.67 s); each is now read as the list or dict it is made of, then made it.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/queue")
    async def queue(connection: Connection, items: deque[Item]) -> deque[Item]:
        assert type(items) is deque
        return items

    @router.post("/words")
    async def words(connection: Connection, words: Counter[str]) -> Counter[str]:
        assert type(words) is Counter
        return words

    @router.post("/ordered")
    async def ordered(connection: Connection, values: OrderedDict[str, int]) -> list[str]:
        assert type(values) is OrderedDict
        return list(values)[:3]

    @router.post("/defaults")
    async def defaults(connection: Connection, values: defaultdict[str, int]) -> int:
        assert type(values) is defaultdict and values.default_factory is int
        return len(values)

    @router.post("/collected")
    async def collected(connection: Connection, body: Collected) -> Collected:
        assert type(body.queue) is deque and type(body.words) is Counter
        assert type(body.frozen) is tuple
        assert type(body.ordered) in (OrderedDict, type(None))
        assert type(body.defaults) is defaultdict and body.defaults.default_factory is list
        return body

    client = TestClient(aaf([router]))
    counts = {f"k{i}": i for i in range(30_000)}
    lists = {f"k{i}": [i] for i in range(20_000)}
    for path, kind, value in (
        ("/queue", deque[Item], GOOD),
        ("/queue", deque[Item], WRONG_ITEM),
        ("/words", Counter[str], counts),
        ("/words", Counter[str], {**counts, "k29999": "x"}),
        ("/ordered", list[str], dict(reversed(counts.items()))),
        ("/defaults", int, counts),
        ("/collected", Collected, {"queue": GOOD, "words": counts}),
        ("/collected", Collected, {"ordered": counts, "defaults": lists}),
        ("/collected", Collected, {"queue": WRONG_ITEM, "defaults": lists}),
        ("/collected", Collected, {"frozen": GOOD}),
        ("/collected", Collected, {"frozen": WRONG_ITEM}),
    ):
        turns.clear()
        data = json.dumps(value).encode()
        if kind in (list[str], int):  # what the handler answers from the whole's validation
            answer = client.post(path, content=data, headers={"content-type": "application/json"})
            expected = list(reversed(counts))[:3] if kind == list[str] else len(counts)
            assert answer.json() == expected
        else:
            assert_answered_as_pydantic(client, path, data, kind)
        assert len(turns) >= 5, (path, list(value)[:2])
    # The OrderedDict is made a slice at a time too: the same body read as a defaultdict
    # (made in one call) takes as many turns, less one for each 16,384 keys.
    headers = {"content-type": "application/json"}
    turns_of: dict[str, int] = {}
    for path in ("/ordered", "/defaults"):
        turns.clear()
        client.post(path, content=json.dumps(counts).encode(), headers=headers)
        turns_of[path] = len(turns)
    assert turns_of["/ordered"] - turns_of["/defaults"] == 2  # 30,000 keys


def _dicts_stop_early() -> bool:
    """Whether this pydantic-core stops a dict at its first error when told: 2.14's does; the
    2.11 of the lowest pins (`make test-lowest`) does not, for any dict validated in one call."""
    validator = SchemaValidator(
        {"type": "dict", "values_schema": {"type": "int"}, "fail_fast": True}
    )
    try:
        validator.validate_python({"a": "x", "b": "x"})
    except ValidationError as exc:
        return exc.error_count() == 1
    return False


def test_deques_and_dict_classes_inside_what_is_validated_whole_stop_at_their_first_error() -> None:
    # A list's items are validated each in one call: a deque (or Counter, OrderedDict) in one
    # did not stop at its first wrong item where pydantic gives it a schema of its own (2.14;
    # 2.11 wraps a list or a dict): a million wrong items held every other client 4.5 s.
    router = Router()

    @router.post("/queues")
    async def queues(connection: Connection, body: Annotated[list[deque[int]], Body()]) -> int:
        return len(body)

    @router.post("/counts")
    async def counts(connection: Connection, body: Annotated[list[Counter[str]], Body()]) -> int:
        return len(body)

    @router.post("/ordered")
    async def ordered(
        connection: Connection, body: Annotated[list[OrderedDict[str, int]], Body()]
    ) -> int:
        return len(body)

    client = TestClient(aaf([router]))
    wrong_keys = {f"k{i}": "x" for i in range(100_000)}
    dicts_stop = _dicts_stop_early()
    for path, value in (
        ("/queues", [[1], ["x"] * 200_000]),
        ("/counts", [{"a": 1}, wrong_keys]),
        ("/ordered", [{"a": 1}, wrong_keys]),
    ):
        if path != "/queues" and not dicts_stop:
            continue  # the lowest pins' pydantic-core: no dict stops, a dict's own either
        data = json.dumps(value).encode()
        answer = client.post(path, content=data, headers={"content-type": "application/json"})
        assert answer.status_code == 422
        first = ["body", 1, 0] if path == "/queues" else ["body", 1, "k0"]
        assert [e["loc"] for e in answer.json()["detail"]] == [first]
        assert client.post(path, json=value[:1]).json() == 1


def test_large_deques_and_counters_are_freed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/queue")
    async def queue(connection: Connection, items: deque[Item]) -> int:
        return len(items)

    @router.post("/collected")
    async def collected(connection: Connection, body: Collected) -> int:
        return len(body.words)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    assert client.post("/queue", content=json.dumps(GOOD).encode(), headers=headers).json() == (
        20_000
    )
    assert turns == [0] * 5  # 20,000 items, 4,096 a turn
    turns.clear()
    data = json.dumps({"words": {f"k{i}": i for i in range(20_000)}}).encode()
    assert client.post("/collected", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5


class Batch(BaseModel):
    label: str
    items: list[Item] = []


class Envelope(BaseModel):
    """A model holding another: the JSON envelope APIs wrap their data in."""

    data: Batch = Field(alias="Data")
    meta: dict[str, str]
    extra: Batch | None = None


class Tree(BaseModel):
    """A model holding itself."""

    items: list[Item] = []
    child: Tree | None = None


def test_a_model_held_by_a_model_is_read_as_its_own_reading_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A long object for a field holding a model was validated with the outer model in one
    # piece: 420,000 items in {"data": {"items": [...]}} held others 340-445 ms. It is read
    # as the inner model's reading says (its lists a slice at a time), null standing in for
    # it in the one call (whose validator takes anything there), and put in after.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/envelope")
    async def envelope(connection: Connection, body: Envelope) -> dict[str, object]:
        assert type(body.data) is Batch and body.model_fields_set >= {"data"}
        return body.model_dump(mode="json")  # by name, as the comparison dumps it

    @router.post("/tree")
    async def tree(connection: Connection, body: Tree) -> dict[str, object]:
        return body.model_dump(mode="json")

    client = TestClient(aaf([router]))
    long_batch = {"label": "x", "items": GOOD}
    cases: list[tuple[str, type[BaseModel], dict[str, object]]] = [
        ("/envelope", Envelope, {"Data": long_batch, "meta": {"a": "b"}}),
        ("/envelope", Envelope, {"meta": {}, "Data": long_batch, "extra": long_batch}),
        ("/envelope", Envelope, {"Data": {"label": "x", "items": WRONG_ITEM}, "meta": {}}),
        ("/envelope", Envelope, {"Data": {"items": GOOD}, "meta": {}}),  # no label in it
        ("/envelope", Envelope, {"Data": long_batch}),  # no meta beside it
        ("/envelope", Envelope, {"Data": long_batch, "meta": 5, "extra": 5}),
        ("/envelope", Envelope, {"Data": {"label": "x"}, "meta": {}, "extra": long_batch}),
        # Every failing field, in the models' order, the long ones' first errors among them.
        ("/envelope", Envelope, {"meta": 5, "Data": {"label": 1, "items": WRONG_ITEM}}),
        ("/envelope", Envelope, {"extra": {"items": WRONG_ITEM}, "Data": {"items": 5}}),
    ]
    for path, model, value in cases:
        assert_sliced_as_pydantic(client, path, value, model, turns)
    # A model holding itself is read by its own reading at each depth, 32 at most (deeper,
    # the body is validated whole, as it was at any depth).
    deep: dict[str, object] = {"items": GOOD}
    for _ in range(40):
        deep = {"child": deep}
    trees: list[tuple[object, bool]] = [  # the body, and whether it is read in slices
        ({"items": GOOD[:5], "child": {"items": GOOD, "child": {"items": []}}}, True),
        ({"child": {"items": WRONG_ITEM}, "items": GOOD}, True),
        ({"child": {"child": {"items": GOOD, "child": 5}}, "items": 7}, True),
        (deep, False),
    ]
    for tree_value, sliced in trees:
        assert_sliced_as_pydantic(client, "/tree", tree_value, Tree, turns, sliced)
    # The one call took anything for the field only where it was read apart: short and
    # wrong, it is the model's to refuse (padding makes the body large).
    data = json.dumps({"Data": 5, "meta": {}, "pad": GOOD}).encode()
    assert_answered_as_pydantic(client, "/envelope", data, Envelope)


def test_a_model_held_by_a_model_has_its_lists_freed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/envelope")
    async def envelope(connection: Connection, body: Envelope) -> int:
        return len(body.data.items)

    client = TestClient(aaf([router]))
    data = json.dumps({"Data": {"label": "x", "items": GOOD}, "meta": {}}).encode()
    headers = {"content-type": "application/json"}
    assert client.post("/envelope", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5  # 20,000 items, 4,096 a turn


class Numbered(BaseModel):
    """A dict of number keys, and a list of tuples: plain values in bulk too."""

    names: dict[int, str] = {}
    pairs: list[tuple[int, str]] = []


def test_dicts_of_number_keys_are_sliced(monkeypatch: pytest.MonkeyPatch) -> None:
    # Validated in one piece before: 600,000 such keys held other clients 0.1 s; 600,000
    # pairs of a list of tuples 0.17-0.25 s.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/numbered")
    async def numbered(connection: Connection, body: Numbered) -> Numbered:
        return body

    @router.post("/names")
    async def names(connection: Connection, body: dict[int, str]) -> dict[int, str]:
        assert all(type(key) is int for key in body)  # also where a long string is
        return body

    client = TestClient(aaf([router]))
    keyed = {str(i): f"n{i}" for i in range(30_000)}
    pairs: list[object] = [[i, f"n{i}"] for i in range(30_000)]
    cases: list[tuple[str, object, object, bool]] = [  # route, value, pydantic's type, sliced
        ("/numbered", {"names": keyed, "pairs": pairs[:10]}, Numbered, True),
        ("/numbered", {"names": {**keyed, "x": "bad key"}}, Numbered, True),
        ("/numbered", {"pairs": pairs}, Numbered, True),
        # A tuple of too many items is too_long, read apart or with the model (which also
        # stops at its first wrong item, since lists in models stop early too).
        ("/numbered", {"pairs": [*pairs[:20_000], [1, 2, 3], *pairs[20_000:]]}, Numbered, True),
        ("/numbered", {"pairs": [*pairs[:20_000], ["x", 2, 3], *pairs[20_000:]]}, Numbered, True),
        ("/names", keyed, dict[int, str], True),
        ("/names", {**keyed, "007": "again", "7": "last"}, dict[int, str], True),
        ("/names", {"1": "a" * 200_000, "2": "b"}, dict[int, str], False),  # read whole
    ]
    for path, value, kind, sliced in cases:
        assert_sliced_as_pydantic(client, path, value, kind, turns, sliced)


SKUS = {f"sku-{i}": item for i, item in enumerate(GOOD)}


def test_dicts_of_models_and_lists_of_lists_are_sliced_too(monkeypatch: pytest.MonkeyPatch) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    app = order_app()
    client = TestClient(app)
    # What the model's own validator is given: with the fields sliced, the rest of the body
    # only (values skipped over take turns too, so the turns alone would not tell).
    given: list[int] = []
    app.routers[0].resolve("/orders", "POST")
    match = app.routers[0].resolve("/orders", "POST")
    assert type(match) is tuple  # a Match
    plan = match[0].plans["POST"]
    assert plan.body is not None
    assert plan.body.members is not None
    whole = plan.body.members.validator

    class Watched:
        def validate_json(self, data: str | bytes) -> object:
            given.append(len(data))
            return whole.validate_json(data)

    object.__setattr__(plan.body.members, "validator", Watched())
    headers = {"content-type": "application/json"}
    batches = [GOOD[i : i + 500] for i in range(0, 20_000, 500)]
    # A key given twice, 600 KB apart: its first place and its last value, as in one piece.
    text = json.dumps({"label": "x", "orderLines": [], "by_sku": SKUS, "batches": batches})
    text = text.replace('"by_sku": {', '"by_sku": {"sku-19999": {"id": -1, "name": "first"}, ', 1)
    for data, sliced in (
        (text.encode(), True),
        (json.dumps({"label": "y", "orderLines": [], "by_sku": {}}).encode(), False),
    ):
        turns.clear()
        answer = client.post("/orders", content=data, headers=headers)
        expected = Order.model_validate_json(data)
        assert answer.status_code == 200
        assert answer.json() == expected.model_dump(mode="json", by_alias=True)
        assert (len(turns) >= 20) is sliced  # 1.2 MB of items, 32 KiB of them a slice
        if sliced:
            # (the short members as sent, the long ones after them with what stands in)
            assert given == [len('{"label": "x", "orderLines": [],"by_sku": {},"batches": []}')]
    assert list(Order.model_validate_json(text).by_sku)[0] == "sku-19999"
    wrong = dict(SKUS)
    wrong["sku-15000"] = {"id": "x", "name": "n"}
    answer = client.post(
        "/orders",
        content=json.dumps({"label": "x", "orderLines": [], "by_sku": wrong}).encode(),
        headers=headers,
    )
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("int_parsing", ["body", "by_sku", "sku-15000", "id"])
    ]
    # A config that changes strings changes the keys: that dict is validated in one piece.
    data = json.dumps({"by_sku": {"SKU-" + k: v for k, v in SKUS.items()}}).encode()
    turns.clear()
    answer = client.post("/lower", content=data, headers=headers)
    assert answer.json() == LowerKeys.model_validate_json(data).model_dump(mode="json")
    # (lowered keys: the model's validation saw the dict; its walk past the dict took turns)
    assert "sku-sku-1" in answer.json()["by_sku"] and len(turns) < 10


def test_errors_in_a_large_model_body_are_located_in_it() -> None:
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}

    def detail(order: object) -> list[Any]:
        answer = client.post("/orders", content=json.dumps(order).encode(), headers=headers)
        assert answer.status_code == 422
        return [(e["type"], e["loc"]) for e in answer.json()["detail"]]

    lines: list[dict[str, object]] = list(GOOD)
    lines[15_000] = {"id": "x", "name": "n"}
    assert detail({"label": "x", "orderLines": lines}) == [
        ("int_parsing", ["body", "orderLines", 15_000, "id"])
    ]
    assert detail({"orderLines": GOOD, "note": 1}) == [
        ("missing", ["body", "label"]),
        ("string_type", ["body", "note"]),
    ]
    # A short list is validated with the rest, and stops at its first error as every list
    # of a body past 64 KiB does; a long one, sliced, stops there too, and the rest is
    # validated all the same: every failing field is listed, in the model's order (the
    # 422 said the long list's error alone).
    assert detail({"orderLines": GOOD, "notes": ["a", 1, 2]}) == [
        ("missing", ["body", "label"]),
        ("string_type", ["body", "notes", 1]),
    ]
    assert detail({"notes": ["a"] * 50_000 + [1, 2], "note": 5, "orderLines": GOOD}) == [
        ("missing", ["body", "label"]),
        ("string_type", ["body", "notes", 50_000]),
        ("string_type", ["body", "note"]),
    ]
    lines = [*GOOD[:15_000], {"id": "x"}, *GOOD[15_000:]]
    # The one call's missing field echoes the object as sent, not what the call was given.
    sent = json.dumps({"orderLines": lines}).encode()
    answer = client.post("/orders", content=sent, headers=headers).json()["detail"]
    assert [(e["type"], e["loc"]) for e in answer][::2] == [
        ("missing", ["body", "label"]),
        ("missing", ["body", "orderLines", 15_000, "name"]),
    ]
    assert answer[0]["input"].startswith('{"orderLines": [{"id": 0, "name": "item 0"}')
    assert detail({"notes": 5, "orderLines": lines, "label": 1}) == [
        ("string_type", ["body", "label"]),
        ("int_parsing", ["body", "orderLines", 15_000, "id"]),
        ("missing", ["body", "orderLines", 15_000, "name"]),
        ("list_type", ["body", "notes"]),
    ]
    assert detail({"label": "x", "orderLines": "not a list", "pad": GOOD}) == [
        ("list_type", ["body", "orderLines"])
    ]
    broken = json.dumps({"label": "x", "orderLines": GOOD}).encode()[:-3] + b"]"
    answer = client.post("/orders", content=broken, headers=headers)
    [entry] = answer.json()["detail"]
    assert entry["type"] == "json_invalid"


class Totalled(BaseModel):
    """Validators of mode "after", in order, one taking the validation's info, one giving
    another model: each sees the model with its lists, as pydantic gives it."""

    lines: list[Item]
    total: int = 0
    seen: list[str] = []

    @model_validator(mode="after")
    def add_up(self) -> Totalled:
        self.total = sum(line.id for line in self.lines)
        self.seen.append("add_up")
        return self

    @model_validator(mode="after")
    def bounded(self, info: ValidationInfo) -> Totalled:
        if self.total > 10**12:
            raise ValueError(f"a total of {self.total} is too much")
        return self.model_copy(update={"seen": [*self.seen, info.mode]})


class CheckedEnvelope(BaseModel):
    """A model holding a model checked as a whole, itself checked as a whole."""

    data: Checked
    note: str = ""

    @model_validator(mode="after")
    def noted(self) -> CheckedEnvelope:
        if self.note == "refuse":
            raise ValueError(f"refused with {len(self.data.lines)} lines")
        return self


class CheckedTree(BaseModel):
    """A model holding itself, checked as a whole at every depth."""

    items: list[Item] = []
    child: CheckedTree | None = None

    @model_validator(mode="after")
    def not_empty(self) -> CheckedTree:
        if not self.items and self.child is None:
            raise ValueError("an empty tree")
        return self


class CheckedBefore(BaseModel):
    """A validator before the model sees the input as sent: parsed a slice at a time, then
    validated whole."""

    lines: list[Item]

    @model_validator(mode="before")
    @classmethod
    def as_sent(cls, data: object) -> object:
        return data


class Sorted(BaseModel):
    """Field validators of mode "after" taking no info, one on two fields: each field is
    read in slices, then given to them; one taking info is run by the one call, given the
    field as read."""

    label: str = ""
    lines: list[Item]
    counts: dict[str, int] = {}
    noted: list[Item] = []

    @field_validator("lines")
    @classmethod
    def by_id(cls, lines: list[Item]) -> list[Item]:
        return sorted(lines, key=lambda line: line.id)

    @field_validator("lines", "counts")
    @classmethod
    def not_empty(cls, value: list[Item] | dict[str, int]) -> object:
        if not value:
            raise ValueError("empty")
        return value

    @field_validator("noted")
    @classmethod
    def with_info(cls, noted: list[Item], info: ValidationInfo) -> list[Item]:
        if len(noted) > 10 and not info.data.get("label"):
            raise ValueError("many notes need a label")
        return noted


class Limited(BaseModel):
    """A validator taking info, reading a field before it, and giving another list."""

    limit: int = 10**6
    items: list[Item]

    @field_validator("items")
    @classmethod
    def within(cls, items: list[Item], info: ValidationInfo) -> list[Item]:
        limit = info.data.get("limit", 0)
        if len(items) > limit:
            raise ValueError(f"more than {limit} items")
        return items[::-1]


def test_a_validator_taking_info_sees_the_fields_before_it_and_the_field_read_in_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/limited")
    async def limited(connection: Connection, body: Limited) -> Limited:
        return body

    client = TestClient(aaf([router]))
    for value in (
        {"limit": 30_000, "items": GOOD},
        {"items": GOOD},
        {"limit": 5, "items": GOOD},
        {"items": GOOD, "limit": 5},  # after the field: not in info.data, as in pydantic's
        {"limit": "x", "items": GOOD},
    ):
        assert_sliced_as_pydantic(client, "/limited", value, Limited, turns)
    data = json.dumps({"limit": 5, "items": GOOD})
    [entry] = client.post("/limited", content=data, headers=JSON).json()["detail"]
    assert entry["loc"] == ["body", "items"] and entry["msg"] == "Value error, more than 5 items"
    assert data[data.index("[") :].startswith(entry["input"].removesuffix("...(truncated)"))


def test_a_fields_after_validators_see_the_field_read_in_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A field with a validator was validated with its model in one piece (420,000 items held
    # other clients 300-400 ms); one of mode "after" taking no info now has the field read in
    # slices and is given what was read, as pydantic gives it the value it validated; those
    # taking info are run by the one call, given the field as read.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/sorted")
    async def sort(connection: Connection, body: Sorted) -> Sorted:
        return body

    client = TestClient(aaf([router]))
    reversed_lines = GOOD[::-1]
    counts = {f"k{i}": i for i in range(40_000)}
    cases: list[tuple[dict[str, object], bool]] = [
        ({"lines": reversed_lines}, True),
        ({"lines": reversed_lines, "counts": counts}, True),
        ({"counts": counts, "lines": [], "label": 5}, True),  # each failing field, in order
        ({"lines": GOOD[:3], "counts": {}, "pad": GOOD}, True),  # short: the model's own
        ({"lines": WRONG_ITEM, "counts": {}}, True),  # the list's error: no validator runs
        # A validator taking info: run in the one call, given the field as read, after the
        # fields before it (info.data holds them, as in pydantic's).
        ({"lines": GOOD[:1], "noted": GOOD}, True),
        ({"lines": GOOD[:1], "noted": GOOD, "label": "x"}, True),
        ({"noted": GOOD, "lines": GOOD[:1], "label": "x"}, True),
        ({"lines": GOOD[:1], "noted": WRONG_ITEM}, True),  # the list's error alone
        ({"lines": [], "noted": GOOD, "counts": {"a": "x"}}, True),  # every field's, in order
    ]
    for value, sliced in cases:
        assert_sliced_as_pydantic(client, "/sorted", value, Sorted, turns, sliced)
    data = json.dumps({"counts": {}, "lines": reversed_lines}).encode()
    answer = client.post("/sorted", content=data, headers={"content-type": "application/json"})
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "counts"], "Value error, empty")
    ]
    data = json.dumps({"lines": [], "counts": counts}).encode()
    answer = client.post("/sorted", content=data, headers={"content-type": "application/json"})
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body", "lines"] and entry["input"] == []


def test_a_models_after_validators_see_the_model_read_in_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model with a validator of mode "after" was validated whole: 420,000 items held other
    # clients 340 ms. It is read in slices, its validators run on the model once its lists
    # are in it (the one call's validator without them), as pydantic runs them.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/checked")
    async def checked(connection: Connection, order: Checked) -> Checked:
        return order

    @router.post("/totalled")
    async def totalled(connection: Connection, order: Totalled) -> Totalled:
        assert order.seen == ["add_up", "json"]  # each ran once, in order, in JSON mode
        return order

    @router.post("/envelope")
    async def envelope(connection: Connection, body: CheckedEnvelope) -> CheckedEnvelope:
        return body

    @router.post("/tree")
    async def tree(connection: Connection, body: CheckedTree) -> CheckedTree:
        return body

    @router.post("/before")
    async def before(connection: Connection, order: CheckedBefore) -> CheckedBefore:
        return order

    client = TestClient(aaf([router]))
    big = [{"id": 10**9, "name": "n"}] * 2_000
    cases: list[tuple[str, type[BaseModel], dict[str, object], bool]] = [
        ("/checked", Checked, {"lines": GOOD}, True),
        ("/checked", Checked, {"lines": [], "pad": GOOD}, True),  # the validator's 422
        ("/checked", Checked, {"lines": WRONG_ITEM}, True),  # the list's: no validator runs
        ("/totalled", Totalled, {"lines": GOOD}, True),
        ("/totalled", Totalled, {"lines": GOOD + big}, True),  # the second validator's 422
        ("/envelope", CheckedEnvelope, {"data": {"lines": GOOD}, "note": "n"}, True),
        ("/envelope", CheckedEnvelope, {"data": {"lines": GOOD}, "note": "refuse"}, True),
        ("/envelope", CheckedEnvelope, {"data": {"lines": [], "pad": GOOD}}, True),
        ("/tree", CheckedTree, {"child": {"child": {"items": GOOD}}}, True),
        ("/tree", CheckedTree, {"child": {"child": {}, "items": GOOD}}, True),
        ("/before", CheckedBefore, {"lines": GOOD}, True),  # parsed apart, then whole
    ]
    for path, model, value, sliced in cases:
        assert_sliced_as_pydantic(client, path, value, model, turns, sliced)
    # What a 422 from the validator echoes is the start of the object as sent, as pydantic's
    # whole validation echoes the object.
    data = json.dumps({"lines": [], "pad": GOOD}).encode()
    answer = client.post("/checked", content=data, headers={"content-type": "application/json"})
    [entry] = answer.json()["detail"]
    assert entry["loc"] == ["body"] and entry["msg"] == "Value error, an order needs lines"
    echoed = entry["input"]
    assert isinstance(echoed, str) and echoed.endswith("...(truncated)")
    assert data.decode().startswith(echoed.removesuffix("...(truncated)"))
    # Something after the object: the whole reading says what, the validators run by it alone.
    data = json.dumps({"lines": GOOD}).encode() + b" 1"
    answer = client.post("/totalled", content=data, headers={"content-type": "application/json"})
    assert [e["type"] for e in answer.json()["detail"]] == ["json_invalid"]


class Pairs(BaseModel):
    pairs: list[tuple[int, str]]


class Rows(RootModel[list[Item]]):
    pass


def test_lists_in_a_model_validated_whole_stop_at_their_first_error_too() -> None:
    # pydantic-core built a model's schema as the model's own validator, whose lists do not
    # stop: 900,000 wrong items for a model checking its list (read whole) were 1.8 million
    # errors, 13-15 s of one request and 2 GiB, for a 422 listing 100. The same for a
    # RootModel of a list, and for a model's field read with it (a list of tuples).
    router = Router()

    @router.post("/checked")
    async def checked(connection: Connection, order: Checked) -> int:
        return len(order.lines)

    @router.post("/rows")
    async def rows(connection: Connection, rows: Rows) -> int:
        return len(rows.root)

    @router.post("/pairs")
    async def pairs(connection: Connection, pairs: Pairs) -> int:
        return len(pairs.pairs)

    client = TestClient(aaf([router]))
    wrong = [{"id": "x"}] * 20_000
    item = [("int_parsing", ["id"]), ("missing", ["name"])]
    for path, value, first in (
        ("/checked", {"lines": wrong}, [(t, ["body", "lines", 0, *at]) for t, at in item]),
        ("/rows", wrong, [(t, ["body", 0, *at]) for t, at in item]),
        ("/pairs", {"pairs": [["x", "y"]] * 20_000}, [("int_parsing", ["body", "pairs", 0, 0])]),
    ):
        data = json.dumps(value).encode()
        answer = client.post(path, content=data, headers={"content-type": "application/json"})
        # Each list (and tuple) stops at its first wrong item, whose own errors are listed:
        # two entries, where there were 100 (of 40,000).
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == first
    # Under 64 KiB every error is listed, as FastAPI lists them.
    answer = client.post("/rows", json=wrong[:3])
    assert len(answer.json()["detail"]) == 6


@pytest.mark.anyio
async def test_other_requests_are_served_while_a_large_model_body_is_validated() -> None:
    huge = json.dumps(
        {"label": "x", "orderLines": [{"id": i, "name": "n"} for i in range(300_000)]}
    )
    done: list[str] = []
    async with AsyncTestClient(order_app()) as client:

        async def big() -> None:
            answer = await client.post(
                "/orders", content=huge, headers={"content-type": "application/json"}
            )
            assert len(answer.json()["orderLines"]) == 300_000
            done.append("big")

        async def small() -> None:
            await asyncio.sleep(0.05)  # the big one is being validated by now
            assert (await client.get("/ping")).text == "pong"
            done.append("small")

        await asyncio.gather(big(), small())
    assert done == ["small", "big"]  # answered between two slices


def test_a_large_model_bodys_lists_are_freed_after_the_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, _dispatch)
    kept: list[Order] = []
    router = Router()

    @router.post("/keep")
    async def keep(connection: Connection, order: Order) -> int:
        kept.append(order)
        return len(order.lines)

    @router.post("/drop")
    async def drop(connection: Connection, order: Order) -> int:
        return len(order.lines)

    client = TestClient(aaf([router]))
    data = json.dumps({"label": "x", "orderLines": GOOD}).encode()
    headers = {"content-type": "application/json"}
    assert client.post("/keep", content=data, headers=headers).json() == 20_000
    assert turns == [] and len(kept[0].lines) == 20_000  # the handler's model is left whole
    assert client.post("/drop", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5  # 20,000 items, 4,096 a turn
    turns.clear()
    data = json.dumps({"label": "x", "orderLines": [], "by_sku": SKUS}).encode()
    assert client.post("/drop", content=data, headers=headers).json() == 0
    assert turns == [0] * 5  # a dict of 20,000 the same way


class HoldsDicts(BaseModel):
    """A TypedDict and a dataclass as fields: each read as its own reading says."""

    label: str = ""
    batch: BatchDict | None = None
    record: BatchClass | None = None


class LowerHoldsDicts(BaseModel):
    """The config reaches into a TypedDict (lowering its strings): read whole."""

    model_config = ConfigDict(str_to_lower=True)
    batch: BatchDict


def test_typeddicts_and_dataclasses_inside_are_read_as_models_of_their_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/holds")
    async def holds(connection: Connection, body: HoldsDicts) -> HoldsDicts:
        assert body.record is None or type(body.record) is BatchClass
        return body

    @router.post("/lower")
    async def lower(connection: Connection, body: LowerHoldsDicts) -> LowerHoldsDicts:
        return body

    @router.post("/rows")
    async def rows(connection: Connection, body: list[BatchDict]) -> list[BatchDict]:
        return body

    client = TestClient(aaf([router]))
    batch: dict[str, object] = {"label": "X", "items": GOOD, "counts": {}}
    cases: list[tuple[str, object, object, bool]] = [
        ("/holds", {"batch": batch, "label": "x"}, HoldsDicts, True),
        ("/holds", {"record": {"label": "x", "items": GOOD}}, HoldsDicts, True),
        ("/holds", {"record": {"items": WRONG_ITEM}, "batch": {"items": []}}, HoldsDicts, True),
        ("/lower", {"batch": batch}, LowerHoldsDicts, False),
        ("/rows", [batch, batch], list[BatchDict], True),
        ("/rows", [{"label": "x", "counts": {}, "items": WRONG_ITEM}], list[BatchDict], True),
    ]
    for path, value, kind, sliced in cases:
        assert_sliced_as_pydantic(client, path, value, kind, turns, sliced)


def test_a_large_typeddicts_or_dataclasss_lists_are_freed_after_the_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, _dispatch)
    kept: list[BatchClass] = []
    router = Router()

    @router.post("/dict")
    async def as_dict(connection: Connection, batch: BatchDict) -> int:
        return len(batch["items"])

    @router.post("/class")
    async def as_class(connection: Connection, batch: BatchClass) -> int:
        return len(batch.items)

    @router.post("/keep")
    async def keep(connection: Connection, batch: BatchClass) -> int:
        kept.append(batch)
        return len(batch.items)

    client = TestClient(aaf([router]))
    data = json.dumps({"label": "x", "items": GOOD, "counts": {}}).encode()
    for path in ("/dict", "/class"):
        turns.clear()
        assert client.post(path, content=data, headers=JSON).json() == 20_000
        assert turns == [0] * 5, path  # 20,000 items, 4,096 a turn
    turns.clear()
    assert client.post("/keep", content=data, headers=JSON).json() == 20_000
    assert turns == [] and len(kept[0].items) == 20_000  # the handler's is left whole


@pytest.mark.anyio
async def test_a_large_value_the_model_ignores_does_not_stall_others_either() -> None:
    # Walked bracket by bracket with turns of the event loop, not built: built in one go (to
    # find where it ends), 300,000 ignored items stalled every other request ~0.2 s.
    ignored = [{"id": i, "name": 'n [{"'} for i in range(300_000)]
    huge = json.dumps({"label": "x", "ignored": ignored, "orderLines": GOOD[:2]})
    done: list[str] = []
    async with AsyncTestClient(order_app()) as client:

        async def big() -> None:
            answer = await client.post(
                "/orders", content=huge, headers={"content-type": "application/json"}
            )
            assert answer.json()["orderLines"] == GOOD[:2]
            done.append("big")

        async def small() -> None:
            await asyncio.sleep(0.05)
            assert (await client.get("/ping")).text == "pong"
            done.append("small")

        await asyncio.gather(big(), small())
    assert done == ["small", "big"]


def test_values_skipped_over_keep_their_brackets_in_strings() -> None:
    client = TestClient(order_app())
    tricky = ["a ] } [ {", 'quote \\" ] }', "\\\\", "end ]"]
    order = {"label": "x", "pad": {"s": tricky, "n": [[1, [2]], {"k": "}"}]}, "orderLines": GOOD}
    data = json.dumps(order).encode()
    answer = client.post("/orders", content=data, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and len(answer.json()["orderLines"]) == 20_000
    # A value cut short is refused as whole validation refuses it.
    broken = data.replace(b'"pad": {', b'"pad": {"open": [', 1)
    answer = client.post("/orders", content=broken, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["type"] == "json_invalid"


def test_a_large_dict_body_is_sliced_like_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/skus")
    async def skus(connection: Connection, items: dict[str, Item]) -> dict[str, Item]:
        return items

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    adapter = TypeAdapter(dict[str, Item])
    data = json.dumps(SKUS).encode()
    answer = client.post("/skus", content=data, headers=headers)
    assert answer.json() == adapter.dump_python(adapter.validate_json(data), mode="json")
    assert len(turns) >= 10  # 600 KB, 32 KiB a slice
    wrong = dict(SKUS)
    wrong["sku-123"] = {"id": "x", "name": "n"}
    answer = client.post("/skus", content=json.dumps(wrong).encode(), headers=headers)
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("int_parsing", ["body", "sku-123", "id"])
    ]
    assert client.post("/skus", content=b"{" + b" " * 70_000 + b"}", headers=headers).json() == {}
    statuses = [
        client.post("/skus", content=odd, headers=headers).json()["detail"][0]["type"]
        for odd in (json.dumps(GOOD).encode(), json.dumps(SKUS).encode() + b" x")
    ]
    assert statuses == ["dict_type", "json_invalid"]


def test_optional_set_and_tuple_bodies_are_sliced_and_answer_as_whole_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each was validated in one piece: 10 MB of `list[Item] | None` held other clients about
    # 0.4 s, a million numbers as `set[int]` 80 ms (benchmarks/large_bodies.py); and a
    # `frozenset` still was.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    freeing = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/maybe")
    async def maybe(
        connection: Connection, items: Annotated[list[Item] | None, Body()] = None
    ) -> list[Item] | None:
        return items

    @router.post("/maybe-batch")
    async def maybe_batch(connection: Connection, batch: Order | None = None) -> Order | None:
        return batch

    @router.post("/numbers")
    async def numbers(connection: Connection, numbers: Annotated[set[int], Body()]) -> list[int]:
        assert type(numbers) is set
        return sorted(numbers)

    @router.post("/frozen")
    async def frozen(connection: Connection, words: Annotated[frozenset[str], Body()]) -> int:
        assert type(words) is frozenset
        return len(words)

    @router.post("/pairs")
    async def pairs(connection: Connection, items: tuple[Item, ...]) -> int:
        assert type(items) is tuple and all(type(item) is Item for item in items)
        return len(items)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}

    def post(path: str, data: bytes) -> Any:
        return client.post(path, content=data, headers=headers).json()

    numbers_body = body([i % 40_000 for i in range(80_000)])  # each twice, 500 KB
    wrong_number = [*range(60_000), "x", 1]
    cases: list[tuple[str, Any, bytes]] = [
        ("/maybe", list[Item] | None, body(GOOD)),
        ("/maybe", list[Item] | None, body(WRONG_ITEM)),
        ("/maybe", list[Item] | None, b"null" + b" " * 70_000),
        ("/maybe-batch", Order | None, json.dumps({"label": "x", "orderLines": GOOD}).encode()),
        (
            "/maybe-batch",
            Order | None,
            json.dumps({"label": "x", "orderLines": WRONG_ITEM}).encode(),
        ),
        ("/numbers", set[int], numbers_body),
        ("/numbers", set[int], body(wrong_number)),
        ("/frozen", frozenset[str], body([f"w{i % 30_000}" for i in range(60_000)])),
        ("/frozen", frozenset[str], body([*map(str, range(60_000)), 5])),
        ("/pairs", tuple[Item, ...], body(GOOD)),
        ("/pairs", tuple[Item, ...], body(WRONG_ITEM)),
    ]
    for path, annotation, data in cases:
        turns.clear()
        freeing.clear()
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        try:
            value = adapter.validate_json(data)
        except ValidationError as exc:
            expected = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
            answer = post(path, data)["detail"]
            assert [(e["type"], e["loc"]) for e in answer] == expected, path
        else:
            if value is None:
                assert client.post(path, content=data, headers=headers).status_code == 204
                continue
            answer = post(path, data)
            if path == "/numbers":
                assert answer == sorted(value)
                assert len(freeing) >= 9  # 40,000 numbers let go 4,096 at a time
            elif path == "/frozen":
                assert answer == len(value) == 30_000
                assert len(freeing) >= 7  # by the set it was made from, 4,096 at a time
            elif path == "/pairs":
                assert answer == len(value)
            else:
                assert answer == adapter.dump_python(value, mode="json", by_alias=True), path
        if not data.startswith(b"null"):
            assert len(turns) >= 5, path  # a slice at a time (32 KiB each)


class Loose(BaseModel):
    """Fields of any JSON, read apart as plain values are."""

    label: str
    rows: list[dict[str, Any]] = []
    extra: dict[str, JsonValue] = {}


def test_bodies_and_fields_of_any_json_are_sliced(monkeypatch: pytest.MonkeyPatch) -> None:
    # `Annotated[Any, Body()]` and `JsonValue` bodies were validated in one piece (400,000
    # objects held other clients 0.2 s), and so was a model's `list[dict[str, Any]]` field.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    freeing = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/any")
    async def anything(connection: Connection, value: Annotated[Any, Body()]) -> JsonValue:
        return cast("JsonValue", value)

    @router.post("/object")
    async def an_object(connection: Connection, value: Annotated[object, Body()]) -> int:
        return len(cast("list[object]", value))

    @router.post("/json")
    async def json_value(connection: Connection, value: Annotated[JsonValue, Body()]) -> int:
        return len(cast("list[object]", value))

    @router.post("/loose")
    async def loose(connection: Connection, value: Loose) -> Loose:
        return value

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    nested = [{"id": i, "tags": ["a", {"b": None}], "x": i / 3} for i in range(10_000)]
    cases: list[tuple[str, bytes]] = [
        ("/any", json.dumps(nested).encode()),
        ("/any", json.dumps({f"k{i}": item for i, item in enumerate(nested)}).encode()),
        ("/object", json.dumps(nested).encode()),
        ("/json", json.dumps(nested).encode()),
    ]
    for path, data in cases:
        turns.clear()
        freeing.clear()
        answer = client.post(path, content=data, headers=headers).json()
        parsed = from_json(data)
        assert answer == (parsed if path == "/any" else len(parsed)), path
        assert len(turns) >= 10, path  # 500 KB, 32 KiB a slice
        assert len(freeing) >= 2, path  # let go a slice at a time after the response
    data = json.dumps({"label": "x", "rows": nested, "extra": {"n": nested}}).encode()
    turns.clear()
    answer = client.post("/loose", content=data, headers=headers).json()
    assert answer == Loose.model_validate_json(data).model_dump(mode="json")
    assert len(turns) >= 10
    # Broken half way: where Python finds it; a long string is any JSON too.
    broken = json.dumps(nested).replace('{"id": 5000,', '{"id": 5000 ', 1)
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(broken)
    [entry] = client.post("/any", content=broken.encode(), headers=headers).json()["detail"]
    assert (entry["type"], entry["loc"]) == ("json_invalid", ["body", python.value.pos])
    text = '"' + "x" * 100_000 + '"'
    assert client.post("/any", content=text.encode(), headers=headers).json() == "x" * 100_000


def test_values_skipped_over_cost_time_in_step_with_their_length() -> None:
    # A regex for whole strings, tried at each quote, made a body of unclosed escaped quotes
    # take time growing with the square of its length: 80 KB of them held the event loop
    # 16 s, and these 400 KB ran for over 5 minutes (the test was stopped). Each is a 422
    # now, answered at once.
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    head = b'{"label": "x", "orderLines": [], "pad": '
    for tail in (b'["' + b'\\"' * 200_000, b"[" * 200_000, b'["' + b"a" * 200_000):
        answer = client.post("/orders", content=head + tail, headers=headers)
        assert answer.status_code == 422, tail[:10]
        assert answer.json()["detail"][0]["type"] == "json_invalid"


def test_large_dicts_and_lists_of_plain_values_are_sliced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    decoded: list[int] = []  # items read one by one: none, in runs of plain values
    real = _slices._DECODER  # pyright: ignore[reportPrivateUsage]

    class Counted(json.JSONDecoder):
        def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
            decoded.append(idx)
            return real.raw_decode(s, idx)

    patch_body_modules(monkeypatch, "_DECODER", Counted())
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    counts = {f"k-{i}": i for i in range(50_000)}  # 900 KB
    numbers = [i / 4 for i in range(50_000)]
    words = [f'say "hi" [{i}], \\ {{}}' for i in range(20_000)]  # escapes, brackets, commas
    data = json.dumps(
        {"label": "t", "counts": counts, "numbers": numbers, "flags": [True], "words": words}
    )
    answer = client.post("/tally", content=data, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == Tally.model_validate_json(data).model_dump(mode="json")
    assert len(turns) >= 20  # 2 MB of values, 32 KiB of them a slice
    assert len(decoded) < 100  # the top-level members around the long ones only
    # Values as pydantic takes them in a model: "7" for an int, 1 for a float.
    data = json.dumps({"label": "t", "counts": {**counts, "k-1": "7"}, "numbers": [1, 2.5]})
    assert client.post("/tally", content=data, headers=headers).json()["counts"]["k-1"] == 7
    wrong = {**counts, "k-40000": "x"}
    answer = client.post(
        "/tally", content=json.dumps({"label": "t", "counts": wrong}), headers=headers
    )
    assert [(e["type"], e["loc"], e["input"]) for e in answer.json()["detail"]] == [
        ("int_parsing", ["body", "counts", "k-40000"], "x")
    ]


def test_a_models_dicts_of_dicts_and_lists_of_dicts_are_sliced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A model's dict[str, dict[str, int]] field of 600,000 keys was validated with the body
    # in one piece: 0.4 s that no other client was served.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    nested = {f"k-{i}": {"a": i, "b": -i} for i in range(20_000)}  # 600 KB
    rows = [{"x": i / 2} for i in range(20_000)]  # 300 KB
    data = json.dumps({"label": "t", "nested": nested, "rows": rows})
    answer = client.post("/tally", content=data, headers=headers)
    assert answer.json() == Tally.model_validate_json(data).model_dump(mode="json")
    assert len(turns) >= 20  # 900 KB, 32 KiB a slice
    for wrong, loc in (
        ({"nested": {**nested, "k-15000": {"a": 1, "b": "x"}}}, ["nested", "k-15000", "b"]),
        ({"rows": [*rows[:15_000], {"x": "y"}, *rows[15_000:]]}, ["rows", 15_000, "x"]),
    ):
        answer = client.post("/tally", content=json.dumps({"label": "t", **wrong}), headers=headers)
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
            ("int_parsing" if loc[0] == "nested" else "float_parsing", ["body", *loc])
        ]
    # A config that lowers strings lowers inner dicts' keys too: validated in one piece.
    upper: dict[str, object] = {"by_sku": {}, "rows": [{"X": 1.5}] * 10_000}
    upper["nested"] = {f"K-{i}": {"A": i} for i in range(20_000)}
    data = json.dumps(upper)
    turns.clear()
    answer = client.post("/lower", content=data, headers=headers)
    assert answer.json() == LowerKeys.model_validate_json(data).model_dump(mode="json")
    assert answer.json()["nested"]["k-1"] == {"a": 1} and answer.json()["rows"][0] == {"x": 1.5}
    assert len(turns) < 10


def test_a_long_string_item_is_found_by_scans_not_a_pattern(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A plain value's pattern, run over a 10 MB string to find where it ends, held the event
    # loop 30 ms for a list[str] body of one item (its validation takes 2 ms).
    router = Router()

    @router.post("/words")
    async def words(connection: Connection, words: Annotated[list[str], Body()]) -> list[int]:
        return [len(word) for word in words]

    matched: list[int] = []  # how far each pattern read

    class Recorded:
        def __init__(self, real: re.Pattern[bytes]) -> None:
            self.real = real

        def match(
            self, data: bytes, pos: int = 0, endpos: int = sys.maxsize
        ) -> re.Match[bytes] | None:
            found = self.real.match(data, pos, endpos)
            matched.append((found.end() if found else min(endpos, len(data))) - pos)
            return found

    for name in ("_PLAIN_VALUES", "_STRING_REST"):
        patch_body_modules(monkeypatch, name, Recorded(getattr(_slices, name)))
    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    long = "a" * 3_000_000
    for items in ([long], ["x", long], [long, "y", "z"], ["x", long, "y" * 100_000]):
        answer = client.post("/words", content=json.dumps(items), headers=headers)
        assert answer.json() == [len(item) for item in items]
    # Strings dense with escaped quotes and backslashes (a pattern reading escapes one at a
    # time took 0.34 s over 10 MB of them), alone, among others, and inside an object.
    dense = 'a"\\' * 300_000
    for items in ([dense], ["x", dense, 'y"'], ['\\"' * 40, dense + "z"]):
        answer = client.post("/words", content=json.dumps(items), headers=headers)
        assert answer.json() == [len(item) for item in items]
    assert max(matched, default=0) < 100_000, max(matched)


def test_many_short_strings_with_escaped_quotes_are_read_by_the_pattern(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The windows where escapes are overwritten are for long strings: given 32 KiB for each
    # short one (a draft of this change did), a model body whose unknown member held 100,000
    # strings of escaped quotes took 9.8 s, 0.84 s in one stall.
    windows: list[int] = []
    real = _slices._in_escapes  # pyright: ignore[reportPrivateUsage]

    def recorded(data: bytes, pos: int) -> tuple[int, int]:
        found = real(data, pos)
        windows.append(pos)
        return found

    patch_body_modules(monkeypatch, "_in_escapes", recorded)
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    quoted = '"' * 40
    order = {"label": "x", "junk": [quoted] * 20_000, "orderLines": GOOD}
    answer = client.post("/orders", content=json.dumps(order), headers=headers)
    assert answer.status_code == 200 and answer.json()["label"] == "x"
    assert windows == []
    long = {"label": '"' * 100_000, "junk": [quoted], "orderLines": GOOD}
    answer = client.post("/orders", content=json.dumps(long), headers=headers)
    assert answer.json()["label"] == long["label"]
    assert 1 <= len(windows) <= 2  # the one long string (found as a slice ends, then read)


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([b"a", b'"', b"\\", b"\n", b"\xc3\xa9", b"\\\\", b'\\"']),
        max_size=80,
    ),
    st.integers(0, 5),
    st.sampled_from([1, 2, 5, 64 * 1024]),
    st.sampled_from([2, 3, 7, 512 * 1024]),
)
def test_where_a_string_ends_is_what_the_json_grammar_says(
    parts: list[bytes], pos: int, window: int, step: int
) -> None:
    # _after_string finds the closing quote with scans, the pattern within a window of
    # ``window`` bytes, and past it windows of ``step`` bytes where escapes are overwritten
    # in place; the grammar's own pattern, over the whole string, is the reference.
    data = b"".join(parts)
    pos = min(pos, len(data))
    reference = _slices._STRING_REST.match(data, pos)  # pyright: ignore[reportPrivateUsage]
    saved = (
        _slices._SHORT_STRING,  # pyright: ignore[reportPrivateUsage]
        _slices._ESCAPES_WINDOW,  # pyright: ignore[reportPrivateUsage]
        _slices._ESCAPES_STEP,  # pyright: ignore[reportPrivateUsage]
    )
    _slices._SHORT_STRING = _slices._ESCAPES_WINDOW = window  # pyright: ignore[reportPrivateUsage]
    _slices._ESCAPES_STEP = step  # pyright: ignore[reportPrivateUsage]
    try:
        found = asyncio.run(_slices._after_string(data, pos))  # pyright: ignore[reportPrivateUsage]
    finally:
        (
            _slices._SHORT_STRING,  # pyright: ignore[reportPrivateUsage]
            _slices._ESCAPES_WINDOW,  # pyright: ignore[reportPrivateUsage]
            _slices._ESCAPES_STEP,  # pyright: ignore[reportPrivateUsage]
        ) = saved
    assert found == (-1 if reference is None else reference.end())


def test_lists_of_lists_of_plain_values_are_sliced_item_by_item(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    series = {f"k-{i}": [i, i + 1] for i in range(30_000)}  # 500 KB
    grid = [[i / 2, -i] for i in range(20_000)]
    data = json.dumps({"label": "t", "series": series, "grid": grid})
    answer = client.post("/tally", content=data, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == Tally.model_validate_json(data).model_dump(mode="json")
    assert len(turns) >= 20  # 800 KB of values, 32 KiB of them a slice
    wrong = {**series, "k-20000": [1, "x"]}
    answer = client.post(
        "/tally", content=json.dumps({"label": "t", "series": wrong}), headers=headers
    )
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("int_parsing", ["body", "series", "k-20000", 1])
    ]


def test_plain_values_under_a_config_that_changes_them_are_validated_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    data = json.dumps({"numbers": [float(i) for i in range(100_000)]})  # 1.0 is no strict int
    answer = client.post("/strict", content=data, headers=headers)
    with pytest.raises(ValidationError) as whole:
        StrictTally.model_validate_json(data)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == whole.value.errors()[0]["type"] == "int_type"
    assert len(turns) < 5  # the walk past the list, then one piece; slices would take 28
    data = json.dumps({"numbers": list(range(100_000))})
    assert client.post("/strict", content=data, headers=headers).json() == 100_000


def plain_app() -> App:
    """Bodies of plain values, each route answering with what it read."""
    router = Router()

    @router.post("/numbers")
    async def numbers(connection: Connection, values: Annotated[list[int], Body()]) -> int:
        return sum(values)

    @router.post("/pairs")
    async def pairs(connection: Connection, values: Annotated[list[list[int]], Body()]) -> int:
        return len(values)

    @router.post("/words")
    async def words(connection: Connection, values: Annotated[list[str], Body()]) -> int:
        return len(values)

    @router.post("/floats")
    async def floats(connection: Connection, values: Annotated[list[float], Body()]) -> float:
        return sum(v for v in values if v == v)  # NaN aside

    @router.post("/labels")
    async def labels(connection: Connection, values: Annotated[dict[str, str], Body()]) -> int:
        return sum(len(k) + len(v) for k, v in values.items())

    @router.post("/counts")
    async def counts(connection: Connection, values: Annotated[dict[str, int], Body()]) -> int:
        return sum(values.values())

    return aaf([router])


def _plain_bodies() -> list[tuple[str, bytes]]:
    words = [f"w{i}" for i in range(40_000)]
    tricky = [f"a,{i}" if i % 3 else f'q"]{{,{i}' for i in range(30_000)]
    numbers = [i * (-1.5) ** (i % 4) for i in range(40_000)]
    counts = {f"k,{i}": i for i in range(30_000)}
    spaced = b"[ " + b" ,\n ".join(str(i).encode() for i in range(30_000)) + b" \n]"
    return [
        ("words", json.dumps(words).encode()),
        ("words", json.dumps(tricky).encode()),  # commas, brackets and escapes in strings
        ("floats", json.dumps(numbers).encode()),
        (
            "floats",
            json.dumps([*numbers[:20_000], "NaN-here", 1.0]).replace('"NaN-here"', "NaN").encode(),
        ),
        ("floats", spaced),
        ("counts", json.dumps(counts).encode()),
        ("counts", json.dumps({**counts, "k,25000": 1.5}).encode()),  # no int: int_from_float
        ("floats", spaced.replace(b" ,\n 20000 ,", b" ,\n ,", 1)),  # a hole: broken JSON
        ("floats", spaced.replace(b" ,\n 20000 ,", b" ,\n 2 0 ,", 1)),
        ("floats", spaced[:-1]),  # no closing bracket
        ("words", b'["a", "' + b"x" * 70_000 + b'",]'),  # a trailing comma cut at
        ("words", b'["a", "' + b"x" * 70_000 + b'", ,"b"]'),
        ("counts", b'{"a": 1, "' + b"x" * 70_000 + b'": 2,}'),
        ("labels", json.dumps({f"k,{i}": f'v "{i}", [{{}}]' for i in range(20_000)}).encode()),
        ("labels", json.dumps({f"k{i}": f"v,{i}" for i in range(40_000)}).encode()),
        ("words", json.dumps(words).replace('"w25000"', "w25000").encode()),
        ("counts", json.dumps(counts).replace('"k,25000": ', '"k,25000" ', 1).encode()),
    ]


@pytest.mark.parametrize(("route", "data"), _plain_bodies())
def test_plain_values_cut_at_commas_answer_as_whole_validation(route: str, data: bytes) -> None:
    # Plain runs are cut at a comma and validated as they are; anything else (brackets,
    # escapes, an odd quote before the cut, broken JSON) is read item by item, as before.
    kinds: dict[str, type[Any]] = {
        "words": list[str],
        "floats": list[float],
        "counts": dict[str, int],
        "labels": dict[str, str],
    }
    adapter: TypeAdapter[Any] = TypeAdapter(kinds[route])
    with TestClient(plain_app()) as client:
        answer = client.post(
            f"/{route}", content=data, headers={"content-type": "application/json"}
        )
    try:
        whole = adapter.validate_json(data)
    except ValidationError as exc:
        assert answer.status_code == 422
        [entry] = answer.json()["detail"]
        [expected] = exc.errors()[:1]
        assert entry["type"] == expected["type"]
        if expected["type"] == "json_invalid":  # located where Python's parser finds it
            with pytest.raises(json.JSONDecodeError) as python:
                json.loads(data)
            assert entry["loc"] == ["body", python.value.pos]
        else:
            assert entry["loc"] == ["body", *expected["loc"]]
    else:
        assert answer.status_code == 200
        if route == "words":
            value = len(whole)
        elif route == "counts":
            value = sum(whole.values())
        elif route == "labels":
            value = sum(len(k) + len(v) for k, v in whole.items())
        else:
            value = sum(v for v in whole if v == v)  # NaN aside
        assert answer.json() == value


def with_junk(values: object, where: int, junk: str) -> bytes:
    """``values`` as JSON (ASCII or not, by ``where``'s parity), ``junk`` put in at ``where``
    (below 0: that far from the end)."""
    text = json.dumps(values, ensure_ascii=where % 2 == 0)
    at = where % (len(text) + 1) if where >= 0 else max(0, len(text) + where)
    return (text[:at] + junk + text[at:]).encode()


def in_slices(
    validator: SchemaValidator, data: bytes, opening: str
) -> tuple[object, list[dict[str, object]]]:
    """What validating ``data`` in slices gives, and the errors it found."""
    errors: list[dict[str, object]] = []
    reading = ItemsReading(validator, opening.encode(), None, False)
    sliced = asyncio.run(_slices.validate_in_slices(reading, data, errors))
    return sliced, errors


_SCALARS = st.one_of(
    st.text(alphabet=st.sampled_from(list(',"[]{}\\: aé\n')), max_size=12),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_JUNK = ["", ",", "]", "[", "}", "{", '"', "\\", " ", ":", "\\u", "x"]


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(values=["a,b", "cd"], where=-1, junk=",", slice_size=2)  # a trailing comma
@example(values=["a,b", "c,d"], where=0, junk="", slice_size=2)  # cuts inside strings
@given(
    values=st.one_of(
        st.lists(_SCALARS, max_size=40),
        st.dictionaries(st.text(max_size=8), _SCALARS, max_size=30),
    ),
    where=st.integers(min_value=-3),  # below 0: that far from the end
    junk=st.sampled_from(_JUNK),
    slice_size=st.integers(min_value=1, max_value=40),
)
def test_slices_of_any_plain_values_agree_with_whole_validation(
    monkeypatch: pytest.MonkeyPatch,
    values: list[object] | dict[str, object],
    where: int,
    junk: str,
    slice_size: int,
) -> None:
    # Slices of a few characters, so that every way a cut can fall (in a string, on an escape,
    # on a trailing comma, before junk) is tried on small inputs.
    patch_body_modules(monkeypatch, "_SLICE", slice_size)
    data = with_junk(values, where, junk)
    opening = "{" if isinstance(values, dict) else "["
    adapter: TypeAdapter[Any] = (
        TypeAdapter(dict[str, str | int | bool | float])
        if opening == "{"
        else TypeAdapter(list[str | int | bool | float])
    )
    validator = fail_fast_validator(adapter)
    sliced, errors = in_slices(validator, data, opening)
    if sliced is _slices.NOT_A_LIST:
        return  # not an array (an object) at all: the caller validates it whole
    try:
        whole = validator.validate_json(data)
    except ValidationError:
        assert errors, (data, sliced)
    else:
        assert errors == [] and sliced == whole, data


@pytest.mark.parametrize(
    ("route", "data", "where"),
    [
        # Small: validated whole; pydantic's reason, at pydantic's place (Python's parser
        # refuses it for its own limit, not for the JSON), where it gave up on the digits.
        ("/floats", "[1, " + "7" * 5000 + "]", 4305),
        # Large: each slice's place, found item by item.
        ("/floats", "[" + "1, " * 30_000 + "7" * 5000 + "]", 1 + 3 * 30_000),
        ("/floats", "[" + ", ".join(["7" * 5000] * 20) + "]", 1),
        ("/counts", '{"a": 1, ' + '"k": 1, ' * 10_000 + '"b": ' + "7" * 5000 + "}", 80_014),
    ],
)
def test_a_number_of_more_digits_than_python_converts_is_json_invalid(
    route: str, data: str, where: int
) -> None:
    # Python's json raises a plain ValueError past sys.int_info's 4,300 digits: a 500 before.
    with TestClient(plain_app(), raise_server_exceptions=False) as client:
        answer = client.post(route, content=data, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [entry] = answer.json()["detail"]
    assert (entry["type"], entry["loc"][1]) == ("json_invalid", where)
    assert entry["ctx"]["error"].startswith("number out of range")


class NamedLoc(BaseModel):
    """Errors located by field name, not alias, as pydantic's loc_by_alias=False says."""

    model_config = ConfigDict(loc_by_alias=False)
    lines: list[Item] = Field(alias="orderLines")


def test_a_sliced_field_is_located_as_the_models_config_says() -> None:
    router = Router()

    @router.post("/named")
    async def named(connection: Connection, order: NamedLoc) -> int:
        return len(order.lines)

    lines: list[dict[str, object]] = list(GOOD)
    lines[15_000] = {"id": "x", "name": "n"}
    with TestClient(aaf([router])) as client:
        for body_lines, index in ((lines, 15_000), (lines[15_000:15_001], 0)):  # large, small
            data = json.dumps({"orderLines": body_lines})
            answer = client.post(
                "/named", content=data, headers={"content-type": "application/json"}
            )
            assert [e["loc"] for e in answer.json()["detail"]] == [["body", "lines", index, "id"]]


WRONG = [{"id": "x", "name": "n"}] * 20_000


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("/items", body(WRONG)),  # a wrong item in the first slice
        ("/items", body([*GOOD, *WRONG])),  # in a later one
        ("/items", body(GOOD)[:-2] + b",}]"),  # broken JSON, found item by item
        ("/order", json.dumps({"label": "x", "orderLines": WRONG}).encode()),
        ("/ints", b"[" + b"1," * 300_000 + b'"x"]'),  # plain values cut at commas
    ],
    ids=["first slice", "later slice", "broken json", "model body", "plain values"],
)
def test_a_large_body_refused_leaves_no_cycle_holding_it(route: str, data: bytes) -> None:
    # A 422 found in a slice once kept a cycle (the error, its traceback, the frames above it)
    # that held the body and its text until a collection came: a stream of wrong 10 MB lists
    # grew the server by hundreds of MiB and paused it for tens of ms at each collection.
    router = Router()

    @router.post("/items")
    async def items(connection: Connection, items: list[Item]) -> int:
        return len(items)

    @router.post("/order")
    async def order(connection: Connection, order: Order) -> int:
        return len(order.lines)

    @router.post("/ints")
    async def ints(connection: Connection, ints: list[int]) -> int:
        return len(ints)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    assert len(data) > _entries.FULL_REPORT_SIZE
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable stays in gc.garbage
    try:
        response = client.post(route, content=data, headers=headers)
        gc.collect()
        held = [
            type(garbage).__name__
            for garbage in gc.garbage
            for referent in gc.get_referents(garbage)
            if isinstance(referent, (bytes, str)) and len(referent) > 100_000
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert response.status_code == 422, response.text
    assert held == []


# Strings that look like the places between nested items, and what breaks them.
_LOOKALIKES = st.sampled_from(["},{", "], [", '},"', "}, {", ",", "{", "]", '"', "\\", "é"])
_NESTED = st.recursive(
    st.one_of(_SCALARS, _LOOKALIKES),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=3), _LOOKALIKES), children, max_size=4),
    ),
    max_leaves=10,
)


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(items=[{"a": "},{"}, {"a": 1}], where=0, junk="", slice_size=1, typed=False)
@example(
    items=[{"a": [{"b": 1}, {"b": 2}]}, {"a": "x"}], where=0, junk="", slice_size=1, typed=True
)
@given(
    items=st.one_of(
        st.lists(_NESTED, max_size=12),
        st.dictionaries(st.one_of(st.text(max_size=3), _LOOKALIKES), _NESTED, max_size=12),
    ),
    where=st.integers(min_value=-3),
    junk=st.sampled_from(_JUNK),
    slice_size=st.integers(min_value=1, max_value=40),
    typed=st.booleans(),
)
def test_slices_of_nested_items_cut_between_them_agree_with_whole_validation(
    monkeypatch: pytest.MonkeyPatch,
    items: list[object] | dict[str, object],
    where: int,
    junk: str,
    slice_size: int,
    typed: bool,
) -> None:
    # Runs of nested items are cut at a comma that looks like one between items and validated
    # as cut; wherever that comma really is (in a string, in an item), the answer must be what
    # validating the whole gives: the same items, or the same first error.
    patch_body_modules(monkeypatch, "_SLICE", slice_size)
    data = with_junk(items, where, junk)
    opening = "{" if isinstance(items, dict) else "["
    adapter: TypeAdapter[Any]
    if typed:
        adapter = TypeAdapter(
            dict[str, dict[str, list[int] | int]]
            if opening == "{"
            else list[dict[str, list[int] | int]]
        )
    else:
        adapter = TypeAdapter(dict[str, JsonValue] if opening == "{" else list[JsonValue])
    validator = fail_fast_validator(adapter)
    sliced, errors = in_slices(validator, data, opening)
    if sliced is _slices.NOT_A_LIST:
        return  # not that kind of JSON at all: the caller validates it whole
    try:
        whole = validator.validate_json(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        assert errors, (data, sliced)
        if first["type"] != "json_invalid":  # (broken JSON after a wrong item: either first)
            assert (errors[0]["type"], errors[0]["loc"]) == (
                first["type"],
                ["body", *first["loc"]],
            ), data
    else:
        assert errors == [] and sliced == whole, data


def test_a_sliced_body_gives_other_requests_a_turn_before_it_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Joining a large body's chunks and decoding it are each a stall of a few ms (page faults
    # on fresh memory): a turn of the event loop comes between them.
    events: list[str] = []
    real_sleep = asyncio.sleep
    real_validate = _slices.validate_in_slices

    async def counted(delay: float) -> None:
        events.append("turn")
        await real_sleep(delay)

    async def validate(*args: Any, **kwargs: Any) -> object:
        events.append("decode")
        return await real_validate(*args, **kwargs)

    patch_body_modules(monkeypatch, "asyncio", SimpleNamespace(sleep=counted))
    patch_body_modules(monkeypatch, "validate_in_slices", validate)
    client = TestClient(make_app())
    answer = client.post("/items", content=body(GOOD), headers={"content-type": "application/json"})
    assert answer.json() == {"count": 20_000, "last": 19_999}
    assert events[:2] == ["turn", "decode"]


def test_large_bodies_are_read_as_bytes_whatever_their_characters(client: TestClient) -> None:
    # A large body is sliced without decoding it whole: items longer than the window a slice
    # is read from, characters cut by a window's end, and bytes that are not UTF-8 at all.
    headers = {"content-type": "application/json"}
    giant = [{"id": 1, "name": "€" * 50_000}, *NAMED_ITEMS[:3000], {"id": 2, "name": "ü" * 40_000}]
    data = json.dumps(giant, ensure_ascii=False).encode()
    answer = client.post("/items", content=data, headers=headers)
    assert answer.json() == {"count": len(giant), "last": 2}
    broken = data[: len(data) // 2] + b"\xff" + data[len(data) // 2 :]
    answer = client.post("/items", content=broken, headers=headers)
    assert answer.status_code == 422
    assert [e["type"] for e in answer.json()["detail"]] == ["json_invalid"]
    # A model body: keys and values skipped over in any characters, its list sliced.
    order = {"läbel": "x" * 100_000, "label": "ß", "orderLines": NAMED_ITEMS}
    answer = TestClient(order_app()).post(
        "/orders", content=json.dumps(order, ensure_ascii=False).encode(), headers=headers
    )
    assert answer.status_code == 200, answer.text
    data = json.dumps({"label": "x", "orderLines": NAMED_ITEMS}, ensure_ascii=False).encode()
    broken = data[: len(data) // 2] + b"\xff" + data[len(data) // 2 :]
    answer = TestClient(order_app()).post("/orders", content=broken, headers=headers)
    assert answer.status_code == 422
    assert [e["type"] for e in answer.json()["detail"]] == ["json_invalid"]


# connection.json(): any JSON, a list or an object past 64 KiB parsed a slice at a time --------
def json_app() -> App:
    router = Router()

    @router.post("/any")
    async def any_json(connection: Connection) -> HttpResponse:
        value = await connection.json()
        return HttpResponse(json.dumps(value, sort_keys=True), media_type="application/json")

    return aaf([router])


JSON_CLIENT = TestClient(json_app())
_JSON_VALUES = st.recursive(
    st.one_of(st.none(), _SCALARS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=40,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.lists(_JSON_VALUES, max_size=20), st.dictionaries(st.text(max_size=8), _JSON_VALUES)
    ),
    where=st.integers(min_value=-3),
    junk=st.sampled_from(_JUNK),
    slice_size=st.integers(min_value=1, max_value=40),
)
def test_connection_json_in_slices_agrees_with_parsing_whole(
    monkeypatch: pytest.MonkeyPatch, value: object, where: int, junk: str, slice_size: int
) -> None:
    # Every body counts as large here, in slices of a few characters, and an item longer
    # than a few slices is read a slice at a time in its turn (a list or an object), or the
    # body whole.
    patch_body_modules(monkeypatch, "FULL_REPORT_SIZE", 0)
    patch_body_modules(monkeypatch, "_SLICE", slice_size)
    patch_body_modules(monkeypatch, "_WIDEST_WINDOW", 4 * slice_size)
    data = with_junk(value, where, junk)
    answer = JSON_CLIENT.post("/any", content=data, headers={"content-type": "application/json"})
    try:
        whole = from_json(data)  # what a small body is parsed with
    except ValueError:
        assert answer.status_code == 400, data
        assert answer.text.startswith("Request body is not valid JSON: ")
    else:
        assert answer.status_code == 200, (data, answer.text)
        assert answer.json() == whole, data


def test_connection_json_reads_a_large_list_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    data = json.dumps(GOOD).encode()  # 600 KB
    answer = TestClient(json_app()).post(
        "/any", content=data, headers={"content-type": "application/json"}
    )
    assert answer.json() == GOOD
    assert len(turns) >= len(data) // (64 * 1024)  # a turn at least every two slices


def test_what_connection_json_parsed_is_freed_after_the_response_unless_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As a typed list body is: a slice at a time, a turn of the event loop after each.
    turns = count_turns(monkeypatch, _dispatch)
    kept: list[object] = []
    router = Router()

    @router.post("/read/<keep>")
    async def read(connection: Connection, keep: str) -> int:
        value = await connection.json()
        assert await connection.json() is value  # kept, as Starlette's request.json()
        if keep == "yes":
            kept.append(value)
        return len(value) if isinstance(value, list) else -1

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    data = body(GOOD)  # 20,000 items
    assert client.post("/read/yes", content=data, headers=headers).json() == 20_000
    assert turns == [] and kept[0] == GOOD  # the handler's value is left whole
    assert client.post("/read/no", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5  # 20,000 items, 4,096 a turn
    turns.clear()
    assert client.post("/read/no", content=body(GOOD[:100]), headers=headers).json() == 100
    assert turns == []  # a small value is freed at once


def test_a_long_list_inside_an_object_is_read_and_freed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # {"label": ..., "items": [...]}: the list is read a slice at a time in its turn (it was
    # one item of the object, read from ever wider windows: 0.5 s in one stall for 10 MB),
    # and freed so after the response, inside the object and a list around it.
    parse_turns = count_turns(monkeypatch, *BODY_MODULES)
    free_turns = count_turns(monkeypatch, _dispatch)
    wrapped = {"label": "x", "items": GOOD}
    for value in (wrapped, [1, wrapped], {"a": {"b": wrapped}}):
        parse_turns.clear()
        free_turns.clear()
        answer = JSON_CLIENT.post(
            "/any", content=json.dumps(value), headers={"content-type": "application/json"}
        )
        assert answer.json() == value
        assert len(parse_turns) >= 600_000 // (64 * 1024)
        assert free_turns == [0] * 5  # 20,000 items, 4,096 a turn


class Strict(BaseModel):
    """Refuses keys it does not read: nothing is left out of its objects."""

    model_config = ConfigDict(extra="forbid")
    id: int


class Open(BaseModel):
    """Keeps keys it does not read: nothing is left out of its objects either."""

    model_config = ConfigDict(extra="allow")
    id: int


class Tagged(BaseModel):
    id: int
    tags: list[str] = []


def long_items_app() -> App:
    router = Router()

    @router.post("/items")
    async def items(connection: Connection, items: list[Item]) -> list[Item]:
        return items

    @router.post("/item")
    async def item(connection: Connection, item: Item) -> Item:
        return item

    @router.post("/strict")
    async def strict(connection: Connection, items: list[Strict]) -> int:
        return len(items)

    @router.post("/open")
    async def open_(connection: Connection, items: list[Open]) -> list[dict[str, object]]:
        return [dict(i.model_extra or {}) for i in items]

    @router.post("/tagged")
    async def tagged(connection: Connection, items: list[Tagged]) -> list[int]:
        return [len(i.tags) for i in items]

    return aaf([router])


def watched(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> tuple[TestClient, list[float], list[bytes]]:
    """A client of ``long_items_app``, the turns the reading takes, and what the model's own
    validator is given when ``path``'s body (or an item of it) is read a member at a time."""
    turns = count_turns(monkeypatch, *BODY_MODULES)
    app = long_items_app()
    given: list[bytes] = []
    watch_model(app, path, given)
    return TestClient(app), turns, given


def watch_model(app: App, path: str, given: list[bytes]) -> None:
    match = app.routers[0].resolve(path, "POST")
    assert type(match) is tuple  # a Match
    body = match[0].plans["POST"].body
    assert body is not None
    reading = body.members or (body.items and body.items.each)
    assert isinstance(reading, ModelReading | ItemsReading)
    real = reading.validator

    class Watched:
        def validate_json(self, data: bytes) -> object:
            given.append(data)
            return real.validate_json(data)

    object.__setattr__(reading, "validator", Watched())


IGNORED = [{"k": i, "s": "] } [ {"} for i in range(40_000)]  # 1 MB, past the widest window


def test_a_long_item_holding_a_value_its_model_ignores_is_read_a_member_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Parsed in one piece (to be ignored), one item holding 10 MB of objects held every other
    # request 80 ms (benchmarks/hostile.py, "one long item"); its model is given the rest.
    client, turns, given = watched(monkeypatch, "/items")
    windows: list[int] = []
    real_window = _entries.decoded_window

    def window(data: bytes, start: int, stop: int) -> str:
        windows.append(stop - start)
        return real_window(data, start, stop)

    patch_body_modules(monkeypatch, "decoded_window", window)
    headers = {"content-type": "application/json"}
    big = {"id": 1, "extra": IGNORED, "name": "n"}
    data = json.dumps([{"id": 0, "name": "a"}, big, {"id": 2, "name": "c"}])
    answer = client.post("/items", content=data, headers=headers)
    expected = TypeAdapter(list[Item]).validate_json(data)
    assert answer.json() == [i.model_dump() for i in expected]
    assert given == [b'{"id": 1,"name": "n"}']
    assert len(turns) >= 20  # 1 MB checked 32 KiB at a time
    assert windows and max(windows) <= 128 * 1024  # never the whole item in a window
    # What is wrong is located as whole validation locates it.
    wrong = json.dumps([{"id": 0, "name": "a"}, {**big, "id": "x"}])
    detail = client.post("/items", content=wrong, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", 1, "id"], "int_parsing")]
    missing = json.dumps([{"id": 0, "name": "a"}, {"extra": IGNORED, "id": 1}])
    detail = client.post("/items", content=missing, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", 1, "name"], "missing")]
    # Broken JSON in the ignored value is refused where Python's parser finds it.
    broken = data.replace('{"k": 20000,', '{"k": 20000 "', 1)
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(broken)
    detail = client.post("/items", content=broken, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", python.value.pos], "json_invalid")]


def test_a_large_model_body_leaves_out_what_it_ignores(monkeypatch: pytest.MonkeyPatch) -> None:
    client, turns, given = watched(monkeypatch, "/item")
    headers = {"content-type": "application/json"}
    more = {"a": IGNORED[:10]}
    data = json.dumps({"extra": IGNORED, "id": 1, "more": more, "name": "n", "last": IGNORED})
    assert client.post("/item", content=data, headers=headers).json() == {"id": 1, "name": "n"}
    # Short members stay for the one call (read a slice of them at a time), long ones do not.
    assert given == [json.dumps({"id": 1, "more": more, "name": "n"}).encode()]
    assert len(turns) >= 20
    # A value the model reads stays, and is validated with the rest.
    given.clear()
    data = json.dumps({"extra": IGNORED, "id": 1, "name": ["n"]})
    detail = client.post("/item", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", "name"], "string_type")]
    assert given == [b'{"id": 1, "name": ["n"]}']


def test_a_model_that_refuses_or_keeps_other_keys_sees_them_all() -> None:
    client = TestClient(long_items_app())
    headers = {"content-type": "application/json"}
    data = json.dumps([{"id": 0}, {"id": 1, "extra": IGNORED}])
    detail = client.post("/strict", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", 1, "extra"], "extra_forbidden")]
    answer = client.post("/open", content=data, headers=headers).json()
    assert answer == [{}, {"extra": IGNORED}]


class Refusing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    count: int = 0


def test_a_model_refusing_unknown_keys_is_read_in_slices_its_first_hundred_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 700,000 unknown keys in 10 MB made 700,000 errors, each a dict: 2 s of the event loop
    # for a 422 that lists 100. Read a slice of members at a time, the one call is given the
    # first hundred unknown keys (pydantic reports them after its fields', in order).
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/refusing")
    async def refusing(connection: Connection, body: Refusing) -> int:
        return len(body.label)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    unknown = {f"k{i}": i for i in range(30_000)}
    long_value = list(range(40_000))  # a long member: read on its own
    cases = [
        {"count": "x", **unknown, "label": 5},
        {"label": "x", **dict(list(unknown.items())[:150]), "long": long_value, **unknown},
    ]
    for value in cases:
        data = json.dumps(value).encode()
        turns.clear()
        detail = client.post("/refusing", content=data, headers=headers).json()["detail"]
        assert len(turns) >= 5  # a slice at a time
        with pytest.raises(ValidationError) as whole:
            _readings.type_adapter(Refusing).validate_json(data)
        expected = [
            (e["type"], ["body", *e["loc"]], e["input"]) for e in whole.value.errors()[:100]
        ]
        assert [(e["type"], e["loc"], e["input"]) for e in detail] == expected
    # A long value under an unknown key among the first hundred: its error echoes the start
    # of the value as sent (null stood in for it).
    data = json.dumps({"label": "x", "long": long_value, "text": "é" * 100_000}).encode()
    data = data[:-1] + b", " + json.dumps(unknown).encode()[1:]
    detail = client.post("/refusing", content=data, headers=headers).json()["detail"]
    assert [e["loc"] for e in detail[:3]] == [["body", "long"], ["body", "text"], ["body", "k0"]]
    assert detail[0]["input"].startswith("[0, 1, 2, 3") and len(detail) == 100
    assert detail[1]["input"].startswith("\\u00e9\\u00e9")  # json.dumps escaped it so
    # Valid, and long: read in slices, answered as pydantic would.
    data = json.dumps({"label": "a" * 200_000, "count": 3}).encode()
    assert client.post("/refusing", content=data, headers=headers).json() == 200_000


class Keeping(BaseModel):
    model_config = ConfigDict(extra="allow")
    label: str
    lines: list[Item] = []
    renamed: int = Field(0, alias="Renamed")


class TypedExtras(BaseModel):
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, int]  # pyright: ignore[reportIncompatibleVariableOverride]  # pydantic's way to type extras
    label: str


def test_a_model_keeping_unknown_keys_is_read_in_slices_its_extras_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 700,000 unknown keys a model keeps (extra="allow") were validated in one call: 530-550
    # ms of the event loop. Read a slice of members at a time, they are parsed as any JSON
    # and become the model's extras after, in pydantic's order; the one call gets the rest.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    def seen(body: BaseModel) -> dict[str, object]:
        return {
            "dump": body.model_dump(mode="json"),
            "extra": list(body.model_extra or {}),
            "set": sorted(body.model_fields_set),
        }

    @router.post("/keeping")
    async def keeping(connection: Connection, body: Keeping) -> dict[str, object]:
        return seen(body)

    @router.post("/typed")
    async def typed(connection: Connection, body: TypedExtras) -> dict[str, object]:
        return seen(body)

    app = aaf([router])
    given: list[bytes] = []
    watch_model(app, "/keeping", given)
    client = TestClient(app)
    headers = {"content-type": "application/json"}
    unknown = {f"k{i}": i for i in range(30_000)}
    long_list = list(range(40_000))  # long members: read on their own
    long_text = "é" * 100_000
    twice = json.dumps({"label": "x", **unknown}).encode()
    twice = twice[:-1] + b', "k5": "last", "label": "y"}'  # a key given twice, far apart
    cases: list[tuple[str, type[BaseModel], bytes]] = [
        ("/keeping", Keeping, json.dumps({**unknown, "label": "x"}).encode()),
        ("/keeping", Keeping, twice),
        (
            "/keeping",
            Keeping,
            json.dumps(
                {"a": 1, "long": long_list, "label": "x", "text": long_text, "lines": GOOD}
                | {"deep": {"in": long_list}, **unknown}
            ).encode(),
        ),
        # Its field's name, where only its alias is read: the one call keeps it as an extra,
        # so all of it is read whole, in pydantic's order.
        ("/keeping", Keeping, json.dumps({"renamed": 1, **unknown, "label": "x"}).encode()),
        ("/keeping", Keeping, json.dumps({**unknown, "label": 5}).encode()),
        ("/typed", TypedExtras, json.dumps({**unknown, "label": "x"}).encode()),
        ("/typed", TypedExtras, json.dumps({**unknown, "k7": "x", "label": "x"}).encode()),
    ]
    for path, model, data in cases:
        turns.clear()
        answer = client.post(path, content=data, headers=headers).json()
        try:
            whole = model.model_validate_json(data)
        except ValidationError as exc:
            expected = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
            assert [(e["type"], e["loc"]) for e in answer["detail"]] == expected
        else:
            assert answer == seen(whole)
        assert len(turns) >= 5, data[:30]  # a slice at a time (the whole too: slices first)
    given.clear()
    answer = client.post("/keeping", content=cases[0][2], headers=headers).json()
    assert answer["extra"][:2] == ["k0", "k1"] and len(answer["set"]) == 30_001
    assert given == [b'{"label": "x"}']  # the one call: what the model reads, alone


_KEEPING_KEYS = st.one_of(
    st.sampled_from(["label", "lines", "renamed", "Renamed", "a", "b"]), st.text(max_size=3)
)
_KEEPING_VALUES = st.one_of(
    _NESTED,
    st.just("text"),
    st.lists(st.fixed_dictionaries({"id": st.integers(0, 9), "name": st.just("n")}), max_size=3),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=st.lists(st.tuples(_KEEPING_KEYS, _KEEPING_VALUES), max_size=14),
    slice_size=st.integers(min_value=1, max_value=60),
)
def test_slices_of_a_model_keeping_unknown_keys_agree_with_whole_validation(
    monkeypatch: pytest.MonkeyPatch, members: list[tuple[str, object]], slice_size: int
) -> None:
    # Keys given twice, the field's name beside its alias, any JSON under unknown keys,
    # slices cut anywhere: the model (its fields, its extras in order, its fields set) or
    # the errors are what pydantic's validation of the whole gives.
    patch_body_modules(monkeypatch, "_SLICE", slice_size)
    patch_body_modules(monkeypatch, "FULL_REPORT_SIZE", 0)
    router = Router()

    @router.post("/keeping")
    async def keeping(connection: Connection, body: Keeping) -> list[object]:
        return [body.model_dump(mode="json"), list(body.model_extra or {}), body.model_fields_set]

    data = ("{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in members) + "}").encode()
    answer = TestClient(aaf([router])).post(
        "/keeping", content=data, headers={"content-type": "application/json"}
    )
    try:
        whole = cast(Keeping, fail_fast_validator(TypeAdapter(Keeping)).validate_json(data))
    except ValidationError as exc:
        expected = [(e["type"], ["body", *e["loc"]]) for e in exc.errors()]
        assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == expected, data
    else:
        dump, extra, fields_set = answer.json()
        assert dump == whole.model_dump(mode="json"), data
        assert extra == list(whole.model_extra or {}), data
        assert sorted(fields_set) == sorted(whole.model_fields_set), data


class Shipment(BaseModel):
    """Fields read apart (a list, a dict, a model holding a list) beside plain ones."""

    label: str
    lines: list[Item] = []
    by_sku: dict[str, Item] = {}
    batch: Batch | None = None
    count: int = 0


_ROWS: list[dict[str, object]] = [{"id": i, "name": f"n{i}"} for i in range(400)]  # 11 KB


def _rows(wrong: int | None) -> list[dict[str, object]]:
    rows = list(_ROWS)
    if wrong is not None:
        rows[wrong] = {"id": "x"}
    return rows


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(
    members=["label", "lines", "batch", "by_sku", "count"],
    present={"by_sku", "lines", "batch", "label"},
    wrong_lines=None,
    wrong_sku=0,
    wrong_batch=0,
    label="x",
    count=1,
)  # two fields read apart found wrong, in the other order, the rest valid
@given(
    members=st.permutations(["label", "lines", "by_sku", "batch", "count"]),
    present=st.sets(st.sampled_from(["label", "lines", "by_sku", "batch", "count"])),
    wrong_lines=st.one_of(st.none(), st.sampled_from([0, 199, 399])),
    wrong_sku=st.one_of(st.none(), st.sampled_from([0, 399])),
    wrong_batch=st.one_of(st.none(), st.sampled_from([0, 399])),
    label=st.sampled_from(["x", 5]),
    count=st.sampled_from([1, "many"]),
)
def test_every_failing_field_of_a_model_read_apart_is_listed_as_pydantic_lists_it(
    monkeypatch: pytest.MonkeyPatch,
    members: list[str],
    present: set[str],
    wrong_lines: int | None,
    wrong_sku: int | None,
    wrong_batch: int | None,
    label: object,
    count: object,
) -> None:
    # Whatever the order of the members, whichever fields are missing or wrong, read apart
    # or not: the 422 (or the model) is what pydantic's fail-fast validation of the whole
    # gives, every failing field in the model's order.
    patch_body_modules(monkeypatch, "_SLICE", 4096)
    patch_body_modules(monkeypatch, "_WIDEST_WINDOW", 8192)  # the lists (11 KB) read apart
    patch_body_modules(monkeypatch, "FULL_REPORT_SIZE", 0)
    router = Router()

    @router.post("/shipment")
    async def shipment(connection: Connection, body: Shipment) -> dict[str, object]:
        return body.model_dump(mode="json")

    values: dict[str, object] = {
        "label": label,
        "lines": _rows(wrong_lines),
        "by_sku": {f"s{i}": row for i, row in enumerate(_rows(wrong_sku))},
        "batch": {"label": "b", "items": _rows(wrong_batch)},
        "count": count,
    }
    value = {key: values[key] for key in members if key in present}
    client = TestClient(aaf([router]))
    assert_answered_as_pydantic(client, "/shipment", json.dumps(value).encode(), Shipment)


def test_a_wrong_field_whose_rest_cannot_be_read_in_slices_gives_its_first_error_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Found by hypothesis, windows made tiny: an item of the rest wider than the widest
    # window stopped the reading with an exception, the errors found so far left in place
    # for the whole validation to add its own: one error twice, and a 422 for a body
    # pydantic takes (its key given twice, the last value valid).
    patch_body_modules(monkeypatch, "_SLICE", 1)
    patch_body_modules(monkeypatch, "_WIDEST_WINDOW", 2)
    patch_body_modules(monkeypatch, "FULL_REPORT_SIZE", 0)
    router = Router()

    @router.post("/keeping")
    async def keeping(connection: Connection, body: Keeping) -> int:
        return len(body.lines)

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    answer = client.post("/keeping", content=b'{"lines":["", [""], ""]}', headers=headers)
    # (The rest of the field cannot be read: its first error alone, as before it was read.)
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("model_type", ["body", "lines", 0])
    ]
    twice = b'{"label":"","lines":[":"],"":[""],"lines":[]}'
    assert client.post("/keeping", content=twice, headers=headers).json() == 0


def test_a_model_s_kept_unknown_keys_are_freed_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, _dispatch)
    router = Router()

    @router.post("/keeping")
    async def keeping(connection: Connection, body: Keeping) -> int:
        return len(body.model_extra or {})

    client = TestClient(aaf([router]))
    data = json.dumps({"label": "x", **{f"k{i}": i for i in range(20_000)}}).encode()
    headers = {"content-type": "application/json"}
    assert client.post("/keeping", content=data, headers=headers).json() == 20_000
    assert turns == [0] * 5  # 20,000 keys, 4,096 a turn


def test_a_long_item_s_own_list_is_read_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    client, turns, given = watched(monkeypatch, "/tagged")
    headers = {"content-type": "application/json"}
    tags = [f"tag {i}" for i in range(100_000)]  # 1 MB
    data = json.dumps([{"id": 0}, {"id": 1, "tags": tags}, {"id": 2, "tags": ["a"]}])
    assert client.post("/tagged", content=data, headers=headers).json() == [0, 100_000, 1]
    assert given == [b'{"id": 1,"tags": []}']
    assert len(turns) >= 20
    wrong = json.dumps([{"id": 0}, {"id": 1, "tags": [*tags[:70_000], 5, *tags[70_000:]]}])
    detail = client.post("/tagged", content=wrong, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", 1, "tags", 70_000], "string_type")]


class Note(BaseModel):
    title: str
    text: str = ""


def long_strings_app() -> App:
    router = Router()

    @router.post("/words")
    async def words(connection: Connection, words: Annotated[list[str], Body()]) -> list[str]:
        return words

    @router.post("/note")
    async def note(connection: Connection, note: Note) -> Note:
        return note

    @router.post("/any")
    async def any_json(connection: Connection) -> HttpResponse:
        return HttpResponse(json.dumps(await connection.json()), media_type="application/json")

    return aaf([router])


def record_pieces(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of each JSON text the validators' parser is given on its own."""
    pieces: list[int] = []

    def recorded(data: bytes, **options: Any) -> Any:
        pieces.append(len(data))
        return from_json(data, **options)

    patch_body_modules(monkeypatch, "from_json", recorded)
    return pieces


ESCAPED = '"\\é/\n' * 400_000 + "😀"  # 2.4 MB of escapes in JSON, a surrogate pair at its end


def test_a_long_string_item_is_read_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    # Validated in one piece, 10 MB of escaped quotes held other requests 18 ms.
    pieces = record_pieces(monkeypatch)
    client = TestClient(long_strings_app())
    headers = {"content-type": "application/json"}
    for items in ([ESCAPED], ["x", ESCAPED, "y"], [ESCAPED, ESCAPED[::-1]]):
        for ascii_ in (True, False):
            pieces.clear()
            data = json.dumps(items, ensure_ascii=ascii_)
            assert client.post("/words", content=data, headers=headers).json() == items
            answer = client.post("/any", content=data, headers=headers)
            assert answer.json() == items
            assert len(pieces) >= 8 and max(pieces) <= 512 * 1024 + 2
    # A broken escape deep in the string is refused where Python's parser finds it.
    data = json.dumps(["x", ESCAPED]).replace("\\\\", "\\x", 1000)
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(data)
    detail = client.post("/words", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", python.value.pos], "json_invalid")]


def test_a_long_string_in_a_model_is_read_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = record_pieces(monkeypatch)
    app = long_strings_app()
    given: list[bytes] = []
    watch_model(app, "/note", given)
    client = TestClient(app)
    headers = {"content-type": "application/json"}
    data = json.dumps({"title": "t", "ignored": ESCAPED, "text": ESCAPED})
    assert client.post("/note", content=data, headers=headers).json() == {
        "title": "t",
        "text": ESCAPED,
    }
    assert given == [b'{"title": "t","text": ""}']
    assert len(pieces) >= 16 and max(pieces) <= 512 * 1024 + 2
    # What the model misses is still located in it.
    data = json.dumps({"text": ESCAPED})
    detail = client.post("/note", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", "title"], "missing")]


@settings(max_examples=3000, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            [b"a", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b'\\"', b"\\\\", b"\\n", b"\\u00e9"]
            + [b"\\ud83d\\ude00", b"\\ud83d", b"\\ude00", b"\\x", b"\\u12", b"\xff", b"u"]
        ),
        max_size=50,
    ),
    piece=st.integers(min_value=1, max_value=40),
)
def test_a_string_read_in_pieces_is_the_string_read_whole(parts: list[bytes], piece: int) -> None:
    # Pieces are cut outside escapes, surrogate pairs and UTF-8 characters, so the parser
    # gives the same text, or refuses it too.
    text = b"".join(parts)
    data = b'["' + text + b'"]'
    saved = _slices._STRING_PIECE  # pyright: ignore[reportPrivateUsage]
    _slices._STRING_PIECE = piece  # pyright: ignore[reportPrivateUsage]
    try:
        read = asyncio.run(
            _slices._string_in_pieces(data, 1, len(data) - 1)  # pyright: ignore[reportPrivateUsage]
        )
    except ValueError:
        read = None
    finally:
        _slices._STRING_PIECE = saved  # pyright: ignore[reportPrivateUsage]
    try:
        whole = from_json(b'"' + text + b'"')
    except ValueError:
        whole = None
    assert read == whole


def test_many_short_members_are_read_a_slice_of_them_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One by one, 500,000 members of `[1]` the model ignores held other requests 3 s (and
    # 2 s before an object was read a member at a time, beside a sliced field); in one piece
    # 75 ms. A slice of them holding no key the model reads is left out.
    client, turns, given = watched(monkeypatch, "/item")
    headers = {"content-type": "application/json"}
    members = {f"k{i}": [i] for i in range(100_000)}  # 1.3 MB
    data = json.dumps({"id": 1, **members, "name": "n"})
    assert client.post("/item", content=data, headers=headers).json() == {"id": 1, "name": "n"}
    # The slices holding "id" and "name" stay (32 KiB each), the 38 between go.
    assert len(turns) >= 20 and len(given) == 1 and len(given[0]) < 100_000
    assert b'"k50000"' not in given[0] and given[0].endswith(b'"name": "n"}')
    data = json.dumps({**members, "name": "n"})
    detail = client.post("/item", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", "id"], "missing")]
    # Broken JSON among them is refused where Python's parser finds it.
    broken = json.dumps({"id": 1, **members}).replace('"k50000": [', '"k50000": [}', 1)
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(broken)
    detail = client.post("/item", content=broken, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", python.value.pos], "json_invalid")]


def test_a_field_read_apart_and_given_again_is_read_as_pydantic_reads_it() -> None:
    # The last value of a key given twice wins, as in one piece.
    client = TestClient(order_app())
    headers = {"content-type": "application/json"}
    first = json.dumps({"label": "x", "orderLines": GOOD, "note": "n"})
    for data in (
        first[:-1] + ', "orderLines": [{"id": 1, "name": "again"}]}',
        first[:-1] + ', "orderLines": ' + json.dumps(GOOD[::-1]) + "}",
        '{"orderLines": [], ' + first[1:],
    ):
        answer = client.post("/orders", content=data, headers=headers)
        expected = Order.model_validate_json(data)
        assert answer.json() == expected.model_dump(mode="json", by_alias=True)


def test_each_model_is_read_once_for_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    # A model holding three lists of the next, ten deep, was read 59,000 times (27 s to
    # register the route); each model once now, whatever the paths to it.
    built: list[object] = []
    real = _readings.fail_fast_validator

    def counted(adapter: TypeAdapter[Any]) -> SchemaValidator:
        built.append(adapter)
        return real(adapter)

    monkeypatch.setattr(_readings, "fail_fast_validator", counted)
    model: type[BaseModel] = create_model("Level0", x=(int, 0))
    for depth in range(1, 7):
        fields: dict[str, Any] = {
            "a": (GenericAlias(list, (model,)), []),
            "b": (GenericAlias(dict, (str, model)), {}),
        }
        model = create_model(f"Level{depth}", **fields)
    reading = _readings.model_reading(model)
    assert reading is not None and 0 < len(built) <= 3 * 6 + 1  # each field's items, each model
    inner = reading.wanted["a"].items.each
    assert inner is not None and inner is reading.wanted["b"].items.each  # one reading, shared


def test_one_long_inner_list_is_read_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # A list of lists (or a dict of them) with one long list, as a body or a model's field,
    # had the body validated in one piece: 10 MB of one series held others 77 ms.
    turns = count_turns(monkeypatch, *BODY_MODULES)
    pairs = TestClient(plain_app())
    orders = TestClient(order_app())
    headers = {"content-type": "application/json"}
    long = list(range(200_000))  # 1.3 MB
    data = json.dumps([[1, 2], long, [3]])
    assert pairs.post("/pairs", content=data, headers=headers).json() == 3  # (how many)
    assert len(turns) >= 20
    turns.clear()
    data = json.dumps({"label": "t", "series": {"a": [1], "b": long}, "grid": [[0.5], long]})
    answer = orders.post("/tally", content=data, headers=headers)
    assert answer.json() == Tally.model_validate_json(data).model_dump(mode="json")
    assert len(turns) >= 40
    # What is wrong inside is located from the start of the inner list.
    data = json.dumps([[1, 2], [*long[:150_000], "x", *long[150_000:]]])
    detail = pairs.post("/pairs", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", 1, 150_000], "int_parsing")]
    data = json.dumps({"label": "t", "series": {"b": [*long[:150_000], "x"]}})
    detail = orders.post("/tally", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [
        (["body", "series", "b", 150_000], "int_parsing")
    ]


def test_members_read_among_many_ignored_are_picked_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # A key the model reads given in every slice kept all of them for the one call: 9 MB of
    # short members, with "id" every 500, held others 64 ms in one piece.
    client, turns, given = watched(monkeypatch, "/item")
    headers = {"content-type": "application/json"}
    members = ",".join(
        f'"id": {i}' if i % 500 == 0 else f'"k{i}": ["é", {i}]' for i in range(100_000)
    )
    data = '{"name": "n", ' + members + "}"
    assert client.post("/item", content=data, headers=headers).json() == {
        "id": 99_500,
        "name": "n",
    }
    assert len(turns) >= 20 and len(given) == 1 and len(given[0]) < 5_000
    assert given[0].startswith(b'{"name": "n","id": 0,"id": 500,')


def test_one_long_inner_dict_of_a_body_is_read_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = count_turns(monkeypatch, *BODY_MODULES)
    router = Router()

    @router.post("/tables")
    async def tables(
        connection: Connection, tables: Annotated[dict[str, dict[str, int]], Body()]
    ) -> dict[str, int]:
        return {name: sum(table.values()) for name, table in tables.items()}

    client = TestClient(aaf([router]))
    headers = {"content-type": "application/json"}
    big = {f"k{i}": i for i in range(100_000)}  # 1.3 MB
    data = json.dumps({"small": {"a": 1}, "big": big})
    answer = client.post("/tables", content=data, headers=headers)
    assert answer.json() == {"small": 1, "big": sum(big.values())}
    assert len(turns) >= 20
    data = json.dumps({"small": {"a": 1}, "big": {**big, "k70000": "x"}})
    detail = client.post("/tables", content=data, headers=headers).json()["detail"]
    assert [(e["loc"], e["type"]) for e in detail] == [(["body", "big", "k70000"], "int_parsing")]


class _Leaf(BaseModel):
    id: int
    name: str = ""


class _Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = 9


class _Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


_Pet = Annotated[_Cat | _Dog, Field(discriminator="kind")]


class _Tree(BaseModel):
    leaves: list[_Leaf] = []
    tags: set[str] = set()
    scores: dict[str, float] = {}
    pair: tuple[int, str] | None = None
    pets: list[_Pet] = []
    either: _Cat | _Dog | None = None
    nested: list[list[int]] = []
    child: _Leaf | None = None
    queue: deque[int] = deque()
    bounded: Annotated[list[int], Field(max_length=5)] = []
    anything: JsonValue = None


def shapes_app() -> App:
    """Routes of many body shapes, each answering with what it read."""
    router = Router()

    @router.post("/leaves")
    async def leaves(connection: Connection, body: Annotated[list[_Leaf], Body()]) -> object:
        return body

    @router.post("/tree")
    async def tree(connection: Connection, body: _Tree) -> object:
        return body

    @router.post("/trees")
    async def trees(connection: Connection, body: Annotated[list[_Tree], Body()]) -> object:
        return body

    @router.post("/pets")
    async def pets(connection: Connection, body: Annotated[list[_Pet], Body()]) -> object:
        return body

    @router.post("/untagged")
    async def untagged(
        connection: Connection, body: Annotated[list[_Cat | _Dog], Body()]
    ) -> object:
        return body

    @router.post("/named")
    async def named(connection: Connection, body: Annotated[dict[str, _Leaf], Body()]) -> object:
        return body

    @router.post("/either")
    async def either(
        connection: Connection, body: Annotated[list[_Leaf] | _Leaf | None, Body()]
    ) -> object:
        return body

    @router.post("/numbers")
    async def numbers(connection: Connection, body: Annotated[set[int], Body()]) -> object:
        return sorted(body)

    return aaf([router])


_SHAPES = shapes_app()
_KEYS = st.sampled_from(
    ["id", "name", "kind", "lives", "good", "leaves", "tags", "scores", "pair", "pets"]
    + ["either", "nested", "child", "queue", "bounded", "anything", "other"]
)
_WORDS = st.sampled_from(["cat", "dog", "", "7", 'é"]{', "\\u", "\U0001f600"])
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 12), _WORDS, st.text(max_size=5))
    | st.floats(allow_nan=False, allow_infinity=False, width=32),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=40,
)


def _answer(data: bytes, route: str, sliced: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    patch_body_modules(monkeypatch, "FULL_REPORT_SIZE", 0 if sliced else 10**9)
    with TestClient(_SHAPES, raise_server_exceptions=False) as client:
        answer = client.post(route, content=data, headers={"content-type": "application/json"})
    return answer.status_code, answer.json() if answer.content else None


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(
        ["/leaves", "/tree", "/trees", "/pets", "/untagged", "/named", "/either", "/numbers"]
    ),
    value=_VALUES,
    slice_size=st.integers(min_value=1, max_value=64),
    indent=st.sampled_from([None, 1]),
    where=st.integers(min_value=0),
    junk=st.sampled_from(["", "", "", ",", "]", "}", "[", "{", '"', "\\", " ", ":", "x"]),
    ascii_only=st.booleans(),
)
def test_any_body_read_in_slices_answers_as_whole_validation(  # noqa: PLR0913  # hypothesis's
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    value: object,
    slice_size: int,
    indent: int | None,
    where: int,
    junk: str,
    ascii_only: bool,
) -> None:
    # Every body shape at once, end to end: a body read a few bytes at a time, as a large
    # one is, is what the same body read whole gives, or refused as it is (both 422; the
    # errors may differ, each collection stopping at its first).
    patch_body_modules(monkeypatch, "_SLICE", slice_size)
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    at = where % (len(text) + 1)
    data = (text[:at] + junk + text[at:]).encode("utf-8", "surrogatepass")
    whole = _answer(data, route, False, monkeypatch)
    sliced = _answer(data, route, True, monkeypatch)
    if whole[0] == 422:
        assert sliced[0] == 422, (route, data, sliced)
        assert sliced[1]["detail"], (route, data)
    else:
        assert sliced == whole, (route, data)


def test_a_trailing_comma_in_a_large_body_is_placed_as_this_pythons_parser_places_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Python 3.13 names a trailing comma at the comma ("Illegal trailing comma before end
    # of array"); 3.11 and 3.12 at the bracket after it ("Expecting value"). A small body
    # gets Python's own answer, so a large one, read a window at a time, must say the same.
    words = json.dumps([f"w{i}" for i in range(20_000)])
    counts = json.dumps({f"k{i}": i for i in range(20_000)})
    cases = [
        ("/words", words[:-1] + " ,\n ]", "]"),
        ("/counts", counts[:-1] + ",}", "}"),
        ("/words", words[:-1] + ",}", "}"),  # another bracket: no trailing comma of the list
    ]
    named = {b"]": "the comma ends an array", b"}": "the comma ends an object"}
    for said in (None, named):
        patch_body_modules(monkeypatch, "_trailing_commas", lambda said=said: said)
        for route, data, bracket in cases:
            with TestClient(plain_app()) as client:
                answer = client.post(
                    route, content=data.encode(), headers={"content-type": "application/json"}
                )
            [entry] = answer.json()["detail"]
            comma, end = data.rindex(","), data.rindex(bracket)
            mismatched = (route == "/words") != (bracket == "]")
            if said is None or mismatched:
                assert entry["loc"] == ["body", end], (said, route)
                assert "comma" not in entry["ctx"]["error"]
            else:
                assert entry["loc"] == ["body", comma], (said, route)
                assert entry["ctx"]["error"] == said[bracket.encode()]


class _ReadOnlyKeys(TypedDict):
    label: str
    items: ReadOnly[list[Item]]


@dataclasses.dataclass
class _Counted:
    items: list[Item]
    total: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        self.total = len(self.items)


class _Nested(BaseModel):
    """A field read from inside another key (``AliasPath``): not a key of the object sent."""

    items: list[Item] = Field(validation_alias=AliasPath("data", "items"))
    label: str = ""


class _DeepCat(BaseModel):
    meta: dict[str, str]
    lives: int


class _DeepDog(BaseModel):
    meta: dict[str, str]
    good: bool


def _deep_kind(value: object) -> str | None:
    """The tag under the object's "meta" key (a dict as sent, or a model to dump)."""
    if isinstance(value, dict):
        meta: object = cast("dict[str, object]", value).get("meta")
    else:
        meta = getattr(value, "meta", None)
    return cast("dict[str, str]", meta).get("kind") if isinstance(meta, dict) else None


# pydantic warns that it does not keep a read-only key from being changed.
@pytest.mark.filterwarnings("ignore:Item 'items' on TypedDict class:UserWarning")
def test_shapes_the_slicer_does_not_read_are_validated_whole_as_pydantic_does() -> None:
    # Each of these is read by pydantic in a way a slice-at-a-time reading cannot follow (a
    # read-only key, a field not given to __init__, a field found under another key, a tag
    # chosen by a function): aaf validates them whole, and
    # the answer is pydantic's, valid or not.
    kinds: dict[str, object] = {
        "/read-only": _ReadOnlyKeys,
        "/counted": _Counted,
        "/nested": _Nested,
        "/by-function": list[
            Annotated[
                Annotated[_DeepCat, Tag("cat")] | Annotated[_DeepDog, Tag("dog")],
                Discriminator(_deep_kind),
            ]
        ],
    }
    client = routes_of(kinds)
    deep = [{"meta": {"kind": "dog"}, "good": True} for _ in range(10_000)]
    cases: list[tuple[str, object]] = [
        ("/read-only", {"label": "x", "items": GOOD}),
        ("/read-only", {"label": "x", "items": WRONG_ITEM}),
        ("/counted", {"items": GOOD}),
        ("/counted", {"items": GOOD, "total": 3}),
        ("/counted", {"items": WRONG_ITEM}),
        ("/nested", {"data": {"items": GOOD}, "label": "x"}),
        ("/nested", {"items": GOOD}),
        ("/nested", {"data": {"items": WRONG_ITEM}}),
        ("/by-function", deep),
        ("/by-function", [*deep, {"meta": {"kind": "cat"}, "lives": "x"}]),
        ("/by-function", [*deep, {"meta": {}}]),
    ]
    for path, value in cases:
        data = json.dumps(value).encode()
        assert len(data) > 64 * 1024  # past FULL_REPORT_SIZE: what would be read in slices
        assert assert_named_as_pydantic(client, path, data, kinds[path]) is None


class _Depth(BaseModel):
    """A model holding itself every way the slicer reads a field: as a model, a union of
    models with and without a tag, and a list or a model."""

    level: int
    items: list[Item] = []
    child: _Depth | None = None
    tagged: Annotated[_Cat | _Dog, Field(discriminator="kind")] | None = None
    untagged: _Leaf | _Depth | None = None
    kind_of: list[_Depth] | _Depth | None = None


class _TaggedDepth(BaseModel):
    """A model holding itself in a union told apart by a tag."""

    kind: Literal["depth"] = "depth"
    level: int
    items: list[Item] = []
    child: Annotated[_Cat | _TaggedDepth, Field(discriminator="kind")] | None = None
    children: list[Annotated[_Cat | _TaggedDepth, Field(discriminator="kind")]] = []


def _deep(levels: int, field: str, innermost: dict[str, object]) -> dict[str, object]:
    value: dict[str, object] = innermost
    for level in range(levels, 0, -1):
        value = {"level": level, field: value}
    return value


def test_a_large_body_nested_past_the_slicers_depth_answers_as_pydantic_does() -> None:
    # Each way of reading a field apart stops 32 models deep and leaves the rest to whole
    # validation: the answer is pydantic's all the same, right or wrong, at any depth.
    client = routes_of({"/deep": _Depth, "/tagged": _TaggedDepth})
    for levels in (3, 40):
        for items in (GOOD, WRONG_ITEM):
            for field in ("child", "children"):
                value: dict[str, object] = {"kind": "depth", "level": 0, "items": items}
                for level in range(levels, 0, -1):  # children: each level a list of one
                    held = value if field == "child" else [value, {"kind": "cat", "lives": 1}]
                    value = {"kind": "depth", "level": level, field: held}
                data = json.dumps(value).encode()
                assert assert_named_as_pydantic(client, "/tagged", data, _TaggedDepth) is None
    for levels in (3, 40):
        for field in ("child", "untagged", "kind_of"):
            for items in (GOOD, WRONG_ITEM):
                value = _deep(levels, field, {"level": 0, "items": items})
                data = json.dumps(value).encode()
                assert assert_named_as_pydantic(client, "/deep", data, _Depth) is None, (
                    levels,
                    field,
                )
        pet = {"kind": "cat", "lives": 9, "extra": ["x"] * 20_000}
        for innermost in (pet, {**pet, "lives": "nine"}):
            value = _deep(levels, "child", {"level": 0, "tagged": innermost})
            data = json.dumps(value).encode()
            assert assert_named_as_pydantic(client, "/deep", data, _Depth) is None, levels
