"""The floor: the least work a Python process can do and still speak PROTOCOL.md's live ops.

Why it exists: issue 13 asks for at most 40 us of server CPU per op at 250 and 500 boards of
four (one op in, one frame out to each of the four). Before chasing that figure in the server,
this asks what it costs to do nothing but that: no Tornado, no store, no checks, no budget;
a raw ``asyncio.Protocol`` per connection that cuts WebSocket frames out of what the kernel
hands it, decodes the msgpack, numbers the ops, encodes one frame and writes it to every
client of the board. Whatever this costs per op on a machine is the part of our figure that no
change to the server's design can remove: the kernel's work for one read and four writes on
loopback (charged to the server, which also runs the receivers' TCP stacks) and the event
loop's own per-event cost.

It speaks what ``bench/loadgen.py`` needs and nothing more: the upgrade, ``hello`` ->
``welcome``, ``ops`` -> one ``ops`` frame to every client of the board (the author too), pings
answered. With ``--uvloop`` it runs on uvloop's loop instead of the standard one.

With ``--sqlite FILE`` it is the floor of a *durable* relay, the rule our server keeps (nothing
is sent before the store has it): each op is a row of a table shaped like our ``log`` (WITHOUT
ROWID, keyed by board and seq; WAL, ``synchronous=NORMAL``), and the rows that arrive while one
transaction is written go into the next one, in a writer thread; a batch's frames are sent when
its transaction has committed.

    .venv/bin/python bench/floor_relay.py --port 0 [--uvloop] [--sqlite /tmp/floor.db]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import logging
import queue
import signal
import sqlite3
import sys
import threading
import time
from typing import Any, cast

import msgpack
from baseline_relay import LIMITS  # the same limits announced: the load generator reads them

log = logging.getLogger("floor_relay")

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(payload: bytes, opcode: int = 2) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n <= 0xFFFF:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def unmask(mask: bytes, data: bytes) -> bytes:
    n = len(data)
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


class Board:
    def __init__(self) -> None:
        self.clients: set[Conn] = set()
        self.seq = 0
        self.next_id = 1


BOARDS: dict[str, Board] = {}


class Durable:
    """Group commit in one writer thread: one batch in flight, the next gathered meanwhile."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS log (board TEXT NOT NULL, seq INTEGER NOT NULL,"
            " ts INTEGER NOT NULL, ops BLOB NOT NULL, PRIMARY KEY (board, seq)) WITHOUT ROWID"
        )
        self.loop = loop
        self.rows: list[Any] = []  # flat: board, seq, ts, ops of each row
        self.sends: list[tuple[Board, bytes]] = []
        self.busy = False
        self.jobs: queue.SimpleQueue[tuple[list[Any], list[tuple[Board, bytes]]]]
        self.jobs = queue.SimpleQueue()
        threading.Thread(target=self._write, args=(conn,), daemon=True).start()

    def add(self, board: Board, name: str, seq: int, ts: int, ops: bytes, out: bytes) -> None:
        self.rows += (name, seq, ts, ops)
        self.sends.append((board, out))
        if not self.busy:
            self._flush()

    def _flush(self) -> None:
        self.busy = True
        self.jobs.put((self.rows, self.sends))
        self.rows, self.sends = [], []

    def _write(self, conn: sqlite3.Connection) -> None:
        while True:
            rows, sends = self.jobs.get()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO log VALUES " + ",".join(["(?,?,?,?)"] * (len(rows) // 4)), rows
            )
            conn.execute("COMMIT")
            self.loop.call_soon_threadsafe(self._done, sends)

    def _done(self, sends: list[tuple[Board, bytes]]) -> None:
        for board, out in sends:
            for client in board.clients:
                if client.transport is not None:
                    client.transport.write(out)
        self.busy = False
        if self.rows:
            self._flush()


DURABLE: Durable | None = None


class Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.board: Board | None = None
        self.upgraded = False
        self.me = 0
        self.name = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.board is not None:
            self.board.clients.discard(self)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self._upgrade(bytes(self.buf[:end]))
            del self.buf[: end + 4]
        self._frames()

    def _upgrade(self, head: bytes) -> None:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode()
        key = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self.name = path.rsplit("/", 1)[-1]
        self.board = BOARDS.setdefault(self.name, Board())
        self.upgraded = True

    def _frames(self) -> None:
        buf = self.buf
        while len(buf) >= 2:
            opcode, n = buf[0] & 0x0F, buf[1] & 0x7F
            at = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, at = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, at = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < at + 4 + n:
                return
            payload = unmask(bytes(buf[at : at + 4]), bytes(buf[at + 4 : at + 4 + n]))
            del buf[: at + 4 + n]
            if opcode == 2:
                self._message(msgpack.unpackb(payload))
            elif opcode == 9 and self.transport is not None:
                self.transport.write(frame(payload, 10))
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
                return

    def _message(self, msg: Any) -> None:
        board = self.board
        if board is None or not isinstance(msg, dict):
            return
        if msg.get("t") == "hello":
            self.me, board.next_id = board.next_id, board.next_id + 1
            board.clients.add(self)
            welcome = {"t": "welcome", "v": 1, "board": "", "me": self.me, "color": "#1971c2",
                       "seq": board.seq, "peers": [], "elements": [], "ops": None,
                       "limits": LIMITS}  # fmt: skip
            assert self.transport is not None
            self.transport.write(frame(msgpack.packb(welcome)))
        elif msg.get("t") == "ops":
            ops = msg["ops"]
            first = board.seq + 1
            for op in ops:
                board.seq += 1
                op["s"], op["by"] = board.seq, self.me
            ts = int(time.time() * 1000)
            out = frame(msgpack.packb({"t": "ops", "ts": ts, "ops": ops}))
            if DURABLE is not None:
                DURABLE.add(board, self.name, first, ts, msgpack.packb(ops), out)
                return
            for client in board.clients:
                if client.transport is not None:
                    client.transport.write(out)


async def serve(host: str, port: int, sqlite: str | None) -> None:
    global DURABLE
    loop = asyncio.get_running_loop()
    if sqlite is not None:
        DURABLE = Durable(sqlite, loop)
    server = await loop.create_server(Conn, host, port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]  # both loops set TCP_NODELAY on each client
    log.info("floor relay listening on http://%s:%d/", host, bound)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8897, help="0 picks a free port")
    ap.add_argument("--data", help="ignored: nothing is stored")
    ap.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    ap.add_argument("--sqlite", help="store each op in this SQLite file before sending it")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.uvloop:
        import uvloop

        uvloop.run(serve(args.host, args.port, args.sqlite))
    else:
        asyncio.run(serve(args.host, args.port, args.sqlite))
    return 0


if __name__ == "__main__":
    sys.exit(main())
