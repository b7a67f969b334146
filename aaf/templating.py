"""Pages from Jinja2 templates, as Flask's ``render_template`` and Starlette's
``Jinja2Templates`` make them (``pip install 'aaf[templates]'``).

::

    templates = Jinja2Templates("templates")

    @router.get("/items/<int:item_id>")
    async def item(connection: Connection, item_id: int) -> HtmlResponse:
        return templates.response(connection, "item.html", {"item_id": item_id})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

try:
    import jinja2
except ImportError as _missing:  # the templates extra is not installed
    raise ImportError("aaf.templating needs Jinja2: pip install 'aaf[templates]'") from _missing

from aaf.connection import Connection
from aaf.response import Background, HtmlResponse

__all__ = ["Jinja2Templates"]

# The file kinds whose values are escaped, as Flask escapes them: what a browser reads as markup.
_MARKUP = frozenset(("html", "htm", "xml", "xhtml", "svg"))
# Jinja's own file endings, which name no kind of output: `page.html.j2` is HTML.
_JINJA = (".jinja", ".jinja2", ".j2")


def _escapes(name: str | None) -> bool:
    """Whether the template ``name`` escapes its values: one of HTML, XML or SVG (as Flask
    decides), its kind read before a Jinja ending (``page.html.j2``, ``page.htm.jinja``),
    and one whose name says no kind (``page.jinja``, a template from a string), which a
    page may well be. Text kinds (``mail.txt``, ``notes.md.j2``) escape nothing."""
    if name is None:
        return True
    base = name.rsplit("/", 1)[-1].lower()
    for ending in _JINJA:
        if base.endswith(ending):
            base = base[: -len(ending)]
            break
    kind = base.rpartition(".")[2] if "." in base else ""
    return not kind or kind in _MARKUP


class Jinja2Templates:
    """Templates from ``directory`` (or several, searched in order), or from a Jinja2
    ``env`` of the app's own.

    HTML, XML and SVG templates escape every value (``{{ comment }}`` of ``<script>`` shows
    the text); ``{{ value|safe }}`` marks one as markup, as in Flask. So do templates named
    with Jinja's endings (``page.html.j2``, ``page.jinja``), where Flask escapes nothing.
    Jinja2 reloads a template whose file changed. Each of ``context_processors`` is given
    the connection and gives values every page's template sees (the signed-in user, say),
    as Flask's and Starlette's context processors; a page's own context wins over them.

    Raises:
        TypeError: neither ``directory`` nor ``env`` was given, or both were.
        ValueError: a directory does not exist (found here, not at the first request), or
            ``env`` was made with ``enable_async=True`` (pages render without ``await``).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        *,
        env: jinja2.Environment | None = None,
        context_processors: Sequence[Callable[[Connection], Mapping[str, object]]] = (),
    ) -> None:
        if (directory is None) == (env is None):
            raise TypeError("Jinja2Templates takes a directory or an env, one of the two")
        if env is None:
            assert directory is not None  # one of the two, as checked
            directories = (
                [directory] if isinstance(directory, str | os.PathLike) else list(directory)
            )
            for path in directories:
                if not os.path.isdir(path):
                    raise ValueError(
                        f"Jinja2Templates directory {os.fspath(path)!r} does not exist"
                    )
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(directory),
                autoescape=_escapes,
            )
        if env.is_async:
            # Its render() runs asyncio.run(), which raises inside the app's running loop.
            raise ValueError(
                "Jinja2Templates renders with render(), not await: an env made with "
                "enable_async=True fails on every page (asyncio.run() inside the running "
                "loop); make it without enable_async"
            )
        self.env = env
        self.context_processors: tuple[Callable[[Connection], Mapping[str, object]], ...] = tuple(
            context_processors
        )

    def render(self, name: str, context: Mapping[str, object] | None = None) -> str:
        """The template ``name`` rendered with ``context`` (an e-mail's body, a fragment).

        Raises:
            jinja2.TemplateNotFound: no template has that name.
        """
        return self.env.get_template(name).render(context or {})

    def response(
        self,
        connection: Connection,
        name: str,
        context: Mapping[str, object] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        background: Background | None = None,
        media_type: str | None = None,
    ) -> HtmlResponse:
        """A page of the template ``name`` rendered with ``context``, beside which the
        template sees the ``connection`` and ``url_for`` (the connection's: a route's path by
        its name, ``url_for("item", item_id=3)``), as Starlette's templates see ``request``.
        It is ``text/html`` unless ``media_type`` says otherwise (``application/xml`` for a
        sitemap, as Starlette's ``TemplateResponse`` takes one), encoded in the charset the
        type declares (UTF-8 when it declares none).

        Raises:
            jinja2.TemplateNotFound: no template has that name.
        """
        values: dict[str, object] = {"connection": connection, "url_for": connection.url_for}
        for processor in self.context_processors:
            values.update(processor(connection))
        if context:
            values.update(context)
        body = self.render(name, values)
        return HtmlResponse(
            body,
            status_code=status_code,
            headers=headers,
            media_type=media_type,
            background=background,
        )
