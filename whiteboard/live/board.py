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
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any

from whiteboard import metrics
from whiteboard.codec import row_ops
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.elements import compact_op, size_of
from whiteboard.history.checkpoint import take as take_checkpoint
from whiteboard.live.broadcast import Outbox, send_rows
from whiteboard.live.budget import board_cap
from whiteboard.live.faults import Faults
from whiteboard.live.judge import DISK_FULL, Judged, Queue, build_document, judge
from whiteboard.live.members import Members
from whiteboard.live.presence import Presence
from whiteboard.live.quota import Quota
from whiteboard.live.replica import NOTHING, Replica
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import CLOSE_REPLACED, Session
from whiteboard.live.ticker import Append, Plan, Ticker
from whiteboard.protocol import Limits
from whiteboard.store.base import Client, LoadedBoard, LogRow, Store, StoreConflict, StoreError

log = logging.getLogger(__name__)

DRAIN_TICKS = 100  # at shutdown, at most this many more ticks for ops still arriving
# A tick costs about one write per client, so a board ticks at most once per this many seconds
# per client (capped at tick_ms): a board of four never waits, one of a thousand batches 5 ms.
SPACING_PER_CLIENT_S = 5e-6


class Board(Members, Faults):
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
        for op in ops:
            compact_op(op)
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
        Presence wakes the board when views are due (``view_interval``)."""
        self.presence.view(session, vp)

    def summon(self, session: Session) -> None:
        if session.admitted:
            self.presence.summon(session)
            self.wake()

    # -- the tick ------------------------------------------------------------------------------

    def _spacing(self) -> float:
        """Asked at every wake (every op): a board of N clients waits N x 5 us at most on an
        idle loop, up to five times that on a busy one (``loopload.py``), never past tick_ms."""
        stretch = self.ticker.scheduler.load.stretch()
        return min(self.ticker.relaxed, len(self.peers) * SPACING_PER_CLIENT_S * stretch)

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
        readonly = self.ticker.scheduler.loop.time() < self.readonly_until
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

    def queued(self) -> int:
        """Roughly the memory of the ops waiting for the next tick (the budget counts it), by the
        rule that estimates an element's (``size_of``: a fixed cost and its points' values, an
        add's element or an append's points). Summed from the queue, which every tick empties,
        so it is exact whatever put ops in or took them out."""
        return sum(size_of(op.get("e", op)) for _, ops in self._queue for op in ops)

    def unsent(self) -> int:
        """The most bytes any of its clients has waiting to be written (the memory budget
        counts them). The largest, not the sum: what waits is mostly the board's broadcasts,
        one frame held by reference for every client that has not read it yet."""
        return max((peer.unsent() for peer in self.peers.values()), default=0)

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
        # With ops and presence both going out, each client gets them in one write.
        held = None
        if self._outbox and self.presence.pending():
            held = list(self.peers.values())
            for session in held:
                session.hold()
        try:
            self._flush_out()  # before the joins: their welcome already holds these rows
            self._admit_joins()
            self.presence.flush(self.peers)
        finally:
            for session in held or ():
                session.release()

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

    # -- lifecycle -----------------------------------------------------------------------------

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
