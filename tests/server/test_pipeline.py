"""The tick pipeline's two promises: nothing is sent before it is committed, and each tick's
ops frame is encoded once, however many clients receive it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.server.conftest import Client, connect, pen
from tests.storeinspect import committed_head
from whiteboard import protocol
from whiteboard.store.base import Store

pytestmark = pytest.mark.gen_test(timeout=60)


async def _draw(cl: Client, tag: str, n: int) -> None:
    await cl.ops({"k": "add", "e": pen(tag)})
    for i in range(n):
        await cl.ops({"k": "append", "id": tag, "pts": [1, i % 4]})
        if i % 10 == 0:
            await asyncio.sleep(0)


async def test_every_op_is_in_the_database_before_anyone_receives_it(
    url: str, board: str, store: Store
) -> None:
    a, b = await connect(url, board, "a"), await connect(url, board, "b")
    watcher = await connect(url, board, "w")
    total = 2 * 301
    drawing = asyncio.gather(_draw(a, "a", 300), _draw(b, "b", 300))
    head = 0
    checked = 0
    while head < total:
        msg = await watcher.expect_type("ops")
        head = msg["ops"][-1]["s"]
        stored = committed_head(store, board)
        assert stored >= head, f"op {head} was sent before it was committed ({stored})"
        checked += 1
    await drawing
    assert checked > 1


async def test_each_tick_is_encoded_once_for_all_clients(
    url: str, board: str, monkeypatch: Any
) -> None:
    calls = {"array": 0, "frame": 0}
    encode_array, encode_frame = protocol.encode_ops_array, protocol.encode_ops_frame

    def counting_array(sops: Any) -> bytes:
        calls["array"] += 1
        return encode_array(sops)

    def counting_frame(ts: int, arr: bytes) -> bytes:
        calls["frame"] += 1
        return encode_frame(ts, arr)

    monkeypatch.setattr(protocol, "encode_ops_array", counting_array)
    monkeypatch.setattr(protocol, "encode_ops_frame", counting_frame)

    clients = [await connect(url, board, f"c{i}") for i in range(8)]
    await asyncio.gather(_draw(clients[0], "x", 100), _draw(clients[1], "y", 100))
    frames = []
    for cl in clients:
        count, head = 0, 0
        while head < 202:
            msg = await cl.expect_type("ops")
            head = msg["ops"][-1]["s"]
            count += 1
        frames.append(count)
    assert len(set(frames)) == 1, frames  # everyone got the same frames...
    assert calls["array"] == calls["frame"] == frames[0]  # ...each encoded once
