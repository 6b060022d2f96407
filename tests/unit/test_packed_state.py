"""The cached checkpoint encoding: ``packed_parts()`` must be exactly ``msgpack(to_state())``.

The store, ``layout.py`` and ``?at=`` read checkpoints written before the cache existed and
after it; they can only keep working if the bytes do not change. So at random points of random
op sequences the joined pieces are compared byte for byte with packing ``to_state()``, on the
live document, on its copy (``copy_doc``) and on documents loaded back with ``checkpoint.load``;
and the layout index built from the document is compared with the one parsed from the bytes.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_document import copy_doc, ops_st, pen, rect
from whiteboard.codec import Pieces
from whiteboard.document import Document
from whiteboard.history import checkpoint, layout
from whiteboard.live.resume import ResumeBuffer
from whiteboard.live.session import Session
from whiteboard.live.welcome import Welcomes
from whiteboard.protocol import Limits, ProtocolError, encode_welcome, validate_op

LIMITS = Limits(elements_per_board=4, values_per_op=6, values_per_element=30, text_chars=5)


def packed_before(doc: Document) -> bytes:
    """How checkpoints were written before the cache: pack the whole state."""
    packed: bytes = msgpack.packb(doc.to_state(), use_bin_type=True)
    return packed


def packed_now(doc: Document) -> bytes:
    """The pieces joined; checks on the way that the layout index the writer derives from the
    document is the one the store would compute by parsing the bytes, and that the bytes the
    memory budget is told the cache holds are what it holds."""
    parts = checkpoint.packed_parts(doc)
    packed = b"".join(parts)
    assert layout.from_parts(parts, *doc.stacking()) == layout.compute(packed)
    held, _ = checkpoint.held_bytes(doc)
    assert held == sum(map(len, parts[1:])) - len(parts[len(parts) // 2])
    return packed


def apply(doc: Document, op: dict[str, Any]) -> bool:
    try:
        validate_op(op, doc.limits)
    except ProtocolError:
        return False
    return not isinstance(doc.apply(op, doc.seq + 1), ProtocolError)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(1, 80))
def test_packed_parts_are_byte_for_byte_the_packed_state(data: st.DataObject, n_ops: int) -> None:
    doc = Document(LIMITS)
    others: list[Document] = []  # copies and reloads, driven with the same ops from then on
    for c in range(n_ops):
        op = {**data.draw(ops_st(sorted(e["id"] for e in doc.elements()))), "c": c}
        accepted = apply(doc, op)
        for other in others:
            assert apply(other, {**op}) == accepted
        if data.draw(st.integers(0, 3)) == 0:
            assert packed_now(doc) == packed_before(doc)
        fork = data.draw(st.sampled_from(["none"] * 6 + ["copy", "reload", "from_state"]))
        if fork == "copy":
            others.append(copy_doc(doc))
        elif fork == "reload":
            others.append(checkpoint.load(packed_now(doc), LIMITS))
            others[-1].know_firsts(dict(doc.gone()))  # kept by the store beside the checkpoint
        elif fork == "from_state":
            others.append(Document.from_state(msgpack.unpackb(packed_before(doc)), LIMITS))
            others[-1].know_firsts(dict(doc.gone()))
    expected = packed_before(doc)
    assert packed_now(doc) == expected
    for other in others:
        assert packed_now(other) == expected
        assert packed_before(other) == expected


def test_parts_taken_before_later_ops_keep_the_state_of_their_time() -> None:
    doc = Document(Limits())
    doc.apply({"k": "add", "c": 1, "e": pen("p", pts=[0, 0])}, 1)
    doc.apply({"k": "add", "c": 2, "e": rect("r")}, 2)
    then = packed_before(doc)
    parts = checkpoint.packed_parts(doc)
    doc.apply({"k": "append", "c": 3, "id": "p", "pts": [5, 5]}, 3)
    doc.apply({"k": "update", "c": 4, "id": "r", "set": {"z": -1}}, 4)
    doc.apply({"k": "delete", "c": 5, "ids": ["p"]}, 5)
    assert b"".join(parts) == then
    assert packed_now(doc) == packed_before(doc)


def test_from_packed_reads_what_from_state_reads() -> None:
    doc = Document(Limits())
    doc.apply({"k": "add", "c": 1, "e": pen("p", pts=[0, 0, 1, 1], pr=[9, 9])}, 1)
    doc.apply({"k": "add", "c": 2, "e": rect("r", z=3)}, 2)
    doc.apply({"k": "delete", "c": 3, "ids": ["p"]}, 3)
    state = packed_before(doc)
    loaded = checkpoint.load(state, Limits())
    assert loaded.to_state() == Document.from_state(msgpack.unpackb(state), Limits()).to_state()
    assert loaded.first_seq("p") is None, "deleted ids are not in the checkpoint"
    assert loaded.first_seq("r") == 2


def test_checkpoints_hand_each_deleted_id_to_the_store_once() -> None:
    doc = Document(Limits())
    doc.apply({"k": "add", "c": 1, "e": rect("a")}, 1)
    doc.apply({"k": "add", "c": 2, "e": rect("b")}, 2)
    assert checkpoint.build(doc).firsts == ()
    doc.apply({"k": "delete", "c": 3, "ids": ["a"]}, 3)
    doc.apply({"k": "add", "c": 4, "e": rect("c")}, 4)
    doc.apply({"k": "delete", "c": 5, "ids": ["c"]}, 5)
    cp = checkpoint.build(doc)
    assert sorted(cp.firsts) == [("a", 1), ("c", 4)]
    assert msgpack.unpackb(cp.state)["first"] == {"b": 2}
    assert checkpoint.build(doc).firsts == (), "handed over once"


def test_an_old_checkpoint_listing_deleted_ids_hands_them_to_the_next_one() -> None:
    """Checkpoints written before deleted ids were kept apart list them in ``first``: the
    board loaded from one records them with its next checkpoint, and stops listing them."""
    old = {"seq": 3, "elements": [rect("b")], "first": {"a": 1, "b": 2}}
    doc = checkpoint.load(msgpack.packb(old), Limits())
    assert doc.first_seq("a") == 1
    doc.apply({"k": "add", "c": 4, "e": rect("c")}, 4)
    cp = checkpoint.build(doc)
    assert cp.firsts == (("a", 1),)
    assert msgpack.unpackb(cp.state)["first"] == {"b": 2, "c": 4}


@pytest.mark.parametrize(
    "state",
    [
        {"seq": 1, "elements": [rect("r")], "first": {}},
        {"seq": 1, "elements": [rect("r"), rect("r")], "first": {"r": 1}},
    ],
)
def test_from_packed_refuses_inconsistent_checkpoints(state: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        checkpoint.load(msgpack.packb(state), Limits())


def test_from_packed_refuses_trailing_bytes() -> None:
    packed = packed_before(Document(Limits())) + b"\x00"
    with pytest.raises(ValueError):
        checkpoint.load(packed, Limits())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(1, 60))
def test_a_welcome_spliced_from_cached_bytes_is_the_encoded_welcome(
    data: st.DataObject, n_ops: int
) -> None:
    """live/welcome.py lists the elements from the checkpoint's byte cache (a 7 MB board's
    welcome packed on the loop took 300 ms): it must be exactly the welcome packed whole,
    whether the board was loaded from a checkpoint or not, between or after checkpoints."""
    doc = Document(LIMITS)
    for c in range(n_ops):
        apply(doc, {**data.draw(ops_st(sorted(e["id"] for e in doc.elements()))), "c": c})
        if data.draw(st.integers(0, 5)) == 0:
            packed_now(doc)  # a checkpoint between: the cache holds older bytes of some
        if data.draw(st.integers(0, 9)) == 0:
            doc = checkpoint.load(packed_now(doc), LIMITS)

    class Quiet:
        def send(self, message: bytes) -> None: ...
        def send_frame(self, frame: bytes) -> None: ...
        def send_parts(self, parts: list[bytes]) -> None: ...
        def close(self, code: int, reason: str) -> None: ...
        def unsent(self) -> int:
            return 0

    session = Session(Quiet(), 3, "Ana", "#e03131", token="tok")
    welcomes = Welcomes("b", doc, ResumeBuffer(10, 1000), {"frame_bytes": 1})
    got = b"".join(welcomes.encode(session, None, []))
    elements = doc.elements()
    assert got == encode_welcome(
        board="b", me=3, color="#e03131", seq=doc.seq, peers=[], elements=elements, ops=None,
        limits={"frame_bytes": 1}, readonly=False, token="tok",
        first=[doc.first_seq(e["id"]) or 0 for e in elements], gone=doc.gone(),
    )  # fmt: skip


@pytest.mark.parametrize("parts_meanwhile", [False, True])
def test_a_refresh_in_a_thread_leaves_the_cache_exact(parts_meanwhile: bool) -> None:
    """``checkpoint.refresh`` packs a board's changes in a thread while the document goes on
    changing (appends, deletes, adds, updates); a ``parts`` call before it ends (another
    joiner's welcome) packs the pending ids itself. Either way the bytes stay exact."""
    import asyncio

    async def scenario() -> None:
        doc = Document(Limits())
        for i in range(checkpoint.REFRESH_FROM + 36):
            add = {"k": "add", "c": i, "e": pen(f"p{i}", pts=list(range(400)))}
            assert apply(doc, add)
        refreshing = asyncio.ensure_future(checkpoint.refresh(doc))
        await asyncio.sleep(0)  # it has taken the changes and handed the packing to a thread
        assert checkpoint._cache(doc).pending
        for op in (
            {"k": "append", "id": "p1", "pts": [7, 7]},
            {"k": "delete", "ids": ["p2"]},
            {"k": "add", "e": rect("r")},
            {"k": "update", "id": "p3", "set": {"stroke": "#ff0000"}},
        ):
            assert apply(doc, {**op, "c": 1000})
        if parts_meanwhile:
            assert packed_now(doc) == packed_before(doc)
        await refreshing
        assert not checkpoint._cache(doc).pending
        assert packed_now(doc) == packed_before(doc)

    asyncio.run(scenario())


def test_the_welcome_array_is_joined_for_joiners_that_get_it_and_kept_per_seq(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big board's welcome array is joined in ``refresh`` only when asked for (a joiner that
    resumes from the recent ops gets no elements), and ``packed_elements`` reuses it while the
    seq stays the same; it is always the array the elements pack to."""
    import asyncio

    monkeypatch.setattr(checkpoint, "JOIN_OFF_LOOP_FROM", 1)  # every board counts as big

    async def scenario() -> None:
        doc = Document(Limits())
        for i in range(5):
            assert apply(doc, {"k": "add", "c": i, "e": pen(f"p{i}", pts=list(range(40)))})
        cache = checkpoint._cache(doc)
        await checkpoint.refresh(doc, whole=False)
        assert cache.joined is None
        await checkpoint.refresh(doc)
        assert cache.joined is not None and cache.joined[0] == doc.seq
        joined = cache.joined[1]
        elements, n = checkpoint.packed_elements(doc)
        assert n == 5 and elements == Pieces((joined,))
        assert b"".join(elements) == msgpack.packb(doc.to_state()["elements"])
        calls: list[int] = []
        real = checkpoint.packed_parts
        monkeypatch.setattr(checkpoint, "packed_parts", lambda d: calls.append(1) or real(d))
        assert checkpoint.packed_elements(doc)[0] == elements  # same seq: nothing packed again
        assert calls == []
        assert apply(doc, {"k": "delete", "c": 9, "ids": ["p0"]})
        elements, n = checkpoint.packed_elements(doc)
        assert calls == [1] and n == 4
        assert b"".join(elements) == msgpack.packb(doc.to_state()["elements"])

    asyncio.run(scenario())
