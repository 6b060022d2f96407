"""The board's live state: elements, advanced one validated op at a time. Pure: no I/O.

The ``Document`` is the single authority on what an op does to a board. The server applies
client ops to it in tick order; history replays the stored log through ``apply_sop``; the
TypeScript model mirrors it op for op (``tests/vectors/document.json`` keeps the two honest).
It therefore decides everything that needs board state (is the id live, what type is it, is
the board full) and nothing that does not: field syntax is ``protocol``'s job, done before.

Refusals are returned, not raised, because refusing an op is a normal outcome of a tick
(another user deleted the element a moment ago) and every refusal leaves the document exactly
as it was: each op is checked in full before anything changes.

Ownership: an ``add`` copies its element (its points as compact arrays, ``elements.py``), so ops
kept in the log or in an encoded frame are never changed by later appends or updates. Element
maps handed out by ``elements()`` and ``get()`` are the live ones, for speed; treat them as
read-only views valid until the next ``apply``, and use ``to_state()`` or ``copy()`` for
anything kept longer.

Checkpoints: the document records which ids changed since ``take_changes()`` was last called,
so that ``history/checkpoint.py`` can keep each element's packed bytes from one checkpoint to
the next and pack only what changed. The bytes themselves live there, not here: this module
knows nothing of encodings. A checkpoint holds the first-add seqs of the live ids only; those of
deleted ids are recorded once, beside it, by the store (``Checkpoint.firsts``), and given back
with ``know_firsts`` - else every checkpoint of a board with add/delete churn would carry every
id ever added, and the disk would grow with the square of the ops.
"""

from __future__ import annotations

import bisect
from itertools import compress, count
from typing import Any

from whiteboard import gil
from whiteboard.elements import (
    compact_element,
    copy_element,
    plain_element,
    size_of,
    text_change,
)
from whiteboard.points import Points
from whiteboard.protocol import Limits, ProtocolError, validate_field

_NO_BLOB = "This board holds no image with that blob: upload the picture to the board first."
_SMALL_DELETE = 16
"""Up to this many ids, a delete patches the cached stacking order instead of dropping it."""
_BOARD_FULL = (
    "The board holds as much as this server keeps in memory for one board: "
    "delete something, or start a new board."
)


class Document:
    """Live elements of one board plus the bookkeeping that stacking order needs."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.seq = 0
        """Sequence number of the last applied op; 0 for a board that never changed."""
        self._live: dict[str, dict[str, Any]] = {}
        self._first: dict[str, int] = {}
        """First-add sequence number of every id ever added, deleted ones included, so that a
        re-added element (undo of a delete) returns to its old place in the stack."""
        self._order: list[str] | None = None
        """Live ids in stacking order, or None when it must be recomputed."""
        self._with_z: set[str] = set()
        """Live ids whose element has a ``z`` (few): the layout index lists them."""
        self._dirty: set[str] = set()
        """Ids added, changed or deleted since ``take_changes()`` (a checkpoint's packed cache
        repacks or drops exactly these)."""
        self.mem = 0
        """The estimated bytes of memory the live elements take (``size_of`` each), kept up to
        date by every op so the server's memory budget never walks a state to know it."""
        self.max_mem: int | None = None
        """On a live board, the most ``mem`` it may reach: an op that would pass it is refused
        with ``board_full``. None in history replays, which must apply what was accepted."""
        self.blobs: set[str] | None = None
        """On a live board, the names of the blobs it holds: an image must name one of them
        (else ``not_found``, PROTOCOL.md 1.1). None where no such check is due: history replays
        ops that were checked when they were made."""

    # -- reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._live)

    def get(self, id: str) -> dict[str, Any] | None:
        """The live element with this id (a read-only view), or None."""
        return self._live.get(id)

    def first_seq(self, id: str) -> int | None:
        """The sequence number of the first ``add`` of this id on the board, if any."""
        return self._first.get(id)

    def gone(self) -> list[list[Any]]:
        """``[id, first-add seq]`` of every id added before and not live now (``welcome.gone``):
        a client that loads the board fresh needs them to stack a later re-add of one of them
        (an undo of a delete, a restore) where this document does."""
        live = self._live
        return [[id, s] for id, s in self._first.items() if id not in live]

    def elements(self) -> list[dict[str, Any]]:
        """Live elements in stacking order (read-only views).

        The order is cached and kept up to date by adds, deletes and ``z`` updates, so a
        ``welcome`` on a busy board does not sort 100,000 elements each time.
        """
        live = self._live
        return [live[i] for i in self.order()]

    def _stack_key(self, id: str) -> tuple[float, int]:
        """``z`` where set, else the first-add seq; ties broken by the first-add seq."""
        first = self._first[id]
        return (self._live[id].get("z", first), first)

    # -- applying --------------------------------------------------------------------------------

    def apply(self, op: dict[str, Any], seq: int) -> dict[str, Any] | ProtocolError:
        """Apply a validated client op as sequence number ``seq``.

        Returns the op to broadcast (the op itself, or for a ``delete`` that dropped ids, a
        copy listing only the ids it deleted), or the refusal, with the op's ``c``. A refusal
        changes nothing, ``seq`` included.
        """
        k = op["k"]
        if k == "append":
            result = self._append(op)
        elif k == "add":
            result = self._add(op, seq)
        elif k == "update":
            result = self._update(op)
        elif k == "delete":
            result = self._delete(op)
        else:
            result = _refuse(op, "bad_op", f"Unknown op kind {k!r}.")
        if not isinstance(result, ProtocolError):
            self.seq = seq
        return result

    def apply_sop(self, sop: dict[str, Any]) -> None:
        """Replay a stored server op (``s``, ``by`` and maybe ``ts`` beside the op's keys).

        A log this class produced always replays; a refusal or an ``s`` that does not move
        forward means the log or the checkpoint is corrupt, which must not pass silently.
        """
        s = sop["s"]
        if s <= self.seq:
            raise ValueError(f"log op s={s} is not after the document's seq {self.seq}")
        result = self.apply(sop, s)
        if isinstance(result, ProtocolError):
            raise ValueError(f"log op s={s} does not apply: {result.code}: {result.msg}")

    def _append(self, op: dict[str, Any]) -> dict[str, Any] | ProtocolError:
        # The hot path of live drawing: a few lookups, then extend lists this document owns.
        id = op["id"]
        el = self._live.get(id)
        if el is None:
            return _refuse(op, "not_found", f"There is no element with id '{id}'.")
        etype = el["type"]
        if el.get("locked"):
            return _refuse(op, "locked", f"The element '{id}' is locked.")
        if etype != "pen":
            article = "an" if etype[0] in "aeiou" else "a"
            return _refuse(
                op, "bad_op", f"Points can only be appended to a pen, not {article} {etype}."
            )
        has_pr = "pr" in el
        if ("pr" in op) != has_pr:
            if has_pr:
                return _refuse(op, "bad_op", "This pen has pressures: the append needs 'pr'.")
            return _refuse(
                op, "bad_op", "This pen has no pressures: the append must not have 'pr'."
            )
        pts: Points = el["pts"]
        new: list[int] = op["pts"]
        total = len(pts) + len(new)
        if total > self.limits.values_per_element:
            return _refuse(
                op,
                "too_large",
                f"The pen would have {total} point values; at most "
                f"{self.limits.values_per_element} are allowed in one element.",
            )
        grow = len(new) * 4 + (len(new) // 2 if has_pr else 0)
        if self.max_mem is not None and self.mem + grow > self.max_mem:
            return _refuse(op, "board_full", _BOARD_FULL)
        pts.extend(new)
        if has_pr:
            el["pr"].extend(op["pr"])
        self.mem += grow
        self._dirty.add(id)
        return op

    def _add(self, op: dict[str, Any], seq: int) -> dict[str, Any] | ProtocolError:
        e = op["e"]
        id = e["id"]
        if id in self._live:
            return _refuse(op, "exists", f"An element with id '{id}' already exists.")
        if len(self._live) >= self.limits.elements_per_board:
            return _refuse(
                op,
                "board_full",
                f"The board is full: it holds {self.limits.elements_per_board} elements.",
            )
        pts = e.get("pts")
        if pts is not None and len(pts) > self.limits.values_per_element:
            return _refuse(
                op,
                "too_large",
                f"The pen has {len(pts)} point values; at most "
                f"{self.limits.values_per_element} are allowed in one element.",
            )
        blobs = self.blobs
        if blobs is not None and e["type"] == "image" and e["blob"] not in blobs:
            return _refuse(op, "not_found", _NO_BLOB)
        size = size_of(e)
        if self.max_mem is not None and self.mem + size > self.max_mem:
            return _refuse(op, "board_full", _BOARD_FULL)
        self._live[id] = copy_element(e)
        self.mem += size
        self._dirty.add(id)
        if "z" in e:
            self._with_z.add(id)
        first = self._first.get(id)
        if first is None:
            first = self._first[id] = seq
        if self._order is not None:
            if self._order and "z" not in e and first > self._first[self._order[-1]]:
                # The common case, a new element on top of the others: no key computations.
                last = self._live[self._order[-1]]
                if "z" not in last:
                    self._order.append(id)
                    return op
            bisect.insort(self._order, id, key=self._stack_key)
        return op

    def _update(self, op: dict[str, Any]) -> dict[str, Any] | ProtocolError:
        id = op["id"]
        el = self._live.get(id)
        if el is None:
            return _refuse(op, "not_found", f"There is no element with id '{id}'.")
        changes: dict[str, Any] = op["set"]
        if el.get("locked") and not _unlocks(changes):
            return _refuse(op, "locked", f"The element '{id}' is locked: unlock it first.")
        etype = el["type"]
        for key, value in changes.items():
            try:
                validate_field(etype, key, value, self.limits)
            except ProtocolError as exc:
                return _refuse(op, exc.code, exc.msg)
        blobs = self.blobs
        if blobs is not None and "blob" in changes and changes["blob"] not in blobs:
            return _refuse(op, "not_found", _NO_BLOB)
        grow = text_change(el, changes)
        if grow > 0 and self.max_mem is not None and self.mem + grow > self.max_mem:
            return _refuse(op, "board_full", _BOARD_FULL)
        self.mem += grow
        restack = "z" in changes and self._order is not None and changes["z"] != el.get("z")
        if restack:
            assert self._order is not None
            self._order.remove(id)
        for key, value in changes.items():
            if value is None:
                el.pop(key, None)
            else:
                el[key] = value
        self._dirty.add(id)
        if "z" in changes:
            if "z" in el:
                self._with_z.add(id)
            else:
                self._with_z.discard(id)
        if restack:
            assert self._order is not None
            bisect.insort(self._order, id, key=self._stack_key)
        return op

    def _delete(self, op: dict[str, Any]) -> dict[str, Any] | ProtocolError:
        ids: list[str] = op["ids"]
        live = self._live
        if any(live[id].get("locked") for id in ids if id in live):
            # PROTOCOL.md 1.1: locked ids are dropped like ids that are not live.
            kept = [id for id in ids if id in live and not live[id].get("locked")]
            if not kept:
                return _refuse(op, "locked", "Every element it names is locked.")
            ids = kept
        deleted = []
        for id in ids:
            el = live.pop(id, None)
            if el is not None:
                deleted.append(id)
                self.mem -= size_of(el)
        if not deleted:
            return _refuse(op, "not_found", "None of the ids names a live element.")
        with_z = self._with_z
        self._dirty.update(deleted)
        for id in deleted:
            with_z.discard(id)
        if self._order is not None:
            if len(deleted) <= _SMALL_DELETE:
                for id in deleted:
                    self._order.remove(id)
            else:
                self._order = None
        if len(deleted) == len(op["ids"]):
            return op
        return {**op, "ids": deleted}

    # -- checkpoints -----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """A msgpack-able checkpoint that shares nothing with the live document.

        ``first`` holds the first-add seqs of the live ids, in stacking order. Those of deleted
        ids are not in it (they would make every checkpoint as long as the board's whole past):
        the store keeps them once each, and a document loaded from the state gets them back
        with ``know_firsts`` to stack a re-added element exactly as the original would.
        """
        order = self.order()
        live, first = self._live, self._first
        return {
            "seq": self.seq,
            "elements": [plain_element(live[id]) for id in order],
            "first": {id: first[id] for id in order},
        }

    def state_view(self) -> dict[str, Any]:
        """What ``to_state()`` holds, as read-only views of the live document, to be encoded at
        once (``codec.pack`` makes each pen's points a list only while it packs that pen;
        ``to_state()`` holds them all as lists at once: 150 MB of ints for 4M points)."""
        first = self._first
        order = self.order()
        return {"seq": self.seq, "elements": self.elements(), "first": {i: first[i] for i in order}}

    def changed(self) -> int:
        """How many ids changed since the last ``take_changes``."""
        return len(self._dirty)

    def take_changes(self) -> set[str]:
        dirty, self._dirty = self._dirty, set()
        return dirty

    def know_firsts(self, firsts: dict[str, int]) -> None:
        """Learn the first-add seqs of ids added before this document's checkpoint and deleted
        since (the store's record of them): a re-add of one then stacks at its old place."""
        mine = self._first
        for id, seq in firsts.items():
            if id not in mine and seq <= self.seq:
                mine[id] = seq

    def order(self) -> list[str]:
        """Live ids in stacking order (the document's own list: read-only, valid until the
        next ``apply``)."""
        if self._order is None:
            self._order = sorted(self._live, key=self._stack_key)
        return self._order

    def stacking(self) -> tuple[list[str], list[int], list[list[Any]]]:
        """The live ids in stacking order, their first-add seqs and ``[index, z]`` of those with
        a ``z``: what a checkpoint's layout index (``layout.py``) records, taken with C-level
        loops so a board of 100,000 elements costs the IOLoop a few milliseconds."""
        ids = list(self.order())
        z: list[list[Any]] = []
        if self._with_z:
            live = self._live
            for i in compress(count(), map(self._with_z.__contains__, ids)):
                z.append([i, live[ids[i]]["z"]])
        return ids, list(map(self._first.__getitem__, ids)), z

    @classmethod
    def from_state(cls, state: dict[str, Any], limits: Limits, fresh: bool = False) -> Document:
        """Rebuild a document from ``to_state()`` output (possibly after a msgpack round trip).

        ``fresh``: the state was just decoded and nothing else holds its elements, so the
        document takes them as they are (their point lists made compact in place) instead of
        copying each: a tenth of a big board's load."""
        own = compact_element if fresh else copy_element
        doc = cls(limits)
        doc.seq = int(state["seq"])
        doc._first = {str(k): int(v) for k, v in state["first"].items()}
        for n, e in enumerate(state["elements"], 1):
            id = e["id"]
            if id not in doc._first:
                raise ValueError(f"checkpoint element {id!r} has no first-add seq")
            if id in doc._live:
                raise ValueError(f"checkpoint lists element {id!r} twice")
            doc._live[id] = own(e)
            doc.mem += size_of(e)
            if not n % 4:
                # Loading in a thread: the loop gets its turns every 20 us or so of work (each
                # offer costs 58 us, so not after every element: docs/scaling.md, "Loading").
                gil.offer()
        # Deleted ids in ``first`` (a checkpoint written before their seqs were kept apart) are
        # dirty too: the next checkpoint hands them to the store, which keeps them from then on.
        doc._dirty = set(doc._first)
        doc._with_z = {id for id, e in doc._live.items() if "z" in e}
        # The stacking order is recomputed on first use rather than trusted from the list.
        return doc


def _unlocks(changes: dict[str, Any]) -> bool:
    """Whether an update is the one change a locked element takes: ``{locked: false}``."""
    return len(changes) == 1 and changes.get("locked", True) is False


def _refuse(op: dict[str, Any], code: str, msg: str) -> ProtocolError:
    return ProtocolError(code, msg, op.get("c"))
