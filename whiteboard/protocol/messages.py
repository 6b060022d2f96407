"""Client to server: a frame's bytes into a validated message.

Two kinds of failure are kept apart because the server answers them differently:

- ``CloseError``: the bytes themselves are unusable (not msgpack, not a map). The connection is
  closed with the given WebSocket close code.
- ``ProtocolError``: a readable message or op that breaks a rule. The author gets an ``err``
  frame and the connection stays open (except for a bad ``hello``, which the caller closes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from whiteboard.protocol.rules import (
    CLOSE_INVALID,
    CLOSE_TRY_AGAIN,
    COMPACT_VERSION,
    COORD_MAX,
    NAME_MAX,
    PROTOCOL_VERSION,
    TOKEN_MAX,
    CloseError,
    Limits,
    ProtocolError,
)
from whiteboard.protocol.validate import is_num, show, validate_op


def decode_frame(data: bytes) -> dict[str, Any]:
    """Unpack one binary frame into a map, or raise ``CloseError(1007)``.

    Whatever the bytes (deep nesting, ext types, lengths that promise more than the frame
    holds, maps keyed by maps), nothing but ``CloseError`` escapes: msgpack itself raises a
    zoo of exception types, and a bad frame must never turn into a handler crash. msgpack
    bounds every declared length by the size of the input, so a tiny frame cannot make it
    allocate a huge array. Map keys that are not strings are kept; validation treats them as
    unknown keys.
    """
    try:
        msg = msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True)
    except MemoryError:
        # The server's fault, not the client's: said as such, and worth retrying later.
        raise CloseError(CLOSE_TRY_AGAIN, "The server is short of memory: try later.") from None
    except Exception:
        raise CloseError(CLOSE_INVALID, "The frame is not valid msgpack.") from None
    if not isinstance(msg, dict):
        raise CloseError(CLOSE_INVALID, "A frame must hold exactly one msgpack map.")
    return msg


@dataclass(frozen=True)
class Hello:
    """A validated ``hello``: everything the server reads from it.

    ``name`` is trimmed. ``since`` is the resume point, if any. ``key`` is the edit key of a
    protected board and ``prev`` the (client id, token) of the connection this one replaces
    (docs/protocol.md, "Protected boards" and "Reconnecting without doubles"). ``compact``:
    the client reads compact ops frames (docs/protocol.md, "Compact live ops").
    """

    name: str
    since: int | None
    key: str | None = None
    prev: tuple[int, str] | None = None
    compact: bool = False


@dataclass
class OpsMessage:
    """A validated ``ops`` frame: each op is either accepted by validation or refused alone.

    The per-op refusals are values, not exceptions, because PROTOCOL.md judges every op on its
    own and in order: one bad op must not hide the others.
    """

    items: list[dict[str, Any] | ProtocolError]


@dataclass(frozen=True)
class CursorMessage:
    """A pointer position, or ``None, None`` when the pointer left the board."""

    x: float | None
    y: float | None
    laser: bool = False  # a laser stroke's point (Version 1.1): drawn as a fading trail


@dataclass(frozen=True)
class ViewMessage:
    """The board rectangle the sender sees: ``(x0, y0, x1, y1)`` with x0 < x1 and y0 < y1."""

    vp: tuple[float, float, float, float]


@dataclass(frozen=True)
class SummonMessage:
    """ "Come to my view": the others are moved to the sender's last ``view``."""


Message = OpsMessage | CursorMessage | ViewMessage | SummonMessage


def parse_hello(msg: dict[str, Any]) -> Hello:
    """Validate the first message of a connection; ``ProtocolError('bad_message')`` if invalid.

    ``since`` is returned as sent (any int >= 0); whether it is above the head or too old is
    the server's decision, answered with ``elements`` rather than an error.

    ``key`` and ``prev`` never make a hello invalid: a ``key`` that is not a string is no key
    (the board is then read-only, if protected), a ``prev`` that is not ``{id: int, token:
    str}`` is no ``prev`` (the old connection then lives until it closes by itself). Both are
    additions a version 1 client may not know, so a malformed one must not lock it out.
    """
    if msg.get("t") != "hello":
        raise ProtocolError("bad_message", "The first message must be a 'hello'.")
    v = msg.get("v")
    if type(v) is not int or v != PROTOCOL_VERSION:
        raise ProtocolError(
            "bad_message", f"Unsupported protocol version {show(v)}; this server speaks 1."
        )
    name = msg.get("name")
    if type(name) is not str:
        raise ProtocolError("bad_message", f"The name must be a string, not {show(name)}.")
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ProtocolError(
            "bad_message", f"The name must be 1 to {NAME_MAX} characters after trimming spaces."
        )
    since = msg.get("since")
    if since is not None and (type(since) is not int or since < 0):
        raise ProtocolError(
            "bad_message", f"'since' must be a sequence number (an int >= 0), not {show(since)}."
        )
    compact = msg.get("compact")
    if compact is not None and (type(compact) is not int or compact not in (0, COMPACT_VERSION)):
        raise ProtocolError(
            "bad_message",
            f"'compact' must be 0 or {COMPACT_VERSION} (or absent), not {show(compact)}.",
        )
    key = msg.get("key")
    return Hello(
        name=name,
        since=since,
        key=key if type(key) is str else None,
        prev=_prev(msg.get("prev")),
        compact=compact == COMPACT_VERSION,
    )


def _prev(value: Any) -> tuple[int, str] | None:
    """``hello.prev`` as (client id, token), or None when it is absent or not that shape."""
    if type(value) is not dict:
        return None
    cid, token = value.get("id"), value.get("token")
    if type(cid) is int and type(token) is str and len(token) <= TOKEN_MAX:
        return cid, token
    return None


def parse_message(msg: dict[str, Any], limits: Limits) -> Message:
    """Validate a message received after ``hello``.

    Raises ``ProtocolError('bad_message')`` (never with ``c``) when the message as a whole is
    unusable; refusals of single ops are returned inside the ``OpsMessage``.
    """
    t = msg.get("t")
    if t == "ops":
        ops = msg.get("ops")
        if type(ops) is not list or not 1 <= len(ops) <= limits.ops_per_frame:
            raise ProtocolError(
                "bad_message",
                f"'ops' must be an array of 1 to {limits.ops_per_frame} ops.",
            )
        items: list[dict[str, Any] | ProtocolError] = []
        for op in ops:
            try:
                items.append(validate_op(op, limits))
            except ProtocolError as exc:
                items.append(exc)
        return OpsMessage(items)
    if t == "cursor":
        return _parse_cursor(msg)
    if t == "view":
        return _parse_view(msg)
    if t == "summon":
        return SummonMessage()
    if t == "hello":
        raise ProtocolError("bad_message", "This connection has already said hello.")
    raise ProtocolError("bad_message", f"Unknown message type {show(t)}.")


def _parse_cursor(msg: dict[str, Any]) -> CursorMessage:
    """Cursor coordinates are any finite numbers: the pointer may legitimately be off-board.

    Both keys must be present: an absent ``x`` is a malformed cursor, not a hidden one.
    """
    if "x" not in msg or "y" not in msg:
        raise ProtocolError("bad_message", "A cursor needs both 'x' and 'y'.")
    x, y = msg["x"], msg["y"]
    laser = msg.get("laser", False)
    if type(laser) is not bool:
        raise ProtocolError(
            "bad_message", f"A cursor's 'laser' must be true or false, not {show(laser)}."
        )
    if x is None and y is None:
        return CursorMessage(None, None)  # a hidden pointer draws no laser point
    if is_num(x) and is_num(y):
        return CursorMessage(x, y, laser)
    raise ProtocolError(
        "bad_message", "A cursor's 'x' and 'y' must both be finite numbers, or both null."
    )


def _parse_view(msg: dict[str, Any]) -> ViewMessage:
    """A viewport is 4 board coordinates, a rectangle of positive size (PROTOCOL.md 1.1)."""
    vp = msg.get("vp")
    if (
        type(vp) is list
        and len(vp) == 4
        and all(is_num(v) and abs(v) <= COORD_MAX for v in vp)
        and vp[0] < vp[2]
        and vp[1] < vp[3]
    ):
        return ViewMessage((vp[0], vp[1], vp[2], vp[3]))
    raise ProtocolError(
        "bad_message",
        f"A view's 'vp' must be [x0, y0, x1, y1] with x0 < x1, y0 < y1, each within "
        f"{COORD_MAX:.0e}.",
    )
