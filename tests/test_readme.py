"""Every Python block of README.md runs and type-checks, so the guide cannot rot.

Each block is a complete module. It must pass mypy --strict (with the aaf.mypy plugin) and
basedpyright in strict mode, and import cleanly; its ``test_*`` functions are then run. A
block marked ``<!-- readme-test: mypy fails with the output below -->`` must instead make
mypy print exactly the ``text`` block that follows it (with the file called app.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from aaf.app import App
from aaf.testing import TestClient

from ._helpers import free_port, import_file, stop_process
from ._typecheck import ROOT, basedpyright_errors, mypy_errors

README = ROOT / "README.md"
FAILS = "<!-- readme-test: mypy fails with the output below -->"


class Block(NamedTuple):
    name: str  # readme_<line>, the line the block starts on
    source: str
    expected_mypy: list[str] | None  # for a block that must fail: mypy's output


def blocks() -> list[Block]:
    text = README.read_text()
    found: list[Block] = []
    fence = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
    matches = list(fence.finditer(text))
    for index, match in enumerate(matches):
        if match[1] != "python":
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip().splitlines()[-1]
        expected = None
        if before == FAILS:
            following = matches[index + 1]
            assert following[1] == "text", "a failing block is followed by mypy's output"
            expected = following[2].splitlines()
        found.append(Block(f"readme_{line}", match[2], expected))
    return found


BLOCKS = blocks()
PASSING = {block.name: block.source for block in BLOCKS if block.expected_mypy is None}
FAILING = [block for block in BLOCKS if block.expected_mypy is not None]


def test_the_readme_has_the_guide_s_blocks() -> None:
    assert len(PASSING) >= 10 and FAILING


@pytest.fixture(scope="module")
def mypy_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return mypy_errors(tmp_path_factory.mktemp("readme-mypy"), PASSING)


@pytest.fixture(scope="module")
def pyright_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return basedpyright_errors(tmp_path_factory.mktemp("readme-pyright"), PASSING)


@pytest.mark.parametrize("name", sorted(PASSING))
def test_a_block_passes_mypy_strict_with_the_plugin(
    mypy_results: dict[str, list[str]], name: str
) -> None:
    assert mypy_results[name] == []


@pytest.mark.parametrize("name", sorted(PASSING))
def test_a_block_passes_basedpyright_strict(
    pyright_results: dict[str, list[str]], name: str
) -> None:
    assert pyright_results[name] == []


@pytest.mark.parametrize("name", sorted(PASSING))
def test_a_block_runs(tmp_path: Path, name: str) -> None:
    block = next(b for b in BLOCKS if b.name == name)
    for attribute, value in load(block, tmp_path).items():
        if attribute.startswith("test_") and callable(value):
            value()


@pytest.mark.parametrize("block", FAILING, ids=[block.name for block in FAILING])
def test_a_failing_block_gives_the_output_shown(tmp_path: Path, block: Block) -> None:
    errors = mypy_errors(tmp_path, {"app": block.source})["app"]
    assert errors == block.expected_mypy


def load(block: Block, directory: Path) -> dict[str, object]:
    path = directory / f"{block.name}.py"
    path.write_text(block.source)
    return vars(import_file(path, block.name, keep=False))


def test_the_first_app_answers_as_the_guide_says(tmp_path: Path) -> None:
    first = next(b for b in BLOCKS if "async def read_item" in b.source)
    app = load(first, tmp_path)["app"]
    assert isinstance(app, App)
    with TestClient(app) as client:
        assert client.get("/items/3", params={"q": "lamp"}).json() == {
            "name": "lamp",
            "price": 1.5,
        }
        assert client.get("/items/x").status_code == 404
        invalid = client.post("/items", json={"price": -1})
        assert invalid.status_code == 422
        assert [e["loc"] for e in invalid.json()["detail"]] == [["body", "name"], ["body", "price"]]
        assert invalid.json()["detail"][0]["type"] == "missing"


def test_the_error_handler_makes_every_error_json(tmp_path: Path) -> None:
    block = next(b for b in BLOCKS if "async def as_json" in b.source)
    app = load(block, tmp_path)["app"]
    assert isinstance(app, App)
    with TestClient(app) as client:
        assert client.get("/users/1").json() == {"id": 1}
        assert client.get("/users/2").json() == {"detail": "user 2 does not exist"}
        assert client.get("/nowhere").json() == {"detail": "Not found"}
        refused = client.post("/users/1")
        assert (refused.status_code, refused.json()) == (405, {"detail": "Method Not Allowed"})
        assert refused.headers["allow"] == "GET, HEAD, OPTIONS"


def test_the_deployment_command_serves_the_notes_app(tmp_path: Path) -> None:
    """The README's uvicorn line, on 127.0.0.1 and a free port, with two workers."""
    text = README.read_text()
    deployment = text[text.index("## Deployment") :]
    line = next(ln for ln in deployment.splitlines() if ln.startswith("uvicorn "))
    words = line.split()[1:]
    port = free_port()
    replaced = {"--host": "127.0.0.1", "--port": str(port), "--workers": "2"}
    args = [replaced.get(words[i - 1], word) if i else word for i, word in enumerate(words)]
    assert args.count("127.0.0.1") == 1 and "notes.app:app" in args
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "AAF_NOTES_DB": str(tmp_path / "notes.sqlite3")},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(f"http://127.0.0.1:{port}/api/notes", timeout=1)
                if answer.status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.2)
        assert answer.json() == {"items": [], "total": 0, "limit": 20, "offset": 0}
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        stop_process(process, timeout=15)


def test_make_run_serves_the_notes_app(tmp_path: Path) -> None:
    """The README's first command (on a free port; `make run` takes PORT=)."""
    port = free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env={**os.environ, "AAF_NOTES_DB": str(tmp_path / "notes.sqlite3")},
        start_new_session=True,  # make and the uvicorn it starts: one group, stopped together
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline, "make run failed"
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "<title>Notes</title>" in page.text
    finally:
        stop_process(process, group=True, timeout=15)


def test_the_parameters_block_reads_every_source(tmp_path: Path) -> None:
    block = next(b for b in BLOCKS if "async def add_tags" in b.source)
    app = load(block, tmp_path)["app"]
    assert isinstance(app, App)
    with TestClient(app) as client:
        found = client.get(
            "/search/books", params=[("limit", "5"), ("q", "x"), ("tags", "a"), ("tags", "b")]
        )
        assert found.json() == {"category": "books", "limit": 5, "q": "x", "tags": ["a", "b"]}
        assert client.get("/search/books", params={"limit": "0"}).status_code == 422
        assert client.post("/tags", json=["a", "b"]).json() == ["a", "b"]
        too_many = client.post("/tags", json=[str(i) for i in range(11)])
        assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["body"]
        sent = client.post("/upload", data={"name": "ann"}, files={"file": ("a.txt", b"x")})
        assert sent.json() == {"name": "ann", "file": "a.txt"}
