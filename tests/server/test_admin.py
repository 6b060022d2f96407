"""The admin API, titles, the API token and embedding over real HTTP and sockets (issue 17).

Run again in Redis mode by ``tests/redis/test_admin_redis.py``: the purge check reads what the
store holds (the SQLite file, or Redis's keys) whichever store answers.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.server.conftest import connect, fetch, rect
from whiteboard.config import Settings, load_settings
from whiteboard.live.lifecycle import Lifecycle
from whiteboard.live.registry import Hub
from whiteboard.store.base import Store
from whiteboard.store.redis import RedisStore
from whiteboard.store.sqlite import SQLiteStore

pytestmark = pytest.mark.gen_test(timeout=30)

ADMIN = "admin-secret-token"
API = "api-secret-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(
        data=str(tmp_path / "data"),
        idle_unload_s=0.2,
        tick_ms=2,
        admin_token=ADMIN,
        api_token=API,
        frame_ancestors=("https://wiki.example.com",),
    )


async def admin(url: str, path: str, method: str = "GET", **kw: Any) -> tuple[int, Any]:
    body = b"" if method in ("POST",) else None
    resp = await fetch(url, path, method=method, headers=AUTH, body=body, **kw)
    return resp.code, json.loads(resp.body) if resp.body else None


async def listing(url: str, query: str = "") -> dict[str, Any]:
    code, body = await admin(url, f"/api/admin/boards{query}")
    assert code == 200, body
    assert isinstance(body, dict)
    return body


async def test_the_admin_api_needs_the_admin_token(url: str) -> None:
    resp = await fetch(url, "/api/admin/boards")
    assert resp.code == 401 and "admin token" in json.loads(resp.body)["error"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {API}"}):
        resp = await fetch(url, "/api/admin/boards/x", method="DELETE", headers=headers)
        assert resp.code == 403 and "not right" in json.loads(resp.body)["error"]
    assert (await fetch(url, "/api/admin/boards", headers=AUTH)).code == 200


async def test_list_search_delete_restore_purge(url: str, board: str, store: Store) -> None:
    await fetch(url, f"/api/boards/{board}/title", method="PUT", body='{"title": "Roadmap Q3"}')
    drawer = await connect(url, board)
    await drawer.acked((await drawer.ops({"k": "add", "e": rect("r1")}))[0])
    await drawer.acked((await drawer.ops({"k": "add", "e": rect("r2")}))[0])

    body = await listing(url, "?q=roadmap")
    assert body["next"] is None
    (row,) = body["boards"]
    assert row["board"] == board and row["title"] == "Roadmap Q3" and row["owner"] is None
    assert (row["seq"], row["elements"], row["deleted"], row["protected"]) == (2, 2, None, False)
    assert row["bytes"] > 0 and row["blobs"] == 0 and row["active"] >= row["created"]
    assert (await listing(url, "?q=nothing-like-it"))["boards"] == []

    code, _ = await admin(url, f"/api/admin/boards/{board}", method="DELETE")
    assert code == 204
    assert await drawer.expect_close() == 1008
    assert "deleted" in (drawer.conn.close_reason or "")
    for path in (f"/api/boards/{board}", f"/api/boards/{board}/ops", f"/api/boards/{board}/title"):
        resp = await fetch(url, path)
        assert resp.code == 410, path
        assert json.loads(resp.body)["error"] == (
            "This board was deleted by its owner or an administrator."
        )
    page = await fetch(url, f"/b/{board}")
    assert page.code == 410 and b"deleted by its owner or an administrator" in page.body
    assert b"data-restore" not in page.body  # no owner here: nobody is offered to restore
    late = await connect(url, board, name=None)
    await late.send({"t": "hello", "v": 1, "name": "late"})
    assert await late.expect_close() == 1008
    assert (await listing(url, "?q=roadmap"))["boards"][0]["deleted"] is not None

    code, _ = await admin(url, f"/api/admin/boards/{board}/restore", method="POST")
    assert code == 204
    snap = json.loads((await fetch(url, f"/api/boards/{board}")).body)
    assert snap["seq"] == 2 and len(snap["elements"]) == 2
    again = await connect(url, board)
    assert again.welcome["seq"] == 2

    code, _ = await admin(url, f"/api/admin/boards/{board}?purge=1", method="DELETE")
    assert code == 204
    assert await again.expect_close() == 1008
    snap = json.loads((await fetch(url, f"/api/boards/{board}")).body)
    assert snap == {"board": board, "seq": 0, "elements": []}
    assert (await listing(url))["boards"] == []
    await assert_no_trace(store, board, "Roadmap Q3")
    code, body = await admin(url, f"/api/admin/boards/{board}", method="DELETE")
    assert code == 404 and body["error"]


async def assert_no_trace(store: Store, board: str, *texts: str) -> None:
    """What an operator would check: the board's id and text nowhere in the database."""
    if isinstance(store, RedisStore):
        keys = [k.decode() async for k in store.r.scan_iter(match="*")]
        assert not [k for k in keys if board in k], keys
        return
    assert isinstance(store, SQLiteStore)
    for suffix in ("", "-wal"):
        path = store.path + suffix
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            for needle in (board, *texts):
                assert needle.encode() not in data, f"{needle} in {path}"


async def test_admin_listing_pages_and_refuses_bad_parameters(url: str) -> None:
    for i in range(3):
        await fetch(url, f"/api/boards/page-{i}/title", method="PUT", body='{"title": "t"}')
    first = await listing(url, "?limit=2")
    assert len(first["boards"]) == 2 and first["next"]
    rest = await listing(url, f"?limit=2&after={first['next']}")
    assert len(rest["boards"]) == 1 and rest["next"] is None
    ids = {b["board"] for b in first["boards"] + rest["boards"]}
    assert ids == {"page-0", "page-1", "page-2"}
    for query in ("?limit=0", "?limit=x", "?after=nonsense", "?q=" + "x" * 300):
        code, body = await admin(url, f"/api/admin/boards{query}")
        assert code == 400 and body["error"].endswith("."), query
    code, body = await admin(url, "/api/admin/boards/bad%20id", method="DELETE")
    assert code == 400
    code, body = await admin(url, "/api/admin/boards/page-0?purge=yes", method="DELETE")
    assert code == 400


async def test_idle_boards_are_deleted_and_the_trash_purged(
    url: str, store: Store, hub: Hub
) -> None:
    await fetch(url, "/api/boards/idle-one/title", method="PUT", body='{"title": "old"}')
    watched = await connect(url, "watched")
    await watched.acked((await watched.ops({"k": "add", "e": rect("r1")}))[0])
    lifecycle = Lifecycle(store, hub, hub.cluster)
    swept = await lifecycle.sweep(trash_days=30, idle_days=1e-12)
    assert swept.deleted == ["idle-one"], "a board someone is on is not idle"
    assert (await fetch(url, "/api/boards/idle-one")).code == 410
    swept = await lifecycle.sweep(trash_days=0, idle_days=0)
    assert swept.purged == ["idle-one"]
    assert [b["board"] for b in (await listing(url))["boards"]] == ["watched"]


async def test_titles(url: str) -> None:
    created = await fetch(
        url, "/api/boards", method="POST", body='{"protected": true, "title": "Plan"}'
    )
    board, key = json.loads(created.body)["board"], json.loads(created.body)["key"]
    got = json.loads((await fetch(url, f"/api/boards/{board}/title")).body)
    assert got == {"board": board, "title": "Plan"}
    page = await fetch(url, f"/b/{board}")
    assert b"<title>Plan" in page.body
    put = await fetch(url, f"/api/boards/{board}/title", method="PUT", body='{"title": "New"}')
    assert put.code == 403 and "edit link" in json.loads(put.body)["error"]
    put = await fetch(
        url,
        f"/api/boards/{board}/title",
        method="PUT",
        body='{"title": "  New name "}',
        headers={"X-Edit-Key": key},
    )
    assert put.code == 204
    assert json.loads((await fetch(url, f"/api/boards/{board}/title")).body)["title"] == "New name"
    for bad in (
        '{"title": 5}',
        '"x"',
        "{",
        '{"title": "a\\u0007"}',
        json.dumps({"title": "x" * 201}),
    ):
        put = await fetch(
            url, f"/api/boards/{board}/title", method="PUT", body=bad, headers={"X-Edit-Key": key}
        )
        assert put.code == 400 and "title" in json.loads(put.body)["error"], bad
    other = await fetch(
        url,
        f"/api/boards/{board}/title",
        method="PUT",
        body='{"title": "x"}',
        headers={"Origin": "https://evil.example", "X-Edit-Key": key},
    )
    assert other.code == 403


async def test_api_token_creates_boards_with_their_links(url: str) -> None:
    resp = await fetch(
        url,
        "/api/boards",
        method="POST",
        body='{"protected": true, "title": "From the LMS"}',
        headers={"Authorization": f"Bearer {API}", "Origin": "https://lms.example.org"},
    )
    assert resp.code == 201
    body = json.loads(resp.body)
    assert body["view"] == f"{url}/b/{body['board']}"
    assert body["edit"] == f"{body['view']}#key={body['key']}"
    editor = await connect(url, body["board"], key=body["key"])
    assert editor.welcome["readonly"] is False
    wrong = await fetch(
        url, "/api/boards", method="POST", body="{}", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.code == 403 and "API token" in json.loads(wrong.body)["error"]
    plain = await fetch(url, "/api/boards", method="POST", body="{}")
    assert plain.code == 201 and "edit" not in json.loads(plain.body)


async def test_frame_ancestors_lists_the_allowed_sites(url: str) -> None:
    page = await fetch(url, "/b/some-board")
    csp = page.headers["Content-Security-Policy"]
    assert csp.endswith("; frame-ancestors https://wiki.example.com")
    assert "X-Frame-Options" not in page.headers


def test_frame_ancestors_must_be_origins(capsys: pytest.CaptureFixture[str]) -> None:
    """A value that could end the CSP directive (and add one) stops the server at start."""
    assert load_settings(["--frame-ancestors", "https://a.example,'self'"]).frame_ancestors == (
        "https://a.example",
        "'self'",
    )
    for bad in ("https://a.example; script-src *", "javascript:x", "*"):
        with pytest.raises(SystemExit):
            load_settings(["--frame-ancestors", bad])
        assert "is not an origin" in capsys.readouterr().err
