"""Every writer of the log (a board's tick, a fork, an import) stores server ops the way
``protocol.server_op`` orders their keys, which is what lets history/pages.py answer log pages
by copying bytes (tests/unit/test_server_op.py has the byte-level cases).

Pages read right either way, so the log is checked through ``splice``'s count of ops it had to
decode: none, for any op this server stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.server.conftest import connect, fetch, pen, rect
from whiteboard.history.pages import splice
from whiteboard.store.base import Store

pytestmark = pytest.mark.gen_test(timeout=30)


async def _post(url: str, path: str, body: bytes = b"") -> dict[str, Any]:
    resp = await fetch(url, path, method="POST", body=body)
    assert resp.code == 201, resp.body
    answer: dict[str, Any] = json.loads(resp.body)
    return answer


async def test_every_log_writer_stores_ops_as_server_op_orders_them(
    url: str, board: str, store: Store
) -> None:
    ana = await connect(url, board, name="Ana")
    ops: list[dict[str, Any]] = [
        {"k": "add", "e": {**pen("p1", pts=[0, 0, 1, 1]), "pr": [5, 6], "ps": 2, "z": 1.5}},
        {"k": "append", "id": "p1", "pts": [2, 2], "pr": [7]},
        {"k": "add", "e": {**rect("r1"), "fill": "#ff000080"}},
        {"k": "update", "id": "r1", "set": {"x": 0.25, "fill": None}},
        {"c": 900, "k": "add", "e": rect("r2")},  # keys in another order than the others
        {"k": "delete", "ids": ["r2", "gone"]},  # stored with the ids it deleted only
    ]
    cs = await ana.ops(*ops)
    head = (await ana.acked(cs[-1]))["s"]
    forked = (await _post(url, f"/api/boards/{board}/fork"))["board"]
    exported = (await fetch(url, f"/api/boards/{board}/export.wbd")).body
    imported = (await _post(url, "/api/boards/import", exported))["board"]
    for written_by in (board, forked, imported):
        page = splice(await store.read_log_page(written_by, 0, 10_000), 0, 10_000)
        assert page.count >= 1 and page.decoded == 0, written_by
    assert splice(await store.read_log_page(board, 0, 100), 0, 100).count == head
