"""Load generator: N WebSocket clients on one board (or B boards), K of them drawing.

Why it exists: the Performance issue asks how many people one board holds before ink lags, and
how that compares with the obvious design (``bench/baseline_relay.py``). Only a measurement from
outside the server answers that, so this speaks nothing but PROTOCOL.md (no import from the
``whiteboard`` package): it works against our server, the baseline relay or any other server
that keeps the contract.

What it does: N clients connect and say ``hello``; once all are welcomed, K of them draw real
strokes (an ``add`` of a pen element, then ``append`` ops of a few points each, R ops per second
per drawer, a new stroke every 100 points), one op per WebSocket frame as a browser sends them
once per animation frame. The others watch. After a warm-up, ``--seconds`` of measurement, then
the drawers stop and the generator waits (at most ``--drain`` s) for every client to catch up.

What it measures, per delivery (one server op reaching one client, author included):
- latency: the receive time minus the send time of that op, matched by its ``(by, c)`` -- at
  every receiver, not just the author;
- lost (a gap in ``s``), duplicated (a seq twice) and undelivered (never arrived) deliveries;
- bytes on the wire per pen point received: WebSocket payload plus frame header (TCP/IP
  headers not included), over every ``ops`` frame every client received. Clients ask for
  compact ops frames (``hello.compact``, docs/protocol.md), as the browser does; a server that
  ignores the field (the baseline relay) sends PROTOCOL.md frames, and both are read.
  ``--no-compact`` measures the PROTOCOL.md form on our server too;
- CPU and RSS of the server (``/proc/<pid>``), of the generator itself and of the machine, so
  the report shows how the two cores were split and whether the generator was the bottleneck.

Why it is fast enough to not be the bottleneck: picows on uvloop parses frames in C, and a
server that encodes a frame once sends the same bytes to everyone, so each distinct frame is
decoded once (cached by its bytes) and each receiver only checks its sequence numbers and
stores a receive time. Latencies are computed after the run, off the measured path.

    .venv/bin/python bench/loadgen.py --spawn-server -N 200 -K 20 -R 30 --seconds 20
    .venv/bin/python bench/loadgen.py --spawn-baseline -N 100 -K 10
    .venv/bin/python bench/loadgen.py --url http://127.0.0.1:8888 --server-pid 1234 -N 50

``--views 10`` makes every client also send its viewport (``view``, PROTOCOL.md 1.1) 10 times
a second, panning slowly, as a room where everyone could be followed: the cost of presenting.
``--cursors 30`` makes every client move its pointer, a ``cursor`` 30 times a second, and
measures cursor latency at every receiver (the x of each cursor names it).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import json
import math
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgpack
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

# bench's own stdlib-only helper (not the whiteboard package), found when imported from afar too
sys.path.insert(0, str(Path(__file__).resolve().parent))
import lag_metrics

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
BINARY = WSMsgType.BINARY
LISTENING = re.compile(r"listening on (http://[^/\s]+)/")
COLORS = ["#1e1e1e", "#e03131", "#2f9e44", "#1971c2", "#f08c00", "#9c36b5"]
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

# Latency histogram: bin 0 is [0, L0), bin b >= 1 is [L0 * G**(b-1), L0 * G**b). 2 % wide bins
# give percentiles within 1 % (the middle of the bin is reported) at a fixed, small cost.
L0 = 10e-6
G = 1.02
NBINS = 1000  # up to L0 * G**999, about 4 * 10**3 s
EDGES = [L0 * G**b for b in range(NBINS)]
LOG_G = math.log(G)

OPS, PRESENCE = 1, 2


def _bin(x: float) -> int:
    if x < L0:
        return 0
    return min(NBINS - 1, int(math.log(x / L0) / LOG_G) + 1)


def frame_header_bytes(payload: int) -> int:
    """Header of an unmasked server frame (RFC 6455 5.2): what the payload costs on top."""
    return 2 if payload < 126 else 4 if payload <= 0xFFFF else 10


# -- /proc readings ---------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads (the store's writer too)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) in KiB and Threads, from /proc/<pid>/status."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine, summed over cores (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, which is counted in user already
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuSnapshot:
    t: float
    server: float  # summed over every server process (several with --redis)
    generator: float
    machine_busy: float
    redis: float = 0.0

    @staticmethod
    def take(
        server_pid: int | None, also: tuple[int, ...] = (), redis_pid: int | None = None
    ) -> CpuSnapshot:
        def cpu(pids: tuple[int, ...]) -> float:
            try:
                return sum(proc_cpu_seconds(p) for p in pids)
            except OSError:
                return math.nan

        server = cpu((server_pid, *also)) if server_pid is not None else 0.0
        redis = cpu((redis_pid,)) if redis_pid is not None else 0.0
        return CpuSnapshot(time.monotonic(), server, time.process_time(), machine_cpu()[0], redis)


# -- the server under test --------------------------------------------------------------------


class ServerProcess:
    """A server started for one run (ours or the baseline relay) on a free port.

    Its stderr is read on a thread until it says where it listens, then drained for the rest
    of the run so that a full pipe can never stall the server being measured.
    """

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.tail: list[str] = []
        self._ready = threading.Event()

    def start(self, timeout: float = 30) -> str:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError("server did not start:\n" + "".join(self.tail))
        return self.url

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.tail = [*self.tail[-30:], line]
            if not self._ready.is_set():
                m = LISTENING.search(line)
                if m:
                    self.url = m.group(1)
                    self._ready.set()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def server_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def spawn_argv(kind: str, data: str, n: int, extra: list[str]) -> list[str]:
    """The command line of the server to start: ours, or the baseline relay."""
    if kind == "baseline":
        return [server_python(), str(ROOT / "bench" / "baseline_relay.py"), "--port", "0",
                "--data", data, *extra]  # fmt: skip
    # Every client comes from 127.0.0.1: lift the per-address cap above N.
    return [server_python(), str(ROOT / "server.py"), "--port", "0", "--data", data,
            "--connections-per-ip", str(max(100, n + 50)), *extra]  # fmt: skip


# -- what the clients saw ---------------------------------------------------------------------


class FrameInfo:
    """One distinct frame from the server, decoded once, and when each client received it."""

    __slots__ = ("board", "contiguous", "first", "keys", "kind", "last", "points", "recv",
                 "sends", "seqs", "wire")  # fmt: skip

    def __init__(self, kind: int, board: int, wire: int) -> None:
        self.kind = kind
        self.board = board
        self.wire = wire
        self.first = self.last = 0
        self.contiguous = True
        self.seqs: list[int] = []
        self.sends: list[float | None] = []
        self.keys: list[tuple[int, int, int]] = []
        self.points = 0
        self.recv = array("d")


class Client(WSListener):
    """One WebSocket: checks that seqs arrive in order, once each, and notes receive times."""

    def __init__(self, run: Run, index: int, board: int) -> None:
        self.run = run
        self.index = index
        self.board = board
        self.transport: WSTransport | None = None
        self.me = 0
        self.welcome_seq = 0
        self.next_seq = 0
        self.lost = 0
        self.dup = 0
        self.close_code: int | None = None
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.welcome_bytes = 0
        self.welcome_points = 0
        self.ping_sent = 0.0
        self.cursors = 0  # cursors sent (Pointers): the x of the next one

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.close_code is None:
            self.close_code = 1006
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError("disconnected before welcome"))

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        now = time.monotonic()
        if frame.msg_type is not BINARY:
            self._control_frame(frame, now)
            return
        payload = frame.get_payload_as_bytes()
        info = self.run.cache.get(payload)
        if info is None:
            info = self.run.decode(payload, self)
            if info is None:
                return
        if info.kind == OPS:
            # The hot path, once per frame per client: keep it to a few attribute operations.
            if info.first == self.next_seq and info.contiguous:
                self.next_seq = info.last + 1
            else:
                self._irregular(info)
            info.recv.append(now)
        elif info.sends:  # a presence frame with measured cursors (--cursors)
            info.recv.append(now)

    def _irregular(self, info: FrameInfo) -> None:
        """Seqs that do not continue where the last frame ended: a gap or a repeat."""
        for s in info.seqs:
            if s == self.next_seq:
                self.next_seq += 1
            elif s > self.next_seq:
                self.lost += s - self.next_seq
                self.next_seq = s + 1
            else:
                self.dup += 1

    def _control_frame(self, frame: WSFrame, now: float) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            self.close_code = int(frame.get_close_code().value)
        elif frame.msg_type is WSMsgType.PONG and self.ping_sent:
            self.run.pings.append(now - self.ping_sent)
            self.ping_sent = 0.0

    def on_message(self, msg: dict[str, Any], size: int) -> None:
        """A frame that is not cached: the welcome, an error, anything unexpected."""
        kind = msg.get("t")
        if kind == "welcome" and not self.welcomed.done():
            self.me = msg["me"]
            self.welcome_seq = msg["seq"]
            self.next_seq = self.welcome_seq + 1
            self.welcome_bytes = size + frame_header_bytes(size)
            self.welcome_points = sum(
                len(e.get("pts") or ()) // 2 for e in msg.get("elements") or () if "pts" in e
            )
            self.welcomed.set_result(None)
        elif kind == "err":
            self.run.refused[msg.get("code", "?")] += 1
            if "c" in msg:
                self.run.refused_keys.add((self.board, self.me, msg["c"]))

    def send(self, message: dict[str, Any]) -> None:
        if self.transport is not None:
            self.transport.send(BINARY, msgpack.packb(message))


class Drawer:
    """Draws like a person with a pen: random-walk strokes of ``stroke_points`` points.

    Ops go out on a fixed schedule (R per second, phases spread over the drawers) as single-op
    frames, as a browser sends them once per animation frame. How late each send is against its
    schedule is recorded: a late generator would otherwise pass as server latency.
    """

    def __init__(self, run: Run, client: Client, rng: random.Random, phase: float) -> None:
        self.run = run
        self.client = client
        self.rng = rng
        self.phase = phase
        self.c = 0
        self.stroke_left = 0
        self.element = ""
        self.dx = 0.0
        self.dy = 0.0
        self.due = 0.0

    def _points(self, n: int) -> list[int]:
        pts: list[int] = []
        rng = self.rng
        for _ in range(n):
            self.dx = max(-6.0, min(6.0, self.dx + rng.uniform(-1.5, 1.5)))
            self.dy = max(-6.0, min(6.0, self.dy + rng.uniform(-1.5, 1.5)))
            pts += (round(self.dx), round(self.dy))
        return pts

    def next_op(self) -> dict[str, Any]:
        n = self.run.points_per_op
        self.c += 1
        if self.stroke_left <= 0:
            self.element = "".join(self.rng.choice(ID_CHARS) for _ in range(16))
            self.stroke_left = self.run.stroke_points
            pts = [0, 0, *self._points(n - 1)]
            self.stroke_left -= n
            element = {
                "id": self.element,
                "type": "pen",
                "x": round(self.rng.uniform(0, 4000), 1),
                "y": round(self.rng.uniform(0, 3000), 1),
                "stroke": self.rng.choice(COLORS),
                "width": self.rng.choice([2, 4, 8]),
                "pts": pts,
            }
            return {"k": "add", "c": self.c, "e": element}
        self.stroke_left -= n
        return {"k": "append", "c": self.c, "id": self.element, "pts": self._points(n)}

    def start(self, loop: asyncio.AbstractEventLoop, t: float) -> None:
        self.due = t + self.phase
        loop.call_at(self.due, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        run = self.run
        if not run.sending or self.client.transport is None or self.client.close_code:
            return
        now = loop.time()
        run.send_lag.append(max(0.0, now - self.due))
        payload = msgpack.packb({"t": "ops", "ops": [self.next_op()]})
        key = (self.client.board, self.client.me, self.c)
        sent = time.monotonic()
        run.sent[key] = sent
        self.client.transport.send(BINARY, payload)
        self.due += run.period
        if self.due < now:  # more than a period late: skip rather than burst to catch up
            run.skipped += 1
            self.due = now + run.period
        loop.call_at(self.due, self._tick, loop)


# -- one run ----------------------------------------------------------------------------------


@dataclass
class Options:
    url: str
    n: int
    k: int
    r: float
    boards: int
    board: str
    seconds: float
    warmup: float
    drain: float
    points_per_op: int
    stroke_points: int
    connect_concurrency: int
    server_pid: int | None
    seed: int
    profile: Path | None = None
    compact: bool = True
    unload_wait: float = 0.0
    also_urls: tuple[str, ...] = ()  # more processes of the same service (--redis)
    also_pids: tuple[int, ...] = ()
    redis_pid: int | None = None
    views: float = 0.0  # view messages per second per client (0: none)
    views_phases: float = 0.0  # views on and off in turns of this many seconds (0: always on)
    cursors: float = 0.0  # cursor messages per second per client (0: none)


class Viewers:
    """Every client sends a ``view`` ``rate`` times a second, phases spread over the period, each
    a slightly panned rectangle. One timer for all: the generator must stay cheap."""

    def __init__(self, run: Run, rate: float) -> None:
        self.run = run
        self.period = 1.0 / rate
        self.sent = 0
        self.n = 0
        self.on = True  # off: the ticks go on, sending nothing (``--views-phases``)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        clients = self.run.clients
        step = self.period / max(1, len(clients))
        t = loop.time()
        for i, client in enumerate(clients):
            loop.call_at(t + i * step, self._tick, loop, client, t + i * step)

    def message(self, client: Client) -> bytes:
        self.n += 1
        x = float(client.me % 50 * 40 + self.n % 400)
        return msgpack.packb({"t": "view", "vp": [x, 0.5, x + 1200.5, 800.5]})

    def _tick(self, loop: asyncio.AbstractEventLoop, client: Client, due: float) -> None:
        if not self.run.sending or client.transport is None or client.close_code:
            return
        if self.on:
            client.transport.send(BINARY, self.message(client))
            self.sent += 1
        due += self.period
        loop.call_at(max(due, loop.time()), self._tick, loop, client, due)


class Pointers(Viewers):
    """Every client moves its pointer: a ``cursor`` ``rate`` times a second (a browser sends one
    per animation frame while the pointer moves; 30 is a pointer on a 30 Hz schedule).

    Each cursor's ``x`` is a counter of that client's cursors, so a receiver finds when it was
    sent by ``(board, id, x)`` and its latency is measured like an op's, at every receiver.
    """

    def message(self, client: Client) -> bytes:
        client.cursors += 1
        x = float(client.cursors)
        self.run.cursor_sent[(client.board, client.me, x)] = time.monotonic()
        return msgpack.packb({"t": "cursor", "x": x, "y": float(client.index % 1000)})


class Run:
    """The state of one load run: clients, what was sent when, and every distinct frame seen."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.points_per_op = opts.points_per_op
        self.stroke_points = opts.stroke_points
        self.period = 1.0 / opts.r if opts.r > 0 else math.inf
        self.clients: list[Client] = []
        self.board_size: Counter[int] = Counter()
        self.cache: dict[bytes, FrameInfo] = {}
        self.frames: list[FrameInfo] = []
        self.sent: dict[tuple[int, int, int], float] = {}
        self.cursor_sent: dict[tuple[int, int, float], float] = {}
        self.presence_frames: list[FrameInfo] = []  # those holding measured cursors
        self.acked: set[tuple[int, int, int]] = set()
        self.refused: Counter[str] = Counter()
        self.refused_keys: set[tuple[int, int, int]] = set()
        self.send_lag: list[float] = []
        self.loop_lag: list[float] = []
        self.pings: list[float] = []
        self.skipped = 0
        self.sending = False
        self.unknown_frames = 0
        self.compact_frames = 0  # distinct compact ops frames (0: the server sent none)

    def decode(self, payload: bytes, client: Client) -> FrameInfo | None:
        """Decodes a frame not seen before; ``ops`` and ``presence`` frames are cached."""
        try:
            msg = msgpack.unpackb(payload)
        except Exception:
            self.unknown_frames += 1
            return None
        wire = len(payload) + frame_header_bytes(len(payload))
        if isinstance(msg, list) and msg:
            self.compact_frames += 1
            msg = {"t": "ops", "ops": compact_sops(msg)}
        if not isinstance(msg, dict):
            self.unknown_frames += 1
            return None
        kind = msg.get("t")
        if kind == "ops":
            info = FrameInfo(OPS, client.board, wire)
            sops = msg.get("ops") or []
            info.seqs = [sop["s"] for sop in sops]
            info.first = info.seqs[0] if info.seqs else 0
            info.last = info.seqs[-1] if info.seqs else -1
            info.contiguous = info.seqs == list(range(info.first, info.last + 1))
            for sop in sops:
                key = (client.board, sop.get("by", 0), sop.get("c", -1))
                send = self.sent.get(key)
                info.keys.append(key)
                info.sends.append(send)
                if send is not None:
                    self.acked.add(key)
                pts = sop.get("pts")
                if pts is None and isinstance(sop.get("e"), dict):
                    pts = sop["e"].get("pts")
                info.points += len(pts) // 2 if pts else 0
            self.frames.append(info)
        elif kind == "presence":
            info = FrameInfo(PRESENCE, client.board, wire)
            if self.cursor_sent:
                for cid, x, _ in msg.get("cur") or ():
                    send = self.cursor_sent.get((client.board, cid, x))
                    if send is not None:
                        info.sends.append(send)
                if info.sends:
                    self.presence_frames.append(info)
        else:
            client.on_message(msg, len(payload))
            return None
        self.cache[payload] = info
        return info

    def hello(self, name: str) -> dict[str, Any]:
        hello: dict[str, Any] = {"t": "hello", "v": 1, "name": name}
        if self.opts.compact:
            hello["compact"] = 1
        return hello

    # -- phases ----------------------------------------------------------------------------

    def board_name(self, board: int) -> str:
        return f"{self.opts.board}-{board}" if self.opts.boards > 1 else self.opts.board

    async def connect_all(self) -> None:
        """Opens N WebSockets, a few at a time, and waits for every ``welcome``."""
        opts = self.opts
        gate = asyncio.Semaphore(opts.connect_concurrency)
        # With several processes, clients take them in turn: drawers and watchers both split.
        bases = [u.replace("http://", "ws://").rstrip("/") for u in (opts.url, *opts.also_urls)]

        async def one(i: int) -> None:
            board = i % opts.boards
            url = f"{bases[i % len(bases)]}/ws/{self.board_name(board)}"
            async with gate:
                client = Client(self, i, board)
                self.clients.append(client)
                self.board_size[board] += 1
                await ws_connect(lambda: client, url, websocket_handshake_timeout=30)
                client.send(self.hello(f"bench {i}"))
                await asyncio.wait_for(client.welcomed, 60)

        await asyncio.gather(*(one(i) for i in range(opts.n)))
        self.clients.sort(key=lambda c: c.index)

    async def _view_phases(
        self, viewers: Viewers, pid: int, seconds: float
    ) -> dict[str, list[float]]:
        """Views on, then off, in turns of ``seconds`` for the measured window: the server's CPU
        (% of a core) in each turn. The first second of each turn is not counted (the turn's
        views are still being handled, or still arriving)."""
        out: dict[str, list[float]] = {"on": [], "off": []}
        loop = asyncio.get_running_loop()
        end = loop.time() + self.opts.seconds
        while loop.time() + seconds <= end + 0.01:
            on = viewers.on
            await asyncio.sleep(1.0)
            t0, c0 = loop.time(), proc_cpu_seconds(pid)
            await asyncio.sleep(seconds - 1.0)
            t1, c1 = loop.time(), proc_cpu_seconds(pid)
            out["on" if on else "off"].append(round(100 * (c1 - c0) / (t1 - t0), 2))
            viewers.on = not on
        viewers.on = True
        rest = end - loop.time()
        if rest > 0:
            await asyncio.sleep(rest)
        return out

    async def _loop_lag(self) -> None:
        """The generator's own event-loop lag: a late timer here is a late receive time."""
        while self.sending:
            t = time.monotonic()
            await asyncio.sleep(0.01)
            self.loop_lag.append(time.monotonic() - t - 0.01)

    async def _ping(self, client: Client) -> None:
        """WebSocket pings from one watcher: the server answers them on its IOLoop."""
        while self.sending:
            if client.transport is not None and not client.ping_sent:
                client.ping_sent = time.monotonic()
                client.transport.send_ping()
            await asyncio.sleep(0.05)

    async def run(self) -> dict[str, Any]:
        opts = self.opts
        loop = asyncio.get_running_loop()
        rss_idle = self._server_status().get("VmRSS")
        t_connect = time.monotonic()
        await self.connect_all()
        connect_s = time.monotonic() - t_connect
        # Collections of a heap this size pause for tens of ms: they would show as latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        rng = random.Random(opts.seed)
        k = min(opts.k, opts.n)
        drawers = [
            Drawer(self, self.clients[i], random.Random(rng.random()), i / k * self.period)
            for i in range(k)
        ]
        self.sending = True
        start = loop.time()
        for d in drawers:
            d.start(loop, start)
        viewers = Viewers(self, opts.views) if opts.views > 0 else None
        if viewers is not None:
            viewers.start(loop)
        pointers = Pointers(self, opts.cursors) if opts.cursors > 0 else None
        if pointers is not None:
            pointers.start(loop)
        lag_task = asyncio.ensure_future(self._loop_lag())
        ping_task = asyncio.ensure_future(self._ping(self.clients[-1]))
        await asyncio.sleep(opts.warmup)
        metrics_before = await asyncio.to_thread(lag_metrics.fetch, opts.url)
        before = CpuSnapshot.take(opts.server_pid, opts.also_pids, opts.redis_pid)
        spy = start_profiler(opts.server_pid, opts.seconds, opts.profile)
        lag_mark, ping_mark, send_mark = len(self.loop_lag), len(self.pings), len(self.send_lag)
        if viewers is not None and opts.views_phases > 0 and opts.server_pid:
            phases = await self._view_phases(viewers, opts.server_pid, opts.views_phases)
        else:
            phases = None
            await asyncio.sleep(opts.seconds)
        after = CpuSnapshot.take(opts.server_pid, opts.also_pids, opts.redis_pid)
        self.sending = False
        server_status = self._server_status()
        metrics_after = await asyncio.to_thread(lag_metrics.fetch, opts.url)
        drained = await self._drain(opts.drain)
        await asyncio.gather(lag_task, ping_task)
        profile = await finish_profiler(spy, opts.profile)
        rest = await self._late_joiner()
        for c in self.clients:
            if c.transport is not None:
                c.transport.disconnect()
        gc.enable()
        result = self.summary(
            before, after, server_status, drained, connect_s, rest,
            lag_mark, ping_mark, send_mark,
        )  # fmt: skip
        rss_unloaded = None
        if opts.unload_wait > 0:  # the server was started with a short --idle-unload-s
            await asyncio.sleep(opts.unload_wait)
            rss_unloaded = self._server_status().get("VmRSS")
        if profile is not None:
            result["server"]["profile"] = profile
        result["views_per_s"] = opts.views
        result["views_sent"] = viewers.sent if viewers is not None else 0
        if phases is not None:
            result["views_phases"] = phases
        result["cursors_per_s"] = opts.cursors
        result["cursor_latency_ms"] = self.cursor_latency(before.t, after.t)
        srv = result["server"]
        srv["loop_lag_ms"] = lag_metrics.lag_ms(metrics_before, metrics_after)
        srv["rss_idle_mb"] = _kib_to_mb(rss_idle)
        loaded = server_status.get("VmRSS")
        srv["rss_per_board_kb"] = _round(
            (loaded - rss_idle) / opts.boards if loaded and rss_idle else None
        )
        srv["rss_after_unload_mb"] = _kib_to_mb(rss_unloaded)
        return result

    def cursor_latency(self, t0: float, t1: float) -> dict[str, Any]:
        """Cursor latency at every receiver, for cursors sent in the measured window.

        Cursors may be dropped (PROTOCOL.md), so one that never came is not counted late;
        ``received`` says how many deliveries were measured. A shared frame reaches its
        sender too: that one delivery in N is counted like the others.
        """
        hist = [0] * NBINS
        worst = 0.0
        for info in self.presence_frames:
            recv = sorted(info.recv)
            if not recv:
                continue
            for s in info.sends:
                if t0 <= s < t1:
                    worst = max(worst, recv[-1] - s)
                    _histogram_add(hist, recv, s)
        count = sum(hist)
        sent = sum(1 for s in self.cursor_sent.values() if t0 <= s < t1)
        return {
            "p50": _ms(_percentile(hist, count, 0, 0.50)),
            "p99": _ms(_percentile(hist, count, 0, 0.99)),
            "max": _ms(worst) if count else None,
            "received": count,
            "sent": sent,
        }

    def _server_status(self) -> dict[str, int]:
        if self.opts.server_pid is None:
            return {}
        try:
            return proc_status(self.opts.server_pid)
        except OSError:
            return {}

    def _caught_up(self) -> bool:
        """Every op sent and not refused has reached every client still connected."""
        head: Counter[int] = Counter()
        for c in self.clients:
            head[c.board] = max(head[c.board], c.welcome_seq)
        for board, _, _ in self.sent:
            head[board] += 1
        for board, _, _ in self.refused_keys:
            head[board] -= 1
        return all(c.close_code is not None or c.next_seq > head[c.board] for c in self.clients)

    async def _drain(self, limit: float) -> float:
        """Waits until every op sent reached every client, or ``limit`` s; returns the wait."""
        t = time.monotonic()
        while time.monotonic() - t < limit and not self._caught_up():
            await asyncio.sleep(0.05)
        return time.monotonic() - t

    async def _late_joiner(self) -> dict[str, int] | None:
        """One more client joins board 0 after the run: its welcome is ink at rest."""
        base = self.opts.url.replace("http://", "ws://").rstrip("/")
        client = Client(self, -1, 0)
        try:
            url = f"{base}/ws/{self.board_name(0)}"
            await ws_connect(lambda: client, url, websocket_handshake_timeout=10)
            client.send(self.hello("late joiner"))
            await asyncio.wait_for(client.welcomed, 5)
        except (OSError, TimeoutError, ConnectionError):
            return None
        finally:
            if client.transport is not None:
                client.transport.disconnect()
        return {"bytes": client.welcome_bytes, "points": client.welcome_points}

    # -- results ---------------------------------------------------------------------------

    def summary(
        self,
        before: CpuSnapshot,
        after: CpuSnapshot,
        server_status: dict[str, int],
        drained: float,
        connect_s: float,
        rest: dict[str, int] | None,
        lag_mark: int,
        ping_mark: int,
        send_mark: int,
    ) -> dict[str, Any]:
        opts = self.opts
        t0, t1 = before.t, after.t
        span = t1 - t0
        hist = [0] * NBINS
        delivered: Counter[tuple[int, int, int]] = Counter()
        deliveries_in_window = 0
        lat_max = 0.0
        wire_total = points_total = ops_delivered = frames_delivered = 0
        for info in self.frames:
            recv = sorted(info.recv)
            n = len(recv)
            if n == 0:
                continue
            nops = len(info.seqs)
            wire_total += info.wire * n
            points_total += info.points * n
            ops_delivered += nops * n
            frames_delivered += n
            deliveries_in_window += nops * (bisect_left(recv, t1) - bisect_left(recv, t0))
            for key, s in zip(info.keys, info.sends, strict=True):
                if s is None:
                    continue
                delivered[key] += n
                if not t0 <= s < t1:
                    continue
                lat_max = max(lat_max, recv[-1] - s)
                _histogram_add(hist, recv, s)
        # An op that was not refused must reach every client of its board. Those sent while
        # measuring and missing count as infinitely late in the percentiles.
        in_window = 0
        undelivered = missing_all = 0
        for key, s in self.sent.items():
            if key in self.refused_keys:
                continue
            missing = max(0, self.board_size[key[0]] - delivered[key])
            missing_all += missing
            if t0 <= s < t1:
                in_window += 1
                undelivered += missing
        count = sum(hist)
        lat = {
            "p50": _percentile(hist, count, undelivered, 0.50),
            "p95": _percentile(hist, count, undelivered, 0.95),
            "p99": _percentile(hist, count, undelivered, 0.99),
            "max": math.inf if undelivered else lat_max,
            "count": count,
        }
        server_cpu = after.server - before.server
        redis_cpu = after.redis - before.redis
        gen_cpu = after.generator - before.generator
        machine = after.machine_busy - before.machine_busy
        deliveries_per_s = deliveries_in_window / span
        closes = Counter(str(c.close_code) for c in self.clients if c.close_code is not None)
        gen_status = proc_status(os.getpid())
        return {
            "url": opts.url,
            "n": opts.n,
            "k": min(opts.k, opts.n),
            "r": opts.r,
            "boards": opts.boards,
            "seconds": round(span, 3),
            "warmup": opts.warmup,
            "points_per_op": opts.points_per_op,
            "compact": opts.compact,
            "connect_s": round(connect_s, 2),
            "ops_sent": len(self.sent),
            "ops_in_per_s": round(in_window / span, 1),
            "deliveries_per_s": round(deliveries_per_s, 1),
            "latency_ms": {k: _ms(v) if k != "count" else v for k, v in lat.items()},
            "lost": sum(c.lost for c in self.clients),
            "duplicated": sum(c.dup for c in self.clients),
            "undelivered": undelivered,
            "undelivered_all": missing_all,
            "drain_s": round(drained, 2),
            "refused": dict(self.refused),
            "closed": dict(closes),
            "wire": {
                "bytes_per_point": _round(wire_total / points_total if points_total else None),
                "bytes_per_op": _round(wire_total / ops_delivered if ops_delivered else None),
                "ops_per_frame": _round(
                    ops_delivered / frames_delivered if frames_delivered else None
                ),
                "rest_bytes_per_point": _round(
                    rest["bytes"] / rest["points"] if rest and rest["points"] else None
                ),
                "rest_points": rest["points"] if rest else None,
                "compact_frames": self.compact_frames,
            },
            "server": {
                "pid": opts.server_pid,
                "processes": 1 + len(opts.also_urls),
                "redis_cpu_pct": _round(100 * redis_cpu / span if opts.redis_pid else None),
                "cpu_pct": _round(100 * server_cpu / span if opts.server_pid else None),
                "rss_mb": _kib_to_mb(server_status.get("VmRSS")),
                "rss_peak_mb": _kib_to_mb(server_status.get("VmHWM")),
                "threads": server_status.get("Threads"),
                "cpu_us_per_delivery": _round(
                    1e6 * server_cpu / deliveries_in_window
                    if opts.server_pid and deliveries_in_window else None
                ),
                "ping_ms": _summary_ms(self.pings[ping_mark:]),
            },
            "generator": {
                "cpu_pct": _round(100 * gen_cpu / span),
                "rss_mb": _kib_to_mb(gen_status.get("VmRSS")),
                "loop_lag_ms": _summary_ms(self.loop_lag[lag_mark:]),
                "send_lag_ms": _summary_ms(self.send_lag[send_mark:]),
                "sends_skipped": self.skipped,
            },
            "machine": {
                "cores": os.cpu_count(),
                "busy_pct": _round(100 * machine / span),
                # Clock-tick rounding can make this a few % negative on an idle machine.
                "other_pct": _round(
                    max(0.0, 100 * (machine - server_cpu - gen_cpu - redis_cpu) / span)
                ),
            },
        }  # fmt: skip


def compact_sops(frame: list[Any]) -> list[dict[str, Any]]:
    """The server ops of a compact frame (docs/protocol.md, "Compact live ops"): the first
    seq, then each op, an append as ``[by, c, id, pts(, pr)]``, any other op a map without s."""
    first = frame[0]
    sops: list[dict[str, Any]] = []
    for i, op in enumerate(frame[1:]):
        if isinstance(op, list):
            sops.append({"k": "append", "by": op[0], "c": op[1], "id": op[2], "pts": op[3],
                         "s": first + i})  # fmt: skip
        else:
            sops.append({**op, "s": first + i})
    return sops


def _histogram_add(hist: list[int], recv: list[float], s: float) -> None:
    """Adds the latencies ``r - s`` of every receive time r (sorted) to the histogram.

    Instead of one log() per delivery (a thousand per op on a big board), it walks the bins
    between the first and the last receiver and counts each with a bisect.
    """
    n = len(recv)
    lo, hi = _bin(recv[0] - s), _bin(recv[-1] - s)
    if lo == hi:
        hist[lo] += n
        return
    prev = 0
    for b in range(lo, hi):
        j = bisect_left(recv, s + EDGES[b], prev)
        hist[b] += j - prev
        prev = j
    hist[hi] += n - prev


def _percentile(hist: list[int], count: int, missing: int, q: float) -> float:
    """The q-quantile in seconds; deliveries that never came count as infinitely late."""
    total = count + missing
    if total == 0:
        return math.nan
    rank = q * total
    seen = 0
    for b, n in enumerate(hist):
        seen += n
        if seen >= rank and n:
            low = 0.0 if b == 0 else EDGES[b - 1]
            return (low + EDGES[b]) / 2
    return math.inf


def _ms(v: float) -> float | None:
    if math.isnan(v):
        return None
    return v if math.isinf(v) else round(v * 1000, 2)


def _kib_to_mb(v: int | None) -> float | None:
    return None if v is None else round(v / 1024, 1)


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _summary_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    v = sorted(values)
    return {
        "p50": round(v[len(v) // 2] * 1000, 2),
        "p99": round(v[min(len(v) - 1, int(0.99 * len(v)))] * 1000, 2),
        "max": round(v[-1] * 1000, 2),
    }


# -- profiling the server -------------------------------------------------------------------


def start_profiler(
    pid: int | None, seconds: float, out: Path | None
) -> subprocess.Popen[str] | None:
    """py-spy samples the server during the measured window (collapsed stacks, per function).

    Only samples holding the GIL are kept (--gil): the IOLoop waiting in epoll and the store's
    writer waiting on its queue are not work, and would otherwise top the list. It samples
    from outside without pausing the server (--nonblocking), so the server runs as it does
    unprofiled, except for the core share py-spy itself takes.
    """
    if pid is None or out is None:
        return None
    spy = ROOT / ".venv" / "bin" / "py-spy"
    exe = str(spy) if spy.exists() else shutil.which("py-spy")
    if exe is None:
        print("py-spy not found: .venv/bin/pip install py-spy", file=sys.stderr)
        return None
    argv = [exe, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", "100",
            "-f", "raw", "-F", "--gil", "--nonblocking", "-o", str(out)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


async def finish_profiler(spy: subprocess.Popen[str] | None, out: Path | None) -> Any:
    if spy is None or out is None:
        return None
    for _ in range(200):
        if spy.poll() is not None:
            break
        await asyncio.sleep(0.1)
    else:
        spy.kill()
    if not out.exists():
        err = spy.stderr.read() if spy.stderr else ""
        return {"error": err.strip()[-500:]}
    return summarize_profile(out.read_text())


# Frames that every sample of the IOLoop (or a thread) passes through: 100 % inclusive, no news.
_FRAMEWORK_ROOTS = ("asyncio/runners.py", "asyncio/base_events.py", "asyncio/events.py",
                    "threading.py", "<module>", "main (server.py")  # fmt: skip


def summarize_profile(raw: str, top: int = 15) -> dict[str, Any]:
    """From py-spy's collapsed stacks: the functions with most samples on top (own time) and
    anywhere in the stack (inclusive time), as percentages of all samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] += n
        for name in set(frames):
            if not any(part in name for part in _FRAMEWORK_ROOTS):
                inclusive[name] += n

    def pct(c: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in c.most_common(top)]

    return {"samples": total, "own": pct(own), "inclusive": pct(inclusive)} if total else {}


# -- entry points ------------------------------------------------------------------------------


def run_load(opts: Options) -> dict[str, Any]:
    """One load run against a server that is already up; returns the JSON summary."""
    return uvloop.run(Run(opts).run())


def run_spawned(kind: str, opts: Options, server_args: Iterable[str] = ()) -> dict[str, Any]:
    """Starts a fresh server ('ours' or 'baseline') on a temporary folder, loads it, stops it."""
    with tempfile.TemporaryDirectory(prefix="loadgen-") as tmp:
        server = ServerProcess(spawn_argv(kind, tmp, opts.n, list(server_args)))
        opts.url = server.start()
        opts.server_pid = server.pid
        try:
            result = run_load(opts)
        finally:
            server.stop()
        result["server"]["kind"] = kind
        return result


def format_summary(r: dict[str, Any]) -> str:
    lat, srv, gen, wire = r["latency_ms"], r["server"], r["generator"], r["wire"]
    lines = [
        f"server {srv.get('kind', r['url'])}: N={r['n']} K={r['k']} R={r['r']:g}"
        f" boards={r['boards']}  ({r['seconds']:.1f} s measured after {r['warmup']:g} s"
        f" warm-up; connect {r['connect_s']} s)",
        f"  ops in/s {r['ops_in_per_s']:,.0f}   deliveries/s {r['deliveries_per_s']:,.0f}",
        f"  latency ms  p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}"
        f"  ({lat['count']:,} deliveries)",
        f"  lost {r['lost']}  duplicated {r['duplicated']}  undelivered {r['undelivered']}"
        f" (all ops: {r['undelivered_all']})  closed {r['closed'] or '-'}"
        f"  refused {r['refused'] or '-'}",
        f"  wire{' (compact frames)' if wire['compact_frames'] else ''}:"
        f" {wire['bytes_per_point']} B per pen point received (live),"
        f" {wire['bytes_per_op']} B per op, {wire['ops_per_frame']} ops per frame;"
        f" at rest (welcome): {wire['rest_bytes_per_point']} B per point",
        f"  server CPU {srv['cpu_pct']} % of a core ({srv['processes']} process(es);"
        f" redis-server {srv['redis_cpu_pct']} %), RSS {srv['rss_mb']} MB (peak"
        f" {srv['rss_peak_mb']}), {srv['cpu_us_per_delivery']} us CPU per delivery,"
        f" ping p50/p99 {srv['ping_ms']['p50']}/{srv['ping_ms']['p99']} ms,"
        f" loop lag p50/p99 {srv['loop_lag_ms']['p50']}/{srv['loop_lag_ms']['p99']} ms",
        f"  server RSS idle {srv['rss_idle_mb']} MB, {srv['rss_per_board_kb']} kB per loaded"
        f" board, after unload {srv['rss_after_unload_mb']} MB",
        f"  generator CPU {gen['cpu_pct']} %, loop lag p99 {gen['loop_lag_ms']['p99']} ms,"
        f" send lag p99 {gen['send_lag_ms']['p99']} ms, skipped {gen['sends_skipped']};"
        f" machine {r['machine']['busy_pct']} % of {r['machine']['cores']} cores"
        f" (others {r['machine']['other_pct']} %)",
        f"  views: {r.get('views_per_s', 0):g}/s per client, {r.get('views_sent', 0):,} sent",
    ]  # fmt: skip
    cur = r.get("cursor_latency_ms") or {}
    if r.get("cursors_per_s"):
        lines.append(
            f"  cursors: {r['cursors_per_s']:g}/s per client, {cur.get('sent', 0):,} sent while"
            f" measuring, {cur.get('received', 0):,} deliveries; latency ms p50 {cur.get('p50')}"
            f"  p99 {cur.get('p99')}  max {cur.get('max')}"
        )
    return "\n".join(lines)


def is_loopback(url: str) -> bool:
    """Load is only ever sent to this machine: a load test is no way to reach anyone else."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def raise_fd_limit() -> None:
    """Two sockets per client on one machine: lift the soft limit on open files to the hard one.

    A spawned server inherits it, so N in the thousands works without touching ulimit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def json_safe(value: Any) -> Any:
    """Infinity (a latency of deliveries that never came) is not JSON: it becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def format_profile(profile: dict[str, Any]) -> str:
    if not profile or "error" in profile:
        return f"  profile: {profile.get('error', 'no samples') if profile else 'no samples'}"
    lines = [f"  server profile ({profile['samples']} samples): own time"]
    lines += [f"    {p:5.1f} %  {name}" for name, p in profile["own"]]
    lines.append("  inclusive time")
    lines += [f"    {p:5.1f} %  {name}" for name, p in profile["inclusive"]]
    return "\n".join(lines)


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        url=(args.url or "").split(",")[0],
        also_urls=tuple((args.url or "").split(",")[1:]),
        also_pids=tuple(int(p) for p in (args.server_pid or "").split(",")[1:]),
        redis_pid=args.redis_pid,
        n=args.n,
        k=args.k,
        r=args.r,
        boards=args.boards,
        board=args.board or f"bench{random.getrandbits(32):08x}",
        seconds=args.seconds,
        warmup=args.warmup,
        drain=args.drain,
        points_per_op=args.points_per_op,
        stroke_points=args.stroke_points,
        connect_concurrency=args.connect_concurrency,
        server_pid=int(args.server_pid.split(",")[0]) if args.server_pid else None,
        seed=args.seed,
        profile=args.profile,
        compact=args.compact,
        unload_wait=args.unload_wait,
        views=args.views,
        views_phases=args.views_phases,
        cursors=args.cursors,
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--url",
        help="a running server, e.g. http://127.0.0.1:8888; several processes of one --redis "
        "service comma separated (clients take them in turn)",
    )
    where.add_argument("--spawn-server", action="store_true", help="start server.py for the run")
    where.add_argument("--spawn-baseline", action="store_true", help="start the baseline relay")
    ap.add_argument(
        "--server-pid", help="pid of the --url server (comma separated: one per url), for CPU"
    )
    ap.add_argument("--redis-pid", type=int, help="pid of redis-server, for its CPU share")
    ap.add_argument("--server-args", default="", help="extra flags for a spawned server")
    ap.add_argument("-N", dest="n", type=int, default=200, help="clients (default 200)")
    ap.add_argument("-K", dest="k", type=int, default=20, help="drawing clients (default 20)")
    ap.add_argument("-R", dest="r", type=float, default=30, help="ops/s per drawer (default 30)")
    ap.add_argument("--boards", type=int, default=1, help="spread the clients over B boards")
    ap.add_argument("--board", help="board id (prefix with --boards > 1); default: random")
    ap.add_argument("--seconds", type=float, default=20, help="measured time (default 20)")
    ap.add_argument("--warmup", type=float, default=3, help="drawing before measuring (3)")
    ap.add_argument("--drain", type=float, default=5, help="most seconds to wait for stragglers")
    ap.add_argument("--points-per-op", type=int, default=2,
                    help="points per append (2: a 60 Hz pointer at R=30)")  # fmt: skip
    ap.add_argument(
        "--compact",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask for compact ops frames, as the browser does (default: yes)",
    )
    ap.add_argument("--stroke-points", type=int, default=100, help="points per stroke (100)")
    ap.add_argument("--connect-concurrency", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unload-wait", type=float, default=0.0,
                    help="after the run, wait S seconds with nobody connected, then read the"
                    " server's RSS (start it with a short --idle-unload-s)")  # fmt: skip
    ap.add_argument("--views", type=float, default=0.0,
                    help="every client also sends its viewport R times a second (1.1)")  # fmt: skip
    ap.add_argument("--views-phases", type=float, default=0.0,
                    help="views on and off in turns of S seconds while measuring; the server's"
                    " CPU in each turn is reported (one server, one run: less noise than two"
                    " runs)")  # fmt: skip
    ap.add_argument("--cursors", type=float, default=0.0,
                    help="every client also moves its pointer: R cursors a second")  # fmt: skip
    ap.add_argument("--profile", type=Path, help="py-spy the server while measuring, to FILE")
    ap.add_argument("--json-out", type=Path, help="also write the JSON summary to this file")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    raise_fd_limit()
    if args.n < 1 or args.k < 0 or args.boards < 1 or args.seconds <= 0:
        raise SystemExit("need N >= 1, K >= 0, --boards >= 1, --seconds > 0")
    opts = options_from(args)
    if args.url and not all(is_loopback(u) for u in args.url.split(",")):
        raise SystemExit("--url must be a server on this machine (127.0.0.0/8, localhost, ::1)")
    extra = shlex.split(args.server_args)
    if args.spawn_server or args.spawn_baseline:
        result = run_spawned("baseline" if args.spawn_baseline else "ours", opts, extra)
    else:
        result = run_load(opts)
    print(format_summary(result))
    if "profile" in result["server"]:
        print(format_profile(result["server"]["profile"]))
    text = json.dumps(json_safe(result))
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    ok = not (result["lost"] or result["duplicated"] or result["undelivered"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
