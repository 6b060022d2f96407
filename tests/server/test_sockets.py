"""The WebSocket side of PROTOCOL.md, exercised over real sockets against a real SQLite file."""

from __future__ import annotations

import asyncio
from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, pen, rect
from whiteboard.config import Settings

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_welcome_on_a_fresh_board(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    w = a.welcome
    assert w["v"] == 1 and w["board"] == board and w["seq"] == 0
    assert w["me"] >= 1 and w["color"].startswith("#")
    assert w["elements"] == [] and w["ops"] is None and w["peers"] == []
    for key in (
        "frame_bytes", "ops_per_frame", "values_per_op", "values_per_element",
        "elements_per_board", "text_chars", "ops_per_s", "ops_burst", "backlog_bytes",
    ):  # fmt: skip
        assert key in w["limits"], key


async def test_ops_fan_out_to_everyone_including_the_author(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    (c,) = await a.ops({"k": "add", "e": rect("r1")})
    sop = await a.acked(c)
    assert sop["s"] == 1 and sop["by"] == a.welcome["me"] and sop["e"]["id"] == "r1"
    got = await b.expect_type("ops")
    assert got["ops"][0]["s"] == 1 and isinstance(got["ts"], int)
    assert got["ops"][0]["by"] == a.welcome["me"]


async def test_refusal_goes_to_the_author_only(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    (c,) = await a.ops({"k": "delete", "ids": ["nope"]})
    err = await a.expect_type("err")
    assert err["code"] == "not_found" and err["c"] == c and err["msg"]
    # B sees nothing of it: the next thing B gets is A's next, valid op.
    (c2,) = await a.ops({"k": "add", "e": rect("r1")})
    await a.acked(c2)
    msg = await b.expect(lambda m: m["t"] in ("ops", "err"))
    assert msg["t"] == "ops" and msg["ops"][0]["s"] == 1


async def test_sequence_numbers_have_no_gaps_under_concurrent_writers(url: str, board: str) -> None:
    clients = [await connect(url, board, f"c{i}") for i in range(4)]
    watcher = await connect(url, board, "watcher")
    per_client = 50

    async def draw(i: int, cl: Client) -> None:
        for j in range(per_client):
            await cl.ops({"k": "add", "e": pen(f"p{i}-{j}")})

    await asyncio.gather(*(draw(i, cl) for i, cl in enumerate(clients)))
    seen: list[int] = []
    while len(seen) < per_client * len(clients):
        msg = await watcher.expect_type("ops")
        seen.extend(op["s"] for op in msg["ops"])
    assert seen == list(range(1, per_client * len(clients) + 1))


async def test_presence_join_leave_and_cursors(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    assert [p["name"] for p in b.welcome["peers"]] == ["Ada"]
    join = await a.expect(lambda m: m["t"] == "presence" and "join" in m)
    assert join["join"] == [{"id": b.welcome["me"], "name": "Bob", "color": b.welcome["color"]}]

    await b.send({"t": "cursor", "x": 10.5, "y": -3})
    cur = await a.expect(lambda m: m["t"] == "presence" and "cur" in m)
    assert cur["cur"] == [[b.welcome["me"], 10.5, -3]]
    await b.send({"t": "cursor", "x": None, "y": None})
    cur = await a.expect(lambda m: m["t"] == "presence" and "cur" in m)
    assert cur["cur"] == [[b.welcome["me"], None, None]]

    await b.close()
    leave = await a.expect(lambda m: m["t"] == "presence" and "leave" in m)
    assert leave["leave"] == [b.welcome["me"]]


async def test_own_cursor_is_never_echoed(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    await a.send({"t": "cursor", "x": 1, "y": 2})
    await b.expect(lambda m: m["t"] == "presence" and "cur" in m)
    # A now draws; if A's own cursor had been echoed, it would arrive before this ack.
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)
    assert not any(m["t"] == "presence" and "cur" in m for m in a.inbox)


async def test_client_ids_are_unique_for_all_time(url: str, board: str) -> None:
    ids = set()
    for i in range(5):
        cl = await connect(url, board, f"n{i}")
        ids.add(cl.welcome["me"])
        await cl.close()
    assert len(ids) == 5


async def test_hello_must_come_first(url: str, board: str) -> None:
    a = await connect(url, board, name=None)
    await a.send({"t": "ops", "ops": [{"k": "delete", "c": 1, "ids": ["x"]}]})
    err = await a.expect_type("err")
    assert err["code"] == "bad_message" and "c" not in err
    assert await a.expect_close() == 1008


@pytest.mark.parametrize(
    "hello",
    [
        {"t": "hello", "v": 2, "name": "x"},
        {"t": "hello", "v": 1, "name": "   "},
        {"t": "hello", "v": 1, "name": "x" * 41},
        {"t": "hello", "v": 1},
        {"t": "hello", "v": 1, "name": "x", "since": -1},
        {"t": "hello", "v": 1, "name": "x", "since": 1.0},
    ],
)
async def test_invalid_hello_is_refused_then_closed(
    url: str, board: str, hello: dict[str, Any]
) -> None:
    a = await connect(url, board, name=None)
    await a.send(hello)
    err = await a.expect_type("err")
    assert err["code"] == "bad_message"
    assert await a.expect_close() == 1008


async def test_text_frame_closes_1003(url: str, board: str) -> None:
    a = await connect(url, board)
    await a.send_raw("hello", binary=False)
    assert await a.expect_close() == 1003


@pytest.mark.parametrize("data", [b"\xc1", msgpack.packb([1, 2]), msgpack.packb(1) + b"\x01"])
async def test_invalid_msgpack_or_not_a_map_closes_1007(url: str, board: str, data: bytes) -> None:
    a = await connect(url, board)
    await a.send_raw(data)
    assert await a.expect_close() == 1007


async def test_oversized_frame_closes_1009(url: str, board: str) -> None:
    a = await connect(url, board)
    await a.send_raw(b"\x00" * ((1 << 20) + 1))
    assert await a.expect_close() == 1009


async def test_bad_messages_after_hello_keep_the_connection(url: str, board: str) -> None:
    a = await connect(url, board)
    for msg in (
        {"t": "nope"},
        {"t": "hello", "v": 1, "name": "again"},
        {"t": "cursor", "x": "1", "y": 2},
        {"t": "ops", "ops": []},
        {"t": "ops", "ops": [{"k": "delete", "c": i, "ids": ["x"]} for i in range(257)]},
    ):
        await a.send(msg)
        err = await a.expect_type("err")
        assert err["code"] == "bad_message" and "c" not in err, msg
    (c,) = await a.ops({"k": "add", "e": rect("ok")})
    await a.acked(c)


async def test_each_op_of_a_frame_is_judged_on_its_own(url: str, board: str) -> None:
    a = await connect(url, board)
    await a.send(
        {
            "t": "ops",
            "ops": [
                {"k": "add", "c": 1, "e": rect("a")},
                {"k": "add", "c": 2, "e": rect("a")},
                {"k": "add", "c": 3, "e": {**rect("b"), "bogus": 1}},
                {"k": "zap", "c": 4},
                {"c": "x"},
                {"k": "add", "c": 6, "e": rect("c")},
            ],
        }
    )
    codes: dict[Any, str] = {}
    acked: set[int] = set()
    while len(codes) < 4 or len(acked) < 2:
        m = await a.expect(lambda m: m["t"] in ("err", "ops"))
        if m["t"] == "err":
            codes[m.get("c")] = m["code"]
        else:
            acked.update(op["c"] for op in m["ops"])
    assert codes == {2: "exists", 3: "bad_op", 4: "bad_op", None: "bad_op"}
    assert acked == {1, 6}


async def test_ops_right_after_hello_are_handled_after_welcome(url: str, board: str) -> None:
    a = await connect(url, board, name=None)
    await a.send({"t": "hello", "v": 1, "name": "quick"})
    await a.send({"t": "ops", "ops": [{"k": "add", "c": 1, "e": rect("r")}]})
    first = await a.recv()
    assert first is not None and first["t"] == "welcome"
    a.welcome = first
    sop = await a.acked(1)
    assert sop["s"] == 1


@pytest.mark.parametrize("board_id", ["-x", "a" * 65, "a.b", "%C3%A9"])
async def test_malformed_board_id_is_404_before_upgrade(url: str, board_id: str) -> None:
    with pytest.raises(Exception) as info:
        await connect(url, board_id)
    assert "404" in str(info.value)


async def test_foreign_origin_is_403(url: str, board: str) -> None:
    with pytest.raises(Exception) as info:
        await connect(url, board, headers={"Origin": "http://evil.example"})
    assert "403" in str(info.value)


async def test_same_host_origin_is_allowed(url: str, board: str) -> None:
    a = await connect(url, board, headers={"Origin": url})
    assert a.welcome["seq"] == 0


async def test_welcome_elements_equal_the_snapshot(url: str, board: str) -> None:
    a = await connect(url, board)
    cs = await a.ops({"k": "add", "e": rect("r1")}, {"k": "add", "e": pen("p1")})
    await a.acked(cs[-1])
    b = await connect(url, board)
    snap = await fetch(url, f"/api/boards/{board}")
    import json

    body = json.loads(snap.body)
    assert b.welcome["seq"] == body["seq"] == 2
    assert b.welcome["elements"] == body["elements"]
    assert [e["id"] for e in b.welcome["elements"]] == ["r1", "p1"]


async def test_a_dropped_connection_leaves_at_once(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    await a.expect(lambda m: m["t"] == "presence" and "join" in m)
    await b.send_raw("not binary", binary=False)  # the server drops B (1003)...
    leave = await a.expect(lambda m: m["t"] == "presence" and "leave" in m)
    assert leave["leave"] == [b.welcome["me"]]  # ...and A hears of it
    assert await b.expect_close() == 1003


async def test_idle_board_unloads_and_comes_back(url: str, board: str, hub: Any) -> None:
    a = await connect(url, board)
    (c,) = await a.ops({"k": "add", "e": rect("r")})
    await a.acked(c)
    assert hub.loaded(board) is not None
    await a.close()
    deadline = asyncio.get_running_loop().time() + 5
    while hub.loaded(board) is not None:  # idle_unload_s is 0.2 s in tests
        assert asyncio.get_running_loop().time() < deadline, "board never unloaded"
        await asyncio.sleep(0.02)
    b = await connect(url, board)
    assert [e["id"] for e in b.welcome["elements"]] == ["r"] and b.welcome["seq"] == 1


class TestAllowList:
    @pytest.fixture
    def settings(self, tmp_path: Any) -> Settings:
        return Settings(data=str(tmp_path / "data"), allow_origin=("https://board.example.com",))

    async def test_listed_origin_is_allowed_and_others_are_not(self, url: str, board: str) -> None:
        a = await connect(url, board, headers={"Origin": "https://board.example.com"})
        assert a.welcome["seq"] == 0
        with pytest.raises(Exception) as info:
            await connect(url, board, headers={"Origin": "https://board.example.com.evil.io"})
        assert "403" in str(info.value)

    async def test_no_origin_header_is_allowed(self, url: str, board: str) -> None:
        a = await connect(url, board)  # non-browser clients send no Origin
        assert a.welcome["me"] >= 1
