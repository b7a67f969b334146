"""Parsed form data: text fields and uploaded files."""

from __future__ import annotations

import dataclasses

from werkzeug.datastructures import FileStorage, MultiDict

__all__ = ["FormData", "UploadFile"]

# Uploads are werkzeug's FileStorage: `.filename`, `.content_type`, `.stream`, `.read()`,
# `.save(path)`. The name says what it is for in a handler signature.
UploadFile = FileStorage


@dataclasses.dataclass(frozen=True)
class FormData:
    """The fields and files of an urlencoded or multipart body."""

    fields: MultiDict[str, str]
    files: MultiDict[str, FileStorage]

    def close(self) -> None:
        """Close every uploaded file (their spooled temporary files go away)."""
        for _, upload in self.files.items(multi=True):
            upload.close()
