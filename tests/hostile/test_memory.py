"""The memory budget (``--memory-mb``) against floods of pen points and imports (issue 12,
part 1). The full-size runs (30 s, 20 connections, RSS figures) are ``bench/memory_flood.py``;
here each scenario is cut to seconds and its shape asserted: refusals happen, the process
stays under its budget, another board is served, memory comes back once the boards unload."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

from tests.hostile.test_faults import edits
from tests.hostile.test_small import request
from tests.server.conftest import pen, rect
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient

BUDGET_MB = 128  # the server alone takes about 40 MB
VALUES = 10_000  # a full op; each value 5 bytes on the wire, 4 in the server's memory


def rss_mb(srv: ServerProcess) -> float:
    assert srv.proc is not None
    with open(f"/proc/{srv.proc.pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def join(url: str, board: str, address: str, timeout: float = 10) -> WsClient:
    """A client from ``address`` (the server trusts 127.0.0.1 as a proxy)."""
    ws = WsClient.connect(
        url, f"/ws/{board}", timeout=timeout, headers={"X-Forwarded-For": address}
    )
    ws.send({"t": "hello", "v": 1, "name": "m"})
    welcome = ws.recv()
    assert welcome is not None and welcome["t"] == "welcome", (welcome, ws.close_code)
    return ws


def flood(
    url: str,
    board: str,
    address: str,
    frames: int,
    refusals: list[str],
    together: threading.Barrier | None = None,
) -> None:
    """Pen adds at the byte budget's pace, then every answer read: refusals noted. A flood
    that fails on its own side (a timeout on a slow machine) says so in ``refusals``, which
    the assertions then show, rather than dying silently in its thread. With ``together``,
    the connection stays open until every flood of the group has had its answers, so no
    board unloads (giving its address's share back) while the others still send."""
    ws = None
    try:
        ws = join(url, board, address, timeout=60)
        for i in range(frames):
            line = pen(f"p{i}", pts=[100_000 + j for j in range(VALUES)])
            ws.send({"t": "ops", "ops": [{"c": i + 1, "k": "add", "e": line}]})
        answered = 0
        while answered < frames:
            msg = ws.recv()
            if msg is None:  # dropped as one of the greediest: still waits for its group
                refusals.append(f"closed {ws.close_code}")
                break
            if msg["t"] == "err":
                refusals.append(f"{msg['code']}: {msg['msg']}")
                answered += 1
            elif msg["t"] == "ops":
                answered += len(msg["ops"])
    except Exception as exc:  # reported through the assertion
        refusals.append(f"flood failed: {exc!r}")
    finally:  # a flood that ended early waits too, or the others would wait a minute for it
        if together is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                together.wait(60)
        if ws is not None:
            ws.close()


def round_trips(ws: WsClient, n: int, prefix: str) -> list[float]:
    times = []
    for i in range(n):
        started = time.monotonic()
        ws.send({"t": "ops", "ops": [{"c": i + 1, "k": "add", "e": rect(f"{prefix}{i}")}]})
        while True:
            msg = ws.recv()
            assert msg is not None and msg["t"] != "err", msg
            if msg["t"] == "ops":
                break
        times.append(time.monotonic() - started)
    return times


def test_one_address_flooding_pens_is_refused_and_other_boards_are_served(tmp_path: Path) -> None:
    srv = ServerProcess(
        str(tmp_path), "--memory-mb", str(BUDGET_MB), "--trusted-proxies", "127.0.0.1"
    ).start()
    try:
        other = join(srv.url, "other", "10.0.0.2")
        refusals: list[str] = []
        together = threading.Barrier(4)
        floods = [
            threading.Thread(
                target=flood, args=(srv.url, f"f{i}", "10.0.0.1", 50, refusals, together)
            )
            for i in range(4)
        ]  # 10 MB of points from one address: 40 MB by the budget's count, its share is 32
        for t in floods:
            t.start()
        served = round_trips(other, 20, "a")
        for t in floods:
            t.join(30)
        peak = rss_mb(srv)
        served += round_trips(other, 5, "b")  # and after: its own adds still pass
        other.close()
    finally:
        srv.kill()
    # Refused for its address's share, or (when the resident size passed its line first) as
    # the address that added most; never the other board's small adds (round_trips).
    assert refusals and all("rate_limited" in r and "address" in r for r in refusals), refusals
    assert peak < BUDGET_MB, peak
    print(f"refused {len(refusals)} of 200; rss {peak:.0f} MB; other board max {max(served):.3f}")
    assert max(served) < 2.0, served


def test_past_the_budget_new_work_is_shed_until_boards_unload(tmp_path: Path) -> None:
    budget = 88  # sheds past 62 MB: about 12 MB more than the server alone
    srv = ServerProcess(
        str(tmp_path), "--memory-mb", str(budget), "--trusted-proxies", "127.0.0.1"
    ).start()
    try:
        refusals: list[str] = []
        together = threading.Barrier(8)  # every flooded board stays loaded until all are done
        floods = [  # from many addresses: no one's share is passed, the total is
            threading.Thread(
                target=flood, args=(srv.url, f"f{i}", f"10.0.1.{i}", 40, refusals, together)
            )
            for i in range(8)
        ]
        for t in floods:
            t.start()
        for t in floods:
            t.join(30)
        shed = [r for r in refusals if "short of memory" in r]
        assert shed, refusals
        assert rss_mb(srv) < budget
        # While memory is short: no new board is loaded, heavy requests wait.
        ws = WsClient.connect(srv.url, "/ws/fresh", timeout=10)
        ws.send({"t": "hello", "v": 1, "name": "late"})
        first = ws.recv()
        if first is None:
            assert ws.close_code == 1013, ws.close_code
            status, headers, _ = request(srv.url, "GET", "/api/boards/f0/export.svg")
            assert status == 503 and int(headers["retry-after"]) >= 1
        ws.sock.close()
        # The flooded boards have no client left, so they unload at once; then work resumes.
        deadline = time.monotonic() + 30
        while not edits(srv.url, "fresh", 1, "r"):
            assert time.monotonic() < deadline, "memory never came back"
            time.sleep(0.2)
    finally:
        srv.kill()
    assert "Traceback" not in srv.output()


def test_imports_beyond_two_at_once_wait_their_turn(server: ServerProcess) -> None:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    slow = []
    for _ in range(2):  # two imports whose bodies are still coming
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(
            f"POST /api/boards/import HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/msgpack\r\nContent-Length: 1000000\r\n\r\n".encode()
            + b"\x80" * 1000
        )
        slow.append(s)
    deadline = time.monotonic() + 10
    while True:  # once the server has begun reading both, a third is refused at once
        status, headers, body = request(server.url, "POST", "/api/boards/import", b"\x80")
        if status == 503:
            break
        assert status == 400 and time.monotonic() < deadline, (status, body)
    assert int(headers["retry-after"]) >= 1 and b"imports" in body
    for s in slow:
        s.close()
    deadline = time.monotonic() + 10
    while True:  # their places come back when they go
        status, _, body = request(server.url, "POST", "/api/boards/import", b"\x80")
        if status != 503:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status == 400, body  # a map that is not a board file: read, then refused
