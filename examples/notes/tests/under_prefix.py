"""The notes app served under /notes, as it is behind a proxy that strips that prefix and
passes ``uvicorn --root-path /notes``: mounted on an app of its own, the notes app is asked
with the same scope (``root_path`` "/notes", the path with it). The browser tests use it."""

from __future__ import annotations

from aaf import aaf
from aaf.routing import Router
from notes.app import create_app

router = Router()
router.mount("/notes", create_app())
app = aaf([router], openapi_url=None, docs_url=None, redoc_url=None)
