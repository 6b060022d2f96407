"""``python -m whiteboard.backup`` copies a live database that clients are drawing on.

What an operator relies on: the backup is one consistent moment of every board (a prefix of
each log, never half a tick), it holds everything anyone had been shown before it started, and
a server started on nothing but that file serves exactly that moment and carries on from it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, pen
from tests.server.subprocess_server import ROOT, ServerProcess
from whiteboard.store.sqlite import DB_NAME

pytestmark = pytest.mark.gen_test(timeout=120)

BOARD = "backed-up"
OPS_BEFORE_BACKUP = 3000
OPS_AFTER_BACKUP = 300


class Watcher:
    """Records every op a client receives, by seq, and lets a test wait for a given seq."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.ops: dict[int, dict[str, Any]] = {}
        self.head = 0
        self._progress = asyncio.Condition()
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while (msg := await self.client.recv(30)) is not None:
            if msg["t"] != "ops":
                continue
            for op in msg["ops"]:
                self.ops[op["s"]] = {**op, "ts": msg["ts"]}  # as the ops API gives it
            self.head = max(self.ops)
            async with self._progress:
                self._progress.notify_all()

    async def reach(self, seq: int, timeout: float = 30) -> None:
        async with self._progress:
            await asyncio.wait_for(self._progress.wait_for(lambda: self.head >= seq), timeout)


async def draw(client: Client, tag: str, stop: asyncio.Event) -> int:
    """Draw strokes, one frame of appends at a time, each frame waiting for its echo (as a
    browser's pen keeps a few frames in flight); returns the last seq acknowledged."""
    me = client.welcome["me"]
    last_seq = 0
    stroke = 0
    while not stop.is_set():
        eid = f"{tag}-{stroke}"
        ops = [{"k": "add", "e": pen(eid)}]
        for frame in range(20):
            ops += [{"k": "append", "id": eid, "pts": [frame, i] * 8} for i in range(4)]
            cs = await client.ops(*ops)
            while True:
                msg = await client.recv()
                assert msg is not None, "the server closed a drawer"
                assert not (msg["t"] == "err" and msg.get("c") in cs), msg
                if msg["t"] == "ops":
                    mine = [op["s"] for op in msg["ops"] if op["by"] == me and op["c"] == cs[-1]]
                    if mine:
                        last_seq = mine[0]
                        break
            ops = []
        stroke += 1
    return last_seq


async def run_backup(data: Path, out: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whiteboard.backup", "--data", str(data), "--out", str(out),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    return stdout.decode()


def head_of(db_file: Path, board: str) -> int:
    with sqlite3.connect(db_file) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (head,) = db.execute("SELECT MAX(last_seq) FROM log WHERE board = ?", (board,)).fetchone()
    return int(head)


async def all_ops(url: str, board: str) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    after = 0
    while True:
        resp = await fetch(
            url,
            f"/api/boards/{board}/ops?after={after}&limit=10000",
            headers={"Accept": "application/msgpack"},
        )
        page = msgpack.unpackb(resp.body, raw=False)
        ops += page["ops"]
        if page["next"] is None:
            return ops
        after = page["next"]


async def test_backup_of_a_board_being_drawn_on_restores_a_consistent_moment(
    tmp_path: Path,
) -> None:
    live_data = tmp_path / "live"
    backup_file = tmp_path / "backup.sqlite3"
    live = ServerProcess(str(live_data)).start()
    try:
        watcher = Watcher(await connect(live.url, BOARD, "watcher"))
        drawers = [await connect(live.url, BOARD, f"drawer {i}") for i in range(3)]
        stop = asyncio.Event()
        drawing = [asyncio.ensure_future(draw(d, f"s{i}", stop)) for i, d in enumerate(drawers)]

        await watcher.reach(OPS_BEFORE_BACKUP)
        shown_before_backup = watcher.head
        report = await run_backup(live_data, backup_file)  # the drawers keep drawing meanwhile
        assert report.startswith("backed up 1 boards")

        backup_head = head_of(backup_file, BOARD)
        assert backup_head >= shown_before_backup
        # The board moved on after the snapshot: the backup is a moment of a live database.
        await watcher.reach(backup_head + OPS_AFTER_BACKUP)
        resp = await fetch(live.url, f"/api/boards/{BOARD}?at={backup_head}")
        state_at_backup = json.loads(resp.body)

        stop.set()
        final = max(await asyncio.gather(*drawing))
        await watcher.reach(final)
        await watcher.client.close()
        await asyncio.wait_for(watcher.task, 10)
    finally:
        live.terminate()
        live.wait()
    assert final > backup_head

    restored_data = tmp_path / "restored"
    restored_data.mkdir()
    shutil.copyfile(backup_file, restored_data / DB_NAME)
    restored = ServerProcess(str(restored_data)).start()
    try:
        resp = await fetch(restored.url, f"/api/boards/{BOARD}")
        assert json.loads(resp.body) == state_at_backup
        assert state_at_backup["seq"] == backup_head

        # Every op up to the backup's head, exactly as the clients received it, and no other.
        ops = await all_ops(restored.url, BOARD)
        assert [op["s"] for op in ops] == list(range(1, backup_head + 1))
        assert ops == [watcher.ops[s] for s in range(1, backup_head + 1)]

        # The restored board is live: a client joins at the backup's head and draws on.
        client = await connect(restored.url, BOARD, "after restore")
        assert client.welcome["seq"] == backup_head
        (c,) = await client.ops({"k": "add", "e": pen("new")})
        assert (await client.acked(c))["s"] == backup_head + 1
    finally:
        restored.terminate()
        restored.wait()
    assert "Traceback" not in live.output() + restored.output()


async def test_backup_refuses_a_directory_without_a_database(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whiteboard.backup", "--data", str(tmp_path / "typo"),
        "--out", str(tmp_path / "b.sqlite3"), cwd=ROOT, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert b"no database at" in stderr
    assert not (tmp_path / "typo").exists()  # nothing created where the path was mistyped
    assert not (tmp_path / "b.sqlite3").exists()


async def test_backup_names_a_missing_output_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / DB_NAME).close()
    out = tmp_path / "nodir" / "b.sqlite3"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whiteboard.backup", "--data", str(tmp_path / "data"),
        "--out", str(out), cwd=ROOT, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert f"no directory {out.parent} for --out".encode() in stderr
