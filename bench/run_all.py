"""Runs every benchmark of this folder, one after the other: what ``make bench`` calls.

Why a runner: each bench is a script of its own (they start servers, browsers, subprocesses),
and a reader wants one command that shows every figure. Each runs as its own process, so one
bench's memory, event loop or crash cannot touch the next, and a failing bench is reported
while the others still run.

By default each runs with small, quick settings (a couple of minutes in all) so that the
command is usable while developing; ``--full`` runs each with its own defaults, which are the
figures the issues ask for (``fanout`` alone then takes 10 to 20 minutes).

    .venv/bin/python bench/run_all.py [--full] [--only fanout,frames]

A new bench is picked up by itself when it defines ``main()``; give it quick arguments in
``QUICK`` below if its defaults take long.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Not benchmarks: the load generator is driven by fanout, the relay is fanout's baseline server.
NOT_BENCHES = {"run_all", "loadgen", "baseline_relay"}

QUICK: dict[str, list[str]] = {
    "fanout": ["--quick"],
    "frames": ["--strokes", "2000", "--frames", "60"],
    "history_bench": ["--ops", "50000", "--samples", "50"],
    "fuzz_protocol": ["--seconds", "30"],
    "soak": ["--seconds", "60"],
}


def benches() -> list[str]:
    """Every module here with a ``main()``, in name order."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.stem not in NOT_BENCHES and "\ndef main(" in path.read_text():
            names.append(path.stem)
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="each bench with its own defaults")
    ap.add_argument("--only", help="comma-separated bench names")
    args = ap.parse_args(argv)
    names = benches()
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]
    failed = []
    for name in names:
        extra = [] if args.full else QUICK.get(name, [])
        print(f"\n=== {name} {' '.join(extra)}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *extra])
        print(f"=== {name}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
