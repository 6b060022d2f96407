"""Several server processes on one Redis serve one board together.

Each test starts real ``server.py --redis URL`` processes on their own ports, as an operator
would behind a load balancer without sticky sessions, and talks to them over real sockets.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
import tornado.websocket

from tests.compact import decode_compact
from tests.redis.redis_server import RedisServer
from tests.server.conftest import Client, connect, fetch, pen
from tests.server.subprocess_server import ServerProcess

pytestmark = pytest.mark.gen_test(timeout=90)


@pytest.fixture
def servers(tmp_path: Path, redis_server: RedisServer) -> Iterator[list[ServerProcess]]:
    """Two processes sharing one Redis (flushed first: every test starts from nothing)."""
    import redis

    with redis.Redis.from_url(redis_server.url) as r:
        r.flushdb()
    procs = [
        ServerProcess(str(tmp_path / f"unused{i}"), "--redis", redis_server.url).start()
        for i in range(2)
    ]
    yield procs
    for p in procs:
        if p.proc is not None and p.proc.poll() is None:
            p.terminate()
            assert p.wait() == 0
        assert "Traceback" not in p.output(), p.output()


async def _log(url: str, board: str) -> list[dict[str, Any]]:
    """The board's whole log through the history API."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = json.loads((await fetch(url, f"/api/boards/{board}/ops?after={after}")).body)
        out += page["ops"]
        if page.get("next") is None:
            return out
        after = page["next"]


def _key(sop: dict[str, Any]) -> tuple[int, int, int]:
    return sop["s"], sop["by"], sop["c"]


async def _collect(client: Client, total: int) -> list[tuple[int, int, int]]:
    """Every op the client receives until it has seen ``total``."""
    seen: list[tuple[int, int, int]] = []
    while len(seen) < total:
        msg = await client.expect_type("ops", timeout=20)
        seen += [_key(sop) for sop in msg["ops"]]
    return seen


async def _compact_client(url: str, board: str) -> Client:
    """A client that asked for compact live ops (docs/protocol.md, "Compact live ops")."""
    client = await connect(url, board, None)
    await client.send({"t": "hello", "v": 1, "name": "compact", "compact": 1})
    while True:
        msg = msgpack.unpackb(await client.conn.read_message())
        if isinstance(msg, dict) and msg["t"] == "welcome":
            return client


async def _collect_compact(client: Client, total: int) -> list[tuple[int, int, int]]:
    seen: list[tuple[int, int, int]] = []
    while len(seen) < total:
        data = await asyncio.wait_for(client.conn.read_message(), 20)
        msg = msgpack.unpackb(data)
        if isinstance(msg, list):
            seen += [_key(sop) for sop in decode_compact(msg)]
    return seen


async def _draw(client: Client, tag: str, n: int) -> None:
    await client.ops({"k": "add", "e": pen(tag)})
    for i in range(n):
        await client.ops({"k": "append", "id": tag, "pts": [1, i % 5]})
        if i % 4 == 0:
            await asyncio.sleep(0.001)  # a browser sends once per animation frame


async def test_clients_on_two_processes_see_the_same_ops_in_the_same_order(
    servers: list[ServerProcess],
) -> None:
    one, two = servers[0].url, servers[1].url
    board = "shared-board"
    a1, a2 = await connect(one, board, "a1"), await connect(one, board, "a2")
    b1, b2 = await connect(two, board, "b1"), await connect(two, board, "b2")
    compact = await _compact_client(two, board)  # fed from rows another process committed
    clients = [a1, a2, b1, b2]
    per_client = 60
    total = len(clients) * (per_client + 1)

    watching = [asyncio.ensure_future(_collect(c, total)) for c in clients]
    watching.append(asyncio.ensure_future(_collect_compact(compact, total)))
    await asyncio.gather(*(_draw(c, f"p{i}", per_client) for i, c in enumerate(clients)))
    seen = await asyncio.gather(*watching)

    assert [s for s, _, _ in seen[0]] == list(range(1, total + 1))
    for other in seen[1:]:
        assert other == seen[0]
    assert [_key(sop) for sop in await _log(one, board)] == seen[0]
    assert [_key(sop) for sop in await _log(two, board)] == seen[0]

    # Late joiners on either process get the same state, which is what the others drew.
    late1, late2 = await connect(one, board, "late1"), await connect(two, board, "late2")
    assert late1.welcome["seq"] == late2.welcome["seq"] == total
    assert late1.welcome["elements"] == late2.welcome["elements"]
    assert len(late1.welcome["elements"]) == len(clients)
    snap1 = json.loads((await fetch(one, f"/api/boards/{board}")).body)
    snap2 = json.loads((await fetch(two, f"/api/boards/{board}")).body)
    assert snap1 == snap2
    assert snap1["elements"] == late1.welcome["elements"]


async def test_presence_crosses_processes(servers: list[ServerProcess]) -> None:
    one, two = servers[0].url, servers[1].url
    board = "presence"
    ana = await connect(one, board, "Ana")
    ben = await connect(two, board, "Ben")
    me_ben = ben.welcome["me"]
    joined = await ana.expect(lambda m: m["t"] == "presence" and "join" in m)
    assert joined["join"][0]["id"] == me_ben and joined["join"][0]["name"] == "Ben"

    # A third client on either process lists both in its welcome.
    cid = await connect(two, board, "Cid")
    assert {p["name"] for p in cid.welcome["peers"]} == {"Ana", "Ben"}

    await ben.send({"t": "cursor", "x": 12.5, "y": -3})
    cur = await ana.expect(lambda m: m["t"] == "presence" and "cur" in m)
    assert [me_ben, 12.5, -3] in cur["cur"]

    await ben.close()
    left = await ana.expect(lambda m: m["t"] == "presence" and me_ben in m.get("leave", []))
    assert me_ben in left["leave"]


class Drawer:
    """A client that draws numbered points and, like the app, resumes and resends after a drop.

    Each append carries its number, so the log shows at once whether a point was lost or
    stored twice.
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.sent: list[tuple[int, int]] = []  # (c, number), in order
        self.acked: set[int] = set()  # numbers the server confirmed
        self.last_seq = 0
        self.client: Client | None = None
        self.me = 0

    def take(self, msg: dict[str, Any]) -> None:
        if msg.get("t") != "ops":
            return
        for sop in msg["ops"]:
            self.last_seq = sop["s"]
            if sop["by"] == self.me and sop.get("k") == "append":
                self.acked.add(sop["pts"][0])

    async def start(self, url: str, board: str) -> None:
        self.client = await connect(url, board, self.tag)
        self.me = self.client.welcome["me"]
        (c,) = await self.client.ops({"k": "add", "e": pen(self.tag, pts=[0, 0])})
        await self.client.acked(c)

    async def send(self, numbers: range) -> None:
        assert self.client is not None
        for n in numbers:
            (c,) = await self.client.ops({"k": "append", "id": self.tag, "pts": [n, 0]})
            self.sent.append((c, n))
            if n % 3 == 0:
                await asyncio.sleep(0.002)

    async def read_until_closed(self) -> None:
        assert self.client is not None
        while True:
            try:
                msg = await self.client.recv(timeout=20)
            except tornado.websocket.WebSocketClosedError:
                return
            if msg is None:
                return
            self.take(msg)

    async def resume(self, url: str, board: str) -> None:
        """Reconnect with ``since``, count what the welcome confirms, resend the rest."""
        old_me = self.me
        self.client = await connect(url, board, self.tag, since=self.last_seq)
        welcome = self.client.welcome
        assert "ops" in welcome, "a resume this recent must get ops, not a snapshot"
        for sop in welcome["ops"]:
            self.last_seq = sop["s"]
            if sop["by"] == old_me and sop.get("k") == "append":
                self.acked.add(sop["pts"][0])
        self.me = welcome["me"]
        for _, n in self.sent:
            if n not in self.acked:
                await self.client.ops({"k": "append", "id": self.tag, "pts": [n, 0]})

    async def wait_all_acked(self, upto: int) -> None:
        assert self.client is not None
        while len(self.acked) < upto:
            self.take(await self.client.expect_type("ops", timeout=20))


async def test_kill_one_process_clients_resume_on_the_other(
    servers: list[ServerProcess],
) -> None:
    doomed, survivor = servers
    board = "kill-board"
    watcher = await connect(survivor.url, board, "watcher")
    drawers = [Drawer("x"), Drawer("y")]
    for d in drawers:
        await d.start(doomed.url, board)
    readers = [asyncio.ensure_future(d.read_until_closed()) for d in drawers]

    # Draw on the doomed process and kill it mid-stream, while points are in flight.
    sending = [asyncio.ensure_future(d.send(range(1, 400))) for d in drawers]
    seen: list[tuple[int, int, int]] = []
    while not seen or seen[-1][0] < 60:
        msg = await watcher.expect_type("ops", timeout=20)
        seen += [_key(sop) for sop in msg["ops"]]
    doomed.kill()
    await asyncio.gather(*sending, return_exceptions=True)
    await asyncio.wait_for(asyncio.gather(*readers), 20)

    # The watcher hears that the dead process's clients left (its heartbeat stopped).
    gone = {d.me for d in drawers}
    left: set[int] = set()

    def heard_leave(m: dict[str, Any]) -> bool:
        left.update(m.get("leave", []) if m["t"] == "presence" else [])
        return gone <= left

    await watcher.expect(heard_leave, timeout=15)

    total_numbers = 450
    for d in drawers:
        await d.resume(survivor.url, board)
        assert d.client is not None
        await d.send(range(len(d.sent) + 1, total_numbers + 1))
    for d in drawers:
        await d.wait_all_acked(total_numbers)

    log = await _log(survivor.url, board)
    assert [sop["s"] for sop in log] == list(range(1, len(log) + 1))
    for d in drawers:
        numbers = [sop["pts"][0] for sop in log if sop.get("id") == d.tag and sop["k"] == "append"]
        assert numbers == list(range(1, total_numbers + 1)), f"{d.tag}: lost or doubled points"

    # The watcher, on the surviving process all along, saw exactly the log.
    while len(seen) < len(log):
        msg = await watcher.expect_type("ops", timeout=20)
        seen += [_key(sop) for sop in msg["ops"]]
    assert seen == [_key(sop) for sop in log]


async def test_a_reconnect_to_the_other_process_retires_the_old_connection(
    servers: list[ServerProcess],
) -> None:
    """``hello.prev`` works across processes: once the new welcome is out, nothing the old
    connection sent can still land, so a client that resends its unconfirmed ops (as the app
    does) never stores one twice."""
    one, two = servers[0].url, servers[1].url
    board = "takeover"
    old = await connect(one, board, "Ana")
    (c,) = await old.ops({"k": "add", "e": pen("ink", pts=[0, 0])})
    await old.acked(c)
    # Points in flight on the first process while the client moves to the second.
    for i in range(1, 200):
        await old.ops({"k": "append", "id": "ink", "pts": [i, 0]})
    prev = {"id": old.welcome["me"], "token": old.welcome["token"]}
    new = await connect(two, board, "Ana", since=old.welcome["seq"], prev=prev)
    cutoff = new.welcome["seq"]

    assert await old.expect_close(timeout=10) == 1000
    # Ops of the old connection after the welcome's seq would be stored twice once resent.
    (c,) = await new.ops({"k": "append", "id": "ink", "pts": [999, 0]})
    mine = await new.acked(c)
    log = await _log(two, board)
    late = [s["s"] for s in log if s["by"] == prev["id"] and s["s"] > cutoff]
    assert late == [], f"the old connection's ops landed after the takeover: {late}"
    assert mine["s"] == log[-1]["s"]


async def test_a_forged_prev_retires_nothing(servers: list[ServerProcess]) -> None:
    one, two = servers[0].url, servers[1].url
    board = "forged"
    ana = await connect(one, board, "Ana")
    await connect(two, board, "Eve", prev={"id": ana.welcome["me"], "token": "not-the-token"})
    (c,) = await ana.ops({"k": "add", "e": pen("still-here")})
    await ana.acked(c)


async def test_a_process_back_from_a_long_stall_announces_its_clients_again(
    servers: list[ServerProcess],
) -> None:
    """A process stopped longer than the liveness limit is taken for dead and its clients are
    announced as gone; when it runs again, it says they are here."""
    one, two = servers
    board = "stall"
    ana = await connect(one.url, board, "Ana")
    ben = await connect(two.url, board, "Ben")
    me_ben = ben.welcome["me"]
    await ana.expect(lambda m: m["t"] == "presence" and "join" in m)
    assert two.proc is not None
    two.proc.send_signal(signal.SIGSTOP)
    try:
        await ana.expect(
            lambda m: m["t"] == "presence" and me_ben in m.get("leave", []), timeout=15
        )
    finally:
        two.proc.send_signal(signal.SIGCONT)
    back = await ana.expect(
        lambda m: m["t"] == "presence" and any(p["id"] == me_ben for p in m.get("join", [])),
        timeout=15,
    )
    assert [p["name"] for p in back["join"] if p["id"] == me_ben] == ["Ben"]


async def test_an_image_uploaded_through_one_process_is_added_through_another(
    servers: list[ServerProcess],
) -> None:
    """The board on the second process was loaded before the upload: it learns of the new blob
    from the store when an image names it, not through the tick of every op."""
    from tests import images

    a = await connect(servers[1].url, "pics")
    resp = await fetch(
        servers[0].url,
        "/api/boards/pics/blobs",
        method="POST",
        body=images.png(),
        headers={"Content-Type": "image/png"},
    )
    assert resp.code == 201
    blob = json.loads(resp.body)["blob"]
    el = {"id": "i", "type": "image", "x": 0, "y": 0, "w": 64, "h": 48, "blob": blob}
    (c,) = await a.ops({"k": "add", "e": el})
    assert (await a.acked(c))["e"] == el
    (c,) = await a.ops({"k": "add", "e": {**el, "id": "j", "blob": "f" * 64}})
    assert (await a.expect_type("err"))["code"] == "not_found"
    served = await fetch(servers[1].url, f"/api/boards/pics/blobs/{blob}")
    assert served.code == 200 and served.body[:8] == b"\x89PNG\r\n\x1a\n"
