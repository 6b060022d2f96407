"""The tick: a board's queued ops judged, committed and broadcast, and its clients admitted.

A board advances only in ticks (``docs/architecture.md``, "How an edit flows"): the ops queued
since the last tick are applied in arrival order, appended to the store as one row, and only
once the store has committed them is one ``ops`` frame encoded and the same bytes written to
every connection, author included. Connections that said ``hello`` meanwhile are admitted right
after that broadcast, so their ``welcome`` is exactly the state the others have just seen and no
op can fall between the two. Presence (joins, leaves, cursors) is coalesced into the same tick.

What other processes serving the board change (``--redis``) is the replica's business
(``replica.py``); presence is ``presence.py``'s, the rows kept for ``since`` ``resume.py``'s.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any

from whiteboard import metrics, protocol
from whiteboard.codec import row_ops
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history import state as history
from whiteboard.history.checkpoint import refresh as refresh_cache
from whiteboard.history.checkpoint import take as take_checkpoint
from whiteboard.keys import key_matches
from whiteboard.live.broadcast import Outbox, send_rows
from whiteboard.live.budget import board_cap
from whiteboard.live.judge import DISK_FULL, Judged, Queue, build_document, judge, refuse
from whiteboard.live.presence import Presence, color_of
from whiteboard.live.quota import Quota
from whiteboard.live.replica import NOTHING, Replica
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import Session, Transport
from whiteboard.live.ticker import Append, Plan, Ticker
from whiteboard.live.welcome import Welcomes
from whiteboard.protocol import Hello, Limits
from whiteboard.store.base import Client, LoadedBoard, LogRow, Store, StoreConflict, StoreError

log = logging.getLogger(__name__)

CLOSE_REPLACED = (protocol.CLOSE_NORMAL, "replaced by a newer connection of this client")
CLOSE_FAILED = (protocol.CLOSE_SERVER_ERROR, "the server could not store the board; reconnect")
DRAIN_TICKS = 100  # at shutdown, at most this many more ticks for ops still arriving
# A tick costs about one write per client, so a board ticks at most once per this many seconds
# per client (capped at tick_ms): a board of four never waits, one of a thousand batches 5 ms.
SPACING_PER_CLIENT_S = 5e-6


class Board:
    """One board in memory. All methods run on the IOLoop; only ``tick`` awaits (the store).

    Its owner hears of it through two callbacks: ``on_idle`` (its last client left: unload it
    if it stays ``idle()``) and ``on_failed`` (the store failed it: it must leave memory).
    """

    def __init__(
        self,
        board_id: str,
        loaded: LoadedBoard,
        store: Store,
        settings: Settings,
        replica: Replica,
        *,
        on_idle: Callable[[Board], None] | None = None,
        on_failed: Callable[[Board], None] | None = None,
        doc: Document | None = None,
        quota: Quota | None = None,
    ) -> None:
        """``doc``: ``build_document(loaded, ...)`` when the owner built it already (off the
        loop: ``registry.Hub``)."""
        self.id = board_id
        self.doc = doc if doc is not None else build_document(loaded, Limits.from_object(settings))
        self.doc.blobs = loaded.blobs  # an image must name one of these (the Document checks)
        self.doc.max_mem = board_cap(settings)  # board_full past its share of --memory-mb
        self.store = store
        self.settings = settings
        self.replica = replica
        self.committed_seq = self.doc.seq
        self.checkpoint_seq = loaded.checkpoint.seq if loaded.checkpoint else 0
        self.key_hash = loaded.key_hash  # set for protected boards: only the key may edit
        self.quota = quota  # --board-mb, --disk-mb: edits past them are refused (board_full)
        self.stored_bytes = loaded.stored_bytes  # its log and pictures, as the quota counts
        self.readonly_until = 0.0  # the store failed: refuse edits until then, then retry
        self.peers: dict[int, Session] = {}
        self.ticker = Ticker(
            self._begin_tick, self._pending, self._spacing, self._crashed, settings.tick_ms / 1000
        )
        self.wake = self.ticker.wake  # schedules the next tick: something is waiting for it
        self.presence = Presence(replica, self.ticker.wake_relaxed)
        self.recent = ResumeBuffer(settings.resume_ops, settings.resume_bytes)
        for row in loaded.rows:
            self.recent.remember(row)
        self._queue: Queue = []
        self._joins: list[tuple[Session, int | None]] = []
        self._joining = 0
        self.failed = False
        # A tick's committed rows (others' and ours), written to each client in one go.
        self._outbox: Outbox = []
        self._on_idle = on_idle
        self._on_failed = on_failed
        replica.bind(self, loaded)

    @property
    def ticking(self) -> bool:
        return self.ticker.ticking

    # -- input ---------------------------------------------------------------------------------

    def submit(self, session: Session, ops: list[dict[str, Any]]) -> None:
        """Queue a client's ops for the next tick; ops sent before its welcome wait for it."""
        if session.admitted:
            self._queue.append((session, ops))
            self.wake()
        else:
            session.early.append(ops)

    def cursor(self, session: Session, x: float | None, y: float | None) -> None:
        if session.admitted:
            self.presence.cursor(session.client_id, x, y)
            self.ticker.wake_relaxed()  # at most every tick_ms: cursors come 30 times a second

    def laser(self, session: Session, x: float, y: float) -> None:
        if session.admitted:
            self.presence.laser(session.client_id, x, y)
            self.ticker.wake_relaxed()

    def view(self, session: Session, vp: list[float]) -> None:
        """Kept even before the welcome: the roster then shows it from the first tick.
        Presence wakes the board when views are due (``VIEW_EVERY_S``)."""
        self.presence.view(session, vp)

    def summon(self, session: Session) -> None:
        if session.admitted:
            self.presence.summon(session)
            self.wake()

    async def join(
        self,
        transport: Transport,
        hello: Hello,
        *,
        readonly: bool | None = None,
        who: object = None,
    ) -> Session:
        """Give the client an id (the replica makes it durable), then admit it at the end of a
        tick. Its name is stored with its first op (``_store_authors``), not now: most
        connections only look, and each would leave a row for ever.

        ``hello.prev`` is the (client id, token) of the connection this one replaces: that one
        is dropped now, with any ops it still has queued, so nothing it sends late can be
        committed after this welcome (the client resends those ops itself).

        ``readonly``, when given, is the web layer's decision (an owned board, ``web/auth/``)
        and wins over the edit key; ``who`` is kept on the session for ``regrant``.
        """
        name, since, prev = hello.name, hello.since, hello.prev
        # Counted until the joiner is queued, so an idle unload cannot drop the board under it
        # (which would leave two Boards with one id).
        self._joining += 1
        try:
            if prev is not None:
                if prev[0] in self.peers:
                    self._evict(*prev)
                else:
                    await self.replica.retire(*prev)
            client_id = await self.replica.client_id()
            # What its welcome will list, packed in a thread now rather than on the loop then.
            await refresh_cache(self.doc)
            session = Session(
                transport,
                client_id,
                name,
                color_of(client_id),
                readonly=(
                    readonly
                    if readonly is not None
                    else self.key_hash is not None and not key_matches(hello.key, self.key_hash)
                ),
                token=secrets.token_urlsafe(12),
                compact=hello.compact,
                who=who,
            )
        finally:
            self._joining -= 1
        if self.failed:
            raise StoreError("the board was dropped while this client joined")
        if since is not None and since > self.doc.seq:
            self.replica.client_ahead()
        self._joins.append((session, since))
        self.wake()
        return session

    def regrant(self, judge: Callable[[Session], bool | None]) -> None:
        """The board's access changed (a share, the link, a rotated edit key): ``judge`` says
        of each client whether it is now read-only, or None if it may no longer watch. A client
        whose access changed is closed, so that it joins again under the new rule (its app
        reconnects and resumes); one refused is closed for good (1008, with the reason)."""
        for session in list(self.peers.values()) + [s for s, _ in self._joins]:
            now_readonly = judge(session)
            if now_readonly is None:
                self.leave(session)
                session.close(protocol.CLOSE_POLICY, "access to this board was withdrawn")
            elif now_readonly != session.readonly:
                self.leave(session)
                session.close(protocol.CLOSE_TRY_AGAIN, "your access changed: reconnecting")

    def _evict(self, client_id: int, token: str) -> None:
        old = self.peers.get(client_id)
        if old is not None and hmac.compare_digest(old.token, token):
            self.leave(old)
            old.close(*CLOSE_REPLACED)

    def leave(self, session: Session) -> None:
        """Forget a client now; the others hear of it in the next tick, not when TCP closes."""
        if self.peers.get(session.client_id) is session:
            del self.peers[session.client_id]
            self.presence.left(session.client_id)
            self.wake()
        else:
            self._joins = [(s, since) for s, since in self._joins if s is not session]
        self._queue = [(s, ops) for s, ops in self._queue if s is not session]
        if not (self.peers or self._joins or self.ticker.closed) and self._on_idle is not None:
            self._on_idle(self)

    # -- the tick ------------------------------------------------------------------------------

    def _spacing(self) -> float:
        """Asked at every wake (every op): a board of N clients waits N x 5 us at most."""
        return min(self.ticker.relaxed, len(self.peers) * SPACING_PER_CLIENT_S)

    def _begin_tick(self) -> Plan:
        """The tick's first half, in the scheduler's round (``ticker.py``).

        With a ``Solo`` replica (one process) nothing needs awaiting before the ops are
        judged, so the row goes to the round's group commit and ``_settle`` finishes the tick
        when the store answers. Other ticks (Redis: lock and catch up first; a checkpoint due)
        run whole as a coroutine.
        """
        if not self.replica.immediate:
            return self._run_tick(self.tick())
        started = time.perf_counter() if self._queue else 0.0
        queued, self._queue = self._queue, []
        readonly = asyncio.get_running_loop().time() < self.readonly_until
        judged = self._judge(queued, readonly)
        if judged is None:
            self._end_tick()
            return None
        first, last = judged.row.first_seq, judged.row.last_seq
        every = self.settings.checkpoint_every
        new_author = any(not session.stored for session in judged.authors.values())
        if new_author or self.replica.checkpoint_due(first, last, self.checkpoint_seq, every):
            # A checkpoint, or someone's first op (its client row goes first): a whole tick.
            return self._run_tick(self._finish(judged, started))
        return Append(self.store, self.id, judged.row, partial(self._settle, judged, started))

    def _settle(
        self, judged: Judged, started: float, error: BaseException | None
    ) -> Coroutine[Any, Any, None] | None:
        """The tick's second half once the round's group commit answered for its row."""
        if error is None:
            self._stored(judged)
            self._end_tick()
            if started:
                metrics.tick_took(time.perf_counter() - started)
            return None
        if isinstance(error, StoreError):
            return self._run_tick(self._not_stored(judged, error))
        raise error

    async def _not_stored(self, judged: Judged, error: StoreError) -> None:
        if isinstance(error, StoreConflict):
            await self._conflict(judged.accepted, judged.authors, error)
        else:
            await self._store_failed(judged.accepted, judged.authors, error)
        self._end_tick()

    async def _finish(self, judged: Judged, started: float) -> None:
        """A tick that stores a checkpoint with its row (every ``checkpoint_every`` ops)."""
        await self._store(judged)
        self._end_tick()
        metrics.tick_took(time.perf_counter() - started)

    async def _run_tick(self, tick: Coroutine[Any, Any, None]) -> None:
        try:
            await tick
        except Exception as exc:
            self._crashed(exc)

    def _crashed(self, exc: BaseException) -> None:
        if isinstance(exc, StoreError):
            # The store is unreachable or refused even the reads that undo a tick: clients are
            # closed and reconnect; the board reloads from what the store holds.
            log.warning("board %s dropped: %s", self.id, exc)
        else:
            log.error("tick failed on board %s", self.id, exc_info=exc)
        self._fail()

    def queued_ops(self) -> int:
        """Ops waiting for the next tick (the memory budget counts them)."""
        return sum(len(ops) for _, ops in self._queue)

    def _pending(self) -> bool:
        return bool(self._queue or self._joins or self.presence.pending() or self.replica.pending())

    async def tick(self) -> None:
        """A whole tick that awaits (Redis mode: the replica locks and catches up first)."""
        started = time.perf_counter() if self._queue else 0.0
        try:
            await self._advance()
        finally:
            self._flush_out()  # before the joins: their welcome already holds these rows
        self._admit_joins()
        self.presence.flush(self.peers)
        if started:
            metrics.tick_took(time.perf_counter() - started)

    def _end_tick(self) -> None:
        self._flush_out()  # before the joins: their welcome already holds these rows
        self._admit_joins()
        self.presence.flush(self.peers)

    async def _advance(self) -> None:
        """Catch up with other processes, then judge, store and queue this tick's ops."""
        queued, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        readonly = loop.time() < self.readonly_until
        try:
            caught = await self.replica.catch_up(self.doc.seq, queued, readonly)
        except StoreError as exc:
            # The board could not be locked (Redis full, or unreachable): as with a full disk.
            self._read_only_for_now(exc)
            readonly = True
            caught = NOTHING
        for row in caught.rows:
            self._apply_row(row)
        if caught.retired:
            queued = self._drop_retired(queued, caught.retired)
        appended = False
        try:
            judged = self._judge(queued, readonly)
            appended = judged is not None and await self._store(judged)
        finally:
            if caught.locked and not appended:
                await self.replica.unlock()  # an append releases the lock, stored or not

    def _judge(self, queued: Queue, readonly: bool) -> Judged | None:
        """Apply the queued ops (``judge.py``); refused all at once while the store cannot take
        them (read-only for now) or the board is past ``--board-mb``."""
        refusal = None
        if readonly:
            refusal = ("read_only", DISK_FULL)
        elif self.quota is not None and queued:
            full = self.quota.board_refusal(self.stored_bytes)
            refusal = ("board_full", full) if full else None
        return judge(self.doc, self.peers, queued, refusal)

    async def _store(self, judged: Judged) -> bool:
        """Store the row (with a checkpoint when one is due) and queue it for everyone.

        True when the store answered an append (which, in Redis, releases the board's lock).
        """
        accepted, authors, row = judged
        checkpoint = None
        every = self.settings.checkpoint_every
        if self.replica.checkpoint_due(row.first_seq, row.last_seq, self.checkpoint_seq, every):
            # Costs the IOLoop a few ms on any board (history/checkpoint.py).
            checkpoint = await take_checkpoint(self.doc)
        try:
            await self._store_authors(authors)
            with metrics.store_commit():
                await self.store.append(self.id, row, checkpoint)
        except StoreConflict as exc:
            await self._conflict(accepted, authors, exc)
            return True
        except StoreError as exc:
            await self._store_failed(accepted, authors, exc)
            return False
        if checkpoint is not None:
            self.checkpoint_seq = checkpoint.seq
        self._stored(judged)
        return True

    def _stored(self, judged: Judged) -> None:
        """The row is committed: it may be shown (and resumed from, and read over HTTP)."""
        self.committed_seq = judged.row.last_seq
        self.stored_bytes += len(judged.row.ops)
        if self.quota is not None:
            self.quota.wrote(len(judged.row.ops))
        self.recent.remember(judged.row)
        self._outbox.append((judged.row.ts, judged.row.ops, judged.accepted))
        metrics.committed(len(judged.accepted))

    async def _store_authors(self, authors: dict[int, Session]) -> None:
        """The client rows of this tick's first-time authors, before the row that names them:
        history attributes every op to a stored client."""
        for session in authors.values():
            if not session.stored:
                await self.store.add_client(
                    self.id, Client(session.client_id, session.name, session.color)
                )
                session.stored = True

    def _apply_row(self, row: LogRow) -> None:
        """A row another process committed: applied, kept for ``since``, and broadcast."""
        if row.last_seq <= self.doc.seq:
            return
        sops = row_ops(row, self.doc.seq)
        for sop in sops:
            self.doc.apply_sop(sop)
        self.committed_seq = self.doc.seq
        self.stored_bytes += len(row.ops)
        if self.quota is not None:
            self.quota.wrote(len(row.ops))
        self.recent.remember(row)
        self._outbox.append((row.ts, row.ops, sops))

    def _drop_retired(self, queued: Queue, retired: set[int]) -> Queue:
        """Connections that a reconnect on another process took over: their queued ops are
        the client's to resend there, so they are dropped here unjudged, and they close."""
        self.retired_elsewhere(retired)
        return [(s, ops) for s, ops in queued if s.client_id not in retired]

    def retired_elsewhere(self, ids: Iterable[int]) -> None:
        """Close these clients' connections here, dropping what they still have queued (the
        client resends it on the process it moved to, whose welcome waited for our lock)."""
        for cid in ids:
            old = self.peers.get(cid)
            if old is not None:
                self.leave(old)
                old.close(*CLOSE_REPLACED)

    def _flush_out(self) -> None:
        outbox, self._outbox = self._outbox, []
        if outbox:
            send_rows(self.peers, outbox)

    async def _conflict(
        self, sops: list[dict[str, Any]], authors: dict[int, Session], exc: StoreConflict
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

    async def _store_failed(
        self, sops: list[dict[str, Any]], authors: dict[int, Session], exc: StoreError
    ) -> None:
        """The tick could not be stored (disk full): undo it, refuse it, go read-only a while.

        The document is rebuilt from the store, which holds exactly what was acknowledged, so
        nothing anyone has seen is lost and nothing unseen is kept. Edits are refused with
        ``read_only`` until ``readonly_retry_s`` has passed; the next edit after that tries the
        disk again, so the board recovers by itself once space returns.
        """
        self._read_only_for_now(exc)
        await self._rewind()
        for sop in sops:
            session = authors.get(sop["by"])
            if session is not None:
                refuse(session, "read_only", DISK_FULL, sop["c"])

    def _read_only_for_now(self, exc: StoreError) -> None:
        log.warning("board %s is read-only for now: %s", self.id, exc)
        self.readonly_until = asyncio.get_running_loop().time() + self.settings.readonly_retry_s

    async def _rewind(self) -> None:
        """Undo a tick that was not stored: the document as of the last committed op, read
        from the store (which holds exactly what anyone was shown)."""
        blobs, max_mem = self.doc.blobs, self.doc.max_mem
        self.doc = await history.state_at(self.store, self.id, self.committed_seq, self.doc.limits)
        self.doc.blobs, self.doc.max_mem = blobs, max_mem
        if self.doc.seq != self.committed_seq:
            raise StoreError(f"store holds seq {self.doc.seq}, expected {self.committed_seq}")

    def _admit_joins(self) -> None:
        joins, self._joins = self._joins, []
        if not joins:
            return
        welcomes = Welcomes(self.id, self.doc, self.recent, self.settings.limits())
        for session, since in joins:
            session.send_parts(welcomes.encode(session, since, self.presence.roster(self.peers)))
            self.presence.joined(session, self.peers)
            self.peers[session.client_id] = session
            session.admitted = True
            if session.early:  # sent before the welcome: handled now, in order
                self._queue += [(session, ops) for ops in session.early]
                session.early = []

    # -- lifecycle -----------------------------------------------------------------------------

    def _fail(self) -> None:
        """A tick could not be stored: drop the board so nothing unstored is ever shown.

        Clients are closed with 1011 and reconnect; the board then reloads from the store,
        which holds exactly what was acknowledged.
        """
        self.failed = True
        self.ticker.closed = True  # no more ticks: a reloaded Board takes over
        if self._on_failed is not None:
            self._on_failed(self)
        joiners = [session for session, _ in self._joins]
        self._joins, self._queue = [], []
        for session in [*self.peers.values(), *joiners]:
            session.close(*CLOSE_FAILED)
        self.peers.clear()

    async def shut(self, code: int, reason: str) -> None:
        """Close every client now (the board was deleted), let the tick in flight finish, and
        tick no more. Joiners still storing their id are refused as after a failure."""
        self.failed = True
        joiners = [session for session, _ in self._joins]
        self._joins, self._queue = [], []
        sessions = [*self.peers.values(), *joiners]
        self.peers.clear()
        for session in sessions:
            session.close(code, reason)
        await self.ticker.drain(1)

    def idle(self) -> bool:
        return (
            not self.peers
            and not self._joins
            and not self._joining
            and not self._queue
            and not self.ticker.ticking
        )

    async def save_checkpoint(self) -> None:
        if self.committed_seq > self.checkpoint_seq and self.doc.seq == self.committed_seq:
            cp = await take_checkpoint(self.doc)
            await self.store.save_checkpoint(self.id, cp)
            self.checkpoint_seq = cp.seq

    async def drain(self) -> None:
        """Let queued ops and the tick in flight finish (graceful shutdown)."""
        await self.ticker.drain(DRAIN_TICKS)
        await self.save_checkpoint()
