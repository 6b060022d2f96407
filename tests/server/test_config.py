"""Settings come from flags, then WHITEBOARD_* variables, then defaults."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.subprocess_server import ROOT
from whiteboard.config import Settings, load_settings


def test_defaults() -> None:
    s = load_settings([], {})
    assert (s.host, s.port, s.data) == ("127.0.0.1", 8888, "./data")
    assert s == Settings()


def test_environment_then_flags() -> None:
    env = {"WHITEBOARD_PORT": "9000", "WHITEBOARD_ALLOW_ORIGIN": "https://a.example, https://b"}
    s = load_settings([], env)
    assert s.port == 9000 and s.allow_origin == ("https://a.example", "https://b")
    s = load_settings(["--port", "9100", "--tick-ms", "2.5"], env)
    assert s.port == 9100 and s.tick_ms == 2.5


def test_every_limit_is_announced() -> None:
    limits = Settings().limits()
    assert limits["frame_bytes"] == 1 << 20 and limits["ops_per_frame"] == 256
    assert limits["values_per_op"] == 10_000 and limits["values_per_element"] == 100_000


def test_bad_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load_settings([], {"WHITEBOARD_PORT": "eighty"})
    assert "WHITEBOARD_PORT" in capsys.readouterr().err


def test_help_lists_every_setting_with_its_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    """``server.py --help`` (argparse formats help texts with %: "70 %" once broke it)."""
    import dataclasses

    with pytest.raises(SystemExit) as done:
        load_settings(["--help"], {})
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for f in dataclasses.fields(Settings):
        assert "--" + f.name.replace("_", "-") in out
        assert " ".join(str(f.metadata["help"]).split()) in out, f.name


def test_readme_documents_every_setting() -> None:
    import dataclasses
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for f in dataclasses.fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        assert f"`{flag}`" in readme and f"`WHITEBOARD_{f.name.upper()}`" in readme, flag


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--processes", "2"], {}), ([], {"WHITEBOARD_PROCESSES": "0"})],
)
def test_processes_without_redis_is_a_usage_error(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "server.py"), "--port", "0", "--data", str(tmp_path), *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--processes needs --redis: SQLite serves one process" in proc.stderr
    assert not any(tmp_path.iterdir()), "nothing may be created before the usage error"


def _start(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "server.py"), "--data", str(tmp_path), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


@pytest.mark.parametrize("processes", ["1", "2"])
def test_an_unreachable_redis_is_one_line_without_the_password(
    tmp_path: Path, processes: str
) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://wb:s3cret@127.0.0.1:{port}/0"
    proc = _start(tmp_path, "--port", "0", "--redis", url, "--processes", processes)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        f"server.py: error: cannot reach Redis at redis://***@127.0.0.1:{port}/0: "
    )
    assert "s3cret" not in proc.stderr and "Traceback" not in proc.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _start(tmp_path, "--port", str(port))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
