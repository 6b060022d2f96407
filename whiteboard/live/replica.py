"""What changes when other processes serve the same board: one ``Replica`` per loaded board.

``Solo`` is one process owning its boards (SQLite): client ids come from a counter, nothing
happens before a tick, nothing is published. ``Shared`` is one of several processes serving a
board from Redis (``--redis``): a process no longer owns its boards, so before judging ops it
takes the board's lock and applies what the others committed, it gets client ids from the store,
and it tells the others of its clients' presence. The board calls the same methods either way
and never asks which one it has.

``Shared`` talks to two objects: ``store`` for the data (the log, client ids, heads) and
``cluster`` for the coordination (locks, retired connections, presence across processes,
liveness; ``whiteboard/cluster/``).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NamedTuple, Protocol

from whiteboard.cluster.base import Cluster
from whiteboard.live.presence import InOrder, RemotePeers, best_effort
from whiteboard.live.session import Session
from whiteboard.store.base import LoadedBoard, LogRow, Store, StoreError

log = logging.getLogger(__name__)

Queued = Sequence[tuple[Session, list[dict[str, Any]]]]
Run = Callable[[Coroutine[Any, Any, None]], "asyncio.Future[None]"]


class Host(Protocol):
    """What a replica sees of its board."""

    committed_seq: int

    @property
    def ticking(self) -> bool: ...

    def wake(self) -> None:
        """Schedule a tick (rows or a lock are waiting)."""


class CatchUp(NamedTuple):
    """What a tick must do before judging its ops."""

    rows: list[LogRow]  # committed by others: apply in order (each row's ops after the head)
    retired: set[int]  # clients whose connection here a reconnect elsewhere took over
    locked: bool  # the board's lock is held: the append releases it, or ``unlock`` must


NOTHING = CatchUp([], set(), False)


class Replica(ABC):
    """One loaded board's relation to the other processes serving it."""

    immediate = False
    """Whether ``catch_up`` never has anything to do, so that a tick can judge its ops at once
    and join the scheduler's group commit without awaiting (``ticker.py``)."""

    @abstractmethod
    def bind(self, host: Host, loaded: LoadedBoard) -> None:
        """The board was read (``loaded``) and is in memory as ``host``."""

    @abstractmethod
    async def client_id(self) -> int:
        """A new client id, never used before on this board."""

    @abstractmethod
    async def retire(self, client_id: int, token: str) -> None:
        """A client reconnected (``hello.prev``) and its old connection is not in this
        process: the process that has it must drop its queued ops before this welcome."""

    @abstractmethod
    def client_ahead(self) -> None:
        """A joining client has seen ops (``since``) that have not reached this process."""

    @abstractmethod
    async def catch_up(self, seq: int, queued: Queued, readonly: bool) -> CatchUp:
        """Before judging ``queued`` against the document at ``seq``. Raises ``StoreError``
        when ops are queued and the board cannot be locked (they are then refused)."""

    @abstractmethod
    async def unlock(self) -> None:
        """Give back the lock of a tick that ended without an append."""

    @abstractmethod
    def checkpoint_due(self, first: int, last: int, checkpoint_seq: int, every: int) -> bool:
        """Whether the tick storing ops ``first..last`` also stores a checkpoint."""

    @abstractmethod
    def pending(self) -> bool:
        """Whether a tick is owed for the replica's sake (rows to apply, a lock to take)."""

    @abstractmethod
    def received(self, row: LogRow) -> None:
        """A row some process committed (the store's channel): applied at the next tick."""

    @abstractmethod
    def check_head(self, head: int) -> None:
        """The store's head of this board, read now: a row whose message was lost shows here."""

    @abstractmethod
    def joined(self, info: dict[str, Any], token: str) -> None:
        """Tell the other processes of a client admitted here."""

    @abstractmethod
    def share(self, leaves: list[int], event: dict[str, Any]) -> None:
        """Tell the other processes of this tick's local leaves, and of its ephemeral presence
        (``event``: cursors, views, laser points, summons, keyed as ``presence.py`` names them)."""

    @abstractmethod
    async def depart(self, ids: list[int]) -> None:
        """This process is stopping: its clients here are gone (said now, while it can)."""

    @abstractmethod
    async def subscribe(self) -> RemotePeers:
        """Before the board is read: hear of rows from now on; the clients of other processes."""

    @abstractmethod
    async def unsubscribe(self) -> None:
        """The board left memory: stop hearing of it."""


class Solo(Replica):
    """The only process serving its boards: nothing to catch up with, nobody to tell."""

    immediate = True

    def __init__(self, board_id: str = "", store: Store | None = None) -> None:
        self.board_id = board_id
        self.store = store
        self.next_client_id = 1

    def bind(self, host: Host, loaded: LoadedBoard) -> None:
        # Never back: an opening board (``live/opening.py``) may have given ids already.
        self.next_client_id = max(self.next_client_id, loaded.next_client_id)

    async def client_id(self) -> int:
        """Counted here; reserved in the store before the welcome shows it (PROTOCOL.md: the
        id is durable and never given again), as one number per board rather than a row per
        connection (the row waits for the client's first op)."""
        client_id = self.next_client_id
        self.next_client_id += 1
        if self.store is not None:
            await self.store.reserve_client_id(self.board_id, client_id)
        return client_id

    async def retire(self, client_id: int, token: str) -> None:
        return None  # no other process: a connection that is not here is gone already

    def client_ahead(self) -> None:
        return None  # nothing is ahead of the only process: the welcome holds the whole board

    async def catch_up(self, seq: int, queued: Queued, readonly: bool) -> CatchUp:
        return NOTHING

    async def unlock(self) -> None:
        return None

    def checkpoint_due(self, first: int, last: int, checkpoint_seq: int, every: int) -> bool:
        return last - checkpoint_seq >= every

    def pending(self) -> bool:
        return False

    def received(self, row: LogRow) -> None:
        return None

    def check_head(self, head: int) -> None:
        return None

    def joined(self, info: dict[str, Any], token: str) -> None:
        return None

    def share(self, leaves: list[int], event: dict[str, Any]) -> None:
        return None

    async def depart(self, ids: list[int]) -> None:
        return None

    async def subscribe(self) -> RemotePeers:
        return {}

    async def unsubscribe(self) -> None:
        return None


class Shared(Replica):
    """One of the processes serving a board from a shared store (``--redis``)."""

    def __init__(self, board_id: str, store: Store, cluster: Cluster, run: Run) -> None:
        self.board_id = board_id
        self.store = store
        self.cluster = cluster
        self.host: Host | None = None  # the board, once loaded (``bind``)
        self._rows: list[LogRow] = []  # heard from the channel, not applied yet
        self._behind = False  # the store's head is ahead of us and no row says why: read it
        self._need_lock = False  # a client took over a connection of another process
        self._out = InOrder(board_id, run)
        self._blobs: set[str] = set()  # the board's (the Document's own set)

    def bind(self, host: Host, loaded: LoadedBoard) -> None:
        self.host = host
        self._blobs = loaded.blobs

    async def client_id(self) -> int:
        return await self.store.next_client_id(self.board_id)

    async def retire(self, client_id: int, token: str) -> None:
        if await self.cluster.retire(self.board_id, client_id, token):
            # Its process drops what that connection still has queued, at its next lock; our
            # next tick takes the lock too, so whatever it committed before is in this welcome
            # and nothing it judged can land after it.
            self._need_lock = True
            # An idle old connection takes no lock: tell its process to close it now.
            await self.cluster.publish_presence(self.board_id, {"r": [client_id]})

    def client_ahead(self) -> None:
        # It saw ops (on another process) that have not reached us yet: catch up under the
        # lock before its welcome, so that it gets only what it missed, not an older board.
        self._need_lock = True

    async def catch_up(self, seq: int, queued: Queued, readonly: bool) -> CatchUp:
        """Bring the document to the board's head.

        With ops to judge, the board's lock is taken first and the head read under it, so the
        ops are judged against the state they will be appended to. Without, the rows the
        subscription delivered are enough, unless one is missing (then the log is read).
        """
        lock = (bool(queued) and not readonly) or self._need_lock
        retired: set[int] = set()
        try:
            if lock:
                authors = sorted({session.client_id for session, _ in queued})
                rows, retired = await self.cluster.lock(self.board_id, seq, authors)
            elif self._behind:
                rows = await self.store.read_log(self.board_id, seq)
            else:  # a gap among these (a lost message) is read from the log below
                rows = sorted(self._rows, key=lambda r: r.first_seq)
            self._behind = False
            rows = await self._without_gaps(rows, seq)
        except StoreError as exc:
            if queued:
                raise  # Redis refused the lock (full, or unreachable): the same as a full disk
            # Nothing to refuse: try again shortly (rows stay pending meanwhile).
            log.warning("board %s could not catch up: %s", self.board_id, exc)
            self._retry_soon()
            return NOTHING
        self._need_lock = False
        head = rows[-1].last_seq if rows else seq
        self._rows = [r for r in self._rows if r.last_seq > head]
        if lock and queued:
            await self._learn_blobs(queued)
        return CatchUp(rows, retired, lock)

    async def _learn_blobs(self, queued: Queued) -> None:
        """An image may name a blob uploaded through another process: read the board's blob
        names again, once, when a queued op names one this process has not heard of."""
        blobs = self._blobs
        for _, ops in queued:
            for op in ops:
                changes = op.get("e") if op["k"] == "add" else op.get("set")
                name = changes.get("blob") if isinstance(changes, dict) else None
                if name is not None and name not in blobs:
                    try:
                        blobs.update(await self.store.blob_names(self.board_id))
                    except StoreError as exc:  # its images are refused as unknown, no more
                        log.warning("board %s could not read its blobs: %s", self.board_id, exc)
                    return

    async def _without_gaps(self, rows: list[LogRow], seq: int) -> list[LogRow]:
        """The rows after ``seq`` in order, the log read again from the first gap."""
        out: list[LogRow] = []
        for row in rows:
            if row.last_seq <= seq:
                continue
            if row.first_seq != seq + 1:
                again = await self.store.read_log(self.board_id, seq)
                return out + [r for r in again if r.last_seq > seq]
            out.append(row)
            seq = row.last_seq
        return out

    def _retry_soon(self) -> None:
        """Catching up failed (Redis away): look again in a second, even if no row comes."""
        self._behind = True
        if self.host is not None:
            asyncio.get_running_loop().call_later(1.0, self.host.wake)

    async def unlock(self) -> None:
        await self.cluster.unlock(self.board_id)

    def checkpoint_due(self, first: int, last: int, checkpoint_seq: int, every: int) -> bool:
        # Every process serving the board sees the same seqs, not the same checkpoints: the
        # one whose tick crosses a multiple of ``every`` writes it, and only that one.
        return last // every > (first - 1) // every

    def pending(self) -> bool:
        return bool(self._rows or self._behind or self._need_lock)

    def received(self, row: LogRow) -> None:
        host = self.host
        if host is not None and row.last_seq > host.committed_seq:
            self._rows.append(row)
            host.wake()

    def check_head(self, head: int) -> None:
        """The store's head is past ours and no row explains it (a message lost): read it."""
        host = self.host
        if host is not None and head > host.committed_seq and not host.ticking:
            self._behind = True
            host.wake()

    def joined(self, info: dict[str, Any], token: str) -> None:
        self._out.publish(self.cluster.peer_joined(self.board_id, info, token))

    def share(self, leaves: list[int], event: dict[str, Any]) -> None:
        if leaves:
            self._out.publish(self.cluster.peers_left(self.board_id, list(leaves)))
        if event:
            self._out.publish(self.cluster.publish_presence(self.board_id, event))

    async def depart(self, ids: list[int]) -> None:
        await best_effort(self.board_id, self.cluster.peers_left(self.board_id, ids))

    async def subscribe(self) -> RemotePeers:
        await self.cluster.subscribe(self.board_id)
        return await self.cluster.remote_peers(self.board_id)

    async def unsubscribe(self) -> None:
        await self.cluster.unsubscribe(self.board_id)
