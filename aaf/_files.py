"""Pure helpers for serving files: validators, conditional requests, ranges, disposition."""

from __future__ import annotations

import dataclasses
import mimetypes
import os
import re
from datetime import UTC, datetime
from urllib.parse import quote

from werkzeug.http import http_date, parse_date, parse_etags, parse_if_range_header
from werkzeug.sansio.http import is_resource_modified

from aaf._http import utf8_text

_RANGE = re.compile(r"[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*")


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


def precondition_failed(
    found: Validators, if_match: str | None, if_unmodified_since: str | None
) -> bool:
    """Whether a request made on a version of the file it no longer is must be refused, 412
    (RFC 9110 section 13.2.2, its first two steps): an ``If-Match`` that names no current
    ``ETag`` (compared strongly; ``*`` names any), else an ``If-Unmodified-Since`` before the
    file's last change (a date that does not parse is ignored, as the RFC says)."""
    if if_match is not None:
        etags = parse_etags(if_match)
        return not (etags.star_tag or etags.contains(found.etag[1:-1]))
    if if_unmodified_since is not None:
        since = parse_date(if_unmodified_since)
        return since is not None and found.modified > since
    return False


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


# At most this many ranges, once overlapping ones are merged, are sent as parts of one
# response; more get the whole file (RFC 9110 section 14.2 lets a server ignore a Range).
MAX_RANGES = 16


def byte_range(
    range_header: str | None, if_range: str | None, size: int, found: Validators
) -> list[tuple[int, int]] | None | bool:
    """Decide a ``Range`` request: the ``(start, stop)`` spans to send (one, or several for
    a ``multipart/byteranges`` answer), ``None`` for the whole file, ``False`` when no range
    can be satisfied (416).

    Spans that cannot be satisfied are left out; the others are sent in ascending order,
    overlapping or adjacent ones merged (RFC 9110 section 14.6 lets a server coalesce them),
    and more than ``MAX_RANGES`` get the whole file.
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
    if unit.strip().lower() != "bytes":
        return None  # another unit, or no "=": not a range this server knows (RFC 9110 14.2)
    # RFC 9110 section 14.1.1's ranges, read here: werkzeug's parser refuses ranges out of
    # ascending order or overlapping, which the RFC allows, and the empty list elements
    # that section 5.6.1 tells a recipient to accept ("bytes=0-4, ").
    spans: list[tuple[int, int]] = []
    asked = 0
    for part in ranges.split(","):
        if not part.strip():
            continue
        spec = _RANGE.fullmatch(part)
        if spec is None:
            return None  # an invalid ranges-specifier: ignored (RFC 9110 14.2)
        first, last = spec.groups()
        if not first and not last:
            return None  # "-": no range at all
        asked += 1
        end = _position(last) if last else None
        if not first:  # "-N": the last N bytes; "-0" none, which no file holds
            start, stop = max(size - (end or 0), 0), size if end else 0
        elif end is None:  # "N-": from N to the end
            start, stop = _position(first), size
        else:
            start, stop = _position(first), min(end + 1, size)
            if end < start:
                return None  # "5-3": invalid, ignored
        if start < stop:
            spans.append((start, stop))
    if asked == 0:
        return None
    if not spans:
        return False
    merged: list[tuple[int, int]] = []  # in file order, overlapping or adjacent ones joined
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged if len(merged) <= MAX_RANGES else None


def _position(digits: str) -> int:
    """A byte position as sent; past 18 digits, one beyond any file (``int()`` refuses a
    number of more than 4,300 digits, and a client chooses how many it sends)."""
    return int(digits) if len(digits) <= 18 else 10**18


def content_disposition(filename: str, inline: bool = False) -> str:
    """Build a ``Content-Disposition`` value that is safe for any file name.

    The quoted ``filename`` is an ASCII fallback (control characters, quotes, backslashes and
    non-ASCII become ``_``); where it differs from the real name, RFC 5987's ``filename*``
    carries the name percent-encoded as UTF-8 (RFC 6266 section 4.3).

    >>> print(content_disposition("résumé.pdf"))
    attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
    """
    kind = "inline" if inline else "attachment"
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(_utf_8(filename), safe='')}"


def _utf_8(name: str) -> str:
    """``name`` as UTF-8 can say it. A name read from the disk that is not UTF-8 holds lone
    surrogates (``os.listdir`` decodes with ``surrogateescape``), which UTF-8 cannot encode:
    its bytes are read again, each that is not UTF-8 as U+FFFD, as aaf reads all text."""
    if name.isascii():
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no decoding made: "?"
        raw = name.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")
