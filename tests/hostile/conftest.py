"""Hostile tests: each runs a real ``server.py`` subprocess and does what an attacker or an
unlucky operator would, bounded to seconds (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.subprocess_server import ROOT, ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(str(tmp_path / "data")).start()
    yield srv
    srv.kill()


def run_server(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """``server.py`` run to its end: for the ones that must refuse to start."""
    return subprocess.run(
        [sys.executable, str(ROOT / "server.py"), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def one_line(text: str) -> str:
    """The error, asserted to be one line with no traceback."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert "Traceback" not in text, text
    assert len(lines) == 1, text
    return lines[0]
