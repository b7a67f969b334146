"""Broadcast groups, through their public interface."""

from __future__ import annotations

import pytest

from aaf.channels import InMemoryGroups


@pytest.mark.anyio
async def test_groups_deliver_to_members_and_drop_failing_ones() -> None:
    class Sink:
        def __init__(self, fail: bool = False) -> None:
            self.got: list[str] = []
            self.fail = fail

        async def send_text(self, data: str) -> None:
            if self.fail:
                raise ConnectionError("gone")
            self.got.append(data)

    groups = InMemoryGroups()
    a, b, broken = Sink(), Sink(), Sink(fail=True)
    for member in (a, b, broken):
        await groups.join("room", member)
    assert await groups.publish("room", "hi") == 2
    assert groups.members("room") == 2
    await groups.leave("room", a)
    assert await groups.publish_json("room", {"n": 1}) == 1
    assert a.got == ["hi"] and b.got == ["hi", '{"n":1}']
    await groups.leave("room", b)
    assert groups.members("room") == 0
