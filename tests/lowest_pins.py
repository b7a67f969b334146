"""Print aaf's runtime dependencies pinned to the oldest versions pyproject.toml allows.

`make test-lowest` installs them (with the test tools) in a virtualenv of their own and runs
the core tests there, so that a lower bound that is too low (pydantic>=2.7, when aaf calls
what pydantic 2.11 added) fails the build rather than a user's app:

    python tests/lowest_pins.py   # werkzeug==3.1 pydantic==2.11 ...
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# What the core tests import besides aaf's own dependencies (`make test-lowest` runs them).
TOOLS = frozenset(
    {
        "pytest",
        "hypothesis",
        "openapi-spec-validator",
        "httptools",
        "starlette",
        "itsdangerous",
        "hypercorn",
    }
)


def lowest_pins(dependencies: list[str]) -> list[str]:
    """Each ``name>=version`` requirement as ``name==version``; one without a lower bound
    is refused: nothing says which version is the oldest that works."""
    pins: list[str] = []
    for requirement in dependencies:
        found = re.match(
            r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)", requirement
        )
        if found is None:
            raise ValueError(f"{requirement!r} has no lower bound (name>=version)")
        pins.append(f"{found.group(1)}=={found.group(2)}")
    return pins


def _name(requirement: str) -> str:
    found = re.match(r"^[A-Za-z0-9_.-]+", requirement)
    assert found is not None, requirement  # pyproject.toml's own entries
    return found.group(0).lower()


def main() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    # What aaf and its extras (testing, redis, templates, the example's notes) need, at their
    # oldest; the test tools as the test extra pins them, except what those name.
    wanted = [*extras["testing"], *extras["redis"], *extras["templates"], *extras["notes"]]
    pins = lowest_pins([*project["dependencies"], *wanted])
    named = {_name(pin) for pin in pins} | {"aaf"}
    pins += [tool for tool in extras["test"] if _name(tool) in TOOLS and _name(tool) not in named]
    print(" ".join(pins))


if __name__ == "__main__":
    main()
