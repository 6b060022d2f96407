"""Who is on a board: a client joining (an id made durable, admitted at the end of a tick with
its ``welcome``), replacing its older connection, leaving, or losing its access.

Admission happens right after a tick's broadcast (``_admit_joins``), so a welcome holds exactly
the state the others have just seen and no op can fall between the two.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from whiteboard import protocol
from whiteboard.codec import row_ops
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.history.checkpoint import refresh as refresh_cache
from whiteboard.live.broadcast import send_rows
from whiteboard.live.judge import Queue
from whiteboard.live.opening import new_session
from whiteboard.live.presence import Presence
from whiteboard.live.replica import Replica
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import CLOSE_REPLACED, Session, Transport
from whiteboard.live.ticker import Ticker
from whiteboard.live.welcome import Welcomes
from whiteboard.protocol import Hello
from whiteboard.store.base import StoreError


class Members:
    """``Board``'s half for its clients (a mixin: it shares the board's state)."""

    id: str
    doc: Document
    settings: Settings
    replica: Replica
    key_hash: str | None
    failed: bool
    peers: dict[int, Session]
    presence: Presence
    recent: ResumeBuffer
    ticker: Ticker
    wake: Callable[[], None]
    _queue: Queue
    _joins: list[tuple[Session, int | None]]
    _joining: int
    _on_idle: Callable[[Any], None] | None  # given the Board

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
        since, prev = hello.since, hello.prev
        # Counted until the joiner is queued, so an idle unload cannot drop the board under it
        # (which would leave two Boards with one id).
        self._joining += 1
        try:
            if prev is not None and not self._evict(*prev):
                await self.replica.retire(*prev)
            client_id = await self.replica.client_id()
            # What its welcome will list, packed in a thread now rather than on the loop then
            # (the elements' array only if it will get them rather than the recent ops).
            resumes = since is not None and self.recent.holds(since, self.doc.seq)
            await refresh_cache(self.doc, whole=not resumes)
            session = new_session(transport, client_id, hello, self.key_hash, readonly, who)
        finally:
            self._joining -= 1
        if self.failed:
            raise StoreError("the board was dropped while this client joined")
        if since is not None and since > self.doc.seq:
            self.replica.client_ahead()
        self._joins.append((session, since))
        self.wake()
        return session

    def adopt(self, session: Session) -> None:
        """Take in a client welcomed while the board was opening (``live/opening.py``): it is
        admitted at the end of a tick like any joiner, but gets the rows committed after
        ``session.welcomed_at`` where the others get a welcome."""
        if self.failed:
            raise StoreError("the board was dropped while this client joined")
        self._joins.append((session, session.welcomed_at))
        self.wake()

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

    def _evict(self, client_id: int, token: str) -> bool:
        """Drop the connection a reconnect replaces, if it is here: a peer, or one still
        waiting for its admission (a client welcomed while the board opened waits seconds).
        False when that client is not on this board in this process."""
        old = self.peers.get(client_id)
        if old is None:
            old = next((s for s, _ in self._joins if s.client_id == client_id), None)
            if old is None:
                return False
        if hmac.compare_digest(old.token, token):
            self.leave(old)
            old.close(*CLOSE_REPLACED)
        return True

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

    def _admit_joins(self) -> None:
        joins, self._joins = self._joins, []
        if not joins:
            return
        welcomes = Welcomes(self.id, self.doc, self.recent, self.settings.limits())
        for session, since in joins:
            roster = self.presence.roster(self.peers)
            if session.welcomed_at is None:
                session.send_parts(welcomes.encode(session, since, roster))
            elif not self._catch_up(session, session.welcomed_at, roster):
                continue
            self.presence.joined(session, self.peers)
            self.peers[session.client_id] = session
            session.admitted = True
            if session.early:  # sent before the welcome: handled now, in order
                self._queue += [(session, ops) for ops in session.early]
                session.early = []

    def _catch_up(self, session: Session, at: int, roster: list[dict[str, Any]]) -> bool:
        """What an adopted client missed since its early welcome: the rows after ``at`` as the
        others got them, and who is here (its welcome listed nobody). False, and the client is
        closed to come back with ``since``, if the recent rows no longer hold them all."""
        head = self.doc.seq
        rows = [row for row in self.recent.rows if row.last_seq > at]
        if at != head and not (rows and rows[0].first_seq == at + 1):
            session.close(protocol.CLOSE_TRY_AGAIN, "the board moved on while it opened")
            return False
        if rows:  # in the form the others got them (compact or PROTOCOL.md frames)
            send_rows({session.client_id: session}, [(r.ts, r.ops, row_ops(r)) for r in rows])
        if roster:
            session.send(protocol.encode_presence(join=roster))
        return True
