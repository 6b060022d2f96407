"""The scale-out store: every board's log, checkpoints and clients in Redis.

Why Redis Streams and a Lua script per write: several processes may append to one board, each
having judged its ops against the state it holds in memory. ``append`` therefore appends a row
only if the board's head is still the one the row follows, in one script, so the log never
forks nor gets a hole, whoever appends and however late.

Every key of a board carries the board id as a hash tag (``wb:{id}:...``) so that a Redis
Cluster keeps a board in one slot and the scripts may touch all of its keys. The store's keys:
``head`` (last seq), ``log`` (a stream, entry id ``<last seq>-0``), ``cps``/``cpdata``/``cplayout``
(checkpoints by seq), ``firsts`` (first-add seqs of deleted ids, ``Checkpoint.firsts``),
``clients``, ``nextid``, ``bytes`` (of the log rows, for ``--board-mb``) and ``meta``
(created, key hash).

Keys shared with the cluster (``whiteboard/cluster/redis.py``), which coordinates processes over
the same connection: a tick must cost one round trip, not two or three, so the scripts cross the
line between data and coordination where that saves one. The cluster's lock script reads
``head`` and ``log`` (the rows its process lacks, read under the lock), and this store's append
gives the board's ``lock`` back (if ``lock_holder`` holds it) and publishes the row on the
board's ``rows`` channel (``published_row`` reads it back), which the cluster listens to.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from whiteboard.config import redacted
from whiteboard.store import meta, redis_access, redis_blobs, redis_meta
from whiteboard.store.access import BoardAccess, Login
from whiteboard.store.base import (
    Blob,
    BlobPut,
    Checkpoint,
    Client,
    LoadedBoard,
    LogRow,
    Store,
    StoreConflict,
    StoreError,
    layout_of,
)
from whiteboard.store.redis_wire import CLAIM, COMMIT, CREATE, RESERVE, stream_row

log = logging.getLogger(__name__)


def key(board: str, what: str) -> str:
    return f"wb:{{{board}}}:{what}"


def rows_channel(board: str) -> str:
    return key(board, "rows")


async def call(coro: Any) -> Any:
    """Await a Redis call; a lost connection is the store failing, not a bug."""
    try:
        return await coro
    except (RedisError, OSError) as exc:
        raise StoreError(f"Redis: {exc}") from exc


class RedisStore(Store):
    """Boards in Redis, shared by every process started with the same ``--redis`` URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock_holder = ""
        """Whose board lock an append gives back: set by the cluster sharing this store (a
        name that never holds a lock by default)."""
        self._redis: aioredis.Redis | None = None
        self._closed = False
        self._scripts: dict[str, Any] = {}
        self._owed: dict[str, dict[str, int]] = {}
        """Per board, ``Checkpoint.firsts`` of checkpoints that failed to save: the board's
        document has handed them over already, so the next checkpoint saved here carries them."""

    @property
    def r(self) -> aioredis.Redis:
        """The connection, shared with the cluster (see the module docstring)."""
        if self._redis is None or self._closed:
            raise StoreError("the store is closed")
        return self._redis

    async def start(self) -> None:
        # Timeouts and keepalives: a Redis that went silent (a partition, no reset) must fail
        # the tick waiting on it, not hang the board for good.
        self._redis = aioredis.Redis.from_url(
            self.url,
            decode_responses=False,
            socket_timeout=10,
            socket_connect_timeout=5,
            socket_keepalive=True,
            health_check_interval=15,
        )
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StoreError(f"cannot reach Redis at {redacted(self.url)}: {exc}") from None
        scripts = (
            ("commit", COMMIT),
            ("create", CREATE),
            ("claim", CLAIM),
            ("reserve", RESERVE),
            ("put_blob", redis_blobs.PUT),
        )
        for name, src in scripts:
            self._scripts[name] = self._redis.register_script(src)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._redis is not None:
            await self._redis.aclose()

    # -- the log -----------------------------------------------------------------------------

    async def append(self, board: str, row: LogRow, checkpoint: Checkpoint | None = None) -> None:
        """Append the tick if the board's head is still where its ops were judged.

        Idempotent: the row carries a nonce, so a commit that redis-py sends again after a lost
        reply (its retries) or that we check after an error is recognised as already done,
        never appended twice. The checkpoint is best effort once the row is in: the row is what
        clients were promised, and the next checkpoint covers this one's ops.
        """
        nonce = secrets.token_hex(8)
        try:
            head = await self._commit(board, row, nonce)
        except StoreError:
            if not await self._landed(board, row, nonce):
                raise
            head = -1
        if head != -1:
            if head < row.first_seq - 1:
                # The log went backwards: Redis lost acknowledged rows (restarted without
                # persistence, or evicted keys). Nothing here can bring them back; say which.
                log.error(
                    "board %s: Redis's log is at seq %d but seqs up to %d were acknowledged:"
                    " ops %d-%d are lost (Redis restarted without persistence, or evicted"
                    " keys: see --redis-volatile)",
                    board, head, row.first_seq - 1, head + 1, row.first_seq - 1,
                )  # fmt: skip
            raise StoreConflict(f"board {board} is at {head}, not {row.first_seq - 1}")
        if checkpoint is not None:
            try:
                await self.save_checkpoint(board, checkpoint)
            except StoreError as exc:
                log.warning("board %s: checkpoint %d not saved: %s", board, checkpoint.seq, exc)

    async def _landed(self, board: str, row: LogRow, nonce: str) -> bool:
        """Whether a commit whose answer was lost did append (raises if Redis is still away)."""
        at = f"{row.last_seq}-0"
        found = await call(self.r.xrange(key(board, "log"), at, at))
        return bool(found) and found[0][1].get(b"n") == nonce.encode()

    async def _commit(self, board: str, row: LogRow, nonce: str) -> int:
        keys = [
            key(board, "head"), key(board, "log"), key(board, "lock"), rows_channel(board),
            key(board, "bytes"),
        ]  # fmt: skip
        args = [row.first_seq - 1, row.first_seq, row.last_seq, row.ts, row.ops]
        head = await call(self._scripts["commit"](keys=keys, args=[*args, self.lock_holder, nonce]))
        return int(head)

    async def total_bytes(self) -> int:
        """Redis's ``used_memory``: every board sits in its memory."""
        info = await call(self.r.info("memory"))
        return int(info["used_memory"])

    async def head(self, board: str) -> int:
        value = await call(self.r.get(key(board, "head")))
        return int(value or 0)

    async def heads(self, boards: list[str]) -> list[int]:
        if not boards:
            return []
        async with self.r.pipeline(transaction=False) as pipe:
            for board in boards:
                pipe.get(key(board, "head"))
            values = await call(pipe.execute())
        return [int(v or 0) for v in values]

    async def read_log(self, board: str, after: int, upto: int | None = None) -> list[LogRow]:
        log_key = key(board, "log")
        if upto is None:
            entries = await call(self.r.xrange(log_key, f"{after + 1}-0", "+"))
            return [stream_row(eid, fields) for eid, fields in entries]
        # Entries are keyed by their last seq: those ending in (after, upto], then the one row
        # that holds upto while ending after it.
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.xrange(log_key, f"{after + 1}-0", f"{upto}-0")
            pipe.xrange(log_key, f"{upto + 1}-0", "+", count=1)
            inside, beyond = await call(pipe.execute())
        rows = [stream_row(eid, fields) for eid, fields in inside]
        if upto >= after:
            rows += [
                r
                for r in (stream_row(eid, fields) for eid, fields in beyond)
                if r.first_seq <= upto
            ]
        return rows

    async def read_log_page(self, board: str, after: int, max_ops: int) -> list[LogRow]:
        return await self.read_log(board, after, after + max_ops)

    # -- clients, boards, checkpoints ----------------------------------------------------------

    async def next_client_id(self, board: str) -> int:
        return int(await call(self.r.incr(key(board, "nextid"))))

    async def reserve_client_id(self, board: str, client_id: int) -> None:
        await call(self._scripts["reserve"](keys=[key(board, "nextid")], args=[client_id]))

    async def add_client(self, board: str, client: Client) -> None:
        packed = msgpack.packb([client.name, client.color])
        await call(self.r.hset(key(board, "clients"), str(client.id), packed))

    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]:
        clients_key = key(board, "clients")
        if ids is None:
            raw = await call(self.r.hgetall(clients_key))
            return {int(k): msgpack.unpackb(v)[0] for k, v in raw.items()}
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        values = await call(self.r.hmget(clients_key, [str(i) for i in wanted]))
        return {i: msgpack.unpackb(v)[0] for i, v in zip(wanted, values, strict=True) if v}

    async def create_board(self, board: str, key_hash: str | None) -> bool:
        created = await call(
            self._scripts["create"](
                keys=[key(board, "head"), key(board, "meta")],
                args=[int(time.time()), key_hash or ""],
            )
        )
        return bool(created)

    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None:
        index = await layout_of(checkpoint)
        owed = self._owed.pop(board, {})
        if owed:
            checkpoint = dataclasses.replace(
                checkpoint, firsts=tuple({**owed, **dict(checkpoint.firsts)}.items())
            )
        try:
            async with self.r.pipeline(transaction=True) as pipe:
                _queue_checkpoint(pipe, board, checkpoint, index)
                await call(pipe.execute())
        except StoreError:
            if checkpoint.firsts:
                self._owed.setdefault(board, {}).update(checkpoint.firsts)
            raise

    async def first_adds(self, board: str, ids: list[str] | None, upto: int) -> dict[str, int]:
        firsts_key = key(board, "firsts")
        if ids is None:
            raw = await call(self.r.hgetall(firsts_key))
            found = {k.decode(): int(v) for k, v in raw.items()}
        else:
            wanted = sorted(set(ids))
            values = await call(self.r.hmget(firsts_key, wanted)) if wanted else []
            found = {i: int(v) for i, v in zip(wanted, values, strict=True) if v is not None}
        return {i: s for i, s in found.items() if s <= upto}

    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None:
        return await self._checkpoint(board, seq)

    async def _checkpoint(self, board: str, seq: int | None) -> Checkpoint | None:
        top = "+inf" if seq is None else seq
        found = await call(self.r.zrevrangebyscore(key(board, "cps"), top, "-inf", start=0, num=1))
        if not found:
            return None
        at = int(found[0])
        state = await call(self.r.hget(key(board, "cpdata"), str(at)))
        return Checkpoint(at, bytes(state)) if state is not None else None

    async def checkpoint_layout(self, board: str, seq: int) -> bytes | None:
        value = await call(self.r.hget(key(board, "cplayout"), str(seq)))
        return bytes(value) if value is not None else None

    async def load(self, board: str) -> LoadedBoard:
        checkpoint = await self._checkpoint(board, None)
        if checkpoint is not None:
            firsts = await self.first_adds(board, None, checkpoint.seq)
            checkpoint = dataclasses.replace(checkpoint, firsts=tuple(firsts.items()))
        rows = await self.read_log(board, checkpoint.seq if checkpoint else 0)
        key_hash, deleted = await call(self.r.hmget(key(board, "meta"), ["key_hash", "deleted"]))
        next_id = await call(self.r.get(key(board, "nextid")))
        log_bytes = await call(self.r.get(key(board, "bytes")))
        return LoadedBoard(
            checkpoint=checkpoint,
            rows=rows,
            next_client_id=int(next_id or 0) + 1,
            key_hash=key_hash.decode() if key_hash else None,
            blobs=await call(redis_blobs.blob_names(self.r, board)),
            deleted=int(deleted) if deleted else None,
            stored_bytes=int(log_bytes or 0) + await self.blob_total(board),
        )

    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
        blobs: Mapping[str, Blob] | None = None,
    ) -> bool:
        layouts = [await layout_of(cp) for cp in checkpoints]
        claimed = await call(
            self._scripts["claim"](
                keys=[key(board, "head"), key(board, "log"), key(board, "clients")], args=[]
            )
        )
        if not claimed:
            return False
        # MULTI/EXEC: the copy lands whole or not at all. The claim above is only the id.
        async with self.r.pipeline(transaction=True) as pipe:
            if clients:
                pipe.hset(
                    key(board, "clients"),
                    mapping={str(c.id): msgpack.packb([c.name, c.color]) for c in clients},
                )
                pipe.set(key(board, "nextid"), max(c.id for c in clients))
            for r in rows:
                pipe.xadd(
                    key(board, "log"),
                    {"f": r.first_seq, "t": r.ts, "o": r.ops},
                    id=f"{r.last_seq}-0",
                )
            for cp, index in zip(checkpoints, layouts, strict=True):
                _queue_checkpoint(pipe, board, cp, index)
            redis_blobs.queue_insert(pipe, board, blobs or {})
            pipe.set(key(board, "head"), rows[-1].last_seq if rows else 0)
            pipe.set(key(board, "bytes"), sum(len(r.ops) for r in rows))
            await call(pipe.execute())
        return True

    # -- blobs (redis_blobs.py) --------------------------------------------------------------

    async def put_blob(
        self, board: str, name: str, blob: Blob, max_total: int
    ) -> tuple[BlobPut, int]:
        keys, args = redis_blobs.put_args(board, name, blob, max_total)
        return redis_blobs.put_answer(await call(self._scripts["put_blob"](keys=keys, args=args)))

    async def get_blob(self, board: str, name: str) -> Blob | None:
        return (await self.get_blobs(board, [name])).get(name)

    async def get_blobs(self, board: str, names: Iterable[str]) -> dict[str, Blob]:
        found: dict[str, Blob] = await call(redis_blobs.get_blobs(self.r, board, names))
        return found

    async def blob_names(self, board: str) -> set[str]:
        names: set[str] = await call(redis_blobs.blob_names(self.r, board))
        return names

    async def blob_total(self, board: str) -> int:
        total: int = await call(redis_blobs.blob_total(self.r, board))
        return total

    # -- titles, deletion, purge, listing (redis_meta.py) -------------------------------------

    async def board_title(self, board: str) -> str | None:
        found: str | None = await call(redis_meta.title(self.r, board))
        return found

    async def set_title(self, board: str, title: str | None) -> None:
        await call(redis_meta.set_title(self.r, board, title))

    async def deleted_at(self, board: str) -> int | None:
        at: int | None = await call(redis_meta.deleted_at(self.r, board))
        return at

    async def set_deleted(self, board: str, at: int | None) -> bool:
        done: bool = await call(redis_meta.set_deleted(self.r, board, at))
        return done

    async def purge_board(self, board: str) -> bool:
        found: bool = await call(redis_meta.purge(self.r, board))
        return found

    async def list_boards(
        self, q: str = "", after: str | None = None, limit: int | None = None
    ) -> tuple[list[meta.BoardSummary], str | None]:
        found = await call(redis_meta.summaries(self.r))
        page, following = meta.select(found, q, after, limit)
        sizes = await call(redis_meta.sizes(self.r, [s.board for s in page]))
        return meta.with_sizes(page, sizes), following

    # -- access and logins (redis_access.py) ---------------------------------------------------

    async def get_access(self, board: str) -> BoardAccess | None:
        return redis_access.access_from(await call(self.r.get(redis_access.access_key(board))))

    async def put_access(self, board: str, access: BoardAccess) -> None:
        await call(self.r.set(redis_access.access_key(board), access.to_json()))

    async def set_key_hash(self, board: str, key_hash: str | None) -> None:
        fields = redis_access.meta_key(board)
        if key_hash is None:
            await call(self.r.hdel(fields, "key_hash"))
        else:
            await call(self.r.hset(fields, "key_hash", key_hash))

    async def key_hash(self, board: str) -> str | None:
        value = await call(self.r.hget(redis_access.meta_key(board), "key_hash"))
        return value.decode() if value else None

    async def put_login(self, sid: str, login: Login) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(
                redis_access.login_key(sid),
                mapping={"email": login.email, "name": login.name, "expires": login.expires},
            )
            pipe.expireat(redis_access.login_key(sid), login.expires)
            await call(pipe.execute())

    async def get_login(self, sid: str, now: int) -> Login | None:
        raw = await call(self.r.hgetall(redis_access.login_key(sid)))
        return redis_access.login_from(raw, now)

    async def delete_login(self, sid: str) -> None:
        await call(self.r.delete(redis_access.login_key(sid)))


def _queue_checkpoint(pipe: Any, board: str, checkpoint: Checkpoint, index: bytes | None) -> None:
    at = str(checkpoint.seq)
    pipe.hset(key(board, "cpdata"), at, checkpoint.state)
    # A layout always describes the very bytes stored beside it: a replaced state drops it.
    if index is not None:
        pipe.hset(key(board, "cplayout"), at, index)
    else:
        pipe.hdel(key(board, "cplayout"), at)
    pipe.zadd(key(board, "cps"), {at: checkpoint.seq})
    if checkpoint.firsts:
        # The same value whoever writes it (a first add never changes): HSET may overwrite.
        pipe.hset(key(board, "firsts"), mapping=dict(checkpoint.firsts))
