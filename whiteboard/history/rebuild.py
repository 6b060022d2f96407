"""Ordinary ops that rebuild a state: a past state on the live board (restore), or a whole state
on a new, empty board (fork).

Why ordinary ops and not a special "reset" record: history stays one linear log of the ops
PROTOCOL.md defines, so replay, paging, export, import and undo need no new case, and a restore
can be undone like any other edit. Pure: no I/O.

Two rules of the protocol shape everything here:

- ``update`` cannot touch ``type``, ``pts``, ``pr`` or ``ps``: an element whose points or type
  differ is deleted and added again. Re-adding an id keeps its place in the stack (stacking
  uses the first ``add`` of an id), which is what makes a restore exact.
- One op carries at most ``values_per_op`` point values: a long pen is an ``add`` followed by
  ``append``s.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from whiteboard.document import Document
from whiteboard.protocol import IDS_PER_DELETE, UNSETTABLE_FIELDS, Limits

Element = dict[str, Any]
Op = dict[str, Any]


def element_ops(e: Element, limits: Limits) -> list[Op]:
    """An ``add`` of a copy of ``e``, then ``append``s for the points that do not fit in it."""
    step = max(2, limits.values_per_op - limits.values_per_op % 2)
    pts: list[int] | None = e.get("pts")
    if pts is None or len(pts) <= step:
        return [{"k": "add", "e": _copy(e)}]
    pr: list[int] | None = e.get("pr")
    first = _copy(e)
    # Lists, as a decoded op has (a document's points are compact arrays: ``points.py``).
    first["pts"] = list(pts[:step])
    if pr is not None:
        first["pr"] = list(pr[: step // 2])
    ops: list[Op] = [{"k": "add", "e": first}]
    for i in range(step, len(pts), step):
        op: Op = {"k": "append", "id": e["id"], "pts": list(pts[i : i + step])}
        if pr is not None:
            op["pr"] = list(pr[i // 2 : (i + step) // 2])
        ops.append(op)
    return ops


def restore_ops(current: list[Element], target: list[Element], limits: Limits) -> list[Op]:
    """Ops that turn a board showing ``current`` into one showing ``target``.

    ``target`` is a past state of the same board (``?at=S``), in stacking order. Locked
    elements that must change are unlocked first (PROTOCOL.md 1.1), then deletes come (they
    also free room under ``elements_per_board``), then updates, then adds in stacking order.
    Every id of ``target`` was added at or before S, so each re-added element returns to its
    old place in the stack and the result equals ``target`` exactly, order included. Only what
    differs is touched, so the inverse (for undo) is as small as the change.
    """
    now = {e["id"]: e for e in current}
    want = {e["id"]: e for e in target}
    unlocks: list[Op] = []
    deletes: list[str] = []
    updates: list[Op] = []
    for id, cur in now.items():
        old = want.get(id)
        gone = old is None or _needs_readd(cur, old)
        if cur.get("locked") and (gone or _changes(cur, old or cur)):
            # PROTOCOL.md 1.1: a locked element takes nothing but {locked: false}; the update
            # below locks it again if it was locked then.
            unlocks.append({"k": "update", "id": id, "set": {"locked": False}})
            cur = {**cur, "locked": False}
        if gone:
            deletes.append(id)
            continue
        assert old is not None
        changes = _changes(cur, old)
        if changes:
            updates.append({"k": "update", "id": id, "set": changes})
    ops: list[Op] = unlocks
    ops += [
        {"k": "delete", "ids": deletes[i : i + IDS_PER_DELETE]}
        for i in range(0, len(deletes), IDS_PER_DELETE)
    ]
    ops += updates
    deleted = set(deletes)
    for e in target:
        if e["id"] not in now or e["id"] in deleted:
            ops += element_ops(e, limits)
    return ops


def _changes(cur: Element, old: Element) -> dict[str, Any]:
    """The fields to set on ``cur`` to make it ``old`` (``None`` removes one)."""
    keys = cur.keys() | old.keys()
    return {key: old.get(key) for key in keys if not _same(cur.get(key), old.get(key))}


def fork_ops(source: Document) -> list[Op]:
    """Ops that build ``source``'s elements, stacked in the same order, on an empty board.

    The stacking key of an element without ``z`` is the seq of its first ``add``, compared
    with the other elements' ``z``; on the new board those seqs are new, so they must be chosen
    to compare with every ``z`` exactly as the old ones did. Elements are added in the order of
    their old first-add seq, each as early as possible but never below the smallest integer of
    the old seq's interval between two ``z`` values (and exactly at the old seq when it equals
    a ``z``, so that ties break the same way). Positions are then never later than the old ones
    and the new board's log is as short as the state allows; skipped positions are filled with
    no-op ops. Appends of long pens go last, as they do not affect stacking.
    """
    limits = source.limits
    live = source.elements()
    walls = sorted({e["z"] for e in live if "z" in e})
    head: list[Op] = []  # one op per position that matters for stacking
    tail: list[Op] = []
    pad_id: str | None = None  # what a no-op update targets: the element added last
    pad_x: Any = 0
    placeholder: str | None = None
    for e in sorted(live, key=lambda e: _first(source, e)):
        if "z" not in e:
            missing = _lowest_position(_first(source, e), walls) - (len(head) + 1)
            if missing > 0 and pad_id is None:
                placeholder = _free_id({e["id"] for e in live})
                head.append({"k": "add", "e": {"id": placeholder, **_PLACEHOLDER}})
                pad_id, pad_x = placeholder, _PLACEHOLDER["x"]
                missing -= 1
            head += [{"k": "update", "id": pad_id, "set": {"x": pad_x}} for _ in range(missing)]
        ops = element_ops(e, limits)
        head.append(ops[0])
        tail += ops[1:]
        pad_id, pad_x = e["id"], e["x"]
    if placeholder is not None:
        tail.append({"k": "delete", "ids": [placeholder]})
    return head + tail


def _lowest_position(first: int, walls: list[float]) -> int:
    """The smallest seq that compares with every ``z`` in ``walls`` as ``first`` does."""
    i = bisect.bisect_right(walls, first)
    if i == 0:
        return 1
    wall = walls[i - 1]
    if wall == first:
        return first
    return math.floor(wall) + 1  # the first integer above the wall (a z may be fractional)


_PLACEHOLDER: Element = {
    "type": "pen", "x": 0, "y": 0, "stroke": "#00000000", "width": 0.1, "pts": [0, 0],
}  # fmt: skip
"""Invisible (fully transparent) and deleted at the end of the fork: it only exists when
positions must be skipped before the first element can be added."""


def _free_id(taken: set[str]) -> str:
    return next(f"fork-pad-{n}" for n in range(len(taken) + 1) if f"fork-pad-{n}" not in taken)


def _first(doc: Document, e: Element) -> int:
    seq = doc.first_seq(e["id"])
    assert seq is not None, "a live element always has a first add"
    return seq


def _needs_readd(cur: Element, old: Element) -> bool:
    return any(not _same(cur.get(k), old.get(k)) for k in UNSETTABLE_FIELDS)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type: ``1`` and ``1.0`` are different values on the wire."""
    return type(a) is type(b) and a == b


def _copy(e: Element) -> Element:
    out = dict(e)
    for key in ("pts", "pr"):
        if key in out:
            out[key] = list(out[key])
    return out
