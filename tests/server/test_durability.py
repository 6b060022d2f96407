"""Boards survive a restart, a crash (SIGKILL) and a graceful stop (SIGTERM)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import pytest

from tests.live import FakeTransport
from tests.server.conftest import Client, connect, fetch, pen, rect
from tests.server.subprocess_server import ServerProcess
from whiteboard.config import Settings
from whiteboard.live.registry import Hub
from whiteboard.live.replica import Solo
from whiteboard.protocol import Hello
from whiteboard.store.sqlite import DB_NAME, SQLiteStore

pytestmark = pytest.mark.gen_test(timeout=60)


async def test_board_reloads_from_checkpoint_plus_log(settings: Settings, tmp_path: Any) -> None:
    settings = Settings(data=settings.data, checkpoint_every=7, tick_ms=1)
    store = SQLiteStore(settings.data)
    await store.start()
    hub = Hub(store, settings)

    board = await hub.get("cp")
    peer = await board.join(FakeTransport(), Hello("x", None))
    while peer.client_id not in board.peers:
        await asyncio.sleep(0.001)
    for i in range(30):
        board.submit(peer, [{"k": "add", "c": i, "e": pen(f"p{i}")}])
        board.submit(peer, [{"k": "append", "c": 100 + i, "id": f"p{i}", "pts": [i, i]}])
        if i % 3 == 0:
            board.submit(peer, [{"k": "delete", "c": 200 + i, "ids": [f"p{i}"]}])
        while board.committed_seq < board.doc.seq or board._queue:
            await asyncio.sleep(0.001)
    expected = board.doc.elements()
    seq = board.doc.seq
    assert board.checkpoint_seq > 0
    await store.close()

    store2 = SQLiteStore(settings.data)
    await store2.start()
    loaded = await store2.load("cp")
    assert loaded.checkpoint is not None and loaded.checkpoint.seq > 0
    assert all(row.last_seq > loaded.checkpoint.seq for row in loaded.rows)
    board2 = await Hub(store2, settings).get("cp")
    assert board2.doc.seq == seq and board2.doc.elements() == expected
    assert isinstance(board2.replica, Solo) and board2.replica.next_client_id == 2
    await store2.close()


async def test_restart_on_the_same_data_directory(tmp_path: Any) -> None:
    srv = ServerProcess(str(tmp_path)).start()
    try:
        a = await connect(srv.url, "keep")
        cs = await a.ops({"k": "add", "e": rect("r")}, {"k": "add", "e": pen("p")})
        await a.acked(cs[-1])
        srv.terminate()
        assert await a.expect_close(10) == 1001
        assert srv.wait() == 0
    finally:
        srv.kill()
    assert "Traceback" not in srv.output()

    srv2 = ServerProcess(str(tmp_path)).start()
    try:
        b = await connect(srv2.url, "keep")
        assert [e["id"] for e in b.welcome["elements"]] == ["r", "p"]
        assert b.welcome["me"] > a.welcome["me"]  # ids are never reused
    finally:
        srv2.terminate()
        srv2.wait()


async def test_sigkill_loses_nothing_anyone_saw(tmp_path: Any) -> None:
    srv = ServerProcess(str(tmp_path)).start()
    received: set[int] = set()
    try:
        drawers = [await connect(srv.url, "crash", f"d{i}") for i in range(3)]
        watcher = await connect(srv.url, "crash", "w")

        async def draw(cl: Client, tag: str) -> None:
            try:
                await cl.ops({"k": "add", "e": pen(tag)})
                for i in range(100_000):
                    await cl.ops({"k": "append", "id": tag, "pts": [1, i % 5]})
                    if i % 10 == 0:
                        await asyncio.sleep(0)
            except Exception:
                return  # the server died under us: expected

        async def watch(cl: Client) -> None:
            while True:
                msg = await cl.recv(10)
                if msg is None:
                    return
                if msg["t"] == "ops":
                    received.update(op["s"] for op in msg["ops"])

        tasks = [asyncio.ensure_future(draw(cl, f"s{i}")) for i, cl in enumerate(drawers)]
        watching = asyncio.ensure_future(watch(watcher))
        while len(received) < 2000:
            await asyncio.sleep(0.01)
        srv.kill()
        await asyncio.wait([watching, *tasks], timeout=10)
    finally:
        srv.kill()

    db = sqlite3.connect(f"{tmp_path}/{DB_NAME}")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    srv2 = ServerProcess(str(tmp_path)).start()
    try:
        resp = await fetch(srv2.url, "/api/boards/crash")
        head = json.loads(resp.body)["seq"]
        assert head >= max(received)
        seen: set[int] = set()
        after = 0
        while True:
            page = json.loads(
                (await fetch(srv2.url, f"/api/boards/crash/ops?after={after}&limit=10000")).body
            )
            seen.update(op["s"] for op in page["ops"])
            if page["next"] is None:
                break
            after = page["next"]
        assert received <= seen
    finally:
        srv2.terminate()
        srv2.wait()
