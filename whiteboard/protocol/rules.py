"""The fixed numbers and names of the wire protocol, and the two kinds of failure.

Fixed means written in PROTOCOL.md or docs/protocol.md: changing one is a protocol change, not
a setting. The operator's size limits are ``Limits``; everything else here is a constant that
the server, the benchmarks, the history tools and the tests read from one place.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Final

# -- close codes ---------------------------------------------------------------------------------
# The server's codes: the PROTOCOL.md "Transport" table, plus 1000 and 1011 (docs/protocol.md).
# Named after their RFC 6455 meaning, since one code may have several causes here.
# static/src/net/messages.ts names the same codes (``CLOSE``): tests/vectors/close_codes.json
# holds both to the same numbers.

CLOSE_NORMAL: Final = 1000
"""A newer connection of the same client took over (``hello.prev``)."""
CLOSE_GOING_AWAY: Final = 1001
"""The server is shutting down; clients reconnect and resume."""
CLOSE_UNSUPPORTED: Final = 1003
"""A text frame was received."""
CLOSE_INVALID: Final = 1007
"""A frame is not valid msgpack, or not a map."""
CLOSE_POLICY: Final = 1008
"""A bad ``hello``, too many refusals, too many connections from one address. The app does not
retry after it, so it is only for what a retry would repeat."""
CLOSE_TOO_BIG: Final = 1009
"""A frame is larger than ``limits.frame_bytes`` (Tornado sends it, from
``websocket_max_message_size``)."""
CLOSE_SERVER_ERROR: Final = 1011
"""The server could not store the board's ops; nothing unstored was acknowledged."""
CLOSE_TRY_AGAIN: Final = 1013
"""The client reads too slowly, or its board cannot be opened now; it may reconnect at once."""

# The app's own codes, for sockets it closes itself (4000-4999 is RFC 6455's private range). The
# server never sends them and ignores them; they are named here so that a new server code can
# never take a number the app already gives another meaning (tests/unit/test_protocol.py).

APP_CLOSE_OFFLINE: Final = 4000
"""The browser went offline (or a test blocked the connection)."""
APP_CLOSE_RECONNECT: Final = 4001
"""A deliberate reconnect, e.g. to announce a new name; the app comes back at once."""
APP_CLOSE_RESYNC: Final = 4002
"""The app saw a gap in sequence numbers, or diverged, and starts over."""
APP_CLOSE_NO_ANSWER: Final = 4003
"""The server did not answer in time: the connection is taken for half-open."""

# -- versions and identifiers --------------------------------------------------------------------

PROTOCOL_VERSION: Final = 1
COMPACT_VERSION: Final = 1
"""The compact ops format a ``hello`` may ask for with ``compact: 1`` (docs/protocol.md)."""

BOARD_ID_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
"""A board id (PROTOCOL.md, "Transport"), for ``re.fullmatch``: the WebSocket path, every HTTP
route and board files use the same one."""
ID_PATTERN: Final = r"[A-Za-z0-9_-]{1,32}"
"""An element id (PROTOCOL.md, "Elements"), for ``re.fullmatch``."""
COLOR_PATTERN: Final = r"#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?"

TOKEN_MAX: Final = 64
"""Longest ``hello.prev.token`` looked at. The server's tokens are far shorter; a longer one
cannot be ours, and is not worth comparing."""

# -- fixed rules that are not operator limits ----------------------------------------------------

MAX_C: Final = 2**53 - 1
"""Largest client op number: the largest integer a JavaScript number holds exactly."""
PT_MIN: Final = -(2**31)
PT_MAX: Final = 2**31 - 1
COORD_MAX: Final = 1e7
WIDTH_MIN: Final = 0.1
WIDTH_MAX: Final = 200
SIZE_MIN: Final = 4
SIZE_MAX: Final = 400
PS_MIN: Final = 1
PS_MAX: Final = 64
PR_MAX: Final = 255
NAME_MAX: Final = 40
IDS_PER_DELETE: Final = 1024

BLOB_PATTERN: Final = r"[0-9a-f]{64}"
"""A blob's name (PROTOCOL.md 1.1): the SHA-256 of its bytes, hex, for ``re.fullmatch``."""
ANGLE_MAX: Final = math.pi
"""``angle`` is radians from -π to π (PROTOCOL.md 1.1)."""

ELEMENT_TYPES: Final = (
    "pen",
    "line",
    "arrow",
    "rect",
    "ellipse",
    "text",
    "image",
    "note",
    "frame",
)
OP_KINDS: Final = ("add", "append", "update", "delete")
ERROR_CODES: Final = (
    "bad_message",
    "bad_op",
    "not_found",
    "exists",
    "too_large",
    "rate_limited",
    "board_full",
    "read_only",
    "locked",
)
"""Every ``err.code`` (PROTOCOL.md; ``locked`` from version 1.1)."""

FRAME_NAME_MAX: Final = 200
"""Longest frame ``name`` (PROTOCOL.md 1.1), in code points."""
LABEL_SIZE: Final = 20
"""A label's font size when a rect or ellipse with ``text`` has no ``size`` (PROTOCOL.md 1.1)."""

_PLACED: Final = frozenset({"id", "type", "x", "y", "z", "locked"})
_COMMON: Final = _PLACED | {"stroke"}
_LABEL: Final = frozenset({"text", "size"})
FIELDS: Final[dict[str, frozenset[str]]] = {
    "pen": _COMMON | {"width", "pts", "ps", "pr"},
    "line": _COMMON | {"width", "w", "h", "from", "to"},
    "arrow": _COMMON | {"width", "w", "h", "from", "to"},
    "rect": _COMMON | {"width", "fill", "w", "h", "angle"} | _LABEL,
    "ellipse": _COMMON | {"width", "fill", "w", "h", "angle"} | _LABEL,
    "text": _COMMON | {"text", "size", "angle"},
    # PROTOCOL.md 1.1: a picture has no stroke; its blob must be stored on the board.
    "image": _PLACED | {"w", "h", "blob", "angle"},
    # A note's fill is its colour and its stroke the text's; a frame has no stroke or width.
    "note": _COMMON | {"fill", "w", "h", "text", "size", "angle"},
    "frame": _PLACED | {"w", "h", "name"},
}
"""Every field each element type may have (required and optional)."""

OPTIONAL_FIELDS: Final = frozenset({"z", "fill", "ps", "pr", "angle", "locked", "from", "to"})
"""Fields that are optional on every type that has them; ``_OPTIONAL_HERE`` and
``_REQUIRED_HERE`` are the per-type exceptions of PROTOCOL.md 1.1."""
_OPTIONAL_HERE: Final[dict[str, frozenset[str]]] = {
    "rect": _LABEL,
    "ellipse": _LABEL,
    "note": frozenset({"size"}),
}
_REQUIRED_HERE: Final[dict[str, frozenset[str]]] = {"note": frozenset({"fill"})}
REQUIRED_FIELDS: Final[dict[str, frozenset[str]]] = {
    etype: fields - OPTIONAL_FIELDS - _OPTIONAL_HERE.get(etype, frozenset())
    | _REQUIRED_HERE.get(etype, frozenset())
    for etype, fields in FIELDS.items()
}
UNSETTABLE_FIELDS: Final = frozenset({"id", "type", "pts", "pr", "ps"})
"""Fields ``update`` may never touch: identity, and the point data that only ``append`` grows."""
REMOVABLE: Final[dict[str, frozenset[str]]] = {
    etype: fields - REQUIRED_FIELDS[etype] - UNSETTABLE_FIELDS for etype, fields in FIELDS.items()
}
"""Per type, the optional fields an ``update`` may remove by setting them to ``null`` (a
label, a binding, ``locked``, ``angle`` (undoing the first turn of an element removes it), as
well as version 1's ``fill`` and ``z``)."""
REMOVABLE_FIELDS: Final = frozenset().union(*REMOVABLE.values())
"""Fields that some type may remove with ``null``: all an update's ``set`` is checked against
before the target's type is known (the ``Document`` then checks ``REMOVABLE``)."""
POSITIVE_SIZE_TYPES: Final = frozenset({"image", "note", "frame"})
"""Types whose ``w`` and ``h`` must be > 0 (a shape's may be negative: drawn up or left)."""


@dataclass(frozen=True)
class Limits:
    """The operator-set size limits that validation and the ``Document`` enforce.

    Kept separate from ``Settings`` so this package stays importable without the server's
    configuration, and so tests can shrink a limit to reach it cheaply.
    """

    frame_bytes: int = 1 << 20
    ops_per_frame: int = 256
    values_per_op: int = 10_000
    values_per_element: int = 100_000
    elements_per_board: int = 100_000
    text_chars: int = 10_000

    @classmethod
    def from_object(cls, source: Any) -> Limits:
        """Build from any object with attributes of the same names (e.g. ``Settings``)."""
        return cls(**{f.name: getattr(source, f.name) for f in dataclasses.fields(cls)})


class ProtocolError(Exception):
    """A refusal that is answered with an ``err`` frame; the connection stays open.

    ``c`` is the client's number of the refused op, when the op had a valid one, so the client
    can match the refusal to its pending op.
    """

    def __init__(self, code: str, msg: str, c: int | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.c = c

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.msg!r}, c={self.c!r})"


class CloseError(Exception):
    """The connection must be closed with WebSocket close ``code`` and this ``reason``.

    Reasons are short ASCII sentences: a close frame allows at most 123 bytes of reason.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"CloseError({self.code!r}, {self.reason!r})"
