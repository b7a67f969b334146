"""Large JSON bodies in-process: how long each takes, and how long it holds the event loop.

The app of `make load-hostile` (benchmarks/hostileapp.py) is called directly with each body in
64 KiB chunks, a turn of the event loop between chunks (as a server delivers them), while a
task that only yields records the gaps between its turns: the longest gap is how long another
client would wait at worst.

    .venv/bin/python -m benchmarks.large_bodies [--reps 3] [--rows "bounded,any JSON"]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from benchmarks.hostileapp import app

Message = dict[str, Any]
CHUNK = 64 * 1024


def bodies() -> dict[str, tuple[str, bytes]]:
    valid = b"[" + b",".join(b'{"id":%d,"name":"n"}' % i for i in range(420_000)) + b"]"
    numbers = b"[" + b",".join(b"%d" % i for i in range(1_250_000)) + b"]"
    counts = b"{" + b",".join(b'"k%d":%d' % (i, i) for i in range(600_000)) + b"}"
    return {
        "valid list (420,000 models)": ("/items", valid),
        "valid batch model (its list of 420,000)": (
            "/batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        'valid batch model in an envelope ({"data": ...})': (
            "/envelope",
            b'{"data":{"label":"x","items":' + valid + b"}}",
        ),
        "valid list but its last item": (
            "/items",
            valid[: valid.rindex(b"{")] + b'{"id":"x","name":"n"}]',
        ),
        "valid list, a comma missing half way": (
            "/items",
            valid.replace(b'},{"id":210000,', b'} {"id":210000,', 1),
        ),
        "valid batch model but its label": (
            "/batch",
            b'{"items":' + valid + b',"label":5}',
        ),
        "wrong list (900,000 wrong items)": (
            "/items",
            b"[" + b",".join([b'{"id":"x"}'] * 900_000) + b"]",
        ),
        "a model checking its list (900,000 wrong items)": (
            "/checked-batch",
            b'{"items":[' + b",".join([b'{"id":"x"}'] * 900_000) + b"]}",
        ),
        "valid batch model, a validator of its list (field_validator)": (
            "/checked-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        'valid batch model, a model validator (mode="after")': (
            "/after-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "an array of 420,000 models where a model is expected (other kind)": ("/batch", valid),
        "an object holding 420,000 models where a list is expected (other kind)": (
            "/items",
            b'{"items":' + valid + b"}",
        ),
        "a model's list field given an object of 400,000 models (other kind)": (
            "/batch",
            b'{"label":"x","items":{'
            + b",".join(b'"k%d":{"id":%d,"name":"n"}' % (i, i) for i in range(400_000))
            + b"}}",
        ),
        "a model's str field given an array of 420,000 models (other kind)": (
            "/batch",
            b'{"label":' + valid + b',"items":[]}',
        ),
        "a list's item given an array of 420,000 models (other kind)": (
            "/items",
            b"[" + valid + b"]",
        ),
        "a model's field, a union told apart by a tag": (
            "/event",
            b'{"id":1,"pet":{"kind":"dog","items":' + valid + b"}}",
        ),
        "a union without a tag, one model taking it": (
            "/untagged",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "a union without a tag, no model taking it (422)": ("/untagged", b'{"pad":' + valid + b"}"),
        "a union without a tag, two taking it alike (a tie)": (
            "/untagged",
            b'{"label":"x","urgent":true,"items":' + valid + b"}",
        ),
        "a model validator of mode before, keys it ignores": (
            "/before-batch",
            b'{"label":"x","items":[],"pad":' + valid + b"}",
        ),
        "a model validator of mode before, refused (422)": (
            "/before-batch",
            b'{"pad":' + valid + b"}",
        ),
        "a model validator of mode before, valid": (
            "/before-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "a field validator of mode before given 10 MB (422)": (
            "/signup",
            b'{"name":"x","email":' + valid + b"}",
        ),
        "a model's field of any JSON (Any) given 10 MB": (
            "/webhook",
            b'{"source":"x","payload":' + valid + b"}",
        ),
        "a model's field, a union without a tag, one model taking it": (
            "/delivery",
            b'{"ref":1,"content":{"label":"x","items":' + valid + b"}}",
        ),
        "a model's field, a union without a tag, no model taking it (422)": (
            "/delivery",
            b'{"ref":1,"content":{"pad":' + valid + b"}}",
        ),
        "a model's field of a list or a model, the list": (
            "/lines",
            b'{"ref":1,"lines":' + valid + b"}",
        ),
        "a model's field of a list or a model, neither taking it (422)": (
            "/lines",
            b'{"ref":1,"lines":{"pad":' + valid + b"}}",
        ),
        "one or many (list[Item] | Item), the list": ("/one-or-many", valid),
        "one or many (list[Item] | Item), a wrong item last (422)": (
            "/one-or-many",
            valid[:-1] + b',{"id":"x"}]',
        ),
        "valid batch as a TypedDict": ("/batch-dict", b'{"label":"x","items":' + valid + b"}"),
        "valid batch as a TypedDict of keys not required": (
            "/noted-batch",
            b'{"items":' + valid + b"}",
        ),
        "valid batch as a dataclass with __post_init__": (
            "/counted-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "valid batch as a dataclass": ("/batch-class", b'{"label":"x","items":' + valid + b"}"),
        "a union told apart by a tag, the tag first": (
            "/pets",
            b'{"kind":"dog","items":' + valid + b"}",
        ),
        "a union told apart by a tag, the tag last": (
            "/pets",
            b'{"items":' + valid + b',"kind":"dog"}',
        ),
        "a union told apart by a tag, an unknown tag (422)": (
            "/pets",
            b'{"kind":"fish","items":' + valid + b"}",
        ),
        "something after a valid batch model's object (not JSON)": (
            "/batch",
            b'{"label":"x","items":' + valid + b"}}",
        ),
        "a model's text cut short 10 MB in (not JSON)": (
            "/batch",
            b'{"label":"' + b"x" * 10_000_000,
        ),
        "a text, then a valid list (not JSON)": ("/items", b'"x" ' + valid),
        "a model's dict of 400,000 numbers": (
            "/tally",
            b'{"label":"x","counts":{'
            + b",".join(b'"k%d":%d' % (i, i) for i in range(400_000))
            + b"}}",
        ),
        "a model's dict of 300,000 dicts": (
            "/nested",
            b'{"label":"x","data":{'
            + b",".join(b'"k%d":{"a":%d,"b":1}' % (i, i) for i in range(300_000))
            + b"}}",
        ),
        "1.25 million numbers read as JSON": (
            "/raw",
            numbers,
        ),
        "valid list, an optional body (list[Item] or None)": ("/maybe", valid),
        "valid batch model, an optional body (Batch or None)": (
            "/maybe-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "valid list, a body of any JSON (Any)": ("/anything", valid),
        "valid list, its length bounded (Body(max_length=...))": ("/bounded", valid),
        "valid batch model, its list bounded below (Field(min_length=1))": (
            "/nonempty-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "valid batch model, its list's length bounded (Field)": (
            "/bounded-batch",
            b'{"label":"x","items":' + valid + b"}",
        ),
        "valid list, its length bounded, one item over (420,001)": (
            "/bounded",
            valid[:-1] + b',{"id":420000,"name":"n"}]',
        ),
        "1.25 million numbers, the body set[int]": (
            "/numbers",
            numbers,
        ),
        "a model's optional dict of 600,000 numbers (dict[str, int] | None)": (
            "/maybe-counts",
            b'{"label":"x","counts":' + counts + b"}",
        ),
        "700,000 unknown keys, a model refusing them (422)": (
            "/refusing",
            b'{"label":"x",' + b",".join(b'"k%d":%d' % (i, i) for i in range(700_000)) + b"}",
        ),
        "700,000 unknown keys, a model keeping them (extra=allow)": (
            "/keeping",
            b'{"label":"x",' + b",".join(b'"k%d":%d' % (i, i) for i in range(700_000)) + b"}",
        ),
        "1.25 million numbers, the body frozenset[int]": (
            "/frozen",
            numbers,
        ),
        "valid list, the body deque[Item]": ("/queue", valid),
        "600,000 numbers, the body Counter[str]": ("/counter", counts),
        "600,000 numbers, the body OrderedDict[str, int]": ("/ordered", counts),
        "one 10 MB string (a list[str] body)": ("/words", b'["' + b"a" * 10_000_000 + b'"]'),
        "one 10 MB string of escaped quotes": ("/words", b'["' + b'\\"' * 5_000_000 + b'"]'),
        "one 10 MB string in an object, read as JSON": (
            "/raw",
            b'[{"text":"' + b"a" * 10_000_000 + b'"},1]',
        ),
    }


async def serve(path: str, body: bytes) -> int:
    chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    last = len(chunks) - 1
    index = 0
    scope: Message = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> Message:
        nonlocal index
        await asyncio.sleep(0)
        i, index = index, index + 1
        return {"type": "http.request", "body": chunks[i], "more_body": i < last}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def measure(path: str, body: bytes) -> tuple[float, float, float, int]:
    """(total ms, longest gap ms, p99 gap ms, status) of one request."""
    gaps: list[float] = []
    done = False

    async def other_client() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    watcher = asyncio.ensure_future(other_client())
    began = time.perf_counter()
    status = await serve(path, body)
    total = time.perf_counter() - began
    done = True
    await watcher
    gaps.sort()
    return total * 1000, gaps[-1] * 1000, gaps[int(len(gaps) * 0.99)] * 1000, status


async def run(reps: int, rows: str | None) -> None:
    print("| body | status | total | longest gap | p99 gap |")
    print("|---|---|---|---|---|")
    for name, (path, body) in bodies().items():
        if rows is not None and not any(word in name for word in rows.split(",")):
            continue
        await measure(path, body)  # warm
        results = [await measure(path, body) for _ in range(reps)]
        total, longest, p99, status = (statistics.median(r[i] for r in results) for i in range(4))
        print(f"| {name} | {status:.0f} | {total:.0f} ms | {longest:.1f} ms | {p99:.2f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rows", help="comma-separated words: only the rows naming one")
    args = parser.parse_args()
    asyncio.run(run(args.reps, args.rows))


if __name__ == "__main__":
    main()
