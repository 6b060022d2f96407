"""The editing tools, used as a person would: eraser, marquee, delete, duplicate, restyle."""

from __future__ import annotations

from conftest import drag, elements, open_board, stroke, wait_synced


def test_eraser_removes_everything_it_touches_in_one_undoable_step(server, board, people):
    a = open_board(people(), server, board)
    stroke(a, [(300, 200), (500, 210)])
    stroke(a, [(300, 300), (500, 310)])
    stroke(a, [(300, 400), (500, 410)])
    a.keyboard.press("e")
    stroke(a, [(400, 150), (400, 350)])  # crosses the first two
    wait_synced(a)
    assert [round(e["y"]) for e in server.elements(board)] == [400]
    a.keyboard.press("Control+z")
    wait_synced(a)
    assert len(server.elements(board)) == 3


def test_marquee_selects_then_duplicate_restyle_and_delete_apply_to_the_selection(
    server, board, people
):
    a = open_board(people(), server, board)
    a.keyboard.press("r")
    drag(a, (300, 200), (380, 260))
    a.keyboard.press("o")
    drag(a, (420, 200), (500, 260))
    a.keyboard.press("l")
    drag(a, (700, 500), (800, 520))  # outside the marquee
    a.keyboard.press("v")
    drag(a, (280, 180), (520, 280))  # marquee around rect and ellipse
    a.keyboard.press("Control+d")
    wait_synced(a)
    els = elements(a)
    assert [e["type"] for e in els] == ["rect", "ellipse", "line", "rect", "ellipse"]
    assert (els[3]["x"], els[3]["y"]) == (els[0]["x"] + 16, els[0]["y"] + 16)

    # The copies are now the selection: a colour click restyles them only.
    a.get_by_role("button", name="Colour #e03131").click()
    a.get_by_role("button", name="Thick stroke").click()
    wait_synced(a)
    styles = [(e["stroke"], e["width"]) for e in server.elements(board)]
    assert styles == [("#1e1e1e", 4)] * 3 + [("#e03131", 8)] * 2

    a.keyboard.press("Delete")
    wait_synced(a)
    assert [e["type"] for e in server.elements(board)] == ["rect", "ellipse", "line"]


def test_resize_handle_changes_a_rect_and_fill_toggles(server, board, people):
    a = open_board(people(), server, board)
    a.get_by_role("button", name="Fill shapes").click()
    a.keyboard.press("r")
    drag(a, (300, 200), (400, 300))
    a.keyboard.press("v")
    a.mouse.click(350, 250)  # inside: filled shapes are hit anywhere
    drag(a, (400, 300), (450, 380))  # bottom-right handle
    wait_synced(a)
    [rect] = server.elements(board)
    assert (rect["x"], rect["y"], rect["w"], rect["h"]) == (300, 200, 150, 180)
    assert rect["fill"] == "#1e1e1e33"
    a.get_by_role("button", name="Fill shapes").click()
    wait_synced(a)
    assert "fill" not in server.elements(board)[0]
