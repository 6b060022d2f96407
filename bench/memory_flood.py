"""Issue 12's memory flood, full size: N connections from one address send pen ops at their
whole byte budget for S seconds while another board is edited; prints the server's resident
size during and after, the other board's op round trips and the server's loop lag.

    python bench/memory_flood.py                       # --memory-mb 512, 20 x 30 s, 60 s after
    python bench/memory_flood.py --root /path/to/other/checkout --connections 5 --seconds 10

``--root`` runs another checkout's ``server.py`` (the same flood against the code before a
change). Not a timed test: it prints figures (the seconds-long shape is asserted by
``tests/hostile/test_memory.py``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lag_metrics import fetch, max_ms
from tests.server.wsclient import WsClient

VALUES = 10_000
PEN = {"type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 2}


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def start(root: Path, data: str, args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(root / "server.py"), "--port", "0", "--data", data, *args],
        cwd=root, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"listening on (http://\S+?)/?\s", line)
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep it drained
            return proc, m.group(1).rstrip("/")
    raise RuntimeError("the server did not start")


FLOOD_ADDRESS, OTHER_ADDRESS = "10.0.0.1", "10.0.0.2"
"""Where the flood and the other board's client come from (X-Forwarded-For, the server told to
trust 127.0.0.1 as a proxy): one address's connections share a byte budget, and the other
client, from the same address, would be refused as part of the flood."""


def hello(url: str, board: str, address: str = OTHER_ADDRESS) -> WsClient:
    headers = {"X-Forwarded-For": address}
    ws = WsClient.connect(url, f"/ws/{board}", timeout=30, headers=headers)
    ws.send({"t": "hello", "v": 1, "name": "flood"})
    welcome = ws.recv()
    assert welcome is not None and welcome["t"] == "welcome", ws.close_code
    return ws


class Flooder:
    """One connection sending 50 kB pen adds as fast as the socket takes them, and reading
    every answer (a reader that stops would be dropped for its backlog, not for its memory)."""

    def __init__(self, url: str, board: str, until: float) -> None:
        self.ws = hello(url, board, FLOOD_ADDRESS)
        self.until = until
        self.sent = self.accepted = 0
        self.refused: dict[str, int] = {}
        self.closed: int | None = None

    def send_loop(self) -> None:
        try:
            while time.monotonic() < self.until and self.closed is None:
                self.sent += 1
                e = {**PEN, "id": f"p{self.sent}", "pts": [100_000 + j for j in range(VALUES)]}
                self.ws.send({"t": "ops", "ops": [{"c": self.sent, "k": "add", "e": e}]})
        except OSError:
            pass

    def read_loop(self) -> None:
        try:
            while (msg := self.ws.recv()) is not None:
                if msg["t"] == "err":
                    self.refused[msg["code"]] = self.refused.get(msg["code"], 0) + 1
                elif msg["t"] == "ops":
                    self.accepted += len(msg["ops"])
        except OSError:
            pass
        self.closed = self.ws.close_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--memory-mb", type=int, default=512)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--after", type=float, default=60)
    a = parser.parse_args()
    args: list[str] = []
    if (a.root / "whiteboard" / "live" / "budget.py").exists():
        args += ["--memory-mb", str(a.memory_mb), "--trusted-proxies", "127.0.0.1"]
    with tempfile.TemporaryDirectory() as data:
        proc, url = start(a.root, data, args)
        try:
            run(proc, url, a)
        finally:
            proc.kill()
            proc.wait()


def run(proc: subprocess.Popen[str], url: str, a: argparse.Namespace) -> None:
    base = rss_mb(proc.pid)
    other = hello(url, "other")
    other.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": {**PEN, "id": "o", "pts": [0, 0]}}]})
    while (m := other.recv()) is not None and m["t"] != "ops":
        pass
    metrics_before = fetch(url)
    until = time.monotonic() + a.seconds
    flooders = [Flooder(url, f"flood{i}", until) for i in range(a.connections)]
    threads = [threading.Thread(target=f.send_loop, daemon=True) for f in flooders]
    threads += [threading.Thread(target=f.read_loop, daemon=True) for f in flooders]
    for t in threads:
        t.start()
    peak, trips, c = base, [], 1
    while time.monotonic() < until:
        c += 1  # the other board: a move a second ten times, timed to its broadcast
        t0 = time.monotonic()
        other.send({"t": "ops", "ops": [{"c": c, "k": "update", "id": "o", "set": {"x": c}}]})
        while (m := other.recv()) is not None and m["t"] not in ("ops", "err"):
            pass
        if m is not None and m["t"] == "err":
            raise RuntimeError(f"the other board's op was refused: {m}")
        trips.append(time.monotonic() - t0)
        peak = max(peak, rss_mb(proc.pid))
        time.sleep(0.1)
    metrics_after = fetch(url)
    for f in flooders:
        f.ws.sock.close()
    left = time.monotonic()
    after = rss_mb(proc.pid)
    while time.monotonic() - left < a.after:
        time.sleep(1)
        after = rss_mb(proc.pid)
    sent = sum(f.sent for f in flooders)
    accepted = sum(f.accepted for f in flooders)
    refused: dict[str, int] = {}
    for f in flooders:
        for code, n in f.refused.items():
            refused[code] = refused.get(code, 0) + n
    closed = sum(1 for f in flooders if f.closed not in (None, 1006))
    trips.sort()
    p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))] * 1000
    print(f"server: {a.root}")
    print(f"flood: {a.connections} connections x {a.seconds:.0f} s, {VALUES}-value pen adds")
    print(f"  sent {sent} ops ({sent * VALUES * 5 / 2**20:.0f} MiB), accepted {accepted}")
    print(f"  refused {refused}, closed by the server {closed}")
    print(f"rss MB: start {base:.0f}, peak {peak:.0f}, {a.after:.0f} s after they left {after:.0f}")
    print(
        f"other board op round trip ms: p50 {statistics.median(trips) * 1000:.1f}, "
        f"p99 {p99:.1f}, max {trips[-1] * 1000:.1f} ({len(trips)} ops)"
    )
    lag = max_ms(metrics_before, metrics_after)
    print(f"loop lag max ms (histogram bound): {lag}")


if __name__ == "__main__":
    main()
