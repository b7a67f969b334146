"""The app `make load-hostile` attacks: a JSON list route, a form route, a catch-all path."""

from __future__ import annotations

import dataclasses
from collections import Counter, OrderedDict, deque
from typing import Annotated, Any, Literal, Required

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from typing_extensions import TypedDict

from aaf import aaf
from aaf.connection import Connection
from aaf.datastructures import UploadFile
from aaf.params import Body, Cookie, Form, Query
from aaf.routing import Router

router = Router()


class Item(BaseModel):
    id: int
    name: str


@router.route("/ok")
async def ok(connection: Connection) -> str:
    return "ok"


@router.route("/items", methods=["POST"])
async def items(connection: Connection, items: list[Item]) -> int:
    return len(items)


class Batch(BaseModel):
    label: str
    items: list[Item]


@router.route("/batch", methods=["POST"])
async def batch(connection: Connection, batch: Batch) -> int:
    return len(batch.items)


class Envelope(BaseModel):
    """The JSON envelope APIs wrap their data in."""

    data: Batch


@router.route("/envelope", methods=["POST"])
async def envelope(connection: Connection, body: Envelope) -> int:
    return len(body.data.items)


class CheckedBatch(BaseModel):
    """A validator of its list (mode "after"): given the list read in slices."""

    items: list[Item]

    @field_validator("items")
    @classmethod
    def some(cls, items: list[Item]) -> list[Item]:
        if not items:
            raise ValueError("no items")
        return items


@router.route("/checked-batch", methods=["POST"])
async def checked_batch(connection: Connection, batch: CheckedBatch) -> int:
    return len(batch.items)


class AfterBatch(BaseModel):
    """A model validator of mode "after": it sees the whole model."""

    label: str
    items: list[Item]

    @model_validator(mode="after")
    def labelled(self) -> AfterBatch:
        if self.items and not self.label:
            raise ValueError("items need a label")
        return self


@router.route("/after-batch", methods=["POST"])
async def after_batch(connection: Connection, batch: AfterBatch) -> int:
    return len(batch.items)


class BeforeBatch(BaseModel):
    """A model validator of mode "before": it sees the object as sent."""

    label: str
    items: list[Item]

    @model_validator(mode="before")
    @classmethod
    def unwrapped(cls, value: Any) -> Any:
        return {"label": "", "items": value} if isinstance(value, list) else value


@router.route("/before-batch", methods=["POST"])
async def before_batch(connection: Connection, batch: BeforeBatch) -> int:
    return len(batch.items)


class Signup(BaseModel):
    """A field's validator of mode "before", as apps normalize what they are sent."""

    email: str
    name: str = ""

    @field_validator("email", mode="before")
    @classmethod
    def lowered(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


@router.route("/signup", methods=["POST"])
async def signup(connection: Connection, signup: Signup) -> str:
    return signup.email


class Webhook(BaseModel):
    """A field of any JSON, as webhook receivers take a payload."""

    source: str
    payload: Any = None


@router.route("/webhook", methods=["POST"])
async def webhook(connection: Connection, hook: Webhook) -> str:
    return hook.source


class Tally(BaseModel):
    label: str
    counts: dict[str, int]


class Cat(BaseModel):
    kind: Literal["cat"]
    items: list[Item] = []


class Dog(BaseModel):
    kind: Literal["dog"]
    items: list[Item] = []


@router.route("/pets", methods=["POST"])
async def pets(
    connection: Connection, pet: Annotated[Cat | Dog, Field(discriminator="kind")]
) -> int:
    """A union of models told apart by a tag: read as the model the tag names."""
    return len(pet.items)


class Shipment(BaseModel):
    label: str
    items: list[Item]


class Notice(BaseModel):
    label: str
    urgent: bool


@router.route("/untagged", methods=["POST"])
async def untagged(connection: Connection, body: Shipment | Notice) -> str:
    """A union of models without a tag: read as each, chosen as pydantic chooses."""
    return type(body).__name__


class Delivery(BaseModel):
    ref: int
    content: Shipment | Notice


@router.route("/delivery", methods=["POST"])
async def delivery(connection: Connection, delivery: Delivery) -> str:
    """A model's field holding a union of models without a tag."""
    return type(delivery.content).__name__


class Lines(BaseModel):
    ref: int
    lines: list[Item] | Item


@router.route("/lines", methods=["POST"])
async def lines(connection: Connection, body: Lines) -> int:
    """A model's field of a list or a model (one or many)."""
    return len(body.lines) if isinstance(body.lines, list) else 1


@router.route("/one-or-many", methods=["POST"])
async def one_or_many(connection: Connection, body: list[Item] | Item) -> int:
    """A body of a list or a model (one or many)."""
    return len(body) if isinstance(body, list) else 1


class BatchDict(TypedDict):
    label: str
    items: list[Item]


class NotedBatch(TypedDict, total=False):
    """Keys that may be missing, left out of the dict as pydantic leaves them out."""

    label: str
    items: Required[list[Item]]


@dataclasses.dataclass
class BatchClass:
    label: str
    items: list[Item]


class Event(BaseModel):
    id: int
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


@router.route("/event", methods=["POST"])
async def event(connection: Connection, event: Event) -> int:
    """A model's field holding a union told apart by a tag."""
    return len(event.pet.items)


@router.route("/batch-dict", methods=["POST"])
async def batch_dict(connection: Connection, batch: BatchDict) -> int:
    """A TypedDict body: read as a model of its fields, then made the dict."""
    return len(batch["items"])


@router.route("/noted-batch", methods=["POST"])
async def noted_batch(connection: Connection, batch: NotedBatch) -> int:
    """A TypedDict body with keys that are not required."""
    return len(batch["items"])


@dataclasses.dataclass
class CountedBatch:
    """A dataclass whose ``__post_init__`` counts its items."""

    label: str
    items: list[Item]
    count: int = 0

    def __post_init__(self) -> None:
        self.count = len(self.items)


@router.route("/counted-batch", methods=["POST"])
async def counted_batch(connection: Connection, batch: CountedBatch) -> int:
    """A dataclass body with ``__post_init__``: run on the dataclass made."""
    return batch.count


@router.route("/batch-class", methods=["POST"])
async def batch_class(connection: Connection, batch: BatchClass) -> int:
    """A dataclass body: read as a model of its fields, then made the dataclass."""
    return len(batch.items)


@router.route("/tally", methods=["POST"])
async def tally(connection: Connection, tally: Tally) -> int:
    return len(tally.counts)


class Nested(BaseModel):
    label: str
    data: dict[str, dict[str, int]]


@router.route("/nested", methods=["POST"])
async def nested(connection: Connection, nested: Nested) -> int:
    return len(nested.data)


@router.route("/raw", methods=["POST"])
async def raw(connection: Connection) -> int:
    # The body read imperatively, as a handler may read any JSON.
    value = await connection.json()
    return len(value) if isinstance(value, list) else 0


@router.route("/words", methods=["POST"])
async def words(connection: Connection, words: Annotated[list[str], Body()]) -> int:
    return len(words)


@router.route("/maybe", methods=["POST"])
async def maybe(connection: Connection, items: Annotated[list[Item] | None, Body()] = None) -> int:
    return len(items or ())


@router.route("/maybe-batch", methods=["POST"])
async def maybe_batch(connection: Connection, batch: Annotated[Batch | None, Body()] = None) -> int:
    return len(batch.items) if batch else 0


@router.route("/anything", methods=["POST"])
async def anything(connection: Connection, value: Annotated[Any, Body()]) -> int:
    return len(value)


@router.route("/numbers", methods=["POST"])
async def numbers(connection: Connection, numbers: Annotated[set[int], Body()]) -> int:
    return len(numbers)


@router.route("/frozen", methods=["POST"])
async def frozen(connection: Connection, numbers: Annotated[frozenset[int], Body()]) -> int:
    return len(numbers)


class Keeping(BaseModel):
    """Keeps what it does not read, as its extras."""

    model_config = ConfigDict(extra="allow")
    label: str = ""


@router.route("/keeping", methods=["POST"])
async def keeping(connection: Connection, body: Keeping) -> int:
    return len(body.model_extra or {})


@router.route("/queue", methods=["POST"])
async def queue(connection: Connection, items: Annotated[deque[Item], Body()]) -> int:
    return len(items)


@router.route("/counter", methods=["POST"])
async def counter(connection: Connection, counts: Annotated[Counter[str], Body()]) -> int:
    return len(counts)


@router.route("/ordered", methods=["POST"])
async def ordered(connection: Connection, counts: Annotated[OrderedDict[str, int], Body()]) -> int:
    return len(counts)


@router.route("/bounded", methods=["POST"])
async def bounded(
    connection: Connection, items: Annotated[list[Item], Body(max_length=420_000)]
) -> int:
    return len(items)


class BoundedBatch(BaseModel):
    label: str
    items: list[Item] = Field(max_length=420_000)


class NonemptyBatch(BaseModel):
    label: str
    items: list[Item] = Field(min_length=1)


@router.route("/nonempty-batch", methods=["POST"])
async def nonempty_batch(connection: Connection, batch: NonemptyBatch) -> int:
    return len(batch.items)


@router.route("/bounded-batch", methods=["POST"])
async def bounded_batch(connection: Connection, batch: BoundedBatch) -> int:
    return len(batch.items)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = ""


class MaybeCounts(BaseModel):
    label: str
    counts: dict[str, int] | None = None


@router.route("/maybe-counts", methods=["POST"])
async def maybe_counts(connection: Connection, body: MaybeCounts) -> int:
    return len(body.counts or {})


class Refusing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str


@router.route("/refusing", methods=["POST"])
async def refusing(connection: Connection, body: Refusing) -> str:
    return body.label


@router.route("/strict")
async def strict(connection: Connection, where: Annotated[Strict, Query()]) -> str:
    return where.q


@router.route("/ids")
async def ids(connection: Connection, ids: list[int]) -> int:
    return len(ids)


@router.route("/form", methods=["POST"])
async def form(connection: Connection, name: Annotated[str, Form()]) -> str:
    return name


@router.route("/upload", methods=["POST"])
async def upload(connection: Connection, file: UploadFile) -> int:
    return file.size


@router.route("/session")
async def session(connection: Connection, session: Annotated[str, Cookie()] = "") -> str:
    return session


@router.route("/files/<path:rest>")
async def files(connection: Connection, rest: str) -> int:
    return len(rest)


@router.route("/mirror/<path:source>/<path:target>/end")
async def mirror(connection: Connection, source: str, target: str) -> int:
    return len(source) + len(target)


app = aaf([router], max_body_size=16 * 1024 * 1024)
