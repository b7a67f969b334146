"""Pure helpers for serving files: validators, conditional requests, ranges, disposition."""

from __future__ import annotations

import dataclasses
import mimetypes
import os
import re
from datetime import UTC, datetime
from urllib.parse import quote

from werkzeug.http import http_date, parse_if_range_header, parse_range_header
from werkzeug.sansio.http import is_resource_modified

from aaf._http import utf8_text

_EMPTY_SUFFIX = re.compile(r"\s*-0+\s*")


@dataclasses.dataclass(frozen=True, slots=True)
class Validators:
    """What identifies one version of a file."""

    etag: str  # quoted
    last_modified: str
    modified: datetime


def validators(stat: os.stat_result) -> Validators:
    """Build the ``ETag`` and ``Last-Modified`` of a file from its stat."""
    modified = datetime.fromtimestamp(int(stat.st_mtime), UTC)
    return Validators(f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"', http_date(modified), modified)


def guess_media_type(name: str) -> str:
    """Guess a content type from a file name; text gets ``charset=utf-8``."""
    media_type, _ = mimetypes.guess_type(name)
    if media_type is None:
        return "application/octet-stream"
    if media_type in ("application/javascript", "image/svg+xml"):  # text, by other names
        return f"{media_type}; charset=utf-8"
    return utf8_text(media_type)


def not_modified(
    found: Validators, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Whether a conditional GET can be answered 304 (RFC 9110 section 13.1)."""
    if if_none_match is None and if_modified_since is None:
        return False
    return not is_resource_modified(
        http_if_modified_since=if_modified_since,
        http_if_none_match=if_none_match,
        etag=found.etag,
        last_modified=found.modified,
    )


def byte_range(
    range_header: str | None, if_range: str | None, size: int, found: Validators
) -> tuple[int, int] | None | bool:
    """Decide a ``Range`` request: ``(start, stop)``, ``None`` for the whole file, ``False``
    when the range cannot be satisfied (416).

    Only single byte ranges are honoured; several ranges get the whole file, as RFC 9110
    section 14.2 allows.
    """
    if range_header is None:
        return None
    if if_range is not None:
        # The range applies only to the version the client has: a strong entity tag that
        # matches, or exactly the Last-Modified date (RFC 9110 section 13.1.5). A weak tag
        # (W/"...") never does, and neither does an earlier or later date.
        condition = parse_if_range_header(if_range)
        if if_range.lstrip().startswith("W/"):
            return None
        if condition.etag is not None and condition.etag != found.etag.strip('"'):
            return None
        if condition.date is not None and condition.date != found.modified:
            return None
        if condition.etag is None and condition.date is None:
            return None  # neither: not a validator the client could have had
    unit, _, ranges = range_header.partition("=")
    # A list may hold empty elements ("bytes=0-4, "), which RFC 9110 section 5.6.1 tells a
    # recipient to accept; werkzeug's parser does not, so they go before it reads the rest.
    kept = [part for part in ranges.split(",") if part.strip()]
    if len(kept) == 1 and _EMPTY_SUFFIX.fullmatch(kept[0]) and unit.strip().lower() == "bytes":
        return False  # "bytes=-0": the last zero bytes, a range no file can satisfy
    parsed = parse_range_header(f"{unit}={','.join(kept)}")
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    span = parsed.range_for_length(size)
    if span is None or span[0] >= span[1]:
        return False
    return span


def content_disposition(filename: str, inline: bool = False) -> str:
    """Build a ``Content-Disposition`` value that is safe for any file name.

    The quoted ``filename`` is an ASCII fallback (control characters, quotes, backslashes and
    non-ASCII become ``_``); where it differs from the real name, RFC 5987's ``filename*``
    carries the name percent-encoded as UTF-8 (RFC 6266 section 4.3).

    >>> content_disposition("résumé.pdf")
    'attachment; filename="r_sum_.pdf"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.pdf'
    """
    kind = "inline" if inline else "attachment"
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
