"""``GET /api/boards/{board}/export.pdf`` over real HTTP, read back with a PDF reader."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from tests import images
from tests.server.conftest import connect, fetch

pytestmark = pytest.mark.gen_test(timeout=30)


def _text(eid: str, x: float, text: str) -> dict[str, object]:
    return {"id": eid, "type": "text", "x": x, "y": 0, "text": text, "size": 24,
            "stroke": "#1e1e1e"}  # fmt: skip


async def _pdf(url: str, path: str) -> PdfReader:
    resp = await fetch(url, path)
    assert resp.code == 200, resp.body
    assert resp.headers["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(resp.body))


async def test_the_board_as_a_pdf_now_and_in_the_past(url: str, board: str) -> None:
    a = await connect(url, board, "Ana")
    (c1,) = await a.ops({"k": "add", "e": _text("t1", 0, "Photosynthesis")})
    await a.acked(c1)
    (c2,) = await a.ops({"k": "add", "e": _text("t2", 400, "Chlorophyll")})
    await a.acked(c2)
    (c3,) = await a.ops({"k": "update", "id": "t1", "set": {"text": "Respiration"}})
    await a.acked(c3)

    now = await _pdf(url, f"/api/boards/{board}/export.pdf")
    assert len(now.pages) == 1
    text = now.pages[0].extract_text()
    assert "Respiration" in text and "Chlorophyll" in text and "Photosynthesis" not in text

    past = await _pdf(url, f"/api/boards/{board}/export.pdf?at=1")
    text = past.pages[0].extract_text()
    assert "Photosynthesis" in text and "Chlorophyll" not in text


async def test_bad_requests(url: str, board: str) -> None:
    assert (await fetch(url, f"/api/boards/{board}/export.pdf?at=5")).code == 400
    assert (await fetch(url, f"/api/boards/{board}/export.pdf?at=x")).code == 400
    assert (await fetch(url, "/api/boards/bad%20id/export.pdf")).code in (400, 404)
    empty = await _pdf(url, f"/api/boards/{board}/export.pdf")  # an unknown board is empty
    assert len(empty.pages) == 1


def _frame(eid: str, x: float, name: str) -> dict[str, object]:
    return {"id": eid, "type": "frame", "x": x, "y": 0, "w": 400, "h": 300, "name": name}


async def test_three_frames_with_text_and_a_picture_are_three_named_pages(
    url: str, board: str
) -> None:
    """What a teacher hands out: a page per frame, named after it, its own text and picture,
    and the same board as it was before the last edit."""
    resp = await fetch(
        url,
        f"/api/boards/{board}/blobs",
        method="POST",
        body=images.png(8, 4),
        headers={"Content-Type": "image/png"},
    )
    assert resp.code == 201, resp.body
    blob = json.loads(resp.body)["blob"]
    a = await connect(url, board, "Ana")
    ops = [
        {"k": "add", "e": _frame("f1", 0, "Intro")},
        {"k": "add", "e": _frame("f2", 500, "Method")},
        {"k": "add", "e": _frame("f3", 1000, "Results")},
        {"k": "add", "e": {**_text("t1", 20, "Leaves"), "y": 40}},
        {"k": "add", "e": {**_text("t2", 520, "Light"), "y": 40}},
        {"k": "add", "e": {**_text("t3", 1020, "Sugar"), "y": 40}},
        {"k": "add", "e": {"id": "img", "type": "image", "x": 1100, "y": 120, "w": 80,
                           "h": 40, "blob": blob}},
    ]  # fmt: skip
    for op in ops:
        (c,) = await a.ops(op)
        await a.acked(c)
    (c,) = await a.ops({"k": "update", "id": "f2", "set": {"name": "Experiment"}})
    await a.acked(c)

    now = await _pdf(url, f"/api/boards/{board}/export.pdf")
    assert len(now.pages) == 3
    assert now.page_labels == ["Intro", "Experiment", "Results"]
    assert [o.title for o in now.outline] == ["Intro", "Experiment", "Results"]  # type: ignore[union-attr]
    texts = [p.extract_text() for p in now.pages]
    # The frame's name is the page's label and outline entry; its text is on its page only.
    for i, word in enumerate(["Leaves", "Light", "Sugar"]):
        others = {"Leaves", "Light", "Sugar"} - {word}
        assert word in texts[i], texts[i]
        assert not any(o in texts[i] for o in others), texts[i]
    # The picture is on the third page only, at the size it was uploaded.
    (pic,) = [x.get_object() for x in now.pages[2]["/Resources"]["/XObject"].values()]
    assert (pic["/Subtype"], pic["/Width"], pic["/Height"]) == ("/Image", 8, 4)
    assert all("/XObject" not in p["/Resources"] for p in now.pages[:2])

    # ?at=S: before the rename the second page had its first name; before the picture, none.
    past = await _pdf(url, f"/api/boards/{board}/export.pdf?at={len(ops)}")
    assert past.page_labels == ["Intro", "Method", "Results"]
    assert [o.title for o in past.outline] == ["Intro", "Method", "Results"]  # type: ignore[union-attr]
    earlier = await _pdf(url, f"/api/boards/{board}/export.pdf?at={len(ops) - 1}")
    assert "/XObject" not in earlier.pages[2]["/Resources"]
    assert "Sugar" in earlier.pages[2].extract_text()
