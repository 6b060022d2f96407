"""Live boards: the Document, its connections, and the tick that advances them.

A board advances only in ticks (DESIGN.md, "How an edit flows"): the ops queued since the last
tick are applied in arrival order, appended to the store as one row, and only once the store has
committed them is one ``ops`` frame encoded and the same bytes written to every connection,
author included. Connections that said ``hello`` meanwhile are admitted right after that
broadcast, so their ``welcome`` is exactly the state the others have just seen and no op can
fall between the two. Presence (joins, leaves, cursors) is coalesced into the same tick.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import msgpack

from whiteboard import metrics, protocol
from whiteboard.cluster.base import Cluster
from whiteboard.cluster.solo import SoloCluster
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history import state as history
from whiteboard.history.checkpoint import take as take_checkpoint
from whiteboard.protocol import Limits, ProtocolError
from whiteboard.store.base import (
    Checkpoint,
    Client,
    LoadedBoard,
    LogRow,
    Store,
    StoreConflict,
    StoreError,
)
from whiteboard.wsframe import ws_frame

log = logging.getLogger(__name__)

# Presence colours: distinct at a glance on white, readable behind white text.
PALETTE = (
    "#e03131", "#1971c2", "#2f9e44", "#f08c00", "#9c36b5", "#0c8599",
    "#c2255c", "#5c940d", "#3b5bdb", "#d9480f", "#099268", "#862e9c",
)  # fmt: skip


DISK_FULL = "The server cannot save changes right now, so this board is read-only for a moment."


class Peer(Protocol):
    """What a Board needs from a connection (BoardSocket implements it)."""

    client_id: int
    name: str
    color: str
    readonly: bool
    token: str  # proves, in a later hello's ``prev``, that a reconnecting client was this peer
    compact: bool  # said hello with ``compact: 1``: gets compact ops frames (docs/protocol.md)

    def replaced(self) -> None:
        """A newer connection of the same client took over: stop reading and close."""

    def send(self, message: bytes) -> None:
        """Queue one encoded msgpack message; never blocks, never raises."""

    def send_frame(self, frame: bytes) -> None:
        """Queue a complete WebSocket frame (``wsframe.ws_frame``), shared by many peers."""

    def admitted(self) -> None:
        """Called right after this peer's ``welcome`` was sent."""


@dataclass
class _Tick:
    """A tick's ops, kept in memory so reconnecting clients get only what they missed.

    Kept as the encoded array (the stored row) rather than as dicts: a pen point costs one
    byte or two here instead of a list slot, and resumes are rare enough to decode then.
    """

    first_seq: int
    last_seq: int
    ts: int
    ops: bytes


def now_ms() -> int:
    return int(time.time() * 1000)


class Board:
    """One board in memory. All methods run on the IOLoop; only ``tick`` awaits (the store)."""

    def __init__(
        self, board_id: str, doc: Document, store: Store, settings: Settings, hub: Hub
    ) -> None:
        self.id = board_id
        self.doc = doc
        self.store = store
        self.settings = settings
        self.hub = hub
        self.committed_seq = doc.seq
        self.checkpoint_seq = doc.seq
        self.next_client_id = 1
        self.key_hash: str | None = None
        self.readonly_until = 0.0  # the store failed: refuse edits until then, then retry
        self.peers: dict[int, Peer] = {}
        self.recent: deque[_Tick] = deque()
        self._recent_ops = 0
        self._recent_bytes = 0
        self._queue: list[tuple[Peer, list[dict[str, Any]]]] = []
        self._joins: list[tuple[Peer, int | None]] = []
        self._joining = 0
        self._leaves: list[int] = []
        self._cursors: dict[int, tuple[float | None, float | None]] = {}
        self._tick_handle: asyncio.TimerHandle | None = None
        self._ticking = False
        self._tick_task: asyncio.Future[None] | None = None
        self._last_tick = 0.0
        self._unload_handle: asyncio.TimerHandle | None = None
        self._committed = asyncio.Event()
        self.failed = False
        self.closed = False  # set on shutdown: no more ticks
        # Scale-out (--redis): other processes serve this board too (see ``_catch_up``).
        self.cluster = hub.cluster
        self.shared = self.cluster.shared
        self._remote_rows: list[LogRow] = []
        self.remote: dict[int, tuple[dict[str, Any], str]] = {}  # id -> (info, process)
        self._remote_joins: list[dict[str, Any]] = []
        self._remote_leaves: list[int] = []
        self._remote_cursors: dict[int, tuple[float | None, float | None]] = {}
        self._behind = False  # the store's head is ahead of us and no row says why: read it
        self._need_lock = False  # a client took over a connection of another process
        self._presence_tail: asyncio.Future[None] | None = None
        # A tick's committed rows (others' and ours), written to each client in one go.
        self._outbox: list[tuple[int, bytes, list[dict[str, Any]]]] = []  # ts, row, sops

    # -- input ---------------------------------------------------------------------------------

    def submit(self, peer: Peer, ops: list[dict[str, Any]]) -> None:
        self._queue.append((peer, ops))
        self._schedule()

    def cursor(self, peer: Peer, x: float | None, y: float | None) -> None:
        self._cursors[peer.client_id] = (x, y)
        self._schedule()

    async def join(
        self,
        peer: Peer,
        name: str,
        since: int | None,
        key: str | None = None,
        prev: tuple[int, str] | None = None,
    ) -> None:
        """Give the peer a client id, store it durably, then admit it at the end of a tick.

        ``prev`` is the (client id, token) of the connection this one replaces: that one is
        dropped now, with any ops it still has queued, so nothing it sends late can be
        committed after this welcome (the client resends those ops itself).
        """
        self._cancel_unload()
        if prev is not None:
            if prev[0] in self.peers or not self.shared:
                self._evict(*prev)
            elif await self.cluster.retire(self.id, *prev):
                # Its process drops what that connection still has queued, at its next lock;
                # our next tick takes the lock too, so whatever it committed before is in
                # this welcome and nothing it judged can land after it.
                self._need_lock = True
        peer.readonly = self.key_hash is not None and not key_matches(key, self.key_hash)
        if self.shared:
            client_id = await self.store.next_client_id(self.id)
        else:
            client_id = self.next_client_id
            self.next_client_id += 1
        peer.client_id = client_id
        peer.name = name
        peer.color = color_of(client_id)
        peer.token = secrets.token_urlsafe(12)
        # Counted while the client row is being stored, so an idle unload cannot drop the
        # board under a joiner (which would leave two Boards with one id).
        self._joining += 1
        try:
            await self.store.add_client(self.id, Client(client_id, name, peer.color))
        finally:
            self._joining -= 1
        if self.failed:
            raise StoreError("the board was dropped while this client joined")
        if self.shared and since is not None and since > self.doc.seq:
            # It saw ops (on another process) that have not reached us yet: catch up under the
            # lock before its welcome, so that it gets only what it missed, not an older board.
            self._need_lock = True
        self._joins.append((peer, since))
        self._schedule()

    def _evict(self, client_id: int, token: str) -> None:
        old = self.peers.get(client_id)
        if old is None or not hmac.compare_digest(old.token, token):
            return
        self.leave(old)
        old.replaced()

    def leave(self, peer: Peer) -> None:
        """Forget a peer now; the others hear of it in the next tick, not when TCP closes."""
        if self.peers.get(peer.client_id) is peer:
            del self.peers[peer.client_id]
            self._leaves.append(peer.client_id)
            self._cursors.pop(peer.client_id, None)
            self._schedule()
        else:
            self._joins = [(p, s) for p, s in self._joins if p is not peer]
        self._queue = [(p, ops) for p, ops in self._queue if p is not peer]
        self._maybe_schedule_unload()

    # -- the tick ------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._tick_handle is not None or self._ticking or self.closed:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_tick + self.settings.tick_ms / 1000 - loop.time())
        self._tick_handle = loop.call_later(delay, self._start_tick)

    def _start_tick(self) -> None:
        self._tick_handle = None
        self._ticking = True
        self._tick_task = asyncio.ensure_future(self._run_tick())

    async def _run_tick(self) -> None:
        try:
            with metrics.tick(bool(self._queue)):
                await self.tick()
        except StoreError as exc:
            # The store is unreachable or refused even the reads that undo a tick: clients are
            # closed and reconnect; the board reloads from what the store holds.
            log.warning("board %s dropped: %s", self.id, exc)
            self._fail()
        except Exception:
            log.exception("tick failed on board %s", self.id)
            self._fail()
        finally:
            self._ticking = False
            self._last_tick = asyncio.get_running_loop().time()
            if self._pending():
                self._schedule()

    def _pending(self) -> bool:
        return bool(
            self._queue
            or self._joins
            or self._leaves
            or self._cursors
            or self._remote_rows
            or self._remote_joins
            or self._remote_leaves
            or self._remote_cursors
            or self._behind
            or self._need_lock
        )

    async def tick(self) -> None:
        try:
            await self._advance()
        finally:
            self._flush_out()  # before the joins: their welcome already holds these rows
        self._admit_joins()
        self._send_presence()

    async def _advance(self) -> None:
        """Catch up with other processes, then judge, store and queue this tick's ops."""
        queued, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        readonly = loop.time() < self.readonly_until
        locked = False
        if self.shared:
            want_lock = (bool(queued) and not readonly) or self._need_lock
            try:
                retired = await self._catch_up(
                    lock=want_lock, authors={p.client_id for p, _ in queued}
                )
                locked = want_lock
                self._need_lock = False
            except StoreError as exc:
                if not queued:
                    # Nothing to refuse: try again shortly (rows stay pending meanwhile).
                    log.warning("board %s could not catch up: %s", self.id, exc)
                    self._retry_soon()
                    return
                # Redis refused the lock (full, or unreachable): the same as a full disk.
                log.warning("board %s is read-only for now: %s", self.id, exc)
                self.readonly_until = loop.time() + self.settings.readonly_retry_s
                readonly = True
                retired = set()
            if retired:
                queued = self._drop_retired(queued, retired)
        try:
            if self.shared:
                await self._learn_blobs(queued)
            if await self._judge_and_commit(queued, readonly):
                locked = False  # the append script released it (stored or not)
        finally:
            if locked and self.shared:
                await self.cluster.unlock(self.id)

    async def _learn_blobs(self, queued: list[tuple[Peer, list[dict[str, Any]]]]) -> None:
        """Another process may have stored a blob that an op here names: read the board's
        blob names again, once, when an image names one this process has not heard of."""
        blobs = self.doc.blobs
        if blobs is None:
            return
        for _, ops in queued:
            for op in ops:
                e = op.get("e") if op["k"] == "add" else op.get("set")
                name = e.get("blob") if isinstance(e, dict) else None
                if name is not None and name not in blobs:
                    try:
                        blobs.update(await self.store.blob_names(self.id))
                    except StoreError as exc:  # its images are refused as unknown, no more
                        log.warning("board %s could not read its blobs: %s", self.id, exc)
                    return

    async def _judge_and_commit(
        self, queued: list[tuple[Peer, list[dict[str, Any]]]], readonly: bool
    ) -> bool:
        """Apply the queued ops, store the accepted ones as one row and queue it for everyone.

        True when the store answered an append (which, in Redis, releases the board's lock).
        """
        accepted: list[dict[str, Any]] = []
        authors: dict[int, Peer] = {}
        first = self.doc.seq + 1
        for peer, ops in queued:
            if self.peers.get(peer.client_id) is not peer:
                continue  # left before its ops were applied
            if readonly:
                for op in ops:
                    metrics.refused("read_only")
                    peer.send(protocol.encode_err("read_only", DISK_FULL, op["c"]))
                continue
            for op in ops:
                result = self.doc.apply(op, self.doc.seq + 1)
                if isinstance(result, ProtocolError):
                    metrics.refused(result.code)
                    peer.send(protocol.encode_err(result.code, result.msg, result.c))
                    continue
                # The op map is ours (decoded from this frame) and the Document keeps copies of
                # what it needs, so the server op is the same map with s and by added.
                result["s"] = self.doc.seq
                result["by"] = peer.client_id
                accepted.append(result)
                authors[peer.client_id] = peer

        if accepted:
            ts = now_ms()
            ops_array = protocol.encode_ops_array(accepted)
            checkpoint = None
            if self._checkpoint_due(first):
                checkpoint = await _pack_state(self.doc)
            try:
                with metrics.store_commit():
                    await self.store.append(
                        self.id, LogRow(first, self.doc.seq, ts, ops_array), checkpoint
                    )
            except StoreConflict as exc:
                await self._conflict(accepted, authors, exc)
                return True
            except StoreError as exc:
                await self._store_failed(accepted, authors, exc)
                return False
            else:
                if checkpoint is not None:
                    self.checkpoint_seq = checkpoint.seq
                self.committed_seq = self.doc.seq
                self._remember(_Tick(first, self.doc.seq, ts, ops_array))
                self._wake_readers()
                self._broadcast(ts, ops_array, accepted)
                metrics.committed(len(accepted))
                return True
        return False

    def _wake_readers(self) -> None:
        """HTTP readers waiting for the tick in flight: the document is committed again."""
        self._committed.set()
        self._committed = asyncio.Event()

    def _checkpoint_due(self, first: int) -> bool:
        every = self.settings.checkpoint_every
        if self.shared:
            # Every process serving the board sees the same seqs, not the same checkpoints: the
            # one whose tick crosses a multiple of ``every`` writes it, and only that one.
            return self.doc.seq // every > (first - 1) // every
        return self.doc.seq - self.checkpoint_seq >= every

    # -- scale-out: rows and presence from other processes ---------------------------------------

    def remote_row(self, row: LogRow) -> None:
        """A row another process (or this one) committed: applied at the next tick."""
        if row.last_seq > self.committed_seq:
            self._remote_rows.append(row)
            self._schedule()

    async def _catch_up(self, lock: bool, authors: set[int]) -> set[int]:
        """Bring the document to the board's head, sending local peers what others committed.

        With ops to judge, the board's lock is taken first and the head read under it, so the
        ops are judged against the state they will be appended to. Without, the rows the
        subscription delivered are enough, unless one is missing (then the stream is read).
        """
        retired: set[int] = set()
        if lock:
            rows, retired = await self.cluster.lock(self.id, self.doc.seq, sorted(authors))
        elif self._behind:
            rows = await self.store.read_log(self.id, self.doc.seq)
        else:  # a gap among these (a lost message) is read from the log below
            rows = sorted(self._remote_rows, key=lambda r: r.first_seq)
        self._behind = False
        for row in rows:
            if row.last_seq <= self.doc.seq:
                continue
            if row.first_seq != self.doc.seq + 1:
                rows = await self.store.read_log(self.id, self.doc.seq)
                for again in rows:
                    self._apply_row(again)
                break
            self._apply_row(row)
        self._remote_rows = [r for r in self._remote_rows if r.last_seq > self.doc.seq]
        return retired

    def _drop_retired(
        self, queued: list[tuple[Peer, list[dict[str, Any]]]], retired: set[int]
    ) -> list[tuple[Peer, list[dict[str, Any]]]]:
        """Connections that a reconnect on another process took over: their queued ops are
        the client's to resend there, so they are dropped here unjudged, and they close."""
        for cid in retired:
            old = self.peers.get(cid)
            if old is not None:
                self.leave(old)
                old.replaced()
        return [(p, ops) for p, ops in queued if p.client_id not in retired]

    def _retry_soon(self) -> None:
        """Catching up failed (Redis away): look again in a second, even if no row comes."""
        self._behind = True
        asyncio.get_running_loop().call_later(1.0, self._schedule)

    def fell_behind(self, head: int) -> None:
        """The store's head is past ours and no row explains it (a message lost): read it."""
        if head > self.committed_seq and not self._ticking:
            self._behind = True
            self._schedule()

    def _apply_row(self, row: LogRow) -> None:
        if row.last_seq <= self.doc.seq:
            return
        sops = [sop for sop in msgpack.unpackb(row.ops) if sop["s"] > self.doc.seq]
        for sop in sops:
            self.doc.apply_sop(sop)
        self.committed_seq = self.doc.seq
        self._remember(_Tick(row.first_seq, row.last_seq, row.ts, row.ops))
        self._broadcast(row.ts, row.ops, sops)

    def _broadcast(self, ts: int, ops_array: bytes, sops: list[dict[str, Any]]) -> None:
        """Queue a committed row for everyone; ``_flush_out`` writes the tick's rows at once."""
        self._outbox.append((ts, ops_array, sops))

    def _flush_out(self) -> None:
        """Write the tick's rows to every client: one ``send`` each, however many rows.

        With several processes a tick often carries another process's row as well as its own;
        the write per client is the cost that matters, so the rows go out together. PROTOCOL.md
        clients get one ``ops`` message per row (each has its own ``ts``), compact clients one
        message for all (their seqs follow each other). Each kind is built once, and only if
        someone reads it (the app asks for compact frames, so ``ops`` frames are often unused).
        """
        outbox, self._outbox = self._outbox, []
        if not outbox:
            return
        frames: bytes | None = None
        compact: bytes | None = None
        compact_peers = 0
        for peer in list(self.peers.values()):
            if peer.compact:
                if compact is None:
                    sops = [sop for _, _, row in outbox for sop in row]
                    compact = ws_frame(protocol.encode_compact_ops(sops))
                peer.send_frame(compact)
                compact_peers += 1
            else:
                if frames is None:
                    frames = b"".join(
                        ws_frame(protocol.encode_ops_frame(ts, ops)) for ts, ops, _ in outbox
                    )
                peer.send_frame(frames)
        if frames is not None:
            metrics.broadcast(len(frames), len(self.peers) - compact_peers)
        if compact is not None:
            metrics.broadcast(len(compact), compact_peers)

    async def _conflict(
        self, sops: list[dict[str, Any]], authors: dict[int, Peer], exc: StoreConflict
    ) -> None:
        """Another process appended first (our lock had expired): judge the ops again.

        Nothing of the tick was shown to anyone, so the document goes back to the last
        committed state and the ops go back to the front of the queue, as their authors sent
        them; the next tick catches up with the other process's rows and judges them anew.
        """
        log.warning("board %s: %s; judging the tick again", self.id, exc)
        await self._rewind()
        again: dict[int, list[dict[str, Any]]] = {}
        for sop in sops:
            op = {k: v for k, v in sop.items() if k not in ("s", "by")}
            again.setdefault(sop["by"], []).append(op)
        self._queue[:0] = [(authors[cid], ops) for cid, ops in again.items()]

    def remote_presence(self, event: dict[str, Any]) -> None:
        """A join, leave or cursors of clients connected to another process."""
        process = event.get("p", "")
        if "j" in event:
            cid, name, color = event["j"]
            info = {"id": cid, "name": name, "color": color}
            if cid not in self.remote:
                self._remote_joins.append(info)
            self.remote[cid] = (info, process)
        if "l" in event:
            for cid in event["l"]:
                if self.remote.pop(cid, None) is not None:
                    self._remote_leaves.append(cid)
                    self._remote_cursors.pop(cid, None)
        if "c" in event:
            for cid, x, y in event["c"]:
                if cid in self.remote:
                    self._remote_cursors[cid] = (x, y)
        self._schedule()

    async def _store_failed(
        self, sops: list[dict[str, Any]], authors: dict[int, Peer], exc: StoreError
    ) -> None:
        """The tick could not be stored (disk full): undo it, refuse it, go read-only a while.

        The document is rebuilt from the store, which holds exactly what was acknowledged, so
        nothing anyone has seen is lost and nothing unseen is kept. Edits are refused with
        ``read_only`` until ``readonly_retry_s`` has passed; the next edit after that tries the
        disk again, so the board recovers by itself once space returns.
        """
        log.warning("board %s is read-only for now: %s", self.id, exc)
        self.readonly_until = asyncio.get_running_loop().time() + self.settings.readonly_retry_s
        await self._rewind()
        for sop in sops:
            peer = authors.get(sop["by"])
            if peer is not None:
                metrics.refused("read_only")
                peer.send(protocol.encode_err("read_only", DISK_FULL, sop["c"]))

    async def _rewind(self) -> None:
        """Undo a tick that was not stored: the document as of the last committed op, read
        from the store (which holds exactly what anyone was shown)."""
        self.doc = await history.state_at(self.store, self.id, self.committed_seq, self.hub.limits)
        if self.doc.seq != self.committed_seq:
            raise StoreError(f"store holds seq {self.doc.seq}, expected {self.committed_seq}")
        self._wake_readers()

    def _remember(self, tick: _Tick) -> None:
        """Keep the tick; forget the oldest ones past ``resume_ops`` ops or ``resume_bytes``."""
        self.recent.append(tick)
        self._recent_ops += tick.last_seq - tick.first_seq + 1
        self._recent_bytes += len(tick.ops)
        while len(self.recent) > 1 and (
            self._recent_ops > self.settings.resume_ops
            or self._recent_bytes > self.settings.resume_bytes
        ):
            old = self.recent.popleft()
            self._recent_ops -= old.last_seq - old.first_seq + 1
            self._recent_bytes -= len(old.ops)

    def _ops_since(self, since: int) -> list[dict[str, Any]] | None:
        """Ops after ``since`` from memory, each with its ``ts``; None when too old to serve."""
        if since == self.doc.seq:
            return []
        if since > self.doc.seq or not self.recent or self.recent[0].first_seq > since + 1:
            return None
        out: list[dict[str, Any]] = []
        for tick in self.recent:
            if tick.last_seq <= since:
                continue
            for sop in msgpack.unpackb(tick.ops):
                if sop["s"] > since:
                    sop["ts"] = tick.ts
                    out.append(sop)
        return out

    def _admit_joins(self) -> None:
        joins, self._joins = self._joins, []
        if not joins:
            return
        limits = self.settings.limits()
        elements: list[dict[str, Any]] | None = None
        first: list[int] = []
        for peer, since in joins:
            peers = [_peer_info(p) for p in self.peers.values()]
            peers += [info for info, _ in self.remote.values()]
            ops = self._ops_since(since) if since is not None else None
            if ops is None and elements is None:
                elements = self.doc.elements()
                first = [self.doc.first_seq(e["id"]) or 0 for e in elements]
            extra: dict[str, Any] = {"readonly": peer.readonly, "token": peer.token}
            if ops is None:
                extra["first"] = first
            peer.send(
                protocol.encode_welcome(
                    board=self.id,
                    me=peer.client_id,
                    color=peer.color,
                    seq=self.doc.seq,
                    peers=peers,
                    elements=elements if ops is None else None,
                    ops=ops,
                    limits=limits,
                    extra=extra,
                )
            )
            self._send_all(ws_frame(protocol.encode_presence(join=[_peer_info(peer)])))
            self.peers[peer.client_id] = peer
            peer.admitted()
            if self.shared:
                self._share(self.cluster.peer_joined(self.id, _peer_info(peer), peer.token))

    def _send_presence(self) -> None:
        leaves, self._leaves = self._leaves, []
        cursors, self._cursors = self._cursors, {}
        cur = [[cid, x, y] for cid, (x, y) in cursors.items() if cid in self.peers]
        if self.shared:
            self._share_presence(leaves, cur)
            joins, self._remote_joins = self._remote_joins, []
            if joins:
                self._send_all(ws_frame(protocol.encode_presence(join=joins)))
            leaves += self._remote_leaves
            self._remote_leaves = []
            cur += [[cid, x, y] for cid, (x, y) in self._remote_cursors.items()]
            self._remote_cursors = {}
        if not leaves and not cur:
            return
        if not cur:
            self._send_all(ws_frame(protocol.encode_presence(leave=leaves)))
            return
        # Everyone gets every cursor but their own: one shared frame for those who sent no
        # cursor this tick, one frame each for those who did.
        shared = ws_frame(protocol.encode_presence(leave=leaves or None, cur=cur))
        for cid, peer in list(self.peers.items()):
            if cid in cursors:
                mine = [c for c in cur if c[0] != cid]
                if mine or leaves:
                    peer.send(protocol.encode_presence(leave=leaves or None, cur=mine or None))
            else:
                peer.send_frame(shared)
        metrics.broadcast(len(shared), len(self.peers) - len(cursors.keys() & self.peers.keys()))

    def _send_all(self, frame: bytes) -> None:
        """One shared frame to every client (a write can drop a slow one: iterate a copy)."""
        for peer in list(self.peers.values()):
            peer.send_frame(frame)
        metrics.broadcast(len(frame), len(self.peers))

    def _share_presence(self, leaves: list[int], cur: list[list[Any]]) -> None:
        """Tell the other processes of this tick's local leaves and cursors (one message each)."""
        if leaves:
            self._share(self.cluster.peers_left(self.id, list(leaves)))
        if cur:
            self._share(self.cluster.publish_presence(self.id, {"c": cur}))

    def _share(self, coro: Coroutine[Any, Any, None]) -> None:
        """Publish presence in the order it happened: a leave must never overtake its join
        (others would keep a ghost), so each waits for the one before it."""
        before = self._presence_tail

        async def in_turn() -> None:
            if before is not None and not before.done():
                await asyncio.wait([before])
            await self._publish(coro)

        self._presence_tail = self.hub.track(in_turn())

    async def _publish(self, coro: Coroutine[Any, Any, None]) -> None:
        """Presence is best effort: a lost cursor is redrawn next move, and a lost join or leave
        is corrected when the process's heartbeat stops or the client reconnects."""
        try:
            await coro
        except StoreError as exc:
            log.warning("board %s: presence not shared: %s", self.id, exc)

    # -- consistency for HTTP readers ------------------------------------------------------------

    async def committed_elements(self) -> tuple[int, list[dict[str, Any]]] | None:
        """The head state if it is committed now or after the tick in flight; else None."""
        for _ in range(3):
            if self.doc.seq == self.committed_seq:
                return self.doc.seq, self.doc.elements()
            try:
                await asyncio.wait_for(self._committed.wait(), timeout=2)
            except TimeoutError:
                return None
        return None

    # -- lifecycle -----------------------------------------------------------------------------

    def _fail(self) -> None:
        """A tick could not be stored: drop the board so nothing unstored is ever shown.

        Clients are closed with 1011 and reconnect; the board then reloads from the store,
        which holds exactly what was acknowledged.
        """
        self.failed = True
        self.closed = True  # no more ticks: a reloaded Board takes over
        self.hub.forget(self)
        joiners = [peer for peer, _ in self._joins]
        self._joins, self._queue, self._remote_rows = [], [], []
        for peer in [*self.peers.values(), *joiners]:
            close = getattr(peer, "close_for_error", None)
            if close is not None:
                close()
        self.peers.clear()

    def _cancel_unload(self) -> None:
        if self._unload_handle is not None:
            self._unload_handle.cancel()
            self._unload_handle = None

    def _maybe_schedule_unload(self) -> None:
        if self.peers or self._joins or self._unload_handle is not None:
            return
        loop = asyncio.get_running_loop()
        self._unload_handle = loop.call_later(
            self.settings.idle_unload_s, lambda: self.hub.track(self.unload())
        )

    def idle(self) -> bool:
        return (
            not self.peers
            and not self._joins
            and not self._joining
            and not self._queue
            and not self._ticking
        )

    async def unload(self) -> None:
        self._unload_handle = None
        if not self.idle():
            return
        self.hub.forget(self)
        await self.save_checkpoint()

    async def save_checkpoint(self) -> None:
        if self.committed_seq > self.checkpoint_seq and self.doc.seq == self.committed_seq:
            cp = await _pack_state(self.doc)
            await self.store.save_checkpoint(self.id, cp)
            self.checkpoint_seq = cp.seq

    async def drain(self) -> None:
        """Let queued ops and the tick in flight finish (graceful shutdown)."""
        for _ in range(100):
            if not self._ticking and not self._queue and self._tick_handle is None:
                break
            if self._tick_handle is not None and not self._ticking:
                self._tick_handle.cancel()
                self._start_tick()
            await asyncio.sleep(0.005)
        self.closed = True
        self._cancel_unload()
        await self.save_checkpoint()


class Hub:
    """The boards loaded in this process, by id. Loading is shared by concurrent joiners."""

    def __init__(self, store: Store, settings: Settings, cluster: Cluster | None = None) -> None:
        self.store = store
        self.cluster = cluster if cluster is not None else SoloCluster()
        self.settings = settings
        self.limits = Limits.from_object(settings)
        self.boards: dict[str, Board] = {}
        self._loading: dict[str, asyncio.Future[Board]] = {}
        self.sockets: set[Any] = set()
        self.ip_connections: Counter[str] = Counter()
        self._tasks: set[asyncio.Future[None]] = set()  # background jobs shutdown waits for
        self.shared = self.cluster.shared
        self._early: dict[str, list[LogRow]] = {}  # rows heard while their board loads
        self._early_presence: dict[str, list[dict[str, Any]]] = {}
        self._reaper: asyncio.Task[None] | None = None
        if self.shared:
            self.cluster.listen(self._on_row, self._on_presence, self._revive)

    def loaded(self, board_id: str) -> Board | None:
        return self.boards.get(board_id)

    async def get(self, board_id: str) -> Board:
        board = self.boards.get(board_id)
        if board is not None:
            return board
        pending = self._loading.get(board_id)
        if pending is None:
            pending = asyncio.ensure_future(self._load(board_id))
            self._loading[board_id] = pending
            try:
                return await pending
            finally:
                self._loading.pop(board_id, None)
        return await asyncio.shield(pending)

    async def _load(self, board_id: str) -> Board:
        if self.shared:
            # Subscribed before reading, so that no row committed meanwhile is missed: rows
            # heard during the load wait in _early and are applied by the board's first tick.
            self._early[board_id] = []
            self._early_presence[board_id] = []
            try:
                await self.cluster.subscribe(board_id)
                remote = await self.cluster.remote_peers(board_id)
                board = await self._read(board_id)
            except BaseException:
                self.track(self.cluster.unsubscribe(board_id))
                raise
            finally:
                early = self._early.pop(board_id)
                presence = self._early_presence.pop(board_id)
            board.remote = remote
            for row in early:
                board.remote_row(row)
            for event in presence:  # heard after the peers were read: newer
                board.remote_presence(event)
            if self._reaper is None:
                self._reaper = asyncio.ensure_future(self._reap_forever())
            return board
        return await self._read(board_id)

    async def _read(self, board_id: str) -> Board:
        loaded = await self.store.load(board_id)
        doc = build_document(loaded, self.limits)
        board = Board(board_id, doc, self.store, self.settings, self)
        board.checkpoint_seq = loaded.checkpoint.seq if loaded.checkpoint else 0
        for row in loaded.rows:
            board._remember(_Tick(row.first_seq, row.last_seq, row.ts, row.ops))
        board.committed_seq = doc.seq
        board.next_client_id = loaded.next_client_id
        board.key_hash = loaded.key_hash
        doc.blobs = loaded.blobs
        self.boards[board_id] = board
        return board

    def track(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run a background job that shutdown waits for (a board's unload)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def forget(self, board: Board) -> None:
        if self.boards.get(board.id) is board:
            del self.boards[board.id]
            if self.shared:
                self.track(self.cluster.unsubscribe(board.id))

    # -- scale-out -----------------------------------------------------------------------------

    def _on_row(self, board_id: str, row: LogRow) -> None:
        early = self._early.get(board_id)
        if early is not None:
            early.append(row)
        board = self.boards.get(board_id)
        if board is not None:
            board.remote_row(row)

    def _on_presence(self, board_id: str, event: dict[str, Any]) -> None:
        early = self._early_presence.get(board_id)
        if early is not None:
            early.append(event)
            return
        board = self.boards.get(board_id)
        if board is not None:
            board.remote_presence(event)

    def _revive(self) -> None:
        """Others took this process for dead and announced its clients as gone: say again
        that they are here (in order, after anything this board was still publishing)."""
        for board in self.boards.values():
            for peer in list(board.peers.values()):
                board._share(self.cluster.peer_joined(board.id, _peer_info(peer), peer.token))

    async def _reap_forever(self) -> None:
        """Announce as gone the clients of processes that stopped beating (killed, cut off)."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._reap()
            except StoreError as exc:
                log.warning("could not check other processes: %s", exc)

    async def _reap(self) -> None:
        boards = list(self.boards.values())
        # A row whose message was lost (a subscription that reconnected) shows here as a head
        # ahead of ours, even on a board where nothing else happens.
        for board, head in zip(boards, await self.store.heads([b.id for b in boards]), strict=True):
            board.fell_behind(head)
        if not any(board.remote for board in boards):
            return
        alive = await self.cluster.live_processes()
        for board in list(self.boards.values()):
            gone = [cid for cid, (_, proc) in board.remote.items() if proc not in alive]
            if gone:
                board.remote_presence({"l": gone})
                await self.cluster.forget_peers(board.id, gone)

    async def shutdown(self) -> None:
        """Finish every board's tick in flight and checkpoint it (SIGTERM)."""
        if self._reaper is not None:
            self._reaper.cancel()
        for board in list(self.boards.values()):
            await board.drain()
            if self.shared and board.peers:
                # The sockets close next: tell the other processes now, while the board can.
                await board._publish(self.cluster.peers_left(board.id, list(board.peers)))
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)


def build_document(loaded: LoadedBoard, limits: Limits) -> Document:
    """The latest checkpoint plus the log after it."""
    after = loaded.checkpoint.seq if loaded.checkpoint else 0
    sops = [sop for row in loaded.rows for sop in msgpack.unpackb(row.ops) if sop["s"] > after]
    return history.replay(loaded.checkpoint, sops, limits)


def color_of(client_id: int) -> str:
    """The presence colour of a client id; history and forks reuse it for stored authors."""
    return PALETTE[(client_id - 1) % len(PALETTE)]


def hash_key(key: str) -> str:
    """Edit keys are long random tokens, so one round of SHA-256 is enough to store them."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str | None, key_hash: str) -> bool:
    return key is not None and hmac.compare_digest(hash_key(key), key_hash)


def _peer_info(peer: Peer) -> dict[str, Any]:
    return {"id": peer.client_id, "name": peer.name, "color": peer.color}


async def _pack_state(doc: Document) -> Checkpoint:
    """The checkpoint at ``doc.seq``, costing the IOLoop a few ms on any board (checkpoint.py)."""
    return await take_checkpoint(doc)
