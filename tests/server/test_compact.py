"""Compact live ops (docs/protocol.md): opted-in clients get the same ops in fewer bytes, and
everyone else keeps getting exactly the PROTOCOL.md ``ops`` frame."""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
import pytest

from tests.compact import decode_compact
from tests.server.conftest import TIMEOUT, Client, connect, pen, rect

pytestmark = pytest.mark.gen_test(timeout=30)


async def connect_compact(url: str, board: str, name: str) -> Client:
    """A client that says hello with ``compact: 1`` and waits for its (ordinary) welcome."""
    client = await connect(url, board, name=None)
    await client.send({"t": "hello", "v": 1, "name": name, "compact": 1})
    client.welcome = await client.expect_type("welcome")
    return client


async def next_ops_frame(client: Client) -> tuple[bytes, Any]:
    """The raw bytes and the decoded value of the next frame that carries ops, either form."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        data = await asyncio.wait_for(client.conn.read_message(), deadline - loop.time())
        assert isinstance(data, bytes), "closed or a text frame while waiting for ops"
        msg = msgpack.unpackb(data, raw=False)
        if isinstance(msg, list) or msg.get("t") == "ops":
            return data, msg


def one_frame_of_every_kind() -> list[dict[str, Any]]:
    stroke = {**pen("s1"), "pr": [100, 120]}
    return [
        {"k": "add", "e": stroke},
        {"k": "append", "id": "s1", "pts": [3, -2, 4, -1], "pr": [130, 140]},
        {"k": "add", "e": pen("s2")},
        {"k": "append", "id": "s2", "pts": [1, 1]},
        {"k": "add", "e": rect("r1")},
        {"k": "update", "id": "r1", "set": {"x": 5, "fill": "#ff0000"}},
        {"k": "delete", "ids": ["r1", "nope"]},
    ]


async def test_compact_and_plain_clients_get_the_same_ops_in_the_same_tick(
    url: str, board: str
) -> None:
    plain = await connect(url, board, "Plain")
    explicit_off = await connect(url, board, name=None)
    await explicit_off.send({"t": "hello", "v": 1, "name": "Off", "compact": 0})
    explicit_off.welcome = await explicit_off.expect_type("welcome")
    watcher = await connect_compact(url, board, "Watcher")
    author = await connect_compact(url, board, "Author")
    # Welcomes and presence stay PROTOCOL.md maps for compact clients too.
    assert author.welcome["elements"] == [] and author.welcome["seq"] == 0
    assert (await watcher.expect_type("presence"))["join"][0]["name"] == "Author"

    await author.ops(*one_frame_of_every_kind())  # one frame: applied in one tick

    plain_bytes, plain_frame = await next_ops_frame(plain)
    assert set(plain_frame) == {"t", "ts", "ops"} and isinstance(plain_frame["ts"], int)
    sops = plain_frame["ops"]
    assert [sop["s"] for sop in sops] == list(range(1, 8))
    assert sops[6]["ids"] == ["r1"]  # the broadcast delete lists only what it deleted
    assert all(sop["by"] == author.welcome["me"] for sop in sops)

    off_bytes, _ = await next_ops_frame(explicit_off)
    assert off_bytes == plain_bytes
    for client in (watcher, author):
        compact_bytes, compact_frame = await next_ops_frame(client)
        assert isinstance(compact_frame, list) and compact_frame[0] == 1
        assert decode_compact(compact_frame) == sops
        assert len(compact_bytes) < len(plain_bytes)


async def test_live_ink_reaches_a_compact_watcher_in_under_20_bytes_a_point(
    url: str, board: str
) -> None:
    watcher = await connect_compact(url, board, "Watcher")
    drawer = await connect(url, board, "Drawer")
    await watcher.expect_type("presence")
    sid = "AbCdEfGhIjKlMnOp"  # as long as the browser's ids
    (c,) = await drawer.ops({"k": "add", "e": pen(sid)})
    await drawer.acked(c)
    await next_ops_frame(watcher)
    for _ in range(20):
        await drawer.ops({"k": "append", "id": sid, "pts": [2, -3, 3, -2]})
        data, frame = await next_ops_frame(watcher)
        (sop,) = decode_compact(frame)
        assert sop["pts"] == [2, -3, 3, -2]
        header = 2  # an unmasked server frame under 126 bytes
        assert (header + len(data)) / 2 <= 20


@pytest.mark.parametrize("value", [2, -1, True, 1.0, "1", [1], {"v": 1}])
async def test_invalid_compact_in_hello_is_refused_then_closed(
    url: str, board: str, value: Any
) -> None:
    a = await connect(url, board, name=None)
    await a.send({"t": "hello", "v": 1, "name": "x", "compact": value})
    err = await a.expect_type("err")
    assert err["code"] == "bad_message" and "compact" in err["msg"]
    assert await a.expect_close() == 1008
