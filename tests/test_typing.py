"""The public API under `mypy --strict`: user programs that must pass, and ones that must fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._typecheck import BASEDPYRIGHT, basedpyright_errors, mypy_errors

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
from __future__ import annotations

from typing import Annotated, assert_type

from pydantic import BaseModel

from aaf import aaf
from aaf.app import App
from aaf.connection import Connection
from aaf.params import Header, Path, Query
from aaf.response import HttpResponse, JsonResponse
from aaf.routing import Router
from aaf.views import View

router = Router()


class Item(BaseModel):
    id: int


@router.route("/items/<int:item_id>")
class ItemView(View):
    async def get(self, connection: Connection, item_id: int) -> Item:
        return Item(id=item_id)

    async def put(
        self, connection: Connection, item_id: int, item: Item,
        x_token: Annotated[str | None, Header()] = None,
    ) -> Item:
        return item


@router.route("/hello/<name>")
async def hello(
    connection: Connection,
    name: Annotated[str, Path(min_length=1, description="Who")],
    n: Annotated[int, Query()] = 1,
) -> HttpResponse:
    value = connection.query.get("a")
    if value is not None:
        name += value
    await connection.send(name, finish=True)
    return HttpResponse(f"Hello, {name}" * n)


def mail(address: str, *, retries: int = 3) -> None: ...


@router.route("/json")
async def json_view(connection: Connection) -> JsonResponse:
    connection.add_background(mail, "a@example.com", retries=2)
    body: bytes = await connection.body()
    return JsonResponse({"size": len(body)})


assert_type(ItemView, type[ItemView])
app: App = aaf([router])


@app.exception_handler(KeyError)
async def missing_key(connection: Connection, exc: KeyError) -> JsonResponse:
    return JsonResponse({"missing": str(exc)}, status_code=404)


assert_type(missing_key.__name__, str)


async def answer_missing_key(connection: Connection) -> None:
    # The decorator gives back what it was given: the handler's own response class.
    assert_type(await missing_key(connection, KeyError("k")), JsonResponse)


path: str = app.url_for("hello", name="x")


@router.websocket("/feed")
async def feed(connection: Connection) -> None:
    await connection.accept()
    seen: list[str] = []
    connection.at_session_end(lambda: seen.append("over"))  # any result, taken and dropped
    connection.forget_session_end(seen.clear)
"""

BAD = {
    "response_of_int": ("from aaf.response import HttpResponse\nHttpResponse(123)\n", "arg-type"),
    "send_an_int": (
        """
        from aaf.connection import Connection

        async def handler(connection: Connection) -> None:
            await connection.send(1)
        """,
        "arg-type",
    ),
    "session_holds_json_values_only": (
        """
        import datetime

        from aaf.connection import Connection

        async def handler(connection: Connection) -> None:
            connection.session["seen"] = datetime.datetime.now()
        """,
        "assignment",
    ),
    "a_response_entry_keyed_by_text": (
        """
        from aaf.routing import Router

        Router(responses={"404": None})
        """,
        "dict-item",
    ),
    "query_value_plus_one": (
        """
        from aaf.connection import Connection

        async def handler(connection: Connection) -> None:
            connection.query.get("a") + 1
        """,
        "operator",
    ),
    "route_a_non_handler": (
        """
        from aaf.routing import Router

        Router().route("/")(42)
        """,
        "type-var",
    ),
    "decorated_view_keeps_its_type": (
        """
        from aaf.connection import Connection
        from aaf.routing import Router
        from aaf.views import View

        router = Router()

        @router.route("/")
        class V(View):
            async def get(self, connection: Connection) -> str:
                return ""

        wrong: int = V
        """,
        "assignment",
    ),
    "decorated_function_keeps_its_signature": (
        """
        from aaf.connection import Connection
        from aaf.routing import Router

        router = Router()

        @router.route("/<name>")
        async def hello(connection: Connection, name: str) -> str:
            return name

        async def caller(connection: Connection) -> None:
            await hello(connection, 42)
        """,
        "arg-type",
    ),
    "awaiting_an_upload_read": (  # FastAPI's habit; here the upload is already a file
        """
        from typing import Annotated
        from aaf.connection import Connection
        from aaf.datastructures import UploadFile
        from aaf.params import Form

        async def handler(connection: Connection, file: Annotated[UploadFile, Form()]) -> None:
            await file.read()
        """,
        "misc",
    ),
    "an_uploads_misspelt_attribute": (  # werkzeug's FileStorage hands it on, typed Any
        """
        from typing import Annotated
        from aaf.connection import Connection
        from aaf.datastructures import UploadFile
        from aaf.params import File

        async def handler(connection: Connection, upload: Annotated[UploadFile, File()]) -> None:
            upload.fiel.read()
        """,
        "attr-defined",
    ),
    "background_arguments_are_checked": (  # FastAPI's add_task takes anything
        """
        from aaf.connection import Connection

        def mail(address: str, *, retries: int = 3) -> None: ...

        async def handler(connection: Connection) -> None:
            connection.add_background(mail, "a@example.com", retries="3")
        """,
        "arg-type",
    ),
    "add_middleware_options_are_checked": (  # Starlette's own keywords, misspelt
        """
        from starlette.middleware.cors import CORSMiddleware

        from aaf import aaf

        aaf([]).add_middleware(CORSMiddleware, allow_origin=["*"])
        """,
        "call-arg",
    ),
    "exception_handler_of_another_class": (  # a KeyError handler for ValueErrors
        """
        from aaf import aaf
        from aaf.connection import Connection
        from aaf.response import HttpResponse

        async def on_key(connection: Connection, exc: KeyError) -> HttpResponse:
            return HttpResponse(str(exc.args))

        aaf([]).add_exception_handler(ValueError, on_key)
        """,
        "arg-type",
    ),
    "exception_handler_decorating_another_class": (  # a KeyError handler for ValueErrors
        """
        from aaf import aaf
        from aaf.connection import Connection
        from aaf.response import HttpResponse

        app = aaf([])

        @app.exception_handler(ValueError)
        async def on_key(connection: Connection, exc: KeyError) -> HttpResponse:
            return HttpResponse(str(exc.args))
        """,
        "arg-type",
    ),
    "exception_handler_answering_no_response": (
        """
        from aaf import aaf
        from aaf.connection import Connection

        app = aaf([])

        @app.exception_handler(ValueError)
        async def on_value(connection: Connection, exc: ValueError) -> str:
            return str(exc)
        """,
        "type-var",
    ),
    "path_takes_no_alias": (  # the rule names the value
        """
        from aaf.params import Path
        Path(alias="other")
        """,
        "call-arg",
    ),
    "constraints_are_numbers": (
        """
        from aaf.params import Query
        Query(ge="1")
        """,
        "arg-type",
    ),
    "status_code_is_an_int": (
        """
        from aaf.response import JsonResponse
        JsonResponse({}, status_code="200")
        """,
        "arg-type",
    ),
    "a_status_handler_is_given_the_http_error": (
        """
        from aaf import App
        from aaf.connection import Connection
        from aaf.response import HttpResponse

        async def on_key(connection: Connection, exc: KeyError) -> HttpResponse:
            return HttpResponse("key")

        App().add_exception_handler(404, on_key)
        """,
        "arg-type",
    ),
    "the_server_error_handler_is_given_any_exception": (
        """
        from aaf import App, HTTPError
        from aaf.connection import Connection
        from aaf.response import HttpResponse

        app = App()

        @app.exception_handler(500)
        async def failed(connection: Connection, exc: HTTPError) -> HttpResponse:
            return HttpResponse(str(exc.detail))
        """,
        "type-var",
    ),
    "a_session_end_callback_takes_nothing": (
        """
        from aaf.connection import Connection

        def left(code: int) -> None: ...

        async def handler(connection: Connection) -> None:
            connection.at_session_end(left)
        """,
        "arg-type",
    ),
}


# One provider of each kind, all giving a Db.
PROVIDERS = """
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from aaf.connection import Connection
from aaf.params import Depends
from aaf.routing import Router
from aaf.views import View


class Db: ...


class Cache: ...


async def coroutine() -> Db:
    return Db()


def plain() -> Db:
    return Db()


async def async_generator() -> AsyncIterator[Db]:
    yield Db()


def generator() -> Iterator[Db]:
    yield Db()


router = Router()
"""
DEPENDS_GOOD = (
    PROVIDERS
    + """

@router.get("/")
async def handler(
    connection: Connection,
    a: Db = Depends(coroutine),
    b: Db = Depends(plain),
    c: Db = Depends(async_generator),
    d: Db = Depends(generator, use_cache=False),
    e: Annotated[Db, Depends(coroutine)] = Db(),
    f: Annotated[Db, Depends()] = Db(),
) -> str:
    return ""


@router.route("/view", dependencies=[Depends(plain)])
class Page(View):
    db: Db = Depends(async_generator)

    async def get(self, connection: Connection) -> str:
        return ""
"""
)

# With no provider, Depends() is a marker for Annotated[...], not a parameter's value.
BAD["security_with_no_provider_as_a_value"] = (
    PROVIDERS
    + """
from aaf import Security


@router.get("/")
async def handler(connection: Connection, db: Db = Security(scopes=["me"])) -> str:
    return ""
""",
    "assignment",
)

BAD["depends_with_no_provider_as_a_value"] = (
    PROVIDERS
    + """

@router.get("/")
async def handler(connection: Connection, db: Db = Depends()) -> str:
    return ""
""",
    "assignment",
)

MIDDLEWARE_FUNCTION = """
from aaf import App
from aaf.connection import Connection
from aaf.middleware import Answer, CallNext
from aaf.response import HttpResponse

app = App([])


@app.middleware("http")
async def stamped(connection: Connection, call_next: CallNext) -> Answer | HttpResponse:
    answer = await call_next(connection)
    answer.headers["X-Seen"] = connection.path
    return answer


@app.middleware("http")
async def plain(connection: Connection, call_next: CallNext) -> Answer:
    return await call_next(connection)


async def use(connection: Connection, call_next: CallNext) -> Answer:
    return await plain(connection, call_next)  # the decorated function keeps its type
"""
# A function middleware that does not take call_next, or returns something else.
BAD["middleware_function_without_call_next"] = (
    MIDDLEWARE_FUNCTION
    + """

@app.middleware("http")
async def alone(connection: Connection) -> Answer: ...
""",
    "type-var",
)
BAD["middleware_function_returning_text"] = (
    MIDDLEWARE_FUNCTION
    + """

@app.middleware("http")
async def texty(connection: Connection, call_next: CallNext) -> str:
    return ""
""",
    "type-var",
)

URL_FOR = """
from aaf import aaf
from aaf.connection import Connection
from aaf.routing import Router
from aaf.views import View

router = Router()


@router.get("/items/<int:item_id>")
async def get_item(connection: Connection, item_id: int, verbose: bool = False) -> str:
    return ""


@router.route("/users/<name>")
class UserView(View):
    async def get(self, connection: Connection, name: str) -> str:
        return name


app = aaf([router])
"""
URL_FOR_GOOD = (
    URL_FOR
    + """
a: str = router.url_for(get_item, item_id=3)
b: str = app.url_for(get_item, item_id=3, verbose=True)
c: str = app.url_for(UserView.get, name="ann")
d: str = app.url_for("get_item", item_id=3)


async def links(connection: Connection) -> list[str]:
    return [
        connection.url_for(get_item, item_id=3),
        connection.url_for(UserView.get, name="ann"),
        connection.url_for("get_item", item_id=3),
    ]
"""
)
# With overloads (by name, by function, by View method) mypy reports which call matched none.
BAD["url_for_wrong_name"] = (URL_FOR + "app.url_for(get_item, itemid=3)\n", "call-overload")
BAD["url_for_wrong_type"] = (URL_FOR + 'app.url_for(get_item, item_id="3")\n', "call-overload")
BAD["url_for_view_method"] = (URL_FOR + "app.url_for(UserView.get, name=1)\n", "call-overload")
BAD["connection_url_for_wrong_type"] = (
    URL_FOR
    + """
async def link(connection: Connection) -> str:
    return connection.url_for(get_item, item_id="3")
""",
    "call-overload",
)
BAD["middleware_that_takes_no_app"] = (
    """
from aaf import aaf
app = aaf([], middleware=[lambda: None])
""",
    "list-item",
)

THREADS = """
from aaf.connection import Connection
from aaf.routing import Router

router = Router()


def blocking_read(name: str, *, upper: bool = False) -> str:
    return name


@router.get("/")
async def read(connection: Connection) -> str:
    return await connection.app.threads.run(blocking_read, %s)
"""
BAD["threads_run_with_a_wrong_argument"] = (THREADS % "3", "arg-type")
BAD["threads_run_with_a_wrong_keyword"] = (THREADS % '"n", uper=True', "call-arg")

MIDDLEWARE_GOOD = """
import functools

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from aaf import aaf

app = aaf(
    [],
    middleware=[
        functools.partial(CORSMiddleware, allow_origins=["*"]),
        functools.partial(GZipMiddleware, minimum_size=100),
        GZipMiddleware,
    ],
)
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])
app.add_middleware(GZipMiddleware, minimum_size=100)
"""

# A provider of each kind for a parameter of another type.
for _kind in ("coroutine", "plain", "async_generator", "generator"):
    BAD[f"depends_{_kind}_of_the_wrong_type"] = (
        PROVIDERS
        + f"""

@router.get("/")
async def handler(connection: Connection, cache: Cache = Depends({_kind})) -> str:
    return ""
""",
        "assignment",
    )


SECURITY_GOOD = (
    PROVIDERS
    + """
from aaf import Security
from aaf.security import SecurityScopes


async def scoped(scopes: SecurityScopes) -> Db:
    assert all(isinstance(scope, str) for scope in scopes.scopes) and scopes.scope_str
    return Db()


@router.get("/scoped", dependencies=[Security(plain, scopes=("admin",))])
async def scoped_handler(
    connection: Connection,
    a: Db = Security(scoped, scopes=["items"]),
    b: Db = Security(plain, scopes=["items"], use_cache=False),
    c: Db = Security(async_generator, scopes=["items"]),
    d: Db = Security(generator),
    e: Annotated[Db, Security(scoped, scopes=["me"])] = Db(),
    f: Db = Depends(scoped),
    g: Annotated[Db, Security(scopes=["me"])] = Db(),  # the class itself, as Depends()
) -> str:
    return ""


@router.route("/scoped-view")
class ScopedPage(View):
    db: Db = Security(scoped, scopes=["items"])

    async def get(self, connection: Connection) -> str:
        return ""
"""
)
for _kind in ("coroutine", "generator"):
    BAD[f"security_{_kind}_of_the_wrong_type"] = (
        PROVIDERS
        + f"""
from aaf import Security


@router.get("/")
async def handler(
    connection: Connection, cache: Cache = Security({_kind}, scopes=["me"])
) -> str:
    return ""
""",
        "assignment",
    )


SCHEMES = """
from __future__ import annotations

from aaf.connection import Connection
from aaf.params import Depends
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
    OpenIdConnect,
)

router = Router()
"""
# What a scheme gives follows auto_error: a 401 stands in for None unless it is off.
SCHEMES_GOOD = (
    SCHEMES
    + """

@router.get("/")
async def handler(
    connection: Connection,
    token: str = Depends(OAuth2PasswordBearer("/token")),
    maybe_token: str | None = Depends(OAuth2PasswordBearer("/token", auto_error=False)),
    bearer: HTTPAuthorizationCredentials = Depends(HTTPBearer()),
    maybe_bearer: HTTPAuthorizationCredentials | None = Depends(HTTPBearer(auto_error=False)),
    basic: HTTPBasicCredentials = Depends(HTTPBasic(realm="shop")),
    header: str = Depends(APIKeyHeader(name="X-Key")),
    cookie: str | None = Depends(APIKeyCookie(name="k", auto_error=False)),
    query: str = Depends(APIKeyQuery(name="k")),
    code: str = Depends(OAuth2AuthorizationCodeBearer("/authorize", "/token")),
    maybe_code: str | None = Depends(
        OAuth2AuthorizationCodeBearer("/authorize", "/token", auto_error=False)
    ),
    oidc: str = Depends(OpenIdConnect("https://id.example.com/")),
    maybe_oidc: str | None = Depends(OpenIdConnect("https://id.example.com/", auto_error=False)),
    digest: HTTPAuthorizationCredentials = Depends(HTTPDigest()),
    maybe_digest: HTTPAuthorizationCredentials | None = Depends(HTTPDigest(auto_error=False)),
) -> str:
    return token + bearer.credentials + basic.username + header + query + code + digest.scheme


plain_bearer: HTTPBearer = HTTPBearer()  # the type argument defaults to what auto_error gives
"""
)
for _scheme, _given in (
    ('OAuth2PasswordBearer("/token", auto_error=False)', "str"),
    ("HTTPBearer(auto_error=False)", "HTTPAuthorizationCredentials"),
    ("HTTPBasic(auto_error=False)", "HTTPBasicCredentials"),
    ("HTTPDigest(auto_error=False)", "HTTPAuthorizationCredentials"),
    ('APIKeyQuery(name="k", auto_error=False)', "str"),
    ('OAuth2AuthorizationCodeBearer("/a", "/t", auto_error=False)', "str"),
    ('OpenIdConnect("https://id.example.com/", auto_error=False)', "str"),
):
    BAD[f"optional_{_scheme.partition('(')[0]}_taken_as_always_there"] = (
        SCHEMES
        + f"""

@router.get("/")
async def handler(connection: Connection, value: {_given} = Depends({_scheme})) -> str:
    return ""
""",
        "assignment",
    )


UPLOAD_GOOD = """
import shutil
from typing import IO, Annotated, assert_type

from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.params import File


async def handler(connection: Connection, upload: Annotated[UploadFile, File()]) -> int:
    assert_type(upload.file, IO[bytes])  # Starlette's spelling
    with open("/dev/null", "wb") as out:
        shutil.copyfileobj(upload.file, out)
    first: bytes = upload.readline()
    return len(first) + upload.size + upload.seek(0) + len(upload.read())
"""


GOOD_PROGRAMS = {
    "upload_good": UPLOAD_GOOD,
    "good": GOOD,
    "depends_good": DEPENDS_GOOD,
    "security_good": SECURITY_GOOD,
    "schemes_good": SCHEMES_GOOD,
    "url_for_good": URL_FOR_GOOD,
    "middleware_good": MIDDLEWARE_GOOD,
    "middleware_function": MIDDLEWARE_FUNCTION,
    "threads_good": THREADS % '"notes", upper=True',
}
PROGRAMS = {**GOOD_PROGRAMS, **{name: source for name, (source, _) in BAD.items()}}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    files = PROGRAMS
    return mypy_errors(tmp_path_factory.mktemp("typing"), files)


@pytest.fixture(scope="module")
def pyright_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return basedpyright_errors(tmp_path_factory.mktemp("typing-pyright"), PROGRAMS)


def test_a_correct_program_passes_strict(results: dict[str, list[str]]) -> None:
    assert results["good"] == []


def test_what_a_scheme_gives_follows_auto_error(results: dict[str, list[str]]) -> None:
    assert results["schemes_good"] == []


def test_an_upload_is_typed_attribute_by_attribute(results: dict[str, list[str]]) -> None:
    assert results["upload_good"] == []


def test_url_for_by_handler_type_checks(results: dict[str, list[str]]) -> None:
    assert results["url_for_good"] == []


def test_every_kind_of_provider_type_checks_in_both_spellings(
    results: dict[str, list[str]],
) -> None:
    assert results["depends_good"] == []
    assert results["security_good"] == []


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_wrong_program_is_rejected(results: dict[str, list[str]], name: str) -> None:
    code = BAD[name][1]
    assert any(f"[{code}]" in line for line in results[name]), results[name]


@pytest.mark.parametrize("name", sorted(GOOD_PROGRAMS))
def test_a_correct_program_passes_basedpyright_strict(
    pyright_results: dict[str, list[str]], name: str
) -> None:
    assert pyright_results[name] == []


def test_middleware_type_checks_with_no_ignore(results: dict[str, list[str]]) -> None:
    assert results["middleware_good"] == []


def test_a_middleware_function_type_checks_and_keeps_its_type(
    results: dict[str, list[str]],
) -> None:
    assert results["middleware_function"] == []


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_wrong_program_is_rejected_by_basedpyright(
    pyright_results: dict[str, list[str]], name: str
) -> None:
    assert pyright_results[name], f"basedpyright accepts {name}"


# What `--verifytypes` cannot read of other packages: mypy's (the plugin's base class, its
# ErrorCode constants), httpx's (the test clients' base classes) and anyio's (the portal a
# sync WebSocket session is given). Their own types, not aaf's.
OTHER_PACKAGES = {
    "aaf.mypy.AAF_ROUTE",
    "aaf.mypy.AAF_OVERRIDE",
    "aaf.mypy.AAF_HANDLER",
    "aaf.mypy.AafPlugin",
    "aaf.testing.TestClient",
    "aaf.testing.AsyncTestClient",
    "aaf.testing.WebSocketSession",
    "aaf.testing.WebSocketSession.__init__",
}


def test_every_public_symbol_has_a_declared_type() -> None:
    # pyright's check of a typed library's public API: 156 symbols (App.title, Router.prefix,
    # HttpResponse.body, each marker's `source`, ...) had a type inferred from a value, which
    # "could be inferred differently by type checkers", and 21 more were partly unknown
    # through them (a completeness score of 76%).
    result = subprocess.run(
        [str(BASEDPYRIGHT), "--pythonpath", sys.executable, "--outputjson"]
        + ["--verifytypes", "aaf", "--ignoreexternal"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)["typeCompleteness"]
    assert report["packageRootDirectory"] == str(ROOT / "aaf")
    symbols = report["symbols"]
    assert len(symbols) > 900  # the whole public API was read
    ambiguous = [s["name"] for s in symbols if s["isTypeAmbiguous"]]
    unknown = [s["name"] for s in symbols if not s["isTypeKnown"]]
    assert ambiguous == []
    assert set(unknown) <= OTHER_PACKAGES, sorted(set(unknown) - OTHER_PACKAGES)
