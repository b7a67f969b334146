"""What every benchmark app serves, the same in each framework."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Item(BaseModel):
    id: int
    name: str
    price: float = Field(gt=0)


ITEM_BODY = b'{"id":1,"name":"desk","price":99.5}'
