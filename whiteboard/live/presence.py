"""Presence: who is on a board and where their pointers are, told to everyone once per tick.

Joins, leaves and cursors are coalesced into the board's tick, like ops: a cursor moved ten
times between two ticks is sent once, and a leave reaches the others in the next tick rather
than when TCP finally closes. Clients connected to other processes (``--redis``) arrive here as
events (``heard``) and are merged into the same frames as local ones.

To add a presence message (a viewport, a laser pointer, a summon): keep what changed this tick
in ``Presence`` (as ``_cursors`` does), say in ``pending`` that a tick is owed, send it in
``flush``, and share it with the other processes through the replica (``Replica.share``), whose
events come back here through ``heard``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from whiteboard import metrics, protocol
from whiteboard.live.broadcast import send_all
from whiteboard.live.session import Session
from whiteboard.live.wsframe import ws_frame
from whiteboard.store.base import StoreError

if TYPE_CHECKING:
    from whiteboard.live.replica import Replica

log = logging.getLogger(__name__)

# Presence colours: distinct at a glance on white, readable behind white text.
PALETTE = (
    "#e03131", "#1971c2", "#2f9e44", "#f08c00", "#9c36b5", "#0c8599",
    "#c2255c", "#5c940d", "#3b5bdb", "#d9480f", "#099268", "#862e9c",
)  # fmt: skip


def color_of(client_id: int) -> str:
    """The presence colour of a client id; history and forks reuse it for stored authors."""
    return PALETTE[(client_id - 1) % len(PALETTE)]


Cursor = tuple[float | None, float | None]
RemotePeers = dict[int, tuple[dict[str, Any], str]]  # client id -> (info, process)


class Presence:
    """A board's presence: the clients of other processes, and what changed since the last tick.

    The board's own clients are its ``peers``, passed in; this keeps the rest.
    """

    def __init__(self, replica: Replica, wake: Callable[[], None]) -> None:
        self.replica = replica  # tells the other processes (nothing to tell with one process)
        self._wake = wake  # schedules the board's next tick
        self.remote: RemotePeers = {}
        self._leaves: list[int] = []
        self._cursors: dict[int, Cursor] = {}
        self._remote_joins: list[dict[str, Any]] = []
        self._remote_leaves: list[int] = []
        self._remote_cursors: dict[int, Cursor] = {}

    # -- what happened -------------------------------------------------------------------------

    def cursor(self, client_id: int, x: float | None, y: float | None) -> None:
        self._cursors[client_id] = (x, y)

    def left(self, client_id: int) -> None:
        """A local client left: the others hear of it in the next tick."""
        self._leaves.append(client_id)
        self._cursors.pop(client_id, None)

    def joined(self, session: Session, peers: dict[int, Session]) -> None:
        """A client's welcome is out: tell the others (``peers``, which it is not yet one of)."""
        info = session.info()
        send_all(peers, ws_frame(protocol.encode_presence(join=[info])))
        self.replica.joined(info, session.token)

    def heard(self, event: dict[str, Any]) -> None:
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
        self._wake()

    def gone(self, alive: set[str]) -> list[int]:
        """Remote clients whose process is not in ``alive``: they are announced as left."""
        gone = [cid for cid, (_, proc) in self.remote.items() if proc not in alive]
        if gone:
            self.heard({"l": gone})
        return gone

    # -- what the next tick says ---------------------------------------------------------------

    def pending(self) -> bool:
        return bool(
            self._leaves
            or self._cursors
            or self._remote_joins
            or self._remote_leaves
            or self._remote_cursors
        )

    def roster(self, peers: dict[int, Session]) -> list[dict[str, Any]]:
        """Everyone on the board, here and in other processes (``welcome.peers``)."""
        return [s.info() for s in peers.values()] + [info for info, _ in self.remote.values()]

    def flush(self, peers: dict[int, Session]) -> None:
        """Send this tick's joins of remote clients, then everyone's leaves and cursors."""
        leaves, self._leaves = self._leaves, []
        cursors, self._cursors = self._cursors, {}
        cur = [[cid, x, y] for cid, (x, y) in cursors.items() if cid in peers]
        self.replica.share(leaves, cur)  # ours only, and never changed after: no copy needed
        if self._remote_joins:
            joins, self._remote_joins = self._remote_joins, []
            send_all(peers, ws_frame(protocol.encode_presence(join=joins)))
        if self._remote_leaves:
            leaves = leaves + self._remote_leaves
            self._remote_leaves = []
        if self._remote_cursors:
            cur = cur + [[cid, x, y] for cid, (x, y) in self._remote_cursors.items()]
            self._remote_cursors = {}
        if not leaves and not cur:
            return
        if not cur:
            send_all(peers, ws_frame(protocol.encode_presence(leave=leaves)))
            return
        # Everyone gets every cursor but their own: one shared frame for those who sent no
        # cursor this tick, one frame each for those who did.
        shared = ws_frame(protocol.encode_presence(leave=leaves or None, cur=cur))
        for cid, session in list(peers.items()):
            if cid in cursors:
                mine = [c for c in cur if c[0] != cid]
                if mine or leaves:
                    session.send(protocol.encode_presence(leave=leaves or None, cur=mine or None))
            else:
                session.send_frame(shared)
        metrics.broadcast(len(shared), len(peers) - len(cursors.keys() & peers.keys()))


class InOrder:
    """Presence published to other processes in the order it happened: a leave must never
    overtake its join (others would keep a ghost), so each message waits for the one before.

    Best effort: a lost cursor is redrawn next move, and a lost join or leave is corrected when
    the process's heartbeat stops or the client reconnects.
    """

    def __init__(
        self, board_id: str, run: Callable[[Coroutine[Any, Any, None]], asyncio.Future[None]]
    ) -> None:
        self.board_id = board_id
        self._run = run  # a background job that shutdown waits for
        self._tail: asyncio.Future[None] | None = None

    def publish(self, coro: Coroutine[Any, Any, None]) -> None:
        before = self._tail

        async def in_turn() -> None:
            if before is not None and not before.done():
                await asyncio.wait([before])
            await best_effort(self.board_id, coro)

        self._tail = self._run(in_turn())


async def best_effort(board_id: str, coro: Coroutine[Any, Any, None]) -> None:
    """Await a presence message to other processes; a store failure is only logged."""
    try:
        await coro
    except StoreError as exc:
        log.warning("board %s: presence not shared: %s", board_id, exc)
