"""The scale-out store: every board's log, checkpoints and clients in Redis.

Why Redis Streams and two small Lua scripts: several processes may serve one board, and each
keeps the board's Document in memory to judge ops. A process therefore has to judge its ops
against the latest state and append them with the very next sequence numbers, with nobody
appending in between. ``lock`` takes a short per-board lock and returns, in the same round
trip, the rows the process has not seen yet; ``commit`` appends the tick only if the head is
still the one the ops were judged against, publishes the row to the board's channel and
releases the lock. The head check alone keeps the log correct (a lock that expired under a
stalled process costs a retry, never a fork of the log); the lock only keeps processes from
judging ops in parallel and then having to throw one of the two ticks away.

Every key of a board carries the board id as a hash tag (``wb:{id}:...``) so that a Redis
Cluster keeps a board in one slot and the scripts may touch all of its keys.

Other processes learn of a committed row from the channel (pushed, no polling), and read the
stream itself only to fill a gap (a message lost while their subscription reconnected).
Presence (joins, leaves, cursors) crosses processes on a second channel per board; which
clients are connected is kept in a hash per board, each entry naming its process, and processes
write a heartbeat so that the clients of a process that died can be declared gone.
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

from whiteboard.config import redacted
from whiteboard.store.base import (
    Checkpoint,
    Client,
    LoadedBoard,
    LogRow,
    SharedStore,
    StoreConflict,
    StoreError,
    layout_of,
)

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

_COMMIT = """
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
if head ~= tonumber(ARGV[1]) then
  if head == tonumber(ARGV[3]) then
    local mine = redis.call('XRANGE', KEYS[2], ARGV[3] .. '-0', ARGV[3] .. '-0')
    if #mine == 1 and mine[1][2][8] == ARGV[7] then
      return -1
    end
  end
  if redis.call('GET', KEYS[3]) == ARGV[6] then
    redis.call('DEL', KEYS[3])
  end
  return head
end
redis.call('XADD', KEYS[2], ARGV[3] .. '-0', 'f', ARGV[2], 't', ARGV[4], 'o', ARGV[5],
  'n', ARGV[7])
redis.call('SET', KEYS[1], ARGV[3])
if redis.call('GET', KEYS[3]) == ARGV[6] then
  redis.call('DEL', KEYS[3])
end
redis.call('PUBLISH', KEYS[4], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5])
return -1
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

_CREATE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], 'created', ARGV[1]) == 0 then
  return 0
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'key_hash', ARGV[2])
end
return 1
"""

_CLAIM = """
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3]) > 0 then
  return 0
end
redis.call('SET', KEYS[1], '0')
return 1
"""


def key(board: str, what: str) -> str:
    return f"wb:{{{board}}}:{what}"


def rows_channel(board: str) -> str:
    return key(board, "rows")


def presence_channel(board: str) -> str:
    return key(board, "presence")


RowListener = Callable[[str, LogRow], None]
PresenceListener = Callable[[str, dict[str, Any]], None]


class RedisStore(SharedStore):
    """Boards in Redis, shared by every process started with the same ``--redis`` URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.process = secrets.token_hex(6)  # names this process in locks and presence
        self._redis: aioredis.Redis | None = None
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
        for name, src in (
            ("lock", _LOCK),
            ("commit", _COMMIT),
            ("unlock", _UNLOCK),
            ("create", _CREATE),
            ("claim", _CLAIM),
            ("beat", _BEAT),
            ("alive", _ALIVE),
        ):
            self._scripts[name] = self._redis.register_script(src)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._beat()
        self._heartbeat = asyncio.ensure_future(self._beat_forever())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in (self._listener, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                    await task
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.zrem(PROCS_KEY, self.process)
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.aclose()
            await self._redis.aclose()

    async def _call(self, coro: Any) -> Any:
        """Await a Redis call; a lost connection is the store failing, not a bug."""
        try:
            return await coro
        except (RedisError, OSError) as exc:
            raise StoreError(f"Redis: {exc}") from exc

    # -- the log -----------------------------------------------------------------------------

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
            got, entries, retired = await self._call(
                script(keys=keys, args=[self.process, LOCK_MS, after, f"{after + 1}-0", *authors])
            )
            if got:
                return [_row(eid, fields) for eid, fields in entries], {int(c) for c in retired}
            if time.monotonic() > deadline:
                raise StoreError(f"board {board} stayed locked by another process")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.01)

    async def retire(self, board: str, client_id: int, token: str) -> bool:
        stored = await self._call(self.r.hget(key(board, "tokens"), str(client_id)))
        if stored is None or not hmac.compare_digest(stored, _token_hash(token)):
            return False
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key(board, "retired"), str(client_id), 1)
            # Client ids are never reused, so the marks only need to outlive the retired
            # connection's queued ops: gone a minute after the last reconnect of the board.
            pipe.expire(key(board, "retired"), 60)
            pipe.hdel(key(board, "tokens"), str(client_id))
            await self._call(pipe.execute())
        return True

    async def heads(self, boards: list[str]) -> list[int]:
        if not boards:
            return []
        async with self.r.pipeline(transaction=False) as pipe:
            for board in boards:
                pipe.get(key(board, "head"))
            values = await self._call(pipe.execute())
        return [int(v or 0) for v in values]

    async def unlock(self, board: str) -> None:
        """Best effort: a lock that cannot be given back expires after LOCK_MS anyway."""
        try:
            await self._call(
                self._scripts["unlock"](keys=[key(board, "lock")], args=[self.process])
            )
        except StoreError as exc:
            log.warning("board %s: lock not released: %s", board, exc)

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
            raise StoreConflict(f"board {board} is at {head}, not {row.first_seq - 1}")
        if checkpoint is not None:
            try:
                await self.save_checkpoint(board, checkpoint)
            except StoreError as exc:
                log.warning("board %s: checkpoint %d not saved: %s", board, checkpoint.seq, exc)

    async def _landed(self, board: str, row: LogRow, nonce: str) -> bool:
        """Whether a commit whose answer was lost did append (raises if Redis is still away)."""
        at = f"{row.last_seq}-0"
        found = await self._call(self.r.xrange(key(board, "log"), at, at))
        return bool(found) and found[0][1].get(b"n") == nonce.encode()

    async def _commit(self, board: str, row: LogRow, nonce: str) -> int:
        keys = [key(board, "head"), key(board, "log"), key(board, "lock"), rows_channel(board)]
        args = [row.first_seq - 1, row.first_seq, row.last_seq, row.ts, row.ops]
        head = await self._call(
            self._scripts["commit"](keys=keys, args=[*args, self.process, nonce])
        )
        return int(head)

    async def head(self, board: str) -> int:
        value = await self._call(self.r.get(key(board, "head")))
        return int(value or 0)

    async def read_log(self, board: str, after: int, upto: int | None = None) -> list[LogRow]:
        log_key = key(board, "log")
        if upto is None:
            entries = await self._call(self.r.xrange(log_key, f"{after + 1}-0", "+"))
            return [_row(eid, fields) for eid, fields in entries]
        # Entries are keyed by their last seq: those ending in (after, upto], then the one row
        # that holds upto while ending after it.
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.xrange(log_key, f"{after + 1}-0", f"{upto}-0")
            pipe.xrange(log_key, f"{upto + 1}-0", "+", count=1)
            inside, beyond = await self._call(pipe.execute())
        rows = [_row(eid, fields) for eid, fields in inside]
        if upto >= after:
            rows += [
                r for r in (_row(eid, fields) for eid, fields in beyond) if r.first_seq <= upto
            ]
        return rows

    async def read_log_page(self, board: str, after: int, max_ops: int) -> list[LogRow]:
        return await self.read_log(board, after, after + max_ops)

    # -- clients, boards, checkpoints ----------------------------------------------------------

    async def next_client_id(self, board: str) -> int:
        return int(await self._call(self.r.incr(key(board, "nextid"))))

    async def add_client(self, board: str, client: Client) -> None:
        packed = msgpack.packb([client.name, client.color])
        await self._call(self.r.hset(key(board, "clients"), str(client.id), packed))

    async def client_names(self, board: str, ids: list[int] | None = None) -> dict[int, str]:
        clients_key = key(board, "clients")
        if ids is None:
            raw = await self._call(self.r.hgetall(clients_key))
            return {int(k): msgpack.unpackb(v)[0] for k, v in raw.items()}
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        values = await self._call(self.r.hmget(clients_key, [str(i) for i in wanted]))
        return {i: msgpack.unpackb(v)[0] for i, v in zip(wanted, values, strict=True) if v}

    async def create_board(self, board: str, key_hash: str | None) -> bool:
        created = await self._call(
            self._scripts["create"](
                keys=[key(board, "head"), key(board, "meta")],
                args=[int(time.time()), key_hash or ""],
            )
        )
        return bool(created)

    async def save_checkpoint(self, board: str, checkpoint: Checkpoint) -> None:
        index = await layout_of(checkpoint)
        async with self.r.pipeline(transaction=True) as pipe:
            _queue_checkpoint(pipe, board, checkpoint, index)
            await self._call(pipe.execute())

    async def checkpoint_at_or_before(self, board: str, seq: int) -> Checkpoint | None:
        return await self._checkpoint(board, seq)

    async def _checkpoint(self, board: str, seq: int | None) -> Checkpoint | None:
        top = "+inf" if seq is None else seq
        found = await self._call(
            self.r.zrevrangebyscore(key(board, "cps"), top, "-inf", start=0, num=1)
        )
        if not found:
            return None
        at = int(found[0])
        state = await self._call(self.r.hget(key(board, "cpdata"), str(at)))
        return Checkpoint(at, bytes(state)) if state is not None else None

    async def checkpoint_layout(self, board: str, seq: int) -> bytes | None:
        value = await self._call(self.r.hget(key(board, "cplayout"), str(seq)))
        return bytes(value) if value is not None else None

    async def load(self, board: str) -> LoadedBoard:
        checkpoint = await self._checkpoint(board, None)
        rows = await self.read_log(board, checkpoint.seq if checkpoint else 0)
        key_hash = await self._call(self.r.hget(key(board, "meta"), "key_hash"))
        next_id = await self._call(self.r.get(key(board, "nextid")))
        return LoadedBoard(
            checkpoint=checkpoint,
            rows=rows,
            next_client_id=int(next_id or 0) + 1,
            key_hash=key_hash.decode() if key_hash else None,
        )

    async def create_board_with_history(
        self,
        board: str,
        clients: list[Client],
        rows: list[LogRow],
        checkpoints: list[Checkpoint],
    ) -> bool:
        layouts = [await layout_of(cp) for cp in checkpoints]
        claimed = await self._call(
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
            pipe.set(key(board, "head"), rows[-1].last_seq if rows else 0)
            await self._call(pipe.execute())
        return True

    # -- what other processes do ---------------------------------------------------------------

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
        await self._call(self._pubsub.subscribe(rows_channel(board), presence_channel(board)))
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
            first, last, ts, ops = data.split(b" ", 3)
            if self._on_row is not None:
                self._on_row(board, LogRow(int(first), int(last), int(ts), ops))
        else:
            event = msgpack.unpackb(data)
            if event.get("p") != self.process and self._on_presence is not None:
                self._on_presence(board, event)

    async def publish_presence(self, board: str, event: dict[str, Any]) -> None:
        event["p"] = self.process
        await self._call(self.r.publish(presence_channel(board), msgpack.packb(event)))

    async def peer_joined(self, board: str, info: dict[str, Any], token: str) -> None:
        """Record a client connected here (and the hash of its reconnect token, so that another
        process can retire this connection), then tell the other processes."""
        packed = msgpack.packb([info["name"], info["color"], self.process])
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hset(key(board, "peers"), str(info["id"]), packed)
            pipe.hset(key(board, "tokens"), str(info["id"]), _token_hash(token))
            await self._call(pipe.execute())
        await self.publish_presence(board, {"j": [info["id"], info["name"], info["color"]]})

    async def peers_left(self, board: str, ids: list[int]) -> None:
        if ids:
            await self.forget_peers(board, ids)
            await self.publish_presence(board, {"l": ids})

    async def remote_peers(self, board: str) -> dict[int, tuple[dict[str, Any], str]]:
        """Clients of this board connected to other live processes: id -> (info, process)."""
        raw = await self._call(self.r.hgetall(key(board, "peers")))
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
        found = await self._call(self._scripts["alive"](keys=[PROCS_KEY], args=[PROCESS_DEAD_S]))
        return {p.decode() for p in found}

    async def forget_peers(self, board: str, ids: list[int]) -> None:
        """Remove clients' entries and reconnect tokens (theirs, or a dead process's)."""
        if not ids:
            return
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hdel(key(board, "peers"), *[str(i) for i in ids])
            pipe.hdel(key(board, "tokens"), *[str(i) for i in ids])
            await self._call(pipe.execute())

    async def _beat(self) -> None:
        await self._call(self._scripts["beat"](keys=[PROCS_KEY], args=[self.process]))

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


def _row(entry_id: bytes, fields: dict[bytes, bytes] | list[bytes]) -> LogRow:
    """A stream entry as a LogRow: its id is ``<last seq>-0``. Lua answers give the fields as
    a flat list, redis-py's XRANGE as a dict."""
    if isinstance(fields, list):
        fields = dict(zip(fields[::2], fields[1::2], strict=True))
    last = int(entry_id.split(b"-", 1)[0])
    return LogRow(int(fields[b"f"]), last, int(fields[b"t"]), bytes(fields[b"o"]))


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).hexdigest().encode()


def _queue_checkpoint(pipe: Any, board: str, checkpoint: Checkpoint, index: bytes | None) -> None:
    at = str(checkpoint.seq)
    pipe.hset(key(board, "cpdata"), at, checkpoint.state)
    # A layout always describes the very bytes stored beside it: a replaced state drops it.
    if index is not None:
        pipe.hset(key(board, "cplayout"), at, index)
    else:
        pipe.hdel(key(board, "cplayout"), at)
    pipe.zadd(key(board, "cps"), {at: checkpoint.seq})
