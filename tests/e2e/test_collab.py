"""Two people on one board see each other's work as it happens."""

from __future__ import annotations

import time

from conftest import (
    drag,
    elements,
    ink_at,
    open_board,
    stroke,
    to_screen,
    wait_ink,
    wait_synced,
)


def test_a_stroke_in_a_shows_in_b_at_the_same_board_position_within_a_second(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    # B looks at another part of the board: the stroke must land at the same *board* point.
    b.evaluate("window.__wb.setViewport(-150, -80, 1)")
    b.evaluate("window.__wb.nextFrame()")

    points = [(300 + 12 * i, 300 + 6 * i) for i in range(15)]
    stroke(a, points)
    started = time.monotonic()
    # The middle of the stroke, in board units (A's viewport is at the origin, 100 %).
    bx, by = to_screen(b, 300 + 12 * 7, 300 + 6 * 7)
    wait_ink(b, bx, by, timeout=1000)
    assert time.monotonic() - started < 1.0
    assert not ink_at(b, 300 + 12 * 7, 300 + 6 * 7 - 40), "ink only where it was drawn"

    wait_synced(a)
    [pen] = server.elements(board)
    assert pen["type"] == "pen"
    assert abs(pen["x"] - 300) < 1 and abs(pen["y"] - 300) < 1
    assert a.errors == [] and b.errors == []  # type: ignore[attr-defined]


def test_a_rect_drawn_in_b_appears_in_a_and_moves_when_b_moves_it(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")

    b.keyboard.press("r")
    drag(b, (400, 300), (560, 420))
    a.wait_for_function(
        "() => window.__wb.elements().some(e => e.type === 'rect' && e.w === 160 && e.h === 120)",
        timeout=2000,
    )
    [rect] = elements(a)
    assert (rect["x"], rect["y"], rect["w"], rect["h"]) == (400, 300, 160, 120)
    wait_ink(a, 400, 360)  # its left edge

    # B selects the rect by its edge and drags it 100 right, 50 down.
    b.keyboard.press("v")
    drag(b, (400, 360), (500, 410))
    a.wait_for_function(
        "() => window.__wb.elements().some(e => e.type === 'rect' && e.x === 500 && e.y === 350)",
        timeout=2000,
    )
    wait_ink(a, 500, 410)
    wait_ink(a, 400, 360, present=False)
    wait_synced(b)
    [moved] = server.elements(board)
    assert (moved["x"], moved["y"], moved["w"], moved["h"]) == (500, 350, 160, 120)
