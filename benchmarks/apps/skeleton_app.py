"""The bare skeleton of `benchmarks/floor.py` as a server app, for the network run of the
scenarios it answers (plaintext and not found; every other path is its 404):

    benchmarks/.venv/bin/python -m benchmarks.network --frameworks raw,skeleton,aaf \
        --scenarios "plaintext,not found"
"""

from __future__ import annotations

from benchmarks.floor import Skeleton, plaintext


def build_10() -> Skeleton:
    return Skeleton({"/plaintext": plaintext})


def build(routes: int) -> Skeleton:
    """The skeleton whatever the route count (it has one route), for `benchmarks.instructions
    --frameworks raw,skeleton,aaf --scenarios plaintext`."""
    return build_10()
