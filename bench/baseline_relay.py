"""The naive relay: the shape every benchmark report compares our server against.

It is what a whiteboard server looks like when written the obvious way with Tornado: every
incoming frame is decoded, its ops are numbered and stored in SQLite right there on the IOLoop,
and each op is sent to every client of the board with its own ``write_message`` (one msgpack
encode per op, one Task and one Future per op per client). Nothing is batched, nothing pushes
back, nothing is validated beyond what the load generator needs. It exists so that every figure
of ``bench/fanout.py`` comes with the same figure for the obvious design, measured in the same
run on the same machine, and the report can state a ratio rather than an absolute that drifts
with the machine's load.

It speaks just enough of PROTOCOL.md for ``bench/loadgen.py``: ``hello`` -> ``welcome`` (with
``me`` and ``seq``; ``elements`` is always empty), ``ops`` -> one ``ops`` frame per op to every
client of the board, author included, with ``s``, ``by`` and ``ts``. No presence, no resume, no
limits. It is standalone (no import from the ``whiteboard`` package) so that a change to our
server can never change the baseline.

    .venv/bin/python bench/baseline_relay.py --port 0 --data /tmp/relay
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import msgpack
import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

log = logging.getLogger("baseline_relay")

LIMITS = {
    "frame_bytes": 1 << 20,
    "ops_per_frame": 256,
    "values_per_op": 10_000,
    "values_per_element": 100_000,
    "elements_per_board": 100_000,
    "text_chars": 10_000,
    "ops_per_s": 1_000_000,
    "ops_burst": 1_000_000,
    "backlog_bytes": 1 << 62,
}


class Relay:
    """Boards by id: their clients, their head sequence number, and the SQLite log."""

    def __init__(self, db_path: Path) -> None:
        self.db = sqlite3.connect(db_path, isolation_level=None)
        # WAL and synchronous=NORMAL are what a careful naive author would pick; the baseline
        # should lose to the design, not to a missing pragma.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS log (board TEXT, seq INTEGER, ts INTEGER, "
            "by INTEGER, op BLOB, PRIMARY KEY (board, seq))"
        )
        self.clients: dict[str, set[RelaySocket]] = {}
        self.seq: dict[str, int] = {}
        self.next_id: dict[str, int] = {}

    def join(self, board: str, sock: RelaySocket) -> tuple[int, int]:
        """Registers a client; returns its client id and the board's head seq."""
        if board not in self.seq:
            row = self.db.execute("SELECT MAX(seq) FROM log WHERE board = ?", (board,)).fetchone()
            self.seq[board] = row[0] or 0
            self.next_id[board] = 1
        me = self.next_id[board]
        self.next_id[board] = me + 1
        self.clients.setdefault(board, set()).add(sock)
        return me, self.seq[board]

    def leave(self, board: str, sock: RelaySocket) -> None:
        self.clients.get(board, set()).discard(sock)

    def publish(self, board: str, me: int, ops: list[dict[str, Any]]) -> None:
        """Stores the frame's ops in one transaction, then sends each op to each client."""
        ts = int(time.time() * 1000)
        seq = self.seq[board]
        sops: list[dict[str, Any]] = []
        self.db.execute("BEGIN")
        for op in ops:
            seq += 1
            sop = {**op, "s": seq, "by": me}
            self.db.execute(
                "INSERT INTO log VALUES (?, ?, ?, ?, ?)",
                (board, seq, ts, me, msgpack.packb(sop)),
            )
            sops.append(sop)
        self.db.execute("COMMIT")
        self.seq[board] = seq
        for sop in sops:
            message = msgpack.packb({"t": "ops", "ts": ts, "ops": [sop]})
            for client in list(self.clients.get(board, ())):
                client.send(message)


class RelaySocket(WebSocketHandler):
    """One client: ``hello`` first, then ``ops`` frames; anything else is ignored."""

    def initialize(self, relay: Relay) -> None:
        self.relay = relay
        self.board = ""
        self.me = 0

    def check_origin(self, origin: str) -> bool:
        return True

    def open(self, *args: str, **kwargs: str) -> None:
        self.board = args[0]
        # Without this Tornado leaves Nagle on after the upgrade and every small frame waits for
        # a delayed ACK: the baseline would lose on a socket option instead of on its shape.
        self.set_nodelay(True)

    def on_message(self, message: str | bytes) -> None:
        if isinstance(message, str):
            return
        msg = msgpack.unpackb(message)
        if not isinstance(msg, dict):
            return
        kind = msg.get("t")
        if self.me == 0:
            if kind != "hello" or msg.get("v") != 1:
                self.close(1008, "the first message must be a hello")
                return
            self.me, seq = self.relay.join(self.board, self)
            self.send(
                msgpack.packb(
                    {
                        "t": "welcome",
                        "v": 1,
                        "board": self.board,
                        "me": self.me,
                        "color": "#1971c2",
                        "seq": seq,
                        "peers": [],
                        "elements": [],
                        "ops": None,
                        "limits": LIMITS,
                    }
                )
            )
        elif kind == "ops" and isinstance(msg.get("ops"), list) and msg["ops"]:
            ops = [op for op in msg["ops"] if isinstance(op, dict) and "c" in op]
            if ops:
                self.relay.publish(self.board, self.me, ops)

    def send(self, message: bytes) -> None:
        """One ``write_message`` per message, its Future dropped: the naive fan-out."""
        with contextlib.suppress(WebSocketClosedError):
            self.write_message(message, binary=True)

    def on_close(self) -> None:
        self.relay.leave(self.board, self)


async def serve(host: str, port: int, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    relay = Relay(data / "relay.sqlite3")
    app = tornado.web.Application(
        [(r"/ws/([A-Za-z0-9][A-Za-z0-9_-]{0,63})", RelaySocket, {"relay": relay})]
    )
    sockets = tornado.netutil.bind_sockets(port, host)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    # The same line as server.py logs, so the load generator starts either the same way.
    log.info("baseline relay listening on http://%s:%d/", host, sockets[0].getsockname()[1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    await server.close_all_connections()
    relay.db.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8899, help="0 picks a free port")
    ap.add_argument("--data", type=Path, default=Path("data-relay"), help="folder of the db")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    # Tornado's access log would print one line per WebSocket; the benchmark reads stderr.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    asyncio.run(serve(args.host, args.port, args.data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
