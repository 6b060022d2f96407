"""``GET /api/boards/{board}/export.pdf`` over real HTTP, read back with a PDF reader."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

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
