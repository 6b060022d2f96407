"""The server's own cost per op with many small boards, in one process, without sockets.

Why: on a shared 2-core machine a socket benchmark's latency says as much about the other
processes as about the server, and the load generator takes a core of its own. This drives the
live boards directly (real ``Board``s, real ``SQLiteStore`` writer thread, clients that write
nowhere) at a fixed offered load, and counts what the server's code costs: CPU time of the
process (every thread: the loop and the SQLite writer) per op committed, the split between the
threads (``/proc/self/task``), how many store transactions it took, and the latency from
``submit`` to the frame handed to the author's connection (on the loop: includes any wait for a
tick, a round or the store). Only the public ``Board`` API is used, so the same script measures
any version of the server: copy it into that tree and run it there.

    .venv/bin/python bench/tick_cost.py [--boards 250] [--clients 4] [--rate 30] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from whiteboard.config import Settings  # noqa: E402
from whiteboard.live.board import Board  # noqa: E402
from whiteboard.live.replica import Solo  # noqa: E402
from whiteboard.live.session import Session  # noqa: E402
from whiteboard.protocol import Hello  # noqa: E402
from whiteboard.store.sqlite import SQLiteStore  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Sink:
    """A connection that writes nowhere; the author's notes when its op came back."""

    def __init__(self, run: Run | None = None, board: int = 0) -> None:
        self.run = run
        self.board = board

    def send(self, message: bytes) -> None:
        return None

    def send_frame(self, frame: bytes) -> None:
        if self.run is not None:
            self.run.back(self.board)

    def send_parts(self, parts: list[bytes]) -> None:
        return None

    def close(self, code: int, reason: str) -> None:
        return None

    def unsent(self) -> int:
        return 0


class Run:
    def __init__(self, boards: int) -> None:
        self.pending: list[list[float]] = [[] for _ in range(boards)]
        self.latencies: list[float] = []
        self.measuring = False

    def back(self, board: int) -> None:
        """A frame reached the drawer of ``board``: its ops sent so far are back."""
        now = time.perf_counter()
        sent = self.pending[board]
        if self.measuring:
            self.latencies += [now - t for t in sent]
        sent.clear()


def threads_cpu() -> dict[str, float]:
    """CPU seconds per thread of this process, by its Python name (the loop is MainThread,
    the store's writer sqlite-writer, its readers sqlite-read_N)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = names.get(int(tid), "other")
        fields = stat.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def cpu_now() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)


async def main_async(args: argparse.Namespace, data: str) -> dict[str, Any]:
    settings = Settings(data=data)
    store = SQLiteStore(data)
    await store.start()
    run = Run(args.boards)
    boards: list[Board] = []
    drawers: list[Session] = []
    for b in range(args.boards):
        board = Board(f"b{b}", await store.load(f"b{b}"), store, settings, Solo())
        boards.append(board)
        for c in range(args.clients):
            sink = Sink(run, b) if c == 0 else Sink()
            session = await board.join(sink, Hello(f"c{c}", None, compact=True))
            if c == 0:
                drawers.append(session)
        await board.ticker.flush(10)
    rng = random.Random(1)
    seqs = [0] * args.boards
    ops = 0
    loop = asyncio.get_running_loop()
    period = 1.0 / args.rate
    slots = 33  # the boards' sends spread over the period, as independent people draw
    step = period / slots

    def send(slot: int) -> None:
        nonlocal ops
        now = time.perf_counter()
        for b in range(slot, args.boards, slots):
            seqs[b] += 1
            c = seqs[b]
            if c == 1:
                op: dict[str, Any] = {"k": "add", "c": c, "e": {"id": f"p{b}", "type": "pen",
                      "x": 0, "y": 0, "stroke": "#1e1e1e", "width": 2, "pts": [0, 0]}}  # fmt: skip
            else:
                op = {"k": "append", "c": c, "id": f"p{b}", "pts": [rng.randint(-6, 6), 1]}
            run.pending[b].append(now)
            boards[b].submit(drawers[b], [op])
            ops += 1

    stop = False

    def tick(slot: int, due: float) -> None:
        if stop:
            return
        send(slot)
        due += step
        loop.call_at(max(due, loop.time()), tick, (slot + 1) % slots, due)

    loop.call_soon(tick, 0, loop.time())
    await asyncio.sleep(1.0)  # warm-up
    run.measuring = True
    ops0, cpu0, threads0, commits0 = ops, cpu_now(), threads_cpu(), store.commits
    t0 = time.perf_counter()
    await asyncio.sleep(args.seconds)
    span = time.perf_counter() - t0
    ops1, cpu1, threads1, commits1 = ops, cpu_now(), threads_cpu(), store.commits
    run.measuring = False
    stop = True
    for board in boards:
        await board.drain()
    await store.close()
    done = ops1 - ops0
    per_thread = {
        name: round((threads1.get(name, 0.0) - threads0.get(name, 0.0)) / span * 100, 1)
        for name in threads1
        if threads1.get(name, 0.0) - threads0.get(name, 0.0) > 0
    }
    return {
        "boards": args.boards,
        "clients": args.clients,
        "ops_per_s": round(done / span),
        "cpu_pct": round((cpu1 - cpu0) / span * 100, 1),
        "us_per_op": round((cpu1 - cpu0) / done * 1e6, 1) if done else None,
        "threads_pct": per_thread,
        "commits_per_s": round((commits1 - commits0) / span),
        "latency_ms": {"p50": pct(run.latencies, 0.5), "p99": pct(run.latencies, 0.99)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", type=int, default=250)
    ap.add_argument("--clients", type=int, default=4, help="clients per board (one draws)")
    ap.add_argument("--rate", type=float, default=30, help="ops/s of each board's drawer")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tick-cost-") as tmp:
        r = asyncio.run(main_async(args, tmp))
    print(json.dumps(r))
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
