"""The first welcome of a big board, sent from its stored bytes while the board is still decoding.

Why: decoding a big checkpoint into a ``Document`` takes seconds of a worker thread (a
1,000,000-op board with 7 MB of state: 1-2 s on a loaded machine), and until it is done a
joiner saw nothing. But the checkpoint already is the welcome's main part: its elements are
stored in stacking order, and its layout index (``history/layout.py``) says where they lie and
what each one's first-add seq is. So the joiner gets the board as of the checkpoint at once,
then the stored rows after it as ``ops`` frames, exactly as if it had been on the board when
they were committed; nothing else can commit on the board while it loads (one process serves
it), so that is the board's whole state. When the ``Document`` is ready the session is
*adopted* by the ``Board`` (``Members.adopt``): it becomes one of its peers, and gets whatever
was committed after what it was sent.

Only for boards whose decode is worth skipping (``EARLY_FROM`` bytes of state), with one
process (``--redis`` boards are loaded by whichever process catches up first, and their joins
go through the cluster), for a fresh join (a ``since`` resume waits for the board, whose
recent rows answer it), and for a checkpoint whose ``first`` map lists its live elements only
(older ones also list deleted ids there, which the index does not cover).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import msgpack

from whiteboard import protocol
from whiteboard.codec import Packed, Pieces, array_header, pack
from whiteboard.config import Settings
from whiteboard.history import layout
from whiteboard.keys import key_matches
from whiteboard.live.presence import color_of
from whiteboard.live.replica import Solo
from whiteboard.live.session import CLOSE_REPLACED, Session, Transport
from whiteboard.live.wsframe import ws_frame
from whiteboard.protocol import Hello
from whiteboard.store.base import LoadedBoard, Store

EARLY_FROM = 1 << 20
"""Bytes of checkpoint from which a joiner is welcomed before the decode ends: a smaller board
decodes in tens of milliseconds, and its joiners take the ordinary path."""


class Opening:
    """A board being decoded, as its early joiners see it: the welcome's pieces, cut once from
    the checkpoint's bytes and shared by every joiner, and the rows stored after it."""

    def __init__(
        self,
        board_id: str,
        loaded: LoadedBoard,
        replica: Solo,
        settings: Settings,
        pieces: tuple[Pieces, Packed, Packed, int, int],
    ) -> None:
        self.id = board_id
        self.key_hash = loaded.key_hash
        self.replica = replica
        self.limits = settings.limits()
        self._elements, self._first, self._gone, self._count, self.seq = pieces
        # The rows after the checkpoint, one ``ops`` message each (each has its ``ts``), as
        # WebSocket frames joined once for every early joiner and written in one go: a
        # thousand writes of their own held the loop for tens of milliseconds.
        self._tail = b"".join(
            ws_frame(protocol.encode_ops_frame(row.ts, row.ops)) for row in loaded.rows
        )
        self._sessions: dict[int, Session] = {}  # the early joiners, for a reconnect's ``prev``
        self.head = loaded.rows[-1].last_seq if loaded.rows else self.seq
        """The seq a joiner is at once it has its welcome and the tail: what it is adopted at."""

    async def join(
        self,
        transport: Transport,
        hello: Hello,
        *,
        readonly: bool | None = None,
        who: object = None,
    ) -> Session:
        """A session with its durable id, sent the board as stored. It is no board's peer yet:
        its connection is read again only once the board has adopted it, so whatever it sends
        meanwhile waits in the socket, in order."""
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
                seq=self.seq,
                peers=[],  # the others, and those who join with it, come as presence joins
                elements=self._elements,
                ops=None,
                limits=self.limits,
                readonly=session.readonly,
                token=session.token,
                first=self._first,
                gone=self._gone,
                count=self._count,
            )
        )
        if self._tail:
            session.send_frame(self._tail)
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


async def prepare(
    board_id: str, loaded: LoadedBoard, store: Store, replica: Solo, settings: Settings
) -> Opening | None:
    """The board's ``Opening``, or None when its joiners should wait for the decode."""
    checkpoint = loaded.checkpoint
    if checkpoint is None or len(checkpoint.state) < EARLY_FROM or loaded.deleted is not None:
        return None
    if any(row.first_seq <= checkpoint.seq for row in loaded.rows):
        return None  # not a tail that starts after the checkpoint: leave it to the decode
    packed = checkpoint.layout or await store.checkpoint_layout(board_id, checkpoint.seq)
    try:
        index = layout.load(packed) if packed is not None else None
        state, seq = checkpoint.state, checkpoint.seq
        pieces = index and welcome_pieces(state, seq, index, checkpoint.firsts)
    except (ValueError, KeyError, TypeError, msgpack.UnpackException):
        pieces = None  # an index this version cannot read: the decode will tell what is wrong
    if not pieces:
        return None
    replica.next_client_id = loaded.next_client_id  # ids are given from now (``Solo.bind``)
    return Opening(board_id, loaded, replica, settings, pieces)


def welcome_pieces(
    state: bytes,
    seq: int,
    index: layout.Layout,
    deleted: tuple[tuple[str, int], ...],
) -> tuple[Pieces, Packed, Packed, int, int] | None:
    """The welcome's ``elements`` (the checkpoint's own bytes), ``first``, ``gone``, the
    element count and the checkpoint's seq; None for a checkpoint whose ``first`` map also
    lists deleted ids (only the index's live ones are known here)."""
    n = len(index.ids)
    start, _ = index.first_span
    unpacker = msgpack.Unpacker()
    unpacker.feed(state[start : start + 5])
    try:
        listed = unpacker.read_map_header()
    except (ValueError, msgpack.OutOfData):
        return None
    if listed != n or len(index.offsets) != n + 1:
        return None
    elements = array_header(n) + state[index.offsets[0] : index.offsets[-1]]
    live = set(index.ids)
    gone: list[list[Any]] = [[id, s] for id, s in deleted if id not in live and s <= seq]
    return Pieces((elements,)), Packed(pack(index.firsts)), Packed(pack(gone)), n, seq
