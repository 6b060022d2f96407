"""Creation routes rate-limited per address (issue 12, part 5)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.test_small import _board_file, request
from tests.server.subprocess_server import ServerProcess


def test_create_fork_and_import_share_one_allowance_per_address(tmp_path: Path) -> None:
    srv = ServerProcess(str(tmp_path), "--creations-per-min", "3").start()
    try:
        status, _, body = request(srv.url, "POST", "/api/boards", b"{}")
        assert status == 201
        board = json.loads(body)["board"]
        assert request(srv.url, "POST", f"/api/boards/{board}/fork?at=0")[0] == 201
        assert request(srv.url, "POST", "/api/boards/import", _board_file(1))[0] == 201
        for path, body in (
            ("/api/boards", b"{}"),
            (f"/api/boards/{board}/fork?at=0", b""),
            ("/api/boards/import", _board_file(1)),
        ):
            status, headers, answer = request(srv.url, "POST", path, body)
            assert status == 429, (path, answer)
            assert int(headers["retry-after"]) >= 1
            assert "Too many boards" in json.loads(answer)["error"]
    finally:
        srv.kill()
