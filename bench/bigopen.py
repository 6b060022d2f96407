"""Opening a big board while others draw: does anyone else notice? (issue 13, "No stalls")

Builds (once, cached in ``bench/out/``) a board of ``--ops`` ops the way ten people drawing
build it (``history_bench.Workload``; 1,000,000 ops make a ~7 MB state), with a checkpoint
every ``checkpoint_every`` ops as the Board writes them. Then, on a real ``server.py``:

- ``loadgen.py`` puts ``-N`` clients on ``--boards`` other boards, ``-K`` of them drawing;
- after its warm-up, one client opens the big board: the time to its ``welcome`` is measured,
  and the server's own loop-lag histogram (``/metrics``) is read around the open;
- the others' latency (p99) over the whole window comes from the load generator.

What it reports: the first welcome's time, the worst loop lag while the board loaded (the
upper bound of the highest lag bucket that gained a sample), and the drawers' p99.

    .venv/bin/python bench/bigopen.py [--ops 1000000] [-N 200] [-K 20] [--boards 20]
        [--root DIR] [--json-out FILE]

``--root`` runs ``server.py`` from another checkout (the same bench before and after a change).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgpack
import tornado.websocket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import lag_metrics  # noqa: E402
from history_bench import Workload  # noqa: E402
from loadgen import ServerProcess, server_python  # noqa: E402

from whiteboard.config import Settings  # noqa: E402
from whiteboard.document import Document  # noqa: E402
from whiteboard.history import layout  # noqa: E402
from whiteboard.live.presence import PALETTE  # noqa: E402
from whiteboard.protocol import Limits, ProtocolError, encode_ops_array, server_op  # noqa: E402
from whiteboard.store.base import Checkpoint, Client, LogRow  # noqa: E402
from whiteboard.store.sqlite import SQLiteStore  # noqa: E402

BOARD = "bench-bigopen"
OUT = ROOT / "bench" / "out"
LAG_TARGET_MS, P99_TARGET_MS, WELCOME_TARGET_MS = 20.0, 25.0, 500.0


async def build(data: Path, total: int, seed: int = 1) -> dict[str, Any]:
    """The board's log and checkpoints, written through ``SQLiteStore`` as ticks write them."""
    every = Settings().checkpoint_every
    rng = random.Random(seed)
    work = Workload(rng, 10)
    store = SQLiteStore(str(data))
    await store.start()
    for a in work.authors:
        await store.add_client(BOARD, Client(a.id, f"Author {a.id}", PALETTE[(a.id - 1) % 12]))
    doc = Document(Limits())
    ts, cp_seq, state_bytes = 1_700_000_000_000, 0, 0
    pending: list[asyncio.Future[None]] = []
    while doc.seq < total:
        ts += 5
        first, sops = doc.seq + 1, []
        for op, by in work.tick(doc):
            if doc.seq >= total:
                break
            result = doc.apply(op, doc.seq + 1)
            if not isinstance(result, ProtocolError):
                sops.append(server_op(dict(result), doc.seq, by))
        if not sops:
            continue
        checkpoint = None
        if doc.seq - cp_seq >= every:
            state = msgpack.packb(doc.to_state(), use_bin_type=True)
            checkpoint = Checkpoint(doc.seq, state, layout.compute(state))
            cp_seq, state_bytes = doc.seq, len(state)
        row = LogRow(first, doc.seq, ts, encode_ops_array(sops))
        pending.append(asyncio.ensure_future(store.append(BOARD, row, checkpoint)))
        if len(pending) >= 4000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    await store.close()
    return {"ops": doc.seq, "elements": len(doc), "state_bytes": state_bytes, "cp_seq": cp_seq}


def cached_board(total: int) -> tuple[Path, dict[str, Any]]:
    """The built board's folder, built on first use (a minute or two for 1,000,000 ops)."""
    folder = OUT / f"bigopen-{total}"
    info_file = folder / "info.json"
    if info_file.exists():
        return folder, json.loads(info_file.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"building a {total:,}-op board in {folder} (once)", file=sys.stderr)
    info = asyncio.run(build(folder, total))
    info_file.write_text(json.dumps(info))
    return folder, info


async def open_board(url: str) -> dict[str, Any]:
    """Opens the big board: ms to the decoded ``welcome``, and the loop lag meanwhile."""
    before = await asyncio.to_thread(lag_metrics.fetch, url)
    t0 = time.perf_counter()
    ws = await tornado.websocket.websocket_connect(
        url.replace("http://", "ws://") + f"/ws/{BOARD}", max_message_size=1 << 30
    )
    await ws.write_message(msgpack.packb({"t": "hello", "v": 1, "name": "opener"}), binary=True)
    while True:
        frame = await ws.read_message()
        if not isinstance(frame, bytes):
            raise RuntimeError("the server closed the big board's socket")
        msg = msgpack.unpackb(frame)
        if msg.get("t") == "welcome":
            break
    welcome_ms = (time.perf_counter() - t0) * 1000
    await asyncio.sleep(1.0)  # what the load leaves behind (a GC of the new heap) counts too
    after = await asyncio.to_thread(lag_metrics.fetch, url)
    ws.close()
    return {
        "welcome_ms": round(welcome_ms, 1),
        "welcome_bytes": len(frame),
        "elements": len(msg["elements"]),
        "lag_max_ms": lag_metrics.max_ms(before, after),
        "lag_p99_ms": lag_metrics.lag_ms(before, after)["p99"],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    built, info = cached_board(args.ops)
    root = Path(args.root).resolve() if args.root else ROOT
    with tempfile.TemporaryDirectory(prefix="bigopen-") as tmp:
        for f in built.iterdir():
            if f.name != "info.json":
                shutil.copy(f, tmp)
        argv = [server_python(), str(root / "server.py"), "--port", "0", "--data", tmp,
                "--connections-per-ip", str(args.n + 50)]  # fmt: skip
        server = ServerProcess(argv)
        url = server.start()
        out = Path(tmp) / "load.json"
        seconds = args.wait + 8
        load = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "loadgen.py"), "--url", url, "--server-pid",
             str(server.pid), "-N", str(args.n), "-K", str(args.k), "--boards", str(args.boards),
             "--seconds", str(seconds), "--warmup", "2", "--json-out", str(out)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(args.connect)  # the clients connect, warm up, and measuring starts
            opened = asyncio.run(open_board(url))
            load.wait(seconds + args.connect + 60)
        finally:
            if load.poll() is None:
                load.kill()
            server.stop()
        others = json.loads(out.read_text()) if out.exists() else {}
    lat = others.get("latency_ms", {})
    return {"board": info, "open": opened, "others_p99_ms": lat.get("p99"),
            "others_p50_ms": lat.get("p50"), "server_cpu_pct": others.get("server", {}).get(
                "cpu_pct"), "n": args.n, "k": args.k, "boards": args.boards}  # fmt: skip


def verdicts(r: dict[str, Any]) -> list[dict[str, str]]:
    o, b = r["open"], r["board"]
    p99 = r["others_p99_ms"]
    lag = o["lag_max_ms"]
    return [
        {
            "target": f"open a {b['ops']:,}-op board ({b['state_bytes'] / 1e6:.1f} MB state) "
            f"while {r['n']} draw elsewhere: loop lag max < {LAG_TARGET_MS:g} ms",
            "measured": f"lag max <= {lag} ms (p99 {o['lag_p99_ms']} ms)",
            "verdict": "pass" if lag is not None and lag <= LAG_TARGET_MS else "MISS",
        },
        {
            "target": f"  ... the others' p99 < {P99_TARGET_MS:g} ms",
            "measured": f"p99 {p99} ms (p50 {r['others_p50_ms']} ms)",
            "verdict": "pass" if p99 is not None and p99 < P99_TARGET_MS else "MISS",
        },
        {
            "target": f"  ... the board's first welcome < {WELCOME_TARGET_MS:g} ms",
            "measured": f"{o['welcome_ms']} ms ({o['elements']:,} elements)",
            "verdict": "pass" if o["welcome_ms"] < WELCOME_TARGET_MS else "MISS",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("-N", dest="n", type=int, default=200)
    ap.add_argument("-K", dest="k", type=int, default=20)
    ap.add_argument("--boards", type=int, default=20)
    ap.add_argument("--connect", type=float, default=6.0, help="s before opening (connect+warm)")
    ap.add_argument("--wait", type=float, default=4.0, help="s of measuring after the open")
    ap.add_argument("--root", help="run server.py from this checkout (before/after)")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    r = run(args)
    r["verdicts"] = verdicts(r)
    for v in r["verdicts"]:
        print(f"{v['target']}: {v['measured']}  {v['verdict']}")
    text = json.dumps(r)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
