"""Add/delete churn with fresh ids, and what it left in a stopped server's database: shared by
the hostile test and ``bench/churn_bench.py`` (issue 12: every checkpoint once carried the
first add of every id ever seen, so such churn wrote checkpoints growing with the square of
the ops)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tests.server.conftest import rect
from tests.server.wsclient import WsClient
from whiteboard.store.sqlite import DB_NAME


def churn(
    url: str,
    board: str,
    *,
    seconds: float,
    max_ops: int | None = None,
    live: int = 20,
    per_frame: int = 50,
) -> int:
    """Add ``per_frame`` rectangles with fresh ids per frame and delete as many of the oldest,
    keeping about ``live`` on the board, for ``seconds`` or until ``max_ops`` (each frame waits
    for its ops to come back, so the server sets the pace). Returns the ops committed."""
    ws = WsClient.connect(url, f"/ws/{board}", timeout=10)
    ws.send({"t": "hello", "v": 1, "name": "churn"})
    welcome = ws.recv()
    assert welcome is not None and welcome["t"] == "welcome", welcome
    alive: list[str] = []
    n = committed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and (max_ops is None or committed < max_ops):
        ops = []
        for _ in range(per_frame):
            n += 1
            alive.append(f"c{n}")
            ops.append({"c": n, "k": "add", "e": rect(f"c{n}", n % 500)})
        doomed, alive = alive[: max(0, len(alive) - live)], alive[max(0, len(alive) - live) :]
        if doomed:
            n += 1
            ops.append({"c": n, "k": "delete", "ids": doomed})
        ws.send({"t": "ops", "ops": ops})
        seen = 0
        while seen < len(ops):
            msg = ws.recv(timeout=10)
            assert msg is not None and msg["t"] != "err", msg
            if msg["t"] == "ops":
                seen += len(msg["ops"])
        committed += seen
    ws.close()
    return committed


@dataclass
class Written:
    """What a board's checkpoints take in the database."""

    checkpoints: int
    state_bytes: int  # all checkpoint states
    layout_bytes: int
    last_state_bytes: int
    largest_state_bytes: int
    first_add_rows: int  # deleted ids' first adds kept beside the checkpoints (0 before)
    first_add_bytes: int

    @property
    def total(self) -> int:
        return self.state_bytes + self.layout_bytes + self.first_add_bytes


def written(data: Path, board: str) -> Written:
    """Read from the database of a server that has stopped (it holds an exclusive lock)."""
    conn = sqlite3.connect(data / DB_NAME)
    try:
        count, total, largest = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0), COALESCE(MAX(LENGTH(state)), 0)"
            " FROM checkpoints WHERE board = ?",
            (board,),
        ).fetchone()
        (layouts,) = conn.execute(
            "SELECT COALESCE(SUM(LENGTH(layout)), 0) FROM checkpoint_layouts WHERE board = ?",
            (board,),
        ).fetchone()
        last = conn.execute(
            "SELECT LENGTH(state) FROM checkpoints WHERE board = ? ORDER BY seq DESC LIMIT 1",
            (board,),
        ).fetchone()
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        rows = first_bytes = 0
        if "first_adds" in tables:
            rows, first_bytes = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(id) + 8), 0) FROM first_adds WHERE board = ?",
                (board,),
            ).fetchone()
    finally:
        conn.close()
    return Written(count, total, layouts, last[0] if last else 0, largest, rows, first_bytes)
