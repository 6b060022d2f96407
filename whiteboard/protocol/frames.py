"""Server to client: server ops and the frames that carry them, encoded as the wire has them.

Frames that go to many clients (``ops``, ``presence``) are encoded once per tick and the same
bytes written to each; frames that go to one (``welcome``, ``err``) are encoded per client.
"""

from __future__ import annotations

from typing import Any, Final

from whiteboard.codec import (
    Packed,
    Pieces,
    array_header,
    map_header,
    pack,
    pack_map,
    pack_map_parts,
)
from whiteboard.protocol.rules import PROTOCOL_VERSION


def server_op(op: dict[str, Any], s: int, by: int) -> dict[str, Any]:
    """The server op of an accepted client op: the same map with ``s`` then ``by`` added.

    The op is changed in place and returned, so that a tick costs no copy per op: the map is
    the server's own (decoded from the author's frame, or built by an import or a fork), and the
    ``Document`` keeps copies of what it needs. It must not hold ``s`` or ``by`` already (a
    validated client op cannot: unknown keys are refused).

    **Key order is part of the stored format.** A server op's keys are the client op's keys in
    the order the client sent them, then ``s``, then ``by``; readers that add ``ts`` (log pages,
    board files, ``welcome.ops``) add it last. ``history/pages.py`` relies on this: it answers a
    log page by copying each stored op's bytes, which must end with ``"s" <int> "by" <int>``,
    and appending ``"ts" <int>``; an op stored any other way still reads right, but is decoded
    and encoded again, several times slower (tests/unit/test_server_op.py holds both to it).
    """
    op["s"] = s
    op["by"] = by
    return op


def encode_welcome(**fields: Any) -> bytes:
    """``welcome_parts`` joined: the welcome as one message."""
    return b"".join(welcome_parts(**fields))


def welcome_parts(
    *,
    board: str,
    me: int,
    color: str,
    seq: int,
    peers: list[dict[str, Any]],
    elements: list[dict[str, Any]] | Packed | Pieces | None,
    ops: list[dict[str, Any]] | Packed | Pieces | None,
    limits: dict[str, int],
    readonly: bool,
    token: str,
    first: list[int] | Packed | None = None,
    gone: list[list[Any]] | Packed | None = None,
    count: int | None = None,
) -> list[bytes]:
    """Encode the answer to ``hello``: PROTOCOL.md's keys, then docs/protocol.md's additions;
    as pieces of one message, the ``Packed`` ones shared (``Transport.send_parts``).

    Exactly one of ``elements`` (a fresh state) and ``ops`` (the ops after ``since``) is given.
    ``first`` goes with ``elements`` and only with them: the ``s`` of each element's first
    ``add``, in the same order; so does ``gone`` (``Document.gone()``: ``[id, seq]`` of the ids
    added before and deleted since), when given. ``readonly`` is always sent ("Protected
    boards"), ``token`` too (the secret a reconnect sends back in ``hello.prev``). Breaking
    these rules is a programming error (``ValueError``), not something a client can cause.

    ``elements``, ``ops``, ``first`` and ``gone`` may come ``Packed`` or ``Pieces`` (the
    same for all of a tick's joiners, packed once); with packed elements and first,
    ``count`` is how many elements they hold.
    """
    if (elements is None) == (ops is None):
        raise ValueError("welcome needs exactly one of elements and ops")
    n_elements = (
        count
        if isinstance(elements, Packed | Pieces)
        else None
        if elements is None
        else len(elements)
    )
    n_first = count if isinstance(first, Packed) else None if first is None else len(first)
    if (first is None) != (elements is None) or (first is not None and n_first != n_elements):
        raise ValueError("welcome.first goes with elements, one seq per element")
    if gone is not None and elements is None:
        raise ValueError("welcome.gone goes with elements")
    msg: dict[str, Any] = {  # PROTOCOL.md's keys, in the order the text lists them
        "t": "welcome",
        "v": PROTOCOL_VERSION,
        "board": board,
        "me": me,
        "color": color,
        "seq": seq,
        "peers": peers,
        "elements": elements,
        "ops": ops,
        "limits": limits,
        "readonly": readonly,
        "token": token,
    }
    if first is not None:
        msg["first"] = first
    if gone is not None:
        msg["gone"] = gone
    return pack_map_parts(msg)


def encode_err(code: str, msg: str, c: int | None = None) -> bytes:
    """Encode a refusal; ``c`` is omitted when the refused thing was not a numbered op."""
    frame: dict[str, Any] = {"t": "err", "code": code, "msg": msg}
    if c is not None:
        frame["c"] = c
    return pack(frame)


def encode_presence(
    join: list[dict[str, Any]] | None = None,
    leave: list[int] | None = None,
    cur: list[list[Any]] | Packed | None = None,
    view: list[list[Any]] | None = None,
    laser: list[list[Any]] | None = None,
) -> bytes:
    """Encode a presence change; empty parts are left out to keep the frequent frames small.

    ``view`` ([id, x0, y0, x1, y1] each) and ``laser`` ([id, x, y] each, in order) are the
    Version 1.1 additions. ``cur`` may come ``Packed`` (spliced from cursors packed once).
    """
    frame: dict[str, Any] = {"t": "presence"}
    if join:
        frame["join"] = join
    if leave:
        frame["leave"] = leave
    if cur:
        frame["cur"] = cur
    if view:
        frame["view"] = view
    if laser:
        frame["laser"] = laser
    return pack_map(frame)


class PresenceFrame:
    """One tick's ``presence`` for a whole board: the same bytes for everyone, and for each
    client whose own cursor is in it, those bytes minus that cursor, spliced rather than encoded
    again (PROTOCOL.md: ``cur`` never holds the receiver's own cursor).

    Each cursor is packed once; the shared payload is their concatenation between a head
    (``t``, ``leave``, the ``cur`` key) and a tail (``view``, ``laser``), in
    ``encode_presence``'s key order, so ``shared`` is byte for byte ``encode_presence(...)``.
    A receiver's own-less copy is then a few slices joined in C: the fan-out costs a constant
    amount of Python per receiver, whatever the number of cursors (it used to encode every
    other cursor again for every mover: quadratic).
    """

    __slots__ = ("_ends", "_entries", "_head", "_index", "_n", "_tail", "shared")

    def __init__(
        self,
        leave: list[int] | None,
        cur: list[list[Any]],
        view: list[list[Any]] | None = None,
        laser: list[list[Any]] | None = None,
    ) -> None:
        if not cur:
            raise ValueError("a PresenceFrame carries cursors; use encode_presence")
        head = [pack("t"), pack("presence")]
        if leave:
            head += (pack("leave"), pack(leave))
        tail: list[bytes] = []
        if view:
            tail += (pack("view"), pack(view))
        if laser:
            tail += (pack("laser"), pack(laser))
        self._n = len(head) // 2 + len(tail) // 2  # map entries besides ``cur``
        self._head = b"".join(head)
        self._tail = b"".join(tail)
        packed = [pack(c) for c in cur]
        entries = b"".join(packed)
        self._entries = memoryview(entries)  # slices without copying
        ends = []
        end = 0
        for p in packed:
            end += len(p)
            ends.append(end)
        self._ends = ends
        self._index = {c[0]: i for i, c in enumerate(cur)}
        self.shared = b"".join(
            (map_header(self._n + 1), self._head, _CUR_KEY, array_header(len(cur)),
             entries, self._tail)
        )  # fmt: skip

    def holds(self, client_id: int) -> bool:
        return client_id in self._index

    def without(self, client_id: int) -> bytes | None:
        """The shared payload minus ``client_id``'s cursor; ``None`` when nothing is left to
        tell that client (its own cursor was all the frame held)."""
        i = self._index.get(client_id)
        if i is None:
            return self.shared
        n = len(self._ends) - 1
        if n == 0:
            if self._n == 1:
                return None
            return b"".join((map_header(self._n), self._head, self._tail))
        start = self._ends[i - 1] if i else 0
        entries = self._entries
        return b"".join(
            (map_header(self._n + 1), self._head, _CUR_KEY, array_header(n),
             entries[:start], entries[self._ends[i]:], self._tail)
        )  # fmt: skip


_CUR_KEY: Final = pack("cur")


def encode_summon(by: int, vp: list[float] | tuple[float, ...]) -> bytes:
    """``{t:"summon", by, vp}``: everyone but ``by`` moves to ``vp`` (PROTOCOL.md 1.1)."""
    return pack({"t": "summon", "by": by, "vp": list(vp)})


def encode_ops_array(sops: list[dict[str, Any]]) -> bytes:
    """Encode one tick's server ops as a msgpack array.

    These bytes are both the stored log row of the tick and the body of its broadcast frame,
    so each tick's ops are encoded exactly once.
    """
    return pack(sops)


_OPS_FRAME_HEAD: Final = b"\x83" + pack("t") + pack("ops") + pack("ts")
_OPS_KEY: Final = pack("ops")


def encode_ops_frame(ts: int, ops_array: bytes) -> bytes:
    """Wrap an already-encoded ops array into ``{t:"ops", ts, ops}`` without re-encoding it.

    A map header for three entries, then the keys and values in order: byte concatenation is
    all it costs, however many ops the tick holds.
    """
    return b"".join((_OPS_FRAME_HEAD, pack(ts), _OPS_KEY, ops_array))
