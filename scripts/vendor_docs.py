"""Refresh the Swagger UI and ReDoc assets shipped in aaf/static/ from the npm registry.

    python scripts/vendor_docs.py            (what `make vendor` runs)

Each package is fetched with `npm pack` at the pinned version, and only what the docs pages
load is kept, with its licence: no source maps (their `sourceMappingURL` comments are removed
too, so that a browser asks for nothing that is not there), and ReDoc's one CDN image is
replaced by an inline one. `aaf/static/VERSIONS` records what was taken.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "aaf" / "static"
PACKAGES = {
    # npm package, version: {file in the package: file in aaf/static/<dir>}
    ("swagger-ui-dist", "5.36.0", "swagger-ui"): {
        "package/swagger-ui-bundle.js": "swagger-ui-bundle.js",
        "package/swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
        "package/swagger-ui.css": "swagger-ui.css",
        # What the page an OAuth2 sign-in comes back to runs (/docs/oauth2-redirect).
        "package/oauth2-redirect.js": "oauth2-redirect.js",
        "package/LICENSE": "LICENSE",
        "package/NOTICE": "NOTICE",
    },
    # ReDoc 2: version 3 sends usage data to Redocly unless told not to; 2 sends nothing. And
    # 3.0.1's standalone bundle comes without the licences of what it bundles (React among
    # them), which 2's LICENSE.txt lists (checked 2026-12-03).
    ("redoc", "2.5.4", "redoc"): {
        "package/bundles/redoc.standalone.js": "redoc.standalone.js",
        "package/bundles/redoc.standalone.js.LICENSE.txt": "redoc.standalone.js.LICENSE.txt",
        "package/LICENSE": "LICENSE",
    },
}
# ReDoc shows a "powered by" logo it fetches from its CDN: point it at an inline image instead,
# so that the page asks no other host for anything.
REWRITES = {
    b"https://cdn.redoc.ly/redoc/logo-mini.svg": (
        b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
    ),
}
# Only the comment that ends a file: the bundles also hold such text inside their code.
SOURCE_MAP = re.compile(rb"\n?/[/*][#@] sourceMappingURL=[^\n]*\s*\Z")


def main() -> None:
    if shutil.which("npm") is None:
        sys.exit("npm is missing: install Node.js and npm first")
    versions = []
    with tempfile.TemporaryDirectory() as scratch:
        for (package, version, folder), files in PACKAGES.items():
            subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--silent"],
                cwd=scratch,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            archive = Path(scratch) / f"{package}-{version}.tgz"
            target = STATIC / folder
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            with tarfile.open(archive) as tar:
                for member, name in files.items():
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        sys.exit(f"{package}@{version} has no {member}")
                    data = extracted.read()
                    if name.endswith((".js", ".css")):
                        data = SOURCE_MAP.sub(b"", data)
                        for old, new in REWRITES.items():
                            data = data.replace(old, new)
                    (target / name).write_bytes(data)
            versions.append(f"{package} {version} (npm) -> aaf/static/{folder}/")
    (STATIC / "VERSIONS").write_text("\n".join(versions) + "\n")
    print("\n".join(versions))


if __name__ == "__main__":
    main()
