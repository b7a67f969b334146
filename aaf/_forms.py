"""Form bodies: urlencoded and multipart, streamed through werkzeug's sans-io decoder."""

from __future__ import annotations

import tempfile
from typing import IO, TYPE_CHECKING

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from aaf.connection import parse_query
from aaf.datastructures import FormData
from aaf.exceptions import HTTPError

if TYPE_CHECKING:
    from aaf.connection import Connection

# Uploads stay in memory up to this size, then spool to a temporary file on disk.
SPOOL_SIZE = 1024 * 1024
# Text fields (not files) may hold at most this much in all; files count against max_body_size.
MAX_FIELDS_SIZE = 1024 * 1024
MAX_PARTS = 1000
SLICE = 64 * 1024


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
        form = FormData(MultiDict(parse_query(body)), MultiDict())
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
    collector = _Collector()
    try:
        async for chunk in connection.body_iter():
            # The decoder refuses to buffer more than max_form_memory_size at once, files
            # included, so feed it in slices and take its events out between them.
            for offset in range(0, len(chunk), SLICE):
                decoder.receive_data(chunk[offset : offset + SLICE])
                collector.drain(decoder)
        decoder.receive_data(None)
        collector.drain(decoder)
    except ValueError as exc:
        collector.close()
        raise HTTPError(400, f"Malformed multipart body: {exc}") from None
    except RequestEntityTooLarge:
        collector.close()
        raise HTTPError(413, "Multipart body has too many parts or too large fields") from None
    except BaseException:
        collector.close()
        raise
    return FormData(collector.fields, collector.files)


class _Collector:
    """Turns the decoder's events into fields and spooled files."""

    def __init__(self) -> None:
        self.fields: MultiDict[str, str] = MultiDict()
        self.files: MultiDict[str, FileStorage] = MultiDict()
        self.part: Field | File | None = None
        self.chunks: list[bytes] = []
        self.field_bytes = 0
        self.spool: IO[bytes] | None = None
        self.done = False

    def drain(self, decoder: MultipartDecoder) -> None:
        while not self.done and not isinstance(event := decoder.next_event(), NeedData):
            if isinstance(event, Field | File):
                self.part, self.chunks = event, []
                if isinstance(event, File):
                    self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
            elif isinstance(event, Data):
                self._data(event)
            elif isinstance(event, Epilogue):
                self.done = True

    def _data(self, event: Data) -> None:
        if isinstance(self.part, File) and self.spool is not None:
            self.spool.write(event.data)
        else:
            self.field_bytes += len(event.data)
            if self.field_bytes > MAX_FIELDS_SIZE:
                raise HTTPError(413, f"Form fields hold more than {MAX_FIELDS_SIZE} bytes")
            self.chunks.append(event.data)
        if not event.more_data and self.part is not None:
            _finish_part(self.part, self.chunks, self.spool, self.fields, self.files)
            self.part, self.spool = None, None

    def close(self) -> None:
        _close_all(self.files, self.spool)


def _finish_part(
    part: Field | File,
    chunks: list[bytes],
    spool: IO[bytes] | None,
    fields: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
) -> None:
    if isinstance(part, File) and spool is not None:
        spool.seek(0)
        upload = FileStorage(spool, filename=part.filename, name=part.name, headers=part.headers)
        files.add(part.name, upload)
        return
    charset = parse_options_header(part.headers.get("content-type"))[1].get("charset", "utf-8")
    try:
        text = b"".join(chunks).decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        text = b"".join(chunks).decode("utf-8", errors="replace")
    fields.add(part.name, text)


def _close_all(files: MultiDict[str, FileStorage], spool: IO[bytes] | None) -> None:
    for _, upload in files.items(multi=True):
        upload.close()
    if spool is not None:
        spool.close()
