"""A team server's load: many small boards, one quiet board, cursors - issue 13's scenarios.

Why a bench of its own: ``fanout.py`` asks how large one board can grow; a real server carries
hundreds of boards of two to ten people, where the cost that matters is CPU per op (every op
pays its board's tick) and latency at low load (an op should not wait for a tick boundary).
Each scenario is one ``bench/loadgen.py`` run on a fresh server, R = 30 ops/s per drawer:

- 500 boards x 4 clients, one drawing on each (15,000 ops/s): p99 < 50 ms, nothing lost,
  server CPU < 60 % of a core, at most 40 us of server CPU per op (all threads);
- 250 boards x 4, the same: p99 < 25 ms, at most 40 us per op;
- N = 100 on one board, 10 drawing: p50 < 1.5 ms, p99 < 5 ms;
- N = 1,000 on one board, 100 drawing: p99 < 25 ms;
- 200 clients on one board all moving their cursors 30 times a second, 20 drawing: cursor
  p99 < 50 ms, server CPU < 50 %.

CPU per op is the server's CPU over the window (every thread, from ``/proc``) divided by the
ops it accepted: on a shared machine it drifts less than latency does. Each line also says how
much CPU other processes took meanwhile.

    .venv/bin/python bench/boards.py [--quick] [--seconds 10] [--only b500,n100] [--json-out F]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOADGEN = ROOT / "bench" / "loadgen.py"


@dataclass(frozen=True)
class Scenario:
    name: str
    args: list[str]
    quick: list[str]  # smaller, for --quick
    title: str


SCENARIOS = [
    Scenario("b500", ["-N", "2000", "-K", "500", "--boards", "500"],
             ["-N", "200", "-K", "50", "--boards", "50"], "boards x 4, 1 drawing each"),
    Scenario("b250", ["-N", "1000", "-K", "250", "--boards", "250"],
             ["-N", "100", "-K", "25", "--boards", "25"], "boards x 4, 1 drawing each"),
    Scenario("n100", ["-N", "100", "-K", "10"], ["-N", "100", "-K", "10"], "one board"),
    Scenario("n1000", ["-N", "1000", "-K", "100"], ["-N", "200", "-K", "20"], "one board"),
    Scenario("cur200", ["-N", "200", "-K", "20", "--cursors", "30"],
             ["-N", "50", "-K", "5", "--cursors", "30"], "cursors at 30 Hz from everyone"),
]  # fmt: skip


def run(s: Scenario, quick: bool, seconds: float) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="boards-") as tmp:
        out = Path(tmp) / "r.json"
        argv = [sys.executable, str(LOADGEN), "--spawn-server", *(s.quick if quick else s.args),
                "--seconds", str(seconds), "--json-out", str(out)]  # fmt: skip
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 600)
        if not out.exists():
            print(f"  {s.name}: loadgen failed: {proc.stderr[-500:]}", file=sys.stderr)
            return None
        r: dict[str, Any] = json.loads(out.read_text())
        return r


def per_op_us(r: dict[str, Any]) -> float | None:
    cpu, ops = r["server"]["cpu_pct"], r["ops_in_per_s"]
    return round(cpu / 100 * 1e6 / ops, 1) if cpu is not None and ops else None


def fmt(v: Any) -> str:
    return "-" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def line(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    cur = r.get("cursor_latency_ms") or {}
    return (
        f"p50 {fmt(lat['p50'])} p99 {fmt(lat['p99'])} ms, lost {r['lost'] + r['undelivered']}, "
        f"CPU {fmt(r['server']['cpu_pct'])} %, {fmt(per_op_us(r))} us/op"
        + (f", cursor p99 {fmt(cur.get('p99'))} ms" if cur.get("count") else "")
        + f" (others {fmt(r['machine']['other_pct'])} %)"
    )


def verdicts(results: dict[str, dict[str, Any] | None], quick: bool) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    tag = " (quick: smaller N)" if quick else ""

    def row(name: str, target: str, check: Any) -> None:
        r = results.get(name)
        if name not in results:
            return
        if r is None:
            rows.append({"target": target + tag, "measured": "run failed", "verdict": "MISS"})
            return
        ok = bool(check(r))
        rows.append(
            {"target": target + tag, "measured": line(r), "verdict": "pass" if ok else "MISS"}
        )

    def lossless(r: dict[str, Any]) -> bool:
        return not (r["lost"] or r["undelivered"] or r["duplicated"])

    def p(r: dict[str, Any], q: str) -> float:
        v = r["latency_ms"][q]
        return float("inf") if v is None else float(v)

    def us(r: dict[str, Any]) -> float:
        v = per_op_us(r)
        return float("inf") if v is None else v

    row("b500", "500 boards x 4 (1 drawing each): p99 < 50 ms, CPU < 60 %, <= 40 us/op",
        lambda r: lossless(r) and p(r, "p99") < 50 and r["server"]["cpu_pct"] < 60
        and us(r) <= 40)  # fmt: skip
    row("b250", "250 boards x 4 (1 drawing each): p99 < 25 ms, <= 40 us/op",
        lambda r: lossless(r) and p(r, "p99") < 25 and us(r) <= 40)  # fmt: skip
    row("n100", "N=100 (10 drawing): p50 < 1.5 ms, p99 < 5 ms",
        lambda r: lossless(r) and p(r, "p50") < 1.5 and p(r, "p99") < 5)  # fmt: skip
    row("n1000", "N=1000 (100 drawing): p99 < 25 ms",
        lambda r: lossless(r) and p(r, "p99") < 25)  # fmt: skip

    def cursors_ok(r: dict[str, Any]) -> bool:
        cur = (r.get("cursor_latency_ms") or {}).get("p99")
        return cur is not None and cur < 50 and r["server"]["cpu_pct"] < 50

    row("cur200", "200 clients, cursors at 30 Hz, 20 drawing: cursor p99 < 50 ms, CPU < 50 %",
        cursors_ok)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller N, 3 s per run")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--only", help="comma-separated scenario names: " +
                    ",".join(s.name for s in SCENARIOS))  # fmt: skip
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    seconds = 3.0 if args.quick else args.seconds
    wanted = set(args.only.split(",")) if args.only else {s.name for s in SCENARIOS}
    results: dict[str, dict[str, Any] | None] = {}
    for s in SCENARIOS:
        if s.name in wanted:
            results[s.name] = r = run(s, args.quick, seconds)
            print(f"  {s.name:7} {s.title}: {line(r) if r else 'failed'}", file=sys.stderr)
    rows = verdicts(results, args.quick)
    for row in rows:
        print(f"{row['target']}: {row['measured']}  {row['verdict']}")
    if args.json_out:
        args.json_out.write_text(json.dumps({"runs": results, "verdicts": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
