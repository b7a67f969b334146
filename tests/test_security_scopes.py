"""OAuth2 scopes as FastAPI has them: ``Security(provider, scopes=[...])`` and
``SecurityScopes``, FastAPI's "OAuth2 scopes" tutorial in aaf."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, cast

import httpx
import pytest
from pydantic import BaseModel

from aaf import Depends, Security, aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import ConfigurationError, HTTPError
from aaf.routing import Router
from aaf.security import OAuth2PasswordBearer, SecurityScopes
from aaf.testing import TestClient
from aaf.views import View

from ._helpers import serve

oauth2 = OAuth2PasswordBearer(
    "/token", scopes={"me": "Read your own account", "items": "Read your items"}
)
GRANTED = {"token-a": ["me"], "token-b": ["me", "items"]}


class User(BaseModel):
    name: str
    scopes: list[str]


def calls(connection: Connection) -> list[str]:
    return cast("list[str]", connection.app.state.setdefault("calls", []))


async def current_user(
    connection: Connection, security_scopes: SecurityScopes, token: str = Depends(oauth2)
) -> User:
    """The tutorial's check: the token's scopes must hold every scope required above."""
    calls(connection).append(f"current_user {security_scopes.scopes}")
    if security_scopes.scopes:
        authenticate = f'Bearer scope="{security_scopes.scope_str}"'
    else:
        authenticate = "Bearer"
    granted = GRANTED.get(token)
    if granted is None:
        raise HTTPError(401, "Invalid token", headers={"WWW-Authenticate": authenticate})
    for scope in security_scopes.scopes:
        if scope not in granted:
            raise HTTPError(
                401, "Not enough permissions", headers={"WWW-Authenticate": authenticate}
            )
    return User(name=token, scopes=granted)


async def active_user(user: Annotated[User, Security(current_user, scopes=["me"])]) -> User:
    return user


async def database(connection: Connection) -> str:
    calls(connection).append("database")
    return "db"


async def audit(
    connection: Connection, scopes: SecurityScopes, db: str = Depends(database)
) -> list[str]:
    return scopes.scopes


router = Router()


@router.get("/users/me")
async def read_me(connection: Connection, user: User = Depends(active_user)) -> User:
    return user


@router.get("/users/me/items")
async def read_items(
    connection: Connection, user: Annotated[User, Security(active_user, scopes=["items"])]
) -> list[str]:
    return [f"item of {user.name}"]


@router.get("/status")
async def status(connection: Connection, user: User = Depends(current_user)) -> str:
    return f"{user.name} is signed in"


@router.get("/both")
async def both(
    connection: Connection,
    me: User = Security(current_user, scopes=["me"]),
    again: User = Security(current_user, scopes=["me"]),
    items: User = Security(current_user, scopes=["items"]),
    audited: list[str] = Security(audit, scopes=["items", "me"]),
    plain: str = Depends(database),
) -> list[str]:
    return audited


@router.get("/admin", dependencies=[Security(current_user, scopes=["admin"])])
async def admin(connection: Connection) -> str:
    return "admin"


@router.route("/view")
class Account(View):
    user: User = Security(current_user, scopes=["items"])

    async def get(self, connection: Connection) -> str:
        return self.user.name


@router.websocket("/ws")
async def ws(connection: Connection, user: User = Security(current_user, scopes=["items"])) -> None:
    await connection.accept()
    await connection.send_text(user.name)
    await connection.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def app() -> App:
    return aaf([router])


@pytest.fixture()
def client(app: App) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_the_tutorials_scopes_over_uvicorn() -> None:
    with serve(aaf([router])) as base, httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/users/me", headers=bearer("token-a")).json()["name"] == "token-a"
        refused = client.get("/users/me/items", headers=bearer("token-a"))
        assert refused.status_code == 401
        # The handler's scopes come first, then those of the providers below it.
        assert refused.headers["www-authenticate"] == 'Bearer scope="items me"'
        allowed = client.get("/users/me/items", headers=bearer("token-b"))
        assert allowed.json() == ["item of token-b"]
        no_scopes = client.get("/status", headers=bearer("forged"))
        assert no_scopes.status_code == 401
        assert no_scopes.headers["www-authenticate"] == "Bearer"
        assert client.get("/status", headers=bearer("token-a")).text == "token-a is signed in"
        missing = client.get("/users/me")
        assert missing.status_code == 401  # the scheme's own refusal, before any scope
        assert missing.headers["www-authenticate"] == "Bearer"


def test_route_dependencies_view_attributes_and_websockets_require_scopes(
    client: TestClient,
) -> None:
    assert client.get("/admin", headers=bearer("token-b")).status_code == 401
    view = client.get("/view", headers=bearer("token-a"))
    assert view.headers["www-authenticate"] == 'Bearer scope="items"'
    assert client.get("/view", headers=bearer("token-b")).text == "token-b"
    with client.websocket_connect("/ws", headers=bearer("token-b")) as session:
        assert session.receive_text() == "token-b"


def test_a_provider_reading_scopes_is_called_once_per_set_of_scopes(
    app: App, client: TestClient
) -> None:
    assert client.get("/both", headers=bearer("token-b")).json() == ["items", "me"]
    # current_user twice (["me"] asked twice is one call, ["items"] another); database once,
    # though audit and the handler both ask for it: it reads no scopes.
    assert sorted(cast("list[str]", app.state["calls"])) == [
        "current_user ['items']",
        "current_user ['me']",
        "database",
    ]


def test_an_override_is_given_the_scopes_the_provider_it_replaces_was(
    app: App, client: TestClient
) -> None:
    seen: list[list[str]] = []

    async def fake_user(scopes: SecurityScopes) -> User:
        seen.append(scopes.scopes)
        return User(name="fake", scopes=scopes.scopes)

    app.dependency_overrides[current_user] = fake_user
    assert client.get("/users/me/items").json() == ["item of fake"]
    assert client.get("/users/me").json() == {"name": "fake", "scopes": ["me"]}
    assert seen == [["items", "me"], ["me"]]
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "fake"
    assert seen[-1] == ["items"]


def test_the_document_lists_the_scopes_each_operation_requires() -> None:
    document = cast(dict[str, Any], aaf([router]).openapi())
    security = {path: ops["get"]["security"] for path, ops in document["paths"].items()}
    assert security == {
        "/users/me": [{"OAuth2PasswordBearer": ["me"]}],
        "/users/me/items": [{"OAuth2PasswordBearer": ["items", "me"]}],
        "/status": [{"OAuth2PasswordBearer": []}],
        # Each scheme one requirement, with every scope asked of it (OpenAPI reads the
        # entries of the list as alternatives).
        "/both": [{"OAuth2PasswordBearer": ["me", "items"]}],
        "/admin": [{"OAuth2PasswordBearer": ["admin"]}],
        "/view": [{"OAuth2PasswordBearer": ["items"]}],
    }
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["scopes"] == {
        "me": "Read your own account",
        "items": "Read your items",
    }


def test_security_scopes_in_a_handler_is_refused_at_registration() -> None:
    broken = Router()

    async def handler(connection: Connection, scopes: SecurityScopes) -> str:
        return scopes.scope_str

    with pytest.raises(ConfigurationError) as caught:
        broken.add_route("/", handler)  # type: ignore[aaf-route]
    assert str(caught.value) == (
        "test_security_scopes_in_a_handler_is_refused_at_registration.<locals>.handler: "
        "parameter 'scopes' is annotated SecurityScopes, which only a provider takes (the "
        "scopes the Security(..., scopes=[...]) above it require); check them in the provider "
        "the handler's Security(...) names"
    )


def test_scopes_must_be_a_list_of_names() -> None:
    with pytest.raises(TypeError, match=r"scopes=\[\.\.\.\], a list of scope names, got 'me'"):
        Security(current_user, scopes="me")
    with pytest.raises(TypeError, match="got \\[1\\]"):
        Security(current_user, scopes=cast("list[str]", [1]))
    assert repr(Security(current_user, scopes=["me"], use_cache=False)) == (
        "Security(current_user, scopes=['me'], use_cache=False)"
    )
    assert repr(SecurityScopes(["me", "items"])) == "SecurityScopes(['me', 'items'])"
    assert SecurityScopes(["me", "items"]).scope_str == "me items"
    with pytest.raises(TypeError, match=r"SecurityScopes takes a list of scope names: \['me'\]"):
        SecurityScopes("me")  # was the scopes m and e


async def anyone() -> User:
    return User(name="anyone", scopes=[])


def test_an_override_that_reads_scopes_is_called_once_for_each_set() -> None:
    # The original reads no scopes, so its cache key names none; its override reads them:
    # each Security(..., scopes=...) gets a call of its own, with its own scopes.
    own = Router()

    @own.get("/two")
    async def two(
        connection: Connection,
        reader: Annotated[User, Security(anyone, scopes=["read"])],
        writer: Annotated[User, Security(anyone, scopes=["write"])],
    ) -> list[list[str]]:
        return [reader.scopes, writer.scopes]

    app = aaf([own])
    seen: list[list[str]] = []

    async def with_scopes(scopes: SecurityScopes) -> User:
        seen.append(scopes.scopes)
        return User(name="test", scopes=scopes.scopes)

    with TestClient(app) as client:
        assert client.get("/two").json() == [[], []]  # the original, cached once: no scopes
        app.dependency_overrides[anyone] = with_scopes
        assert client.get("/two").json() == [["read"], ["write"]]
        assert seen == [["read"], ["write"]]


class ScopeChecker:
    """A class as its own provider, FastAPI's Security() with no dependency."""

    def __init__(self, security_scopes: SecurityScopes, token: str = "") -> None:
        self.scopes = security_scopes.scopes
        self.token = token


def test_security_with_no_provider_calls_the_parameters_class_with_the_scopes() -> None:
    own = Router()

    @own.get("/checked")
    async def checked(
        connection: Connection, checker: Annotated[ScopeChecker, Security(scopes=["read"])]
    ) -> dict[str, object]:
        return {"scopes": checker.scopes, "token": checker.token}

    app = aaf([own])
    with TestClient(app) as client:
        assert client.get("/checked?token=t").json() == {"scopes": ["read"], "token": "t"}
    parameters = cast(dict[str, Any], app.openapi())["paths"]["/checked"]["get"]["parameters"]
    assert [parameter["name"] for parameter in parameters] == ["token"]
