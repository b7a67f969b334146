"""SQLite through aiosqlite: one connection per process, opened in the app's lifespan.

Rows come back by column name and are validated into the models, so a bad row is an error here
rather than a malformed response.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from notes.models import NewNote, Note, User

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author TEXT NOT NULL REFERENCES users(name),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (author, title)
);
"""
NOTE_COLUMNS = "id, author, title, body, created_at"
# SQLite's integers are 64-bit: a larger id or offset cannot even be passed to a query.
MAX_INTEGER = 2**63 - 1


def digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so that a copy of the file (a backup,
    a leaked disk) lets no one in. Tokens are long and random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


P = ParamSpec("P")
R = TypeVar("R")


def one_at_a_time(
    method: Callable[Concatenate[Database, P], Awaitable[R]],
) -> Callable[Concatenate[Database, P], Awaitable[R]]:
    """Run a query method while holding the database's turn."""

    async def serialized(database: Database, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with database.turn:
            return await method(database, *args, **kwargs)

    return serialized


class Conflict(Exception):
    """A write that would break a uniqueness rule (a taken name, a repeated title)."""


class Database:
    """The queries the API needs, on one aiosqlite connection.

    Requests run concurrently but share the connection: one query (with its commit) at a time,
    or a commit would meet another request's statement still in progress.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        self.turn = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (or create) the database at ``path`` (``":memory:"`` for a private one)."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path)
        connection.row_factory = sqlite3.Row  # rows by column name: dict(row)
        await connection.execute("PRAGMA foreign_keys = ON")
        await _hash_old_tokens(connection)
        await connection.executescript(SCHEMA)
        await connection.commit()
        return cls(connection)

    async def close(self) -> None:
        await self.connection.close()

    async def _write(
        self, sql: str, parameters: tuple[object, ...], conflict: str = "a conflicting write"
    ) -> sqlite3.Row | None:
        """Run one write and commit it, giving the row it returns (``RETURNING``), if any; a
        broken uniqueness rule is a ``Conflict`` saying ``conflict``.

        A write that fails is rolled back: sqlite3 began a transaction for it, which would
        otherwise stay open, holding the file's write lock, until this process wrote again;
        every other process on the file (``uvicorn --workers``) would wait for it in vain.
        """
        try:
            async with self.connection.execute(sql, parameters) as cursor:
                row = await cursor.fetchone()
            await self.connection.commit()
        except sqlite3.Error as exc:
            await self.connection.rollback()
            if isinstance(exc, sqlite3.IntegrityError):
                raise Conflict(conflict) from exc
            raise
        return row

    # Users ----------------------------------------------------------------------------------------
    @one_at_a_time
    async def add_user(self, name: str, token: str) -> User:
        row = await self._write(
            "INSERT INTO users (name, token_sha256) VALUES (?, ?) RETURNING name",
            (name, digest(token)),
            f"the name {name!r} is taken",
        )
        assert row is not None  # RETURNING gives the inserted row
        return User(name=row["name"], token=token)

    @one_at_a_time
    async def user_by_token(self, token: str) -> User | None:
        async with self.connection.execute(
            "SELECT name FROM users WHERE token_sha256 = ?", (digest(token),)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else User(name=row["name"], token=token)

    # Notes ----------------------------------------------------------------------------------------
    @one_at_a_time
    async def add_note(self, author: str, note: NewNote) -> Note:
        row = await self._write(
            f"INSERT INTO notes (author, title, body) VALUES (?, ?, ?) RETURNING {NOTE_COLUMNS}",
            (author, note.title, note.body),
            f"you already have a note titled {note.title!r}",
        )
        assert row is not None  # RETURNING gives the inserted row
        return Note.model_validate(dict(row))

    @one_at_a_time
    async def note(self, note_id: int) -> Note | None:
        if not 0 <= note_id <= MAX_INTEGER:  # no such row; and sqlite3 would refuse the int
            return None
        async with self.connection.execute(
            f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = ?", (note_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else Note.model_validate(dict(row))

    @one_at_a_time
    async def notes(self, limit: int, offset: int) -> tuple[list[Note], int]:
        """A page of notes, newest first, and how many there are in all."""
        async with self.connection.execute(
            f"SELECT {NOTE_COLUMNS} FROM notes ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ) as cursor:
            rows = await cursor.fetchall()
        async with self.connection.execute("SELECT count(*) FROM notes") as cursor:
            counted = await cursor.fetchone()
        total = int(counted[0]) if counted is not None else 0
        return [Note.model_validate(dict(row)) for row in rows], total

    @one_at_a_time
    async def update_note(self, note_id: int, note: NewNote) -> Note | None:
        """The note rewritten, or None when it does not exist (any more)."""
        row = await self._write(
            f"UPDATE notes SET title = ?, body = ? WHERE id = ? RETURNING {NOTE_COLUMNS}",
            (note.title, note.body, note_id),
            f"you already have a note titled {note.title!r}",
        )
        return None if row is None else Note.model_validate(dict(row))

    @one_at_a_time
    async def delete_note(self, note_id: int) -> None:
        await self._write("DELETE FROM notes WHERE id = ?", (note_id,))


async def _hash_old_tokens(connection: aiosqlite.Connection) -> None:
    """Upgrade a database from before tokens were hashed: its ``token`` column held them as
    they were; it becomes ``token_sha256``, each token replaced by its digest."""
    async with connection.execute("PRAGMA table_info(users)") as cursor:
        columns = {row["name"] for row in await cursor.fetchall()}
    if "token" not in columns:
        return
    async with connection.execute("SELECT name, token FROM users") as cursor:
        users = [(digest(row["token"]), row["name"]) for row in await cursor.fetchall()]
    await connection.execute("ALTER TABLE users RENAME COLUMN token TO token_sha256")
    await connection.executemany("UPDATE users SET token_sha256 = ? WHERE name = ?", users)
    await connection.commit()
    await connection.execute("VACUUM")  # no old token left behind in a free page of the file
