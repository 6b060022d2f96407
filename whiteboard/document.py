"""The board's live state: elements, advanced one validated op at a time. Pure: no I/O.

The ``Document`` is the single authority on what an op does to a board. The server applies
client ops to it in tick order; history replays the stored log through ``apply_sop``; the
TypeScript model mirrors it op for op (``tests/vectors/document.json`` keeps the two honest).
It therefore decides everything that needs board state (is the id live, what type is it, is
the board full) and nothing that does not: field syntax is ``protocol``'s job, done before.

Refusals are returned, not raised, because refusing an op is a normal outcome of a tick
(another user deleted the element a moment ago) and every refusal leaves the document exactly
as it was: each op is checked in full before anything changes.

Ownership: an ``add`` copies its element (and the point lists), so ops kept in the log or in
an encoded frame are never changed by later appends or updates. Element maps handed out by
``elements()`` and ``get()`` are the live ones, for speed; treat them as read-only views valid
until the next ``apply``, and use ``to_state()`` or ``copy()`` for anything kept longer.

Checkpoints: ``packed_parts()`` is ``msgpack(to_state())`` cut into pieces, with each element's
bytes cached from one checkpoint to the next, so writing a checkpoint costs the ops since the
last one, not the size of the board (a 7 MB state took ~200 ms of the IOLoop to build and pack).
"""

from __future__ import annotations

import bisect
from itertools import compress, count
from typing import Any

import msgpack

from whiteboard.protocol import Limits, ProtocolError, validate_field

_SMALL_DELETE = 16
"""Up to this many ids, a delete patches the cached stacking order instead of dropping it."""


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
        self._packed: dict[str, bytes] = {}
        """Each live element's msgpack bytes, where known and still current."""
        self._dirty: set[str] = set()
        """Ids whose ``_packed`` entry is missing or stale (added or changed since packed)."""
        self._first_packed = bytearray()
        """The ``first`` map's key/value pairs packed, in ``_first`` order, except for the ids
        in ``_first_unpacked`` (added since): ``first`` only ever grows, so it is packed once."""
        self._first_unpacked: list[str] = []

    # -- reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._live)

    def get(self, id: str) -> dict[str, Any] | None:
        """The live element with this id (a read-only view), or None."""
        return self._live.get(id)

    def first_seq(self, id: str) -> int | None:
        """The sequence number of the first ``add`` of this id on the board, if any."""
        return self._first.get(id)

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
        pts: list[int] = el["pts"]
        new: list[int] = op["pts"]
        total = len(pts) + len(new)
        if total > self.limits.values_per_element:
            return _refuse(
                op,
                "too_large",
                f"The pen would have {total} point values; at most "
                f"{self.limits.values_per_element} are allowed in one element.",
            )
        pts.extend(new)
        if has_pr:
            el["pr"].extend(op["pr"])
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
        self._live[id] = _copy_element(e)
        self._dirty.add(id)
        if "z" in e:
            self._with_z.add(id)
        first = self._first.get(id)
        if first is None:
            first = self._first[id] = seq
            self._first_unpacked.append(id)
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
        etype = el["type"]
        for key, value in changes.items():
            try:
                validate_field(etype, key, value, self.limits)
            except ProtocolError as exc:
                return _refuse(op, exc.code, exc.msg)
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
        deleted = [id for id in ids if live.pop(id, None) is not None]
        if not deleted:
            return _refuse(op, "not_found", "None of the ids names a live element.")
        packed, with_z = self._packed, self._with_z
        for id in deleted:
            packed.pop(id, None)
            with_z.discard(id)
        if self._order is not None:
            if len(deleted) <= _SMALL_DELETE:
                for id in deleted:
                    self._order.remove(id)
            else:
                self._order = None
        if len(deleted) == len(ids):
            return op
        return {**op, "ids": deleted}

    # -- checkpoints -----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """A msgpack-able checkpoint that shares nothing with the live document.

        It holds the first-add seq of every id ever added, not only the live ones, so that a
        document loaded from it stacks a re-added element exactly as the original would.
        """
        return {
            "seq": self.seq,
            "elements": [_copy_element(e) for e in self.elements()],
            "first": dict(self._first),
        }

    def packed_parts(self) -> list[bytes]:
        """``msgpack(to_state())`` as immutable pieces: their concatenation is byte for byte
        what packing ``to_state()`` gives. The pieces are the header up to the elements' array
        header, one piece per element in stacking order, then ``"first"`` and its map.

        Only elements changed since the last call are packed here; the rest are the cached
        bytes, so the cost on the caller's thread is the changes plus one pointer per element.
        The pieces share nothing mutable with the document, so they can be joined anywhere
        (``bytes.join`` of megabytes releases the GIL: a worker thread does it for free).
        """
        packed, live = self._packed, self._live
        for id in self._dirty:
            el = live.get(id)
            if el is not None:
                packed[id] = _pack(el)
        self._dirty.clear()
        pending = self._first_unpacked
        if pending:
            first = self._first
            pairs = _pack({id: first[id] for id in pending})
            self._first_packed += pairs[len(_map_header(len(pending))) :]
            pending.clear()
        order = self.order()
        header = b"".join(
            (
                _STATE_HEAD,
                _pack(self.seq),
                _ELEMENTS_KEY,
                _array_header(len(order)),
            )
        )
        tail = b"".join((_FIRST_KEY, _map_header(len(self._first)), self._first_packed))
        parts = [header]
        parts.extend(map(packed.__getitem__, order))
        parts.append(tail)
        return parts

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
    def from_packed(cls, packed: bytes, limits: Limits) -> Document:
        """``from_state(msgpack.unpackb(packed))``, keeping each element's bytes as its packed
        cache, so that a board loaded from a checkpoint writes its next one as cheaply as a
        board that never left memory."""
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(1, len(packed)))
        unpacker.feed(packed)
        tell, unpack = unpacker.tell, unpacker.unpack
        state: dict[str, Any] = {}
        slices: list[bytes] = []
        first_pairs = b""
        for _ in range(unpacker.read_map_header()):
            key = unpack()
            if key == "elements":
                elements = []
                for _ in range(unpacker.read_array_header()):
                    start = tell()
                    elements.append(unpack())
                    slices.append(packed[start : tell()])
                state[key] = elements
            elif key == "first":
                start = tell()
                state[key] = unpack()
                first_pairs = packed[start : tell()]
            else:
                state[key] = unpack()
        if unpacker.tell() != len(packed):
            raise ValueError("checkpoint has bytes after the state")
        doc = cls.from_state(state, limits)
        doc._dirty.clear()
        doc._packed = {e["id"]: b for e, b in zip(state["elements"], slices, strict=True)}
        head = _map_header(len(doc._first))
        if first_pairs.startswith(head) and all(
            type(k) is str and type(v) is int for k, v in state["first"].items()
        ):
            doc._first_packed = bytearray(first_pairs[len(head) :])
            doc._first_unpacked = []
        return doc

    @classmethod
    def from_state(cls, state: dict[str, Any], limits: Limits) -> Document:
        """Rebuild a document from ``to_state()`` output (possibly after a msgpack round trip)."""
        doc = cls(limits)
        doc.seq = int(state["seq"])
        doc._first = {str(k): int(v) for k, v in state["first"].items()}
        for e in state["elements"]:
            id = e["id"]
            if id not in doc._first:
                raise ValueError(f"checkpoint element {id!r} has no first-add seq")
            if id in doc._live:
                raise ValueError(f"checkpoint lists element {id!r} twice")
            doc._live[id] = _copy_element(e)
        doc._dirty = set(doc._live)
        doc._with_z = {id for id, e in doc._live.items() if "z" in e}
        doc._first_unpacked = list(doc._first)
        # The stacking order is recomputed on first use rather than trusted from the list.
        return doc

    def copy(self) -> Document:
        """An independent copy (for a history view or a what-if), cheaper than a round trip."""
        doc = Document(self.limits)
        doc.seq = self.seq
        doc._live = {id: _copy_element(e) for id, e in self._live.items()}
        doc._first = dict(self._first)
        doc._order = None if self._order is None else list(self._order)
        doc._with_z = set(self._with_z)
        doc._packed = dict(self._packed)
        doc._dirty = set(self._dirty)
        doc._first_packed = bytearray(self._first_packed)
        doc._first_unpacked = list(self._first_unpacked)
        return doc


def _pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def _array_header(n: int) -> bytes:
    header: bytes = msgpack.Packer().pack_array_header(n)
    return header


def _map_header(n: int) -> bytes:
    header: bytes = msgpack.Packer().pack_map_header(n)
    return header


_STATE_HEAD = _map_header(3) + _pack("seq")
_ELEMENTS_KEY = _pack("elements")
_FIRST_KEY = _pack("first")


def _copy_element(e: dict[str, Any]) -> dict[str, Any]:
    """Copy an element deep enough that appends to either copy never reach the other.

    All values are immutable scalars except the pen's point and pressure lists.
    """
    el = dict(e)
    pts = el.get("pts")
    if pts is not None:
        el["pts"] = list(pts)
        pr = el.get("pr")
        if pr is not None:
            el["pr"] = list(pr)
    return el


def _refuse(op: dict[str, Any], code: str, msg: str) -> ProtocolError:
    return ProtocolError(code, msg, op.get("c"))
