"""The security schemes as dependencies: what they read, how they refuse."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Annotated, Any, cast

import httpx
import pytest

from aaf import Depends, aaf
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Form
from aaf.routing import Router
from aaf.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
)
from aaf.testing import TestClient

from ._helpers import serve

bearer = HTTPBearer()
optional_bearer = HTTPBearer(auto_error=False, scheme_name="OptionalBearer")
basic = HTTPBasic(realm="shop", description="Staff accounts")
header_key = APIKeyHeader(name="X-API-Key")
cookie_key = APIKeyCookie(name="session")
query_key = APIKeyQuery(name="api_key", auto_error=False)
optional_basic = HTTPBasic(auto_error=False, scheme_name="OptionalBasic")

router = Router()


@router.get("/bearer")
async def with_bearer(
    connection: Connection, token: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> str:
    assert token is not None
    return f"{token.scheme} {token.credentials}"


@router.get("/maybe")
async def maybe(
    connection: Connection,
    token: HTTPAuthorizationCredentials | None = Depends(optional_bearer),
) -> str:
    return token.credentials if token is not None else "anonymous"


@router.get("/basic")
async def with_basic(
    connection: Connection, user: HTTPBasicCredentials | None = Depends(basic)
) -> str:
    assert user is not None
    return f"{user.username}:{user.password}"


@router.get("/maybe-basic")
async def maybe_basic(
    connection: Connection,
    user: HTTPBasicCredentials | None = Depends(optional_basic),
    key: str | None = Depends(query_key),
) -> str:
    return f"{user.username if user else 'nobody'} {key or 'no key'}"


@router.get("/keys")
async def with_keys(
    connection: Connection,
    header: str | None = Depends(header_key),
    cookie: str | None = Depends(cookie_key),
    query: str | None = Depends(query_key),
) -> list[str | None]:
    return [header, cookie, query]


@pytest.fixture()
def client() -> Iterator[TestClient]:
    with TestClient(aaf([router])) as started:
        yield started


def basic_header(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_bearer_reads_the_token_and_refuses_without_one(client: TestClient) -> None:
    assert client.get("/bearer", headers={"Authorization": "Bearer abc"}).text == "Bearer abc"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get("/bearer", headers=headers)
        assert response.status_code == 401 and response.text == "Not authenticated"
        assert response.headers["www-authenticate"] == "Bearer"


def test_auto_error_false_gives_none(client: TestClient) -> None:
    assert client.get("/maybe").text == "anonymous"
    assert client.get("/maybe", headers={"Authorization": "Bearer t"}).text == "t"
    assert client.get("/maybe-basic").text == "nobody no key"


def test_basic_reads_user_and_password(client: TestClient) -> None:
    assert client.get("/basic", headers=basic_header(b"ann:s3:cret")).text == "ann:s3:cret"
    missing = client.get("/basic")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Basic realm="shop"'
    for bad in ({"Authorization": "Basic !!!"}, basic_header(b"no-colon"), basic_header(b"\xff")):
        response = client.get("/basic", headers=bad)
        assert response.status_code == 401 and response.text == "Invalid Basic credentials"


def test_basic_credentials_that_are_not_ascii_are_a_401_over_uvicorn() -> None:
    # The header arrives as latin-1 text; base64 refuses non-ASCII with a plain ValueError
    # (not binascii.Error), which was a 500.
    with serve(aaf([router])) as base, httpx.Client(base_url=base, timeout=5) as http:
        for raw in (b"Basic \xe9t\xe9", b"Basic YW5u\xff", b"basic \x80"):
            response = http.get("/basic", headers={b"Authorization": raw})
            assert response.status_code == 401, raw
            assert response.text == "Invalid Basic credentials"
            assert response.headers["www-authenticate"] == 'Basic realm="shop"'
        assert http.get("/basic", headers=basic_header(b"ann:pw")).text == "ann:pw"


def test_api_keys_from_header_cookie_and_query(client: TestClient) -> None:
    response = client.get(
        "/keys?api_key=q1&api_key=q2", headers={"X-API-Key": "h", "Cookie": "session=c"}
    )
    assert response.json() == ["h", "c", "q2"]
    refused = client.get("/keys", headers={"Cookie": "session=c"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'APIKey in="header", name="X-API-Key"'


def test_schemes_describe_themselves_for_the_document() -> None:
    document = aaf([router]).openapi()
    components = document["components"]
    assert isinstance(components, dict)
    assert components["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "scheme": "bearer"},
        "OptionalBearer": {"type": "http", "scheme": "bearer"},
        "OptionalBasic": {"type": "http", "scheme": "basic"},
        "HTTPBasic": {"type": "http", "scheme": "basic", "description": "Staff accounts"},
        "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
        "APIKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
    }


def password_app() -> Router:
    """FastAPI's tutorial of OAuth2 with a password and a bearer token, in aaf."""
    accounts = Router()
    oauth2 = OAuth2PasswordBearer("/token", scopes={"notes": "Read and write notes"})
    tokens: dict[str, str] = {}

    @accounts.post("/token")
    async def token(
        connection: Connection, form: Annotated[OAuth2PasswordRequestForm, Form()]
    ) -> dict[str, str]:
        if form.password != "secret":
            raise HTTPError(400, "Incorrect username or password")
        tokens[f"token-of-{form.username}"] = form.username
        return {"access_token": f"token-of-{form.username}", "token_type": "bearer"}

    async def current_user(token: str | None = Depends(oauth2)) -> str:
        if token not in tokens:
            raise HTTPError(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
        return tokens[token]

    @accounts.get("/me")
    async def me(connection: Connection, user: str = Depends(current_user)) -> str:
        return user

    @accounts.post("/scopes")
    async def scopes(
        connection: Connection, form: Annotated[OAuth2PasswordRequestForm, Form()]
    ) -> list[str]:
        return form.scopes

    return accounts


def test_oauth2_password_flow_over_uvicorn() -> None:
    with serve(aaf([password_app()])) as base, httpx.Client(base_url=base, timeout=5) as client:
        refused = client.get("/me")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        form = {"grant_type": "password", "username": "ada", "password": "secret"}
        answer = client.post("/token", data=form).json()
        assert answer == {"access_token": "token-of-ada", "token_type": "bearer"}
        me = client.get("/me", headers={"Authorization": "Bearer token-of-ada"})
        assert me.text == "ada"
        assert client.get("/me", headers={"Authorization": "Bearer forged"}).status_code == 401
        assert client.post("/token", data={**form, "password": "guess"}).status_code == 400
        wrong_grant = client.post("/token", data={**form, "grant_type": "client_credentials"})
        assert wrong_grant.status_code == 422
        assert wrong_grant.json()["detail"][0]["loc"] == ["body", "grant_type"]
        missing = client.post("/token", data={"username": "ada"}).json()["detail"]
        assert [e["loc"] for e in missing] == [["body", "password"]]
        scopes = client.post("/scopes", data={**form, "scope": "notes  admin"}).json()
        assert scopes == ["notes", "admin"]


def test_oauth2_password_flow_is_described_for_swagger_ui() -> None:
    document = cast(dict[str, Any], aaf([password_app()]).openapi())
    assert document["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {
                "password": {"tokenUrl": "/token", "scopes": {"notes": "Read and write notes"}}
            },
        }
    }
    assert document["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    body = document["paths"]["/token"]["post"]["requestBody"]["content"]
    schema = body["application/x-www-form-urlencoded"]["schema"]
    assert sorted(schema["required"]) == ["password", "username"]
    assert schema["properties"]["grant_type"]["anyOf"][0]["pattern"] == "^password$"
