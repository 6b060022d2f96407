"""An element as the server holds it: its pen points in compact arrays (``points.py``), copies
that share nothing mutable, and the memory it is estimated to take.

Why apart from ``document.py``: the same rules serve the Document (an ``add`` copies its
element, a checkpoint's decoded elements are taken as they are), the live board's queue (an op
is made compact when queued, and counted by the memory budget before its tick) and the
checkpoint cache (copies packed in a thread). One place says what an element costs and how it
is held, whoever holds it.
"""

from __future__ import annotations

from typing import Any

from whiteboard.points import Points, Pressures

ELEMENT_BYTES = 512
"""Memory of one element beside its points and text: its map, id, numbers, its place in the
stacking order and its first-add entry (measured with tracemalloc: 460 for a rect, 550 for a
one-point pen)."""


def copy_element(e: dict[str, Any]) -> dict[str, Any]:
    """Copy an element deep enough that appends to either copy never reach the other.

    All values are immutable scalars except the pen's points and pressures, which the copy
    holds as compact arrays (``points.py``: 4 bytes a value instead of up to 36).
    """
    return compact_element(dict(e))


def compact_element(e: dict[str, Any]) -> dict[str, Any]:
    """``e`` itself, its pen points and pressures made compact arrays (``copy_element`` for an
    element nobody else holds)."""
    pts = e.get("pts")
    if pts is not None:
        e["pts"] = Points(pts)
        pr = e.get("pr")
        if pr is not None:
            e["pr"] = Pressures(pr)
    return e


def size_of(e: dict[str, Any]) -> int:
    """An element's estimated memory in a Document: constant time (lengths, not contents)."""
    size = ELEMENT_BYTES
    pts = e.get("pts")
    if pts is not None:
        size += 4 * len(pts) + len(e.get("pr", ()))
    for key in ("text", "name"):
        text = e.get(key)
        if text is not None:
            size += len(text)
    return size


def text_change(el: dict[str, Any], changes: dict[str, Any]) -> int:
    """How many bytes an update's texts add (negative: free) to ``size_of(el)``."""
    grow = 0
    for key in ("text", "name"):
        if key in changes:
            new, old = changes[key], el.get(key)
            grow += (len(new) if isinstance(new, str) else 0) - (len(old) if old else 0)
    return grow


def plain_element(e: dict[str, Any]) -> dict[str, Any]:
    """A copy with the points as lists: what msgpack and json take without help."""
    el = dict(e)
    pts = el.get("pts")
    if pts is not None:
        el["pts"] = pts.tolist()
        pr = el.get("pr")
        if pr is not None:
            el["pr"] = pr.tolist()
    return el


COMPACT_FROM = 32
"""Point lists shorter than this stay lists in a queued op: they cost little, and most of their
values are small ints, which Python shares."""


def compact_op(op: dict[str, Any]) -> None:
    """Turn a validated op's point and pressure lists into compact arrays, in place. Done when
    an op is queued for its tick: a frame of 10,000 large point values decodes into 400 KB of
    int objects, and a flood's queued ops held tens of megabytes of them (pymalloc then kept
    the emptied arenas: test_memory.py, issue 12)."""
    holder = op.get("e", op) if op["k"] == "add" else op
    pts = holder.get("pts")
    if type(pts) is list and len(pts) >= COMPACT_FROM:
        compact_element(holder)
