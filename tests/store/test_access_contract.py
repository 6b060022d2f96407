"""The store contract for access data and logins (``store/access.py``), on SQLite and Redis:
what is put is read back whole, boards and logins do not see each other's, a rotated edit key
is the one the board loads with, and a login is gone once deleted or expired."""

from __future__ import annotations

import pytest

from whiteboard.keys import hash_key
from whiteboard.store.access import BoardAccess, Login
from whiteboard.store.base import Store

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_access_is_read_back_whole_and_replaced(store: Store) -> None:
    assert await store.get_access("b") is None, "a board nobody owns has no access data"
    access = BoardAccess("ann@example.com", "view", {"bob@example.com": "view"})
    await store.put_access("b", access)
    assert await store.get_access("b") == access
    assert await store.get_access("c") is None
    later = BoardAccess("ann@example.com", "none", {"bob@example.com": "edit"}, key_gen=2)
    await store.put_access("b", later)
    assert await store.get_access("b") == later


async def test_a_rotated_key_is_the_one_the_board_loads_with(store: Store) -> None:
    assert await store.create_board("b", hash_key("old"))
    assert await store.key_hash("b") == hash_key("old")
    await store.set_key_hash("b", hash_key("new"))
    assert (await store.load("b")).key_hash == hash_key("new")
    assert await store.key_hash("b") == hash_key("new")
    assert await store.key_hash("other") is None


async def test_a_login_is_read_until_deleted_or_expired(store: Store) -> None:
    login = Login("ann@example.com", "Ann", expires=2_000_000_000)
    await store.put_login("sid1", login)
    assert await store.get_login("sid1", now=1_900_000_000) == login
    assert await store.get_login("sid2", now=1_900_000_000) is None
    assert await store.get_login("sid1", now=2_000_000_000) is None, "expired"
    await store.delete_login("sid1")
    assert await store.get_login("sid1", now=1_900_000_000) is None, "signed out"
