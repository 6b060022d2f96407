"""History, as people use it: replay a board two people drew, restore or copy a past moment,
and import board files from the landing page."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import struct
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from conftest import (
    Server,
    drag,
    ink_at,
    open_board,
    wait_connected,
    wait_synced,
    wait_until,
)
from playwright.sync_api import Page

from whiteboard.store import control

# Rects drawn in turn by Ada and Bob, clear of the panels (the history panel is at the bottom).
# Three each, so that halfway falls after the first rect and before the last, however many
# updates each drag makes.
ADA = [((300, 130), (400, 210)), ((300, 260), (400, 340)), ((300, 390), (400, 470))]
BOB = [((520, 130), (620, 210)), ((520, 260), (620, 340)), ((520, 390), (620, 470))]
LATE = ((760, 130), (860, 210))  # drawn by Bob while Ada looks at the past


def draw_rect(page: Page, box: tuple[tuple[int, int], tuple[int, int]]) -> None:
    page.keyboard.press("r")
    drag(page, box[0], box[1], steps=3)
    wait_synced(page)


def state_at(server: Server, board: str, seq: int) -> list[dict[str, Any]]:
    return server.get(f"/api/boards/{board}?at={seq}")["elements"]


def left_edge(el: dict[str, Any]) -> tuple[float, float]:
    """A point on a rect's left edge (the board is shown at 100 %, origin at the corner)."""
    return (min(el["x"], el["x"] + el["w"]), el["y"] + el["h"] / 2)


def timeline_value(page: Page) -> int:
    return int(page.get_by_test_id("timeline").get_attribute("aria-valuenow") or "-1")


def timeline_head(page: Page) -> int:
    return int(page.get_by_test_id("timeline").get_attribute("aria-valuemax") or "-1")


def drag_timeline_to(page: Page, fraction: float) -> int:
    """Drags the playhead from the end of the timeline to `fraction` of it; returns the seq."""
    box = page.get_by_test_id("timeline").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    drag(page, (box["x"] + box["width"] - 1, y), (box["x"] + box["width"] * fraction, y))
    return wait_shown(page)


def wait_shown(page: Page) -> int:
    """Waits until the canvas shows the moment the timeline points at (nothing loading)."""
    page.wait_for_function(
        "() => { const h = window.__wb.history();"
        " return h && !h.busy && String(h.seq) ==="
        " document.querySelector('[data-testid=timeline]').getAttribute('aria-valuenow') }"
    )
    page.evaluate("window.__wb.nextFrame()")
    return timeline_value(page)


def shows(page: Page, elements: list[dict[str, Any]]) -> bool:
    return all(ink_at(page, *left_edge(e)) for e in elements)


def shows_none(page: Page, elements: list[dict[str, Any]]) -> bool:
    return not any(ink_at(page, *left_edge(e)) for e in elements)


def test_replay_two_authors_then_restore_a_past_moment_and_undo_it(server, board, people):
    ada = open_board(people(), server, board, "Ada")
    bob = open_board(people(), server, board, "Bob")
    for a, b in zip(ADA, BOB, strict=True):
        draw_rect(ada, a)
        draw_rect(bob, b)
    head = server.snapshot(board)
    wait_synced(ada, seq=head["seq"])

    ada.get_by_role("button", name="History").click()
    ada.get_by_test_id("history").wait_for(state="visible")
    assert timeline_head(ada) == head["seq"]

    # Halfway: the canvas shows the board as it was then, and nothing drawn after it.
    seq = drag_timeline_to(ada, 0.5)
    assert abs(seq - head["seq"] / 2) <= 1
    past = state_at(server, board, seq)
    later = [e for e in head["elements"] if e["id"] not in {p["id"] for p in past}]
    assert past and later, "halfway is between the first and the last rect"
    assert shows(ada, past)
    assert shows_none(ada, later)
    assert re.search(r"change \d+ of \d+", ada.get_by_test_id("history-moment").inner_text())

    # Who drew what: hovering names the author; the filter shows one person's work.
    bobs = [e for e in past if e["x"] >= BOB[0][0][0]]
    adas = [e for e in past if e not in bobs]
    first_by_bob = bobs[0]
    ada.mouse.move(*left_edge(first_by_bob))
    ada.mouse.move(*left_edge(first_by_bob))
    tip = ada.get_by_test_id("author-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == "Bob"
    ada.get_by_test_id("history-author").select_option("Ada")
    ada.evaluate("window.__wb.nextFrame()")
    assert shows_none(ada, bobs)
    assert shows(ada, adas)
    ada.get_by_test_id("history-author").select_option("")

    # Bob keeps drawing: Ada's past moment stays as it is; a badge counts the live changes.
    draw_rect(bob, LATE)
    new_head = server.snapshot(board)
    wait_synced(ada, seq=new_head["seq"])
    badge = ada.get_by_test_id("live-changes")
    badge.wait_for(state="visible")
    n = new_head["seq"] - head["seq"]
    assert badge.inner_text().startswith(f"{n} live change")
    ada.evaluate("window.__wb.nextFrame()")
    assert shows(ada, past)
    assert shows_none(ada, [*later, new_head["elements"][-1]])

    # Play to the end at 64x: the head, with Bob's late rect.
    ada.get_by_test_id("history-speed").select_option("64")
    ada.get_by_test_id("history-play").click()
    ada.wait_for_function(
        "(head) => document.querySelector('[data-testid=timeline]')"
        ".getAttribute('aria-valuenow') === String(head)",
        arg=new_head["seq"],
        timeout=15_000,
    )
    wait_shown(ada)
    assert shows(ada, new_head["elements"])

    # Restore the halfway moment: the live board (on the server) becomes exactly that state.
    seq = drag_timeline_to(ada, 0.5)
    restored = state_at(server, board, seq)
    ada.get_by_role("button", name="Restore this version").click()
    ada.get_by_test_id("history").wait_for(state="hidden")
    wait_until(lambda: server.elements(board) == restored, what="the restored state")

    # One Ctrl+Z undoes the whole restore: the head as it was before.
    ada.keyboard.press("Control+z")
    wait_until(lambda: server.elements(board) == new_head["elements"], what="the undone restore")
    assert ada.errors == [] and bob.errors == []  # type: ignore[attr-defined]


def test_copy_a_past_moment_to_a_new_board(server, board, people):
    ada = open_board(people(), server, board, "Ada")
    for box in ADA + BOB:
        draw_rect(ada, box)
    ada.keyboard.press("Control+Shift+H")
    seq = drag_timeline_to(ada, 0.5)
    past = state_at(server, board, seq)
    assert 0 < len(past) < len(ADA + BOB)

    # Exports of the moment shown: a PNG made here, SVG and board file from the server.
    ada.get_by_role("button", name="Export…").click()
    with ada.expect_download() as download:
        ada.get_by_role("button", name="PNG of the whole board").click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    span_x = max(e["x"] + e["w"] for e in past) - min(e["x"] for e in past)
    span_y = max(e["y"] + e["h"] for e in past) - min(e["y"] for e in past)
    assert 2 * span_x < width < 2 * span_x + 200 and 2 * span_y < height < 2 * span_y + 200
    ada.get_by_role("button", name="Export…").click()
    svg = ada.get_by_role("link", name="SVG of this moment").get_attribute("href")
    assert svg == f"/api/boards/{board}/export.svg?at={seq}"
    wbd = ada.get_by_role("link", name="Board file (with its history)")
    assert wbd.get_attribute("href") == f"/api/boards/{board}/export.wbd?at={seq}"
    # Escape leaves the history (back to live); the shortcut comes back to it.
    ada.keyboard.press("Escape")
    ada.get_by_test_id("history").wait_for(state="hidden")
    ada.keyboard.press("Control+Shift+H")
    assert drag_timeline_to(ada, 0.5) == seq

    ada.get_by_role("button", name="Copy to a new board").click()
    ada.wait_for_url(re.compile(r"/b/(?!" + board + r"$)[A-Za-z0-9_-]+$"))
    wait_connected(ada)
    copy = ada.url.rsplit("/", 1)[1]
    assert server.elements(copy) == past
    ada.evaluate("window.__wb.nextFrame()")
    assert shows(ada, past)


def boards_in(server: Server) -> set[str]:
    """Every board the server's database holds anything for. Read from a copy the server
    makes (it holds its database exclusively: whiteboard/store/control.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.sqlite3")
        answer = control.request_copy(str(server.data), copy)
        assert answer is not None and "ok" in answer, answer
        return _boards_in(copy)


def _boards_in(path: str) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT board FROM log UNION SELECT board FROM clients"
            " UNION SELECT board FROM checkpoints"
        ).fetchall()
    return {r[0] for r in rows}


def test_import_refuses_a_bad_file_in_words_and_opens_a_good_one(server, board, people):
    ada = open_board(people(), server, board, "Ada")
    draw_rect(ada, ADA[0])
    with urllib.request.urlopen(f"{server.url}/api/boards/{board}/export.wbd", timeout=10) as r:
        good = r.read()

    page = people().new_page()
    page.goto(server.url + "/")
    before = boards_in(server)
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "broken.wbd", "mimeType": "application/octet-stream", "buffer": good[:-7]}]
    )
    error = page.get_by_test_id("import-error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("“broken.wbd” was not imported: ")
    assert len(error.inner_text()) > len("“broken.wbd” was not imported: ") + 10
    assert page.url == server.url + "/"
    assert boards_in(server) == before

    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "good.wbd", "mimeType": "application/octet-stream", "buffer": good}]
    )
    page.wait_for_url(re.compile(r"/b/[A-Za-z0-9_-]+$"))
    wait_connected(page)
    assert server.elements(page.url.rsplit("/", 1)[1]) == server.elements(board)
