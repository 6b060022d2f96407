"""Issue 12's loop scenario, full size: four ``export.svg`` and four JSON ``?at=`` of a
10M-value board at once, and twenty ``hello``s with ``since: 0`` that never read, while a
client on another board sends ops one after the other; prints that client's round trips and
the server's own loop lag (its ``/metrics`` histogram) over the window.

    python bench/heavy_loop.py                          # server defaults (--heavy-requests 2)
    python bench/heavy_loop.py --heavy-requests 8       # all eight heavy requests admitted
    python bench/heavy_loop.py --root /path/to/other/checkout   # the same against other code

Requests past ``--heavy-requests`` are refused with 503 at once (the promise), so the default
run admits two of the eight; ``--heavy-requests 8`` is the harder shape, every one built at
once. Not a timed test: the seconds-long shape is asserted by ``tests/hostile/test_heavy.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lag_metrics import fetch, max_ms
from bench.memory_flood import PEN, hello, rss_mb, start
from tests.server.wsclient import WsClient

PENS, VALUES = 1_000, 10_000  # 10M pen values, about 50 MB of ops
OP_EVERY_S = 0.01  # the other board's client: 100 ops/s at most


def build(url: str, board: str) -> int:
    """The big board, in frames of ten pens; answers its head seq."""
    ws = hello(url, board)
    c = 0
    for batch in range(PENS // 10):
        ops = []
        for i in range(10):
            c += 1
            pts = [(batch * 7 + i * 13 + j) % 9_973 for j in range(VALUES)]
            ops.append({"c": c, "k": "add", "e": {**PEN, "id": f"p{c}", "pts": pts}})
        ws.send({"t": "ops", "ops": ops})
        got = 0
        while got < len(ops):
            m = ws.recv()
            assert m is not None, ws.close_code
            if m["t"] == "err":
                raise RuntimeError(f"building refused: {m}")
            if m["t"] == "ops":
                got += len(m["ops"])
    ws.close()
    return c


def get(url: str, path: str, out: list[tuple[str, int, float, int]], kind: str) -> None:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url + path, timeout=300) as resp:
            size = len(resp.read())
            status = resp.status
    except urllib.error.HTTPError as exc:
        status, size = exc.code, 0
    out.append((kind, status, time.monotonic() - started, size))


def lurker(url: str, board: str, held: list[WsClient]) -> None:
    """A joiner that asks for the whole history and never reads a byte of it."""
    ws = WsClient.connect(url, f"/ws/{board}", timeout=30)
    ws.send({"t": "hello", "v": 1, "name": "lurker", "since": 0})
    held.append(ws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--heavy-requests", type=int, default=None)
    parser.add_argument("--exports", type=int, default=4, help="export.svg requests at once")
    parser.add_argument("--ats", type=int, default=4, help="JSON ?at= requests at once")
    parser.add_argument("--lurkers", type=int, default=20, help="since: 0 joiners that never read")
    a = parser.parse_args()
    args = ["--bytes-per-s", "1000000000", "--bytes-burst", "1000000000"]
    if a.heavy_requests is not None:
        args += ["--heavy-requests", str(a.heavy_requests)]
    with tempfile.TemporaryDirectory() as data:
        proc, url = start(a.root, data, args)
        try:
            t = time.monotonic()
            head = build(url, "big")
            print(
                f"built 'big': {head} ops, {PENS * VALUES:,} values in {time.monotonic() - t:.1f} s"
            )
            run(proc.pid, url, head, a)
        finally:
            proc.kill()
            proc.wait()


def run(pid: int, url: str, head: int, a: argparse.Namespace) -> None:
    other = hello(url, "other")
    before = fetch(url)
    answers: list[tuple[str, int, float, int]] = []
    held: list[WsClient] = []
    threads = [
        threading.Thread(target=get, args=(url, "/api/boards/big/export.svg", answers, "svg"))
        for _ in range(a.exports)
    ]
    threads += [
        threading.Thread(target=get, args=(url, f"/api/boards/big?at={head - i}", answers, "at"))
        for i in range(a.ats)
    ]
    threads += [threading.Thread(target=lurker, args=(url, "big", held)) for _ in range(a.lurkers)]
    for th in threads:
        th.start()
    peak = rss_mb(pid)
    trips: list[float] = []
    started = time.monotonic()
    c = 0
    # Ops on the other board until every heavy request has answered, and two seconds more:
    # one every OP_EVERY_S at most (a person drawing), well within the server's ops rate.
    while any(th.is_alive() for th in threads) or time.monotonic() - started < 2:
        c += 1
        t = time.monotonic()
        e = {**PEN, "id": f"o{c}", "pts": [0, 0, c % 500, 1]}
        other.send({"t": "ops", "ops": [{"c": c, "k": "add", "e": e}]})
        while (m := other.recv()) is not None and m["t"] not in ("ops", "err"):
            pass
        assert m is not None, other.close_code
        if m["t"] == "err":
            raise RuntimeError(f"the other board's op was refused: {m}")
        trips.append(time.monotonic() - t)
        peak = max(peak, rss_mb(pid))
        time.sleep(max(0.0, OP_EVERY_S - (time.monotonic() - t)))
    window = time.monotonic() - started
    after = fetch(url)
    for ws in held:
        ws.sock.close()
    other.close()
    trips.sort()
    p = lambda q: trips[min(len(trips) - 1, int(q * len(trips)))] * 1000  # noqa: E731
    for kind in ("svg", "at"):
        mine = [(s, d, n) for k, s, d, n in answers if k == kind]
        ok = [d for s, d, _ in mine if s == 200]
        statuses = sorted(s for s, _, _ in mine)
        size = max(n for _, _, n in mine) if mine else 0
        slowest = f", slowest 200 in {max(ok):.2f} s, {size / 2**20:.0f} MiB" if ok else ""
        print(f"{kind:>4}: statuses {statuses}{slowest}")
    lag = max_ms(before, after)
    lag_text = "n/a" if lag is None else f"<= {lag:.0f} ms"
    print(
        f"other board: {len(trips)} ops in {window:.1f} s, round trip p50 {p(0.5):.1f} ms, "
        f"p99 {p(0.99):.1f} ms, max {trips[-1] * 1000:.1f} ms "
        f"(mean {statistics.fmean(trips) * 1000:.1f} ms)"
    )
    print(f"loop lag max {lag_text}; server RSS peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
