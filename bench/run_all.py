"""Runs every benchmark of this folder, one after the other, then one table of the targets:
what ``make bench`` calls.

Why a runner: each bench is a script of its own (they start servers, browsers, subprocesses),
and a reader wants one command that shows every figure and whether the Performance issue's
targets hold. Each runs as its own process, so one bench's memory, event loop or crash cannot
touch the next, and a failing bench is reported while the others still run.

Modes:
- default (``make bench``): the fan-out bench, the many-boards bench (``boards``: issue 13's
  team-server scenarios), presence at scale (``presence``: cursors from everyone, views with
  and without) and opening a big board under load (``bigopen``) in full, every other bench with
  quick settings;
- ``--quick`` (``make bench-quick``): everything quick, a few minutes, to check while developing
  that the benches and the table work (the figures are then for small N);
- ``--full``: every bench with its own defaults (soak and fuzzing alone take 10 minutes each).

    .venv/bin/python bench/run_all.py [--quick | --full] [--only fanout,checkpoint_bench]

The final table gathers the verdicts the benches write as JSON (``--json-out``): fan-out's
targets, the checkpoint stall, and whether each bench ran. A new bench is picked up by itself
when it defines ``main()``; give it quick arguments in ``QUICK`` below if its defaults take long.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# Not benchmarks: the load generator is driven by fanout, the relay is fanout's baseline server,
# lag_metrics is the load generator's helper.
NOT_BENCHES = {"run_all", "loadgen", "baseline_relay", "floor_relay", "lag_metrics"}

QUICK: dict[str, list[str]] = {
    "fanout": ["--quick"],
    # Small boards: building the 1,000,000-op board alone takes minutes.
    "frames": ["--elements", "20000", "--replay-ops", "100000", "--frames", "60"],
    "history_bench": ["--ops", "50000", "--samples", "50"],
    "fuzz_protocol": ["--seconds", "30"],
    "soak": ["--seconds", "60"],
    "checkpoint_bench": ["--quick"],
    "slow_client": ["--megabytes", "10"],
    "scaleout": ["--quick"],
    "images": ["--images", "20"],
    "boards": ["--quick"],
    "memory_flood": ["--connections", "5", "--seconds", "10", "--after", "20"],
    "points_memory": ["--values", "200000"],
    "import_flood": ["--mib", "5"],
    "presence": ["-N", "50", "-K", "5", "--seconds", "4", "--runs", "1"],
    "bigopen": ["--ops", "100000", "-N", "50", "-K", "5", "--boards", "5"],
}

# The issues' own scenarios: run in full by ``make bench`` (the others quick).
FULL_BY_DEFAULT = {"fanout", "boards", "presence", "bigopen"}

# Benches that write their figures as JSON for the final table.
JSON_OUT = {"fanout", "checkpoint_bench", "scaleout", "frames", "boards", "presence", "bigopen"}
CHECKPOINT_LAG_MS = 10.0


def benches() -> list[str]:
    """Every module here with a ``main()``, in name order."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.stem not in NOT_BENCHES and "\ndef main(" in path.read_text():
            names.append(path.stem)
    return names


def arguments(name: str, mode: str) -> list[str]:
    if mode == "full" or (mode == "default" and name in FULL_BY_DEFAULT):
        return []
    return QUICK.get(name, [])


def checkpoint_rows(r: dict[str, Any]) -> list[dict[str, str]]:
    after, before = r["after"], r["before"]
    return [
        {
            "target": f"checkpoint of a {after['state_mib']:.1f} MiB board: loop lag < "
            f"{CHECKPOINT_LAG_MS:g} ms",
            "measured": f"lag max {after['lag_ms_max']:.1f} ms, on loop "
            f"{after['on_loop_ms_median']:.1f} ms (before: {before['lag_ms_max']:.0f} ms)",
            "verdict": "pass" if after["lag_ms_max"] < CHECKPOINT_LAG_MS else "MISS",
        }
    ]


def scaleout_rows(r: dict[str, Any]) -> list[dict[str, str]]:
    """Issue 7's figure: the largest N under the bar with 1 and 2 processes on one Redis."""
    best = r["best"]
    one, two = best.get("redis x1", 0), best.get("redis x2", 0)
    ratio = f"{two / one:.2f}x" if one else "-"
    return [
        {
            "target": "scale-out: largest N at p99 < 100 ms, 1 -> 2 processes on Redis",
            "measured": f"sqlite {best.get('sqlite', 0)}, redis x1 {one}, redis x2 {two}"
            f" ({ratio}); redis-server CPU max {r['redis_cpu_max_pct']} %",
            "verdict": "-",
        }
    ]


def final_table(rows: list[dict[str, str]]) -> str:
    width = max(len(r["target"]) for r in rows)
    mwidth = max(len(r["measured"]) for r in rows)
    lines = [f"{'target':{width}}  {'measured':{mwidth}}  verdict", "-" * (width + mwidth + 11)]
    lines += [f"{r['target']:{width}}  {r['measured']:{mwidth}}  {r['verdict']}" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="every bench quick (a few minutes)")
    mode.add_argument("--full", action="store_true", help="every bench with its own defaults")
    ap.add_argument("--only", help="comma-separated bench names")
    args = ap.parse_args(argv)
    run_mode = "quick" if args.quick else "full" if args.full else "default"
    names = benches()
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]
    failed = []
    rows: list[dict[str, str]] = []
    ran: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="run-all-") as tmp:
        for name in names:
            extra = arguments(name, run_mode)
            out = Path(tmp) / f"{name}.json"
            if name in JSON_OUT:
                extra = [*extra, "--json-out", str(out)]
            print(f"\n=== {name} {' '.join(extra)}", flush=True)
            started = time.monotonic()
            code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *extra])
            took = time.monotonic() - started
            print(f"=== {name}: exit {code} in {took:.0f} s", flush=True)
            quick = " (quick)" if extra and extra[0] != "--json-out" else ""
            ran.append(
                {
                    "target": f"bench {name}{quick} runs",
                    "measured": f"exit {code} in {took:.0f} s",
                    "verdict": "pass" if code == 0 else "MISS",
                }
            )
            if code != 0:
                failed.append(name)
            if not out.exists():
                continue
            result = json.loads(out.read_text())
            if name in ("fanout", "frames", "boards", "presence", "bigopen"):
                rows += result["verdicts"]
            elif name == "checkpoint_bench":
                rows += checkpoint_rows(result)
            elif name == "scaleout":
                rows += scaleout_rows(result)
    if run_mode == "quick":
        print("\n(quick mode: small N and short runs; the targets are for `make bench`)")
    print()
    print(final_table(rows + ran))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
