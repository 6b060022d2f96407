"""Disk bounded (issue 12, part 3), against a real server process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.hostile.churn import churn, written
from tests.hostile.test_faults import draw, hello
from tests.server.subprocess_server import ServerProcess
from whiteboard.store.sqlite import DB_NAME


def test_churn_with_fresh_ids_writes_checkpoints_the_size_of_the_live_state(
    tmp_path: Path,
) -> None:
    """Thousands of ids added and deleted, about 20 live at any time: every checkpoint holds the
    live state only (each id ever added made every later checkpoint longer, so the disk grew
    with the square of the ops), and each deleted id's first add is kept once."""
    data = tmp_path / "data"
    srv = ServerProcess(str(data), "--checkpoint-every", "200").start()
    try:
        ops = churn(srv.url, "churn", seconds=10, max_ops=3000)  # within one connection's burst
    finally:
        srv.kill()
    found = written(data, "churn")
    assert ops >= 2000 and found.checkpoints >= 8, (ops, found)
    # 20-odd rectangles take ~1.5 KB; the first adds of 2,000 ids alone would take 16 KB.
    assert found.largest_state_bytes < 4000, found
    assert found.first_add_rows >= ops * 0.8, "each deleted id's first add is kept, once"


def test_connections_that_never_edit_leave_no_client_row(tmp_path: Path) -> None:
    """Readers come and go without a durable row each (join/leave churn wrote one per
    connection for ever); an author's row is written with its first op. Ids stay unique for
    all time all the same: a restart gives no id twice."""
    data = tmp_path / "data"
    srv = ServerProcess(str(data)).start()
    try:
        seen = [hello(srv.url, "b") for _ in range(30)]
        ids = [ws.welcome["me"] for ws in seen]  # type: ignore[attr-defined]
        for ws in seen:
            ws.close()
        draw(srv.url, "b", n=2)
    finally:
        srv.kill()
    conn = sqlite3.connect(data / DB_NAME)
    try:
        rows = conn.execute("SELECT id, name FROM clients WHERE board = 'b'").fetchall()
    finally:
        conn.close()
    assert rows == [(31, "h")], "only the author's row"
    assert ids == list(range(1, 31))
    srv = ServerProcess(str(data)).start()
    try:
        ws = hello(srv.url, "b")
        assert ws.welcome["me"] == 32, "no id is given twice, rows or not"  # type: ignore[attr-defined]
        ws.close()
    finally:
        srv.kill()
