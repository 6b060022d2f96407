"""Issue 12's import flood: three large board files (default 60 MiB each) posted at once.
Prints each answer, the server's peak resident size and its loop lag meanwhile.

    python bench/import_flood.py [--mib 60] [--memory-mb 512] [--root /other/checkout]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lag_metrics import fetch, max_ms
from bench.memory_flood import rss_mb, start
from whiteboard.history import boardfile

VALUES = 10_000


def board_file(mib: int) -> bytes:
    """A valid board file of about ``mib`` MiB: one author drawing 10,000-value pens."""
    sops, elements = [], []
    n = mib * (1 << 20) // (VALUES * 5)
    for i in range(1, n + 1):
        e = {"id": f"p{i}", "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 2,
             "pts": [100_000 + j for j in range(VALUES)]}  # fmt: skip
        sops.append({"k": "add", "e": e, "c": i, "s": i, "by": 1, "ts": 1000})
        elements.append(e)
    return boardfile.encode("src", n, elements, sops, {1: "Ana"})


def post(url: str, body: bytes, out: list[str]) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    started = time.monotonic()
    try:
        conn.request("POST", "/api/boards/import", body=body)
    except ConnectionResetError:  # answered (503) before the body was read, then closed
        out.append("refused before its body was read (connection closed after the answer)")
        return
    resp = conn.getresponse()
    text = resp.read()[:100].decode("utf-8", "replace")
    out.append(f"{resp.status} in {time.monotonic() - started:.1f} s: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--mib", type=int, default=60)
    parser.add_argument("--memory-mb", type=int, default=512)
    a = parser.parse_args()
    body = board_file(a.mib)
    args = ["--import-bytes", str(len(body) + 1)]
    if (a.root / "whiteboard" / "live" / "budget.py").exists():
        args += ["--memory-mb", str(a.memory_mb)]
    with tempfile.TemporaryDirectory() as data:
        proc, url = start(a.root, data, args)
        try:
            base, peak = rss_mb(proc.pid), 0.0
            before = fetch(url)
            out: list[str] = []
            threads = [threading.Thread(target=post, args=(url, body, out)) for _ in range(3)]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                peak = max(peak, rss_mb(proc.pid))
                time.sleep(0.2)
            after = fetch(url)
        finally:
            proc.kill()
            proc.wait()
    print(f"server: {a.root}; three imports of {len(body) / 2**20:.0f} MiB at once")
    for line in out:
        print(f"  {line}")
    print(f"rss MB: start {base:.0f}, peak {peak:.0f}")
    print(f"loop lag max ms (histogram bound): {max_ms(before, after)}")


if __name__ == "__main__":
    main()
