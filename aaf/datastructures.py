"""Parsed form data: text fields and uploaded files."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from werkzeug.datastructures import FileStorage, MultiDict

__all__ = ["FormData", "UploadFile"]


class UploadFile(FileStorage):
    """An uploaded file: werkzeug's ``FileStorage`` (``.filename``, ``.content_type``,
    ``.stream``, ``.save(dst)``), whose reads are typed.

    The upload is in a spooled temporary file (in memory up to 1 MiB, then on disk) by the time
    a handler runs, so reading it is a plain call: ``data = file.read()``, not FastAPI's
    ``await file.read()`` (which mypy refuses: ``bytes`` is not awaitable); ``file.file`` is
    that spooled file, as Starlette's is (``shutil.copyfileobj(upload.file, out)``).
    """

    if TYPE_CHECKING:
        # FileStorage hands any other attribute to its stream, which type checkers read as
        # Any: a misspelt one, or `upload.file` before it was defined here, type-checked and
        # failed at run time. To them, an upload has the attributes written out.
        __getattr__: None  # type: ignore[misc, assignment]

    @property
    def file(self) -> IO[bytes]:
        """The spooled temporary file the upload is in (Starlette's ``UploadFile.file``)."""
        return self.stream

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default)."""
        data: bytes = self.stream.read(size)
        return data

    def readline(self, size: int = -1) -> bytes:
        """Read one line, up to ``size`` bytes."""
        line: bytes = self.stream.readline(size)
        return line

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset`` (from ``whence``); give the new position."""
        position: int = self.stream.seek(offset, whence)
        return position

    def tell(self) -> int:
        """The current position."""
        position: int = self.stream.tell()
        return position

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[object], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """In a model (a form model's file field, ``file: UploadFile``): an upload as it is."""
        return core_schema.is_instance_schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A file, in the API document."""
        return {"type": "string", "format": "binary"}

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        stream = self.stream
        here = stream.tell()
        end: int = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end


@dataclasses.dataclass(frozen=True, eq=False)
class FormData(Mapping[str, str | UploadFile]):
    """The fields and files of an urlencoded or multipart body.

    ``fields`` and ``files`` (werkzeug multidicts) keep text and uploads apart, as
    Flask's ``request.form`` and ``request.files`` do. The form itself reads as Starlette's
    ``FormData`` does, both kinds together: ``form["name"]`` and ``form.get("name")`` give a
    key's last value (a repeated key's, as a typed ``Form()`` parameter takes it), text
    before files for a key that has both; ``form.getlist("tag")`` every value;
    ``form.multi_items()`` every pair, in the order the body sent them.
    """

    fields: MultiDict[str, str]
    files: MultiDict[str, UploadFile]
    # Each key's parts as a multipart body sent them, True for a file: the order `fields` and
    # `files` lose, for a 422 to say where among a key's values the wrong one was.
    _kinds: dict[str, list[bool]] = dataclasses.field(default_factory=dict, repr=False)
    # Every value's key in the order the body sent them, for `multi_items`.
    _keys: list[str] = dataclasses.field(default_factory=list, repr=False)

    def __getitem__(self, key: str) -> str | UploadFile:
        values = self.getlist(key)
        if not values:
            raise KeyError(key)
        return values[-1]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.fields.keys(), *self.files.keys()]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return key in self.fields or key in self.files

    def getlist(self, key: str) -> list[str | UploadFile]:
        """Every value of ``key``: its text, then its files."""
        return [*self.fields.getlist(key), *self.files.getlist(key)]

    def _add(self, key: str, value: str | UploadFile) -> None:
        """Add a multipart body's part: text to ``fields``, a file to ``files``, its kind
        noted for ``_in_order``."""
        if isinstance(value, str):
            self.fields.add(key, value)
            is_file = False
        else:
            self.files.add(key, value)
            is_file = True
        self._kinds.setdefault(key, []).append(is_file)
        self._keys.append(key)

    def _in_order(self, key: str) -> list[str | UploadFile]:
        """Every value of ``key`` in the order the body sent them (``getlist`` gives text
        first)."""
        kinds = self._kinds.get(key)
        if kinds is None:  # urlencoded, or no part of that name
            return self.getlist(key)
        texts, files = iter(self.fields.getlist(key)), iter(self.files.getlist(key))
        return [next(files) if is_file else next(texts) for is_file in kinds]

    def multi_items(self) -> list[tuple[str, str | UploadFile]]:
        """Every ``(key, value)`` pair in the order the body sent them, as Starlette's
        ``FormData`` gives them (``item=a&qty=1&item=b`` is ``item``, ``qty``, ``item``); for
        a form built or changed by hand, the text fields' pairs, then the files'."""
        grouped: list[tuple[str, str | UploadFile]] = [
            *self.fields.items(multi=True),
            *self.files.items(multi=True),
        ]
        if len(self._keys) != len(grouped):
            return grouped
        values = {key: iter(self._in_order(key)) for key in dict.fromkeys(self._keys)}
        try:
            return [(key, next(values[key])) for key in self._keys]
        except StopIteration:  # changed by hand since it was read: a key has fewer values
            return grouped

    def close(self) -> None:
        """Close every uploaded file (their spooled temporary files go away)."""
        for _, upload in self.files.items(multi=True):
            upload.close()
