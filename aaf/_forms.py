"""Form bodies: urlencoded and multipart, streamed through werkzeug's sans-io decoder.

``parse_form`` takes the content type, the body as a stream of chunks and the limits, and gives
a ``FormData``; it never sees the connection (which keeps the result and closes its files).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tempfile
import time
from collections.abc import AsyncIterator
from typing import IO, cast

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    BLANK_LINE_RE,
    HEADER_CONTINUATION_RE,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    Preamble,
    State,
)

from aaf._http import parse_query, unquote_bytes
from aaf.datastructures import FormData, UploadFile
from aaf.exceptions import HTTPError

__all__ = ["FormLimits", "parse_form"]

# Uploads stay in memory up to this size, then spool to a temporary file on disk.
SPOOL_SIZE = 1024 * 1024
SLICE = 64 * 1024
# The most a multipart part's headers may hold, blank line included. A browser's are a few
# hundred bytes (a file name of 255 characters, a content type); werkzeug parses a part's headers
# in one piece, and a 900 KB file name held the event loop 110 ms (benchmarks/hostile.py,
# "long part headers").
MAX_PART_HEADERS = 16 * 1024
# HTML's hidden input naming the charset a form was sent in.
_CHARSET_FIELD = b"_charset_="
# The only charsets a form may ask for: a client-chosen codec (punycode, utf-7, ...) must not
# run, some are slow enough to stall the event loop.
CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "ascii",
    "ascii": "ascii",
} | dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "iso8859-1"), "latin-1")


@dataclasses.dataclass(frozen=True, slots=True)
class FormLimits:
    """How much of a form one request may send."""

    max_fields: int = 1000  # fields and files, either encoding
    max_parts: int = 1000  # multipart parts
    max_fields_size: int = 1024 * 1024  # bytes of text fields (files count against the body)


# Bytes of an urlencoded body decoded between two turns of the event loop: unquoting costs up
# to about 60 ns a byte (escapes), and 1 MiB of them held every other request ~70 ms in one
# piece (benchmarks/hostile.py, "escaped form field").
URLENCODED_SLICE = 32 * 1024
# Seconds of multipart parsing between two turns of the event loop.
TURN = 0.002


async def parse_form(
    content_type: str | None, stream: AsyncIterator[bytes], limits: FormLimits
) -> FormData:
    """Parse an urlencoded or multipart body.

    Raises:
        HTTPError: 415 for another content type (no content type and no body is an empty
            form) or an urlencoded one naming a charset other than UTF-8, US-ASCII or
            ISO-8859-1, 400 for a broken multipart body or such a charset in it (or in
            `_charset_`), 413 past the limits.
    """
    mimetype, options = parse_options_header(content_type)
    mimetype = mimetype.lower()  # RFC 9110 8.3.1: a media type is named in any case
    if mimetype == "application/x-www-form-urlencoded":
        # A charset the Content-Type names (as clients other than browsers send, and Django
        # reads) is the form's, unless `_charset_` says otherwise; refused before the body.
        declared = options.get("charset")
        default = "utf-8" if declared is None else _codec(declared)
        if default is None:
            raise HTTPError(
                415,
                "Expected a form in utf-8, us-ascii or iso-8859-1, got "
                f"{content_type[:200] if content_type else ''!r}",
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in stream:
            size += len(chunk)
            if size > limits.max_fields_size:  # all of it is fields: refused before the rest
                raise _too_large_fields(limits)
            chunks.append(chunk)
        body = b"".join(chunks)
        # Count before parsing: a million keys must not cost a million tuples.
        if body.count(b"&") >= limits.max_fields:
            raise _too_many_fields(limits)
        pairs = await _parse_urlencoded(body, default)
        if _CHARSET_FIELD in body:
            # HTML's hidden `_charset_` input: the charset the browser sent the whole form
            # in (a page not in UTF-8), as a multipart form's names its parts'.
            named = next((value for key, value in pairs if key == "_charset_"), None)
            codec = default if named is None else _known_charset(named, "_charset_")
            if codec != default:
                pairs = await _parse_urlencoded(body, codec)
        return FormData(MultiDict(pairs), MultiDict(), _keys=[key for key, _ in pairs])
    if mimetype == "multipart/form-data":
        boundary = options.get("boundary")
        if not boundary:
            raise HTTPError(400, "Multipart body without a boundary in its Content-Type")
        return await _parse_multipart(stream, boundary.encode("latin-1"), limits)
    if not mimetype and not b"".join([chunk async for chunk in stream]):
        # No body at all: an empty form, so that required fields answer 422 "missing".
        return FormData(MultiDict(), MultiDict())
    raise HTTPError(
        415,
        "Expected a form body (application/x-www-form-urlencoded or multipart/form-data), "
        f"got {mimetype or 'no content type'!r}",
    )


async def _parse_urlencoded(body: bytes, codec: str = "utf-8") -> list[tuple[str, str]]:
    """``parse_query`` of a form body, a slice of about ``URLENCODED_SLICE`` bytes at a time
    (cut at ``&``; a field longer than a slice unquoted a piece at a time), the event loop
    serving other requests between slices; its text decoded from ``codec``."""
    pairs: list[tuple[str, str]] = []
    start = 0
    while len(body) - start > URLENCODED_SLICE:
        stop = start + URLENCODED_SLICE
        cut = body.rfind(b"&", start, stop)
        if cut < 0:  # a field longer than a slice
            end = body.find(b"&", stop)
            end = len(body) if end < 0 else end
            raw_key, _, raw_value = body[start:end].partition(b"=")
            pairs.append((await _unquoted(raw_key, codec), await _unquoted(raw_value, codec)))
            start = end + 1
        else:
            pairs += _decoded_pairs(body[start:cut], codec)
            start = cut + 1
        await asyncio.sleep(0)  # the other requests' turn
    return pairs + _decoded_pairs(body[start:], codec)


def _decoded_pairs(raw: bytes, codec: str) -> list[tuple[str, str]]:
    if codec == "utf-8":
        return parse_query(raw)  # PERF: the common case, its own fast path
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if part:
            key, _, value = part.partition(b"=")
            pairs.append((_decoded(key, codec), _decoded(value, codec)))
    return pairs


def _decoded(raw: bytes, codec: str) -> str:
    return unquote_bytes(raw).decode(codec, errors="replace")


async def _unquoted(raw: bytes, codec: str = "utf-8") -> str:
    """A key or value of a form, unquoted in pieces cut before a ``%`` (no escape is split),
    a turn of the event loop after each, then decoded once (a character may span pieces)."""
    pieces: list[bytes] = []
    start = 0
    while len(raw) - start > URLENCODED_SLICE:
        cut = raw.find(b"%", start + URLENCODED_SLICE)
        if cut < 0:
            break
        pieces.append(unquote_bytes(raw[start:cut]))
        start = cut
        await asyncio.sleep(0)
    pieces.append(unquote_bytes(raw[start:]))
    return b"".join(pieces).decode(codec, errors="replace")


def _malformed(error: ValueError, boundary: bytes) -> str:
    """What is wrong with a multipart body, in words rather than werkzeug's parser state
    (``Invalid form-data cannot parse beyond State.DATA``) where the state says it."""
    state = str(error).rpartition("State.")[2] if "cannot parse beyond" in str(error) else ""
    if state == "PREAMBLE":
        delimiter = "--" + boundary.decode("latin-1")
        return f"no part: the body holds no line {delimiter!r} (its Content-Type's boundary)"
    if state in ("PART", "DATA_START"):
        return "a part's headers are cut short, or it has no Content-Disposition"
    if state == "DATA":
        closing = "--" + boundary.decode("latin-1") + "--"
        return f"it ends inside a part, before its closing line {closing!r}"
    return str(error)


def _too_large_fields(limits: FormLimits) -> HTTPError:
    return HTTPError(
        413,
        f"Form fields hold more than {limits.max_fields_size} bytes (max_form_text_size)",
    )


def _too_many_fields(limits: FormLimits) -> HTTPError:
    return HTTPError(
        413, f"Too many form fields: the limit is {limits.max_fields} (max_form_fields)"
    )


async def _parse_multipart(
    stream: AsyncIterator[bytes], boundary: bytes, limits: FormLimits
) -> FormData:
    # What the decoder may buffer at once (a part's headers, the data it has not given out):
    # at least two slices, so that a small max_form_text_size still lets files through (the
    # collector counts the fields' bytes against it).
    buffered = max(limits.max_fields_size, 2 * SLICE)
    decoder = MultipartDecoder(boundary, max_form_memory_size=buffered, max_parts=limits.max_parts)
    collector = _Collector(limits)
    received = False
    delimiter = b"--" + boundary
    held = b""  # the end of what came, which may be the start of a delimiter line
    try:
        async for chunk in stream:
            received = received or bool(chunk)
            data = held + chunk if held else chunk
            # The decoder refuses to buffer more than max_form_memory_size at once, files
            # included, so feed it in slices and take its events out between them.
            start = 0
            while start < len(data):
                end = _cut(data, min(start + SLICE, len(data)), delimiter)
                if end <= start:
                    break  # all that is left may start a delimiter line: with what comes next
                decoder.receive_data(data[start:end])
                await collector.drain(decoder)
                start = end
            held = data[start:]
        if held:
            decoder.receive_data(held)
            await collector.drain(decoder)
        decoder.receive_data(None)
        await collector.drain(decoder)
    except ValueError as exc:
        collector.close()
        if not received:
            # No body at all: an empty form, so that required fields answer 422 "missing"
            # (as for a form with no content type).
            return FormData(MultiDict(), MultiDict())
        raise HTTPError(400, f"Malformed multipart body: {_malformed(exc, boundary)}") from None
    except RequestEntityTooLarge:
        collector.close()
        raise HTTPError(
            413,
            f"Too many multipart parts or too large fields: the limits are {limits.max_parts} "
            f"parts (max_form_parts) and {limits.max_fields_size} bytes of fields "
            "(max_form_text_size)",
        ) from None
    except BaseException:
        collector.close()
        raise
    return collector.form


# Transport padding (RFC 2046's spaces after a delimiter) up to this long is held back with
# the delimiter it follows (see ``_cut``).
_PADDING = 64
_PADDED = re.compile(rb"-{0,2}[^\S\r\n]*")


def _cut(data: bytes, end: int, delimiter: bytes) -> int:
    """Where to end a piece of ``data`` given to werkzeug's decoder, at or before ``end``:
    not after a line break, nor inside a line that may be a delimiter (``\r\n--B-``). The
    decoder reads such a line, cut short, as longer than the delimiter it knows, and gave
    the line break before it as the part's last byte (werkzeug issue 3285), or the whole
    line as data where spaces follow the delimiter: a field or a file gained a ``\r``, or
    the parts after it were lost, where the network (or a slice) happened to end there.
    What is held back (a few dozen bytes at most) goes with the data after it."""
    floor = max(0, end - len(delimiter) - _PADDING - 8)
    while end > floor:
        line_break = max(data.rfind(b"\r", floor, end), data.rfind(b"\n", floor, end))
        if line_break < 0:
            return end
        rest = data[line_break + 1 : end]
        if data[line_break] == 0x0A and line_break > 0 and data[line_break - 1] == 0x0D:
            line_break -= 1  # \r\n
        if rest and not delimiter.startswith(rest):
            if not rest.startswith(delimiter) or _PADDED.fullmatch(rest, len(delimiter)) is None:
                return end  # a line of its own: no delimiter
        end = line_break  # the line break too: what follows it may start a delimiter
    return end


class _Collector:
    """Turns the decoder's events into fields and spooled files."""

    def __init__(self, limits: FormLimits) -> None:
        self.limits = limits
        self.form = FormData(MultiDict(), MultiDict())
        self.part: Field | File | None = None
        self.chunks: list[bytes] = []
        self.count = 0
        self.field_bytes = 0
        self.spool: IO[bytes] | None = None
        self.done = False
        self.searched = 0  # how much of a part's headers holds no blank line, so far
        self.turn = time.perf_counter()  # when the event loop last had a turn
        # A `_charset_` field (HTML's hidden input) names the charset of the text parts
        # after it that name none of their own, as browsers fill it and Starlette reads it.
        self.charset = "utf-8"

    async def drain(self, decoder: MultipartDecoder) -> None:
        """Take the decoder's events out, giving the event loop a turn every ``TURN``
        seconds: werkzeug reads a part's headers (up to ``MAX_PART_HEADERS``) in 3 to 10 ms,
        and a body of 900 such parts held every other request for seconds
        (benchmarks/hostile.py, "backslashed part names"). A form of small parts never
        waits."""
        while not self.done:
            if decoder.state is State.PART:
                self.searched = _check_part_headers(decoder.buffer, self.searched)
            if isinstance(event := decoder.next_event(), NeedData):
                break
            if isinstance(event, Field | File):
                self._begin(event)
                if time.perf_counter() - self.turn > TURN:
                    await asyncio.sleep(0)  # the other requests' turn
                    self.turn = time.perf_counter()
            elif isinstance(event, Data):
                self._data(event)
            elif isinstance(event, Preamble) and event.data.strip():
                # RFC 2046 lets mail carry text there; no HTTP client sends any, and a first
                # delimiter line mangled (`--B` sent as `-B`) left its part there, lost.
                shown = event.data[:60].decode("utf-8", "replace")
                raise HTTPError(
                    400,
                    f"Malformed multipart body: {shown!r} comes before its first delimiter line",
                )
            elif isinstance(event, Epilogue):
                self.done = True

    def _begin(self, part: Field | File) -> None:
        self.count += 1
        if self.count > self.limits.max_fields:
            raise _too_many_fields(self.limits)
        disposition = part.headers.get("content-disposition", "")
        if len(part.headers.getlist("content-disposition")) > 1:
            # werkzeug reads the first, a parser the last: which part is it?
            raise HTTPError(
                400, "Malformed multipart body: a part with two Content-Disposition headers"
            )
        # Named by aaf's own reading of the header, never werkzeug's: werkzeug reads each
        # backslash as an escape, finds no name or file name with spaces around a `=`
        # (`filename= "a.txt"`: an upload arrived as a text field), takes an RFC 8187
        # `filename*` that holds no name for the name (`UTF-8''`), and cuts an unquoted value
        # at its first character outside a token (`filename=../x` was a file named "..").
        part = _as_browsers_send(part, disposition)
        if cast("str | None", part.name) is None:  # werkzeug types it str; RFC 7578 4.2
            raise HTTPError(
                400,
                "Malformed multipart body: a part without a name (each part's "
                'Content-Disposition is form-data; name="...")',
            )
        self.part, self.chunks = part, []
        if isinstance(part, File):
            self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)
        else:
            _charset(part, self.charset)  # refuse an unknown charset before reading the part

    def _data(self, event: Data) -> None:
        if isinstance(self.part, File) and self.spool is not None:
            self.spool.write(event.data)
        else:
            self.field_bytes += len(event.data)
            if self.field_bytes > self.limits.max_fields_size:
                raise _too_large_fields(self.limits)
            self.chunks.append(event.data)
        if not event.more_data and self.part is not None:
            self._finish(self.part)

    def _finish(self, part: Field | File) -> None:
        if isinstance(part, File) and self.spool is not None:
            self.spool.seek(0)
            filename = _base_name(part.filename)
            upload = UploadFile(self.spool, filename=filename, name=part.name, headers=part.headers)
            self.form._add(part.name, upload)  # pyright: ignore[reportPrivateUsage]
        else:
            text = b"".join(self.chunks).decode(_charset(part, self.charset), errors="replace")
            if part.name == "_charset_":
                self.charset = _known_charset(text, part.name)
            self.form._add(part.name, text)  # pyright: ignore[reportPrivateUsage]
        self.part, self.spool = None, None

    def close(self) -> None:
        self.form.close()
        if self.spool is not None:
            self.spool.close()


def _check_part_headers(buffer: bytearray, searched: int) -> int:
    """Refuse a part whose headers, at the start of ``buffer``, run past ``MAX_PART_HEADERS``
    (the blank line that ends them is where werkzeug's decoder looks for it), or hold a line
    that is no header (no colon): werkzeug takes it as a header's name, so a part whose
    blank line is missing took the next parts as its headers (their boundary lines, their
    values) and they were lost without a word. The first ``searched`` bytes are known to
    hold no blank line (headers sent a byte at a time are not searched again each time);
    gives how many are now, 0 once the headers are all here."""
    end = BLANK_LINE_RE.search(buffer, max(searched - 3, 0), MAX_PART_HEADERS)
    if end is None:
        if len(buffer) > MAX_PART_HEADERS:
            raise HTTPError(
                413,
                f"A multipart part's headers are larger than {MAX_PART_HEADERS} bytes",
            )
        return len(buffer)  # not all here yet
    lines = HEADER_CONTINUATION_RE.sub(b" ", buffer[: end.start()]).splitlines()
    stray = next((line for line in lines if line.strip(b" \t") and b":" not in line), None)
    if stray is not None:
        shown = stray[:60].decode("utf-8", "replace")
        raise HTTPError(
            400,
            f"Malformed multipart body: a part's headers hold {shown!r}, which is no header "
            "(a blank line must end a part's headers)",
        )
    return 0


def _charset(part: Field | File, default: str) -> str:
    options = parse_options_header(part.headers.get("content-type"))[1]
    return _known_charset(options.get("charset", default), part.name)


def _codec(name: str) -> str | None:
    """The codec of a charset a form may ask for; None for any other."""
    return CHARSETS.get(name.strip().lower())


def _known_charset(name: str, part: str) -> str:
    codec = _codec(name)
    if codec is None:
        raise HTTPError(
            400,
            f"Unsupported charset {name.strip().lower()[:100]!r} in form part {part!r}: "
            "use utf-8, us-ascii or iso-8859-1",
        )
    return codec


def _as_browsers_send(part: Field | File, disposition: str) -> Field | File:
    """``part`` named as its ``Content-Disposition`` holding a backslash means it.

    Browsers (and curl) send a backslash in a name or file name as it is, escaping only
    ``"`` (as ``%22``); other clients (httpx, urllib3) double it. werkzeug reads every
    backslash as an escape, so ``a\\b.txt`` became ``ab.txt``, Windows folders were lost before
    ``_base_name`` could cut them, and ``filename="x\\"`` was no file at all. Read here as
    python-multipart (Starlette's) reads them: ``\\\\`` and ``\\"`` are escapes, any other
    backslash is itself. A name given as ``filename*=`` (RFC 8187) wins over ``filename``
    when it holds one: one in a charset other than UTF-8 or ISO-8859-1, or empty, is left
    out, as a recipient of the RFC does, and ``filename`` (if any) counts.
    """
    params = _quoted_params(disposition)
    name = params.get("name", part.name)
    extended = params.get("filename*")
    filename = (extended and _extended_value(extended)) or params.get("filename")
    if filename is None:
        return Field(name=name, headers=part.headers)
    return File(name=name, filename=filename, headers=part.headers)


def _extended_value(value: str) -> str | None:
    """The text of an RFC 8187 ``ext-value`` (``UTF-8'en'%E2%82%AC.txt``), or None for one
    in a charset a form may not use, malformed, or empty."""
    charset, _, rest = value.partition("'")
    codec = _codec(charset)
    _language, quote, encoded = rest.partition("'")
    if codec is None or not quote or not encoded:
        return None
    return unquote_bytes(encoded.replace("+", "%2B").encode("latin-1", "replace")).decode(
        codec, "replace"
    )


def _quoted_params(header: str) -> dict[str, str]:
    """The parameters of a ``Content-Disposition`` value, by lower-case name, the first of
    each; a quoted value ends at the ``"`` that ends the parameter (before ``;`` or the
    end), a lone backslash in it kept."""
    params: dict[str, str] = {}
    position = header.find(";")
    while position != -1:
        found = _PARAM_NAME.match(header, position + 1)
        if found is None:
            break
        key, start = found.group(1).lower(), found.end()
        if header.startswith('"', start):
            end = _closing_quote(header, start + 1)
            value = _unescaped(header[start + 1 : end]).replace("%22", '"')
            position = header.find(";", end)
        else:
            position = header.find(";", start)
            # %22 read as a quote here too, as werkzeug read it (`filename=a%22.txt`).
            value = header[start : None if position == -1 else position].strip()
            value = value.replace("%22", '"')
        params.setdefault(key, value)
    return params


def _unescaped(quoted: str) -> str:
    """``quoted`` with its escapes (``\\\\``, ``\\"``) undone, a lone backslash kept.
    PERF: three replacements where no NUL stands in the way, not a substitution by match
    (7,000 escapes: 0.1 ms against 6)."""
    if "\\" not in quoted:
        return quoted
    if "\x00" in quoted:
        return _ESCAPED.sub(r"\1", quoted)
    return quoted.replace("\\\\", "\x00").replace('\\"', '"').replace("\x00", "\\")


_PARAM_NAME = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*")
_ESCAPED = re.compile(r'\\(["\\])')
_PARAM_END = re.compile(r'"\s*(?:;|$)')


def _closing_quote(header: str, start: int) -> int:
    """Where the quoted value begun at ``start`` ends: the first ``"`` not escaped that is
    followed by ``;`` or the end; failing that (``"x\\"``, a name ending in a backslash),
    the last ``"`` so followed; failing that, the end."""
    found = _QUOTED.match(header, start)
    if found is not None:
        return found.end(1)
    last = [m.start() for m in _PARAM_END.finditer(header, start)]
    return last[-1] if last else len(header)


# A quoted value up to its closing quote: escapes, other characters, a lone backslash, a
# quote that does not end the parameter. PERF: possessive, so never tried again another way
# (a client's 16 KiB of quotes and backslashes is read in one pass, in C).
_QUOTED = re.compile(r'((?:\\["\\]|[^"\\]|\\|"(?!\s*(?:;|$)))*+)"\s*(?:;|$)')


def _base_name(filename: str | None) -> str | None:
    """A file name as some Windows browsers send it, with its folders (``C:\\fakepath\\a.txt``,
    ``\\\\server\\a.txt``), cut to its last part, as python-multipart (FastAPI's) cuts it; any
    other name as sent (``secure_filename`` before using one as a path)."""
    if filename is not None and (filename[1:3] == ":\\" or filename[:2] == "\\\\"):
        return filename.rpartition("\\")[2]
    return filename
