"""Memory of a live board (issue 12): compact pen points, the Document's own estimate and its
per-board cap, and a lack of memory never blamed on the client."""

from __future__ import annotations

import tracemalloc
from typing import Any

import msgpack
import pytest

from whiteboard.codec import pack
from whiteboard.document import Document
from whiteboard.elements import ELEMENT_BYTES
from whiteboard.history import boardfile
from whiteboard.points import Points
from whiteboard.protocol import CLOSE_TRY_AGAIN, CloseError, Limits, ProtocolError, decode_frame

LIMITS = Limits(values_per_op=10_000, values_per_element=100_000)


def pen_op(id: str, values: list[int], c: int = 1) -> dict[str, Any]:
    e = {"id": id, "type": "pen", "x": 0, "y": 0, "stroke": "#000000", "width": 2, "pts": values}
    # Decoded from msgpack, as the socket hands it over (fresh int objects for large values).
    decoded: dict[str, Any] = msgpack.unpackb(pack({"k": "add", "c": c, "e": e}))
    return decoded


def test_points_cost_four_bytes_a_value_and_encode_as_lists() -> None:
    doc = Document(LIMITS)
    ops = [pen_op(f"p{i}", [100_000 + j for j in range(10_000)], i) for i in range(20)]
    tracemalloc.start()
    try:
        for i, op in enumerate(ops, 1):
            doc.apply(op, i)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    per_value = held / 200_000
    assert per_value < 5, per_value  # a list of these ints: 36 bytes a value
    el = doc.get("p0")
    assert el is not None and isinstance(el["pts"], Points)
    assert el["pts"] == ops[0]["e"]["pts"]  # equal to the list it came from
    assert msgpack.unpackb(pack(el)) == ops[0]["e"]  # the same bytes go out
    assert doc.to_state()["elements"][0]["pts"] == list(range(100_000, 110_000))


def test_the_estimate_follows_adds_appends_and_deletes_and_survives_a_checkpoint() -> None:
    doc = Document(LIMITS)
    doc.apply(pen_op("a", [1] * 1000), 1)
    assert doc.mem == ELEMENT_BYTES + 4000
    doc.apply({"k": "append", "c": 2, "id": "a", "pts": [2] * 500}, 2)
    assert doc.mem == ELEMENT_BYTES + 6000
    again = Document.from_state(msgpack.unpackb(pack(doc.to_state())), LIMITS)
    assert again.mem == doc.mem
    doc.apply({"k": "delete", "c": 3, "ids": ["a", "a"]}, 3)
    assert doc.mem == 0


def test_a_board_past_its_memory_is_full_and_deletes_still_pass() -> None:
    doc = Document(LIMITS)
    doc.max_mem = ELEMENT_BYTES + 4 * 5000 + 100
    assert not isinstance(doc.apply(pen_op("a", [1] * 5000), 1), ProtocolError)
    refused = doc.apply({"k": "append", "c": 2, "id": "a", "pts": [1] * 2000}, 2)
    assert isinstance(refused, ProtocolError) and refused.code == "board_full", refused
    assert "memory" in refused.msg and refused.c == 2
    refused = doc.apply(pen_op("b", [1] * 10), 2)
    assert isinstance(refused, ProtocolError) and refused.code == "board_full"
    assert doc.seq == 1 and len(doc.get("a")["pts"]) == 5000  # type: ignore[index]
    assert not isinstance(doc.apply({"k": "delete", "c": 3, "ids": ["a"]}, 2), ProtocolError)
    assert not isinstance(doc.apply(pen_op("b", [1] * 10), 3), ProtocolError)


def test_memory_error_is_not_the_clients_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    def short(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(msgpack, "unpackb", short)
    with pytest.raises(CloseError) as caught:
        decode_frame(b"\x80")
    assert caught.value.code == CLOSE_TRY_AGAIN and "memory" in caught.value.reason
    monkeypatch.undo()

    class Short:
        read_map_header = read_array_header = unpack = skip = staticmethod(short)

    file = boardfile.encode("src", 0, [], [], {})
    monkeypatch.setattr(boardfile, "_unpacker", lambda *args: Short())
    with pytest.raises(MemoryError):  # not BoardFileError: the import answers 503, not 400
        boardfile.read(file, LIMITS, 100, lambda i: "#000000")


def test_the_state_view_packs_as_the_state() -> None:
    doc = Document(LIMITS)
    doc.apply(pen_op("a", [100_000 + j for j in range(100)]), 1)
    doc.apply({"k": "add", "c": 2, "e": {**pen_op("b", [1, 2])["e"], "pr": [7]}}, 2)
    doc.apply({"k": "delete", "c": 3, "ids": ["a"]}, 3)
    assert pack(doc.state_view()) == msgpack.packb(doc.to_state(), use_bin_type=True)
