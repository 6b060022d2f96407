"""A real ``redis-server`` on a free port, for the scale-out tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")


def skip_without_redis_server() -> None:
    """Skip the calling test module, loudly, where the binary is missing (CI installs it)."""
    import pytest

    if REDIS_SERVER is None:
        pytest.skip(
            "redis-server is not installed: the scale-out tests cannot run "
            "(apt-get install redis-server; .ci/run does it)",
            allow_module_level=True,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """Started with the append-only file on (the server refuses a Redis that would lose
    acknowledged ops) but never fsynced (the tests need speed, not a disk), and stopped by the
    fixture; ``url`` points at it. ``volatile`` starts one without persistence."""

    def __init__(self, workdir: Path | str, *, volatile: bool = False) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no" if volatile else "yes", "--appendfsync", "no",
             "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)  # polling a port that is not open yet: no event to wait on
        raise RuntimeError("redis-server did not answer PING")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
