from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# The uploads example keeps files in $AAF_UPLOAD_DIR, a fresh temporary directory of its own
# when unset; the modules that import it at collection (the document and fuzzing tests) point
# it at one directory of the run's, removed when the run ends, so no run leaves uploads behind.
_UPLOADS = tempfile.mkdtemp(prefix="aaf-test-uploads-")
os.environ.setdefault("AAF_UPLOAD_DIR", _UPLOADS)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_UPLOADS, ignore_errors=True)


@pytest.fixture()
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio, the loop uvicorn uses."""
    return "asyncio"
