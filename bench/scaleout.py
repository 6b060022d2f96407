"""Scale-out benchmark: one board served by 1 and by 2 processes sharing one Redis.

Why this shape: ``--redis`` exists so that more processes carry more clients. The figure that
says whether it does is the same fan-out load (``bench/loadgen.py``, K = N / 10 drawing at
R = 30 ops/s on one board) against one process and against two, with the clients taking the
processes in turn, side by side with the embedded SQLite server at the same N. Each row also
shows redis-server's own CPU, since Redis is the part every process shares.

On a 2-core machine the load generator needs a core of its own at these loads, so two server
processes compete with it: read the ratio as a floor, not as what two machines would give.

    .venv/bin/python bench/scaleout.py                # N = 500 ... 3000; 15 s each
    .venv/bin/python bench/scaleout.py --quick        # N = 100, 200; 4 s each
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.redis.redis_server import RedisServer  # noqa: E402  (one way to start Redis)

LOADGEN = ROOT / "bench" / "loadgen.py"
SETUPS = ("sqlite", "redis x1", "redis x2")


class Redis(RedisServer):
    """redis-server with no persistence: the figure is the cost of serving, not of a disk."""

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)


class Server:
    """``server.py`` on a free port; ``url`` once it logs that it listens."""

    def __init__(self, *args: str) -> None:
        self.url = ""
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--port", "0", *args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(30):
            self.proc.kill()
            raise SystemExit("server did not start")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            m = re.search(r"listening on (http://\S+?)/?\s", line)
            if m:
                self.url = m.group(1).rstrip("/")
                self._ready.set()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def run(setup: str, n: int, seconds: float, redis: Redis, tmp: str) -> dict[str, Any]:
    # Every client comes from 127.0.0.1: lift the per-address cap above N.
    cap = ["--connections-per-ip", str(n + 50)]
    if setup == "sqlite":
        servers = [Server("--data", tempfile.mkdtemp(dir=tmp), *cap)]
    else:
        redis.flush()
        count = int(setup.rsplit("x", 1)[1])
        servers = [Server("--redis", redis.url, *cap) for _ in range(count)]
    out = Path(tmp) / "result.json"
    argv = [sys.executable, str(LOADGEN), "--url", ",".join(s.url for s in servers),
            "--server-pid", ",".join(str(s.proc.pid) for s in servers),
            "-N", str(n), "-K", str(max(1, n // 10)), "-R", "30", "--seconds", str(seconds),
            "--warmup", "3", "--json-out", str(out)]  # fmt: skip
    if setup != "sqlite":
        argv += ["--redis-pid", str(redis.proc.pid)]
    try:
        subprocess.run(argv, capture_output=True, timeout=seconds + 300, check=False)
    finally:
        for s in servers:
            s.stop()
    if not out.exists():
        return {"setup": setup, "n": n, "failed": True}
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    result["setup"] = setup
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | N | deliveries/s | p50 ms | p99 ms | lost | server CPU % | redis CPU % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if r.get("failed"):
            lines.append(f"| {r['setup']} | {r['n']} | failed | | | | | |")
            continue
        lat, srv = r["latency_ms"], r["server"]
        lost = r["lost"] + r["duplicated"] + r["undelivered"]
        lines.append(
            f"| {r['setup']} | {r['n']} | {r['deliveries_per_s']:,.0f} | {lat['p50']} |"
            f" {lat['p99']} | {lost} | {srv['cpu_pct']} | {srv.get('redis_cpu_pct') or '-'} |"
        )
    return "\n".join(lines)


def ratios(results: list[dict[str, Any]]) -> list[str]:
    """Per N, two processes' deliveries/s over one's, and the largest N under 100 ms each."""
    by = {(r["setup"], r["n"]): r for r in results if not r.get("failed")}
    out = []
    for n in sorted({r["n"] for r in results}):
        one, two = by.get(("redis x1", n)), by.get(("redis x2", n))
        if one and two and one["deliveries_per_s"]:
            ratio = two["deliveries_per_s"] / one["deliveries_per_s"]
            out.append(
                f"N={n}: 2 processes / 1 = {ratio:.2f}x deliveries/s;"
                f" p99 {one['latency_ms']['p99']} -> {two['latency_ms']['p99']} ms"
            )
    best = {}
    for setup in SETUPS:
        best[setup] = max(
            (r["n"] for r in results if r["setup"] == setup and _passes(r)), default=0
        )
        out.append(f"{setup}: largest N run with p99 < 100 ms and nothing lost: {best[setup]}")
    if best["redis x1"]:
        ratio = best["redis x2"] / best["redis x1"]
        out.append(f"scaling 1 -> 2 processes (largest N under the bar): {ratio:.2f}x")
    return out


def _passes(r: dict[str, Any]) -> bool:
    if r.get("failed"):
        return False
    p99 = r["latency_ms"]["p99"]
    lost = r["lost"] or r["duplicated"] or r["undelivered"]
    return p99 is not None and p99 < 100 and not lost


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small N, a few seconds each")
    ap.add_argument("--n", help="comma-separated N values")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--json-out", type=Path, help="write every run's summary to this file")
    args = ap.parse_args(argv)
    ns = [100, 200] if args.quick else [500, 1000, 1500, 2000, 2500, 3000]
    if args.n:
        ns = [int(v) for v in args.n.split(",")]
    seconds = args.seconds or (4.0 if args.quick else 15.0)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        redis = Redis(tmp)
        try:
            for setup in SETUPS:
                for n in ns:  # ascending: a setup stops at its first N over the bar
                    r = run(setup, n, seconds, redis, tmp)
                    results.append(r)
                    print(table([r]).splitlines()[-1], flush=True)
                    if not _passes(r):
                        break
        finally:
            redis.stop()
    print()
    print(table(results))
    print()
    for line in ratios(results):
        print(line)
    if args.json_out:
        best = {
            setup: max((r["n"] for r in results if r["setup"] == setup and _passes(r)), default=0)
            for setup in SETUPS
        }
        redis_cpu = [r["server"].get("redis_cpu_pct") or 0 for r in results if not r.get("failed")]
        summary = {"results": results, "best": best, "redis_cpu_max_pct": max(redis_cpu or [0])}
        args.json_out.write_text(json.dumps(summary) + "\n")
    return 0 if all(not r.get("failed") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
