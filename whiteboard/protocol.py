"""Wire protocol version 1: decode and validate client frames, encode server frames.

Everything that arrives from a socket passes through here before it can reach a ``Document``,
so this module is the one place that knows the exact rules of ``PROTOCOL.md``. It is pure (no
I/O, no Tornado) so that every rule can be unit tested byte for byte, and so that the server,
the benchmarks and the history tools all agree on what a valid op is.

Two kinds of failure are kept apart because the server answers them differently:

- ``CloseError``: the bytes themselves are unusable (not msgpack, not a map). The connection is
  closed with the given WebSocket close code.
- ``ProtocolError``: a readable message or op that breaks a rule. The author gets an ``err``
  frame and the connection stays open (except for a bad ``hello``, which the caller closes).

Type checks use exact types (``type(v) is int``) rather than ``isinstance`` on purpose: msgpack
produces exactly ``int``/``float``/``str``, and ``bool`` is a subclass of ``int`` in Python
while the protocol says ``true``/``false`` are not numbers.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgpack

# -- close codes (PROTOCOL.md, "Transport") ------------------------------------------------------

CLOSE_GOING_AWAY: Final = 1001
CLOSE_UNSUPPORTED: Final = 1003
CLOSE_INVALID: Final = 1007
CLOSE_POLICY: Final = 1008
CLOSE_TOO_BIG: Final = 1009
CLOSE_TRY_AGAIN: Final = 1013

PROTOCOL_VERSION: Final = 1
COMPACT_VERSION: Final = 1
"""The compact ops format a ``hello`` may ask for with ``compact: 1`` (docs/protocol.md)."""

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

_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
_COLOR_RE: Final = re.compile(r"#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")

ELEMENT_TYPES: Final = ("pen", "line", "arrow", "rect", "ellipse", "text")
OP_KINDS: Final = ("add", "append", "update", "delete")

_COMMON: Final = frozenset({"id", "type", "x", "y", "stroke", "z"})
FIELDS: Final[dict[str, frozenset[str]]] = {
    "pen": _COMMON | {"width", "pts", "ps", "pr"},
    "line": _COMMON | {"width", "w", "h"},
    "arrow": _COMMON | {"width", "w", "h"},
    "rect": _COMMON | {"width", "fill", "w", "h"},
    "ellipse": _COMMON | {"width", "fill", "w", "h"},
    "text": _COMMON | {"text", "size"},
}
"""Every field each element type may have (required and optional)."""

OPTIONAL_FIELDS: Final = frozenset({"z", "fill", "ps", "pr"})
REQUIRED_FIELDS: Final[dict[str, frozenset[str]]] = {
    etype: fields - OPTIONAL_FIELDS for etype, fields in FIELDS.items()
}
UNSETTABLE_FIELDS: Final = frozenset({"id", "type", "pts", "pr", "ps"})
"""Fields ``update`` may never touch: identity, and the point data that only ``append`` grows."""
REMOVABLE_FIELDS: Final = frozenset({"fill", "z"})
"""Optional fields that ``update`` may remove by setting them to ``null``."""
_ANY_TYPE_FIELDS: Final = frozenset().union(*FIELDS.values())

# (allowed keys, required keys) per op kind.
_OP_SHAPES: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "add": (frozenset({"k", "c", "e"}), frozenset({"e"})),
    "append": (frozenset({"k", "c", "id", "pts", "pr"}), frozenset({"id", "pts"})),
    "update": (frozenset({"k", "c", "id", "set"}), frozenset({"id", "set"})),
    "delete": (frozenset({"k", "c", "ids"}), frozenset({"ids"})),
}


@dataclass(frozen=True)
class Limits:
    """The operator-set size limits that validation and the ``Document`` enforce.

    Kept separate from ``Settings`` so this module stays importable without the server's
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


# -- decoding ------------------------------------------------------------------------------------


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
    except Exception:
        raise CloseError(CLOSE_INVALID, "The frame is not valid msgpack.") from None
    if not isinstance(msg, dict):
        raise CloseError(CLOSE_INVALID, "A frame must hold exactly one msgpack map.")
    return msg


@dataclass(frozen=True)
class Hello:
    """A validated ``hello``: the trimmed display name, the resume point, if any, and whether
    the client reads compact ops frames (docs/protocol.md, "Compact live ops")."""

    name: str
    since: int | None
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


def parse_hello(msg: dict[str, Any]) -> Hello:
    """Validate the first message of a connection; ``ProtocolError('bad_message')`` if invalid.

    ``since`` is returned as sent (any int >= 0); whether it is above the head or too old is
    the server's decision, answered with ``elements`` rather than an error.
    """
    if msg.get("t") != "hello":
        raise ProtocolError("bad_message", "The first message must be a 'hello'.")
    v = msg.get("v")
    if type(v) is not int or v != PROTOCOL_VERSION:
        raise ProtocolError(
            "bad_message", f"Unsupported protocol version {_show(v)}; this server speaks 1."
        )
    name = msg.get("name")
    if type(name) is not str:
        raise ProtocolError("bad_message", f"The name must be a string, not {_show(name)}.")
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ProtocolError(
            "bad_message", f"The name must be 1 to {NAME_MAX} characters after trimming spaces."
        )
    since = msg.get("since")
    if since is not None and (type(since) is not int or since < 0):
        raise ProtocolError(
            "bad_message", f"'since' must be a sequence number (an int >= 0), not {_show(since)}."
        )
    compact = msg.get("compact")
    if compact is not None and (type(compact) is not int or compact not in (0, COMPACT_VERSION)):
        raise ProtocolError(
            "bad_message",
            f"'compact' must be 0 or {COMPACT_VERSION} (or absent), not {_show(compact)}.",
        )
    return Hello(name=name, since=since, compact=compact == COMPACT_VERSION)


def parse_message(msg: dict[str, Any], limits: Limits) -> OpsMessage | CursorMessage:
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
    if t == "hello":
        raise ProtocolError("bad_message", "This connection has already said hello.")
    raise ProtocolError("bad_message", f"Unknown message type {_show(t)}.")


def _parse_cursor(msg: dict[str, Any]) -> CursorMessage:
    """Cursor coordinates are any finite numbers: the pointer may legitimately be off-board.

    Both keys must be present: an absent ``x`` is a malformed cursor, not a hidden one.
    """
    if "x" not in msg or "y" not in msg:
        raise ProtocolError("bad_message", "A cursor needs both 'x' and 'y'.")
    x, y = msg["x"], msg["y"]
    if x is None and y is None:
        return CursorMessage(None, None)
    if _is_num(x) and _is_num(y):
        return CursorMessage(x, y)
    raise ProtocolError(
        "bad_message", "A cursor's 'x' and 'y' must both be finite numbers, or both null."
    )


# -- op validation -------------------------------------------------------------------------------


def validate_op(op: Any, limits: Limits) -> dict[str, Any]:
    """Check one client op against PROTOCOL.md and return it unchanged.

    The very same map is returned (no copy) so the server can wrap it into a server op and
    encode it once. What needs board state (is the id live? what is its type?) is left to the
    ``Document``. A refusal carries ``c`` whenever the op had a valid ``c``.
    """
    if type(op) is not dict:
        raise ProtocolError("bad_op", f"An op must be a map, not {_show(op)}.")
    c = op.get("c")
    if type(c) is not int or not 0 <= c <= MAX_C:
        raise ProtocolError("bad_op", f"An op needs 'c', an int from 0 to 2^53-1, not {_show(c)}.")
    try:
        _check_op(op, limits)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.msg, c) from None
    return op


def _check_op(op: dict[str, Any], limits: Limits) -> None:
    k = op.get("k")
    if type(k) is not str or k not in _OP_SHAPES:
        raise ProtocolError(
            "bad_op", f"Unknown op kind {_show(k)}; it must be add, append, update or delete."
        )
    allowed, required = _OP_SHAPES[k]
    _check_keys(op, allowed, required, f"{_a(k)} '{k}' op")
    if k == "append":
        _check_id(op["id"], "'id'")
        n = _check_pts(op["pts"], limits, "op")
        if "pr" in op:
            _check_pr(op["pr"], n)
    elif k == "add":
        validate_element(op["e"], limits, in_op=True)
    elif k == "update":
        _check_id(op["id"], "'id'")
        _check_set(op["set"], limits)
    else:
        _check_ids(op["ids"])


def _check_keys(
    obj: dict[Any, Any], allowed: frozenset[str], required: frozenset[str], where: str
) -> None:
    """Unknown keys are refused so that a typo never silently drops a user's change."""
    if not obj.keys() <= allowed:
        for key in obj:
            if key not in allowed:
                raise ProtocolError("bad_op", f"Unknown field {_key(key)} in {where}.")
    for key in sorted(required):
        if key not in obj:
            raise ProtocolError("bad_op", f"Missing field '{key}' in {where}.")


def _check_set(changes: Any, limits: Limits) -> None:
    """Check an update's ``set`` as far as possible without knowing the element's type.

    Keys that no type could accept and every value are checked here; whether the key belongs
    to the target's type is ``validate_field``'s job, called by the ``Document``.
    """
    if type(changes) is not dict or not changes:
        raise ProtocolError("bad_op", "'set' must be a non-empty map of fields to change.")
    for key, value in changes.items():
        if type(key) is not str:
            raise ProtocolError("bad_op", f"Unknown field {_key(key)} in 'set'.")
        if key in UNSETTABLE_FIELDS:
            raise ProtocolError("bad_op", f"Field '{key}' cannot be changed by an update.")
        if key not in _ANY_TYPE_FIELDS:
            raise ProtocolError("bad_op", f"Unknown field {_key(key)} in 'set'.")
        if value is None:
            if key not in REMOVABLE_FIELDS:
                raise ProtocolError(
                    "bad_op", f"Field '{key}' is required; it cannot be removed with null."
                )
            continue
        _FIELD_CHECKS[key](value, key, limits)


def _check_ids(ids: Any) -> None:
    if type(ids) is not list or not 1 <= len(ids) <= IDS_PER_DELETE:
        raise ProtocolError("bad_op", f"'ids' must be an array of 1 to {IDS_PER_DELETE} ids.")
    for value in ids:
        _check_id(value, "every id in 'ids'")


def validate_field(etype: str, key: str, value: Any, limits: Limits) -> None:
    """Check that an update may set ``key`` to ``value`` on an element of type ``etype``.

    Used by the ``Document``, which alone knows the target's type. ``None`` is accepted only
    for the removable optional fields (``fill``, ``z``) of types that have them.
    """
    fields = FIELDS.get(etype)
    if fields is None:
        raise ProtocolError("bad_op", f"Unknown element type {_show(etype)}.")
    if type(key) is not str or key not in fields:
        raise ProtocolError(
            "bad_op", f"{_a(etype).capitalize()} {etype} element has no field {_key(key)}."
        )
    if key in UNSETTABLE_FIELDS:
        raise ProtocolError("bad_op", f"Field '{key}' cannot be changed by an update.")
    if value is None:
        if key in REMOVABLE_FIELDS:
            return
        raise ProtocolError(
            "bad_op",
            f"Field '{key}' of {_a(etype)} {etype} element is required; it cannot be removed.",
        )
    _FIELD_CHECKS[key](value, key, limits)


def validate_element(e: Any, limits: Limits, *, in_op: bool = True) -> dict[str, Any]:
    """Check a whole element (as carried by ``add``) and return it unchanged.

    With ``in_op`` the pen's points also count against ``values_per_op``, since an ``add``
    carries them all in one op. The element's size is checked before its contents so that an
    oversized element costs no more than a length lookup to refuse.
    """
    if type(e) is not dict:
        raise ProtocolError("bad_op", f"An element must be a map, not {_show(e)}.")
    etype = e.get("type")
    if type(etype) is not str or etype not in FIELDS:
        raise ProtocolError(
            "bad_op",
            f"Unknown element type {_show(etype)}; it must be one of {', '.join(ELEMENT_TYPES)}.",
        )
    where = f"{_a(etype)} {etype} element"
    _check_keys(e, FIELDS[etype], REQUIRED_FIELDS[etype], where)
    for key, value in e.items():
        if key == "pts":
            n = _check_pts(value, limits, "element" if not in_op else "op")
            if "pr" in e:
                _check_pr(e["pr"], n)
        elif key == "type" or key == "pr":
            continue
        else:
            _FIELD_CHECKS[key](value, key, limits)
    return e


# -- field checks --------------------------------------------------------------------------------


def _is_num(v: Any) -> bool:
    """A protocol number: an int or a finite float, and never a bool."""
    t = type(v)
    return t is int or (t is float and math.isfinite(v))


def _check_coord(value: Any, key: str, limits: Limits) -> None:
    if not _is_num(value) or abs(value) > COORD_MAX:
        raise ProtocolError(
            "bad_op", f"'{key}' must be a number from -1e7 to 1e7, not {_show(value)}."
        )


def _check_width(value: Any, key: str, limits: Limits) -> None:
    if not _is_num(value) or not WIDTH_MIN <= value <= WIDTH_MAX:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must be a number from {WIDTH_MIN} to {WIDTH_MAX}, not {_show(value)}.",
        )


def _check_size(value: Any, key: str, limits: Limits) -> None:
    if not _is_num(value) or not SIZE_MIN <= value <= SIZE_MAX:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must be a number from {SIZE_MIN} to {SIZE_MAX}, not {_show(value)}.",
        )


def _check_z(value: Any, key: str, limits: Limits) -> None:
    if not _is_num(value):
        raise ProtocolError("bad_op", f"'{key}' must be a finite number, not {_show(value)}.")


def _check_color(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str or _COLOR_RE.fullmatch(value) is None:
        raise ProtocolError(
            "bad_op", f"'{key}' must be a colour like #1e90ff or #1e90ff80, not {_show(value)}."
        )


def _check_text(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str:
        raise ProtocolError("bad_op", f"'{key}' must be a string, not {_show(value)}.")
    if not value:
        raise ProtocolError("bad_op", f"'{key}' must not be empty.")
    if len(value) > limits.text_chars:
        raise ProtocolError(
            "too_large",
            f"The text has {len(value)} characters; at most {limits.text_chars} are allowed.",
        )


def _check_ps(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not int or not PS_MIN <= value <= PS_MAX:
        raise ProtocolError(
            "bad_op", f"'{key}' must be an int from {PS_MIN} to {PS_MAX}, not {_show(value)}."
        )


def _check_id_field(value: Any, key: str, limits: Limits) -> None:
    _check_id(value, f"'{key}'")


def _check_id(value: Any, what: str) -> None:
    if type(value) is not str or _ID_RE.fullmatch(value) is None:
        raise ProtocolError(
            "bad_op",
            f"{what[0].upper()}{what[1:]} must be 1 to 32 letters, digits, '_' or '-', "
            f"not {_show(value)}.",
        )


def _check_pts(pts: Any, limits: Limits, scope: str) -> int:
    """Check delta-encoded pen points; return the number of points.

    The size limits come first (cheap, and the reason a client must split its stroke), then
    the values, with C-speed ``set``/``min``/``max`` over the list: a 10,000-value append is
    the hottest op there is.
    """
    if type(pts) is not list:
        raise ProtocolError("bad_op", f"'pts' must be an array of ints, not {_show(pts)}.")
    n = len(pts)
    if scope == "op" and n > limits.values_per_op:
        raise ProtocolError(
            "too_large",
            f"The op carries {n} point values; at most {limits.values_per_op} fit in one op.",
        )
    if n > limits.values_per_element:
        raise ProtocolError(
            "too_large",
            f"The element has {n} point values; at most {limits.values_per_element} are "
            "allowed in one element.",
        )
    if n < 2 or n % 2:
        raise ProtocolError(
            "bad_op", "'pts' must hold at least one point: an even number of ints (dx, dy)."
        )
    if set(map(type, pts)) != {int}:
        raise ProtocolError("bad_op", "Every value in 'pts' must be an int.")
    if min(pts) < PT_MIN or max(pts) > PT_MAX:
        raise ProtocolError("bad_op", "Every value in 'pts' must be from -2^31 to 2^31-1.")
    return n // 2


def _check_pr(pr: Any, points: int) -> None:
    if type(pr) is not list or len(pr) != points:
        raise ProtocolError(
            "bad_op", f"'pr' must be an array with one pressure per point: {points} values."
        )
    if set(map(type, pr)) != {int} or min(pr) < 0 or max(pr) > PR_MAX:
        raise ProtocolError("bad_op", f"Every pressure in 'pr' must be an int from 0 to {PR_MAX}.")


_FIELD_CHECKS: Final[dict[str, Callable[[Any, str, Limits], None]]] = {
    "id": _check_id_field,
    "x": _check_coord,
    "y": _check_coord,
    "w": _check_coord,
    "h": _check_coord,
    "stroke": _check_color,
    "fill": _check_color,
    "width": _check_width,
    "z": _check_z,
    "text": _check_text,
    "size": _check_size,
    "ps": _check_ps,
}
"""One checker per scalar field: a field has the same rule whatever the element type. ``type``,
``pts`` and ``pr`` are checked by ``validate_element`` itself, as they depend on other fields."""


# -- messages ------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """Describe a value for an error sentence without echoing a huge or binary payload."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "infinity" if value > 0 else "-infinity"
        return repr(value)
    if type(value) is str:
        shown = value if len(value) <= 40 else value[:40] + "..."
        return repr(shown)
    if type(value) is bytes:
        return "binary data"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "a map"
    return "an unsupported value"


def _a(word: str) -> str:
    """The indefinite article for a type or kind name: messages are read by people."""
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


def _key(key: Any) -> str:
    """Name a map key in a sentence: "'foo'", "with key 7", "with a binary key"."""
    if type(key) is str:
        return _show(key)
    if type(key) is bytes:
        return "with a binary key"
    return f"with key {_show(key)}"


# -- encoding ------------------------------------------------------------------------------------


def _pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def encode_welcome(
    *,
    board: str,
    me: int,
    color: str,
    seq: int,
    peers: list[dict[str, Any]],
    elements: list[dict[str, Any]] | None,
    ops: list[dict[str, Any]] | None,
    limits: dict[str, int],
    extra: dict[str, Any] | None = None,
) -> bytes:
    """Encode the answer to ``hello``. ``extra`` carries documented additions to the protocol.

    Exactly one of ``elements`` and ``ops`` must be given; a programming error otherwise.
    """
    if (elements is None) == (ops is None):
        raise ValueError("welcome needs exactly one of elements and ops")
    msg: dict[str, Any] = {
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
    }
    if extra:
        clash = msg.keys() & extra.keys()
        if clash:
            raise ValueError(f"extra welcome keys would replace protocol keys: {sorted(clash)}")
        msg.update(extra)
    return _pack(msg)


def encode_err(code: str, msg: str, c: int | None = None) -> bytes:
    """Encode a refusal; ``c`` is omitted when the refused thing was not a numbered op."""
    frame: dict[str, Any] = {"t": "err", "code": code, "msg": msg}
    if c is not None:
        frame["c"] = c
    return _pack(frame)


def encode_presence(
    join: list[dict[str, Any]] | None = None,
    leave: list[int] | None = None,
    cur: list[list[Any]] | None = None,
) -> bytes:
    """Encode a presence change; empty parts are left out to keep the frequent frames small."""
    frame: dict[str, Any] = {"t": "presence"}
    if join:
        frame["join"] = join
    if leave:
        frame["leave"] = leave
    if cur:
        frame["cur"] = cur
    return _pack(frame)


def encode_ops_array(sops: list[dict[str, Any]]) -> bytes:
    """Encode one tick's server ops as a msgpack array.

    These bytes are both the stored log row of the tick and the body of its broadcast frame,
    so each tick's ops are encoded exactly once.
    """
    return _pack(sops)


_OPS_FRAME_HEAD: Final = b"\x83" + _pack("t") + _pack("ops") + _pack("ts")
_OPS_KEY: Final = _pack("ops")


def encode_ops_frame(ts: int, ops_array: bytes) -> bytes:
    """Wrap an already-encoded ops array into ``{t:"ops", ts, ops}`` without re-encoding it.

    A map header for three entries, then the keys and values in order: byte concatenation is
    all it costs, however many ops the tick holds.
    """
    return b"".join((_OPS_FRAME_HEAD, _pack(ts), _OPS_KEY, ops_array))


def encode_compact_ops(sops: list[dict[str, Any]]) -> bytes:
    """Encode one tick's server ops in the compact form (docs/protocol.md, "Compact live ops").

    Live ink is mostly ``append`` ops of two or three points, where the map keys and ``s``
    outweigh the points several times over. The compact form is one msgpack array: the seq of
    the first op, then each op, ``s`` implied by its place. An ``append`` is the positional
    array ``[by, c, id, pts]`` (``[by, c, id, pts, pr]`` with pressures); every other op is
    its PROTOCOL.md server-op map without ``s``. ``ts`` is not carried: the browser does not
    use it live, and its 9 bytes would be a third of a typical frame (the HTTP log has it).

    The ops of one tick have consecutive seqs (the tick numbers them so); encoded once per
    tick for every client that asked for it, like the PROTOCOL.md frame.
    """
    if not sops:
        raise ValueError("a compact ops frame needs at least one op")
    body: list[Any] = [sops[0]["s"]]
    for sop in sops:
        if sop["k"] == "append":
            op = [sop["by"], sop["c"], sop["id"], sop["pts"]]
            if "pr" in sop:
                op.append(sop["pr"])
            body.append(op)
        else:
            body.append({key: value for key, value in sop.items() if key != "s"})
    return _pack(body)
