"""Forms, uploads, downloads and cookies.

Run ``uvicorn --app-dir examples uploads:app`` and open http://127.0.0.1:8000/. Uploads are kept
in ``$AAF_UPLOAD_DIR`` (a fresh temporary directory by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel
from werkzeug.utils import secure_filename

from aaf import aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.exceptions import HTTPError
from aaf.params import Cookie, Form
from aaf.response import FileResponse, HtmlResponse, RedirectResponse
from aaf.routing import Router
from aaf.staticfiles import StaticFiles

UPLOAD_DIR = Path(os.environ.get("AAF_UPLOAD_DIR") or tempfile.mkdtemp(prefix="aaf-uploads-"))
UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
MAX_NAME = 100  # characters of a stored name; file systems refuse names over 255 bytes
router = Router()


class Stored(BaseModel):
    """What the server kept of an upload."""

    name: str
    size: int
    content_type: str | None
    sha256: str
    description: str
    url: str


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>aaf uploads</title></head>
<body class="{theme}">
<h1>Upload a file</h1>
<form method="post" action="{upload}" enctype="multipart/form-data">
  <input type="file" name="file"> <input name="description" placeholder="description">
  <button>Upload</button>
</form>
<form method="post" action="{set_theme}"><select name="theme"><option>light</option>
<option>dark</option></select> <button>Set theme</button></form>
</body></html>
"""


@router.route("/")
async def page(connection: Connection, theme: Annotated[str, Cookie()] = "light") -> HtmlResponse:
    # The forms post to the routes' URLs as this client reaches them: under a prefix too.
    # By route name: url_for(upload) would be typed to ask for the form's fields too.
    return HtmlResponse(
        PAGE.replace("{theme}", theme if theme in ("light", "dark") else "light")
        .replace("{upload}", html.escape(connection.url_for("upload")))
        .replace("{set_theme}", html.escape(connection.url_for("set_theme")))
    )


def stored_name(filename: str | None) -> str:
    """A safe file name for an upload: no path, no odd characters, at most ``MAX_NAME``
    characters (the start of a long one and its extension)."""
    name = secure_filename(filename or "") or "upload"
    stem, extension = os.path.splitext(name)
    extension = extension[:16]
    return stem[: MAX_NAME - len(extension)] + extension


def _store(upload: UploadFile, target: Path) -> tuple[int, str]:
    # Written aside, then moved in place in one step: two uploads of one name at once leave
    # one of them whole (the last), never a mix of both.
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".incoming-", delete=False) as out:
        try:
            while chunk := upload.read(64 * 1024):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, target)
    return size, digest.hexdigest()


@router.route("/upload", methods=["POST"], status_code=201)
async def upload(
    connection: Connection,
    file: Annotated[UploadFile, Form()],
    description: Annotated[str, Form()] = "",
) -> Stored:
    name = stored_name(file.filename)
    size, sha256 = await asyncio.to_thread(_store, file, UPLOAD_DIR / name)
    return Stored(
        name=name,
        size=size,
        content_type=file.content_type,
        sha256=sha256,
        description=description,
        url=connection.url_for(download, name=name),
    )


@router.route("/download/<name>", responses={404: None})
async def download(connection: Connection, name: str) -> FileResponse:
    path = UPLOAD_DIR / secure_filename(name)
    # os.path.isfile is False for any OSError (a name too long, say); off the event loop.
    if not await asyncio.to_thread(os.path.isfile, path):
        raise HTTPError(404, f"No upload called {name!r}")
    return FileResponse(path, filename=name)


@router.route("/theme", methods=["POST"], status_code=303)  # what the document shows
async def set_theme(
    connection: Connection, theme: Annotated[Literal["light", "dark"], Form()]
) -> RedirectResponse:
    response = RedirectResponse(connection.url_for(page), status_code=303)
    response.set_cookie("theme", theme, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response


router.mount("/files", StaticFiles(UPLOAD_DIR))
app = aaf([router], max_body_size=20 * 1024 * 1024)
