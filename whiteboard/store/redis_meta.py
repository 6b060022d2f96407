"""The Redis store's board titles, soft deletion, purge and listing (``meta.py``).

Title and deletion time are fields of the board's ``meta`` hash (``title``, ``deleted``), beside
``created`` and ``key_hash``. Redis keeps no list of boards, and the write path does not keep
one either (a tick costs one round trip): the listing finds boards by scanning for their
``head``, ``meta`` and ``nextid`` keys, which is fine for an admin's occasional page. A purge
deletes every key under the board's hash tag, the cluster's included.
"""

from __future__ import annotations

import json
from typing import Any

from whiteboard.store.meta import BoardSummary

KINDS = (b"head", b"meta", b"nextid")
"""A board exists when it has one of these: ops, a creation or title, or a visitor."""


def _key(board: str, what: str) -> str:
    return f"wb:{{{board}}}:{what}"


def board_of(key: bytes) -> str | None:
    """The board id of a key ``wb:{id}:what`` when ``what`` is one of ``KINDS``."""
    if not key.startswith(b"wb:{"):
        return None
    close = key.rfind(b"}:")
    if close < 0 or key[close + 2 :] not in KINDS:
        return None
    return key[4:close].decode()


async def board_ids(r: Any) -> set[str]:
    found: set[str] = set()
    async for name in r.scan_iter(match="wb:{*}:*", count=1000):
        board = board_of(name)
        if board is not None:
            found.add(board)
    return found


async def exists(r: Any, board: str) -> bool:
    return bool(await r.exists(*(_key(board, k.decode()) for k in KINDS)))


async def title(r: Any, board: str) -> str | None:
    value = await r.hget(_key(board, "meta"), "title")
    return value.decode() if value else None


async def set_title(r: Any, board: str, value: str | None) -> None:
    if value:
        await r.hset(_key(board, "meta"), "title", value)
    else:
        await r.hdel(_key(board, "meta"), "title")


async def deleted_at(r: Any, board: str) -> int | None:
    value = await r.hget(_key(board, "meta"), "deleted")
    return int(value) if value else None


async def set_deleted(r: Any, board: str, at: int | None) -> bool:
    if not await exists(r, board):
        return False
    if at is None:
        await r.hdel(_key(board, "meta"), "deleted")
    else:
        await r.hset(_key(board, "meta"), "deleted", at)
    return True


async def purge(r: Any, board: str) -> bool:
    keys = [k async for k in r.scan_iter(match=_key(board, "*"), count=1000)]
    if keys:
        await r.delete(*keys)
    return bool(keys)


async def summaries(r: Any) -> list[BoardSummary]:
    boards = sorted(await board_ids(r))
    async with r.pipeline(transaction=False) as pipe:
        for board in boards:
            pipe.get(_key(board, "head"))
            pipe.hmget(_key(board, "meta"), ["created", "key_hash", "title", "deleted"])
            pipe.xrevrange(_key(board, "log"), count=1)
            pipe.xrange(_key(board, "log"), count=1)
            pipe.get(_key(board, "access"))  # redis_access.py: the owner, with sign-in
        answers = await pipe.execute()
    found = []
    for i, board in enumerate(boards):
        head, (created, key_hash, name, deleted), last, first, access = answers[5 * i : 5 * i + 5]
        created_ms = int(created) * 1000 if created else _ts(first)
        last_ts = _ts(last)
        found.append(
            BoardSummary(
                board=board,
                title=name.decode() if name else None,
                owner=json.loads(access)["owner"] if access else None,
                created=created_ms,
                active=last_ts if last_ts is not None else created_ms or 0,
                seq=int(head or 0),
                bytes=0,
                blobs=0,
                protected=bool(key_hash),
                deleted=int(deleted) if deleted else None,
            )
        )
    return found


def _ts(entries: list[Any]) -> int | None:
    return int(entries[0][1][b"t"]) if entries else None


async def sizes(r: Any, boards: list[str]) -> dict[str, tuple[int, int]]:
    """(bytes Redis uses for the board's keys, by MEMORY USAGE; number of pictures)."""
    out = {}
    for board in boards:
        total = 0
        async for name in r.scan_iter(match=_key(board, "*"), count=1000):
            total += int(await r.memory_usage(name) or 0)
        out[board] = (total, int(await r.hlen(_key(board, "blobs"))))
    return out
