"""``--processes N --redis URL``: workers share one port under a supervising parent.

Real ``server.py`` processes on a real redis-server: a worker killed with -9 is replaced, SIGTERM
to the parent stops every worker gracefully, and no worker outlives a parent killed with -9.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis.redis_server import RedisServer
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient

TIMEOUT = 20.0


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    import redis

    with redis.Redis.from_url(redis_server.url) as r:
        r.flushdb()
    yield redis_server.url


def _workers(server: ServerProcess, count: int) -> dict[int, int]:
    """Worker id -> pid of the newest start of each, once ``count`` distinct ids have logged."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        found: dict[int, int] = {}
        for line in list(server.log):
            m = re.search(r"worker (\d+) started \(pid (\d+)\)", line)
            if m:
                found[int(m.group(1))] = int(m.group(2))
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, "workers did not start:\n" + "".join(server.log)
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    """Exited and reaped, or a zombie no one has reaped yet: either way not serving."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(b")") + 2 :].startswith(b"Z")


def _wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not all(_gone(p) for p in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if not _gone(p)]}"
        time.sleep(0.02)


def _draw(url: str, board: str) -> None:
    client = WsClient.connect(url, f"/ws/{board}")
    client.send({"t": "hello", "v": 1, "name": "Ada"})
    welcome = client.recv()
    assert welcome is not None and welcome["t"] == "welcome"
    client.send({"t": "ops", "ops": [{"k": "delete", "ids": ["x"], "c": 1}]})
    err = client.recv()
    assert err is not None and err["code"] == "not_found"
    client.close()


def test_workers_share_the_port_restart_and_stop_with_the_parent(
    tmp_path: Path, redis_url: str
) -> None:
    server = ServerProcess(str(tmp_path), "--processes", "2", "--redis", redis_url).start()
    try:
        first = _workers(server, 2)
        assert len(set(first.values())) == 2
        _draw(server.url, "shared")

        # A worker that dies is replaced, with the same id, and the port keeps serving.
        os.kill(first[0], signal.SIGKILL)
        _wait_gone([first[0]])
        deadline = time.monotonic() + TIMEOUT
        while _workers(server, 2)[0] == first[0]:
            assert time.monotonic() < deadline, "worker 0 was not restarted"
            time.sleep(0.02)
        now = _workers(server, 2)
        _draw(server.url, "shared")

        # SIGTERM to the parent stops every worker gracefully, then the parent exits 0.
        server.terminate()
        assert server.wait() == 0
        _wait_gone(list(now.values()))
        out = server.output()
        assert "Traceback" not in out, out[out.find("Traceback") - 300 :]
        assert out.count("whiteboard: stopped") == 2, out  # each live worker shut down cleanly
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


def test_workers_do_not_outlive_a_killed_parent(tmp_path: Path, redis_url: str) -> None:
    server = ServerProcess(str(tmp_path), "--processes", "2", "--redis", redis_url).start()
    pids = list(_workers(server, 2).values())
    server.kill()  # SIGKILL: the parent cannot forward anything
    _wait_gone(pids)
