"""PROTOCOL.md 1.1's structure additions on the server: notes, frames, labels, bindings, lock.

The shared vectors (tests/vectors/document.json) hold the op-by-op rules for both sides; this
file checks what only Python has: the field tables, refusal sentences, and ``welcome.gone``.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from whiteboard.document import Document
from whiteboard.protocol import (
    ELEMENT_TYPES,
    ERROR_CODES,
    FIELDS,
    REMOVABLE,
    REQUIRED_FIELDS,
    Limits,
    ProtocolError,
    validate_field,
    validate_op,
)
from whiteboard.protocol.frames import encode_welcome

LIMITS = Limits()

NOTE = {
    "id": "n1",
    "type": "note",
    "x": 0,
    "y": 0,
    "w": 100,
    "h": 80,
    "fill": "#ffd43b",
    "stroke": "#1e1e1e",
    "text": "",
}
FRAME = {"id": "f1", "type": "frame", "x": 0, "y": 0, "w": 400, "h": 300, "name": "Intro"}
RECT = {"id": "r1", "type": "rect", "x": 0, "y": 0, "stroke": "#000000", "width": 2, "w": 9}


def test_the_tables_list_every_new_type_and_field() -> None:
    assert set(ELEMENT_TYPES) == set(FIELDS)
    assert "locked" in ERROR_CODES
    for etype in FIELDS:
        assert "locked" in FIELDS[etype] and "locked" in REMOVABLE[etype]
    assert REQUIRED_FIELDS["note"] == {"id", "type", "x", "y", "w", "h", "fill", "stroke", "text"}
    assert REQUIRED_FIELDS["frame"] == {"id", "type", "x", "y", "w", "h", "name"}
    assert {"text", "size"} <= REMOVABLE["rect"] & REMOVABLE["ellipse"]
    assert {"from", "to"} <= REMOVABLE["line"] & REMOVABLE["arrow"]
    assert "text" not in REMOVABLE["text"] and "fill" not in REMOVABLE["note"]


@pytest.mark.parametrize(
    "element",
    [
        NOTE,
        {**NOTE, "text": "x" * 10_000, "size": 4},
        FRAME,
        {**FRAME, "name": "😀" * 200, "locked": True},
        {**RECT, "h": -5, "text": "Label", "size": 400},
        {**RECT, "type": "ellipse", "h": 5, "text": "Label"},
        {**RECT, "type": "arrow", "h": 5, "from": "r1", "to": "A-_z09" * 5},
    ],
    ids=lambda e: str(e["type"]),
)
def test_new_elements_accepted(element: dict[str, Any]) -> None:
    op = {"k": "add", "c": 1, "e": element}
    assert validate_op(op, LIMITS) is op


@pytest.mark.parametrize(
    ("element", "code"),
    [
        ({**NOTE, "w": 0}, "bad_op"),
        ({**NOTE, "h": -1}, "bad_op"),
        ({**NOTE, "text": "x" * 10_001}, "too_large"),
        ({**NOTE, "width": 2}, "bad_op"),
        ({**FRAME, "name": "😀" * 201}, "bad_op"),
        ({**FRAME, "stroke": "#000000"}, "bad_op"),
        ({**FRAME, "w": 0}, "bad_op"),
        ({**RECT, "h": 5, "text": ""}, "bad_op"),
        ({**RECT, "h": 5, "text": "x" * 10_001}, "too_large"),
        ({**RECT, "h": 5, "locked": 1}, "bad_op"),
        ({**RECT, "h": 5, "from": "r2"}, "bad_op"),
        ({**RECT, "type": "line", "h": 5, "to": ""}, "bad_op"),
    ],
    ids=repr,
)
def test_new_elements_refused(element: dict[str, Any], code: str) -> None:
    with pytest.raises(ProtocolError) as exc:
        validate_op({"k": "add", "c": 5, "e": element}, LIMITS)
    assert exc.value.code == code and exc.value.c == 5
    assert exc.value.msg[0].isupper() or exc.value.msg[0] == "'"


@pytest.mark.parametrize(
    ("etype", "key", "value"),
    [
        ("note", "text", ""),
        ("note", "size", None),
        ("rect", "text", None),
        ("ellipse", "size", None),
        ("arrow", "to", None),
        ("frame", "name", "New name"),
        ("pen", "locked", None),
    ],
)
def test_validate_field_accepts_per_type(etype: str, key: str, value: Any) -> None:
    validate_field(etype, key, value, LIMITS)


@pytest.mark.parametrize(
    ("etype", "key", "value"),
    [
        ("text", "text", ""),
        ("rect", "text", ""),
        ("note", "fill", None),
        ("note", "text", None),
        ("frame", "name", None),
        ("frame", "w", 0),
        ("note", "h", -3),
        ("frame", "stroke", "#000000"),
    ],
)
def test_validate_field_refuses_per_type(etype: str, key: str, value: Any) -> None:
    with pytest.raises(ProtocolError) as exc:
        validate_field(etype, key, value, LIMITS)
    assert exc.value.code == "bad_op"


def test_locked_refusals_are_sentences_and_change_nothing() -> None:
    doc = Document(LIMITS)
    doc.apply({"k": "add", "c": 1, "e": {**RECT, "h": 5, "locked": True}}, 1)
    before = doc.to_state()
    for op in (
        {"k": "update", "c": 2, "id": "r1", "set": {"x": 1}},
        {"k": "delete", "c": 3, "ids": ["r1"]},
    ):
        result = doc.apply(op, 2)
        assert isinstance(result, ProtocolError)
        assert result.code == "locked" and result.c == op["c"]
        assert result.msg.startswith("The ") or result.msg.startswith("Every ")
    assert doc.to_state() == before and doc.seq == 1


def test_gone_lists_the_first_add_of_every_id_not_live() -> None:
    doc = Document(LIMITS)
    doc.apply({"k": "add", "c": 1, "e": {**RECT, "h": 5}}, 1)
    doc.apply({"k": "add", "c": 2, "e": NOTE}, 2)
    doc.apply({"k": "add", "c": 3, "e": FRAME}, 3)
    doc.apply({"k": "delete", "c": 4, "ids": ["r1", "f1"]}, 4)
    assert doc.gone() == [["r1", 1], ["f1", 3]]
    doc.apply({"k": "add", "c": 5, "e": {**RECT, "h": 5}}, 5)
    assert doc.gone() == [["f1", 3]]
    reloaded = Document.from_state(doc.to_state(), LIMITS)
    assert reloaded.gone() == [], "a checkpoint lists the live ids only"
    reloaded.know_firsts({"f1": 3, "r1": 1})  # what the store keeps beside it
    assert reloaded.gone() == [["f1", 3]]


def test_welcome_gone_goes_with_elements_only() -> None:
    common: dict[str, Any] = {
        "board": "b",
        "me": 1,
        "color": "#000000",
        "seq": 4,
        "peers": [],
        "limits": {},
        "readonly": False,
        "token": "t",
    }
    frame = encode_welcome(**common, elements=[NOTE], ops=None, first=[2], gone=[["r1", 1]])
    w = msgpack.unpackb(frame)
    assert w["first"] == [2] and w["gone"] == [["r1", 1]]
    assert list(w)[-2:] == ["first", "gone"]
    assert "gone" not in msgpack.unpackb(
        encode_welcome(**common, elements=[NOTE], ops=None, first=[2])
    )
    with pytest.raises(ValueError):
        encode_welcome(**common, elements=None, ops=[], gone=[])
