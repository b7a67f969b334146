"""The package's shape: no import cycles among aaf's modules, pure helpers stay pure, and
the wheel carries what the package needs."""

from __future__ import annotations

import ast
import doctest
import importlib
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import aaf

from .lowest_pins import lowest_pins

PACKAGE = Path(aaf.__file__).parent
ROOT = PACKAGE.parent


def module_imports() -> dict[str, set[str]]:
    """Map each aaf module to the aaf modules it imports, at run time (not TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        name = "aaf" if path.stem == "__init__" else f"aaf.{path.stem}"
        tree = ast.parse(path.read_text())
        found: set[str] = set()
        for node in tree.body:  # top-level only: imports inside functions are deliberate
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aaf"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("aaf"))
        graph[name] = found - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Give one import cycle as a list of modules, or ``None``."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_aaf_modules_import_each_other_without_cycles() -> None:
    graph = module_imports()
    assert "aaf.connection" in graph and "aaf._http" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_examples_in_aafs_docstrings_give_what_they_show() -> None:
    # Nothing ran them: one showed a Content-Disposition its docstring's escapes had changed.
    tried = 0
    for path in sorted(PACKAGE.glob("*.py")):
        name = "aaf" if path.stem == "__init__" else f"aaf.{path.stem}"
        result = doctest.testmod(importlib.import_module(name), report=False)
        assert result.failed == 0, f"{name}: {result.failed} of its examples fail"
        tried += result.attempted
    assert tried >= 8  # so many today: none skipped unseen


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_pure_http_helpers_import_no_other_aaf_module() -> None:
    assert module_imports()["aaf._http"] == set()
    assert module_imports()["aaf._annotations"] == set()


def test_form_parsing_never_imports_the_connection() -> None:
    assert "aaf.connection" not in module_imports()["aaf._forms"]


def test_the_wheel_ships_the_document_pages_and_their_licences(tmp_path: Path) -> None:
    """What `pip install aaf` (not editable) gets: Swagger UI and ReDoc with their licences,
    the marker that says aaf is typed, and no setuptools warning about them."""
    # Built from a copy: setuptools writes build/ beside the sources it builds.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PACKAGE.parent / name, source / name)
    shutil.copytree(PACKAGE, source / "aaf", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
        + ["-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "absent from the `packages` configuration" not in built.stderr
    [wheel] = tmp_path.glob("aaf-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "aaf/py.typed",
        "aaf/static/VERSIONS",
        "aaf/static/swagger-ui/swagger-ui-bundle.js",
        "aaf/static/swagger-ui/swagger-ui.css",
        "aaf/static/swagger-ui/LICENSE",
        "aaf/static/redoc/redoc.standalone.js",
        "aaf/static/redoc/LICENSE",
        "aaf/mypy.py",
    } <= names


def test_every_runtime_dependency_has_a_lower_bound_that_make_test_lowest_pins() -> None:
    # `make test-lowest` runs the core tests on these; a requirement without a lower bound
    # would leave the oldest version unknown, and is refused.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lowest_pins(project["dependencies"])
    assert [pin.split("==")[0] for pin in pins] == [
        re.split(r"[<>=\[]", requirement)[0] for requirement in project["dependencies"]
    ]
    assert "pydantic==2.11" in pins  # aaf validates with by_alias/by_name, new in 2.11
    with pytest.raises(ValueError, match="no lower bound"):
        lowest_pins(["werkzeug<4"])
