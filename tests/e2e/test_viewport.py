"""Zoom and pan change the view, never where a stroke lands on the board."""

from __future__ import annotations

import math

from conftest import open_board, stroke, wait_synced


def test_after_zooming_and_panning_a_stroke_lands_at_the_expected_board_point(
    server, board, people
):
    a = open_board(people(), server, board)
    # Wheel up at (600, 400): zoom in around that point.
    a.mouse.move(600, 400)
    a.mouse.wheel(0, -300)
    a.wait_for_function("() => window.__wb.viewport().zoom > 1.5")
    z = math.exp(300 * 0.0015)
    x0, y0 = 600 - 600 / z, 400 - 400 / z
    # Space+drag pans by (-100, -50) screen pixels.
    a.keyboard.down("Space")
    stroke(a, [(700, 500), (600, 450)])
    a.keyboard.up("Space")
    x0, y0 = x0 + 100 / z, y0 + 50 / z
    vp = a.evaluate("window.__wb.viewport()")
    assert math.isclose(vp["zoom"], z, rel_tol=1e-9)
    assert math.isclose(vp["x"], x0, abs_tol=1e-6) and math.isclose(vp["y"], y0, abs_tol=1e-6)

    stroke(a, [(500, 300), (560, 330), (620, 300)])
    wait_synced(a)
    [pen] = server.elements(board)
    assert pen["type"] == "pen"
    assert math.isclose(pen["x"], x0 + 500 / z, abs_tol=0.01)
    assert math.isclose(pen["y"], y0 + 300 / z, abs_tol=0.01)
    # One integer step is about one screen pixel at this zoom.
    assert pen.get("ps", 1) == round(z)
    ps = pen.get("ps", 1)
    ends = (sum(pen["pts"][0::2]) / ps, sum(pen["pts"][1::2]) / ps)
    assert math.isclose(ends[0], 120 / z, abs_tol=1 / ps)
    assert math.isclose(ends[1], 0, abs_tol=1 / ps)


def test_zoom_stays_between_10_and_3000_percent(server, board, people):
    a = open_board(people(), server, board)
    level = a.get_by_test_id("zoom-level")
    for _ in range(15):
        a.keyboard.press("-")
    assert level.inner_text() == "10%"
    a.mouse.move(600, 400)
    for _ in range(12):
        a.mouse.wheel(0, -1000)
    a.wait_for_function("() => window.__wb.viewport().zoom === 30")
    assert level.inner_text() == "3000%"
    a.keyboard.press("Shift+0")
    assert level.inner_text() == "100%"
