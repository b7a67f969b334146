"""aaf from another checkout, beside this one, for before/after runs of the same scenarios:
the checkout in ``AAF_OTHER`` (a path; say a ``git worktree`` of the commit before)::

    git worktree add /tmp/before HEAD~1
    AAF_OTHER=/tmp/before benchmarks/.venv/bin/python -m benchmarks.network \\
        --frameworks raw,other,aaf

The server process puts that checkout first on ``sys.path`` before aaf is imported, so the
apps are the same (`benchmarks/apps/aaf_app.py`) and only aaf differs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def _build(routes: int) -> Any:
    if "AAF_OTHER" not in os.environ:
        raise SystemExit("other_app runs aaf from the checkout in AAF_OTHER: set it to a path")
    other = Path(os.environ["AAF_OTHER"]).resolve()
    sys.path.insert(0, str(other))
    import aaf

    if not Path(aaf.__file__).resolve().is_relative_to(other):
        raise SystemExit(f"aaf was imported from {aaf.__file__} before {other} could be used")
    from benchmarks.apps.aaf_app import build

    return build(routes)


def build(routes: int) -> Any:
    """For the in-process runs (`benchmarks/instructions.py`)."""
    return _build(routes)


def build_10() -> Any:
    return _build(10)


def build_1000() -> Any:
    return _build(1000)
