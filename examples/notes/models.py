"""What the API takes and gives: pydantic models, validated on the way in and out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NewUser(BaseModel):
    """A name to sign up with."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")


class User(BaseModel):
    """A signed-up user. The token goes in `Authorization: Bearer <token>`."""

    name: str
    token: str


class NewNote(BaseModel):
    """What a client sends to write or rewrite a note."""

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10_000)


class Note(NewNote):
    """A note as stored and served."""

    id: int
    author: str
    created_at: datetime


class NotePage(BaseModel):
    """One page of notes, newest first."""

    items: list[Note]
    total: int
    limit: int
    offset: int


class NoteEvent(BaseModel):
    """What the live feed (`/ws/notes`) sends when a note is written or deleted."""

    kind: str  # "created", "updated" or "deleted"
    note: Note
