"""The HTTP API of PROTOCOL.md: snapshot, ?at=, log pages, msgpack, SVG, health, errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, pen, rect

pytestmark = pytest.mark.gen_test(timeout=30)


async def _draw_history(a: Client) -> None:
    """seq 1: add r1, 2: add p1, 3: append p1, 4: update r1, 5: delete r1."""
    steps: list[dict[str, Any]] = [
        {"k": "add", "e": rect("r1")},
        {"k": "add", "e": pen("p1")},
        {"k": "append", "id": "p1", "pts": [2, 2]},
        {"k": "update", "id": "r1", "set": {"x": 50}},
        {"k": "delete", "ids": ["r1"]},
    ]
    for step in steps:
        (c,) = await a.ops(step)
        await a.acked(c)


async def _json(url: str, path: str) -> tuple[int, Any]:
    resp = await fetch(url, path)
    return resp.code, json.loads(resp.body)


async def test_health(url: str) -> None:
    resp = await fetch(url, "/healthz")
    assert resp.code == 200 and resp.body == b"ok"
    assert (await fetch(url, "/healthz", method="HEAD")).code == 200  # what monitors send


async def test_pages(url: str) -> None:
    assert (await fetch(url, "/")).code == 200
    page = await fetch(url, "/b/my-board")
    assert page.code == 200 and b'data-board="my-board"' in page.body
    assert (await fetch(url, "/b/_x")).code == 404
    bad = await fetch(url, "/b/bad.id")
    assert bad.code == 404 and b"No such board" in bad.body and b'href="/"' in bad.body


async def test_unknown_board_is_empty_and_not_created(url: str, store: Any) -> None:
    code, body = await _json(url, "/api/boards/never-seen")
    assert code == 200 and body == {"board": "never-seen", "seq": 0, "elements": []}
    assert await store.head("never-seen") == 0
    code, body = await _json(url, "/api/boards/never-seen/ops")
    assert body == {"ops": [], "next": None, "names": {}}


async def test_snapshot_and_at(url: str, board: str) -> None:
    a = await connect(url, board)
    await _draw_history(a)
    code, head = await _json(url, f"/api/boards/{board}")
    assert code == 200 and head["seq"] == 5
    assert [e["id"] for e in head["elements"]] == ["p1"]
    assert head["elements"][0]["pts"] == [0, 0, 1, 1, 2, 2]
    _, at0 = await _json(url, f"/api/boards/{board}?at=0")
    assert at0 == {"board": board, "seq": 0, "elements": []}
    _, at1 = await _json(url, f"/api/boards/{board}?at=1")
    assert at1["elements"] == [rect("r1")]
    _, at2 = await _json(url, f"/api/boards/{board}?at=2")
    assert [e["id"] for e in at2["elements"]] == ["r1", "p1"]
    assert at2["elements"][1]["pts"] == [0, 0, 1, 1]
    _, at4 = await _json(url, f"/api/boards/{board}?at=4")
    assert at4["elements"][0]["x"] == 50
    _, at5 = await _json(url, f"/api/boards/{board}?at=5")
    assert at5["elements"] == head["elements"]


async def test_ops_paging(url: str, board: str) -> None:
    a = await connect(url, board)
    await _draw_history(a)
    _, all_ops = await _json(url, f"/api/boards/{board}/ops")
    assert [op["s"] for op in all_ops["ops"]] == [1, 2, 3, 4, 5] and all_ops["next"] is None
    for op in all_ops["ops"]:
        assert isinstance(op["ts"], int) and op["by"] == a.welcome["me"]
    _, page1 = await _json(url, f"/api/boards/{board}/ops?limit=2")
    assert [op["s"] for op in page1["ops"]] == [1, 2] and page1["next"] == 2
    _, page2 = await _json(url, f"/api/boards/{board}/ops?after=2&limit=2")
    assert [op["s"] for op in page2["ops"]] == [3, 4] and page2["next"] == 4
    _, page3 = await _json(url, f"/api/boards/{board}/ops?after=4&limit=2")
    assert [op["s"] for op in page3["ops"]] == [5] and page3["next"] is None
    _, end = await _json(url, f"/api/boards/{board}/ops?after=5")
    assert end == {"ops": [], "next": None, "names": {}}


async def test_paging_within_one_tick(url: str, board: str) -> None:
    """Ops of one tick share a stored row; pages still split it at the right op."""
    a = await connect(url, board)
    cs = await a.ops(*({"k": "add", "e": pen(f"p{i}")} for i in range(10)))
    await a.acked(cs[-1])
    seen = []
    after = 0
    while True:
        _, page = await _json(url, f"/api/boards/{board}/ops?after={after}&limit=3")
        seen += [op["s"] for op in page["ops"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == list(range(1, 11))


async def test_msgpack_answers(url: str, board: str) -> None:
    a = await connect(url, board)
    await _draw_history(a)
    hdr = {"Accept": "application/msgpack"}
    resp = await fetch(url, f"/api/boards/{board}", headers=hdr)
    assert resp.headers["Content-Type"] == "application/msgpack"
    body = msgpack.unpackb(resp.body)
    assert body["seq"] == 5 and body["elements"][0]["id"] == "p1"
    resp = await fetch(url, f"/api/boards/{board}/ops?limit=2", headers=hdr)
    assert msgpack.unpackb(resp.body)["next"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/api/boards/b?at=6",
        "/api/boards/b?at=-1",
        "/api/boards/b?at=1.5",
        "/api/boards/b?at=x",
        "/api/boards/b?at=",
        "/api/boards/b/ops?limit=0",
        "/api/boards/b/ops?limit=10001",
        "/api/boards/b/ops?limit=ten",
        "/api/boards/b/ops?after=-1",
        "/api/boards/b/ops?after=99",
        "/api/boards/b/export.svg?at=7",
        "/api/boards/-b",
        "/api/boards/-b/ops",
        "/api/boards/%20/export.svg",
    ],
)
async def test_malformed_parameters_are_400_with_json(url: str, path: str) -> None:
    a = await connect(url, "b")
    if a.welcome["seq"] == 0:
        await _draw_history(a)
    code, body = await _json(url, path)
    assert code == 400 and isinstance(body["error"], str) and body["error"]


async def test_svg_export_is_well_formed_and_escapes_text(url: str, board: str) -> None:
    a = await connect(url, board)
    evil = '<script>alert(1)</script> & "quotes"'
    els = [
        pen("p", pts=[0, 0, 5, 5, 5, -5]),
        {"id": "l", "type": "line", "x": 0, "y": 0, "w": 10, "h": 10, "stroke": "#ff0000",
         "width": 2},
        {"id": "a", "type": "arrow", "x": -5, "y": 0, "w": 10, "h": -10, "stroke": "#00ff00",
         "width": 2},
        {**rect("r", w=-20, h=30), "fill": "#ffff0080"},
        {"id": "e", "type": "ellipse", "x": 0, "y": 0, "w": 30, "h": 10, "stroke": "#0000ff",
         "width": 3},
        {"id": "t", "type": "text", "x": 0, "y": 0, "text": evil + "\nline 2", "size": 20,
         "stroke": "#000000"},
    ]  # fmt: skip
    cs = await a.ops(*({"k": "add", "e": e} for e in els))
    await a.acked(cs[-1])
    resp = await fetch(url, f"/api/boards/{board}/export.svg")
    assert resp.code == 200 and resp.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(resp.body)
    ns = "{http://www.w3.org/2000/svg}"
    tags = [child.tag.removeprefix(ns) for child in root]
    for tag in ("polyline", "line", "rect", "ellipse", "text"):
        assert tag in tags
    assert b"<script" not in resp.body
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    assert texts == [evil + "line 2"]
    old = await fetch(url, f"/api/boards/{board}/export.svg?at=1")
    assert ET.fromstring(old.body).find(ns + "polyline") is not None
    assert ET.fromstring(old.body).find(ns + "ellipse") is None
