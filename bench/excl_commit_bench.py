"""Group-commit cost with the WAL index in shared memory (default VFS) and in the heap
(``unix-excl``, what ``whiteboard/store/sql.py`` uses since issue 12): prints commits per second
and the p50/p99 of one commit of a tick-sized row, each under the same pragmas.

    .venv/bin/python bench/excl_commit_bench.py [--commits 5000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import urllib.parse

from whiteboard.store import sql


def run(path: str, vfs: str | None, commits: int) -> tuple[float, float, float]:
    uri = f"file:{urllib.parse.quote(path)}" + (f"?vfs={vfs}" if vfs else "")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(sql.SCHEMA)
    blob = os.urandom(300)  # about one tick of a few pen ops
    times = []
    start = time.perf_counter()
    for seq in range(1, commits + 1):
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO log (board, first_seq, last_seq, ts, ops) VALUES (?, ?, ?, ?, ?)",
            ("b", seq, seq, 0, blob),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    conn.close()
    times.sort()
    return commits / total, statistics.median(times) * 1e6, times[int(len(times) * 0.99)] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=5000)
    args = parser.parse_args()
    for vfs in (None, "unix-excl", None, "unix-excl"):
        with tempfile.TemporaryDirectory() as tmp:
            rate, p50, p99 = run(os.path.join(tmp, "db"), vfs, args.commits)
        print(f"{vfs or 'default (mmap -shm)':22} {rate:8.0f} commits/s  p50 {p50:6.0f} us"
              f"  p99 {p99:6.0f} us")  # fmt: skip


if __name__ == "__main__":
    main()
