"""Op and element validation: every rule of PROTOCOL.md that needs no board state.

Everything that arrives from a socket (and every op of an imported board file) passes through
here before it can reach a ``Document``. Pure, so that every rule can be unit tested byte for
byte, and so that the server, the benchmarks and the history tools agree on what a valid op is.

Type checks use exact types (``type(v) is int``) rather than ``isinstance`` on purpose: msgpack
produces exactly ``int``/``float``/``str``, and ``bool`` is a subclass of ``int`` in Python
while the protocol says ``true``/``false`` are not numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

from whiteboard.protocol.rules import (
    ANGLE_MAX,
    BLOB_PATTERN,
    COLOR_PATTERN,
    COORD_MAX,
    ELEMENT_TYPES,
    FIELDS,
    FRAME_NAME_MAX,
    ID_PATTERN,
    IDS_PER_DELETE,
    MAX_C,
    POSITIVE_SIZE_TYPES,
    PR_MAX,
    PS_MAX,
    PS_MIN,
    PT_MAX,
    PT_MIN,
    REMOVABLE,
    REMOVABLE_FIELDS,
    REQUIRED_FIELDS,
    SIZE_MAX,
    SIZE_MIN,
    UNSETTABLE_FIELDS,
    WIDTH_MAX,
    WIDTH_MIN,
    Limits,
    ProtocolError,
)

_ID_RE: Final = re.compile(ID_PATTERN)
_COLOR_RE: Final = re.compile(COLOR_PATTERN)
_BLOB_RE: Final = re.compile(BLOB_PATTERN)
_ANY_TYPE_FIELDS: Final = frozenset().union(*FIELDS.values())

# (allowed keys, required keys) per op kind.
_OP_SHAPES: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "add": (frozenset({"k", "c", "e"}), frozenset({"e"})),
    "append": (frozenset({"k", "c", "id", "pts", "pr"}), frozenset({"id", "pts"})),
    "update": (frozenset({"k", "c", "id", "set"}), frozenset({"id", "set"})),
    "delete": (frozenset({"k", "c", "ids"}), frozenset({"ids"})),
}


# -- op validation -------------------------------------------------------------------------------


def validate_op(op: Any, limits: Limits) -> dict[str, Any]:
    """Check one client op against PROTOCOL.md and return it unchanged.

    The very same map is returned (no copy) so the server can wrap it into a server op and
    encode it once. What needs board state (is the id live? what is its type?) is left to the
    ``Document``. A refusal carries ``c`` whenever the op had a valid ``c``.
    """
    if type(op) is not dict:
        raise ProtocolError("bad_op", f"An op must be a map, not {show(op)}.")
    c = op.get("c")
    if type(c) is not int or not 0 <= c <= MAX_C:
        raise ProtocolError("bad_op", f"An op needs 'c', an int from 0 to 2^53-1, not {show(c)}.")
    try:
        _check_op(op, limits)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.msg, c) from None
    return op


def _check_op(op: dict[str, Any], limits: Limits) -> None:
    k = op.get("k")
    if type(k) is not str or k not in _OP_SHAPES:
        raise ProtocolError(
            "bad_op", f"Unknown op kind {show(k)}; it must be add, append, update or delete."
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
        # A note's text may be empty: whether this one may is known with the target's type.
        (_check_note_text if key == "text" else _FIELD_CHECKS[key])(value, key, limits)


def _check_ids(ids: Any) -> None:
    if type(ids) is not list or not 1 <= len(ids) <= IDS_PER_DELETE:
        raise ProtocolError("bad_op", f"'ids' must be an array of 1 to {IDS_PER_DELETE} ids.")
    for value in ids:
        _check_id(value, "every id in 'ids'")


def validate_field(etype: str, key: str, value: Any, limits: Limits) -> None:
    """Check that an update may set ``key`` to ``value`` on an element of type ``etype``.

    Used by the ``Document``, which alone knows the target's type. ``None`` is accepted only
    for the optional fields of that type (``REMOVABLE``).
    """
    fields = FIELDS.get(etype)
    if fields is None:
        raise ProtocolError("bad_op", f"Unknown element type {show(etype)}.")
    if type(key) is not str or key not in fields:
        raise ProtocolError(
            "bad_op", f"{_a(etype).capitalize()} {etype} element has no field {_key(key)}."
        )
    if key in UNSETTABLE_FIELDS:
        raise ProtocolError("bad_op", f"Field '{key}' cannot be changed by an update.")
    if value is None:
        if key in REMOVABLE[etype]:
            return
        raise ProtocolError(
            "bad_op",
            f"Field '{key}' of {_a(etype)} {etype} element is required; it cannot be removed.",
        )
    _field_check(etype, key)(value, key, limits)
    if etype in POSITIVE_SIZE_TYPES and key in ("w", "h"):
        _check_positive(value, key, etype)


def validate_element(e: Any, limits: Limits, *, in_op: bool = True) -> dict[str, Any]:
    """Check a whole element (as carried by ``add``) and return it unchanged.

    With ``in_op`` the pen's points also count against ``values_per_op``, since an ``add``
    carries them all in one op. The element's size is checked before its contents so that an
    oversized element costs no more than a length lookup to refuse.
    """
    if type(e) is not dict:
        raise ProtocolError("bad_op", f"An element must be a map, not {show(e)}.")
    etype = e.get("type")
    if type(etype) is not str or etype not in FIELDS:
        raise ProtocolError(
            "bad_op",
            f"Unknown element type {show(etype)}; it must be one of {', '.join(ELEMENT_TYPES)}.",
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
            _field_check(etype, key)(value, key, limits)
    if etype in POSITIVE_SIZE_TYPES:
        _check_positive(e["w"], "w", etype)
        _check_positive(e["h"], "h", etype)
    return e


def _field_check(etype: str, key: str) -> Callable[[Any, str, Limits], None]:
    """The one field whose rule depends on the type: a note's text may be empty."""
    if key == "text" and etype == "note":
        return _check_note_text
    return _FIELD_CHECKS[key]


# -- field checks --------------------------------------------------------------------------------


def is_num(v: Any) -> bool:
    """A protocol number: an int or a finite float, and never a bool."""
    t = type(v)
    return t is int or (t is float and math.isfinite(v))


def _check_coord(value: Any, key: str, limits: Limits) -> None:
    if not is_num(value) or abs(value) > COORD_MAX:
        raise ProtocolError(
            "bad_op", f"'{key}' must be a number from -1e7 to 1e7, not {show(value)}."
        )


def _check_positive(value: Any, key: str, etype: str) -> None:
    """After ``_check_coord``: pictures, notes and frames have a size above 0."""
    if value <= 0:
        raise ProtocolError(
            "bad_op", f"'{key}' of {_a(etype)} {etype} must be more than 0, not {show(value)}."
        )


def _check_angle(value: Any, key: str, limits: Limits) -> None:
    if not is_num(value) or abs(value) > ANGLE_MAX:
        raise ProtocolError("bad_op", f"'{key}' must be radians from -pi to pi, not {show(value)}.")


def _check_blob(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str or _BLOB_RE.fullmatch(value) is None:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must name a blob by its SHA-256 (64 hex digits), not {show(value)}.",
        )


def _check_width(value: Any, key: str, limits: Limits) -> None:
    if not is_num(value) or not WIDTH_MIN <= value <= WIDTH_MAX:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must be a number from {WIDTH_MIN} to {WIDTH_MAX}, not {show(value)}.",
        )


def _check_size(value: Any, key: str, limits: Limits) -> None:
    if not is_num(value) or not SIZE_MIN <= value <= SIZE_MAX:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must be a number from {SIZE_MIN} to {SIZE_MAX}, not {show(value)}.",
        )


def _check_z(value: Any, key: str, limits: Limits) -> None:
    if not is_num(value):
        raise ProtocolError("bad_op", f"'{key}' must be a finite number, not {show(value)}.")


def _check_color(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str or _COLOR_RE.fullmatch(value) is None:
        raise ProtocolError(
            "bad_op", f"'{key}' must be a colour like #1e90ff or #1e90ff80, not {show(value)}."
        )


def _check_text(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str:
        raise ProtocolError("bad_op", f"'{key}' must be a string, not {show(value)}.")
    if not value:
        raise ProtocolError("bad_op", f"'{key}' must not be empty.")
    if len(value) > limits.text_chars:
        raise ProtocolError(
            "too_large",
            f"The text has {len(value)} characters; at most {limits.text_chars} are allowed.",
        )


def _check_note_text(value: Any, key: str, limits: Limits) -> None:
    """A note's text: like any text, except that a note may be empty (PROTOCOL.md 1.1)."""
    if value != "":
        _check_text(value, key, limits)


def _check_name(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not str or not 1 <= len(value) <= FRAME_NAME_MAX:
        raise ProtocolError(
            "bad_op",
            f"'{key}' must be a string of 1 to {FRAME_NAME_MAX} characters, not {show(value)}.",
        )


def _check_bool(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not bool:
        raise ProtocolError("bad_op", f"'{key}' must be true or false, not {show(value)}.")


def _check_ps(value: Any, key: str, limits: Limits) -> None:
    if type(value) is not int or not PS_MIN <= value <= PS_MAX:
        raise ProtocolError(
            "bad_op", f"'{key}' must be an int from {PS_MIN} to {PS_MAX}, not {show(value)}."
        )


def _check_id_field(value: Any, key: str, limits: Limits) -> None:
    _check_id(value, f"'{key}'")


def _check_id(value: Any, what: str) -> None:
    if type(value) is not str or _ID_RE.fullmatch(value) is None:
        raise ProtocolError(
            "bad_op",
            f"{what[0].upper()}{what[1:]} must be 1 to 32 letters, digits, '_' or '-', "
            f"not {show(value)}.",
        )


def _check_pts(pts: Any, limits: Limits, scope: str) -> int:
    """Check delta-encoded pen points; return the number of points.

    The size limits come first (cheap, and the reason a client must split its stroke), then
    the values, with C-speed ``set``/``min``/``max`` over the list: a 10,000-value append is
    the hottest op there is.
    """
    if type(pts) is not list:
        raise ProtocolError("bad_op", f"'pts' must be an array of ints, not {show(pts)}.")
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
    "locked": _check_bool,
    "from": _check_id_field,
    "to": _check_id_field,
    "name": _check_name,
    "angle": _check_angle,
    "blob": _check_blob,
}
"""One checker per scalar field: a field has the same rule whatever the element type. ``type``,
``pts`` and ``pr`` are checked by ``validate_element`` itself, as they depend on other fields."""


# -- sentences -----------------------------------------------------------------------------------


def show(value: Any) -> str:
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
        return show(key)
    if type(key) is bytes:
        return "with a binary key"
    return f"with key {show(key)}"
