"""The first welcome of a big board, sent from its stored bytes while the board is still decoding.

Why: decoding a big checkpoint into a ``Document`` takes seconds of a worker thread (a
1,000,000-op board with 7 MB of state: 1-2 s on a loaded machine), and until it is done a
joiner saw nothing. But the checkpoint's bytes already are most of the welcome: its elements
are stored in stacking order, and its layout index (``history/layout.py``) says where each lies
and what its first-add seq is. So the state at the head is spliced as ``?at=`` splices it
(``history/seek.py``: the untouched elements' bytes copied, the few that the ops after the
checkpoint touch decoded and replayed), once for every early joiner, in a thread. Nothing else
can commit on the board while it loads (one process serves it), so that is the board as a
joiner of the loaded board would get it. When the ``Document`` is ready the session is *adopted*
by the ``Board`` (``Members.adopt``): it becomes one of its peers, and gets whatever was
committed after its welcome.

Only for boards whose decode is worth skipping (``EARLY_FROM`` bytes of state), with one
process (``--redis`` boards are loaded by whichever process catches up first, and their joins
go through the cluster), and for a fresh join (a ``since`` resume waits for the board, whose
recent rows answer it). The splice runs only when such a joiner comes: a load for anything
else (a resume, an upload, a title) costs nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets

from whiteboard import gil, protocol
from whiteboard.codec import Packed, Pieces, array_header, pack, row_ops
from whiteboard.config import Settings
from whiteboard.history import layout
from whiteboard.history.seek import splice
from whiteboard.keys import key_matches
from whiteboard.live.budget import MemoryBudget
from whiteboard.live.presence import color_of
from whiteboard.live.replica import Solo
from whiteboard.live.session import CLOSE_REPLACED, Session, Transport
from whiteboard.protocol import Hello, Limits
from whiteboard.store.base import Checkpoint, LoadedBoard, LogRow, Store

log = logging.getLogger(__name__)

EARLY_FROM = 1 << 20
"""Bytes of checkpoint from which a joiner is welcomed before the decode ends: a smaller board
decodes in tens of milliseconds, and its joiners take the ordinary path."""

Pieces4 = tuple[Pieces, Packed, Packed, int]  # elements, first, gone, count


class Opening:
    """A board being decoded, as its early joiners see it: the welcome's pieces, spliced once
    from the checkpoint's bytes and the rows after it and shared by every joiner."""

    def __init__(
        self,
        board_id: str,
        loaded: LoadedBoard,
        store: Store,
        replica: Solo,
        settings: Settings,
        budget: MemoryBudget | None = None,
    ) -> None:
        self.id = board_id
        self.key_hash = loaded.key_hash
        self.replica = replica
        replica.next_client_id = loaded.next_client_id  # ids are given from now (``Solo.bind``)
        self.limits = settings.limits()
        self._loaded = loaded
        self._store = store
        self._limits = Limits.from_object(settings)
        self._pieces: asyncio.Future[Pieces4 | None] | None = None
        self._budget = budget
        self._held = contextlib.ExitStack()  # the spliced bytes, counted until ``release``
        self._sessions: dict[int, Session] = {}  # the early joiners, for a reconnect's ``prev``
        cp = loaded.checkpoint
        assert cp is not None  # ``worth_opening`` said so
        self.head = loaded.rows[-1].last_seq if loaded.rows else cp.seq
        """The welcome's seq: the board's head, as the load read it."""

    async def ready(self) -> bool:
        """Whether joiners can be welcomed now (the first caller splices the state; later ones
        share it). False when the stored bytes cannot be spliced: they wait for the decode."""
        if self._pieces is None:
            self._pieces = asyncio.ensure_future(self._splice())
        return await asyncio.shield(self._pieces) is not None

    async def _splice(self) -> Pieces4 | None:
        cp = self._loaded.checkpoint
        assert cp is not None
        if self._budget is not None and not self._budget.fits(2 * len(cp.state)):
            return None  # short of memory: one copy of the board is enough (the decode's)
        try:
            index = cp.layout or await self._store.checkpoint_layout(self.id, cp.seq)
            if index is None:
                return None
            rows, limits = self._loaded.rows, self._limits
            pieces = await asyncio.to_thread(_welcome_pieces, cp, index, rows, limits)
        except Exception as exc:  # a damaged index: the decode says what is wrong, if anything
            log.warning("board %s: no early welcome (%s); joiners wait for the load", self.id, exc)
            return None
        if pieces is not None and self._budget is not None:
            self._held.enter_context(self._budget.reserve(len(pieces[0][0])))
        return pieces

    def release(self) -> None:
        """The board has loaded: its welcome's bytes are no longer this Opening's to count."""
        self._held.close()

    async def join(
        self,
        transport: Transport,
        hello: Hello,
        *,
        readonly: bool | None = None,
        who: object = None,
    ) -> Session:
        """A session with its durable id, sent the board (``ready`` said it can be). It is no
        board's peer yet: its connection is read again only once the board has adopted it, so
        whatever it sends meanwhile waits in the socket, in order."""
        assert self._pieces is not None and self._pieces.done()
        pieces = self._pieces.result()
        assert pieces is not None
        elements, first, gone, count = pieces
        if hello.prev is not None:  # a reconnect of an early joiner: that connection goes
            old = self._sessions.get(hello.prev[0])
            if old is not None and hmac.compare_digest(old.token, hello.prev[1]):
                old.close(*CLOSE_REPLACED)
        client_id = await self.replica.client_id()
        session = self._sessions[client_id] = new_session(
            transport, client_id, hello, self.key_hash, readonly, who
        )
        session.send_parts(
            protocol.welcome_parts(
                board=self.id,
                me=session.client_id,
                color=session.color,
                seq=self.head,
                peers=[],  # the others, and those who join with it, come as presence joins
                elements=elements,
                ops=None,
                limits=self.limits,
                readonly=session.readonly,
                token=session.token,
                first=first,
                gone=gone,
                count=count,
            )
        )
        session.welcomed_at = self.head
        return session


def new_session(
    transport: Transport,
    client_id: int,
    hello: Hello,
    key_hash: str | None,
    readonly: bool | None,
    who: object,
) -> Session:
    """A joining client's session. ``readonly``, when given, is the web layer's decision (an
    owned board) and wins over the edit key."""
    return Session(
        transport,
        client_id,
        hello.name,
        color_of(client_id),
        readonly=(
            readonly
            if readonly is not None
            else key_hash is not None and not key_matches(hello.key, key_hash)
        ),
        token=secrets.token_urlsafe(12),
        compact=hello.compact,
        who=who,
    )


def worth_opening(loaded: LoadedBoard) -> bool:
    """Whether joiners of this loading board are welcomed early, or wait for the decode."""
    cp = loaded.checkpoint
    if cp is None or len(cp.state) < EARLY_FROM or loaded.deleted is not None:
        return False
    # A tail that starts after the checkpoint (as ticks write it), or leave it to the decode.
    return all(row.first_seq > cp.seq for row in loaded.rows)


def _welcome_pieces(
    cp: Checkpoint, index: bytes, rows: list[LogRow], limits: Limits
) -> Pieces4 | None:
    """In a thread: the state at the head, as the welcome's pieces."""
    found = layout.load(index)
    if found is None:
        return None
    with gil.offering():
        sops = [sop for row in rows for sop in row_ops(row, cp.seq)]
        spliced = splice(cp, found, sops, limits, with_firsts=True)
        elements = b"".join([array_header(spliced.count), *spliced.parts])
    return (
        Pieces((elements,)),
        Packed(pack(spliced.firsts)),
        Packed(pack(spliced.gone)),
        spliced.count,
    )
