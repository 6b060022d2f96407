"""A client that says hello and never reads, while another draws tens of megabytes.

Why: Tornado buffers without limit for a client that never reads. The server must notice the
backlog, drop that client with 1013 and keep its own memory bounded. This prints the server's
RSS as the drawing goes on and the close code the lazy client finally reads.

    .venv/bin/python bench/slow_client.py [--megabytes 50]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megabytes", type=float, default=50, help="ink sent to each reader")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as data:
        srv = ServerProcess(data, "--bytes-per-s", str(1 << 30), "--bytes-burst", str(1 << 30),
                            "--ops-per-s", "100000", "--ops-burst", "100000").start()  # fmt: skip
        assert srv.proc is not None
        pid = srv.proc.pid
        try:
            lazy = WsClient.connect(srv.url, "/ws/slow")
            lazy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            lazy.send({"t": "hello", "v": 1, "name": "lazy"})
            drawer = WsClient.connect(srv.url, "/ws/slow")
            drawer.send({"t": "hello", "v": 1, "name": "drawer"})
            while (m := drawer.recv()) is not None and m["t"] != "welcome":
                pass
            pts = [3, -3] * 4_900
            op_bytes = len(pts) + 60
            total = int(args.megabytes * 1e6 / op_bytes)
            start_rss = rss_mb(pid)
            peak = start_rss
            rows = []
            left_at = None
            t0 = time.monotonic()
            for i in range(total):
                # Each stroke is deleted by the next frame so the board stays small: what the
                # server holds then is buffers, which is what this bench is about.
                ops: list[dict[str, object]] = [{"k": "add", "c": 2 * i, "e": {
                    "id": f"p{i}", "type": "pen", "x": 0, "y": 0, "stroke": "#000000",
                    "width": 2, "pts": pts}}]  # fmt: skip
                if i:
                    ops.append({"k": "delete", "c": 2 * i + 1, "ids": [f"p{i - 1}"]})
                drawer.send({"t": "ops", "ops": ops})
                while True:  # read our own ack so only the lazy client's backlog grows
                    m = drawer.recv()
                    if m is None:
                        raise RuntimeError("drawer was closed")
                    if m["t"] == "presence" and "leave" in m and left_at is None:
                        left_at = (i * op_bytes) / 1e6
                    if m["t"] == "ops":
                        break
                if i % max(1, total // 20) == 0:
                    peak = max(peak, rss_mb(pid))
                    rows.append((round(i * op_bytes / 1e6, 1), round(rss_mb(pid), 1)))
            peak = max(peak, rss_mb(pid))
            try:
                code: int | None = lazy.expect_close(60)
            except TimeoutError:
                code = None
            summary = {
                "megabytes_sent_to_each_reader": round(total * op_bytes / 1e6, 1),
                "lazy_dropped_after_mb": left_at,
                "lazy_close_code": code,
                "server_rss_start_mb": round(start_rss, 1),
                "server_rss_peak_mb": round(peak, 1),
                "seconds": round(time.monotonic() - t0, 1),
            }
            print("MB sent  server RSS MB")
            for mb, r in rows:
                print(f"{mb:7}  {r}")
            print(json.dumps(summary, indent=2))
        finally:
            srv.terminate()
            srv.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
