"""Pages from Jinja2 templates (aaf.templating), served by a real uvicorn."""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
from pathlib import Path

import httpx
import jinja2
import pytest

from aaf import App
from aaf.connection import Connection
from aaf.response import HtmlResponse
from aaf.routing import Router
from aaf.templating import Jinja2Templates
from aaf.testing import TestClient

from ._helpers import serve

ITEM = """<!doctype html>
<title>{{ name }}</title>
<p id="name">{{ name }}</p>
<p id="note">{{ note|safe }}</p>
<a href="{{ url_for('item', item_id=item_id + 1) }}">next</a>
<p id="path">{{ connection.path }}</p>
"""


def templates_app(directory: Path) -> App:
    (directory / "item.html").write_text(ITEM)
    (directory / "mail.txt").write_text("Hello {{ name }}, you have {{ count }} notes.")
    templates = Jinja2Templates(directory)
    router = Router()

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int, name: str = "lamp") -> HtmlResponse:
        context = {"name": name, "item_id": item_id, "note": "<em>new</em>"}
        return templates.response(connection, "item.html", context)

    @router.get("/gone")
    async def gone(connection: Connection) -> HtmlResponse:
        context = {"name": "gone", "item_id": 0, "note": ""}
        return templates.response(
            connection, "item.html", context, status_code=410, headers={"X-Why": "sold"}
        )

    @router.get("/mail")
    async def mail(connection: Connection) -> str:
        return templates.render("mail.txt", {"name": "<Ada>", "count": 3})

    @router.get("/missing")
    async def missing(connection: Connection) -> HtmlResponse:
        return templates.response(connection, "nope.html")

    return App([router])


def test_a_template_is_a_page_with_its_values_escaped_over_uvicorn(tmp_path: Path) -> None:
    with serve(templates_app(tmp_path)) as base, httpx.Client(base_url=base, timeout=5) as client:
        answer = client.get("/items/3", params={"name": "<script>alert(1)</script>"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        page = answer.text
        # A value is text, escaped; one marked |safe is markup.
        assert '<p id="name">&lt;script&gt;alert(1)&lt;/script&gt;</p>' in page
        assert "<script>" not in page
        assert '<p id="note"><em>new</em></p>' in page
        # url_for and the connection, as Starlette's templates have request and url_for.
        assert '<a href="/items/4">next</a>' in page
        assert '<p id="path">/items/3</p>' in page
        gone = client.get("/gone")
        assert gone.status_code == 410 and gone.headers["x-why"] == "sold"
        # A text template escapes nothing: it is not markup.
        assert client.get("/mail").text == "Hello <Ada>, you have 3 notes."


def test_templates_named_with_jinjas_endings_escape_unless_they_name_a_text_kind(
    tmp_path: Path,
) -> None:
    # `page.html.j2` and `page.jinja` (the ending Jinja's documentation suggests) sent their
    # values unescaped, as Flask's and Starlette's selection does: a script in a page.
    page = "<p>{{ value }}</p>"
    names = ["page.html.j2", "page.htm.jinja", "page.jinja", "page.jinja2", "page", "page.SVG"]
    for name in [*names, "mail.txt.j2", "notes.md", "data.csv.jinja"]:
        (tmp_path / name).write_text(page)
    templates = Jinja2Templates(tmp_path)
    router = Router()

    @router.get("/pages/<name>")
    async def show(connection: Connection, name: str) -> HtmlResponse:
        return templates.response(connection, name, {"value": "<script>x</script>"})

    with serve(App([router])) as base, httpx.Client(base_url=base, timeout=5) as client:
        for name in names:
            assert client.get(f"/pages/{name}").text == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    for name in ("mail.txt.j2", "notes.md", "data.csv.jinja"):  # text, not markup
        assert templates.render(name, {"value": "<b>"}) == "<p><b></p>"
    assert templates.env.from_string("{{ v }}").render(v="<b>") == "&lt;b&gt;"


def test_a_template_that_does_not_exist_is_a_500_logged_with_its_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(templates_app(tmp_path), raise_server_exceptions=False) as client:
        with caplog.at_level(logging.ERROR):
            answer = client.get("/missing")
    assert answer.status_code == 500 and "nope.html" not in answer.text
    assert "nope.html" in caplog.text


def test_a_changed_template_is_read_again(tmp_path: Path) -> None:
    with TestClient(templates_app(tmp_path)) as client:
        assert "next" in client.get("/items/1").text
        (tmp_path / "item.html").write_text("<p>{{ name }} again</p>")
        # Jinja2 compares the file's modification time; make it differ for a fast machine.
        stat = (tmp_path / "item.html").stat()
        os.utime(tmp_path / "item.html", (stat.st_atime, stat.st_mtime + 5))
        assert client.get("/items/1").text == "<p>lamp again</p>"


def test_templates_from_an_env_of_the_apps_own_and_the_choice_is_one_of_two(
    tmp_path: Path,
) -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"hello.html": "<b>{{ who }}</b>"}), autoescape=True
    )
    assert Jinja2Templates(env=env).render("hello.html", {"who": "<you>"}) == "<b>&lt;you&gt;</b>"
    with pytest.raises(TypeError, match="a directory or an env, one of the two"):
        Jinja2Templates()
    with pytest.raises(TypeError, match="a directory or an env, one of the two"):
        Jinja2Templates(tmp_path, env=env)
    with pytest.raises(ValueError, match="Jinja2Templates directory '.*missing' does not exist"):
        Jinja2Templates([tmp_path, tmp_path / "missing"])


def test_context_processors_give_every_page_values_a_pages_own_context_wins_over(
    tmp_path: Path,
) -> None:
    (tmp_path / "who.html").write_text("{{ user }} / {{ site }}")

    def signed_in(connection: Connection) -> dict[str, object]:
        return {"user": connection.req_headers.get("x-user", "nobody"), "site": "shop"}

    templates = Jinja2Templates(tmp_path, context_processors=[signed_in])
    router = Router()

    @router.get("/who")
    async def who(connection: Connection) -> HtmlResponse:
        return templates.response(connection, "who.html")

    @router.get("/other")
    async def other(connection: Connection) -> HtmlResponse:
        return templates.response(connection, "who.html", {"site": "admin"})

    with TestClient(App([router])) as client:
        assert client.get("/who", headers={"x-user": "ada"}).text == "ada / shop"
        assert client.get("/other").text == "nobody / admin"


def test_without_jinja2_the_import_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "aaf.templating")
    with pytest.raises(ImportError, match=re.escape("pip install 'aaf[templates]'")):
        importlib.import_module("aaf.templating")


def test_a_template_may_be_another_media_type_in_its_charset(tmp_path: Path) -> None:
    # response() made text/html, whatever the template was: a sitemap or a feed went out as
    # a page. Its media_type is given as Starlette's TemplateResponse takes it.
    (tmp_path / "sitemap.xml").write_text("<urlset><loc>{{ where }}</loc></urlset>")
    templates = Jinja2Templates(tmp_path)
    router = Router()

    @router.get("/sitemap.xml")
    async def sitemap(connection: Connection) -> HtmlResponse:
        context = {"where": "/café?a=1&b=2"}
        kind = "application/xml; charset=iso-8859-1"
        return templates.response(connection, "sitemap.xml", context, media_type=kind)

    with TestClient(App([router])) as client:
        answer = client.get("/sitemap.xml")
    assert answer.headers["content-type"] == "application/xml; charset=iso-8859-1"
    assert answer.content == "<urlset><loc>/café?a=1&amp;b=2</loc></urlset>".encode("latin-1")


def test_an_async_env_is_refused_where_the_templates_are_made(tmp_path: Path) -> None:
    # Its render() calls asyncio.run(), which raises in the app's running loop: every page
    # was a 500 ("asyncio.run() cannot be called from a running event loop").
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), enable_async=True)
    with pytest.raises(ValueError, match="enable_async"):
        Jinja2Templates(env=env)
