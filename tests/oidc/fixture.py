"""A real OpenID Connect provider for the tests: ``provider.mjs`` (the oidc-provider package)
as a Node subprocess on a free port, with users ``ann``, ``bob`` and ``carol`` (any password)."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "whiteboard", "test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class OidcProvider:
    def __init__(self, redirect_uri: str) -> None:
        self.port = free_port()
        self.redirect_uri = redirect_uri
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server_args(self, public_url: str) -> list[str]:
        """The whiteboard's flags for this provider."""
        return ["--oidc-issuer", self.issuer, "--oidc-client-id", CLIENT_ID,
                "--oidc-client-secret", CLIENT_SECRET, "--public-url", public_url]  # fmt: skip

    def start(self, timeout: float = 20) -> OidcProvider:
        ready = threading.Event()
        self.proc = subprocess.Popen(
            ["node", str(ROOT / "tests/oidc/provider.mjs"), str(self.port), self.redirect_uri],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.log.append(line)
                if line.strip() == "ready":
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("the OpenID provider did not start:\n" + "".join(self.log))
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
