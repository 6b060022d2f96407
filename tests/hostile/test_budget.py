"""Every frame is charged to the byte budget, cursors included; padded cursors are not relayed
(issue 12, part 4)."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.test_faults import hello
from tests.server.conftest import rect
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient


def until(ws: WsClient, kind: str) -> list[dict[str, object]]:
    """Every message up to and including the first of ``kind``."""
    seen = []
    while True:
        msg = ws.recv()
        assert msg is not None, ws.close_code
        seen.append(msg)
        if msg["t"] == kind:
            return seen


def test_a_padded_cursor_is_not_relayed(server: ServerProcess) -> None:
    a, b = hello(server.url, "pad"), hello(server.url, "pad")
    me = a.welcome["me"]  # type: ignore[attr-defined]
    a.send({"t": "cursor", "x": 111, "y": 111, "pad": "x" * 4000})
    a.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": rect("r")}]})
    until(a, "ops")  # the padded cursor's tick is over
    a.send({"t": "cursor", "x": 5, "y": 5})
    seen: list[dict[str, object]] = []
    while not any(c[0] == me for m in seen if m["t"] == "presence" for c in m.get("cur", [])):  # type: ignore[attr-defined]
        seen += until(b, "presence")
    cursors = [c[1:] for m in seen if m["t"] == "presence" for c in m.get("cur", []) if c[0] == me]  # type: ignore[attr-defined]
    assert cursors == [[5, 5]]
    a.close()
    b.close()


def test_cursor_bytes_are_charged_to_the_budget(tmp_path: Path) -> None:
    srv = ServerProcess(str(tmp_path), "--bytes-burst", "200000", "--bytes-per-s", "1000").start()
    try:
        a = hello(srv.url, "charged")
        for _ in range(10):  # 300 kB of cursors, past the 200 kB burst
            a.send({"t": "cursor", "x": 1, "y": 1, "pad": "x" * 30_000})
        a.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": rect("r")}]})
        msg = a.recv()
        assert msg is not None and msg["t"] == "err" and msg["code"] == "rate_limited", msg
        a.close()
    finally:
        srv.kill()
