"""Pure HTTP helpers: header encoding, query strings, cookies and content types.

Nothing here imports another aaf module or does I/O, so the connection, responses and form
parsing can all share it without import cycles.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict, Unpack

from pydantic_core import to_json
from werkzeug.http import dump_cookie

__all__ = [
    "FRAMING",
    "LENGTHS",
    "SINGLE",
    "SMALL_BODY",
    "WITH_BODY",
    "CookieOptions",
    "DeleteCookieOptions",
    "RawHeaders",
    "SameSite",
    "TOKEN",
    "check_close_code",
    "check_limit",
    "empty_framing",
    "cookie_header",
    "cookie_value",
    "encode_header",
    "json_bytes",
    "is_json",
    "json_charset_ok",
    "length_header",
    "local_location",
    "parse_cookies",
    "parse_query",
    "utf8_size",
    "utf8_text",
]

RawHeaders = list[tuple[bytes, bytes]]


def check_limit(
    where: str, name: str, value: object, *, above: bool = False, none: str = ""
) -> None:
    """Refuse a size limit, count or time of ``where``'s that no request could meet: not a
    number, below 0 (or 0 with ``above``), or NaN. ``None`` passes where ``none`` says what it
    means ("no limit")."""
    if value is None and none:
        return
    bound = ("more than 0" if above else "0 or more") + (f" (None: {none})" if none else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}({name}={value!r}): {name} must be a number {bound}")
    if not (value > 0 if above else value >= 0):  # NaN too
        raise ValueError(f"{where}({name}={value!r}): {name} must be {bound}")


# The headers that say where a body ends. aaf sets them for the bodies it frames, so any set by
# hand beside its own would have the client read the body wrong.
FRAMING = frozenset({b"content-length", b"transfer-encoding"})
# Headers a response carries once (RFC 9110 5.3: no list syntax), whose second copy a client
# reads as it likes, or not at all: Chrome fails a response with two Location or
# Content-Disposition headers, a cache keeps either ETag, CORS refuses two origins. One set on
# the connection replaces the response's own.
SINGLE = frozenset(
    {
        b"content-type",
        b"location",
        b"content-disposition",
        b"content-location",
        b"content-range",
        b"etag",
        b"last-modified",
        b"expires",
        b"retry-after",
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"strict-transport-security",
    }
)
# The Content-Type of what a returned value is encoded to: JSON, or text for a str.
JSON_TYPE = (b"content-type", b"application/json")
TEXT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
# PERF: the Content-Length header of each body length below SMALL_BODY bytes, made once: a
# response's own would be an int's str, its bytes and a tuple, about 800 instructions of every
# small response (benchmarks/instructions.py). The two hottest paths (a returned value, a
# whole response) index it inline, a call less; `length_header` is the same for the rest.
SMALL_BODY = 1024
LENGTHS: tuple[tuple[bytes, bytes], ...] = tuple(
    (b"content-length", b"%d" % n) for n in range(SMALL_BODY)
)


# The statuses a response can carry a body with (and so a Content-Length): 204, 205 and 304
# cannot (RFC 9110 8.6, 15.3.6, 15.4.5). PERF: one set lookup, not five comparisons.
WITH_BODY = frozenset(range(200, 600)) - {204, 205, 304}


def empty_framing(status: int) -> RawHeaders:
    """The framing of a response of ``status``, which has no body: none for a 204 (RFC 9110
    8.6) or a 304 (whose length would be its page's); ``Content-Length: 0`` for a 205, whose
    empty body is still framed (RFC 9110 15.3.6), or the server would send it chunked."""
    return [LENGTHS[0]] if status == 205 else []


def length_header(size: int) -> tuple[bytes, bytes]:
    """The ``Content-Length`` header of a body of ``size`` bytes."""
    return LENGTHS[size] if size < SMALL_BODY else (b"content-length", b"%d" % size)


def status_problem(status: int) -> str:
    """Why ``status`` cannot start a response (the caller found it outside 200-599)."""
    if 100 <= status < 200:
        return f"{status} is an informational status, not a response's"
    # Servers send a status line from a table of 100-599: uvicorn fails on 600 and past it
    # with the response half made, and the client gets an empty reply.
    return f"{status} is not an HTTP status: a response's is 200 to 599"


def utf8_size(text: str) -> int:
    """``text``'s size in bytes of UTF-8, what a WebSocket text frame carries.

    Raises:
        UnicodeEncodeError: it holds a lone surrogate (from bytes decoded with
            ``surrogateescape``, say), which no text frame can carry.
    """
    # PERF: the usual text is ASCII (a flag of the str), a byte a character.
    return len(text) if text.isascii() else len(text.encode())


def json_bytes(value: object) -> bytes:
    """``value`` as JSON (models and dataclasses too). NaN and the infinities, which JSON
    cannot say, become ``null``, as pydantic writes them in models: never invalid JSON."""
    return to_json(value, inf_nan_mode="null")


SameSite = Literal["strict", "lax", "none", "Strict", "Lax", "None"]

# An HTTP token (RFC 9110 section 5.6.2): what a header's or a cookie's name must be.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A cookie's Domain attribute: anything but what would end it or start another attribute
# (non-ASCII names are werkzeug's to encode as IDNA).
_DOMAIN = re.compile(r"[^\x00-\x20\x7f;,]*")
# Control characters other than HTAB end or corrupt a header line (RFC 9110 section 5.5).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """Encode a response header for ASGI, refusing what would break the response.

    Raises:
        ValueError: the name is not an HTTP token, the value holds a control character other
            than HTAB (CR, LF and NUL among them), or either has characters latin-1 cannot
            encode (RFC 9110 section 5.5).
    """
    if not TOKEN.fullmatch(name):
        raise ValueError(f"Invalid response header name {name!r}: expected an HTTP token")
    if _CONTROL.search(value):
        raise ValueError(
            f"Invalid value for response header {name!r}: control characters "
            "(CR, LF, NUL, 0x01-0x1f, 0x7f) are refused"
        )
    try:
        return name.lower().encode("latin-1"), value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"Response header {name!r} holds characters latin-1 cannot encode; "
            "percent-encode the value (RFC 8187) instead"
        ) from None


def quoted_string(text: str) -> str:
    """``text`` as an HTTP quoted-string (RFC 9110 section 5.6.4): in double quotes, its
    backslashes and double quotes escaped, so that it ends where it should.

    Raises:
        ValueError: ``text`` holds a control character other than HTAB, or a character
            latin-1 cannot encode: a header could not carry it.
    """
    if _CONTROL.search(text):
        raise ValueError(f"{text!r} holds a control character: no header value can carry it")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{text!r} holds characters latin-1 cannot encode") from None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_PERCENT, _PLUS = ord("%"), ord("+")  # looked for in bytes as ints: see parse_query


def parse_query(raw: bytes) -> list[tuple[str, str]]:
    """Split a query string on ``&``, then decode each key and value once (UTF-8, ``+`` is a
    space, undecodable bytes become U+FFFD); blank values are kept.

    >>> parse_query(b"a=%26b&c&d=x+y")
    [('a', '&b'), ('c', ''), ('d', 'x y')]
    """
    # PERF: urllib's parse_qsl took a quarter of a typed request (benchmarks/inprocess.py,
    # search scenario); most query strings need no unquoting at all. A byte looked for as an
    # int is a memchr; as bytes, a substring search ten times the instructions, and a plain
    # loop is no frame where a comprehension is two (benchmarks/instructions.py, search).
    pairs: list[tuple[str, str]] = []
    if _PERCENT not in raw and _PLUS not in raw:
        for item in raw.decode("utf-8", "replace").split("&"):
            if item:
                key, _, value = item.partition("=")
                pairs.append((key, value))
        return pairs
    for part in raw.split(b"&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition(b"=")
        pairs.append((_unquote(raw_key), _unquote(raw_value)))
    return pairs


def query_last_values(raw: bytes) -> dict[str, str]:
    """Each key of a query string with its last value, decoded as ``parse_query`` decodes
    them: what a parameter of one value reads (FastAPI, Starlette and Django give a repeated
    key's last).

    >>> query_last_values(b"a=1&b=%26&a=2")
    {'a': '2', 'b': '&'}
    """
    # PERF: the usual query string, with nothing escaped, into the dict straight away: no list
    # of pairs made first (benchmarks/instructions.py, search query).
    if _PERCENT in raw or _PLUS in raw:
        return dict(parse_query(raw))
    found: dict[str, str] = {}
    for item in raw.decode("utf-8", "replace").split("&"):
        if item:
            key, _, value = item.partition("=")
            found[key] = value
    return found


def local_location(path: str, query: bytes = b"") -> str:
    """A ``Location`` on this site: ``path`` (escaped already) and the query string, never
    ``//host/...``, which a browser would take for another site."""
    location = "/" + path.lstrip("/")
    return location + "?" + query.decode("latin-1") if query else location


def _unquote(raw: bytes) -> str:
    return unquote_bytes(raw).decode("utf-8", errors="replace")


# A %XX escape, its two hex digits captured. A "%" not followed by two stays as it is.
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_BYTE_OF = {  # two hex digits, of either case, and the byte they stand for
    f"{high}{low}".encode(): bytes([int(high + low, 16)])
    for high in "0123456789abcdefABCDEF"
    for low in "0123456789abcdefABCDEF"
}


def unquote_bytes(raw: bytes) -> bytes:
    """Undo a query string's escapes in ``raw`` (``+`` is a space), giving bytes, as
    ``urllib.parse.unquote_to_bytes`` does.

    >>> unquote_bytes(b"caf%C3%A9+au+lait%")
    b'caf\\xc3\\xa9 au lait%'
    """
    if _PLUS in raw:
        raw = raw.replace(b"+", b" ")
    if _PERCENT not in raw:
        return raw
    # PERF: split at the escapes by a regular expression, each one's digits looked up. urllib
    # raises and catches an exception for each "%" without two hex digits after it: 1 MB of
    # them cost the server 300 ms, five times as many valid escapes (benchmarks/hostile.py,
    # "stray percent signs"); here 10 ms, and no input costs more than urllib's valid ones.
    parts = _ESCAPE.split(raw)  # text, digits, text, digits, ..., text
    parts[1::2] = [_BYTE_OF[digits] for digits in parts[1::2]]
    return b"".join(parts)


class CookieOptions(TypedDict, total=False):
    """The attributes of a ``Set-Cookie`` header, as keywords (werkzeug's names and defaults)."""

    max_age: timedelta | int | None
    expires: str | datetime | int | float | None  # a number: seconds from now, as Starlette's
    path: str | None  # "/" when not given
    domain: str | None
    secure: bool
    httponly: bool
    samesite: SameSite | None  # "lax" when not given; None: no SameSite attribute
    partitioned: bool  # CHIPS: a third-party cookie kept per top-level site (Secure too)


class DeleteCookieOptions(TypedDict, total=False):
    """The attributes of the ``Set-Cookie`` header that expires a cookie: those it was set
    with, which a browser matches it by (``path``, ``domain``) or requires (``secure`` for a
    ``__Secure-`` or ``__Host-`` cookie, or one set ``SameSite=None``)."""

    path: str | None  # "/" when not given
    domain: str | None
    secure: bool
    httponly: bool
    samesite: SameSite | None
    partitioned: bool


def cookie_value(key: str, value: str = "", **options: Unpack[CookieOptions]) -> str:
    """The value of one ``Set-Cookie`` header, by werkzeug's ``dump_cookie``. ``SameSite``
    is ``Lax`` unless ``samesite`` says otherwise (``None`` leaves the attribute out), as
    Starlette sets it: a cookie that rides on other sites' requests must be asked for."""
    # werkzeug quotes the value and percent-encodes the path, but writes the name and the
    # domain as given: a ";" there would add attributes of the caller's choosing.
    if not TOKEN.fullmatch(key):
        raise ValueError(f"Invalid cookie name {key!r}: expected an HTTP token (RFC 6265 4.1.1)")
    domain = options.get("domain")
    if domain is not None and not _DOMAIN.fullmatch(domain):
        raise ValueError(
            f"Invalid cookie domain {domain!r}: expected a host name, without spaces, "
            "semicolons, commas or control characters"
        )
    if "samesite" not in options:
        options["samesite"] = "lax"
    if (problem := _refused_cookie(key, options)) is not None:
        raise ValueError(f"Cookie {key!r} {problem}: browsers drop such a cookie unread")
    expires = options.get("expires")
    if isinstance(expires, (int, float)) and not isinstance(expires, bool):
        # Seconds from now, as Starlette (and so FastAPI) reads a number; werkzeug would read
        # a Unix time, so that `expires=3600` gave 1970 and the cookie was gone at once.
        options["expires"] = datetime.now(UTC) + timedelta(seconds=expires)
    return dump_cookie(key, value, **options)


def _refused_cookie(key: str, options: CookieOptions) -> str | None:
    """What makes browsers refuse a cookie set with ``options`` (RFC 6265bis 5.7): SameSite=None
    without Secure (Chrome and Firefox since 2020), a ``__Secure-`` name without Secure, a
    ``__Host-`` name without Secure, with a Domain or with a Path other than ``/`` (the
    prefixes matched whatever their case); ``None`` when none of these."""
    secure = options.get("secure", False) or options.get("partitioned", False)
    samesite = options.get("samesite")
    if samesite is not None and samesite.lower() == "none" and not secure:
        return "is set with samesite='none' but not secure=True"
    prefix = key[:9].lower()
    if prefix == "__secure-" and not secure:
        return "has the __Secure- prefix but is not set with secure=True"
    if prefix.startswith("__host-"):
        if not secure:
            return "has the __Host- prefix but is not set with secure=True"
        if options.get("domain") is not None:
            return "has the __Host- prefix but is set with a domain"
        if options.get("path") not in (None, "/"):
            return "has the __Host- prefix but is set with a path other than '/'"
    return None


def cookie_header(
    key: str, value: str = "", **options: Unpack[CookieOptions]
) -> tuple[bytes, bytes]:
    """One encoded ``Set-Cookie`` header (see ``cookie_value``)."""
    return encode_header("set-cookie", cookie_value(key, value, **options))


def parse_cookies(raw: str) -> list[tuple[str, str]]:
    r"""Split a ``Cookie`` header into ``(name, value)`` pairs, as browsers read it.

    A chunk without ``=`` is a value with an empty name (RFC 6265bis 5.6), never a cookie named
    by the chunk, and a bare ``=`` is none; surrounding double quotes are removed, and the
    backslash escapes inside them undone (``\054`` is a comma: what ``put_resp_cookie``,
    werkzeug's ``dump_cookie``, writes for a value with a comma, a semicolon, a quote or
    non-ASCII text); nothing here raises.

    >>> parse_cookies('a=1; lonely; b="two"; c="x\\054 \\"y\\" \\303\\274"')
    [('a', '1'), ('', 'lonely'), ('b', 'two'), ('c', 'x, "y" ü')]
    """
    pairs: list[tuple[str, str]] = []
    for chunk in raw.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        if not sep:
            name, value = "", chunk
        name, value = name.strip(), value.strip()
        if not name and not value:
            continue  # a bare "=": no cookie (Starlette's parser skips it too)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
            if "\\" in value:
                value = _SLASHED.sub(_unslash, value)
        pairs.append((name, value))
    return pairs


# In a quoted cookie value: a run of octal escapes (the UTF-8 bytes of one or more characters),
# or a backslash before any other character (that character).
_SLASHED = re.compile(r"(?:\\[0-3][0-7]{2})+|\\(.)")


def _unslash(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1)
    run = match.group(0)
    return bytes(int(run[i + 1 : i + 4], 8) for i in range(0, len(run), 4)).decode(errors="replace")


def is_json(content_type: str) -> bool:
    """Whether a ``Content-Type`` names JSON: ``application/json`` or ``application/*+json``."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def json_charset_ok(content_type: str) -> bool:
    """Whether a JSON ``Content-Type`` names no charset, or UTF-8 (RFC 8259 section 8.1), or
    US-ASCII, whose text is the same bytes in UTF-8 (a client that escapes all else names it)."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower() in ("utf-8", "utf8", "us-ascii", "ascii")
    return True


def content_type_of(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The Content-Type among encoded response ``headers`` (lower-case names), if any."""
    return next((value for name, value in headers if name == b"content-type"), None)


_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)


def text_codec(content_type: str | bytes | None) -> str:
    """The codec a ``str`` body is encoded with under ``content_type``: the charset it
    declares (``text/csv; charset=windows-1252``), UTF-8 when it declares none, as Django
    encodes its responses. A body in bytes other than the declared charset's is one the
    client reads wrong.

    Raises:
        ValueError: the declared charset is none Python can encode in (send bytes then).
    """
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    found = _CHARSET.search(content_type) if content_type else None
    if found is None:
        return "utf-8"
    try:
        name = codecs.lookup(found[1]).name
        "".encode(name)  # a codec of bytes (hex, base64) is not one of text: LookupError
    except LookupError:
        raise ValueError(
            f"Content-Type {content_type!r} declares a charset Python cannot encode text in: "
            "encode the body yourself and send bytes"
        ) from None
    return name


def utf8_text(media_type: str) -> str:
    """A text media type with no charset says ``charset=utf-8``, the encoding aaf writes
    text in (a browser would guess one otherwise); any other is left as it is."""
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        return f"{media_type}; charset=utf-8"
    return media_type


def check_close_code(code: int) -> None:
    """Refuse a WebSocket close code an endpoint may not send.

    Raises:
        ValueError: ``code`` is outside RFC 6455 section 7.4's 1000-1003, 1007-1014 and
            3000-4999.
    """
    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        raise ValueError(f"{code} is not a close code an endpoint may send")
