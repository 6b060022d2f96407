"""Fixtures for server tests: a real app on a random port, a real SQLite file, real sockets."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest
import tornado.httpclient
import tornado.ioloop
import tornado.web
import tornado.websocket

from whiteboard.config import Settings
from whiteboard.live.registry import Hub
from whiteboard.store.sqlite import SQLiteStore
from whiteboard.web.app import make_app
from whiteboard.web.connections import Connections

TIMEOUT = 5.0
_board_ids = itertools.count(1)
_open_clients: list[Client] = []


@pytest.fixture(autouse=True)
def _close_clients(io_loop: tornado.ioloop.IOLoop) -> Iterator[None]:
    """Close every client a test opened, so none is left for the garbage collector to warn on."""
    yield
    while _open_clients:
        _open_clients.pop().conn.close()


@pytest.fixture(autouse=True)
def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test sends, the server logs no error and no traceback."""
    yield
    bad = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not bad, "server logged errors:\n" + "\n".join(r.getMessage() for r in bad)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data=str(tmp_path / "data"), idle_unload_s=0.2, tick_ms=2)


@pytest.fixture
def store(io_loop: tornado.ioloop.IOLoop, settings: Settings) -> Iterator[SQLiteStore]:
    s = SQLiteStore(settings.data)
    io_loop.run_sync(s.start)
    yield s
    io_loop.run_sync(s.close)


@pytest.fixture
def hub(io_loop: tornado.ioloop.IOLoop, store: SQLiteStore, settings: Settings) -> Iterator[Hub]:
    h = Hub(store, settings)
    yield h
    io_loop.run_sync(h.shutdown)  # no tick may be left pending when the loop closes


@pytest.fixture
def connections() -> Connections:
    return Connections()


@pytest.fixture
def app(
    settings: Settings, store: SQLiteStore, hub: Hub, connections: Connections
) -> tornado.web.Application:
    return make_app(settings, store, hub, connections)


@pytest.fixture
def url(http_server: Any, http_port: int) -> str:
    return f"http://127.0.0.1:{http_port}"


@pytest.fixture
def board() -> str:
    return f"board-{next(_board_ids)}"


class Client:
    """A WebSocket client speaking PROTOCOL.md, with waits that time out instead of sleeping."""

    def __init__(self, conn: tornado.websocket.WebSocketClientConnection) -> None:
        self.conn = conn
        self.inbox: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}
        self._c = itertools.count(1)
        self.closed_code: int | None = None
        self.wire_bytes = 0  # of the server's data frames, headers included

    def _received(self, data: bytes) -> None:
        n = len(data)
        self.wire_bytes += n + (2 if n < 126 else 4 if n < 1 << 16 else 10)

    def next_c(self) -> int:
        return next(self._c)

    async def send(self, msg: dict[str, Any]) -> None:
        await self.conn.write_message(msgpack.packb(msg, use_bin_type=True), binary=True)

    async def send_raw(self, data: bytes | str, binary: bool = True) -> None:
        await self.conn.write_message(data, binary=binary)

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any] | None:
        """The next message, or None once the server closed the connection."""
        if self.inbox:
            return self.inbox.pop(0)
        data = await asyncio.wait_for(self.conn.read_message(), timeout)
        if data is None:
            self.closed_code = self.conn.close_code
            self.conn.close()
            return None
        assert isinstance(data, bytes), "server sent a text frame"
        self._received(data)
        msg: dict[str, Any] = msgpack.unpackb(data, raw=False)
        return msg

    async def expect(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """Wait for the first message matching ``pred``; the others are kept for later."""
        skipped: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                msg = await self.recv(max(0.01, deadline - loop.time()))
                if msg is None:
                    raise AssertionError(f"closed ({self.closed_code}) while waiting")
                if pred(msg):
                    return msg
                skipped.append(msg)
        finally:
            self.inbox[:0] = skipped

    async def expect_type(self, t: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        return await self.expect(lambda m: m.get("t") == t, timeout)

    async def expect_close(self, timeout: float = TIMEOUT) -> int | None:
        """Wait for the server to close; messages read meanwhile are kept in the inbox."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            data = await asyncio.wait_for(
                self.conn.read_message(), max(0.01, deadline - loop.time())
            )
            if data is None:
                self.closed_code = self.conn.close_code
                self.conn.close()
                return self.closed_code
            assert isinstance(data, bytes)
            self._received(data)
            self.inbox.append(msgpack.unpackb(data, raw=False))

    async def ops(self, *ops: dict[str, Any]) -> list[int]:
        """Send ops (giving each a fresh ``c``); returns their c values."""
        cs = []
        for op in ops:
            if "c" not in op:
                op["c"] = self.next_c()
            cs.append(op["c"])
        await self.send({"t": "ops", "ops": list(ops)})
        return cs

    async def acked(self, c: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Wait for the server op that acknowledges our op ``c``."""
        me = self.welcome["me"]
        found: dict[str, Any] = {}

        def pred(m: dict[str, Any]) -> bool:
            if m.get("t") == "err" and m.get("c") == c:
                raise AssertionError(f"op {c} refused: {m}")
            if m.get("t") != "ops":
                return False
            for sop in m["ops"]:
                if sop["by"] == me and sop["c"] == c:
                    found.update(sop)
                    return True
            return False

        msg = await self.expect(pred, timeout)
        self.inbox.insert(0, msg)  # others may still want to read this frame
        return found

    async def close(self) -> None:
        self.conn.close()


async def connect(
    url: str,
    board: str,
    name: str | None = "tester",
    since: int | None = None,
    headers: dict[str, str] | None = None,
    key: str | None = None,
    prev: dict[str, Any] | None = None,
) -> Client:
    """Open a socket and, unless name is None, say hello and wait for the welcome."""
    ws_url = url.replace("http://", "ws://") + f"/ws/{board}"
    req = tornado.httpclient.HTTPRequest(ws_url, headers=headers or {})
    conn = await tornado.websocket.websocket_connect(req, max_message_size=64 << 20)
    client = Client(conn)
    _open_clients.append(client)
    if name is not None:
        hello: dict[str, Any] = {"t": "hello", "v": 1, "name": name}
        if since is not None:
            hello["since"] = since
        if key is not None:
            hello["key"] = key
        if prev is not None:
            hello["prev"] = prev
        await client.send(hello)
        client.welcome = await client.expect_type("welcome")
    return client


async def fetch(url: str, path: str, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
    client = tornado.httpclient.AsyncHTTPClient()
    return await client.fetch(url + path, raise_error=False, **kwargs)


def pen(eid: str, x: float = 0, y: float = 0, pts: list[int] | None = None) -> dict[str, Any]:
    return {
        "id": eid, "type": "pen", "x": x, "y": y, "stroke": "#000000", "width": 2,
        "pts": pts if pts is not None else [0, 0, 1, 1],
    }  # fmt: skip


def rect(eid: str, x: float = 0, y: float = 0, w: float = 10, h: float = 10) -> dict[str, Any]:
    return {"id": eid, "type": "rect", "x": x, "y": y, "w": w, "h": h, "stroke": "#112233",
            "width": 1}  # fmt: skip
