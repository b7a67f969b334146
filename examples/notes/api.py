"""The JSON API under /api: sign up for a token, then write, read, page and delete notes.

Reads are public; writes need `Authorization: Bearer <token>`. Every error comes back as
JSON, `{"detail": "..."}` (`problem` and `conflict` below are the app's handlers): 401 without
a valid token, 403 on someone else's note, 404 for a note that does not exist, 409 for a
taken name or a title you already used, 422 for invalid input.
"""

from __future__ import annotations

import secrets
from typing import Annotated, cast

from pydantic import BaseModel

from aaf.channels import Groups
from aaf.connection import Connection
from aaf.exceptions import HTTPError
from aaf.params import Depends, Query
from aaf.response import HttpResponse, JsonResponse
from aaf.routing import Router
from aaf.security import HTTPAuthorizationCredentials, HTTPBearer
from notes.db import MAX_INTEGER, Conflict, Database
from notes.models import NewNote, NewUser, Note, NoteEvent, NotePage, User

router = Router("/api", tags=["notes"])
bearer = HTTPBearer(description="The token `POST /api/users` gives.")
FEED = "notes"  # the group every open page joins (see pages.py)


class Problem(BaseModel):
    """An error's body."""

    detail: str


async def problem(connection: Connection, exc: HTTPError) -> JsonResponse:
    """Every HTTPError as JSON: the API's own, aaf's 404/405/413/415 and the bearer's 401.
    A 422 (``RequestValidationError``) already holds ``{"detail": [...]}``."""
    body = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    return JsonResponse(body, status_code=exc.status_code, headers=exc.headers)


async def conflict(connection: Connection, exc: Conflict) -> JsonResponse:
    """A write that broke a uniqueness rule (a taken name, a repeated title): 409, as JSON."""
    return JsonResponse({"detail": str(exc)}, status_code=409)


# Dependencies: what handlers ask for by type ------------------------------------------------
async def get_db(connection: Connection) -> Database:
    """The database the lifespan opened (tests swap this out with dependency_overrides).
    A coroutine function: it only looks the database up, and a plain `def` would run in a
    worker thread."""
    return cast(Database, connection.app.state["db"])


async def get_groups(connection: Connection) -> Groups:
    """Where live updates go: Redis when AAF_REDIS_URL is set, else this process."""
    return cast(Groups, connection.app.state["groups"])


async def current_user(
    credentials: HTTPAuthorizationCredentials = Depends(bearer),  # no token: its 401
    db: Database = Depends(get_db),
) -> User:
    """The user whose token came with the request, or 401."""
    user = await db.user_by_token(credentials.credentials)
    if user is None:
        raise HTTPError(401, "unknown or missing token", headers={"WWW-Authenticate": "Bearer"})
    return user


async def existing_note(note_id: int, db: Database = Depends(get_db)) -> Note:
    """The note of the path's `note_id`, or 404."""
    note = await db.note(note_id)
    if note is None:
        raise HTTPError(404, f"note {note_id} does not exist")
    return note


async def own_note(user: User = Depends(current_user), note: Note = Depends(existing_note)) -> Note:
    """The path's note when the caller wrote it, or 403. The caller first: without a valid
    token a write is 401, whether the note exists or not (providers run in the order of
    their parameters)."""
    if note.author != user.name:
        raise HTTPError(403, f"note {note.id} is {note.author}'s")
    return note


async def announce(groups: Groups, kind: str, note: Note) -> None:
    await groups.publish(FEED, NoteEvent(kind=kind, note=note).model_dump_json())


# Routes ----------------------------------------------------------------------------------------
@router.post("/users", status_code=201, responses={409: Problem})
async def sign_up(connection: Connection, new: NewUser, db: Database = Depends(get_db)) -> User:
    """Take a name; give a token for it."""
    return await db.add_user(new.name, secrets.token_urlsafe(24))


@router.get("/notes")
async def list_notes(
    connection: Connection,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
    db: Database = Depends(get_db),
) -> NotePage:
    """A page of notes, newest first."""
    items, total = await db.notes(limit, offset)
    return NotePage(items=items, total=total, limit=limit, offset=offset)


@router.post("/notes", status_code=201, responses={401: Problem, 409: Problem})
async def create_note(
    connection: Connection,
    new: NewNote,
    user: User = Depends(current_user),
    db: Database = Depends(get_db),
    groups: Groups = Depends(get_groups),
) -> Note:
    """Write a note; every open page shows it."""
    note = await db.add_note(user.name, new)
    await announce(groups, "created", note)
    return note


@router.get("/notes/<int:note_id>", responses={404: Problem})
async def read_note(connection: Connection, note: Note = Depends(existing_note)) -> Note:
    """One note."""
    return note


@router.put(
    "/notes/<int:note_id>", responses={401: Problem, 403: Problem, 404: Problem, 409: Problem}
)
async def rewrite_note(
    connection: Connection,
    new: NewNote,
    note: Note = Depends(own_note),
    db: Database = Depends(get_db),
    groups: Groups = Depends(get_groups),
) -> Note:
    """Rewrite one of your notes."""
    updated = await db.update_note(note.id, new)
    if updated is None:  # deleted meanwhile
        raise HTTPError(404, f"note {note.id} does not exist")
    await announce(groups, "updated", updated)
    return updated


@router.delete(
    "/notes/<int:note_id>", status_code=204, responses={401: Problem, 403: Problem, 404: Problem}
)
async def delete_note(
    connection: Connection,
    note: Note = Depends(own_note),
    db: Database = Depends(get_db),
    groups: Groups = Depends(get_groups),
) -> HttpResponse:
    """Delete one of your notes."""
    await db.delete_note(note.id)
    await announce(groups, "deleted", note)
    return HttpResponse(status_code=204)
