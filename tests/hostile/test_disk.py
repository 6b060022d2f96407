"""Disk bounded (issue 12, part 3), against a real server process."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.churn import churn, written
from tests.server.subprocess_server import ServerProcess


def test_churn_with_fresh_ids_writes_checkpoints_the_size_of_the_live_state(
    tmp_path: Path,
) -> None:
    """Thousands of ids added and deleted, about 20 live at any time: every checkpoint holds the
    live state only (each id ever added made every later checkpoint longer, so the disk grew
    with the square of the ops), and each deleted id's first add is kept once."""
    data = tmp_path / "data"
    srv = ServerProcess(str(data), "--checkpoint-every", "200").start()
    try:
        ops = churn(srv.url, "churn", seconds=2.5)
    finally:
        srv.kill()
    found = written(data, "churn")
    assert ops >= 2000 and found.checkpoints >= 8, (ops, found)
    # 20-odd rectangles take ~1.5 KB; the first adds of 2,000 ids alone would take 16 KB.
    assert found.largest_state_bytes < 4000, found
    assert found.first_add_rows >= ops * 0.8, "each deleted id's first add is kept, once"
