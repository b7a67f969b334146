"""Hostile load: rows 1, 2, 11 and 12 of the hostile-input issue sent at a real uvicorn while a
normal client measures its latency. Prints the normal client's p50/p99 and the server's peak
RSS. Run with `make load-hostile` (or `.venv/bin/python benchmarks/hostile.py --seconds 20`).

1. a 10 MB JSON list of wrong items; 2. a multipart part with charset=punycode;
11. an urlencoded form of a million fields; 12. distinct 65 KB paths. Beside those rows:
a 10 MB JSON list of valid items (validated in slices, full collections held), 2 MB of
cookies (uvicorn with httptools takes headers of any size; aaf reads 64 KiB), and query
strings of 10,000 wrong list items (validated again failing fast past 1,000 errors), a form
field of 1 MiB of %XX escapes (unquoted a slice at a time), one of 1 MiB of "%" with no
hex digits after them ("stray percent signs": no dearer than the escapes), and a
10 MB model body holding a list of valid items (`{"label": ..., "items": [...]}`), and a 10
MB model body holding a `dict[str, int]` of 600,000 keys, and the valid list read by a handler
with `await connection.json()` (parsed a slice of items at a time), and the same list wrapped
in an object ("valid batch read as JSON"), and a typed list of one item holding that list
("one long item": read a member at a time, its unknown 10 MB value checked and left out),
and a model body of 700,000 short members it ignores ("many ignored members": a slice of
them at a time), the same with a key it reads in every 500 ("a read key among them":
the members it reads picked out of each slice), and a `list[str]` body of one 10 MB string
of escaped quotes ("long escaped string": read in pieces), and a query string of 8,000 keys
that a model marked `Query()` with `extra="forbid"` refuses ("unknown query keys": validated
again with the first 100 past 1,000 errors), the valid list sent where a model is expected
("an array where a model is expected": refused with the error for an empty one), and a model
body whose model has a validator of mode "after" ("valid batch with a model validator"), and
a multipart part whose headers hold a 900 KB file name ("long part headers": refused past 16
KiB, before werkzeug parses them), 900 parts whose names are 14 KB of backslashes and quotes
("backslashed part names", each name read again as browsers send it), a 10 MB file upload
("large uploads": spooled to a temporary file past 1 MiB, written on the event loop), a
list of models with a wrong one last for a body of one or many ("one or many with a wrong
item last"), an object no model of a union without a tag takes, and 10 MB for a field with
a validator of mode "before" (each read a slice at a time).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._procs import free_port, stop, wait_up  # noqa: E402  # run as a script

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


Request = tuple[str, str, bytes, dict[str, str]]  # method, path, body, headers


def attacks() -> dict[str, Request]:
    wrong = b"[" + b",".join([b'{"id":"x"}'] * 900_000) + b"]"
    punycode = (
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n'
        b"Content-Type: text/plain; charset=punycode\r\n\r\n" + b"x" * 1_000_000 + b"\r\n--B--\r\n"
    )
    fields = b"&".join(b"k%d=v" % i for i in range(1_000_000))
    valid = b"[" + b",".join(b'{"id":%d,"name":"n"}' % i for i in range(420_000)) + b"]"
    cookies = "; ".join(f"c{i}=v" for i in range(200_000))
    # As many wrong list items as a query string uvicorn takes holds (about 64 KiB).
    wrong_query = "/ids?" + "&".join(["ids=x"] * 10_000)
    unknown_keys = "/strict?" + "&".join(f"k{i}=v" for i in range(8_000))  # about 63 KB
    escaped = b"name=" + b"%C3%A9" * 174_000  # just under max_form_text_size (1 MiB)
    stray = b"name=" + b"%" * 1_040_000  # as long, of "%" that no two hex digits follow
    return {
        "1 wrong list": ("POST", "/items", wrong, {"content-type": "application/json"}),
        "2 punycode": (
            "POST",
            "/form",
            punycode,
            {"content-type": "multipart/form-data; boundary=B"},
        ),
        "long part headers": (
            "POST",
            "/form",
            b'--B\r\nContent-Disposition: form-data; name="name"; filename="'
            + b"a" * 900_000
            + b'"\r\n\r\nx\r\n--B--\r\n',
            {"content-type": "multipart/form-data; boundary=B"},
        ),
        "backslashed part names": (
            "POST",
            "/form",
            b"".join(
                b'--B\r\nContent-Disposition: form-data; name="'
                + b'\\"' * 7_000
                + b'"\r\n\r\nx\r\n'
                for _ in range(900)
            )
            + b"--B--\r\n",
            {"content-type": "multipart/form-data; boundary=B"},
        ),
        "large uploads": (
            "POST",
            "/upload",
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
            + b"u" * 10_000_000
            + b"\r\n--B--\r\n",
            {"content-type": "multipart/form-data; boundary=B"},
        ),
        "11 million fields": (
            "POST",
            "/form",
            fields,
            {"content-type": "application/x-www-form-urlencoded"},
        ),
        "valid list": ("POST", "/items", valid, {"content-type": "application/json"}),
        "valid list read as JSON": (
            "POST",
            "/raw",
            valid,
            {"content-type": "application/json"},
        ),
        "valid batch read as JSON": (
            "POST",
            "/raw",
            b'{"label":"x","items":' + valid + b"}",
            {"content-type": "application/json"},
        ),
        "one long item": (
            "POST",
            "/items",
            b'[{"id":1,"name":"n","x":' + valid + b"}]",
            {"content-type": "application/json"},
        ),
        "many ignored members": (
            "POST",
            "/batch",
            b'{"label":"x","items":[],'
            + b",".join(b'"k%d":[%d]' % (i, i) for i in range(700_000))
            + b"}",
            {"content-type": "application/json"},
        ),
        "a read key among them": (
            "POST",
            "/batch",
            b'{"items":[],'
            + b",".join(
                (b'"label":"%d"' % i) if i % 500 == 0 else (b'"k%d":[%d]' % (i, i))
                for i in range(700_000)
            )
            + b"}",
            {"content-type": "application/json"},
        ),
        "long escaped string": (
            "POST",
            "/words",
            b'["' + b'\\"' * 5_000_000 + b'"]',
            {"content-type": "application/json"},
        ),
        "valid batch model": (
            "POST",
            "/batch",
            b'{"label":"x","items":' + valid + b"}",
            {"content-type": "application/json"},
        ),
        "wrong batch model": (
            "POST",
            "/batch",
            b'{"items":[{"id":"x"},' + valid[1:] + b',"label":5}',
            {"content-type": "application/json"},
        ),
        "an array where a model is expected": (
            "POST",
            "/batch",
            valid,
            {"content-type": "application/json"},
        ),
        "valid batch with a model validator": (
            "POST",
            "/after-batch",
            b'{"label":"x","items":' + valid + b"}",
            {"content-type": "application/json"},
        ),
        "one or many with a wrong item last": (
            "POST",
            "/one-or-many",
            valid[:-1] + b',{"id":"x"}]',
            {"content-type": "application/json"},
        ),
        "a union without a tag that none takes": (
            "POST",
            "/untagged",
            b'{"pad":' + valid + b"}",
            {"content-type": "application/json"},
        ),
        "a field validator given 10 MB": (
            "POST",
            "/signup",
            b'{"name":"x","email":' + valid + b"}",
            {"content-type": "application/json"},
        ),
        "valid counts model": (
            "POST",
            "/tally",
            b'{"label":"x","counts":{'
            + b",".join(b'"k%d":%d' % (i, i) for i in range(600_000))
            + b"}}",
            {"content-type": "application/json"},
        ),
        "2 MB of cookies": ("GET", "/session", b"", {"cookie": cookies}),
        "wrong query items": ("GET", wrong_query, b"", {}),
        "unknown query keys": ("GET", unknown_keys, b"", {}),
        "escaped form field": (
            "POST",
            "/form",
            escaped,
            {"content-type": "application/x-www-form-urlencoded"},
        ),
        "stray percent signs": (
            "POST",
            "/form",
            stray,
            {"content-type": "application/x-www-form-urlencoded"},
        ),
        # A path of 30,000 segments (60 KB) that /mirror/<path:a>/<path:b>/end does not match:
        # its regex tries every split of it between the two (15 s each, before aaf bounded
        # the depth such a rule is tried at).
        "deep path of two path variables": ("GET", "/mirror/" + "a/" * 30_000 + "x", b"", {}),
    }


def attack(
    base: str,
    name: str,
    request: Request | None,
    seconds: float,
    results: multiprocessing.Queue[object],
) -> None:
    """Send one kind of hostile request back to back for ``seconds``; report the statuses.
    ``request`` was built before the process started (building every attack's body in each
    of 15 processes took longer than the row's seconds on two cores)."""
    statuses: dict[int, int] = {}
    stop_at = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=60) as client:
        if request is None:  # 12 long paths
            i = 0
            while time.monotonic() < stop_at:
                status = client.get(f"/files/{i}/" + "x" * 65_000).status_code
                statuses[status] = statuses.get(status, 0) + 1
                i += 1
        else:
            method, path, body, headers = request
            while time.monotonic() < stop_at:
                status = client.request(method, path, content=body, headers=headers).status_code
                statuses[status] = statuses.get(status, 0) + 1
    results.put((name, statuses))


def measure(
    base: str, names: list[str], requests: dict[str, Request], seconds: float
) -> tuple[list[float], dict[str, object]]:
    """Run the attacks ``names``, each in its own process, beside a normal client."""
    results: multiprocessing.Queue[object] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=attack, args=(base, name, requests.get(name), seconds, results)
        )
        for name in names
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # let the attacks get going
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds - 1
    with httpx.Client(base_url=base, timeout=10) as client:
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            response = client.get("/ok")
            latencies.append((time.perf_counter() - began) * 1000)
            assert response.text == "ok", response.text
            time.sleep(0.01)
    answers: dict[str, object] = {}
    for _ in workers:
        name, statuses = results.get(timeout=120)  # type: ignore[misc]  # (name, statuses)
        answers[name] = statuses
    for worker in workers:
        worker.join(30)
    return latencies, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rows", help="comma-separated row names (all when not given)")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.hostileapp:app", "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
    )
    try:
        wait_up(server, base + "/ok", "the hostile app", 15)
        requests = attacks()
        names = [*requests, "12 long paths"]
        if args.rows:
            names = [name for name in names if name in args.rows.split(",")]
        print("| hostile traffic | normal p50 | normal p99 | normal max | attack answers |")
        print("|---|---|---|---|---|")
        for group in [[], *([n] for n in names), names]:
            latencies, answers = measure(base, group, requests, args.seconds)
            q = statistics.quantiles(latencies, n=100, method="inclusive")
            label = ", ".join(group) if group else "none"
            print(
                f"| {label} | {q[49]:.1f} ms | {q[98]:.1f} ms | {max(latencies):.1f} ms "
                f"| {answers} |",
                flush=True,
            )
        print(f"server peak RSS: {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
