"""The boards loaded in this process, by id: loading, unloading and shutdown.

A board is loaded by its first joiner (concurrent joiners share the load), and unloaded once it
has been idle for ``idle_unload_s`` (it says when its last client left: ``on_idle``). With
``--redis`` the Hub also routes what other processes publish (rows, presence) to the boards,
and watches for processes that died (their clients are announced as gone) or rows whose message
was lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from functools import partial
from typing import Any

from whiteboard import gil
from whiteboard.cluster.base import Cluster
from whiteboard.cluster.solo import SoloCluster
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history.checkpoint import packed_parts
from whiteboard.live.board import Board
from whiteboard.live.budget import MemoryBudget
from whiteboard.live.judge import build_document
from whiteboard.live.opening import Opening, worth_opening
from whiteboard.live.quota import Quota
from whiteboard.live.replica import Replica, Shared, Solo
from whiteboard.protocol import CLOSE_POLICY, Limits
from whiteboard.store.base import LoadedBoard, LogRow, Store, StoreError

log = logging.getLogger(__name__)

REAP_EVERY_S = 1.0
GONE = "gone"
"""The presence event that tells every process to close a board (it was deleted)."""


class BoardDeleted(Exception):
    """The board was soft-deleted: it is not served (``whiteboard/live/lifecycle.py``)."""


def _decode(loaded: LoadedBoard, limits: Limits) -> Document:
    """The board's document, and its elements' bytes cached for the first welcome and the next
    checkpoint (``history.checkpoint.packed_parts``): both run in a worker thread, before
    anything else can see the document."""
    with gil.offering():  # the loop serves the other boards meanwhile: whiteboard/gil.py
        doc = build_document(loaded, limits)
        packed_parts(doc)
    return doc


class Hub:
    """The boards loaded in this process, by id. Loading is shared by concurrent joiners.

    When other processes serve the same boards (``cluster.shared``, with ``--redis``), each
    board's replica coordinates through the cluster (``replica.Shared``); else it is ``Solo``.
    """

    def __init__(self, store: Store, settings: Settings, cluster: Cluster | None = None) -> None:
        self.store = store
        self.settings = settings
        self.limits = Limits.from_object(settings)
        self.quota = Quota(store, settings)  # --board-mb and --disk-mb, for boards and routes
        self.boards: dict[str, Board] = {}
        self.budget = MemoryBudget(settings, self.boards)
        self._unloads: dict[Board, asyncio.TimerHandle] = {}
        self._loading: dict[str, asyncio.Future[Board]] = {}
        self._openings: dict[str, asyncio.Future[Opening | None]] = {}  # live/opening.py
        self._evicted: set[str] = set()  # deleted while loading (``evict``): not served
        self._welcome_early: set[str] = set()  # loading boards a joiner asked ``opening`` of
        self._tasks: set[asyncio.Future[None]] = set()  # background jobs shutdown waits for
        self.cluster = cluster if cluster is not None else SoloCluster()
        self._early: dict[str, list[LogRow]] = {}  # rows heard while their board loads
        self._early_presence: dict[str, list[dict[str, Any]]] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._saving = asyncio.Lock()
        """Unload checkpoints one at a time: each packs a whole board, and a crowd of boards
        unloading together (a flood that left) would hold all those bytes at once."""
        self.cluster.listen(self._on_row, self._on_presence, self._revive)

    def loaded(self, board_id: str) -> Board | None:
        return self.boards.get(board_id)

    async def get(self, board_id: str) -> Board:
        board = self.boards.get(board_id)
        if board is not None:
            return board
        return await asyncio.shield(self._start(board_id))

    async def opening(self, board_id: str) -> Opening | None:
        """The board as stored, for a joiner to be welcomed from while it decodes
        (``live/opening.py``); None when it is loaded already, or too small to be worth it, or
        served by several processes: then ``get`` it."""
        if board_id in self.boards or self.cluster.shared:
            return None
        self._start(board_id)
        self._welcome_early.add(board_id)
        early = self._openings.get(board_id)
        opening = None if early is None else await asyncio.shield(early)
        return opening if opening is not None and await opening.ready() else None

    def _start(self, board_id: str) -> asyncio.Future[Board]:
        """The board's load, begun by its first joiner and shared by the others."""
        pending = self._loading.get(board_id)
        if pending is None:
            if not self.cluster.shared:
                self._openings[board_id] = asyncio.get_running_loop().create_future()
            pending = self._loading[board_id] = asyncio.ensure_future(self._load(board_id))
            pending.add_done_callback(partial(self._loaded, board_id))
        return pending

    def _loaded(self, board_id: str, load: asyncio.Future[Board]) -> None:
        if self._loading.get(board_id) is load:
            del self._loading[board_id]
            self._evicted.discard(board_id)
            self._welcome_early.discard(board_id)
        early = self._openings.pop(board_id, None)
        if early is not None and not early.done():
            early.set_result(None)
        elif early is not None and not early.cancelled():
            opened = early.result()
            if opened is not None:
                opened.release()
        if not load.cancelled():
            load.exception()  # every caller of get() has it; nobody else need be told

    def _replica(self, board_id: str) -> Replica:
        if not self.cluster.shared:
            return Solo(board_id, self.store)
        return Shared(board_id, self.store, self.cluster, self.track)

    async def _load(self, board_id: str) -> Board:
        replica = self._replica(board_id)
        # Subscribed before reading, so that no row committed meanwhile is missed: rows heard
        # during the load wait in _early and are applied by the board's first tick.
        self._early[board_id] = []
        self._early_presence[board_id] = []
        try:
            remote = await replica.subscribe()
            loaded = await self.store.load(board_id)
            opening = self._openings.get(board_id)
            if opening is not None and isinstance(replica, Solo):
                # Joiners from now on are welcomed from the stored bytes, not after the decode.
                early_welcome = (
                    Opening(board_id, loaded, self.store, replica, self.settings, self.budget)
                    if worth_opening(loaded)
                    else None
                )
                opening.set_result(early_welcome)
                if early_welcome is not None and board_id in self._welcome_early:
                    # Spliced before the decode starts, not beside it: the joiners' welcome
                    # does not wait for GIL turns shared with the decode, which goes on 56 ms
                    # later (the 1,000,000-op board) and is not needed by them.
                    await early_welcome.ready()
            # Decoding a big board's checkpoint and replaying the log after it takes hundreds
            # of ms (a 7 MB state): in a thread, the loop keeps serving the other boards
            # meanwhile, losing the GIL for one switch interval at a time.
            doc = await asyncio.to_thread(_decode, loaded, self.limits)
        except BaseException:
            self.track(replica.unsubscribe())
            raise
        finally:
            early = self._early.pop(board_id)
            presence = self._early_presence.pop(board_id)
        if loaded.deleted is not None or board_id in self._evicted:
            self.track(replica.unsubscribe())
            raise BoardDeleted(board_id)
        board = Board(
            board_id,
            loaded,
            self.store,
            self.settings,
            replica,
            on_idle=self._idle,
            on_failed=self._forget,
            doc=doc,
            quota=self.quota,
        )
        self.boards[board_id] = board
        self.budget.sweep_soon()
        board.presence.remote = remote
        for row in early:
            replica.received(row)
        for event in presence:  # heard after the peers were read: newer
            board.presence.heard(event)
        if self.cluster.shared and self._reaper is None:
            self._reaper = asyncio.ensure_future(self._reap_forever())
        return board

    def track(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run a background job that shutdown waits for (a board's unload)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _idle(self, board: Board) -> None:
        """Its last client left: unload it unless someone joins within ``idle_unload_s``."""
        handle = self._unloads.pop(board, None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        delay = 0.0 if self.budget.holding_much() else self.settings.idle_unload_s
        self._unloads[board] = loop.call_later(delay, self._unload, board)

    def _unload(self, board: Board) -> None:
        del self._unloads[board]
        if self.boards.get(board.id) is not board:
            return
        if board.idle():
            self._forget(board)
            if self.budget.shedding():
                # Short of memory: packing the whole board for a checkpoint would take more
                # of it (the resident size climbed 10 MB past the budget while a flood's
                # boards were saved). The log holds every op; the next load replays at most
                # checkpoint_every of them.
                self.budget.freed()
                return
            self.budget.leaving.add(board)
            self.track(self._save(board))
        elif not board.peers:
            # Busy without clients (a tick, or rows from other processes, in flight): nobody
            # will say "idle" again, so look again shortly rather than keep it for ever.
            retry = min(1.0, self.settings.idle_unload_s)
            self._unloads[board] = asyncio.get_running_loop().call_later(retry, self._unload, board)

    async def _save(self, board: Board) -> None:
        try:
            async with self._saving:
                await board.save_checkpoint()
        finally:
            self.budget.leaving.discard(board)
            self.budget.freed()

    def _forget(self, board: Board) -> None:
        """The board leaves memory (unloaded, or dropped after a store failure)."""
        if self.boards.get(board.id) is board:
            del self.boards[board.id]
            self.budget.unloaded(board.id)
            self.track(board.replica.unsubscribe())

    async def evict(self, board_id: str, reason: str) -> None:
        """Drop the board from memory and close its clients with 1008 and ``reason``."""
        board = self.boards.get(board_id)
        if board is None:
            if board_id in self._loading:  # its load read it before the deletion: refused after
                self._evicted.add(board_id)
            return
        self._forget(board)
        await board.shut(CLOSE_POLICY, reason)

    # -- other processes (--redis) ---------------------------------------------------------------

    def _on_row(self, board_id: str, row: LogRow) -> None:
        early = self._early.get(board_id)
        if early is not None:
            early.append(row)
        board = self.boards.get(board_id)
        if board is not None:
            board.replica.received(row)

    def _on_presence(self, board_id: str, event: dict[str, Any]) -> None:
        early = self._early_presence.get(board_id)
        if early is not None:
            early.append(event)
            return
        if GONE in event:
            self.track(self.evict(board_id, str(event[GONE])))
            return
        board = self.boards.get(board_id)
        if board is not None:
            if "r" in event:  # connections a reconnect on another process took over
                board.retired_elsewhere(event["r"])
            board.presence.heard(event)

    def _revive(self) -> None:
        """Others took this process for dead and announced its clients as gone: say again
        that they are here (in order, after anything this board was still publishing)."""
        for board in self.boards.values():
            for session in list(board.peers.values()):
                board.replica.joined(session.info(), session.token)

    async def _reap_forever(self) -> None:
        """Announce as gone the clients of processes that stopped beating (killed, cut off)."""
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            try:
                await self._reap()
            except StoreError as exc:
                log.warning("could not check other processes: %s", exc)

    async def _reap(self) -> None:
        boards = list(self.boards.values())
        # A row whose message was lost (a subscription that reconnected) shows here as a head
        # ahead of ours, even on a board where nothing else happens.
        heads = await self.store.heads([b.id for b in boards])
        for board, head in zip(boards, heads, strict=True):
            board.replica.check_head(head)
        if not any(board.presence.remote for board in boards):
            return
        alive = await self.cluster.live_processes()
        for board in list(self.boards.values()):
            gone = board.presence.gone(alive)
            if gone:
                await self.cluster.forget_peers(board.id, gone)

    async def shutdown(self) -> None:
        """Finish every board's tick in flight and checkpoint it (SIGTERM)."""
        if self._reaper is not None:
            self._reaper.cancel()
        for handle in self._unloads.values():
            handle.cancel()
        self._unloads.clear()
        for board in list(self.boards.values()):
            await board.drain()
            if board.peers:
                # The sockets close next: tell the other processes now, while the board can.
                await board.replica.depart(list(board.peers))
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
