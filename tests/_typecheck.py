"""Run mypy (strict, with aaf's plugin) and basedpyright (strict) on small user programs."""

from __future__ import annotations

import gc
import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent
BASEDPYRIGHT = Path(sys.executable).parent / "basedpyright"


def mypy_in_process(args: list[str]) -> tuple[str, str, int]:
    """mypy in this process (``mypy.api.run``), the garbage collector given back its
    thresholds after (mypy sets its own for good, a full collection every 180 million
    allocations), and made to collect in full every ``_COLLECT_EVERY`` (10) runs.

    Each run leaves its trees as cyclic garbage that only a full collection frees, and the
    collector starts one by itself only once the garbage is a quarter of what the last one
    kept: 13 million objects of it piled up over the plugin's tests (2.5 GiB), every full
    collection on the way walked all of it, and the next app's start-up (``gc.collect()``
    before ``gc.freeze()``) took 20 s, in the middle of whatever test came next. Collected
    as it goes, no pause is longer than a few seconds.
    """
    kept = gc.get_threshold()
    try:
        return api.run(args)
    finally:
        gc.set_threshold(*kept)
        if next(_runs) % _COLLECT_EVERY == 0:
            gc.collect()


_COLLECT_EVERY = 10
_runs = itertools.count(1)


def write(directory: Path, files: dict[str, str]) -> list[Path]:
    paths: list[Path] = []
    for name, source in files.items():
        path = directory / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        paths.append(path)
    return paths


def mypy_errors(directory: Path, files: dict[str, str]) -> dict[str, list[str]]:
    """Each program's mypy errors (``file.py:line: error: ...  [code]`` lines)."""
    paths = write(directory, files)
    stdout, stderr, status = mypy_in_process(
        [
            "--no-incremental",
            "--config-file",
            str(ROOT / "mypy.ini"),  # --strict, the plugin, the stubs in typings/
            "--cache-dir",
            str(directory / ".mypy_cache"),
            *map(str, paths),
        ]
    )
    assert status in (0, 1), stdout + stderr
    errors: dict[str, list[str]] = {name: [] for name in files}
    for line in stdout.splitlines():
        for name in files:
            if line.startswith(str(directory / f"{name}.py")) and ": error:" in line:
                errors[name].append(line.removeprefix(str(directory) + "/"))
    return errors


def basedpyright_errors(directory: Path, files: dict[str, str]) -> dict[str, list[str]]:
    """Each program's basedpyright errors in strict mode (``line: message  (rule)``)."""
    paths = write(directory, files)
    config = directory / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.11",
                "stubPath": str(ROOT / "typings"),
                "reportMissingModuleSource": False,
            }
        )
    )
    result = subprocess.run(
        [str(BASEDPYRIGHT), "--outputjson", "--pythonpath", sys.executable, "-p", str(config)]
        + [str(path) for path in paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    errors: dict[str, list[str]] = {name: [] for name in files}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        name = Path(diagnostic["file"]).stem
        line = diagnostic["range"]["start"]["line"] + 1
        errors[name].append(f"{line}: {diagnostic['message']}  ({diagnostic.get('rule', '')})")
    return errors
