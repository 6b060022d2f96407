"""Pen points and pressures as machine integers, the way a live board keeps them.

Why: a point value decoded from msgpack is a Python int in a list, 8 bytes for the list slot
plus a 28-byte int object for any value outside -5..256. A hostile client sending large deltas
made each wire byte cost about 36 bytes of memory (issue 12). PROTOCOL.md bounds every point
value to a signed 32-bit int and every pressure to 0..255, so ``array('i')`` and ``array('B')``
hold them exactly in 4 bytes and 1 byte.

What goes on the wire or into the store does not change: every encoder is given ``plain`` as
msgpack's and json's ``default``, which turns these arrays back into lists when (and only
when) they are encoded. The classes compare equal to lists of the same values, so code and
tests that compare a document's elements with decoded maps keep working.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

if array("i").itemsize != 4:  # pragma: no cover - every platform we run on
    raise ImportError("array('i') is not 32 bits here: pen points would not fit")


class _Compact(array):  # type: ignore[type-arg]
    """An array that is equal to a list holding the same values."""

    __slots__ = ()
    TYPECODE = "i"

    def __new__(cls, values: Iterable[int] = ()) -> _Compact:
        return super().__new__(cls, cls.TYPECODE, values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return len(self) == len(other) and self.tolist() == other
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self.tolist())


class Points(_Compact):
    """A pen's delta-encoded point values (PROTOCOL.md: each in -2^31 to 2^31-1)."""

    __slots__ = ()
    TYPECODE = "i"


class Pressures(_Compact):
    """A pen's pressures (PROTOCOL.md: each 0 to 255)."""

    __slots__ = ()
    TYPECODE = "B"


def plain(obj: Any) -> Any:
    """``default`` for msgpack and json: a compact array is encoded as the list it stands for."""
    if isinstance(obj, array):
        return obj.tolist()
    raise TypeError(f"cannot encode {type(obj).__name__}")
