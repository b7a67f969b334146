"""The security schemes as dependencies: what they read, how they refuse."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from collections.abc import Iterator
from typing import Annotated, Any, cast

import httpx
import pytest
from pydantic import JsonValue
from werkzeug.datastructures import WWWAuthenticate

from aaf import Depends, aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Form
from aaf.response import RedirectResponse
from aaf.routing import Router
from aaf.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    HTTPDigest,
    OAuth2AuthorizationCodeBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OpenIdConnect,
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
    mangled = {"Authorization": "Basic YW5uOnB3= !!"}  # base64 of ann:pw, then more: not base64
    for bad in (
        {"Authorization": "Basic !!!"},
        basic_header(b"no-colon"),
        basic_header(b"\xff"),
        mangled,
    ):
        response = client.get("/basic", headers=bad)
        assert response.status_code == 401 and response.text == "Invalid Basic credentials"


def test_the_credentials_repr_leaves_the_password_and_token_out() -> None:
    # A handler's log line of what it was given (`logger.info("signed in: %r", user)`, the
    # password form too), or an error tracker's record of its variables, wrote the password
    # or the token.
    shown = Router()

    @shown.get("/basic")
    async def by_basic(connection: Connection, user: HTTPBasicCredentials = Depends(basic)) -> str:
        return repr(user)

    @shown.get("/bearer")
    async def by_bearer(
        connection: Connection, token: HTTPAuthorizationCredentials = Depends(bearer)
    ) -> str:
        return repr(token)

    @shown.post("/token")
    async def by_form(
        connection: Connection, form: Annotated[OAuth2PasswordRequestForm, Form()]
    ) -> str:
        return repr(form)

    client = TestClient(aaf([shown]))
    login = {"username": "ann", "password": "s3cret", "client_id": "app", "client_secret": "k3y"}
    said = client.post("/token", data=login).text
    assert "s3cret" not in said and "k3y" not in said and "username='ann'" in said, said
    said = client.get("/basic", headers=basic_header(b"ann:s3cret")).text
    assert said == "HTTPBasicCredentials(username='ann')"
    said = client.get("/bearer", headers={"Authorization": "Bearer t0ken"}).text
    assert said == "HTTPAuthorizationCredentials(scheme='Bearer')"
    assert HTTPBasicCredentials("ann", "s3cret").password == "s3cret"  # read as before


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
        # No token after the scheme is no token (FastAPI gives "" to the provider; README).
        answer = client.get("/me", headers={"Authorization": "Bearer"})
        assert (answer.status_code, answer.text) == (401, "Not authenticated")
        assert client.post("/token", data={**form, "password": "guess"}).status_code == 400
        wrong_grant = client.post("/token", data={**form, "grant_type": "client_credentials"})
        assert wrong_grant.status_code == 422
        assert wrong_grant.json()["detail"][0]["loc"] == ["body", "grant_type"]
        missing = client.post("/token", data={"username": "ada"}).json()["detail"]
        assert [e["loc"] for e in missing] == [["body", "password"]]
        scopes = client.post("/scopes", data={**form, "scope": "notes  admin"}).json()
        assert scopes == ["notes", "admin"]


def test_the_password_form_given_to_depends_is_read_from_the_body_as_in_fastapis_docs() -> None:
    # FastAPI's tutorial writes `Annotated[OAuth2PasswordRequestForm, Depends()]`: read as a
    # class provider's parameters, its fields came from the query string (a login form's
    # POST answered 422 "query.username missing", and a password in the URL was taken).
    router = Router()

    @router.post("/token")
    async def token(
        connection: Connection, form: Annotated[OAuth2PasswordRequestForm, Depends()]
    ) -> dict[str, object]:
        return {"user": form.username, "scopes": form.scopes}

    client = TestClient(aaf([router]))
    form = {"grant_type": "password", "username": "ada", "password": "secret", "scope": "a b"}
    assert client.post("/token", data=form).json() == {"user": "ada", "scopes": ["a", "b"]}
    in_url = client.post("/token", params={"username": "ada", "password": "secret"})
    assert in_url.status_code == 422
    assert [e["loc"] for e in in_url.json()["detail"]] == [
        ["body", "username"],
        ["body", "password"],
    ]
    wrong_grant = client.post("/token", data={**form, "grant_type": "client_credentials"})
    assert wrong_grant.status_code == 422
    assert [e["loc"] for e in wrong_grant.json()["detail"]] == [["body", "grant_type"]]
    document = cast(dict[str, Any], aaf([router]).openapi())
    assert "parameters" not in document["paths"]["/token"]["post"]
    content = document["paths"]["/token"]["post"]["requestBody"]["content"]
    assert list(content) == ["application/x-www-form-urlencoded"]


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
    assert schema["properties"]["grant_type"]["pattern"] == "^password$"  # a form has no null


def code_flow_app() -> App:
    """OAuth2's authorization code flow with PKCE, as Swagger UI runs it against an identity
    provider: the app plays the provider too (a sign-in page that signs in at once, and the
    token endpoint that checks the code and its verifier)."""
    accounts = Router()
    oauth2 = OAuth2AuthorizationCodeBearer(
        "/authorize", "/token", scopes={"notes": "Read and write notes"}
    )
    challenges: dict[str, str] = {}  # code -> the PKCE challenge it was given for
    tokens: set[str] = set()

    @accounts.get("/authorize", include_in_schema=False)
    async def authorize(
        connection: Connection,
        response_type: str,
        client_id: str,
        redirect_uri: str,
        state: str,
        code_challenge: str,
        code_challenge_method: str,
        scope: str = "",
    ) -> RedirectResponse:
        if response_type != "code" or client_id != "docs" or code_challenge_method != "S256":
            raise HTTPError(400, "unsupported request")
        code = f"code{len(challenges)}"
        challenges[code] = code_challenge
        query = urllib.parse.urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}?{query}")

    @accounts.post("/token", include_in_schema=False)
    async def token(
        connection: Connection,
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()],
        code_verifier: Annotated[str, Form()],
    ) -> dict[str, str]:
        challenge = challenges.pop(code, None)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        if grant_type != "authorization_code" or challenge != pkce(digest):
            raise HTTPError(400, "invalid_grant")
        tokens.add(f"token-of-{code}")
        return {"access_token": f"token-of-{code}", "token_type": "bearer"}

    @accounts.get("/me")
    async def me(connection: Connection, token: str = Depends(oauth2)) -> str:
        if token not in tokens:
            raise HTTPError(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
        return f"signed in with {token}"

    init: dict[str, JsonValue] = {"clientId": "docs", "usePkceWithAuthorizationCodeGrant": True}
    return aaf([accounts], swagger_ui_init_oauth=init)


def pkce(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_authorization_code_bearer_reads_the_token_and_describes_its_flow() -> None:
    app = code_flow_app()
    with TestClient(app) as client:
        assert client.get("/me").status_code == 401
        verifier = "v" * 50
        challenge = pkce(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": "docs",
            "redirect_uri": "http://testserver/docs/oauth2-redirect",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        sign_in = client.get("/authorize", params=query, follow_redirects=False)
        assert sign_in.status_code == 307
        back = urllib.parse.urlsplit(sign_in.headers["location"])
        code = urllib.parse.parse_qs(back.query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
        answer = client.post("/token", data=form).json()
        me = client.get("/me", headers={"Authorization": f"Bearer {answer['access_token']}"})
        assert me.text == "signed in with token-of-code0"
        page = client.get("/docs/oauth2-redirect")
        assert page.status_code == 200
        assert '<script src="/_aaf/docs/oauth2-redirect.js"></script>' in page.text
        assert client.get("/_aaf/docs/oauth2-redirect.js").text.startswith('"use strict"')
        docs = client.get("/docs").text
        assert 'oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect"' in docs
        init = (
            'window.ui.initOAuth({"clientId": "docs", "usePkceWithAuthorizationCodeGrant": true})'
        )
        assert init in docs
    document = cast(dict[str, Any], app.openapi())
    assert document["components"]["securitySchemes"] == {
        "OAuth2AuthorizationCodeBearer": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/authorize",
                    "tokenUrl": "/token",
                    "scopes": {"notes": "Read and write notes"},
                }
            },
        }
    }
    refreshing = OAuth2AuthorizationCodeBearer("/a", "/t", refresh_url="/r", auto_error=False)
    assert refreshing.openapi()["flows"] == {
        "authorizationCode": {
            "authorizationUrl": "/a",
            "tokenUrl": "/t",
            "refreshUrl": "/r",
            "scopes": {},
        }
    }


def test_the_redirect_page_follows_the_docs_and_its_own_option() -> None:
    quiet = TestClient(aaf([], swagger_ui_oauth2_redirect_url=None))
    assert quiet.get("/docs/oauth2-redirect").status_code == 404
    assert "oauth2RedirectUrl" not in quiet.get("/docs").text
    assert "initOAuth" not in quiet.get("/docs").text
    elsewhere = TestClient(aaf([], docs_url="/api-docs", swagger_ui_oauth2_redirect_url="/back"))
    assert elsewhere.get("/back").status_code == 200
    assert '+ "/back"' in elsewhere.get("/api-docs").text
    assert TestClient(aaf([], docs_url=None)).get("/docs/oauth2-redirect").status_code == 404
    hostile = aaf([], swagger_ui_init_oauth={"appName": "</script><script>alert(1)"})
    assert "</script><script>" not in TestClient(hostile).get("/docs").text


def test_openid_connect_gives_the_authorization_header() -> None:
    oidc = OpenIdConnect("https://id.example.com/.well-known/openid-configuration")
    maybe = OpenIdConnect("https://id.example.com/x", auto_error=False, scheme_name="Maybe")
    router = Router()

    @router.get("/oidc")
    async def with_oidc(connection: Connection, header: str = Depends(oidc)) -> str:
        return header

    @router.get("/maybe")
    async def with_maybe(connection: Connection, header: str | None = Depends(maybe)) -> str:
        return repr(header)

    app = aaf([router])
    with TestClient(app) as client:
        refused = client.get("/oidc")
        assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
        assert client.get("/oidc", headers={"Authorization": "Bearer t1"}).text == "Bearer t1"
        assert client.get("/maybe").text == "None"
    schemes = cast(dict[str, Any], app.openapi())["components"]["securitySchemes"]
    assert schemes["OpenIdConnect"] == {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration",
    }


def test_digest_gives_the_credentials_as_sent() -> None:
    digest = HTTPDigest()
    router = Router()

    @router.get("/digest")
    async def with_digest(
        connection: Connection, credentials: HTTPAuthorizationCredentials = Depends(digest)
    ) -> str:
        return f"{credentials.scheme}|{credentials.credentials}"

    app = aaf([router])
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "Bearer t1"}):
            refused = client.get("/digest", headers=headers)
            assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Digest")
        sent = 'Digest username="ada", realm="shop", response="6629fae4"'
        assert client.get("/digest", headers={"Authorization": sent}).text == (
            'Digest|username="ada", realm="shop", response="6629fae4"'
        )
    schemes = cast(dict[str, Any], app.openapi())["components"]["securitySchemes"]
    assert schemes == {"HTTPDigest": {"type": "http", "scheme": "digest"}}


def test_a_realm_or_key_name_is_quoted_in_the_challenge_and_one_no_header_carries_is_refused() -> (
    None
):
    # They were written between quotes as they were: a realm holding a quote ended the
    # quoted-string early (a challenge no client reads right), and one latin-1 cannot encode,
    # or holding a line break, was a 500 on every unauthenticated request.
    realm_scheme = HTTPBasic(realm='Team "A" \\ staff')
    key_scheme = APIKeyQuery(name='api "key"')
    router = Router()

    @router.get("/basic")
    async def by_basic(
        connection: Connection, credentials: HTTPBasicCredentials = Depends(realm_scheme)
    ) -> str:
        return credentials.username

    @router.get("/key")
    async def by_key(connection: Connection, key: str = Depends(key_scheme)) -> str:
        return key

    with TestClient(aaf([router])) as client:
        challenge = client.get("/basic").headers["www-authenticate"]
        assert challenge == 'Basic realm="Team \\"A\\" \\\\ staff"'
        parsed = WWWAuthenticate.from_header(challenge)
        assert parsed is not None and parsed.parameters == {"realm": 'Team "A" \\ staff'}
        refused = client.get("/key")
        assert refused.status_code == 401
        parsed = WWWAuthenticate.from_header(refused.headers["www-authenticate"])
        assert parsed is not None and parsed.parameters == {"in": "query", "name": 'api "key"'}
        assert client.get("/key", params={'api "key"': "k1"}).text == "k1"

    for realm in ("商店", "shop\r\nSet-Cookie: a=b"):
        with pytest.raises(ValueError, match="realm goes into WWW-Authenticate"):
            HTTPBasic(realm=realm)
    with pytest.raises(ValueError, match="name goes into WWW-Authenticate"):
        APIKeyQuery(name="key\n")


def test_fastapis_camel_case_urls_say_aafs_names() -> None:
    # `OAuth2PasswordBearer(tokenUrl="token")`, the line FastAPI's tutorial has everyone
    # write, was Python's bare "unexpected keyword argument 'tokenUrl'" (type checkers refuse
    # it too: the keyword takes Never).
    def refused(said: str) -> pytest.RaisesExc[TypeError]:
        return pytest.raises(TypeError, match="^" + re.escape(said) + "$")

    with refused(
        "OAuth2PasswordBearer() got an unexpected keyword argument 'tokenUrl': aaf spells it "
        "token_url, OAuth2PasswordBearer(token_url=...)"
    ):
        OAuth2PasswordBearer(tokenUrl="token")  # type: ignore[call-overload]
    with refused(
        "OAuth2AuthorizationCodeBearer() got an unexpected keyword argument 'refreshUrl': aaf "
        "spells it refresh_url, OAuth2AuthorizationCodeBearer(refresh_url=...)"
    ):
        OAuth2AuthorizationCodeBearer("/authorize", "/token", refreshUrl="/r")  # type: ignore[call-overload]
    with refused(
        "OpenIdConnect() got an unexpected keyword argument 'openIdConnectUrl': aaf spells it "
        "openid_connect_url, OpenIdConnect(openid_connect_url=...)"
    ):
        OpenIdConnect(openIdConnectUrl="/.well-known")  # type: ignore[call-overload]
    with refused("OAuth2PasswordBearer() got an unexpected keyword argument 'tokenurl'"):
        OAuth2PasswordBearer("/token", tokenurl="x")  # type: ignore[call-overload]
    with refused("OAuth2AuthorizationCodeBearer() needs token_url, a URL"):
        OAuth2AuthorizationCodeBearer("/authorize")  # type: ignore[call-overload]
    assert OAuth2PasswordBearer("/token").token_url == "/token"
