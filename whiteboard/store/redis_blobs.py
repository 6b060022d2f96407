"""Blobs (images) of the Redis store: keys and the script that stores one.

A board's blobs are ``blobs`` (a hash, name -> type: what the board holds, read when it
loads), ``blobbytes`` (their total size) and ``blob:<name>`` (the bytes), all under the board's
hash tag like its other keys (``redis.py``). Storing checks "held already?" and "past the
board's total?" and writes in one script, so two processes storing at once cannot both pass
the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from whiteboard.store.base import Blob, BlobPut

PUT = """
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return {1, total}
end
if total + tonumber(ARGV[3]) > tonumber(ARGV[4]) then
  return {2, total}
end
redis.call('SET', KEYS[3], ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {0, redis.call('INCRBY', KEYS[2], ARGV[3])}
"""
_OUTCOMES = (BlobPut.STORED, BlobPut.EXISTS, BlobPut.FULL)


def _key(board: str, what: str) -> str:
    return f"wb:{{{board}}}:{what}"


def put_args(board: str, name: str, blob: Blob, max_total: int) -> tuple[list[str], list[Any]]:
    keys = [_key(board, "blobs"), _key(board, "blobbytes"), _key(board, f"blob:{name}")]
    return keys, [name, blob.type, len(blob.data), max_total, blob.data]


def put_answer(answer: list[Any]) -> tuple[BlobPut, int]:
    return _OUTCOMES[int(answer[0])], int(answer[1])


def queue_insert(pipe: Any, board: str, blobs: Mapping[str, Blob]) -> None:
    """Adds ``blobs`` to a new board inside a MULTI/EXEC (a fork or an import)."""
    if not blobs:
        return
    pipe.hset(_key(board, "blobs"), mapping={n: b.type for n, b in blobs.items()})
    pipe.set(_key(board, "blobbytes"), sum(len(b.data) for b in blobs.values()))
    for name, b in blobs.items():
        pipe.set(_key(board, f"blob:{name}"), b.data)


async def get_blobs(r: Any, board: str, names: Iterable[str]) -> dict[str, Blob]:
    wanted = sorted(set(names))
    if not wanted:
        return {}
    async with r.pipeline(transaction=False) as pipe:
        pipe.hmget(_key(board, "blobs"), wanted)
        for name in wanted:
            pipe.get(_key(board, f"blob:{name}"))
        types, *datas = await pipe.execute()
    return {
        name: Blob(kind.decode(), bytes(data))
        for name, kind, data in zip(wanted, types, datas, strict=True)
        if kind is not None and data is not None
    }


async def blob_names(r: Any, board: str) -> set[str]:
    return {n.decode() for n in await r.hkeys(_key(board, "blobs"))}


async def blob_total(r: Any, board: str) -> int:
    return int(await r.get(_key(board, "blobbytes")) or 0)
