"""Hostile and unlucky conditions: protected boards, floods, clients that never read, a full
disk, too many connections from one address, and the security headers."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

import msgpack
import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from tests.server.conftest import connect, fetch, pen, rect
from tests.server.test_metrics import delta, scrape
from tests.storeinspect import fill_disk, free_disk
from whiteboard.config import Settings
from whiteboard.web.addresses import client_ip

pytestmark = pytest.mark.gen_test(timeout=60)


async def _create(url: str, protected: bool) -> dict[str, Any]:
    resp = await fetch(url, "/api/boards", method="POST", body=json.dumps({"protected": protected}))
    assert resp.code == 201
    body: dict[str, Any] = json.loads(resp.body)
    return body


class TestProtectedBoards:
    async def test_without_the_key_a_board_is_view_only(
        self, url: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        created = await _create(url, protected=True)
        board, key = created["board"], created["key"]
        assert len(key) >= 32
        editor = await connect(url, board, "editor", key=key)
        viewer = await connect(url, board, "viewer")
        wrong = await connect(url, board, "guesser", key="not-the-key")
        assert editor.welcome["readonly"] is False
        assert viewer.welcome["readonly"] is True and wrong.welcome["readonly"] is True

        (c,) = await editor.ops({"k": "add", "e": rect("ok")})
        await editor.acked(c)
        await viewer.expect_type("ops")  # viewers still watch live
        for cl in (viewer, wrong):
            (c,) = await cl.ops({"k": "delete", "ids": ["ok"]})
            err = await cl.expect_type("err")
            assert err["code"] == "read_only" and err["c"] == c
        snap = json.loads((await fetch(url, f"/api/boards/{board}")).body)
        assert snap["seq"] == 1 and [e["id"] for e in snap["elements"]] == ["ok"]

        # The key is in no log line and no page or API answer.
        for path in (f"/b/{board}", f"/api/boards/{board}", f"/api/boards/{board}/ops", "/"):
            assert key not in (await fetch(url, path)).body.decode()
        assert key not in caplog.text

    async def test_open_boards_are_editable_by_all(self, url: str) -> None:
        board = (await _create(url, protected=False))["board"]
        a = await connect(url, board)
        assert a.welcome["readonly"] is False
        (c,) = await a.ops({"k": "add", "e": rect("r")})
        await a.acked(c)

    async def test_create_refuses_a_bad_body(self, url: str) -> None:
        for body in ("[1]", "nope", '{"protected": "yes"}'):
            resp = await fetch(url, "/api/boards", method="POST", body=body)
            assert resp.code == 400 and json.loads(resp.body)["error"]

    async def test_other_sites_pages_cannot_create_boards(self, url: str) -> None:
        foreign = {"Origin": "https://evil.example"}
        resp = await fetch(url, "/api/boards", method="POST", body="{}", headers=foreign)
        assert resp.code == 403 and "this site" in json.loads(resp.body)["error"]
        own = {"Origin": url}
        resp = await fetch(url, "/api/boards", method="POST", body="{}", headers=own)
        assert resp.code == 201


async def test_security_headers(url: str, board: str) -> None:
    for path in ("/", f"/b/{board}", f"/api/boards/{board}/export.svg"):
        resp = await fetch(url, path)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp or "default-src 'none'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_a_flood_does_not_delay_honest_clients(url: str, board: str) -> None:
    flooder = await connect(url, board, "flood")
    honest_a = await connect(url, board, "a")
    honest_b = await connect(url, board, "b")
    await flooder.ops({"k": "add", "e": pen("f")})

    async def flood() -> None:
        c = 10
        try:
            for _ in range(200):  # 200 frames x 256 ops = 51,200 ops
                ops = [{"k": "append", "c": c + i, "id": "f", "pts": [1, 1]} for i in range(256)]
                c += 256
                await flooder.send({"t": "ops", "ops": ops})
        except Exception:
            return  # closed for abuse (1008): fine

    flooding = asyncio.ensure_future(flood())
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    for i in range(5):
        start = loop.time()
        (c,) = await honest_a.ops({"k": "add", "e": rect(f"h{i}")})
        await honest_b.expect(
            lambda m, c=c: (
                m["t"] == "ops"
                and any(o["c"] == c and o["by"] == honest_a.welcome["me"] for o in m["ops"])
            ),
            timeout=1.0,
        )
        assert loop.time() - start < 1.0
    await flooding
    codes = set()
    while True:
        m = await flooder.recv(5)
        if m is None:
            break
        if m["t"] == "err":
            codes.add(m["code"])
    assert "rate_limited" in codes and flooder.closed_code == 1008


class TestSmallLimits:
    @pytest.fixture
    def settings(self, tmp_path: Any) -> Settings:
        return Settings(
            data=str(tmp_path / "data"), tick_ms=2, connections_per_ip=3, backlog_bytes=256 * 1024,
            readonly_retry_s=0.3, bytes_burst=64 << 20, bytes_per_s=64 << 20,
            ops_burst=100_000, ops_per_s=100_000,
        )  # fmt: skip

    async def test_too_many_connections_from_one_address(self, url: str, board: str) -> None:
        clients = [await connect(url, board, f"c{i}") for i in range(3)]
        extra = await connect(url, board, name=None)
        err = await extra.expect_type("err")
        assert err["code"] == "rate_limited"
        assert await extra.expect_close() == 1008
        await clients[0].close()
        await clients[1].expect(lambda m: m["t"] == "presence" and "leave" in m)
        again = await connect(url, board, "again")  # a slot is free again
        assert again.welcome["me"]

    async def test_a_client_that_never_reads_is_dropped(self, url: str, board: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        before = await scrape(url)
        loop = asyncio.get_running_loop()
        # Blocking socket calls run in a thread: the server shares this test's event loop.
        lazy = await loop.run_in_executor(None, _raw_ws, host, int(port), board)
        await loop.run_in_executor(
            None, lazy.sendall, _masked({"t": "hello", "v": 1, "name": "lazy"})
        )
        drawer = await connect(url, board, "drawer")
        watcher = await connect(url, board, "watcher")
        big = [3, -3] * 4_900
        leave = None
        for i in range(400):  # up to ~16 MB to each reader
            (c,) = await drawer.ops({"k": "add", "e": pen(f"p{i}", pts=big)})
            if i % 10 == 0:
                await drawer.acked(c)
            leave = next((m for m in watcher.inbox if m["t"] == "presence" and "leave" in m), None)
            if leave:
                break
            while watcher.inbox:
                watcher.inbox.pop()
            try:
                while True:
                    m = await watcher.recv(0.001)
                    if m and m["t"] == "presence" and "leave" in m:
                        leave = m
                        break
            except TimeoutError:
                pass
            if leave:
                break
        assert leave is not None, "the lazy client was never dropped"
        assert len(leave["leave"]) == 1
        after = await scrape(url)
        assert delta(before, after, "whiteboard_slow_clients_dropped_total") == 1
        lazy.close()

    async def test_full_disk_makes_the_board_read_only_then_recovers(
        self, url: str, board: str, store: Any
    ) -> None:
        a = await connect(url, board, "a")
        b = await connect(url, board, "b")
        cs = await a.ops(*({"k": "add", "e": pen(f"p{i}")} for i in range(5)))
        await a.acked(cs[-1])
        await fill_disk(store)
        big = [1, 1] * 4_000
        (c,) = await a.ops({"k": "add", "e": pen("too-much", pts=big)})
        err = await a.expect(lambda m: m["t"] == "err")
        assert err["code"] == "read_only" and err["c"] == c and "read-only" in err["msg"]
        snap = json.loads((await fetch(url, f"/api/boards/{board}")).body)
        assert snap["seq"] == 5 and "too-much" not in [e["id"] for e in snap["elements"]]
        assert not any(m["t"] == "ops" for m in b.inbox)

        await free_disk(store)  # space is back
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            (c,) = await a.ops({"k": "add", "e": pen("later", pts=big)})
            m = await a.expect(
                lambda m, c=c: (
                    m.get("c") == c or (m["t"] == "ops" and any(o["c"] == c for o in m["ops"]))
                )
            )
            if m["t"] == "ops":
                break
            assert m["code"] == "read_only" and loop.time() < deadline
            await asyncio.sleep(0.05)
        got = await b.expect(lambda m: m["t"] == "ops" and m["ops"][0]["e"]["id"] == "later")
        assert got["ops"][0]["s"] == 6  # no gap: the refused op never took a seq


def _raw_ws(host: str, port: int, board: str) -> socket.socket:
    """A WebSocket handshake on a plain socket with a tiny receive buffer, so that not reading
    really does push back on the server."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            f"GET /ws/{board} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def _masked(msg: dict[str, Any]) -> bytes:
    payload = msgpack.packb(msg)
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return struct.pack("!BB", 0x82, 0x80 | len(payload)) + mask + body


def test_client_ip_believes_only_trusted_proxies() -> None:
    def req(remote: str, xff: str | None) -> HTTPServerRequest:
        headers = HTTPHeaders({"Host": "board.example"})
        if xff is not None:
            headers["X-Forwarded-For"] = xff
        r = HTTPServerRequest(start_line=RequestStartLine("GET", "/", "HTTP/1.1"), headers=headers)
        r.remote_ip = remote
        return r

    assert client_ip(req("10.0.0.1", "6.6.6.6"), ()) == "10.0.0.1"
    assert client_ip(req("10.0.0.1", "6.6.6.6"), ("10.0.0.0/8",)) == "6.6.6.6"
    assert client_ip(req("10.0.0.1", "1.1.1.1, 6.6.6.6, 10.0.0.2"), ("10.0.0.0/8",)) == "6.6.6.6"
    assert client_ip(req("8.8.8.8", "6.6.6.6"), ("10.0.0.0/8",)) == "8.8.8.8"
