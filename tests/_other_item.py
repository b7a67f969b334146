"""A second model named Item, for the document's name clash test."""

from __future__ import annotations

from pydantic import BaseModel


class Item(BaseModel):
    code: str
