"""Two people edit at random for 20 s through the app's own tools, one of them dropping off the
network midway: afterwards both apps hold exactly the server's board.

Besides drawing, moving, restyling, deleting, undo and redo, they add sticky notes, label shapes,
attach arrows to shapes (and then move those shapes), draw frames, lock and unlock, change the
stacking order and copy and paste (PROTOCOL.md 1.1)."""

from __future__ import annotations

import random
import time
from collections import Counter

from conftest import elements, open_board, to_screen, wait_synced
from playwright.sync_api import TimeoutError as PlaywrightTimeout

DURATION_S = 20.0
# Where drawing happens, clear of the floating panels.
X_RANGE = (280, 1100)
Y_RANGE = (130, 720)


def spot(rng: random.Random) -> tuple[float, float]:
    return (rng.uniform(*X_RANGE), rng.uniform(*Y_RANGE))


def clamp(p: tuple[float, float]) -> tuple[float, float]:
    return (min(max(p[0], X_RANGE[0]), X_RANGE[1]), min(max(p[1], Y_RANGE[0]), Y_RANGE[1]))


def grab_point(page, el) -> tuple[float, float] | None:
    """A screen point on the element's ink (where a click selects it); None when it cannot be
    picked (locked) or lies outside the drawing area."""
    if el.get("locked"):
        return None
    if el["type"] in ("pen", "line", "arrow"):
        if el.get("from") or el.get("to"):
            return None  # drawn on its shapes' outlines, not where it is stored
        p = to_screen(page, el["x"], el["y"])
    elif el["type"] == "rect":
        p = to_screen(page, el["x"], el["y"] + el["h"] / 2)
    elif el["type"] == "ellipse":
        p = to_screen(page, el["x"] + el["w"] / 2, el["y"])
    elif el["type"] == "note":
        p = to_screen(page, el["x"] + 8, el["y"] + 8)
    elif el["type"] == "frame":
        p = to_screen(page, el["x"], el["y"] + el["h"] / 2)
    else:
        return None
    inside = X_RANGE[0] <= p[0] <= X_RANGE[1] and Y_RANGE[0] <= p[1] <= Y_RANGE[1]
    return p if inside else None


def centre(page, el) -> tuple[float, float] | None:
    """The screen point in the middle of a shape an arrow can attach to."""
    if el["type"] not in ("rect", "ellipse", "note"):
        return None
    p = to_screen(page, el["x"] + el["w"] / 2, el["y"] + el["h"] / 2)
    inside = X_RANGE[0] <= p[0] <= X_RANGE[1] and Y_RANGE[0] <= p[1] <= Y_RANGE[1]
    return p if inside else None


def act_on_structure(page, rng: random.Random, kind: str) -> str:
    """PROTOCOL.md 1.1: notes, labels, attached arrows, frames, lock, z-order, paste."""
    mouse = page.mouse
    if kind == "note":
        page.keyboard.press("n")
        mouse.click(*spot(rng))
        page.keyboard.type(rng.choice(["todo", "ask Ann", "ship it", ""]))
        page.keyboard.press("Escape")
    elif kind == "frame":
        page.keyboard.press("f")
        a = spot(rng)
        mouse.move(*a)
        mouse.down()
        mouse.move(*clamp((a[0] + rng.uniform(120, 300), a[1] + rng.uniform(100, 200))), steps=3)
        mouse.up()
    elif kind == "bind":
        shapes = [c for e in elements(page) if (c := centre(page, e))]
        if len(shapes) < 2:
            return "nothing"
        a, b = rng.sample(shapes, 2)
        page.keyboard.press(rng.choice("al"))
        mouse.move(*a)
        mouse.down()
        mouse.move(*b, steps=4)
        mouse.up()
    elif kind == "unlock":
        button = page.locator("[data-action=unlock-all]")
        if not button.is_visible():
            return "nothing"
        try:
            button.click(timeout=2000)
        except PlaywrightTimeout:
            return "nothing"  # the other person unlocked everything in the meantime
    else:
        els = [e for e in elements(page) if grab_point(page, e)]
        if kind == "label":
            els = [e for e in els if e["type"] in ("rect", "ellipse")]
        if not els:
            return "nothing"
        p = grab_point(page, rng.choice(els))
        assert p is not None
        page.keyboard.press("v")
        if kind == "label":
            mouse.dblclick(*p)
            page.keyboard.type(rng.choice(["Start", "End", "Decide?"]))
            page.keyboard.press("Escape")
        else:
            mouse.click(*p)
            if kind == "lock":
                page.keyboard.press("Control+Shift+l")
            elif kind == "zorder":
                page.keyboard.press(
                    rng.choice(["Control+", "Control+Shift+"]) + rng.choice(["]", "["])
                )
            elif kind == "paste":
                page.keyboard.press("Control+c")
                mouse.move(*spot(rng))
                page.keyboard.press("Control+v")
        page.keyboard.press("Escape")
    return kind


STRUCTURE = {"note": 2, "label": 1, "bind": 2, "frame": 1, "lock": 1, "unlock": 1}
STRUCTURE |= {"zorder": 1, "paste": 1}
KINDS = {"pen": 4, "shape": 3, "move": 3, "restyle": 2, "delete": 1, "undo": 2, "redo": 1}
KINDS |= STRUCTURE


def act(page, rng: random.Random) -> str:
    kind = rng.choices(list(KINDS), list(KINDS.values()))[0]
    if kind in STRUCTURE:
        return act_on_structure(page, rng, kind)
    mouse = page.mouse
    if kind == "pen":
        page.keyboard.press("p")
        start = spot(rng)
        mouse.move(*start)
        mouse.down()
        for _ in range(rng.randint(3, 8)):
            mouse.move(*clamp((start[0] + rng.uniform(-80, 80), start[1] + rng.uniform(-80, 80))))
        mouse.up()
    elif kind == "shape":
        page.keyboard.press(rng.choice("rola"))
        a = spot(rng)
        mouse.move(*a)
        mouse.down()
        mouse.move(*clamp((a[0] + rng.uniform(20, 150), a[1] + rng.uniform(20, 120))), steps=3)
        mouse.up()
    elif kind in ("move", "restyle", "delete"):
        els = [e for e in elements(page) if grab_point(page, e)]
        if not els:
            return "nothing"
        p = grab_point(page, rng.choice(els))
        assert p is not None
        page.keyboard.press("v")
        if kind == "move":
            mouse.move(*p)
            mouse.down()
            mouse.move(*clamp((p[0] + rng.uniform(-60, 60), p[1] + rng.uniform(-60, 60))), steps=3)
            mouse.up()
        else:
            mouse.click(*p)
            if kind == "restyle":
                page.locator(".swatch").nth(rng.randrange(8)).click()
            else:
                page.keyboard.press("Delete")
        page.keyboard.press("Escape")
    elif kind == "undo":
        page.keyboard.press("Control+z")
    else:
        page.keyboard.press("Control+Shift+z")
    return kind


def test_random_concurrent_edits_converge_to_the_servers_board(server, board, people):
    ctx_a = people()
    ctx_b = people()
    for ctx in (ctx_a, ctx_b):
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    a = open_board(ctx_a, server, board, "Ada")
    b = open_board(ctx_b, server, board, "Bob")
    rng = random.Random(20240601)
    done: list[str] = []
    start = time.monotonic()
    b_offline = False
    while (t := time.monotonic() - start) < DURATION_S:
        if not b_offline and t > 7 and t < 12:
            # B's network goes away: its edits pile up as unsent.
            ctx_b.set_offline(True)
            b.wait_for_function("() => window.__wb.status() !== 'connected'", timeout=5000)
            b_offline = True
        elif b_offline and t >= 12:
            assert b.evaluate("window.__wb.pending()") > 0, "B edited while offline"
            ctx_b.set_offline(False)
            b_offline = False
        done.append(act(a, rng))
        done.append(act(b, rng))

    assert len(done) > 60, f"only {len(done)} actions in {DURATION_S} s"
    for page in (a, b):
        wait_synced(page, timeout=30_000)
    for page in (a, b):
        # Attached lines are written down where they are drawn once the board is quiet.
        page.wait_for_function("() => window.__wb.quiet()", timeout=30_000)
    head = server.snapshot(board)["seq"]
    for page in (a, b):
        wait_synced(page, seq=head, timeout=30_000)
    truth = server.snapshot(board)
    assert truth["seq"] == head, "nothing changed after both apps went quiet"
    assert len(truth["elements"]) > 5
    print(Counter(done), head, "ops")
    for page in (a, b):
        assert page.evaluate("window.__wb.seq()") == head
        assert elements(page) == truth["elements"]
        assert page.evaluate("window.__wb.confirmed()") == truth["elements"]
        assert page.errors == []  # type: ignore[attr-defined]
