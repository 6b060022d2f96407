"""The Document's rules, its stacking order, and the properties replay depends on.

The property test is the important one: history (``?at=S``), board loading and reconnection all
assume that replaying the accepted log, from empty or from any checkpoint, gives exactly the
live state. It checks that against an independent, deliberately naive model of the rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whiteboard.document import Document
from whiteboard.protocol import (
    FIELDS,
    REMOVABLE,
    Limits,
    ProtocolError,
    encode_ops_array,
    validate_op,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "document.json"
LIMITS = Limits()


def copy_doc(doc: Document) -> Document:
    """An independent copy of a document, for what-if checks (tests only): its checkpoint
    state and the first-add seqs of its deleted ids, as the store keeps them."""
    copy = Document.from_state(doc.to_state(), doc.limits)
    copy.know_firsts(dict(doc.gone()))
    return copy


def rect(id: str = "r1", **kw: Any) -> dict[str, Any]:
    e = {"id": id, "type": "rect", "x": 0, "y": 0, "stroke": "#000000", "width": 1, "w": 10}
    return {**e, "h": 10, **kw}


def pen(id: str = "p1", **kw: Any) -> dict[str, Any]:
    e = {"id": id, "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 1}
    return {**e, "pts": [0, 0, 1, 1], **kw}


def text(id: str = "t1", **kw: Any) -> dict[str, Any]:
    e = {"id": id, "type": "text", "x": 0, "y": 0, "stroke": "#000000", "text": "hi"}
    return {**e, "size": 12, **kw}


class Board:
    """A Document driven like the server drives it: validate, apply with the next seq, log."""

    def __init__(self, limits: Limits = LIMITS) -> None:
        self.limits = limits
        self.doc = Document(limits)
        self.log: list[dict[str, Any]] = []
        self.c = 0

    def send(self, op: dict[str, Any]) -> dict[str, Any] | ProtocolError:
        self.c += 1
        op = {**op, "c": self.c}
        try:
            validate_op(op, self.limits)
        except ProtocolError as exc:
            return exc
        result = self.doc.apply(op, self.doc.seq + 1)
        if not isinstance(result, ProtocolError):
            self.log.append({**result, "s": self.doc.seq, "by": 1})
        return result

    def ok(self, op: dict[str, Any]) -> dict[str, Any]:
        result = self.send(op)
        assert not isinstance(result, ProtocolError), result
        return result

    def refused(self, op: dict[str, Any]) -> str:
        before = self.doc.to_state()
        result = self.send(op)
        assert isinstance(result, ProtocolError), result
        assert result.c == self.c
        assert self.doc.to_state() == before, "a refusal must change nothing"
        return result.code

    def ids(self) -> list[str]:
        return [e["id"] for e in self.doc.elements()]


def add(e: dict[str, Any]) -> dict[str, Any]:
    return {"k": "add", "e": e}


def append(id: str, pts: list[int], pr: list[int] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"k": "append", "id": id, "pts": pts}
    if pr is not None:
        op["pr"] = pr
    return op


def update(id: str, **changes: Any) -> dict[str, Any]:
    return {"k": "update", "id": id, "set": changes}


def delete(*ids: str) -> dict[str, Any]:
    return {"k": "delete", "ids": list(ids)}


# -- add -----------------------------------------------------------------------------------------


def test_empty_document() -> None:
    doc = Document(LIMITS)
    assert (doc.seq, len(doc), doc.elements(), doc.get("x")) == (0, 0, [], None)
    assert doc.to_state() == {"seq": 0, "elements": [], "first": {}}


def test_add_returns_the_op_itself_and_advances_seq() -> None:
    doc = Document(LIMITS)
    op = {"k": "add", "c": 4, "e": rect()}
    assert doc.apply(op, 7) is op
    assert doc.seq == 7 and len(doc) == 1 and doc.get("r1") == rect()
    assert doc.first_seq("r1") == 7


def test_add_copies_the_element_so_the_log_is_never_changed() -> None:
    board = Board()
    sent = board.ok(add(pen()))
    board.ok(append("p1", [5, 5]))
    board.ok(update("p1", x=9))
    assert sent["e"] == pen(), "appends and updates must not reach the logged add"
    sent["e"]["pts"].append(99)
    assert board.doc.get("p1") == pen(x=9, pts=[0, 0, 1, 1, 5, 5])


def test_add_of_a_live_id_is_exists() -> None:
    board = Board()
    board.ok(add(rect()))
    assert board.refused(add(rect(x=5))) == "exists"
    assert board.refused(add(text("r1"))) == "exists"


def test_board_full_counts_live_elements() -> None:
    board = Board(Limits(elements_per_board=2))
    board.ok(add(rect("a")))
    board.ok(add(rect("b")))
    assert board.refused(add(rect("c"))) == "board_full"
    board.ok(delete("a"))
    board.ok(add(rect("c")))
    assert board.refused(add(rect("a"))) == "board_full"


def test_re_add_after_delete_keeps_the_first_add_place() -> None:
    board = Board()
    board.ok(add(rect("a")))
    board.ok(add(rect("b")))
    board.ok(delete("a"))
    board.ok(add(rect("c")))
    board.ok(add(rect("a", x=3)))
    assert board.ids() == ["a", "b", "c"]
    assert board.doc.get("a") == rect("a", x=3)
    assert board.doc.first_seq("a") == 1


def test_document_refuses_an_oversized_pen_even_if_unvalidated() -> None:
    doc = Document(Limits(values_per_element=4))
    result = doc.apply({"k": "add", "c": 1, "e": pen(pts=[1] * 6)}, 1)
    assert isinstance(result, ProtocolError) and result.code == "too_large"
    assert len(doc) == 0 and doc.seq == 0


# -- append --------------------------------------------------------------------------------------


def test_append_extends_points_and_pressures() -> None:
    board = Board()
    board.ok(add(pen(pr=[1, 2])))
    op = append("p1", [3, 3], [9])
    sent = board.ok(op)
    assert sent["pts"] == [3, 3]
    board.ok(append("p1", [-1, 0, 4, 4], [7, 8]))
    assert board.doc.get("p1") == pen(pts=[0, 0, 1, 1, 3, 3, -1, 0, 4, 4], pr=[1, 2, 9, 7, 8])
    assert sent["pts"] == [3, 3] and sent["pr"] == [9], "the appended op is not aliased"


def test_append_refusals() -> None:
    board = Board(Limits(values_per_element=8))
    board.ok(add(pen()))
    board.ok(add(pen("q", pr=[0, 0])))
    board.ok(add(rect()))
    assert board.refused(append("zz", [1, 1])) == "not_found"
    assert board.refused(append("r1", [1, 1])) == "bad_op"
    assert board.refused(append("p1", [1, 1], [3])) == "bad_op"
    assert board.refused(append("q", [1, 1])) == "bad_op"
    board.ok(append("p1", [1, 1, 1, 1]))
    assert board.refused(append("p1", [1, 1])) == "too_large"
    board.ok(delete("p1"))
    assert board.refused(append("p1", [1, 1])) == "not_found"


def test_append_to_a_text_is_bad_op_with_a_readable_message() -> None:
    board = Board()
    board.ok(add(text()))
    result = board.send(append("t1", [1, 1]))
    assert isinstance(result, ProtocolError)
    assert result.msg == "Points can only be appended to a pen, not a text."


# -- update --------------------------------------------------------------------------------------


def test_update_sets_fields_and_returns_the_op() -> None:
    board = Board()
    board.ok(add(rect()))
    op = update("r1", x=5, fill="#ff0000", z=2.5)
    result = board.ok(op)
    assert result["set"] == {"x": 5, "fill": "#ff0000", "z": 2.5}
    assert board.doc.get("r1") == rect(x=5, fill="#ff0000", z=2.5)
    board.ok(update("r1", fill=None, z=None))
    assert board.doc.get("r1") == rect(x=5)


@pytest.mark.parametrize(
    ("element", "changes"),
    [
        (text(), {"width": 2}),
        (text(), {"fill": "#000000"}),
        (text(), {"w": 2}),
        (pen(), {"fill": None}),
        (pen(), {"text": "x"}),
        (pen(), {"size": 12}),
        ({**rect(), "type": "line"}, {"text": "x"}),
        ({**rect(), "type": "line"}, {"x": 1, "size": 12}),
        ({**rect(), "type": "line"}, {"fill": "#000000"}),
    ],
)
def test_update_with_a_field_of_another_type_is_bad_op(
    element: dict[str, Any], changes: dict[str, Any]
) -> None:
    board = Board()
    board.ok(add(element))
    assert board.refused(update(element["id"], **changes)) == "bad_op"


def test_update_refusals_from_the_document() -> None:
    board = Board(Limits(text_chars=3))
    assert board.refused(update("r1", x=1)) == "not_found"
    board.ok(add(text()))
    assert board.refused(update("t1", text="long")) == "too_large"
    board.ok(delete("t1"))
    assert board.refused(update("t1", x=1)) == "not_found"


def test_update_with_null_for_a_required_field_is_refused_by_the_document_too() -> None:
    # The protocol refuses these first; the Document must not rely on that.
    doc = Document(LIMITS)
    doc.apply({"k": "add", "c": 1, "e": rect()}, 1)
    for key in ("x", "width", "stroke"):
        result = doc.apply({"k": "update", "c": 2, "id": "r1", "set": {key: None}}, 2)
        assert isinstance(result, ProtocolError) and result.code == "bad_op"
    assert doc.get("r1") == rect() and doc.seq == 1


def test_update_does_not_alias_the_op() -> None:
    board = Board()
    board.ok(add(rect()))
    op = board.ok(update("r1", x=4))
    board.ok(update("r1", x=8))
    assert op["set"] == {"x": 4}


# -- delete --------------------------------------------------------------------------------------


def test_delete_returns_the_op_itself_when_every_id_was_live() -> None:
    doc = Document(LIMITS)
    doc.apply({"k": "add", "c": 1, "e": rect("a")}, 1)
    op = {"k": "delete", "c": 2, "ids": ["a"]}
    assert doc.apply(op, 2) is op
    assert len(doc) == 0


def test_delete_lists_only_what_it_deleted_without_touching_the_sent_op() -> None:
    board = Board()
    board.ok(add(rect("a")))
    board.ok(add(rect("b")))
    op = {"k": "delete", "c": 50, "ids": ["x", "a", "a", "b", "y"]}
    result = board.doc.apply(op, 3)
    assert result == {"k": "delete", "c": 50, "ids": ["a", "b"]}
    assert op["ids"] == ["x", "a", "a", "b", "y"]
    assert len(board.doc) == 0


def test_delete_of_nothing_live_is_not_found() -> None:
    board = Board()
    assert board.refused(delete("a")) == "not_found"
    board.ok(add(rect("a")))
    board.ok(delete("a"))
    assert board.refused(delete("a", "b")) == "not_found"


def test_many_deletes_keep_the_order_right() -> None:
    board = Board()
    for i in range(40):
        board.ok(add(rect(f"e{i}")))
    board.doc.elements()
    board.ok(delete(*[f"e{i}" for i in range(0, 40, 2)]))
    board.ok(delete("e1", "e3"))
    assert board.ids() == [f"e{i}" for i in range(5, 40, 2)]


# -- stacking ------------------------------------------------------------------------------------


def test_stacking_by_z_then_first_add_seq() -> None:
    board = Board()
    for name in "abcd":
        board.ok(add(rect(name)))
    assert board.ids() == ["a", "b", "c", "d"]
    board.ok(update("a", z=3.5))
    assert board.ids() == ["b", "c", "a", "d"]
    board.ok(update("d", z=-100))
    assert board.ids() == ["d", "b", "c", "a"]
    board.ok(update("c", z=2))  # ties with b's first-add seq 2; c was added later
    assert board.ids() == ["d", "b", "c", "a"]
    board.ok(update("b", z=2.0))
    assert board.ids() == ["d", "b", "c", "a"]
    board.ok(update("a", z=None))
    assert board.ids() == ["d", "a", "b", "c"]
    board.ok(add(rect("e", z=0)))
    assert board.ids() == ["d", "e", "a", "b", "c"]
    board.ok(add(rect("f")))
    assert board.ids() == ["d", "e", "a", "b", "c", "f"]


def test_new_elements_go_below_a_high_z() -> None:
    board = Board()
    board.ok(add(rect("a", z=1000)))
    board.ok(add(rect("b")))
    board.ok(add(rect("c")))
    assert board.ids() == ["b", "c", "a"]


def test_re_added_element_keeps_first_add_seq_through_a_checkpoint() -> None:
    board = Board()
    board.ok(add(rect("a")))
    board.ok(add(rect("b")))
    board.ok(delete("a"))
    state = msgpack.unpackb(msgpack.packb(board.doc.to_state()))
    assert state["first"] == {"b": 2}, "a checkpoint lists the live ids' first adds only"
    restored = Document.from_state(state, LIMITS)
    restored.know_firsts(dict(board.doc.gone()))  # what the store keeps beside the checkpoint
    restored.apply({"k": "add", "c": 1, "e": rect("a")}, 4)
    assert [e["id"] for e in restored.elements()] == ["a", "b"]


# -- checkpoints, copies, replay -----------------------------------------------------------------


def test_to_state_shares_nothing_with_the_live_document() -> None:
    board = Board()
    board.ok(add(pen(pr=[1, 2])))
    state = board.doc.to_state()
    board.ok(append("p1", [1, 1], [3]))
    board.ok(update("p1", x=50))
    assert state["elements"] == [pen(pr=[1, 2])]
    assert state["seq"] == 1 and state["first"] == {"p1": 1}


def test_copy_is_independent() -> None:
    board = Board()
    board.ok(add(pen()))
    board.ok(add(rect()))
    copy = copy_doc(board.doc)
    board.ok(append("p1", [1, 1]))
    board.ok(update("r1", z=-1))
    copy.apply({"k": "delete", "c": 1, "ids": ["r1"]}, 3)
    assert copy.elements() == [pen()]
    assert board.doc.elements() == [rect(z=-1), pen(pts=[0, 0, 1, 1, 1, 1])]


def test_from_state_restores_an_unsorted_checkpoint() -> None:
    state = {
        "seq": 5,
        "elements": [rect("b"), rect("a")],
        "first": {"a": 1, "b": 2, "gone": 3},
    }
    doc = Document.from_state(state, LIMITS)
    assert [e["id"] for e in doc.elements()] == ["a", "b"]
    assert doc.seq == 5 and doc.first_seq("gone") == 3


@pytest.mark.parametrize(
    "state",
    [
        {"seq": 1, "elements": [rect("a")], "first": {}},
        {"seq": 1, "elements": [rect("a"), rect("a")], "first": {"a": 1}},
    ],
)
def test_from_state_refuses_inconsistent_checkpoints(state: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Document.from_state(state, LIMITS)


def test_apply_sop_replays_and_refuses_a_corrupt_log() -> None:
    doc = Document(LIMITS)
    doc.apply_sop({"k": "add", "c": 1, "e": rect(), "s": 1, "by": 3, "ts": 1000})
    assert doc.seq == 1 and doc.get("r1") == rect()
    with pytest.raises(ValueError, match="exists"):
        doc.apply_sop({"k": "add", "c": 2, "e": rect(), "s": 2, "by": 3})
    with pytest.raises(ValueError, match="not after"):
        doc.apply_sop({"k": "delete", "c": 3, "ids": ["r1"], "s": 1, "by": 3})
    doc.apply_sop({"k": "delete", "c": 3, "ids": ["r1"], "s": 10, "by": 3})
    assert doc.seq == 10 and len(doc) == 0


# -- shared vectors ------------------------------------------------------------------------------


def load_vectors() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return cases


def test_vectors_are_many_and_named_uniquely() -> None:
    names = [case["name"] for case in load_vectors()]
    assert len(names) >= 30 and len(set(names)) == len(names)
    codes = {result.get("error") for case in load_vectors() for result in case["results"]} - {None}
    assert codes == {"bad_op", "not_found", "exists", "too_large", "board_full", "locked"}
    kinds = {op.get("k") for case in load_vectors() for op in case["ops"]}
    assert {"add", "append", "update", "delete"} <= kinds


@pytest.mark.parametrize("case", load_vectors(), ids=lambda case: case["name"])
def test_vector(case: dict[str, Any]) -> None:
    limits = Limits(**case.get("limits", {}))
    doc = Document(limits)
    assert len(case["ops"]) == len(case["results"])
    for op, expected in zip(case["ops"], case["results"], strict=True):
        try:
            validate_op(op, limits)
        except ProtocolError as exc:
            assert {"error": exc.code} == expected, op
            continue
        result = doc.apply(op, doc.seq + 1)
        if isinstance(result, ProtocolError):
            assert {"error": result.code} == expected, op
            assert result.c == op["c"]
        else:
            assert {"sop": {**result, "s": doc.seq, "by": 1}} == expected, op
    assert doc.seq == case["seq"]
    assert doc.elements() == case["elements"]


# -- the replay property -------------------------------------------------------------------------

SMALL = Limits(elements_per_board=3, values_per_op=6, values_per_element=10, text_chars=5)
IDS = st.sampled_from(["a", "b", "c", "d"])
COORD = st.one_of(st.integers(-5, 5), st.floats(-10, 10, allow_nan=False))
COLOR = st.sampled_from(["#000000", "#ff00ff80"])
Z = st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 2.5, 7.25]))


def pts_of(min_pairs: int, max_pairs: int) -> st.SearchStrategy[list[int]]:
    pair = st.tuples(st.integers(-3, 3), st.integers(-3, 3))
    pairs = st.lists(pair, min_size=min_pairs, max_size=max_pairs)
    return pairs.map(lambda ps: [v for p in ps for v in p])


def pressures(draw: st.DrawFn, pts: list[int]) -> list[int]:
    """One pressure per point, or now and then one too many to reach the protocol's refusal."""
    n = len(pts) // 2 + draw(st.sampled_from([0, 0, 0, 1]))
    return draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))


@st.composite
def elements_st(draw: st.DrawFn) -> dict[str, Any]:
    etype = draw(
        st.sampled_from(["pen", "pen", "rect", "ellipse", "line", "text", "note", "frame"])
    )
    e: dict[str, Any] = {"id": draw(IDS), "type": etype, "x": draw(COORD), "y": draw(COORD)}
    if etype != "frame":
        e["stroke"] = draw(COLOR)
    if draw(st.booleans()):
        e["z"] = draw(Z)
    if draw(st.integers(0, 3)) == 0:
        e["locked"] = draw(st.booleans())
    if etype == "note":
        e["w"], e["h"], e["fill"] = 50, draw(COORD), draw(COLOR)
        e["text"] = draw(st.text(max_size=6))
    elif etype == "frame":
        e["w"], e["h"], e["name"] = draw(COORD), 40, draw(st.text(min_size=1, max_size=6))
    elif etype == "pen":
        e["width"] = 1
        e["pts"] = draw(pts_of(1, 5))
        if draw(st.booleans()):
            e["pr"] = pressures(draw, e["pts"])
        if draw(st.booleans()):
            e["ps"] = draw(st.integers(1, 64))
    elif etype == "text":
        e["text"] = draw(st.text(min_size=1, max_size=6))
        e["size"] = draw(st.sampled_from([4, 12, 400]))
    else:
        e["width"] = draw(st.sampled_from([0.1, 2, 200]))
        e["w"], e["h"] = draw(COORD), draw(COORD)
        if etype != "line" and draw(st.booleans()):
            e["fill"] = draw(COLOR)
    return e


SET_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "x": COORD,
    "y": COORD,
    "w": COORD,
    "h": COORD,
    "stroke": COLOR,
    "width": st.sampled_from([0.5, 3]),
    "fill": st.one_of(st.none(), COLOR),
    "z": st.one_of(st.none(), Z),
    "text": st.text(min_size=1, max_size=6),
    "size": st.sampled_from([8, 30]),
    "locked": st.sampled_from([True, False, False, None]),
}


@st.composite
def ops_st(draw: st.DrawFn, live: list[str]) -> dict[str, Any]:
    """A random op; it usually targets a live element, so that most ops get past not_found."""
    target = st.sampled_from(live) if live and draw(st.integers(0, 4)) else IDS
    kind = draw(st.sampled_from(["add", "add", "append", "append", "update", "update", "delete"]))
    if kind == "add":
        return {"k": "add", "e": draw(elements_st())}
    if kind == "append":
        op: dict[str, Any] = {"k": "append", "id": draw(target), "pts": draw(pts_of(1, 3))}
        if draw(st.booleans()):
            op["pr"] = pressures(draw, op["pts"])
        return op
    if kind == "update":
        keys = draw(st.lists(st.sampled_from(sorted(SET_VALUES)), min_size=1, max_size=3))
        return {"k": "update", "id": draw(target), "set": {k: draw(SET_VALUES[k]) for k in keys}}
    return {"k": "delete", "ids": draw(st.lists(target, min_size=1, max_size=3))}


class NaiveModel:
    """The rules of PROTOCOL.md written as plainly as possible, to check the Document against."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.live: dict[str, dict[str, Any]] = {}
        self.first: dict[str, int] = {}

    def apply(self, op: dict[str, Any], seq: int) -> str | list[str]:
        if op["k"] == "add":
            e = op["e"]
            if e["id"] in self.live:
                return "exists"
            if len(self.live) >= self.limits.elements_per_board:
                return "board_full"
            self.live[e["id"]] = json.loads(json.dumps(e))
            self.first.setdefault(e["id"], seq)
            return "ok"
        if op["k"] == "append":
            el = self.live.get(op["id"])
            if el is None:
                return "not_found"
            if el.get("locked"):
                return "locked"
            if el["type"] != "pen" or ("pr" in el) != ("pr" in op):
                return "bad_op"
            if len(el["pts"]) + len(op["pts"]) > self.limits.values_per_element:
                return "too_large"
            el["pts"] = el["pts"] + op["pts"]
            if "pr" in el:
                el["pr"] = el["pr"] + op["pr"]
            return "ok"
        if op["k"] == "update":
            el = self.live.get(op["id"])
            if el is None:
                return "not_found"
            if el.get("locked") and op["set"] != {"locked": False}:
                return "locked"
            for key, value in op["set"].items():
                if key not in FIELDS[el["type"]]:
                    return "bad_op"
                if value is None and key not in REMOVABLE[el["type"]]:
                    return "bad_op"
                if key == "text" and value == "" and el["type"] != "note":
                    return "bad_op"
                if key in ("w", "h") and el["type"] in ("note", "frame") and value <= 0:
                    return "bad_op"
            for key, value in op["set"].items():
                if value is None:
                    el.pop(key, None)
                else:
                    el[key] = value
            return "ok"
        deleted: list[str] = []
        locked = False
        for id in op["ids"]:
            if id in self.live and self.live[id].get("locked"):
                locked = True
            elif id in self.live:
                del self.live[id]
                deleted.append(id)
        return deleted if deleted else "locked" if locked else "not_found"

    def elements(self) -> list[dict[str, Any]]:
        def key(e: dict[str, Any]) -> tuple[float, int]:
            return (e.get("z", self.first[e["id"]]), self.first[e["id"]])

        return sorted(self.live.values(), key=key)


def roundtrip(obj: Any) -> Any:
    return msgpack.unpackb(msgpack.packb(obj, use_bin_type=True), raw=False)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.data(), st.integers(1, 60), st.integers(0, 40))
def test_replay_from_empty_or_any_checkpoint_equals_the_live_document(
    data: st.DataObject, n_ops: int, copy_at: int
) -> None:
    doc = Document(SMALL)
    model = NaiveModel(SMALL)
    log_bytes: list[bytes] = []  # what the store keeps, encoded at accept time
    log: list[dict[str, Any]] = []
    # checkpoints[k]: after k sops, with the first-add seqs of the deleted ids kept beside it
    checkpoints: list[tuple[bytes, dict[str, int]]] = [(msgpack.packb(doc.to_state()), {})]
    snapshot: tuple[Document, dict[str, Any]] | None = None

    for c in range(n_ops):
        op = {**data.draw(ops_st(sorted(model.live))), "c": c}
        try:
            validate_op(op, SMALL)
        except ProtocolError:
            continue
        before = doc.to_state()
        seq = doc.seq + 1
        result = doc.apply(op, seq)
        expected = model.apply(op, seq)
        if isinstance(result, ProtocolError):
            assert result.code == expected and result.c == c
            assert doc.to_state() == before
            continue
        assert expected == "ok" or expected == result["ids"], (expected, result)
        assert doc.seq == seq
        sop = {**result, "s": seq, "by": 1}
        log.append(sop)
        log_bytes.append(encode_ops_array([sop]))
        checkpoints.append((msgpack.packb(doc.to_state()), dict(doc.gone())))
        assert doc.elements() == model.elements()
        if len(log) == copy_at:
            snapshot = (copy_doc(doc), roundtrip(doc.to_state()))

    live = roundtrip(doc.to_state())
    stored = [msgpack.unpackb(b, raw=False)[0] for b in log_bytes]
    assert stored == log, "applying later ops must not change ops already logged"

    rebuilt = Document(SMALL)
    for sop in stored:
        rebuilt.apply_sop(sop)
    assert roundtrip(rebuilt.to_state()) == live

    for k, (checkpoint, gone) in enumerate(checkpoints):
        resumed = Document.from_state(msgpack.unpackb(checkpoint, raw=False), SMALL)
        resumed.know_firsts(gone)
        assert resumed.seq == (stored[k - 1]["s"] if k else 0)
        for sop in stored[k:]:
            resumed.apply_sop(sop)
        assert roundtrip(resumed.to_state()) == live
        assert resumed.elements() == doc.elements()

    if snapshot is not None:
        copied, state_then = snapshot
        assert roundtrip(copied.to_state()) == state_then
