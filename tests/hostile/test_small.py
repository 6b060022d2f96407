"""The small findings of issue 12, part 2, against a real server process."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.hostile.conftest import one_line, run_server
from tests.hostile.test_faults import hello
from tests.server.conftest import rect
from tests.server.subprocess_server import ServerProcess
from whiteboard.document import Document
from whiteboard.protocol import Limits


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--port", "99999"], "--port"),
        (["--checkpoint-every", "0"], "--checkpoint-every"),
        (["--tick-ms", "nan"], "--tick-ms"),
        (["--text-chars", "-1"], "--text-chars"),
        (["--idle-unload-s", "inf"], "--idle-unload-s"),
        (["--log-level", "loud"], "--log-level"),
    ],
)
def test_every_bad_flag_is_one_line_naming_it(args: list[str], flag: str, tmp_path: Path) -> None:
    result = run_server("--data", str(tmp_path), *args)
    assert result.returncode == 2
    assert flag in one_line(result.stderr)


def test_data_pointing_at_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run_server("--data", str(tmp_path / "file"))
    assert result.returncode == 2
    assert "is a file, not a directory" in one_line(result.stderr)


UPGRADE_FROM_ELSEWHERE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Origin": "https://evil.example",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/no/such/route", {}),
        ("GET", "/static/dist/app.js", {}),
        ("GET", "/static/nothing-here.js", {}),
        ("GET", "/metrics", {}),
        ("GET", "/ws/board", {}),  # not an upgrade: 400
        ("GET", "/ws/board", UPGRADE_FROM_ELSEWHERE),
        ("GET", "/", {}),
        ("GET", "/api/boards/x", {}),
    ],
)
def test_every_response_has_the_security_headers_and_no_version(
    server: ServerProcess, method: str, path: str, headers: dict[str, str]
) -> None:
    status, got, _ = request(server.url, method, path, headers=headers)
    assert status < 500
    assert got["x-content-type-options"] == "nosniff", (status, got)
    assert got["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in got["content-security-policy"]
    assert "tornado" not in got.get("server", "").lower()


def test_dns_rebinding_names_are_refused_and_local_names_served(server: ServerProcess) -> None:
    port = server.url.rsplit(":", 1)[1]
    status, got, body = request(server.url, "GET", "/", headers={"Host": f"evil.example:{port}"})
    assert status == 421 and b"--allow-origin" in body
    assert got["x-content-type-options"] == "nosniff"
    status, _, _ = request(server.url, "POST", "/api/boards", b"{}", {"Host": "evil.example"})
    assert status == 421
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "app.localhost"):
        assert request(server.url, "GET", "/", headers={"Host": host})[0] == 200, host


def test_allow_origin_hosts_are_served(tmp_path: Path) -> None:
    srv = ServerProcess(str(tmp_path), "--allow-origin", "https://board.example.com").start()
    try:
        assert request(srv.url, "GET", "/", headers={"Host": "board.example.com"})[0] == 200
        assert request(srv.url, "GET", "/", headers={"Host": "other.example.com"})[0] == 421
    finally:
        srv.kill()


def test_svg_export_stays_valid_xml_with_xml_invalid_characters(server: ServerProcess) -> None:
    ws = hello(server.url, "xmlchars")
    text = {"id": "t", "type": "text", "x": 0, "y": 0, "text": "a\x01b\ufffec\x1fd\uffff",
            "size": 16, "stroke": "#000000"}  # fmt: skip
    ws.send({"t": "ops", "ops": [{"c": 1, "k": "add", "e": text}]})
    msg = ws.recv()
    assert msg is not None and msg["t"] == "ops", msg
    ws.close()
    status, _, body = request(server.url, "GET", "/api/boards/xmlchars/export.svg")
    assert status == 200
    root = ET.fromstring(body)  # raises on invalid XML
    assert "abcd" in "".join(root.itertext())


def _board_file(by: int) -> bytes:
    sops = [{"c": 1, "k": "add", "e": rect("r1"), "s": 1, "by": by, "ts": 1000}]
    doc = Document(Limits())
    doc.apply({"k": "add", "e": rect("r1"), "c": 1}, 1)
    data: dict[str, Any] = {
        "format": "whiteboard-board", "version": 1, "board": "src", "seq": 1,
        "elements": doc.elements(), "ops": sops, "names": {str(by): "Far"},
    }  # fmt: skip
    packed: bytes = msgpack.packb(data)
    return packed


def test_imported_client_ids_are_renumbered_below_2_53(server: ServerProcess) -> None:
    status, _, body = request(server.url, "POST", "/api/boards/import", _board_file(2**53 - 1))
    assert status == 201, body
    board = json.loads(body)["board"]
    status, _, ops = request(server.url, "GET", f"/api/boards/{board}/ops")
    page = json.loads(ops)
    (by,) = {op["by"] for op in page["ops"]}
    assert by < 2**48 and page["names"][str(by)] == "Far"
    ws = hello(server.url, board)  # the next person on the board gets an id a browser holds
    assert by < ws.welcome["me"] < 2**53  # type: ignore[attr-defined]
    ws.close()


def test_board_creation_on_a_full_disk_is_503_with_a_sentence(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        srv = ServerProcess(str(mount / "data")).start()
        try:
            with open(mount / "filler", "wb") as f:  # the disk fills up under the server
                try:
                    while True:
                        f.write(os.urandom(64 << 10))
                        f.flush()
                except OSError:
                    pass
            status, _, body = request(srv.url, "POST", "/api/boards", b"{}")
            assert status == 503, body
            assert "could not be created" in json.loads(body)["error"]
        finally:
            srv.kill()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_import_refuses_names_of_clients_without_ops(server: ServerProcess) -> None:
    """Each named client would be a durable row: a file naming 20,000 who wrote nothing is
    refused with a sentence, and nothing is created (it was imported, their names dropped)."""
    data = msgpack.unpackb(_board_file(1))
    data["names"].update({str(i): "ghost" for i in range(2, 20_002)})
    status, _, body = request(server.url, "POST", "/api/boards/import", msgpack.packb(data))
    assert status == 400, body
    error = json.loads(body)["error"]
    assert "names client 2 (and 19999 more), who wrote no op" in error, error
