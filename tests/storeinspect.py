"""Looking inside a store from a test, the same way for SQLite and Redis.

Tests check what a user cannot see through the API ("the refused import created nothing",
"the op was committed before anyone received it"), so they read the store's own data. These
helpers keep those tests free of which store runs them, so the same test runs in both modes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import redis

from whiteboard.store.base import Store


def _redis(store: Store) -> redis.Redis | None:
    url = getattr(store, "url", None)
    return redis.Redis.from_url(url) if url else None


def boards_in(store: Store) -> set[str]:
    """Every board the store holds anything for."""
    r = _redis(store)
    if r is not None:
        with r:
            names = {k.decode() for k in r.scan_iter("wb:{*}:*", count=1000)}
        return {n[n.index("{") + 1 : n.rindex("}")] for n in names}
    with sqlite3.connect(store.path) as db:
        rows = db.execute(
            "SELECT board FROM log UNION SELECT board FROM clients"
            " UNION SELECT board FROM checkpoints"
        ).fetchall()
    return {r[0] for r in rows}


def committed_head(store: Store, board: str) -> int:
    """The last seq durably committed, read over a connection of the test's own."""
    r = _redis(store)
    if r is not None:
        with r:
            return int(r.get(f"wb:{{{board}}}:head") or 0)
    db = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    try:
        (stored,) = db.execute(
            "SELECT COALESCE(MAX(last_seq), 0) FROM log WHERE board = ?", (board,)
        ).fetchone()
        return int(stored)
    finally:
        db.close()


def drop_layouts(store: Store) -> int:
    """Delete every checkpoint layout (as if written before layouts existed); how many."""
    r = _redis(store)
    if r is not None:
        with r:
            keys = list(r.scan_iter("wb:{*}:cplayout"))
            return int(r.delete(*keys)) if keys else 0
    with sqlite3.connect(store.path) as db:
        return db.execute("DELETE FROM checkpoint_layouts").rowcount


async def fill_disk(store: Any) -> None:
    """Make every further write fail as on a full disk (SQLite) or a full Redis (noeviction)."""
    r = _redis(store)
    if r is not None:
        with r:
            r.config_set("maxmemory-policy", "noeviction")
            r.config_set("maxmemory", 1)
        return
    assert await _max_page_count(store, 1) > 0


async def free_disk(store: Any) -> None:
    r = _redis(store)
    if r is not None:
        with r:
            r.config_set("maxmemory", 0)
        return
    await _max_page_count(store, 1 << 30)


async def _max_page_count(store: Any, pages: int) -> int:
    """Cap the database's size on the writer's own connection (a pragma is per connection, and
    the writer's is the one that must hit the cap); returns the cap in force."""

    def job(conn: sqlite3.Connection) -> int:
        (value,) = conn.execute(f"PRAGMA max_page_count = {int(pages)}").fetchone()
        return int(value)

    result: int = await store._submit(job)
    return result
