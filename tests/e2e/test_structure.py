"""Notes, labels, attached arrows, lock, z-order, copy and paste, in two browsers at once."""

from __future__ import annotations

import json
import math
import os
import urllib.request
from typing import Any

from conftest import (
    drag,
    elements,
    ink_at,
    open_board,
    to_screen,
    wait_synced,
    wait_until,
)
from test_images import png_halves

SHOTS = os.environ.get("WHITEBOARD_SHOTS")


def upload(server: Any, board: str, data: bytes, kind: str = "image/png") -> str:
    """Stores a picture on a board as the app does (POST .../blobs); its blob name."""
    req = urllib.request.Request(
        f"{server.url}/api/boards/{board}/blobs",
        data=data,
        headers={"Content-Type": kind, "Origin": server.url},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)["blob"]


def blob_bytes(server: Any, board: str, blob: str) -> bytes:
    with urllib.request.urlopen(f"{server.url}/api/boards/{board}/blobs/{blob}") as r:
        return r.read()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png")


def pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    """The scene canvas' colour at screen point (x, y)."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
              const c = document.querySelector('canvas.board-scene');
              const d = window.devicePixelRatio || 1;
              const g = c.getContext('2d');
              const p = g.getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data;
              return [p[0], p[1], p[2]];
            }""",
            [x, y],
        )
    )


def close_to(a: tuple[int, int, int], hex_color: str, tol: int = 12) -> bool:
    b = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return all(abs(u - v) <= tol for u, v in zip(a, b, strict=True))


def test_a_note_typed_in_a_shows_its_text_in_b(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    a.keyboard.press("n")
    a.mouse.click(500, 400)
    a.keyboard.type("Hello Bob")
    a.keyboard.press("Escape")
    b.wait_for_function(
        "() => window.__wb.elements().some(e => e.type === 'note' && e.text === 'Hello Bob')",
        timeout=3000,
    )
    [note] = elements(b)
    assert (note["x"], note["y"], note["w"], note["h"]) == (400, 300, 200, 200)
    b.evaluate("window.__wb.nextFrame()")
    assert close_to(pixel(b, 410, 310), note["fill"]), "B paints the note in its colour"
    assert ink_at(b, 500, 400, radius=40), "and its text in the middle"
    shot(b, "note")
    wait_synced(a)
    assert server.elements(board) == [note]


def on_rect_outline(p: tuple[float, float], r: dict[str, Any], tol: float = 0.01) -> bool:
    x0, x1 = sorted((r["x"], r["x"] + r["w"]))
    y0, y1 = sorted((r["y"], r["y"] + r["h"]))
    inside = x0 - tol <= p[0] <= x1 + tol and y0 - tol <= p[1] <= y1 + tol
    edge = min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1))
    return inside and edge <= tol


def on_ellipse_outline(p: tuple[float, float], e: dict[str, Any], tol: float = 1e-6) -> bool:
    rx, ry = abs(e["w"]) / 2, abs(e["h"]) / 2
    cx, cy = e["x"] + e["w"] / 2, e["y"] + e["h"] / 2
    return abs(((p[0] - cx) / rx) ** 2 + ((p[1] - cy) / ry) ** 2 - 1) <= tol


def ends(line: dict[str, Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    return (line["x"], line["y"]), (line["x"] + line["w"], line["y"] + line["h"])


def test_an_arrow_stays_on_both_shapes_while_two_people_move_them_at_once(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    a.keyboard.press("r")
    drag(a, (300, 300), (450, 400))
    a.keyboard.press("o")
    drag(a, (700, 450), (850, 560))
    a.keyboard.press("a")
    drag(a, (375, 350), (775, 505))
    wait_synced(a)
    rect, ellipse, arrow = server.elements(board)
    assert (arrow["type"], arrow["from"], arrow["to"]) == ("arrow", rect["id"], ellipse["id"])
    b.wait_for_function("n => window.__wb.seq() >= n", arg=server.snapshot(board)["seq"])

    # A drags the rect by its left edge while B drags the ellipse by its leftmost point.
    a.keyboard.press("v")
    b.keyboard.press("v")
    a.mouse.move(300, 350)
    b.mouse.move(700, 505)
    a.mouse.down()
    b.mouse.down()
    for i in range(1, 11):
        a.mouse.move(300 - 10 * i, 350 + 15 * i)
        b.mouse.move(700 + 15 * i, 505 - 12 * i)
    a.mouse.up()
    b.mouse.up()

    def settled() -> dict[str, Any] | None:
        """The board once its arrow is stored where it is drawn (the binding keeper)."""
        by_id = {e["id"]: e for e in server.elements(board)}
        r, e, ar = by_id[rect["id"]], by_id[ellipse["id"]], by_id[arrow["id"]]
        if (r["x"], r["y"]) != (200, 450) or (e["x"], e["y"]) != (850, 330):
            return None
        start, end = ends(ar)
        return by_id if on_rect_outline(start, r) and on_ellipse_outline(end, e) else None

    by_id = wait_until(settled, what="the arrow stored on both outlines")
    stored = by_id[arrow["id"]]
    for page in (a, b):
        wait_synced(page, seq=server.snapshot(board)["seq"])
        drawn = page.evaluate("id => window.__wb.drawn(id)", arrow["id"])
        for k in ("x", "y", "w", "h"):
            assert math.isclose(drawn[k], stored[k], abs_tol=1e-6), (k, drawn, stored)
        page.evaluate("window.__wb.nextFrame()")
        # Pixels: the shaft reaches each outline from outside and never enters the shapes.
        (x0, y0), (x1, y1) = ends(drawn)
        length = math.hypot(x1 - x0, y1 - y0)
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        assert ink_at(page, *to_screen(page, x0 + 6 * ux, y0 + 6 * uy), radius=2)
        assert ink_at(page, *to_screen(page, x1 - 6 * ux, y1 - 6 * uy), radius=2)
        assert not ink_at(page, *to_screen(page, x0 - 12 * ux, y0 - 12 * uy), radius=2)
        assert not ink_at(page, *to_screen(page, x1 + 12 * ux, y1 + 12 * uy), radius=2)
        assert page.errors == []  # type: ignore[attr-defined]
    shot(a, "arrow")


def test_copy_on_one_board_and_paste_on_another_tab_shows_in_b(server, board, people):
    ctx_a = people()
    ctx_a.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    a1 = open_board(ctx_a, server, board, "Ada")
    other = board + "-2"
    b = open_board(people(), server, other, "Bob")
    a1.keyboard.press("r")
    drag(a1, (300, 300), (420, 380))
    a1.keyboard.press("n")
    a1.mouse.click(600, 340)
    a1.keyboard.type("copied")
    a1.keyboard.press("Escape")
    a1.keyboard.press("a")
    drag(a1, (360, 340), (600, 340))  # from the rect to the note: attached at both ends
    blob = upload(server, board, png_halves())
    picture = {"id": "pic1", "type": "image", "x": 300, "y": 460, "w": 240, "h": 120, "blob": blob}
    assert a1.evaluate("e => window.__wb.apply([{k: 'add', e}])", picture)
    wait_synced(a1)
    originals = server.elements(board)
    assert [e["type"] for e in originals] == ["rect", "note", "arrow", "image"]
    a1.keyboard.press("Control+a")
    a1.keyboard.press("Control+c")

    a2 = open_board(ctx_a, server, other, "Ada")
    a2.mouse.move(700, 500)
    a2.keyboard.press("Control+v")
    b.wait_for_function("() => window.__wb.elements().length === 4", timeout=5000)
    pasted = elements(b)
    assert [e["type"] for e in pasted] == ["rect", "note", "arrow", "image"]
    assert {e["id"] for e in pasted}.isdisjoint(e["id"] for e in originals)
    rect, note, arrow, image = pasted
    assert (arrow["from"], arrow["to"]) == (rect["id"], note["id"]), "bindings follow the copies"
    assert note["text"] == "copied"
    # The picture was copied to the second board, which serves it now, and B shows it.
    assert image["blob"] == blob
    with urllib.request.urlopen(f"{server.url}/api/boards/{other}/blobs/{blob}") as r:
        assert r.read() == blob_bytes(server, board, blob)
    b.wait_for_function("() => window.__wb.images().ready >= 1", timeout=5000)
    # Centred on the pointer, shapes as they were relative to each other.
    dx = rect["x"] - originals[0]["x"]
    dy = rect["y"] - originals[0]["y"]
    assert (note["x"] - dx, note["y"] - dy) == (originals[1]["x"], originals[1]["y"])
    left = min(rect["x"], note["x"])
    right = max(rect["x"] + rect["w"], note["x"] + note["w"])
    assert abs((left + right) / 2 - 700) < 30
    wait_synced(a2)
    assert server.elements(other) == pasted
    assert server.elements(board) == originals, "the first board is unchanged"
    assert a2.errors == [] and b.errors == []  # type: ignore[attr-defined]
    # One undo removes the whole paste.
    a2.keyboard.press("Control+z")
    b.wait_for_function("() => window.__wb.elements().length === 0", timeout=3000)


def test_a_locked_element_survives_a_marquee_delete(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    a.keyboard.press("r")
    drag(a, (300, 300), (420, 380))
    a.keyboard.press("o")
    drag(a, (500, 300), (620, 380))
    a.keyboard.press("v")
    a.mouse.click(300, 340)  # the rect's left edge
    a.keyboard.press("Control+Shift+l")
    wait_synced(a)
    rect, ellipse = server.elements(board)
    assert rect["locked"] is True and "locked" not in ellipse
    a.keyboard.press("Escape")
    drag(a, (250, 250), (700, 450))  # a marquee around both
    a.keyboard.press("Delete")
    wait_synced(a)
    assert server.elements(board) == [rect]
    b.wait_for_function("() => window.__wb.elements().length === 1")
    assert elements(b) == [rect]
    # A click does not pick it either; the menu's Unlock all does unlock it.
    a.mouse.click(300, 340)
    assert a.evaluate("window.__wb.elements()") == [rect]
    drag(a, (300, 340), (400, 440))
    wait_synced(a)
    assert server.elements(board) == [rect], "a locked element does not move"
    a.locator("[data-action=unlock-all]").click()
    wait_synced(a)
    assert server.elements(board)[0]["locked"] is False


def test_z_order_changes_show_in_both_browsers_and_in_the_svg_export(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    a.locator(".swatch").nth(1).click()  # red
    a.locator(".fill-toggle").click()
    a.keyboard.press("r")
    drag(a, (300, 300), (460, 420))
    a.locator(".swatch").nth(3).click()  # blue
    a.keyboard.press("r")
    drag(a, (380, 360), (540, 480))
    wait_synced(a)
    red, blue = server.elements(board)
    overlap = (420, 390)

    def top_colour(page: Any) -> tuple[int, int, int]:
        page.evaluate("window.__wb.nextFrame()")
        return pixel(page, *overlap)

    b.wait_for_function("() => window.__wb.elements().length === 2")
    assert top_colour(a) == top_colour(b)
    before = top_colour(b)
    # A selects the red one (below) by its left edge and brings it to the front.
    a.keyboard.press("v")
    a.mouse.click(300, 360)
    a.keyboard.press("Control+Shift+BracketRight")
    wait_synced(a)
    seq = server.snapshot(board)["seq"]
    b.wait_for_function("n => window.__wb.seq() >= n", arg=seq)
    assert [e["id"] for e in server.elements(board)] == [blue["id"], red["id"]]
    assert [e["id"] for e in elements(b)] == [blue["id"], red["id"]]
    after = top_colour(b)
    assert after != before and top_colour(a) == after
    svg = server.get_text(f"/api/boards/{board}/export.svg")
    assert svg.index('stroke="#1971c2"') < svg.index('stroke="#e03131"'), "red drawn last"
    # And back: Ctrl+[ sends it one step down, below the blue one again.
    a.keyboard.press("Control+BracketLeft")
    wait_synced(a)
    b.wait_for_function("n => window.__wb.seq() > n", arg=seq)
    assert [e["id"] for e in elements(b)] == [red["id"], blue["id"]]
    assert top_colour(b) == before
    svg = server.get_text(f"/api/boards/{board}/export.svg")
    assert svg.index('stroke="#e03131"') < svg.index('stroke="#1971c2"')


def test_a_browser_that_joined_after_a_delete_stacks_the_undone_element_where_the_server_does(
    server, board, people
):
    a = open_board(people(), server, board, "Ada")
    a.locator(".fill-toggle").click()
    a.keyboard.press("r")
    drag(a, (300, 300), (460, 420))
    a.keyboard.press("r")
    drag(a, (380, 360), (540, 480))
    a.keyboard.press("v")
    a.mouse.click(300, 360)
    a.keyboard.press("Delete")
    wait_synced(a)
    [second] = server.elements(board)
    # B loads the board now: the first rect is gone, and only welcome.gone says where it was.
    b = open_board(people(), server, board, "Bob")
    a.keyboard.press("Control+z")
    wait_synced(a)
    truth = server.elements(board)
    assert [e["id"] for e in truth][1] == second["id"], "the first rect is back below"
    b.wait_for_function("n => window.__wb.seq() >= n", arg=server.snapshot(board)["seq"])
    assert elements(b) == truth
    assert b.evaluate("window.__wb.painted()") == [e["id"] for e in truth]


def by_type(page: Any) -> dict[str, dict[str, Any]]:
    return {e["type"]: e for e in elements(page)}


def test_frames_move_their_content_and_the_list_jumps_to_them(server, board, people):
    a = open_board(people(), server, board, "Ada")
    a.keyboard.press("f")
    drag(a, (300, 200), (700, 500))
    a.keyboard.press("n")
    a.mouse.click(450, 350)
    a.keyboard.press("Escape")
    a.keyboard.press("r")
    drag(a, (800, 300), (900, 400))  # outside the frame
    wait_synced(a)
    frame, note, rect = (by_type(a)[t] for t in ("frame", "note", "rect"))
    assert frame["name"] == "Frame 1" and (frame["w"], frame["h"]) == (400, 300)
    assert a.evaluate("window.__wb.painted()")[0] == frame["id"], "frames are drawn first"
    # Dragging the frame by its name moves the note inside it, not the rect outside.
    a.keyboard.press("v")
    drag(a, (310, 190), (360, 250))
    wait_synced(a)
    moved = by_type(a)
    assert (moved["frame"]["x"], moved["frame"]["y"]) == (350, 260)
    assert (moved["note"]["x"], moved["note"]["y"]) == (note["x"] + 50, note["y"] + 60)
    assert moved["rect"] == rect
    # The frames list shows the whole frame.
    a.evaluate("window.__wb.setViewport(-3000, -3000, 1)")
    a.locator("[data-action=frames]").click()
    a.locator(".frames-list button", has_text="Frame 1").click()
    vp = a.evaluate("window.__wb.viewport()")
    cx = vp["x"] + 600 / vp["zoom"]
    cy = vp["y"] + 400 / vp["zoom"]
    assert abs(cx - 550) < 1 and abs(cy - 410) < 1, vp


def test_snapping_align_and_resizing_a_group(server, board, people):
    a = open_board(people(), server, board, "Ada")
    a.keyboard.press("r")
    drag(a, (300, 300), (400, 380))
    a.keyboard.press("r")
    drag(a, (600, 420), (680, 500))
    wait_synced(a)
    first, second = elements(a)
    a.keyboard.press("v")
    # Dropped 3 px off the first one's top edge, the second snaps onto it...
    drag(a, (600, 460), (640, 343))
    wait_synced(a)
    assert elements(a)[1]["y"] == 300
    # ...unless Alt is held.
    a.keyboard.down("Alt")
    drag(a, (640, 340), (640, 343))
    a.keyboard.up("Alt")
    wait_synced(a)
    assert elements(a)[1]["y"] == 303
    # Both selected: align their left edges, then resize the group from its corner.
    a.keyboard.press("Control+a")
    a.locator("[data-action=align-left]").click()
    wait_synced(a)
    first, second = elements(a)
    assert first["x"] == second["x"] == 300
    box_right = max(first["x"] + first["w"], second["x"] + second["w"])
    box_bottom = max(first["y"] + first["h"], second["y"] + second["h"])
    drag(a, (box_right, box_bottom), (300 + 2 * (box_right - 300), 300 + 2 * (box_bottom - 300)))
    wait_synced(a)
    big1, big2 = elements(a)
    assert (big1["x"], big1["y"], big1["w"], big1["h"]) == (300, 300, 200, 160)
    assert (big2["w"], big2["h"]) == (160, 160)
    assert big2["y"] - 300 == 2 * (second["y"] - 300)
    a.keyboard.press("Control+z")
    wait_synced(a)
    assert elements(a) == [first, second], "one undo step"


def test_a_multi_selection_turns_as_a_group(server, board, people):
    a = open_board(people(), server, board, "Ada")
    a.keyboard.press("r")
    drag(a, (300, 300), (400, 360))
    a.keyboard.press("n")
    a.mouse.click(600, 400)
    a.keyboard.press("Escape")
    wait_synced(a)
    a.keyboard.press("v")
    a.keyboard.press("Control+a")
    rect, note = elements(a)
    # The group's box: 300..700 by 300..500; its turn handle 24 px above the top's middle.
    cx, cy = 500, 400
    a.mouse.move(cx, 300 - 24)
    a.mouse.down()
    a.mouse.move(cx + 60, 300 - 24, steps=3)
    a.mouse.move(cx + 100, cy, steps=3)  # a quarter turn, clockwise
    a.mouse.up()
    wait_synced(a)
    turned_rect, turned_note = elements(a)
    for before, after in ((rect, turned_rect), (note, turned_note)):
        assert math.isclose(after["angle"], math.pi / 2, abs_tol=1e-9)
        mx = before["x"] + before["w"] / 2
        my = before["y"] + before["h"] / 2
        # Its middle turned a quarter about the group's centre: (dx, dy) -> (-dy, dx).
        assert math.isclose(after["x"] + after["w"] / 2, cx - (my - cy), abs_tol=1e-6)
        assert math.isclose(after["y"] + after["h"] / 2, cy + (mx - cx), abs_tol=1e-6)
    assert server.elements(board) == [turned_rect, turned_note]
