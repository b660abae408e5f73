"""The embedded channel layer still expires messages and memberships, a sweep a second."""

from __future__ import annotations

import asyncio

from crmportal.live.layers import SWEEP_EVERY, RationedInMemoryChannelLayer


async def test_it_still_expires_what_nobody_received():
    layer = RationedInMemoryChannelLayer(expiry=0.05)
    gone, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("live.all", gone)
    await layer.group_add("live.all", alive)
    await layer.send(gone, {"type": "live.update"})
    await asyncio.sleep(SWEEP_EVERY + 0.1)

    await layer.send(alive, {"type": "live.update"})
    assert await layer.receive(alive) == {"type": "live.update"}
    assert gone not in layer.channels  # its message expired unread: the socket is gone
    assert set(layer.groups["live.all"]) == {alive}

