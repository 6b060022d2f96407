"""Presence: who is on a board and where their pointers are, told to everyone once per tick.

Joins, leaves and cursors are coalesced into the board's tick, like ops: a cursor moved ten
times between two ticks is sent once, and a leave reaches the others in the next tick rather
than when TCP finally closes. Clients connected to other processes (``--redis``) arrive here as
events (``heard``) and are merged into the same frames as local ones.

Viewports, laser points and summons (PROTOCOL.md, Version 1.1) travel the same way: the latest
view per client per tick, every laser point in order, each summon with its sender's last view.
None of them is ever stored. A view or laser point costs one shared frame per tick whoever sent
it (the fan-out is linear in receivers); summons are rare and get a frame each.

To add a presence message: keep what changed this tick in ``Presence`` (as ``_cursors`` does),
say in ``pending`` that a tick is owed, send it in ``flush``, and share it with the other
processes through the replica (``Replica.share``), whose events come back here through
``heard``. Events between processes are maps: ``j`` join, ``l`` leaves, ``c`` cursors, ``v``
views, ``k`` laser points, ``s`` summons.
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
Viewport = list[float]  # [x0, y0, x1, y1]

# Laser points kept per tick, all clients together: a client's byte budget bounds what it sends,
# this bounds what one tick's frame can carry whoever sends.
LASER_PER_TICK = 1024
# Views go out at most this often per board, not every tick: with everyone sending 10 a second,
# a view in every 5 ms tick would cost every client a write per tick (docs/scaling.md).
# Followers glide between views, so 20 a second is as smooth as more.
VIEW_EVERY_S = 0.05
VIEW_PEERS = 50
"""Past this many people the interval grows with them (``view_interval``), up to
``VIEW_EVERY_MAX_S``: every view goes to everyone, so at a fixed rate their bytes grow with the
square of the people (200 people sending 10 a second: 17 MB/s of views to write)."""
VIEW_EVERY_MAX_S = 0.25


def view_interval(people: int) -> float:
    """How long a board's views are held between two sends: a receiver then gets the views of
    a crowd at a bounded rate, each sender's latest one (views are coalesced, latest wins)."""
    return min(VIEW_EVERY_MAX_S, VIEW_EVERY_S * max(1.0, people / VIEW_PEERS))


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
        self._views: dict[int, Viewport] = {}
        self._views_due = 0.0  # loop time from which the held views may go out
        self._views_timer: asyncio.TimerHandle | None = None
        self._lasers: list[list[Any]] = []
        self._summons: list[list[Any]] = []  # [by, x0, y0, x1, y1]
        self._remote_joins: list[dict[str, Any]] = []
        self._remote_leaves: list[int] = []
        self._remote_cursors: dict[int, Cursor] = {}
        self._remote_views: dict[int, Viewport] = {}
        self._remote_lasers: list[list[Any]] = []
        self._remote_summons: list[list[Any]] = []

    # -- what happened -------------------------------------------------------------------------

    def cursor(self, client_id: int, x: float | None, y: float | None) -> None:
        self._cursors[client_id] = (x, y)

    def laser(self, client_id: int, x: float, y: float) -> None:
        """A laser point: the pointer is there too, and the point joins the tick's trail."""
        self._cursors[client_id] = (x, y)
        if len(self._lasers) < LASER_PER_TICK:
            self._lasers.append([client_id, x, y])

    def view(self, session: Session, vp: Viewport) -> None:
        """The latest view wins until views go out; the session keeps it for ``vp`` and
        summons. Views wake the board at most every ``VIEW_EVERY_S``."""
        session.vp = vp
        self._views[session.client_id] = vp
        if self._views_timer is not None or not session.admitted:
            return
        loop = asyncio.get_running_loop()
        wait = self._views_due - loop.time()
        if wait <= 0:
            self._wake()
        else:
            self._views_timer = loop.call_later(wait, self._views_ready)

    def _views_ready(self) -> None:
        self._views_timer = None
        self._wake()

    def _views_out(self, people: int) -> bool:
        """Whether the held views go out in this tick (and if so, when the next may)."""
        if not self._views:
            return False
        now = asyncio.get_running_loop().time()
        if now < self._views_due:
            return False
        self._views_due = now + view_interval(people)
        return True

    def summon(self, session: Session) -> None:
        """ "Come to my view": sent next tick with the view the sender has at that moment."""
        vp = session.vp
        if vp is not None:
            self._summons.append([session.client_id, *vp])

    def left(self, client_id: int) -> None:
        """A local client left: the others hear of it in the next tick."""
        self._leaves.append(client_id)
        self._cursors.pop(client_id, None)
        self._views.pop(client_id, None)

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
        if "v" in event:
            for cid, *vp in event["v"]:
                known = self.remote.get(cid)
                if known is not None:
                    known[0]["vp"] = vp  # for the roster of later joiners here
                    self._remote_views[cid] = vp
        if "k" in event:
            self._remote_lasers += [p for p in event["k"] if p[0] in self.remote]
        if "s" in event:
            self._remote_summons += [s for s in event["s"] if s[0] in self.remote]
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
            or (self._views and self._views_timer is None and self._views_ready_now())
            or self._summons
            or self._remote_joins
            or self._remote_leaves
            or self._remote_cursors
            or self._remote_views
            or self._remote_lasers
            or self._remote_summons
        )

    def _views_ready_now(self) -> bool:
        return asyncio.get_running_loop().time() >= self._views_due

    def roster(self, peers: dict[int, Session]) -> list[dict[str, Any]]:
        """Everyone on the board, here and in other processes (``welcome.peers``)."""
        return [s.info() for s in peers.values()] + [info for info, _ in self.remote.values()]

    def flush(self, peers: dict[int, Session]) -> None:
        """Send this tick's joins of remote clients, then everyone's leaves, cursors, views,
        laser points and summons. Most ticks carry ops only: they cost one check here."""
        if not self.pending():
            return
        leaves, self._leaves = self._leaves, []
        cursors, self._cursors = self._cursors, {}
        cur = [[cid, x, y] for cid, (x, y) in cursors.items() if cid in peers]
        view: list[list[Any]] = []
        laser: list[list[Any]] = []
        summons: list[list[Any]] = []
        if self._views_out(len(peers) + len(self.remote)):
            view = [[cid, *vp] for cid, vp in self._views.items() if cid in peers]
            self._views = {}
        if self._lasers:
            laser = [p for p in self._lasers if p[0] in peers]
            self._lasers = []
        if self._summons:
            summons, self._summons = self._summons, []
        # Ours only, and never changed after: no copy needed. One message per tick for all the
        # ephemeral parts, under the keys ``heard`` reads back on the other processes.
        event = {
            key: part
            for key, part in (("c", cur), ("v", view), ("k", laser), ("s", summons))
            if part
        }
        self.replica.share(leaves, event)
        if self._remote_joins:
            joins, self._remote_joins = self._remote_joins, []
            send_all(peers, ws_frame(protocol.encode_presence(join=joins)))
        if self._remote_leaves:
            leaves = leaves + self._remote_leaves
            self._remote_leaves = []
        if self._remote_cursors:
            cur = cur + [[cid, x, y] for cid, (x, y) in self._remote_cursors.items()]
            self._remote_cursors = {}
        if self._remote_views or self._remote_lasers or self._remote_summons:
            view = view + [[cid, *vp] for cid, vp in self._remote_views.items()]
            laser = laser + self._remote_lasers
            summons = summons + self._remote_summons
            self._remote_views, self._remote_lasers, self._remote_summons = {}, [], []
        for by, *vp in summons:
            _summon(peers, by, vp)
        if not leaves and not cur and not view and not laser:
            return
        if not cur:
            frame = protocol.encode_presence(leave=leaves, view=view, laser=laser)
            send_all(peers, ws_frame(frame))
            return
        _send_cursors(peers, protocol.PresenceFrame(leaves, cur, view, laser))


def _send_cursors(peers: dict[int, Session], frame: protocol.PresenceFrame) -> None:
    """A tick's presence with cursors: one shared frame for everyone, except that a PROTOCOL.md
    client whose cursor is in it gets the same bytes without it (spliced, not encoded again).

    Compact clients (the app, docs/protocol.md "Compact live ops") take the shared frame with
    their own cursor in it and skip it themselves: so the cursors of a tick are one frame,
    built once, however many people move their pointer.
    """
    shared = ws_frame(frame.shared)
    n = 0
    for cid, session in list(peers.items()):
        if session.compact or not frame.holds(cid):
            session.send_frame(shared)
            n += 1
        else:
            mine = frame.without(cid)
            if mine is not None:
                session.send(mine)
    metrics.broadcast(len(shared), n)


def _summon(peers: dict[int, Session], by: int, vp: list[float]) -> None:
    """A summon goes to everyone but its sender, one frame for all."""
    frame = ws_frame(protocol.encode_summon(by, vp))
    n = 0
    for cid, session in list(peers.items()):
        if cid != by:
            session.send_frame(frame)
            n += 1
    metrics.broadcast(len(frame), n)


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
