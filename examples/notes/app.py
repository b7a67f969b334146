"""The notes service, assembled: the API, the page, the database and the live feed.

Run it with ``make run`` (http://127.0.0.1:8000/ for the page, /docs for the API), or
``uvicorn --app-dir examples notes.app:app``. Settings come from the environment:

- ``AAF_NOTES_DB``: the SQLite file (default ``var/notes.sqlite3``, created on start-up);
- ``AAF_REDIS_URL``: Redis for the live feed, so that ``uvicorn --workers N`` or several hosts
  share it (default: this process only).
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from aaf import App, HTTPError, aaf
from aaf.channels import InMemoryGroups, RedisGroups
from notes import api, pages
from notes.db import Conflict, Database

DEFAULT_DB = Path("var") / "notes.sqlite3"


def create_app(database: str | Path | None = None, redis_url: str | None = None) -> App:
    """Build the app; arguments left out are read from the environment."""
    database = database or os.environ.get("AAF_NOTES_DB") or DEFAULT_DB
    redis_url = redis_url or os.environ.get("AAF_REDIS_URL")

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncGenerator[None]:
        async with AsyncExitStack() as stack:
            db = await Database.open(database)
            stack.push_async_callback(db.close)
            app.state["db"] = db
            if redis_url:
                # Refuses to start, saying why, when Redis cannot be reached.
                app.state["groups"] = await stack.enter_async_context(RedisGroups(redis_url))
            else:
                app.state["groups"] = InMemoryGroups()
            yield

    return aaf(
        [api.router, pages.router],
        lifespan=lifespan,
        exception_handlers={HTTPError: api.problem, Conflict: api.conflict},
        title="Notes",
        version="1.0.0",
        description="Write notes; every open page sees them at once.",
    )


app = create_app()
