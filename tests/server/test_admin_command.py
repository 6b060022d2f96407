"""``python -m whiteboard.admin`` as an operator runs it: against a running server's data
directory (the server does the work), against a stopped one (the command opens the database),
and on Redis; and the server's own retention job, run periodically by ``server.py``."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from tests.server.conftest import connect, fetch, rect
from tests.server.subprocess_server import ROOT, ServerProcess

pytestmark = pytest.mark.gen_test(timeout=60)


async def admin_cmd(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whiteboard.admin", *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def draw(url: str, board: str) -> None:
    client = await connect(url, board)
    await client.acked((await client.ops({"k": "add", "e": rect("r1")}))[0])
    await client.close()


async def test_the_command_while_the_server_runs_and_after(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    server = ServerProcess(data).start()
    try:
        await draw(server.url, "kept-board")
        await fetch(
            server.url, "/api/boards/gone-board/title", method="PUT", body='{"title": "Old notes"}'
        )
        watcher = await connect(server.url, "gone-board")
        code, out, _ = await admin_cmd("--data", data, "list")
        assert code == 0 and "kept-board" in out and "Old notes" in out
        code, out, _ = await admin_cmd("--data", data, "list", "notes")
        assert "gone-board" in out and "kept-board" not in out
        code, out, _ = await admin_cmd("--data", data, "delete", "gone-board")
        assert code == 0, out
        assert await watcher.expect_close() == 1008, "the server closed it"
        assert (await fetch(server.url, "/api/boards/gone-board")).code == 410
        code, _, err = await admin_cmd("--data", data, "restore", "no-such-board")
        assert code == 1 and "no board no-such-board" in err
        code, _, _ = await admin_cmd("--data", data, "restore", "gone-board")
        assert code == 0 and (await fetch(server.url, "/api/boards/gone-board")).code == 200
    finally:
        server.proc.terminate()  # type: ignore[union-attr]
        server.wait()
    # Stopped: the command opens the database itself.
    code, out, err = await admin_cmd("--data", data, "purge", "gone-board")
    assert code == 0, err
    code, out, _ = await admin_cmd("--data", data, "list")
    assert "gone-board" not in out and "kept-board" in out
    db = (tmp_path / "data" / "whiteboard.sqlite3").read_bytes()
    assert b"gone-board" not in db and b"Old notes" not in db


async def test_the_server_applies_retention_by_itself(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    # 1e-6 days is 86 ms: the board is idle almost at once; 2e-5 days (1.7 s) later it is purged.
    server = ServerProcess(
        data, "--delete-idle-days", "0.000001", "--trash-days", "0.00002",
        "--retention-every-s", "0.1", "--admin-token", "t",
    ).start()  # fmt: skip
    try:
        await draw(server.url, "idle-board")
        deadline = time.monotonic() + 10
        codes = set()
        while time.monotonic() < deadline:
            code = (await fetch(server.url, "/api/boards/idle-board")).code
            codes.add(code)
            snap = await fetch(
                server.url, "/api/admin/boards", headers={"Authorization": "Bearer t"}
            )
            if code == 200 and 410 in codes and json.loads(snap.body)["boards"] == []:
                break
            await asyncio.sleep(0.05)
        assert 410 in codes, "soft-deleted first"
        assert json.loads(snap.body)["boards"] == [], "then purged"
    finally:
        server.proc.terminate()  # type: ignore[union-attr]
        server.wait()
