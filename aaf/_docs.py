"""The API document's pages: the JSON at ``openapi_url``, Swagger UI at ``docs_url`` and
ReDoc at ``redoc_url``, all served from files inside the package (no CDN: they work offline).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import JsonValue

from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.response import FileResponse, HtmlResponse, JsonResponse
from aaf.routing import Outcome, Router

if TYPE_CHECKING:
    from aaf.app import App

__all__ = ["DOCS_ASSETS", "DocsRouter", "docs_routers"]

DOCS_ASSETS = "/_aaf/docs"  # where the pages' scripts and styles are served

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {spec},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"{oauth2_redirect}
}});{init_oauth}
</script>
</body>
</html>
"""
OAUTH2_REDIRECT = """<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<title>{title}: signed in</title>
</head>
<body>
<script src="{assets}/oauth2-redirect.js"></script>
</body>
</html>
"""
REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<div id="redoc"></div>
<script src="{assets}/redoc.standalone.js"></script>
<script>
Redoc.init({spec}, {{}}, document.getElementById("redoc"));
</script>
</body>
</html>
"""
ASSETS = {
    "swagger-ui-bundle.js": STATIC / "swagger-ui" / "swagger-ui-bundle.js",
    "swagger-ui.css": STATIC / "swagger-ui" / "swagger-ui.css",
    "oauth2-redirect.js": STATIC / "swagger-ui" / "oauth2-redirect.js",
    "redoc.standalone.js": STATIC / "redoc" / "redoc.standalone.js",
}


class DocsRouter(Router):
    """The router of the document's pages, last after the app's own.

    It can answer only paths under its URLs, or ones werkzeug would redirect there (a doubled
    slash merged): any other path is a miss before any matching. PERF: a 404 costs what it
    would without the document (benchmarks/inprocess.py, not found).
    """

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        # Without a trailing slash, so that "/docs" is seen for a rule "/docs/" (a redirect).
        self.prefixes = tuple(url.rstrip("/") for url in urls)

    def resolve(self, path: str, method: str) -> Outcome:
        if path.startswith(self.prefixes) or "//" in path:
            return super().resolve(path, method)
        return None


def docs_routers(app: App) -> list[Router]:
    """The router of the document's pages, or none when all three are switched off."""
    if app.openapi_url is None:
        return []
    openapi_url = app.openapi_url
    urls = (
        [openapi_url]
        if app.docs_url is None and app.redoc_url is None
        else [openapi_url, DOCS_ASSETS]
    )
    redirect = app.swagger_ui_oauth2_redirect_url if app.docs_url is not None else None
    pages = (app.docs_url, redirect, app.redoc_url)
    router = DocsRouter([*urls, *(u for u in pages if u is not None)])

    @router.get(openapi_url, name="aaf_openapi", include_in_schema=False)
    async def openapi(connection: Connection) -> JsonResponse:
        return JsonResponse(_as_served(connection))

    if app.docs_url is None and app.redoc_url is None:
        return [router]
    assets = DOCS_ASSETS

    @router.get(assets + "/<name>", name="aaf_docs_asset", include_in_schema=False)
    async def asset(connection: Connection, name: str) -> FileResponse:
        path = ASSETS.get(name)
        if path is None:
            raise HTTPError(404, "Not found")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    if app.docs_url is not None:
        init = app.swagger_ui_init_oauth
        initialized = f"\nwindow.ui.initOAuth({_script_json(init)});" if init else ""

        @router.get(app.docs_url, name="aaf_swagger_ui", include_in_schema=False)
        async def swagger_ui(connection: Connection) -> HtmlResponse:
            root = connection.root_path.rstrip("/")
            # The sign-in's way back: on this page's origin, under the app's root path.
            back = (
                f",\n  oauth2RedirectUrl: window.location.origin + {_script_json(root + redirect)}"
                if redirect is not None
                else ""
            )
            return HtmlResponse(
                _render(
                    SWAGGER_UI,
                    connection,
                    assets,
                    openapi_url,
                    oauth2_redirect=back,
                    init_oauth=initialized,
                )
            )

        if redirect is not None:

            @router.get(redirect, name="aaf_swagger_ui_oauth2_redirect", include_in_schema=False)
            async def oauth2_redirect(connection: Connection) -> HtmlResponse:
                return HtmlResponse(_render(OAUTH2_REDIRECT, connection, assets, openapi_url))

    if app.redoc_url is not None:

        @router.get(app.redoc_url, name="aaf_redoc", include_in_schema=False)
        async def redoc(connection: Connection) -> HtmlResponse:
            return HtmlResponse(_render(REDOC, connection, assets, openapi_url))

    return [router]


def _as_served(connection: Connection) -> dict[str, JsonValue]:
    """The app's document as this request reaches it: under a root path (a proxy's prefix,
    or a mount), with that path first among its servers unless the app says otherwise."""
    app = connection.app
    document = app.openapi()
    root = connection.root_path.rstrip("/")
    if not root or not app.root_path_in_servers:
        return document
    given = document.get("servers")
    servers = given if isinstance(given, list) else []
    if any(isinstance(server, dict) and server.get("url") == root for server in servers):
        return document
    return {**document, "servers": [{"url": root}, *servers]}  # the built one left as it is


def _render(
    template: str, connection: Connection, assets: str, openapi_url: str, **scripts: str
) -> str:
    """The page ``template`` for this request (``scripts``: what its script holds, escaped
    for it already)."""
    root = connection.root_path.rstrip("/")
    return template.format(
        title=html.escape(connection.app.title),
        assets=html.escape(root + assets),
        spec=_script_json(root + openapi_url),
        **scripts,
    )


def _script_json(value: JsonValue) -> str:
    """``value`` as JavaScript inside a ``<script>`` element: JSON, with ``<``, ``>`` and
    ``&`` escaped so that nothing in it (a ``</script>``) can end the element."""
    quoted = json.dumps(value)
    return quoted.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
