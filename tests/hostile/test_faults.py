"""Faults said clearly: the data directory, a damaged database, memory (issue 12, part 1)."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import msgpack
import pytest

from tests.hostile.conftest import one_line, run_server
from tests.server.conftest import rect
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import OP_BINARY, WsClient
from whiteboard.store.sqlite import DB_NAME


def hello(url: str, board: str) -> WsClient:
    ws = WsClient.connect(url, f"/ws/{board}", timeout=10)
    ws.send({"t": "hello", "v": 1, "name": "h"})
    welcome = ws.recv()
    assert welcome is not None and welcome["t"] == "welcome"
    ws.welcome = welcome  # type: ignore[attr-defined]
    return ws


def draw(url: str, board: str, n: int = 5, prefix: str = "r") -> None:
    assert edits(url, board, n, prefix), f"adds on {board} refused, or the socket closed"


def test_a_second_server_on_the_same_data_exits_naming_the_first(
    server: ServerProcess,
) -> None:
    second = run_server("--port", "0", "--data", server.data)
    assert second.returncode == 1
    line = one_line(second.stderr)
    assert "in use by another server" in line
    assert f"pid {server.proc.pid}" in line and server.url in line  # type: ignore[union-attr]


def test_the_wal_index_is_not_memory_mapped_and_no_other_process_opens_the_db(
    server: ServerProcess,
) -> None:
    draw(server.url, "mapped")
    data = os.path.realpath(server.data)
    assert not os.path.exists(os.path.join(data, DB_NAME + "-shm"))
    with open(f"/proc/{server.proc.pid}/maps") as maps:  # type: ignore[union-attr]
        assert not [line for line in maps if data in line]
    try:
        sqlite3.connect(os.path.join(data, DB_NAME), timeout=0.2).execute(
            "SELECT COUNT(*) FROM log"
        ).fetchone()
        raise AssertionError("another process read the live database")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)


def test_a_damaged_database_is_named_at_start_with_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = ServerProcess(str(data)).start()
    for b in range(30):
        draw(srv.url, f"board{b}", 3)
    srv.terminate()
    assert srv.wait() == 0
    db = data / DB_NAME
    size = db.stat().st_size
    assert size > 8 * 4096
    with open(db, "r+b") as f:  # a damaged page in the middle of the log's b-tree
        f.seek(4096 * 3)
        f.write(os.urandom(4096))
    result = run_server("--port", "0", "--data", str(data))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert str(db) in line and "damaged" in line and "python -m whiteboard.backup" in line


def test_memory_error_is_not_called_invalid_msgpack(server: ServerProcess) -> None:
    ws = hello(server.url, "memory")
    pid = server.proc.pid  # type: ignore[union-attr]
    with open(f"/proc/{pid}/status") as status:
        vm = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    # 40 MB of address space left: a 1 MiB frame of a million empty arrays needs about 64.
    resource.prlimit(pid, resource.RLIMIT_AS, ((vm << 10) + (40 << 20), resource.RLIM_INFINITY))
    frame = msgpack.packb({"t": "ops", "ops": [[] for _ in range(1_000_000)]})
    ws.send_frame(OP_BINARY, frame)
    assert ws.expect_close(10) == 1013
    assert "memory" in ws.close_reason
    resource.prlimit(pid, resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    draw(server.url, "memory-after", 2)  # the server lives on


@pytest.fixture(scope="session")
def erofs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``erofs.c`` built: preloaded, it makes the data directory read-only on cue."""
    lib = tmp_path_factory.mktemp("erofs") / "erofs.so"
    source = Path(__file__).with_name("erofs.c")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(lib), str(source), "-ldl"],
                   check=True, capture_output=True)  # fmt: skip
    return lib


def test_the_data_directory_turning_read_only_refuses_edits_clearly_and_loses_nothing(
    tmp_path: Path, erofs: Path
) -> None:
    data, trigger = Path(os.path.realpath(tmp_path)) / "data", tmp_path / "read-only-now"
    srv = ServerProcess(str(data), "--readonly-retry-s", "0.3")
    srv.env = {"LD_PRELOAD": str(erofs), "WB_EROFS_TRIGGER": str(trigger),
               "WB_EROFS_DIR": str(data)}  # fmt: skip
    srv.start()
    try:
        draw(srv.url, "b", 5, "acked")
        ws = hello(srv.url, "b")
        trigger.touch()  # from now on every write under data/ fails with EROFS
        late = WsClient.connect(srv.url, "/ws/b", timeout=10)
        late.send({"t": "hello", "v": 1, "name": "late"})  # its id cannot be made durable
        assert late.expect_close(10) == 1013 and "try again" in late.close_reason
        late.close()
        ws.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": rect("refused")}]})
        answer = ws.recv()
        assert answer is not None and answer["t"] == "err" and answer["code"] == "read_only"
        assert answer["c"] == 1 and "read-only" in answer["msg"]
        ws.close()
        trigger.unlink()  # writable again: edits go through after the retry interval
        deadline, attempt = time.monotonic() + 10, 0
        while not edits(srv.url, "b", 3, f"later{attempt}-"):  # refused for a moment
            assert time.monotonic() < deadline, "".join(srv.log)
            attempt += 1
            time.sleep(0.1)  # polling another process's retry: nothing to wait on
    finally:
        srv.terminate()
        code = srv.wait()
    assert code == 0
    log = "".join(srv.log)
    assert "Traceback" not in log, log
    said = [line for line in srv.log if "read-only for now" in line]
    assert said and all("Read-only file system" in line for line in said), log
    again = ServerProcess(str(data)).start()  # without the library: what was acknowledged?
    try:
        with urllib.request.urlopen(again.url + "/api/boards/b", timeout=10) as resp:
            state = json.loads(resp.read())
    finally:
        again.kill()
    ids = {e["id"] for e in state["elements"]}
    assert {f"acked{i}" for i in range(5)} | {f"later{attempt}-{i}" for i in range(3)} <= ids
    assert "refused" not in ids


def edits(url: str, board: str, n: int, prefix: str) -> bool:
    """Whether a new client could open ``board`` and have ``n`` rectangles acknowledged
    (False: refused, or the socket closed)."""
    ws = WsClient.connect(url, f"/ws/{board}", timeout=10)
    try:
        ws.send({"t": "hello", "v": 1, "name": "h"})
        welcome = ws.recv()
        if welcome is None or welcome["t"] != "welcome":
            return False
        for i in range(n):
            ws.send({"t": "ops", "ops": [{"c": i + 1, "k": "add", "e": rect(f"{prefix}{i}", i)}]})
        seen = 0
        while seen < n:
            msg = ws.recv()
            if msg is None or msg["t"] == "err":
                return False
            seen += len(msg.get("ops", [])) if msg["t"] == "ops" else 0
        return True
    finally:
        ws.close()
