"""Security schemes as typed dependencies: read a credential, refuse a request without one.

Each scheme is a provider for ``Depends`` that gives the credential it read, answers 401 with
``WWW-Authenticate`` when it is missing (or ``None`` with ``auto_error=False``), and appears in
the API document's ``securitySchemes`` and the ``security`` of every operation that uses it, so
that Swagger UI's "Authorize" button works::

    bearer = HTTPBearer()

    @router.get("/me")
    async def me(connection: Connection, token: HTTPAuthorizationCredentials = Depends(bearer)):
        ...

Checking the credential is the app's job, in its own provider that depends on the scheme.
OAuth2 scopes as FastAPI has them: ``Security(provider, scopes=["items"])`` requires them, and
a provider below takes ``security_scopes: SecurityScopes`` to check the token against all that
were required on the way down.

Each scheme is generic in what it gives, and its constructor says which: with the default
``auto_error=True`` a missing credential is a 401, so ``HTTPBearer()`` gives
``HTTPAuthorizationCredentials``; ``HTTPBearer(auto_error=False)`` gives
``HTTPAuthorizationCredentials | None``, and a parameter that forgets the ``None`` is a type
error.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Awaitable, Mapping
from typing import Annotated, Generic, Literal, Never, cast, overload

from pydantic import BaseModel, Field, JsonValue
from typing_extensions import TypeVar

from aaf._http import quoted_string
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Form, Security, SecurityScopes

__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OpenIdConnect",
    "Security",
    "SecurityScheme",
    "SecurityScopes",
]


@dataclasses.dataclass(frozen=True, slots=True)
class HTTPAuthorizationCredentials:
    """An ``Authorization`` header: its scheme (``Bearer``) and credentials (the token),
    which its ``repr`` leaves out (a log line or an error tracker's record of a handler's
    variables would hold it)."""

    scheme: str
    credentials: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, slots=True)
class HTTPBasicCredentials:
    """The user name and password of HTTP Basic authentication; its ``repr`` leaves the
    password out."""

    username: str
    password: str = dataclasses.field(repr=False)


class SecurityScheme:
    """A scheme the API document describes (``components.securitySchemes``)."""

    scheme_name: str
    description: str | None
    auto_error: bool
    # The request value it reads: its source and key (a header's name in lower case).
    request_key: tuple[str, str] = ("header", "authorization")

    def __init__(
        self, *, scheme_name: str | None, description: str | None, auto_error: bool
    ) -> None:
        self.scheme_name = scheme_name or type(self).__name__
        self.description = description
        self.auto_error = auto_error

    def __call__(self, connection: Connection) -> Awaitable[object]:
        """Read the credential from ``connection`` (each scheme says how)."""
        raise NotImplementedError

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        raise NotImplementedError

    def _described(self, scheme: dict[str, JsonValue]) -> dict[str, JsonValue]:
        if self.description:
            scheme["description"] = self.description
        return scheme

    def _refuse(self, challenge: str) -> None:
        raise HTTPError(401, "Not authenticated", headers={"WWW-Authenticate": challenge})

    def _credentials(
        self, connection: Connection, scheme: str, challenge: str | None = None
    ) -> tuple[str, str] | None:
        """``Authorization: <scheme> <credentials>`` as ``(scheme as sent, credentials)``;
        without one, refuse with ``challenge`` (the scheme's name by default, when
        ``auto_error``) or give ``None``."""
        found = _authorization(connection)
        if found is None or found[0].lower() != scheme.lower():
            if self.auto_error:
                self._refuse(challenge or scheme)
            return None
        return found


# FastAPI's names of the OAuth2 and OpenID Connect schemes' URLs, and aaf's.
_FASTAPI_URLS = {
    "tokenUrl": "token_url",
    "authorizationUrl": "authorization_url",
    "refreshUrl": "refresh_url",
    "openIdConnectUrl": "openid_connect_url",
}


def _urls_given(scheme: object, fastapi: Mapping[str, object], **urls: str) -> None:
    """Refuse FastAPI's camelCase keywords (``tokenUrl="token"``, its tutorial's), saying
    aaf's name, and a scheme given none of the URLs it needs.

    Raises:
        TypeError: either.
    """
    name = type(scheme).__name__
    keyword = next(iter(fastapi), None)
    if keyword is not None:
        ours = _FASTAPI_URLS.get(keyword)
        how = "" if ours is None else f": aaf spells it {ours}, {name}({ours}=...)"
        raise TypeError(f"{name}() got an unexpected keyword argument {keyword!r}{how}")
    missing = [keyword for keyword, url in urls.items() if not url]
    if missing:
        raise TypeError(f"{name}() needs {' and '.join(missing)}, a URL")


def _quoted(what: str, text: str) -> str:
    """``text`` as a quoted-string of a ``WWW-Authenticate`` challenge.

    Raises:
        ValueError: no header can carry ``text``, said with ``what`` it is.
    """
    try:
        return quoted_string(text)
    except ValueError as exc:
        raise ValueError(f"A security scheme's {what} goes into WWW-Authenticate: {exc}") from None


def _authorization(connection: Connection) -> tuple[str, str] | None:
    header = connection.req_headers.get("authorization")
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if not scheme or not credentials.strip():
        return None
    return scheme, credentials.strip()


_Credentials = TypeVar("_Credentials", default=HTTPAuthorizationCredentials)


class HTTPBearer(SecurityScheme, Generic[_Credentials]):
    """``Authorization: Bearer <token>``."""

    @overload
    def __init__(
        self: HTTPBearer[HTTPAuthorizationCredentials],
        *,
        bearer_format: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: HTTPBearer[HTTPAuthorizationCredentials | None],
        *,
        bearer_format: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        bearer_format: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.bearer_format = bearer_format

    async def __call__(self, connection: Connection) -> _Credentials:
        """Give the bearer token, or refuse with 401."""
        found = self._credentials(connection, "Bearer")
        return cast(_Credentials, None if found is None else HTTPAuthorizationCredentials(*found))

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        scheme: dict[str, JsonValue] = {"type": "http", "scheme": "bearer"}
        if self.bearer_format:
            scheme["bearerFormat"] = self.bearer_format
        return self._described(scheme)


class HTTPDigest(SecurityScheme, Generic[_Credentials]):
    """``Authorization: Digest <parameters>``, as FastAPI's ``HTTPDigest``: gives the scheme
    and its parameters as sent (``username="ada", realm=..., response=...``), for the app to
    check; without one, 401 with ``WWW-Authenticate: Digest``."""

    @overload
    def __init__(
        self: HTTPDigest[HTTPAuthorizationCredentials],
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: HTTPDigest[HTTPAuthorizationCredentials | None],
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)

    async def __call__(self, connection: Connection) -> _Credentials:
        """Give the digest credentials, or refuse with 401."""
        found = self._credentials(connection, "Digest")
        return cast(_Credentials, None if found is None else HTTPAuthorizationCredentials(*found))

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        return self._described({"type": "http", "scheme": "digest"})


_Token = TypeVar("_Token", default=str)


class _OAuth2(SecurityScheme, Generic[_Token]):
    """What OAuth2's bearer schemes share: the token from ``Authorization: Bearer``, and the
    scopes the document describes for "Authorize" (``{scope: description}``)."""

    def __init__(
        self,
        *,
        scopes: Mapping[str, str] | None,
        scheme_name: str | None,
        description: str | None,
        auto_error: bool,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.scopes: dict[str, str] = dict(scopes or {})

    async def __call__(self, connection: Connection) -> _Token:
        """Give the bearer token, or refuse with 401."""
        found = self._credentials(connection, "Bearer")
        return cast(_Token, None if found is None else found[1])

    def _flow(self, name: str, flow: dict[str, JsonValue]) -> dict[str, JsonValue]:
        flow["scopes"] = dict(self.scopes)
        return self._described({"type": "oauth2", "flows": {name: flow}})


class OAuth2PasswordBearer(_OAuth2[_Token]):
    """A bearer token that clients get from ``token_url`` with OAuth2's password flow, as
    FastAPI's ``OAuth2PasswordBearer``: gives the token itself.

    In the API document it is an ``oauth2`` scheme with a ``password`` flow, so Swagger UI's
    "Authorize" asks for a user name and password, posts them to ``token_url`` as a form
    (:class:`OAuth2PasswordRequestForm` reads it) and sends the ``access_token`` of the JSON
    answer as ``Authorization: Bearer``. ``scopes`` maps each scope to its description.
    """

    @overload
    def __init__(
        self: OAuth2PasswordBearer[str],
        token_url: str,
        *,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: OAuth2PasswordBearer[str | None],
        token_url: str,
        *,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        token_url: str = "",
        *,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
        **fastapi: Never,  # FastAPI's tokenUrl=, said at run time (type checkers refuse it)
    ) -> None:
        _urls_given(self, fastapi, token_url=token_url)
        super().__init__(
            scopes=scopes, scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.token_url = token_url

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        return self._flow("password", {"tokenUrl": self.token_url})


class OAuth2AuthorizationCodeBearer(_OAuth2[_Token]):
    """A bearer token that clients get by OAuth2's authorization code flow (an identity
    provider's sign-in page at ``authorization_url``, then ``token_url``), as FastAPI's
    ``OAuth2AuthorizationCodeBearer``: gives the token itself.

    Swagger UI's "Authorize" opens the sign-in page and comes back to the docs' own
    ``/docs/oauth2-redirect`` page; ``aaf(..., swagger_ui_init_oauth={"clientId": ...,
    "usePkceWithAuthorizationCodeGrant": True})`` fills in what the provider expects.
    """

    @overload
    def __init__(
        self: OAuth2AuthorizationCodeBearer[str],
        authorization_url: str,
        token_url: str,
        *,
        refresh_url: str | None = None,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: OAuth2AuthorizationCodeBearer[str | None],
        authorization_url: str,
        token_url: str,
        *,
        refresh_url: str | None = None,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        authorization_url: str = "",
        token_url: str = "",
        *,
        refresh_url: str | None = None,
        scopes: Mapping[str, str] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
        **fastapi: Never,  # FastAPI's authorizationUrl=, ..., said at run time
    ) -> None:
        _urls_given(self, fastapi, authorization_url=authorization_url, token_url=token_url)
        super().__init__(
            scopes=scopes, scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.authorization_url = authorization_url
        self.token_url = token_url
        self.refresh_url = refresh_url

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        flow: dict[str, JsonValue] = {
            "authorizationUrl": self.authorization_url,
            "tokenUrl": self.token_url,
        }
        if self.refresh_url:
            flow["refreshUrl"] = self.refresh_url
        return self._flow("authorizationCode", flow)


_Header = TypeVar("_Header", default=str)


class OpenIdConnect(SecurityScheme, Generic[_Header]):
    """OpenID Connect, discovered at ``openid_connect_url``, as FastAPI's ``OpenIdConnect``:
    gives the ``Authorization`` header as sent (``"Bearer <token>"``), for the app to verify;
    without one, 401."""

    @overload
    def __init__(
        self: OpenIdConnect[str],
        openid_connect_url: str,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: OpenIdConnect[str | None],
        openid_connect_url: str,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        openid_connect_url: str = "",
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
        **fastapi: Never,  # FastAPI's openIdConnectUrl=, said at run time
    ) -> None:
        _urls_given(self, fastapi, openid_connect_url=openid_connect_url)
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.openid_connect_url = openid_connect_url

    async def __call__(self, connection: Connection) -> _Header:
        """Give the ``Authorization`` header, or refuse with 401."""
        header = connection.req_headers.get("authorization", "").strip()
        if not header:
            if self.auto_error:
                self._refuse("Bearer")
            return cast(_Header, None)
        return cast(_Header, header)

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        return self._described(
            {"type": "openIdConnect", "openIdConnectUrl": self.openid_connect_url}
        )


class OAuth2PasswordRequestForm(BaseModel):
    """The form of OAuth2's password grant (RFC 6749 4.3.2), read whole from the body:
    ``form: Annotated[OAuth2PasswordRequestForm, Form()]``, or as FastAPI's docs write it,
    ``Annotated[OAuth2PasswordRequestForm, Depends()]`` (each field says it is a form field,
    as the parameters of FastAPI's class do: not the query string, where a password would
    be written to every access log).

    ``grant_type`` may be left out (FastAPI's lenient form); given, it must be ``password``.
    Its ``repr`` leaves the password and the client secret out.
    """

    grant_type: Annotated[str | None, Form()] = Field(default=None, pattern="^password$")
    username: Annotated[str, Form()]
    password: Annotated[str, Form()] = Field(repr=False)  # out of log lines, as below
    scope: Annotated[str, Form()] = ""
    client_id: Annotated[str | None, Form()] = None
    client_secret: Annotated[str | None, Form()] = Field(default=None, repr=False)

    @property
    def scopes(self) -> list[str]:
        """The requested scopes: ``scope`` split at its spaces."""
        return self.scope.split()


_Basic = TypeVar("_Basic", default=HTTPBasicCredentials)


class HTTPBasic(SecurityScheme, Generic[_Basic]):
    """``Authorization: Basic <base64 of user:password>``; a ``realm`` is sent in the 401's
    challenge, quoted.

    Raises:
        ValueError: the realm holds a control character or one latin-1 cannot encode (no
            header can carry it).
    """

    @overload
    def __init__(
        self: HTTPBasic[HTTPBasicCredentials],
        *,
        realm: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: HTTPBasic[HTTPBasicCredentials | None],
        *,
        realm: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        realm: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.realm = realm
        # Quoted once here: a realm no header can carry is the app's mistake, said at start-up.
        self._challenge = f"Basic realm={_quoted('realm', realm)}" if realm else "Basic"

    async def __call__(self, connection: Connection) -> _Basic:
        """Give the user name and password, or refuse with 401."""
        challenge = self._challenge  # said again for credentials that do not decode
        found = self._credentials(connection, "Basic", challenge)
        if found is None:
            return cast(_Basic, None)
        try:
            decoded = base64.b64decode(found[1], validate=True).decode("utf-8")
        except ValueError:  # not base64 (binascii.Error), not ASCII at all, not UTF-8
            raise HTTPError(
                401, "Invalid Basic credentials", headers={"WWW-Authenticate": challenge}
            ) from None
        username, separator, password = decoded.partition(":")
        if not separator:
            raise HTTPError(
                401, "Invalid Basic credentials", headers={"WWW-Authenticate": challenge}
            )
        return cast(_Basic, HTTPBasicCredentials(username, password))

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        return self._described({"type": "http", "scheme": "basic"})


_Key = TypeVar("_Key", default=str)


class _APIKey(SecurityScheme, Generic[_Key]):
    """Each subclass repeats the overloaded constructor: an overload here, typed
    ``self: _APIKey[str | None]``, cannot set a subclass's own type argument (mypy and pyright
    both leave ``APIKeyHeader(..., auto_error=False)`` an ``APIKeyHeader[str]``)."""

    where: str

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.name = name
        self.request_key: tuple[str, str] = (
            self.where,
            name.lower() if self.where == "header" else name,
        )
        self._challenge = f'APIKey in="{self.where}", name={_quoted("name", name)}'

    def _read(self, connection: Connection) -> str | None:
        raise NotImplementedError

    async def __call__(self, connection: Connection) -> _Key:
        """Give the key, or refuse with 401."""
        key = self._read(connection)
        if not key:
            if self.auto_error:
                self._refuse(self._challenge)
            return cast(_Key, None)
        return cast(_Key, key)

    def openapi(self) -> dict[str, JsonValue]:
        """The scheme's OpenAPI Security Scheme Object."""
        return self._described({"type": "apiKey", "in": self.where, "name": self.name})


class APIKeyHeader(_APIKey[_Key]):
    """A key in a request header: ``APIKeyHeader(name="X-API-Key")``."""

    where = "header"

    # The constructor again, so that the class's own type argument follows auto_error
    # (see _APIKey).
    @overload
    def __init__(
        self: APIKeyHeader[str],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: APIKeyHeader[str | None],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            name=name, scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    def _read(self, connection: Connection) -> str | None:
        return connection.req_headers.get(self.name)


class APIKeyCookie(_APIKey[_Key]):
    """A key in a cookie: ``APIKeyCookie(name="session")``."""

    where = "cookie"

    # The constructor again, so that the class's own type argument follows auto_error
    # (see _APIKey).
    @overload
    def __init__(
        self: APIKeyCookie[str],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: APIKeyCookie[str | None],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            name=name, scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    def _read(self, connection: Connection) -> str | None:
        return connection.req_cookies.get(self.name)


class APIKeyQuery(_APIKey[_Key]):
    """A key in the query string: ``APIKeyQuery(name="api_key")``."""

    where = "query"

    # The constructor again, so that the class's own type argument follows auto_error
    # (see _APIKey).
    @overload
    def __init__(
        self: APIKeyQuery[str],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[True] = True,
    ) -> None: ...
    @overload
    def __init__(
        self: APIKeyQuery[str | None],
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: Literal[False],
    ) -> None: ...
    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            name=name, scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    def _read(self, connection: Connection) -> str | None:
        values = connection.query.getlist(self.name)
        return values[-1] if values else None
