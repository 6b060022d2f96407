"""The cached scene (static/src/render/scene-cache.ts) is painted again where another user's
edit lands: what Ada sees changes with Bob's add, move and delete, though her pans only shift
the cached picture and her frames paint pieces of it, never the whole."""

from __future__ import annotations

from typing import Any

from conftest import open_board, to_screen, wait_ink, wait_synced
from playwright.sync_api import Page

RECT = {"id": "r1", "type": "rect", "x": 300, "y": 200, "w": 120, "h": 80, "stroke": "#1e1e1e",
        "width": 4}  # fmt: skip


def full_repaints(page: Page) -> int:
    return int(page.evaluate("window.__wb.frameStats().fullRepaints"))


def left_edge(page: Page, x: float) -> tuple[float, float]:
    """The middle of the rect's left edge when it starts at board x, on Ada's screen."""
    return to_screen(page, x, RECT["y"] + RECT["h"] / 2)  # type: ignore[operator]


def test_another_users_edits_repaint_the_cached_scene_where_they_land(
    server: Any, board: str, people: Any
) -> None:
    ada = open_board(people(), server, board, "Ada")
    bob = open_board(people(), server, board, "Bob")
    # A neighbour under the rect's lower edge: the pieces painted again when the rect moves
    # away must paint it again too, not leave a hole.
    neighbour = {**RECT, "id": "n1", "type": "ellipse", "y": 260}
    assert bob.evaluate("e => window.__wb.apply([{k: 'add', e}])", neighbour)
    wait_synced(bob)
    wait_synced(ada, seq=bob.evaluate("window.__wb.seq()"))

    # Ada pans by whole pixels a few times: the cache shifts instead of painting everything.
    ada.evaluate("window.__wb.setViewport(-40, -30, 1)")
    ada.evaluate("window.__wb.nextFrame()")
    before = full_repaints(ada)
    for i in range(1, 6):
        ada.evaluate(f"window.__wb.setViewport({-40 + 3 * i}, {-30 + 2 * i}, 1)")
        ada.evaluate("window.__wb.nextFrame()")
    assert full_repaints(ada) == before, "a pan by whole pixels shifts the cached picture"
    top_of_neighbour = to_screen(ada, 360, 260)
    wait_ink(ada, *top_of_neighbour)

    # Bob adds a rect where Ada looks: her canvas shows it.
    edge = left_edge(ada, 300)
    wait_ink(ada, *edge, present=False)
    assert bob.evaluate("e => window.__wb.apply([{k: 'add', e}])", RECT)
    wait_ink(ada, *edge)

    # Bob moves it: it leaves its old place on Ada's canvas and appears at the new one; the
    # neighbour it was over is still whole.
    assert bob.evaluate("() => window.__wb.apply([{k: 'update', id: 'r1', set: {x: 600}}])")
    moved = left_edge(ada, 600)
    wait_ink(ada, *moved)
    wait_ink(ada, *edge, present=False)
    wait_ink(ada, *top_of_neighbour)

    # Bob deletes it: gone from Ada's canvas.
    assert bob.evaluate("() => window.__wb.apply([{k: 'delete', ids: ['r1']}])")
    wait_ink(ada, *moved, present=False)
    assert full_repaints(ada) == before, "each edit painted only its own pieces"
    assert ada.errors == [] and bob.errors == []  # type: ignore[attr-defined]
