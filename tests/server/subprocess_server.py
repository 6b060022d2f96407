"""Run server.py as a real process (for crash and shutdown tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """``server.py --port 0`` in a subprocess; ``url`` is known once it logs that it listens."""

    def __init__(self, data: str, *args: str) -> None:
        self.data = data
        self.args = args
        self.log: list[str] = []
        self.url = ""
        self._ready = threading.Event()
        self._done = threading.Event()
        self.proc: subprocess.Popen[str] | None = None
        self.env: dict[str, str] = {}  # more environment for the server (a preloaded library)

    def start(self, timeout: float = 20) -> ServerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--port", "0", "--data", self.data,
             *self.args],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout):
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"listening on (http://\S+?)/?\s", line)
            if m:
                self.url = m.group(1).rstrip("/")
                self._ready.set()
        self.proc.stderr.close()
        self._done.set()

    def wait(self, timeout: float = 20) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        self._done.wait(5)
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.wait(10)

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.terminate()

    def output(self) -> str:
        """Everything the server logged; waits for the process to have exited."""
        self._done.wait(5)
        return "".join(self.log)
