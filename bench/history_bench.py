"""History on a board of 1,000,000 ops: open, seek (``?at=``), page, disk and memory.

Builds a board the way ten people drawing build it (mostly pen appends, a tick every 5 ms with
a few authors' ops each, some shapes, moves and erasing), written straight through
``SQLiteStore.append`` with checkpoints exactly as the Board's ticks write them. Then, on a
real ``server.py`` process:

- cold open: a fresh process, a WebSocket ``hello``, time until the ``welcome`` is decoded;
- RSS of the loaded board (the server's RSS after the welcome minus before);
- ``?at=`` at random S, p50/p95, msgpack and JSON answers;
- paging the whole log with ``limit=10000`` (ops/s), msgpack and JSON;
- the SQLite file's size.

And, in process, the choice of ``checkpoint_every``: for each candidate N, the cost of
``history.state_at`` (plus encoding the answer) at the same random S, reading the checkpoint an
N-spaced board would have from a second database, and the disk those checkpoints would take.

    .venv/bin/python bench/history_bench.py [--ops 1000000] [--samples 200]

Prints a table and the same figures as JSON (also written to ``bench/out/history-{ops}.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import tornado.httpclient
import tornado.websocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.subprocess_server import ServerProcess  # noqa: E402
from whiteboard.config import Settings  # noqa: E402
from whiteboard.document import Document  # noqa: E402
from whiteboard.history import seek  # noqa: E402
from whiteboard.history.checkpoint import build as build_checkpoint  # noqa: E402
from whiteboard.live.presence import PALETTE  # noqa: E402
from whiteboard.protocol import Limits, ProtocolError, encode_ops_array, server_op  # noqa: E402
from whiteboard.store.base import Checkpoint, Client, LogRow  # noqa: E402
from whiteboard.store.sqlite import DB_NAME, SQLiteStore  # noqa: E402

BOARD = "bench-history"
SWEEP = (250, 500, 1000, 2000, 5000, 10_000, 20_000)
SIZE_EVERY = 10_000  # state size is sampled at every multiple of this (for the disk estimate)
OUT = ROOT / "bench" / "out"
MP = {"Accept": "application/msgpack"}


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


# -- the workload ---------------------------------------------------------------------------------


@dataclass
class Author:
    id: int
    stylus: bool  # half the authors draw with pressure
    stroke: str | None = None
    left: int = 0  # appends left in the current stroke
    mine: list[str] = field(default_factory=list)


class Workload:
    """Ten people drawing: each tick, a few of them send one op each."""

    def __init__(self, rng: random.Random, authors: int) -> None:
        self.rng = rng
        self.authors = [Author(i, stylus=i % 2 == 0) for i in range(1, authors + 1)]
        self.n = 0

    def tick(self, doc: Document) -> list[tuple[dict[str, Any], int]]:
        rng = self.rng
        return [
            (self._op(a, doc), a.id)
            for a in rng.sample(self.authors, rng.randint(1, min(6, len(self.authors))))
        ]

    def _op(self, a: Author, doc: Document) -> dict[str, Any]:
        rng = self.rng
        self.n += 1
        if a.stroke is not None and a.left > 0 and doc.get(a.stroke) is not None:
            a.left -= 1
            points = rng.randint(1, 3)
            op: dict[str, Any] = {
                "k": "append", "c": self.n, "id": a.stroke,
                "pts": [rng.randint(-6, 6) for _ in range(2 * points)],
            }  # fmt: skip
            if a.stylus:
                op["pr"] = [rng.randint(60, 200) for _ in range(points)]
            return op
        a.stroke = None
        live = [i for i in a.mine[-50:] if doc.get(i) is not None]
        r = rng.random()
        if r < 0.02 and live:
            ids = rng.sample(live, min(len(live), rng.randint(1, 3)))
            return {"k": "delete", "c": self.n, "ids": ids}
        if r < 0.04 and live:
            moved = {"x": rng.uniform(-5000, 5000), "y": rng.uniform(-3000, 3000)}
            return {"k": "update", "c": self.n, "id": rng.choice(live), "set": moved}
        id = f"a{a.id}-{self.n}"
        a.mine.append(id)
        x, y = round(rng.uniform(-5000, 5000), 1), round(rng.uniform(-3000, 3000), 1)
        color = rng.choice(["#1e1e1e", "#e03131", "#2f9e44", "#1971c2"])
        if r < 0.07:
            kind = rng.choice(["rect", "ellipse", "arrow"])
            w, h = rng.randint(-300, 300), rng.randint(-300, 300)
            e: dict[str, Any] = {
                "id": id, "type": kind, "x": x, "y": y, "w": w, "h": h, "stroke": color,
                "width": 2,
            }  # fmt: skip
            return {"k": "add", "c": self.n, "e": e}
        a.stroke, a.left = id, rng.randint(15, 90)
        e = {"id": id, "type": "pen", "x": x, "y": y, "stroke": color, "width": 2,
             "pts": [0, 0], "ps": 2}  # fmt: skip
        if a.stylus:
            e["pr"] = [128]
        return {"k": "add", "c": self.n, "e": e}


@dataclass
class Built:
    seq: int
    rows: int
    log_bytes: int
    checkpoints: int
    checkpoint_bytes: int
    state_sizes: dict[int, int]  # packed state size at every multiple of SIZE_EVERY
    live_elements: int
    point_values: int


async def build(
    data: Path, sweep_data: Path, total: int, every: int, sweep_seqs: set[int], seed: int
) -> Built:
    """Write the board into ``data`` (checkpoints as the Board writes them, every ``every``
    ops) and into ``sweep_data`` (the same log, checkpoints exactly at ``sweep_seqs``)."""
    rng = random.Random(seed)
    work = Workload(rng, 10)
    main, sweep = SQLiteStore(str(data)), SQLiteStore(str(sweep_data))
    await main.start()
    await sweep.start()
    for a in work.authors:
        client = Client(a.id, f"Author {a.id}", PALETTE[(a.id - 1) % len(PALETTE)])
        await main.add_client(BOARD, client)
        await sweep.add_client(BOARD, client)
    doc = Document(Limits())
    ts = 1_700_000_000_000
    pending: list[asyncio.Future[None]] = []
    built = Built(0, 0, 0, 0, 0, {}, 0, 0)
    checkpoint_seq = 0
    while doc.seq < total:
        ts += 5 if rng.random() < 0.999 else rng.randint(60_000, 3_600_000)  # idle gaps too
        first = doc.seq + 1
        sops = []
        for op, by in work.tick(doc):
            if doc.seq >= total:
                break
            result = doc.apply(op, doc.seq + 1)
            if isinstance(result, ProtocolError):
                continue
            sops.append(server_op(dict(result), doc.seq, by))
            if doc.seq in sweep_seqs:
                pending.append(
                    asyncio.ensure_future(
                        sweep.save_checkpoint(BOARD, Checkpoint(doc.seq, pack(doc.to_state())))
                    )
                )
            if doc.seq % SIZE_EVERY == 0:
                built.state_sizes[doc.seq] = len(pack(doc.to_state()))
        if not sops:
            continue
        row = LogRow(first, doc.seq, ts, encode_ops_array(sops))
        checkpoint = None
        if doc.seq - checkpoint_seq >= every:  # the Board's rule (live/replica.py, Solo)
            # With its layout, as the Board's checkpoints come: the append then goes to the
            # writer at once, in order with the others (appends are conditional on the head).
            checkpoint = build_checkpoint(doc)  # the deleted ids' first adds beside it
            checkpoint_seq = doc.seq
            built.checkpoints += 1
            built.checkpoint_bytes += len(checkpoint.state)
        built.rows += 1
        built.log_bytes += len(row.ops)
        pending.append(asyncio.ensure_future(main.append(BOARD, row, checkpoint)))
        pending.append(asyncio.ensure_future(sweep.append(BOARD, row)))
        if len(pending) >= 4000:
            await asyncio.gather(*pending)
            pending.clear()
        if doc.seq // 100_000 != (doc.seq - len(sops)) // 100_000:
            print(f"  built {doc.seq:,} ops", file=sys.stderr)
    await asyncio.gather(*pending)
    await main.close()
    await sweep.close()
    built.seq = doc.seq
    built.live_elements = len(doc)
    built.point_values = sum(len(e.get("pts", ())) for e in doc.elements())
    return built


# -- choosing checkpoint_every -------------------------------------------------------------------


class SpacedStore(SQLiteStore):
    """The sweep database read as if checkpoints were ``spacing`` ops apart: the checkpoint a
    board with that spacing would use for ``?at=S`` is the one at ``S // spacing * spacing``."""

    spacing = 1000

    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None:
        return await super().checkpoint_at_or_before(board, seq // self.spacing * self.spacing)


async def sweep_spacing(sweep_data: Path, samples: list[int]) -> dict[int, dict[str, float]]:
    store = SpacedStore(str(sweep_data))
    await store.start()
    limits = Limits()
    out: dict[int, dict[str, float]] = {}
    for n in SWEEP:
        store.spacing = n
        times = []
        for s in samples:
            t0 = time.perf_counter()
            await seek.snapshot_msgpack(store, BOARD, s, limits)  # what ?at= does (msgpack)
            times.append((time.perf_counter() - t0) * 1000)
        out[n] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "max_ms": max(times)}
    await store.close()
    return out


def checkpoint_disk(built: Built, n: int) -> float:
    """Bytes the checkpoints of an ``n``-spaced board would take (exact for multiples of
    SIZE_EVERY, scaled from them below)."""
    if n % SIZE_EVERY == 0:
        return float(sum(size for s, size in built.state_sizes.items() if s % n == 0))
    return sum(built.state_sizes.values()) * SIZE_EVERY / n


# -- the server -----------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, round(p / 100 * (len(v) - 1)))]


async def cold_open(url: str) -> tuple[float, int, int]:
    """Seconds from connecting to a decoded ``welcome``; its size and element count."""
    t0 = time.perf_counter()
    ws = await tornado.websocket.websocket_connect(
        url.replace("http://", "ws://") + f"/ws/{BOARD}", max_message_size=1 << 30
    )
    await ws.write_message(pack({"t": "hello", "v": 1, "name": "bench"}), binary=True)
    while True:
        frame = await ws.read_message()
        assert isinstance(frame, bytes), "server closed"
        msg = msgpack.unpackb(frame)
        if msg.get("t") == "welcome":
            break
    elapsed = time.perf_counter() - t0
    ws.close()
    return elapsed, len(frame), len(msg["elements"])


async def seek_http(url: str, samples: list[int], headers: dict[str, str]) -> list[float]:
    http = tornado.httpclient.AsyncHTTPClient()
    times = []
    for s in samples:
        t0 = time.perf_counter()
        resp = await http.fetch(
            f"{url}/api/boards/{BOARD}?at={s}", headers=headers, decompress_response=False
        )
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.code == 200
    return times


def _next_of_msgpack(body: bytes) -> tuple[int | None, int]:
    """``next`` and the op count of a page without building its ops (the client's own decode
    time is not the server's throughput)."""
    up = msgpack.Unpacker(raw=False, max_buffer_size=len(body))
    up.feed(body)
    nxt, count = None, 0
    for _ in range(up.read_map_header()):
        key = up.unpack()
        if key == "ops":
            count = up.read_array_header()
            for _ in range(count):
                up.skip()
        elif key == "next":
            nxt = up.unpack()
        else:
            up.skip()
    return nxt, count


def _next_of_json(body: bytes) -> tuple[int | None, int]:
    page = json.loads(body)
    return page["next"], len(page["ops"])


async def page_all(url: str, as_msgpack: bool, head: int) -> tuple[float, int, int]:
    """Ops/s paging the whole log with limit=10000; the number of pages and bytes."""
    http = tornado.httpclient.AsyncHTTPClient()
    after: int | None = 0
    seen = pages = size = 0
    t0 = time.perf_counter()
    while after is not None:
        resp = await http.fetch(
            f"{url}/api/boards/{BOARD}/ops?after={after}&limit=10000",
            headers=MP if as_msgpack else {}, decompress_response=False,
        )  # fmt: skip
        after, count = (_next_of_msgpack if as_msgpack else _next_of_json)(resp.body)
        seen += count
        pages += 1
        size += len(resp.body)
    elapsed = time.perf_counter() - t0
    assert seen == head, (seen, head)
    return seen / elapsed, pages, size


async def measure_server(data: Path, every: int, samples: list[int], head: int) -> dict[str, Any]:
    server = ServerProcess(str(data), "--checkpoint-every", str(every))
    server.start()
    try:
        assert server.proc is not None
        pid = server.proc.pid
        before = rss_kib(pid)
        opened, welcome_bytes, elements = await cold_open(server.url)
        after = rss_kib(pid)
        await seek_http(server.url, samples[:10], MP)  # warm the page cache like a seeking user
        at_mp = await seek_http(server.url, samples, MP)
        at_json = await seek_http(server.url, samples, {})
        page_mp = await page_all(server.url, True, head)
        page_json = await page_all(server.url, False, head)
    finally:
        server.terminate()
        server.wait()
    return {
        "open_s": opened,
        "welcome_bytes": welcome_bytes,
        "welcome_elements": elements,
        "board_rss_mib": (after - before) / 1024,
        "server_rss_mib": after / 1024,
        "at_msgpack_ms": {"p50": pct(at_mp, 50), "p95": pct(at_mp, 95), "max": max(at_mp)},
        "at_json_ms": {"p50": pct(at_json, 50), "p95": pct(at_json, 95), "max": max(at_json)},
        "paging_msgpack_ops_s": page_mp[0],
        "paging_json_ops_s": page_json[0],
        "pages": page_mp[1],
        "page_msgpack_bytes": page_mp[2] // page_mp[1],
        "page_json_bytes": page_json[2] // page_json[1],
    }


def db_size(data: Path) -> int:
    return sum(os.path.getsize(p) for p in data.glob(DB_NAME + "*"))


# -- report ----------------------------------------------------------------------------------------


def ok(good: bool) -> str:
    return "ok" if good else "MISSED"


def report(r: dict[str, Any]) -> None:
    b, s = r["board"], r["server"]
    print()
    print(
        f"board: {b['ops']:,} ops in {b['rows']:,} rows, {b['live_elements']:,} live elements, "
        f"{b['point_values']:,} point values; checkpoint_every={r['checkpoint_every']}"
    )
    print(f"load average at the end: {r['load_average'][0]:.1f} on {r['cpus']} CPUs")
    print(f"{'measure':34} {'value':>22}  {'target':>12}")
    rows = [
        ("open (cold process, hello->welcome)", f"{s['open_s'] * 1000:.0f} ms", "< 1000 ms",
         ok(s["open_s"] < 1)),
        ("welcome size", f"{s['welcome_bytes'] / 2**20:.1f} MiB", "", ""),
        ("?at= msgpack p50 / p95", f"{s['at_msgpack_ms']['p50']:.1f} / "
         f"{s['at_msgpack_ms']['p95']:.1f} ms", "p95 < 100 ms",
         ok(s["at_msgpack_ms"]["p95"] < 100)),
        ("?at= JSON p50 / p95", f"{s['at_json_ms']['p50']:.1f} / {s['at_json_ms']['p95']:.1f} ms",
         "", ""),
        ("paging msgpack, limit=10000", f"{s['paging_msgpack_ops_s']:,.0f} ops/s",
         "> 500,000", ok(s["paging_msgpack_ops_s"] > 500_000)),
        ("paging JSON, limit=10000", f"{s['paging_json_ops_s']:,.0f} ops/s", "", ""),
        ("SQLite file", f"{r['sqlite_bytes'] / 2**20:.0f} MiB", "", ""),
        ("  of which log rows / checkpoints", f"{b['log_bytes'] / 2**20:.0f} / "
         f"{b['checkpoint_bytes'] / 2**20:.0f} MiB", "", ""),
        ("RSS of the loaded board", f"{s['board_rss_mib']:.0f} MiB", "", ""),
    ]  # fmt: skip
    for name, value, target, verdict in rows:
        print(f"{name:34} {value:>22}  {target:>12} {verdict}")
    print()
    print("checkpoint_every: cost of ?at= in process (state_at + msgpack answer) and disk")
    print(f"{'N':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'checkpoints MiB':>16}")
    for n, v in r["sweep"].items():
        print(f"{n:>7} {v['p50_ms']:8.1f} {v['p95_ms']:8.1f} {v['max_ms']:8.1f}"
              f" {v['checkpoint_mib']:16.0f}")  # fmt: skip
    print()
    print(json.dumps(r))


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    samples = [rng.randint(1, args.ops) for _ in range(args.samples)]
    sweep_samples = samples[: args.sweep_samples]
    sweep_seqs = {s // n * n for s in sweep_samples for n in SWEEP} - {0}
    t0 = time.perf_counter()
    built = await build(tmp / "data", tmp / "sweep", args.ops, args.every, sweep_seqs, args.seed)
    print(f"  built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    sweep = await sweep_spacing(tmp / "sweep", sweep_samples)
    for n, v in sweep.items():
        v["checkpoint_mib"] = checkpoint_disk(built, n) / 2**20
    server = await measure_server(tmp / "data", args.every, samples, built.seq)
    return {
        "load_average": os.getloadavg(),  # other work on the machine skews every figure
        "cpus": os.cpu_count(),
        "checkpoint_every": args.every,
        "board": {
            "ops": built.seq,
            "rows": built.rows,
            "log_bytes": built.log_bytes,
            "checkpoints": built.checkpoints,
            "checkpoint_bytes": built.checkpoint_bytes,
            "live_elements": built.live_elements,
            "point_values": built.point_values,
            "head_state_bytes": max(built.state_sizes.items())[1] if built.state_sizes else 0,
        },
        "sqlite_bytes": db_size(tmp / "data"),
        "server": server,
        "sweep": sweep,
        "targets": {"open_s": 1.0, "at_p95_ms": 100, "paging_ops_s": 500_000},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=200, help="random S for ?at=")
    ap.add_argument("--sweep-samples", type=int, default=60, help="random S per N in the sweep")
    ap.add_argument(
        "--every", type=int, default=Settings().checkpoint_every,
        help="checkpoint_every of the measured board (default: the server's)",
    )  # fmt: skip
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    OUT.mkdir(parents=True, exist_ok=True)  # one file per board size: quick runs keep full ones
    (OUT / f"history-{args.ops}.json").write_text(json.dumps(result, indent=2) + "\n")
    report(result)


if __name__ == "__main__":
    main()
