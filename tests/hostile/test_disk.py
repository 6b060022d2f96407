"""Disk bounded (issue 12, part 3), against a real server process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.churn import churn, written
from tests.hostile.test_faults import draw, hello
from tests.hostile.test_small import request as request_http
from tests.images import png
from tests.redis.redis_server import RedisServer
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


PNG = png()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    yield server.url
    server.stop()


def _pen(id: str, values: int) -> dict[str, Any]:
    return {"id": id, "type": "pen", "x": 0, "y": 0, "stroke": "#112233", "width": 2,
            "pts": [(i * 7919) % 2001 - 1000 for i in range(values)]}  # fmt: skip


def fill_until_refused(url: str, board: str) -> tuple[int, dict[str, Any]]:
    """Big pens (about 30 KB each) until one is refused: the number acknowledged, the refusal."""
    ws = hello(url, board)
    try:
        for c in range(1, 200):
            ws.send({"t": "ops", "ops": [{"c": c, "k": "add", "e": _pen(f"p{c}", 10_000)}]})
            msg = ws.recv(timeout=10)
            while msg is not None and msg["t"] == "presence":
                msg = ws.recv(timeout=10)
            assert msg is not None, "no answer"
            if msg["t"] == "err":
                return c - 1, msg
            assert msg["t"] == "ops" and msg["ops"][0]["c"] == c, msg
        raise AssertionError("never refused")
    finally:
        ws.close()


@pytest.mark.parametrize("mode", ["sqlite", "redis"])
def test_a_full_board_refuses_edits_with_a_sentence_and_loses_nothing(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    args = ["--board-mb", "1"]
    if mode == "redis":
        redis = request.getfixturevalue("redis_url")
        args += ["--redis", redis]
    srv = ServerProcess(str(tmp_path / "data"), *args).start()
    try:
        kept, refusal = fill_until_refused(srv.url, "full")
        assert refusal["code"] == "board_full" and "This board is full" in refusal["msg"]
        assert "most 1 MB" in refusal["msg"] and 25 <= kept <= 40, (kept, refusal)
        status, _, body = request_http(srv.url, "POST", "/api/boards/full/blobs", PNG,
                                       {"Content-Type": "image/png"})  # fmt: skip
        assert status == 507 and "This board is full" in json.loads(body)["error"]
        status, _, body = request_http(srv.url, "POST", "/api/boards/full/fork")
        assert status == 507 and "That would make the board" in json.loads(body)["error"]
        other, _ = fill_until_refused(srv.url, "other")  # a cap per board, not for all
        assert other == kept
    finally:
        srv.kill()
    srv = ServerProcess(str(tmp_path / "data"), *args).start()  # everything acknowledged is kept
    try:
        status, _, body = request_http(srv.url, "GET", "/api/boards/full")
        assert len(json.loads(body)["elements"]) == kept
    finally:
        srv.kill()


@pytest.mark.parametrize("mode", ["sqlite", "redis"])
def test_a_full_store_refuses_edits_and_creations(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    args = ["--disk-mb", "2"]
    if mode == "redis":  # an empty Redis takes about 1 MB of memory
        args += ["--redis", request.getfixturevalue("redis_url")]
    srv = ServerProcess(str(tmp_path / "data"), *args).start()
    try:
        assert request_http(srv.url, "POST", "/api/boards", b"{}")[0] == 201
        kept, refusal = fill_until_refused(srv.url, "big")
        assert refusal["code"] == "board_full", refusal
        assert "The server's storage is full" in refusal["msg"] and kept >= 1
        status, _, body = request_http(srv.url, "POST", "/api/boards", b"{}")
        assert status == 507 and "storage is full" in json.loads(body)["error"]
    finally:
        srv.kill()
