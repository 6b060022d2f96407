"""export.pdf's renderer read back by a PDF reader: pages, their names, text as text."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from pypdf import PdfReader

from whiteboard.export import pdf


def _text(eid: str, x: float, y: float, text: str) -> dict[str, Any]:
    return {"id": eid, "type": "text", "x": x, "y": y, "text": text, "size": 20,
            "stroke": "#000000"}  # fmt: skip


def _frame(eid: str, x: float, name: str) -> dict[str, Any]:
    return {"id": eid, "type": "frame", "x": x, "y": 0, "w": 400, "h": 300, "name": name}


def _png(w: int, h: int) -> bytes:
    """A tiny solid red PNG, made here so the test needs no image file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_without_frames_one_page_holds_everything() -> None:
    shapes = [
        _text("t1", 0, 0, "Hello class"),
        _text("t2", 900, 700, "Far away"),
        {"id": "r", "type": "rect", "x": 10, "y": 10, "w": -50, "h": 30, "stroke": "#ff0000",
         "width": 2, "fill": "#00ff0080", "text": "Label"},
        {"id": "p", "type": "pen", "x": 5, "y": 5, "stroke": "#000000", "width": 3,
         "pts": [0, 0, 10, 10, 5, -3]},
        {"id": "a", "type": "arrow", "x": 0, "y": 0, "w": 100, "h": 40, "stroke": "#000000",
         "width": 2},
        {"id": "e", "type": "ellipse", "x": 0, "y": 0, "w": 100, "h": 40, "stroke": "#000000",
         "width": 2, "angle": 0.5},
        {"id": "u", "type": "unknown-future-type", "x": 0, "y": 0},
    ]  # fmt: skip
    reader = _read(pdf.render(shapes))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Hello class" in text and "Far away" in text and "Label" in text
    # Vector: the page is as big as the content (0.75 pt per board unit), not a bitmap.
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - (900 + 11 * 12 + 40 + 50) * 0.75) < 200
    assert "/XObject" not in reader.pages[0]["/Resources"]  # no picture of anything


def test_one_page_per_frame_in_stacking_order_named_after_it() -> None:
    els = [
        _frame("f2", 0, "Intro"),
        _frame("f1", 500, "Method"),
        _frame("f3", 1000, "Results"),
        _text("a", 20, 20, "first slide"),
        _text("b", 520, 20, "second slide"),
        _text("c", 1020, 20, "third slide"),
        {"id": "img", "type": "image", "x": 1100, "y": 100, "w": 80, "h": 40,
         "blob": "ab" * 32},
    ]  # fmt: skip
    reader = _read(pdf.render(els, images={"ab" * 32: _png(4, 2)}))
    assert len(reader.pages) == 3
    assert reader.page_labels == ["Intro", "Method", "Results"]
    assert [o.title for o in reader.outline] == ["Intro", "Method", "Results"]  # type: ignore[union-attr]
    texts = [p.extract_text() for p in reader.pages]
    assert "first slide" in texts[0] and "second slide" not in texts[0]
    assert "second slide" in texts[1] and "third slide" not in texts[1]
    assert "third slide" in texts[2]
    # The picture is embedded on the page of the frame it is in, and only there.
    (image,) = [x.get_object() for x in reader.pages[2]["/Resources"]["/XObject"].values()]
    assert image["/Subtype"] == "/Image" and (image["/Width"], image["/Height"]) == (4, 2)
    assert "/XObject" not in reader.pages[0]["/Resources"]


def test_an_empty_board_is_one_blank_page() -> None:
    reader = _read(pdf.render([]))
    assert len(reader.pages) == 1 and reader.pages[0].extract_text().strip() == ""
