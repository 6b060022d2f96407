"""What writing a checkpoint costs the IOLoop on a big board, before and after the cache.

Builds a board in process with history_bench's workload (ten people drawing; 1,000,000 ops make
a ~7 MB state), then writes checkpoints through a real ``SQLiteStore`` the way ``Board.tick``
does, ``checkpoint_every`` ops apart, two ways:

- before: ``msgpack.packb(doc.to_state())`` on the loop (what the board once did);
- after: ``history.checkpoint.take`` (checkpoint.py: cached element bytes and the layout index from
  the document, joined and packed in a worker thread).

For each it reports the time the loop spends in the packing call itself and the loop's worst
lag during the whole write (pack, layout index, SQLite commit), seen by a probe that wakes
every millisecond, as the server's lag histogram does.

    .venv/bin/python bench/checkpoint_bench.py [--ops 1000000] [--rounds 5] [--quick]
        [--json-out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from history_bench import Workload  # noqa: E402

from whiteboard.config import Settings  # noqa: E402
from whiteboard.document import Document  # noqa: E402
from whiteboard.history.checkpoint import packed_parts  # noqa: E402
from whiteboard.history.checkpoint import take as _pack_state  # noqa: E402
from whiteboard.protocol import Limits, ProtocolError, encode_ops_array, server_op  # noqa: E402
from whiteboard.store.base import Checkpoint, LogRow  # noqa: E402
from whiteboard.store.sqlite import SQLiteStore  # noqa: E402

BOARD = "bench-checkpoint"


class LagProbe:
    """Wakes every millisecond and keeps the worst lateness: what a client's frame waits."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + 0.001
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, loop.time() - due)

    def __enter__(self) -> LagProbe:
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def old_pack(doc: Document) -> Checkpoint:
    """The board before: pack the whole state on the loop; the store then parses it in a thread
    for the layout index."""
    return Checkpoint(doc.seq, msgpack.packb(doc.to_state(), use_bin_type=True))


def advance(doc: Document, work: Workload, n: int) -> list[dict[str, Any]]:
    sops = []
    target = doc.seq + n
    while doc.seq < target:
        for op, by in work.tick(doc):
            result = doc.apply(op, doc.seq + 1)
            if not isinstance(result, ProtocolError):
                sops.append(server_op(dict(result), doc.seq, by))
    return sops


async def measure(
    name: str,
    pack: Callable[[Document], Awaitable[Checkpoint]],
    doc: Document,
    work: Workload,
    store: SQLiteStore,
    rounds: int,
    every: int,
) -> dict[str, Any]:
    on_loop, lag, sizes = [], [], []
    for _ in range(rounds):
        first = doc.seq + 1
        sops = advance(doc, work, every)
        row = LogRow(first, doc.seq, 0, encode_ops_array(sops))
        await asyncio.sleep(0.01)  # let the probe settle
        with LagProbe() as probe:
            await asyncio.sleep(0.003)  # the probe is waiting before the checkpoint starts
            t0 = time.perf_counter()
            coro = pack(doc)  # the synchronous part runs until the first await ...
            future = asyncio.ensure_future(coro)
            await asyncio.sleep(0)
            on_loop.append(time.perf_counter() - t0)  # ... so this is what it costs the loop
            checkpoint = await future
            await store.append(BOARD, row, checkpoint)
            await asyncio.sleep(0.005)
        lag.append(probe.worst)
        sizes.append(len(checkpoint.state))
    return {
        "name": name,
        "state_mib": max(sizes) / 2**20,
        "on_loop_ms_max": max(on_loop) * 1000,
        "on_loop_ms_median": sorted(on_loop)[len(on_loop) // 2] * 1000,
        "lag_ms_max": max(lag) * 1000,
        "lag_ms_median": sorted(lag)[len(lag) // 2] * 1000,
    }


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    work = Workload(random.Random(args.seed), 10)
    doc = Document(Limits())
    t0 = time.perf_counter()
    advance(doc, work, args.ops)
    print(f"  built {doc.seq:,} ops, {len(doc):,} elements in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)  # fmt: skip
    store = SQLiteStore(str(tmp / "data"))
    await store.start()
    # The board's log so far, as one row: appends must follow the stored head, and what this
    # bench measures is the checkpoints, not the rows' contents.
    await store.append(BOARD, LogRow(1, doc.seq, 0, encode_ops_array([])))
    b"".join(packed_parts(doc))  # the live board's cache is warm: its last checkpoint filled it
    try:
        before = await measure("before", old_pack, doc, work, store, args.rounds, args.every)
        packed_parts(doc)  # the previous checkpoint was written this way too
        after = await measure("after", _pack_state, doc, work, store, args.rounds, args.every)
    finally:
        await store.close()
    return {"ops": doc.seq, "elements": len(doc), "every": args.every, "before": before,
            "after": after}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--every", type=int, default=Settings().checkpoint_every)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--quick", action="store_true", help="300,000 ops, 3 rounds")
    ap.add_argument("--json-out", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    if args.quick:
        args.ops, args.rounds = 300_000, 3
    with tempfile.TemporaryDirectory(prefix="checkpoint-bench-") as tmp:
        r = asyncio.run(run(args, Path(tmp)))
    print(f"checkpoint of a board of {r['ops']:,} ops, {r['elements']:,} elements, "
          f"{r['after']['state_mib']:.1f} MiB state, every {r['every']:,} ops")  # fmt: skip
    print(f"{'':8} {'on loop ms (median/max)':>26} {'loop lag ms (median/max)':>26}")
    for k in ("before", "after"):
        v = r[k]
        print(f"{k:8} {v['on_loop_ms_median']:12.1f} / {v['on_loop_ms_max']:<11.1f}"
              f" {v['lag_ms_median']:12.1f} / {v['lag_ms_max']:<11.1f}")  # fmt: skip
    print(json.dumps(r))
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
