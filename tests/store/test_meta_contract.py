"""The store contract for titles, soft deletion, purge and the admin listing
(``whiteboard/store/meta.py``), run on SQLite and on Redis like ``test_contract.py``."""

from __future__ import annotations

import os

import pytest

from tests.store.test_contract import row, state
from whiteboard.store.base import Blob, Checkpoint, Client, Store
from whiteboard.store.redis import RedisStore
from whiteboard.store.sqlite import SQLiteStore

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_a_title_is_kept_and_removed(store: Store) -> None:
    assert await store.board_title("b") is None
    await store.set_title("b", "Sprint planning ✏")
    assert await store.board_title("b") == "Sprint planning ✏"
    await store.set_title("b", None)
    assert await store.board_title("b") is None


async def test_soft_delete_and_restore(store: Store) -> None:
    assert not await store.set_deleted("nobody", 5), "no such board"
    await store.append("b", row(1, 2))
    assert await store.set_deleted("b", 1234)
    assert await store.deleted_at("b") == 1234
    assert await store.head("b") == 2, "a soft-deleted board keeps its log"
    assert await store.set_deleted("b", None)
    assert await store.deleted_at("b") is None


async def test_listing_is_newest_activity_first_searchable_and_paged(store: Store) -> None:
    await store.append("old", row(1, 1, ts=1_000))
    await store.append("mid", row(1, 3, ts=5_000))
    await store.append("new", row(1, 1, ts=9_000))
    assert await store.create_board("fresh", "somehash")
    await store.set_title("mid", "Roadmap Q3")
    boards, following = await store.list_boards()
    assert following is None
    by_id = {s.board: s for s in boards}
    assert set(by_id) == {"old", "mid", "new", "fresh"}
    assert [s.board for s in boards][1:] == ["new", "mid", "old"], "fresh was created now"
    assert by_id["mid"].seq == 3 and by_id["mid"].title == "Roadmap Q3"
    assert by_id["mid"].active == 5_001 and by_id["mid"].bytes > 0
    assert by_id["fresh"].protected and not by_id["mid"].protected
    assert by_id["fresh"].owner is None and by_id["fresh"].seq == 0
    assert [s.board for s in (await store.list_boards(q="roadmap"))[0]] == ["mid"]
    assert [s.board for s in (await store.list_boards(q="NE"))[0]] == ["new"]
    first, cursor = await store.list_boards(limit=2)
    assert cursor is not None and len(first) == 2
    rest, end = await store.list_boards(after=cursor, limit=2)
    assert end is None
    assert [s.board for s in first + rest] == [s.board for s in boards]


async def test_purge_leaves_no_trace(store: Store) -> None:
    secret = "purge-me-Zq8"
    await store.append(secret, row(1, 2), Checkpoint(2, state("r1")))
    await store.add_client(secret, Client(1, "Ana Secretname", "#112233"))
    await store.set_title(secret, "Title Secretname")
    await store.put_blob(secret, "a" * 64, Blob("image/png", b"PNGSECRETBYTES" * 100), 1 << 20)
    await store.append("keep", row(1, 1))
    assert await store.purge_board(secret)
    assert not await store.purge_board(secret), "nothing left the second time"
    assert await store.head(secret) == 0
    assert await store.board_title(secret) is None
    assert [s.board for s in (await store.list_boards())[0]] == ["keep"]
    loaded = await store.load(secret)
    assert loaded.checkpoint is None and not loaded.rows and not loaded.blobs
    assert await store.client_names(secret) == {}
    if isinstance(store, RedisStore):
        keys = [k.decode() async for k in store.r.scan_iter(match="*")]
        assert not [k for k in keys if secret in k], keys
    else:
        assert isinstance(store, SQLiteStore)
        for suffix in ("", "-wal"):
            path = store.path + suffix
            data = b""
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
            for needle in (secret, "Secretname", "PNGSECRETBYTES"):
                assert needle.encode() not in data, f"{needle} still in {path}"
