"""Connection hygiene (issue 12, part 3): slow or idle clients are let go, one address cannot
hold every descriptor, and running out of descriptors is one log line, not a flood."""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.test_small import request
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(
        str(tmp_path / "data"),
        "--header-timeout-s", "1", "--body-timeout-s", "1", "--hello-timeout-s", "1",
        "--http-connections-per-ip", "8",
    ).start()  # fmt: skip
    yield srv
    srv.kill()


def raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closes ``sock`` (reading whatever it answers)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def test_partial_headers_are_dropped_after_the_header_timeout(strict: ServerProcess) -> None:
    sock = raw(strict.url)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # and never the rest
    assert closed_within(sock, 5) < 4
    sock.close()


def test_a_body_sent_too_slowly_is_dropped_after_the_body_timeout(strict: ServerProcess) -> None:
    sock = raw(strict.url)
    sock.sendall(
        b"POST /api/boards/import HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Length: 100000\r\n\r\n" + b"x" * 10
    )
    assert closed_within(sock, 5) < 4
    sock.close()


def test_a_websocket_without_hello_is_closed(strict: ServerProcess) -> None:
    ws = WsClient.connect(strict.url, "/ws/silent", timeout=5)
    start = time.monotonic()
    assert ws.expect_close(5) == 1008
    assert time.monotonic() - start < 4 and "hello" in ws.close_reason


def test_one_address_cannot_hold_every_http_connection(strict: ServerProcess) -> None:
    held = [raw(strict.url) for _ in range(8)]
    for sock in held:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # unfinished
    extra = raw(strict.url)
    assert closed_within(extra, 2) < 1.5  # closed at once, before any timeout
    extra.close()
    for sock in held:
        sock.close()
    served_again(strict.url)  # the server sees the closes shortly


def served_again(url: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if request(url, "GET", "/healthz")[0] == 200:
                return
        except OSError:  # refused or closed at once while the server catches up
            pass
        assert time.monotonic() < deadline


def test_out_of_descriptors_is_one_log_line_and_the_server_recovers(
    server: ServerProcess,
) -> None:
    pid = server.proc.pid  # type: ignore[union-attr]
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 4, hard))
    socks = []
    try:
        for _ in range(40):  # far past the limit: the kernel queues them, the server cannot
            socks.append(raw(server.url))
        deadline = time.monotonic() + 5
        while not any("cannot accept connections" in line for line in server.log):
            assert time.monotonic() < deadline, "".join(server.log)
            time.sleep(0.05)  # polling another process's log: nothing to wait on
    finally:
        for sock in socks:
            sock.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    served_again(server.url)
    log = "".join(server.log)
    assert log.count("cannot accept connections") == 1, log
    assert "Traceback" not in log
