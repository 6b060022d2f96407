"""Soak: clients connect, draw and drop for minutes; the server's RSS and open fds must not grow.

Why: a leak per connection (a socket never closed, a peer never forgotten, a timer or buffer
kept alive by a closed connection) is invisible in any test that lasts seconds, and on a
public server it shows only days later, as a process that runs out of memory or of file
descriptors. So this runs the real server (``server.py --port 0`` in a subprocess, loopback
only) under a steady churn of connections for ``--seconds`` and samples ``/proc/<pid>`` every
``--sample`` seconds.

What the clients do, continuously, on ``--boards`` boards: ``--users`` simulated people each
connect (fresh, or resuming with ``since``), say ``hello``, draw pen strokes (an ``add`` then
``append`` ops at ``--rate`` per second, as a browser sends them per animation frame), move
their cursor, erase the oldest strokes so each board keeps about ``--keep`` elements, and
after a few seconds leave: half of them cleanly (a close frame), half abruptly (the TCP socket
closed without one, like a lost network). One session in ten is a flash: ``hello`` and gone
before the ``welcome``, the join path's race.

Why steady state: memory that grows because a board holds more elements, or because the
in-memory resume buffer (``resume_ops`` ops per board) is filling, is by design and bounded.
To tell that from a leak, the boards are kept at a constant size by erasing, the server runs
with ``--resume-ops`` small enough (2,000 by default) that its buffers are full well within the
warm-up, and growth is measured from the end of the warm-up (``--warmup``, 2 minutes) to the
end. After the load stops, one more sample with every client gone shows whether fds return to
where they started.

    .venv/bin/python bench/soak.py --seconds 600
    .venv/bin/python bench/soak.py --seconds 60 --warmup 20 --sample 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import tornado.httpclient
import tornado.websocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.subprocess_server import ServerProcess  # noqa: E402


@dataclass
class Stats:
    sessions: int = 0
    flashes: int = 0
    welcomes: int = 0
    clean_drops: int = 0
    abrupt_drops: int = 0
    ops_sent: int = 0
    ops_acked: int = 0
    frames_received: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    server_closes: Counter[int] = field(default_factory=Counter)
    connect_failures: Counter[str] = field(default_factory=Counter)
    open_now: int = 0


@dataclass
class Sample:
    t: float
    rss_kb: int
    fds: int
    open_clients: int
    ops_acked: int
    sessions: int


def proc_sample(pid: int) -> tuple[int, int]:
    """(VmRSS in kB, number of open file descriptors) of a process, from /proc."""
    rss = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
                break
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Session:
    """One connection of one simulated person: a mirror of the board's live ids in stacking
    order (enough to know what to erase) and the acknowledgements of its own ops."""

    def __init__(self, user: int, stats: Stats) -> None:
        self.user = user
        self.stats = stats
        self.me = 0
        self.seq = 0
        self.live: dict[str, None] = {}  # insertion-ordered set: oldest first
        self.welcome: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.conn: tornado.websocket.WebSocketClientConnection | None = None

    def on_message(self, data: str | bytes | None) -> None:
        if data is None:
            if not self.closed.done():
                self.closed.set_result(None)
            return
        assert isinstance(data, bytes)
        msg = msgpack.unpackb(data)
        t = msg.get("t")
        if t == "welcome":
            self.me = msg["me"]
            self.seq = msg["seq"]
            if msg["elements"] is not None:
                self.live = {e["id"]: None for e in msg["elements"]}
            else:
                self._apply(msg["ops"])
            if not self.welcome.done():
                self.welcome.set_result(msg)
        elif t == "ops":
            self.stats.frames_received += 1
            self._apply(msg["ops"])
        elif t == "err":
            self.stats.errors[msg["code"]] += 1

    def _apply(self, sops: list[dict[str, Any]]) -> None:
        for sop in sops:
            self.seq = sop["s"]
            if sop["by"] == self.me:
                self.stats.ops_acked += 1
            k = sop["k"]
            if k == "add":
                self.live[sop["e"]["id"]] = None
            elif k == "delete":
                for i in sop["ids"]:
                    self.live.pop(i, None)

    async def send(self, msg: dict[str, Any]) -> bool:
        if self.conn is None or self.closed.done():
            return False
        try:
            await self.conn.write_message(msgpack.packb(msg), binary=True)
        except tornado.websocket.WebSocketClosedError:
            return False
        if msg["t"] == "ops":
            self.stats.ops_sent += len(msg["ops"])
        return True


class Soak:
    def __init__(self, args: argparse.Namespace, server: ServerProcess) -> None:
        self.args = args
        self.server = server
        self.url = server.url
        self.ws_url = server.url.replace("http://", "ws://")
        self.stats = Stats()
        self.samples: list[Sample] = []
        self.stop = asyncio.Event()
        self.start = 0.0
        self.c = 0
        self.resume: dict[int, tuple[str, int]] = {}  # user -> (board, seq) of its last session

    def next_c(self) -> int:
        self.c += 1
        return self.c

    async def user(self, user: int) -> None:
        rng = random.Random(user)
        while not self.stop.is_set():
            await self.session(user, rng)
            # A moment between sessions, like a page reload.
            await self.pause(rng.uniform(0.05, 0.5))

    async def pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def session(self, user: int, rng: random.Random) -> None:
        board = f"soak-{rng.randrange(self.args.boards)}"
        s = Session(user, self.stats)
        try:
            s.conn = await tornado.websocket.websocket_connect(
                f"{self.ws_url}/ws/{board}", on_message_callback=s.on_message, connect_timeout=10
            )
        except Exception as exc:
            self.stats.connect_failures[type(exc).__name__] += 1
            await self.pause(1)
            return
        self.stats.sessions += 1
        self.stats.open_now += 1
        try:
            hello: dict[str, Any] = {"t": "hello", "v": 1, "name": f"user {user}"}
            last = self.resume.get(user)
            if last is not None and last[0] == board and rng.random() < 0.5:
                hello["since"] = last[1]
            await s.send(hello)
            if rng.random() < 0.1:
                self.stats.flashes += 1
                self.drop(s, abrupt=True)
                return
            try:
                await asyncio.wait_for(asyncio.shield(s.welcome), 10)
            except TimeoutError:
                self.stats.errors["no_welcome"] += 1
                self.drop(s, abrupt=True)
                return
            self.stats.welcomes += 1
            await self.draw(s, user, rng)
            self.resume[user] = (board, s.seq)
            if s.closed.done():
                code = s.conn.close_code
                self.stats.server_closes[code if code is not None else 1006] += 1
            else:
                self.drop(s, abrupt=rng.random() < 0.5)
                if not s.closed.done():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(s.closed), 5)
        finally:
            self.stats.open_now -= 1

    def drop(self, s: Session, *, abrupt: bool) -> None:
        assert s.conn is not None
        if abrupt:
            self.stats.abrupt_drops += 1
            stream = s.conn.protocol.stream if s.conn.protocol is not None else None
            if stream is not None:
                stream.close()  # no close frame: the server only sees the TCP connection end
        else:
            self.stats.clean_drops += 1
            s.conn.close(1000, "bye")

    async def draw(self, s: Session, user: int, rng: random.Random) -> None:
        end = time.monotonic() + rng.uniform(2, 8)
        watcher = rng.random() < 0.25  # some people only watch
        stroke = 0
        while time.monotonic() < end and not self.stop.is_set() and not s.closed.done():
            if watcher:
                await self.pause(0.5)
                continue
            old = list(s.live)[: max(0, len(s.live) - self.args.keep)][:16]
            if old:
                await s.send({"t": "ops", "ops": [{"k": "delete", "c": self.next_c(), "ids": old}]})
            stroke += 1
            eid = f"u{user}-{s.me}-{stroke}"
            pen = {
                "id": eid, "type": "pen", "x": rng.uniform(-500, 500), "y": rng.uniform(-300, 300),
                "stroke": "#1e90ff", "width": 2, "pts": [0, 0],
            }  # fmt: skip
            await s.send({"t": "ops", "ops": [{"k": "add", "c": self.next_c(), "e": pen}]})
            for _ in range(rng.randrange(10, 60)):
                if time.monotonic() >= end or self.stop.is_set():
                    break
                pts = [rng.randint(-4, 4) for _ in range(2 * rng.randint(1, 3))]
                op = {"k": "append", "c": self.next_c(), "id": eid, "pts": pts}
                if not await s.send({"t": "ops", "ops": [op]}):
                    return
                if rng.random() < 0.1:
                    await s.send({"t": "cursor", "x": rng.uniform(0, 900), "y": 1.5})
                await asyncio.sleep(1 / self.args.rate)

    async def sampler(self) -> None:
        http = tornado.httpclient.AsyncHTTPClient()
        assert self.server.proc is not None
        pid = self.server.proc.pid
        print(f"{'t (s)':>6} {'RSS (MB)':>9} {'fds':>5} {'clients':>8} {'sessions':>9} "
              f"{'ops acked':>10}", flush=True)  # fmt: skip
        while True:
            t = time.monotonic() - self.start
            rss, fds = proc_sample(pid)
            sample = Sample(round(t, 1), rss, fds, self.stats.open_now, self.stats.ops_acked,
                            self.stats.sessions)  # fmt: skip
            self.samples.append(sample)
            print(f"{sample.t:>6.0f} {rss / 1024:>9.1f} {fds:>5} {sample.open_clients:>8} "
                  f"{sample.sessions:>9} {sample.ops_acked:>10}", flush=True)  # fmt: skip
            resp = await http.fetch(f"{self.url}/healthz", raise_error=False, request_timeout=10)
            if resp.code != 200:
                self.stats.errors[f"healthz {resp.code}"] += 1
            if self.stop.is_set():
                return
            await self.pause(self.args.sample)

    async def run(self) -> dict[str, Any]:
        assert self.server.proc is not None
        pid = self.server.proc.pid
        idle_rss, idle_fds = proc_sample(pid)
        self.start = time.monotonic()
        sampler = asyncio.ensure_future(self.sampler())
        users = [asyncio.ensure_future(self.user(u)) for u in range(self.args.users)]
        await self.pause(self.args.seconds)
        self.stop.set()
        await asyncio.wait(users, timeout=30)
        await sampler
        # Every client is gone: give the server a moment to see the last closes, then look.
        deadline = time.monotonic() + 10
        settled = proc_sample(pid)
        while settled[1] > idle_fds and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            settled = proc_sample(pid)
        return self.summary((idle_rss, idle_fds), settled)

    def summary(self, idle: tuple[int, int], settled: tuple[int, int]) -> dict[str, Any]:
        warm = min(self.args.warmup, self.args.seconds / 2)
        after = [s for s in self.samples if s.t >= warm] or self.samples[-1:]
        base, last = after[0], self.samples[-1]

        def figures(values: list[int], at_warm: int) -> dict[str, Any]:
            return {
                "first": values[0], "last": values[-1], "max": max(values),
                "at_warmup": at_warm, "growth_after_warmup": values[-1] - at_warm,
            }  # fmt: skip

        rss = [s.rss_kb for s in self.samples]
        fds = [s.fds for s in self.samples]
        st = self.stats
        return {
            "seconds": self.args.seconds,
            "warmup_s": warm,
            "samples": len(self.samples),
            "rss_kb": figures(rss, base.rss_kb),
            "fds": figures(fds, base.fds),
            "before_load": {"rss_kb": idle[0], "fds": idle[1]},
            "after_load": {"rss_kb": settled[0], "fds": settled[1]},
            "sessions": st.sessions,
            "flash_sessions": st.flashes,
            "welcomes": st.welcomes,
            "clean_drops": st.clean_drops,
            "abrupt_drops": st.abrupt_drops,
            "ops_sent": st.ops_sent,
            "ops_acked": st.ops_acked,
            "ops_frames_received": st.frames_received,
            "errors": dict(st.errors),
            "server_closes": {str(k): v for k, v in st.server_closes.items()},
            "connect_failures": dict(st.connect_failures),
            "last_sample_t": last.t,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600, help="length of the load (600)")
    ap.add_argument("--warmup", type=float, default=120, help="growth is measured after (120)")
    ap.add_argument("--sample", type=float, default=10, help="seconds between samples (10)")
    ap.add_argument("--boards", type=int, default=4)
    ap.add_argument("--users", type=int, default=12, help="simulated people at any time (12)")
    ap.add_argument("--rate", type=float, default=20, help="append ops per second while drawing")
    ap.add_argument("--keep", type=int, default=40, help="elements kept per board by erasing")
    ap.add_argument("--resume-ops", type=int, default=2000, help="the server's --resume-ops")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="soak-") as data:
        server = ServerProcess(
            data, "--resume-ops", str(args.resume_ops), "--log-level", "info"
        ).start()
        assert server.proc is not None
        try:
            summary = asyncio.run(Soak(args, server).run())
        finally:
            if server.proc.poll() is None:
                server.proc.send_signal(signal.SIGTERM)
            exit_code = server.wait(30)
        log = server.output()
        summary["server_exit_code"] = exit_code
        summary["server_log_errors"] = sum(
            1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line
        )
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    bad = summary["server_exit_code"] != 0 or summary["server_log_errors"] > 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
