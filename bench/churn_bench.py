"""Checkpoint bytes written by add/delete churn with fresh ids (issue 12, "disk grows with the
square of the ops").

A real ``server.py`` process; one client adds rectangles with fresh ids and deletes the oldest,
keeping about 20 on the board, as fast as the server acknowledges, for ``--seconds``. Then the
server stops and the database says what the board's checkpoints take: before the fix each
checkpoint listed the first add of every id ever added, so each was longer than the last.

    .venv/bin/python bench/churn_bench.py [--seconds 60] [--checkpoint-every N] [--root TREE]

``--root`` runs the server of another checkout (e.g. ``git archive`` of an older commit) with
this script's client, for a before/after comparison in one sitting.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.churn import churn, written  # noqa: E402
from tests.server import subprocess_server  # noqa: E402
from whiteboard.config import Settings  # noqa: E402

BOARD = "churn"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--checkpoint-every", type=int, default=Settings().checkpoint_every)
    ap.add_argument("--root", type=Path, default=ROOT, help="the server's source tree")
    args = ap.parse_args()
    subprocess_server.ROOT = args.root.resolve()  # ServerProcess starts ROOT/server.py
    with tempfile.TemporaryDirectory(prefix="churn-bench-") as tmp:
        data = Path(tmp) / "data"
        srv = subprocess_server.ServerProcess(
            str(data), "--checkpoint-every", str(args.checkpoint_every),
            "--ops-per-s", "1000000", "--ops-burst", "1000000",
            "--bytes-per-s", "1000000000", "--bytes-burst", "1000000000",
        ).start()  # fmt: skip
        try:
            ops = churn(srv.url, BOARD, seconds=args.seconds)
        finally:
            srv.terminate()
            srv.wait()
        found = written(data, BOARD)
    mib = 2**20
    print(f"server tree: {args.root}")
    print(f"{ops:,} ops in {args.seconds:g} s, about 20 elements live; "
          f"checkpoint_every={args.checkpoint_every}")  # fmt: skip
    print(f"checkpoints written:        {found.checkpoints:,}")
    print(f"  states, all of them:      {found.state_bytes / mib:10.2f} MiB")
    print(f"  layout indexes:           {found.layout_bytes / mib:10.2f} MiB")
    print(f"  last state / largest:     {found.last_state_bytes:,} / "
          f"{found.largest_state_bytes:,} bytes")  # fmt: skip
    print(f"first adds of deleted ids:  {found.first_add_rows:,} rows, "
          f"~{found.first_add_bytes / mib:.2f} MiB")  # fmt: skip
    print(f"checkpoint bytes in all:    {found.total / mib:10.2f} MiB")
    print(json.dumps({"ops": ops, "seconds": args.seconds, **found.__dict__,
                      "total": found.total}))  # fmt: skip


if __name__ == "__main__":
    main()
