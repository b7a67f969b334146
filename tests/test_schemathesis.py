# schemathesis's own types are loose (Any-typed decorators); pyright strict would flag every
# use of them here.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownParameterType=false, reportUntypedFunctionDecorator=false
# pyright: reportUnknownArgumentType=false, reportAttributeAccessIssue=false
"""schemathesis over every example app, in-process: no 5xx, and every response matches its
documented status and schema (a fixed seed and a bounded number of examples)."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import BaseModel, Field
from schemathesis import Case
from schemathesis.checks import ignored_auth, negative_data_rejection
from schemathesis.specs.openapi.schemas import OpenApiSchema

from aaf import Depends, aaf
from aaf.channels import InMemoryGroups
from aaf.connection import Connection
from aaf.params import Form, Header, Query
from aaf.routing import Router
from notes.api import get_db, get_groups
from notes.db import Database
from tests.apps.parameters import app as parameters_app
from tests.apps.secured import app as secured_app

# aaf's contract makes a repeated form or query key give a scalar its last value (as FastAPI,
# Starlette and Django do), which schemathesis's negative-data check counts as accepting an
# array for a string; and an empty form value is no value (an optional field's default, as a
# browser sends an input left blank), which it counts as accepting text under the
# `minLength: 1` that says so (the CLI's coverage phase over examples/uploads.py, found
# that way). Every other check, the schema and status ones among them, runs.
EXCLUDED = [negative_data_rejection]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))


def schema_of(name: str) -> OpenApiSchema:
    module = importlib.import_module(name)
    return schemathesis.openapi.from_asgi("/openapi.json", module.app)


ITEMS = schema_of("items")
UPLOADS = schema_of("uploads")
# The notes app's database and feed, swapped for private in-memory ones (no lifespan here).
NOTES_APP = importlib.import_module("notes.app").create_app()
_opened: list[Database] = []


async def _in_memory() -> Database:
    if not _opened:
        _opened.append(await Database.open(":memory:"))
    return _opened[0]


NOTES_APP.dependency_overrides[get_db] = _in_memory
NOTES_APP.dependency_overrides[get_groups] = InMemoryGroups
NOTES = schemathesis.openapi.from_asgi("/openapi.json", NOTES_APP)
# The seed's /count/<number> streams one line a second for `number` seconds, by design.
SEED = schema_of("seed").exclude(path="/count/{number}")
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@ITEMS.parametrize()
@FUZZ
def test_items_example_keeps_its_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


@UPLOADS.parametrize()
@FUZZ
def test_uploads_example_keeps_its_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


@SEED.parametrize()
@FUZZ
def test_seed_example_keeps_its_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


@NOTES.parametrize()
@FUZZ
def test_notes_example_keeps_its_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


# Values the handler and its providers both read, each as a type of its own: a request the
# document says is valid must pass every reader (before, the document showed one reader's
# schema, and schemathesis's schema-valid requests were refused 422).
class _Order(BaseModel):
    item: str = Field(min_length=1)
    quantity: int = Field(default=1, ge=1)


class _Signed(BaseModel):
    signature: str


def _verified(signed: _Signed) -> str:
    return signed.signature


def _limited(limit: Annotated[int, Query(le=10)] = 5) -> int:
    return limit


def _token(token: Annotated[str | None, Header()] = None) -> str:
    return token or ""


def _short_note(note: Annotated[str, Form(max_length=3)]) -> str:
    return note


_SHARED = Router()


@_SHARED.post("/orders")
async def _create(connection: Connection, order: _Order, sig: str = Depends(_verified)) -> _Order:
    return order


@_SHARED.get("/orders")
async def _listing(
    connection: Connection,
    limit: Annotated[int, Query(ge=1)] = 20,
    capped: int = Depends(_limited),
    token: Annotated[str, Header(min_length=2)] = "none",
    user: str = Depends(_token),
) -> dict[str, int]:
    return {"limit": limit, "capped": capped}


@_SHARED.post("/notes")
async def _note(
    connection: Connection, note: Annotated[str, Form()], short: str = Depends(_short_note)
) -> str:
    return note


SHARED = schemathesis.openapi.from_asgi("/openapi.json", aaf([_SHARED]))


@SHARED.parametrize()
@FUZZ
def test_values_read_by_a_handler_and_its_providers_keep_their_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


PARAMETERS = schemathesis.openapi.from_asgi("/openapi.json", parameters_app)


@PARAMETERS.parametrize()
@FUZZ
def test_every_way_to_declare_a_parameter_keeps_its_document(case: Case[Any]) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


SECURED = schemathesis.openapi.from_asgi("/openapi.json", secured_app)


@SECURED.parametrize()
@FUZZ
def test_schemes_views_and_response_classes_keep_their_document(case: Case[Any]) -> None:
    # The schemes read a credential and leave checking it to the app, which here takes any:
    # schemathesis's check that a made-up credential is refused does not apply.
    case.call_and_validate(excluded_checks=[*EXCLUDED, ignored_auth])


def teardown_module() -> None:
    for db in _opened:
        asyncio.run(db.close())


def test_every_example_is_fuzzed() -> None:
    fuzzed = {"items", "uploads", "seed", "notes"}
    others = ({p.stem for p in EXAMPLES.glob("*.py")} | {"notes"}) - fuzzed
    # chat serves only a page and WebSockets, which an OpenAPI document does not describe.
    assert others == {"chat"}, others
    chat = importlib.import_module("chat")
    paths = chat.app.openapi()["paths"]
    assert isinstance(paths, dict) and set(paths) == {"/"}
