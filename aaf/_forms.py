"""Form bodies: urlencoded and multipart, streamed through werkzeug's sans-io decoder."""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qsl

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from aaf.datastructures import FormData
from aaf.exceptions import HTTPError

if TYPE_CHECKING:
    from aaf.connection import Connection

# Uploads stay in memory up to this size, then spool to a temporary file on disk.
SPOOL_SIZE = 1024 * 1024
# Text fields (not files) may hold at most this much in all; files count against max_body_size.
MAX_FIELDS_SIZE = 1024 * 1024
MAX_PARTS = 1000


async def parse_form(connection: Connection) -> FormData:
    """Parse the request body as a form; the result is kept on the connection.

    Raises:
        HTTPError: 415 for another content type, 400 for a broken multipart body, 413 past
            the size limits.
    """
    if connection._form is not None:
        return connection._form
    mimetype, options = parse_options_header(connection.req_headers.get("content-type"))
    if mimetype == "application/x-www-form-urlencoded":
        body = await connection.body()
        pairs = parse_qsl(
            body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"
        )
        form = FormData(MultiDict(pairs), MultiDict())
    elif mimetype == "multipart/form-data":
        boundary = options.get("boundary")
        if not boundary:
            raise HTTPError(400, "Multipart body without a boundary in its Content-Type")
        form = await _parse_multipart(connection, boundary.encode("latin-1"))
    else:
        raise HTTPError(
            415,
            "Expected a form body (application/x-www-form-urlencoded or multipart/form-data), "
            f"got {mimetype or 'no content type'!r}",
        )
    connection._form = form
    return form


async def _parse_multipart(connection: Connection, boundary: bytes) -> FormData:
    decoder = MultipartDecoder(boundary, max_form_memory_size=MAX_FIELDS_SIZE, max_parts=MAX_PARTS)
    fields: MultiDict[str, str] = MultiDict()
    files: MultiDict[str, FileStorage] = MultiDict()
    part: Field | File | None = None
    chunks: list[bytes] = []
    field_bytes = 0
    spool: IO[bytes] | None = None
    try:
        async for chunk in connection.body_iter():
            decoder.receive_data(chunk)
            while not isinstance(event := decoder.next_event(), NeedData):
                if isinstance(event, Field | File):
                    part = event
                    chunks = []
                    if isinstance(event, File):
                        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
                elif isinstance(event, Data):
                    if isinstance(part, File) and spool is not None:
                        spool.write(event.data)
                    else:
                        field_bytes += len(event.data)
                        if field_bytes > MAX_FIELDS_SIZE:
                            raise HTTPError(
                                413, f"Form fields hold more than {MAX_FIELDS_SIZE} bytes"
                            )
                        chunks.append(event.data)
                    if not event.more_data and part is not None:
                        _finish_part(part, chunks, spool, fields, files)
                        part, spool = None, None
                elif isinstance(event, Epilogue):
                    break
        decoder.receive_data(None)
        while not isinstance(event := decoder.next_event(), NeedData | Epilogue):
            pass
    except ValueError as exc:
        _close_all(files, spool)
        raise HTTPError(400, f"Malformed multipart body: {exc}") from None
    except RequestEntityTooLarge:
        _close_all(files, spool)
        raise HTTPError(413, "Multipart body has too many parts or too large fields") from None
    except BaseException:
        _close_all(files, spool)
        raise
    return FormData(fields, files)


def _finish_part(
    part: Field | File,
    chunks: list[bytes],
    spool: IO[bytes] | None,
    fields: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
) -> None:
    if isinstance(part, File) and spool is not None:
        spool.seek(0)
        files.add(
            part.name,
            FileStorage(spool, filename=part.filename, name=part.name, headers=part.headers),
        )
    else:
        charset = parse_options_header(part.headers.get("content-type"))[1].get("charset", "utf-8")
        try:
            fields.add(part.name, b"".join(chunks).decode(charset, errors="replace"))
        except LookupError:
            fields.add(part.name, b"".join(chunks).decode("utf-8", errors="replace"))


def _close_all(files: MultiDict[str, FileStorage], spool: IO[bytes] | None) -> None:
    for _, upload in files.items(multi=True):
        upload.close()
    if spool is not None:
        spool.close()
