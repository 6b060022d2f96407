"""The cluster over Redis: processes started with the same ``--redis`` URL serve boards together.

Why a lock at all, when the store's append already refuses a row that does not follow the head:
each process judges ops against the Document it holds in memory, so it must hold the latest
state before judging. ``lock`` takes a short per-board lock and returns, in the same round trip,
the rows the process has not seen yet; the store's append then gives the lock back. The head
check alone keeps the log correct (a lock that expired under a stalled process costs a retry,
never a fork of the log); the lock only keeps processes from judging ops in parallel and then
having to throw one of the two ticks away.

Other processes learn of a committed row from the board's ``rows`` channel (pushed, no
polling), and read the stream itself only to fill a gap (a message lost while their
subscription reconnected). Presence (joins, leaves, cursors) crosses processes on a second
channel per board; which clients are connected is kept in a hash per board, each entry naming
its process, and processes write a heartbeat so that the clients of a process that died can be
declared gone.

This object shares the store's connection and board keys (``whiteboard/store/redis.py`` says
which and why): the lock script reads the store's ``head`` and ``log``, and the store's append
releases this cluster's lock and publishes the rows heard here. The cluster's own keys are
``lock``, ``peers``, ``tokens`` and ``retired`` per board, and ``wb:procs`` for heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from whiteboard.cluster.base import Cluster, PresenceListener, RowListener
from whiteboard.store.base import LogRow, StoreError
from whiteboard.store.redis import RedisStore, call, key, rows_channel
from whiteboard.store.redis_wire import published_row, stream_row

log = logging.getLogger(__name__)

LOCK_MS = 2000
"""How long a board's lock outlives a process that died holding it (a tick takes ~1 ms)."""

HEARTBEAT_S = 1.0
PROCESS_DEAD_S = 5.0
"""A process whose heartbeat is older than this is gone: its clients are announced as left."""

PROCS_KEY = "wb:procs"

_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
elseif not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, {}, {}}
end
local retired = {}
for i = 5, #ARGV do
  if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 1 then
    retired[#retired + 1] = ARGV[i]
  end
end
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
if head > tonumber(ARGV[3]) then
  return {1, redis.call('XRANGE', KEYS[3], ARGV[4], '+'), retired}
end
return {1, {}, retired}
"""

# Heartbeats and liveness use Redis's clock, so that processes on machines whose clocks
# disagree still agree on who is alive. Entries of processes gone for a day are pruned.
_BEAT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZADD', KEYS[1], t, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - 86400)
return 1
"""

_ALIVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
return redis.call('ZRANGEBYSCORE', KEYS[1], t - tonumber(ARGV[1]), '+inf')
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def presence_channel(board: str) -> str:
    return key(board, "presence")


class RedisCluster(Cluster):
    """Coordination over the Redis of ``store``, on its connection."""

    shared = True

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.process = secrets.token_hex(6)  # names this process in locks and presence
        store.lock_holder = self.process  # its appends give back the locks taken here
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._on_row: RowListener | None = None
        self._on_presence: PresenceListener | None = None
        self._on_revive: Callable[[], None] | None = None
        self._subscribed: set[str] = set()
        self._closed = False
        self._scripts: dict[str, Any] = {}

    @property
    def r(self) -> aioredis.Redis:
        if self._closed:
            raise StoreError("the cluster is closed")
        return self.store.r

    async def start(self) -> None:
        """Start after the store (whose connection this uses); close before it."""
        for name, src in (("lock", _LOCK), ("unlock", _UNLOCK), ("beat", _BEAT), ("alive", _ALIVE)):
            self._scripts[name] = self.r.register_script(src)
        self._pubsub = self.r.pubsub(ignore_subscribe_messages=True)
        await self._beat()
        self._heartbeat = asyncio.ensure_future(self._beat_forever())

    async def close(self) -> None:
        if self._closed:
            return
        for task in (self._listener, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                    await task
        with contextlib.suppress(RedisError, OSError, StoreError):
            await self.r.zrem(PROCS_KEY, self.process)
        self._closed = True
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()

    async def lock(
        self, board: str, after: int, authors: list[int]
    ) -> tuple[list[LogRow], set[int]]:
        """Take the board's lock (waiting for it); the rows after ``after``, and which of
        ``authors`` were retired by a reconnect on another process."""
        script = self._scripts["lock"]
        keys = [key(board, "lock"), key(board, "head"), key(board, "log"), key(board, "retired")]
        deadline = time.monotonic() + LOCK_MS / 1000 * 2
        delay = 0.0005
        while True:
            got, entries, retired = await call(
                script(keys=keys, args=[self.process, LOCK_MS, after, f"{after + 1}-0", *authors])
            )
            if got:
                rows = [stream_row(eid, fields) for eid, fields in entries]
                return rows, {int(c) for c in retired}
            if time.monotonic() > deadline:
                raise StoreError(f"board {board} stayed locked by another process")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.01)

    async def retire(self, board: str, client_id: int, token: str) -> bool:
        stored = await call(self.r.hget(key(board, "tokens"), str(client_id)))
        if stored is None or not hmac.compare_digest(stored, _token_hash(token)):
            return False
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key(board, "retired"), str(client_id), 1)
            # Client ids are never reused, so the marks only need to outlive the retired
            # connection's queued ops: gone a minute after the last reconnect of the board.
            pipe.expire(key(board, "retired"), 60)
            pipe.hdel(key(board, "tokens"), str(client_id))
            await call(pipe.execute())
        return True

    async def unlock(self, board: str) -> None:
        """Best effort: a lock that cannot be given back expires after LOCK_MS anyway."""
        try:
            await call(self._scripts["unlock"](keys=[key(board, "lock")], args=[self.process]))
        except StoreError as exc:
            log.warning("board %s: lock not released: %s", board, exc)

    def listen(
        self,
        on_row: RowListener,
        on_presence: PresenceListener,
        on_revive: Callable[[], None] | None = None,
    ) -> None:
        """Where rows committed and presence published by other processes are delivered, and
        who re-announces this process's clients after it was taken for dead."""
        self._on_row = on_row
        self._on_presence = on_presence
        self._on_revive = on_revive

    async def subscribe(self, board: str) -> None:
        if board in self._subscribed:
            return
        await call(self._pubsub.subscribe(rows_channel(board), presence_channel(board)))
        self._subscribed.add(board)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.ensure_future(self._listen())

    async def unsubscribe(self, board: str) -> None:
        if board not in self._subscribed or self._closed:
            return
        self._subscribed.discard(board)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(rows_channel(board), presence_channel(board))

    async def _listen(self) -> None:
        down = False  # said once when it breaks and once when it is back, not every retry
        while not self._closed:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as exc:
                # redis-py subscribes again when it reconnects; a row missed meanwhile shows up
                # as a gap at the next row or at the next head check, and is read from the log.
                if not down:
                    log.warning("Redis subscription interrupted: %s", exc)
                    down = True
                await asyncio.sleep(0.5)
                continue
            if down:
                log.warning("Redis subscription back")
                down = False
            if message is None or message.get("type") != "message":
                continue
            try:
                self._dispatch(message["channel"].decode(), message["data"])
            except Exception:
                log.exception("could not handle a message from Redis")

    def _dispatch(self, channel: str, data: bytes) -> None:
        board = channel[channel.index("{") + 1 : channel.rindex("}")]
        if channel.endswith(":rows"):
            if self._on_row is not None:
                self._on_row(board, published_row(data))
        else:
            event = msgpack.unpackb(data)
            if event.get("p") != self.process and self._on_presence is not None:
                self._on_presence(board, event)

    async def publish_presence(self, board: str, event: dict[str, Any]) -> None:
        event["p"] = self.process
        await call(self.r.publish(presence_channel(board), msgpack.packb(event)))

    async def peer_joined(self, board: str, info: dict[str, Any], token: str) -> None:
        """Record a client connected here (and the hash of its reconnect token, so that another
        process can retire this connection), then tell the other processes."""
        packed = msgpack.packb([info["name"], info["color"], self.process])
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hset(key(board, "peers"), str(info["id"]), packed)
            pipe.hset(key(board, "tokens"), str(info["id"]), _token_hash(token))
            await call(pipe.execute())
        await self.publish_presence(board, {"j": [info["id"], info["name"], info["color"]]})

    async def peers_left(self, board: str, ids: list[int]) -> None:
        if ids:
            await self.forget_peers(board, ids)
            await self.publish_presence(board, {"l": ids})

    async def remote_peers(self, board: str) -> dict[int, tuple[dict[str, Any], str]]:
        """Clients of this board connected to other live processes: id -> (info, process)."""
        raw = await call(self.r.hgetall(key(board, "peers")))
        alive = await self.live_processes()
        out: dict[int, tuple[dict[str, Any], str]] = {}
        gone: list[int] = []
        for k, v in raw.items():
            name, color, process = msgpack.unpackb(v)
            cid = int(k)
            if process not in alive and process != self.process:
                gone.append(cid)  # left behind by a process that died
            elif process != self.process:
                out[cid] = ({"id": cid, "name": name, "color": color}, process)
        await self.forget_peers(board, gone)
        return out

    async def live_processes(self) -> set[str]:
        found = await call(self._scripts["alive"](keys=[PROCS_KEY], args=[PROCESS_DEAD_S]))
        return {p.decode() for p in found}

    async def forget_peers(self, board: str, ids: list[int]) -> None:
        """Remove clients' entries and reconnect tokens (theirs, or a dead process's)."""
        if not ids:
            return
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hdel(key(board, "peers"), *[str(i) for i in ids])
            pipe.hdel(key(board, "tokens"), *[str(i) for i in ids])
            await call(pipe.execute())

    async def _beat(self) -> None:
        await call(self._scripts["beat"](keys=[PROCS_KEY], args=[self.process]))

    async def _beat_forever(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._beat()
            except StoreError as exc:
                if time.monotonic() - last < HEARTBEAT_S * 2.5:  # the first miss only
                    log.warning("Redis heartbeat failed: %s", exc)
                continue
            now = time.monotonic()
            if now - last > PROCESS_DEAD_S and self._on_revive is not None:
                # The others took us for dead (a long stall, Redis out of reach) and announced
                # our clients as gone: announce them again.
                log.warning(
                    "heartbeat was %.1f s late; announcing this process's clients", now - last
                )
                self._on_revive()
            last = now


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).hexdigest().encode()
