"""Presenting and teaching: follow someone's view, bring everyone to yours, the laser pointer
(PROTOCOL.md 1.1 "Presence"), in three real browsers."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from conftest import open_board, stroke, to_screen, wait_until
from playwright.sync_api import Page

OVERLAY_JS = """([x, y, r]) => {
  const c = document.querySelector('canvas.board-overlay');
  const d = window.devicePixelRatio || 1;
  const img = c.getContext('2d').getImageData(Math.round((x - r) * d), Math.round((y - r) * d),
                                              Math.round(2 * r * d) + 1, Math.round(2 * r * d) + 1);
  let n = 0;
  for (let i = 3; i < img.data.length; i += 4) if (img.data[i] > 40) n++;
  return n;
}"""


def visible(page: Page) -> list[float]:
    return page.evaluate("window.__wb.visible()")


def wait_same_view(follower: Page, leader: Page, timeout: float = 3.0) -> None:
    """The follower's visible rectangle is the leader's (same window size: exactly, to 0.5)."""

    def same() -> bool:
        want, got = visible(leader), visible(follower)
        return all(abs(a - b) < 0.5 for a, b in zip(want, got, strict=True))

    wait_until(same, timeout, f"the view {visible(leader)}, have {visible(follower)}")


def open_people(page: Page) -> None:
    if page.get_by_test_id("people-list").is_hidden():
        page.locator(".people-button").click()


def follow(page: Page, leader: Page) -> None:
    open_people(page)
    me = leader.evaluate("window.__wb.me()")
    page.get_by_test_id("people-list").locator(f"li[data-peer='{me}']").click()


def test_follow_summon_and_laser(server, board, people) -> None:
    a = open_board(people(), server, board, "Ana")
    b = open_board(people(), server, board, "Bob")
    c = open_board(people(), server, board, "Cy")
    a.evaluate("window.__wb.setViewport(0, 0, 1)")
    b.wait_for_function("() => document.querySelectorAll('[data-peer]').length === 2")

    # B follows A: A pans and zooms, B's view tracks it.
    follow(b, a)
    banner = b.get_by_test_id("follow-banner")
    banner.wait_for(state="visible")
    assert banner.inner_text() == "Following Ana - Esc to stop"
    a.evaluate("window.__wb.setViewport(-300, 150, 1)")
    wait_same_view(b, a)
    a.evaluate("window.__wb.setViewport(-280, 170, 1.5)")
    wait_same_view(b, a)
    assert b.evaluate("window.__wb.following()") == a.evaluate("window.__wb.me()")

    # B pans by itself: following stops, the banner goes.
    b.keyboard.press("Escape")  # closes nothing else: a fresh start for the arrow key
    follow(b, a)
    banner.wait_for(state="visible")
    b.keyboard.press("ArrowLeft")
    banner.wait_for(state="hidden")
    assert b.evaluate("window.__wb.following()") is None
    a.evaluate("window.__wb.setViewport(500, 500, 2)")
    time.sleep(0.3)  # a follower would have moved by now (views go out 10 times a second)
    assert visible(b) != visible(a)

    # A brings everyone to its view.
    open_people(a)
    a.get_by_test_id("summon").click()
    wait_same_view(b, a)
    wait_same_view(c, a)
    c.locator(".toast", has_text="Ana brought everyone").wait_for()

    # A's laser: B sees the trail in A's colour, and it is gone a second and a half later.
    a.keyboard.press("Escape")
    a.keyboard.press("k")
    points = [(400 + 20 * i, 300 + 5 * i) for i in range(10)]
    stroke(a, points)
    drawn = time.monotonic()
    vp = a.evaluate("window.__wb.viewport()")
    # Near the trail's last point, the freshest: on a busy machine the stroke itself can take
    # longer than the fade, and its middle is gone before B is looked at.
    end = (vp["x"] + 575 / vp["zoom"], vp["y"] + 343.75 / vp["zoom"])
    bx, by = to_screen(b, *end)
    b.wait_for_function(f"([x, y, r]) => ({OVERLAY_JS})([x, y, r]) > 0", arg=[bx, by, 4])
    left_ms = max(1, 1500 - (time.monotonic() - drawn) * 1000)
    b.wait_for_function("() => window.__wb.laserPoints() === 0", timeout=left_ms)
    b.evaluate("window.__wb.nextFrame()")
    assert b.evaluate(OVERLAY_JS, [bx, by, 4]) == 0
    # Nothing of it is stored: the log is empty.
    assert server.log_ops(board) == []
    for p in (a, b, c):
        assert p.errors == []  # type: ignore[attr-defined]


def _protected_board(url: str) -> tuple[str, str]:
    req = urllib.request.Request(
        url + "/api/boards", data=json.dumps({"protected": True}).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.load(r)
    return body["board"], body["key"]


def test_a_viewer_follows_but_cannot_point_or_summon(server, people) -> None:
    board, key = _protected_board(server.url)
    a = people().new_page()
    a.add_init_script("localStorage.setItem('wb.name', JSON.stringify('Ana'))")
    a.goto(f"{server.url}/b/{board}#key={key}")
    a.wait_for_function("() => window.__wb && window.__wb.status() === 'connected'")
    v = open_board(people(), server, board, "Vic")
    follow(v, a)
    a.evaluate("window.__wb.setViewport(-100, -50, 0.5)")
    wait_same_view(v, a)

    open_people(v)
    assert v.get_by_test_id("summon").is_hidden()  # a viewer is offered no summon
    v.evaluate("window.__wb.setTool('laser')")
    stroke(v, [(300, 300), (400, 350)])
    v.locator(".toast").first.wait_for()
    assert a.evaluate("window.__wb.laserPoints()") == 0
    assert server.log_ops(board) == []


def test_a_link_with_at_opens_the_replay_at_that_moment(server, board, people) -> None:
    from conftest import drag, wait_connected, wait_synced

    a = open_board(people(), server, board, "Ana")
    a.keyboard.press("r")
    for i in range(3):
        drag(a, (100 + 150 * i, 300), (200 + 150 * i, 400))
    wait_synced(a)
    head = len(server.log_ops(board))

    ctx = people()
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    b = ctx.new_page()
    b.goto(f"{server.url}/b/{board}?at=2")
    wait_connected(b)
    b.wait_for_function(
        "() => { const h = window.__wb.history(); return h && h.seq === 2 && !h.busy; }"
    )
    assert b.evaluate("window.__wb.history().head") == head
    # The history panel copies that link, and offers the PDF of that moment.
    b.get_by_role("button", name="Export…").click()
    assert b.get_by_test_id("export-pdf").get_attribute("href").endswith("/export.pdf?at=2")
    b.get_by_test_id("copy-link").click()
    b.locator(".toast", has_text="Link copied").wait_for()
    assert b.evaluate("navigator.clipboard.readText()") == f"{server.url}/b/{board}?at=2"


def _stylus(cdp: Any, points: list[tuple[float, float]], buttons: int = 1) -> None:
    """A real stylus stroke (Chromium's input pipeline: pointerType "pen", with pressure)."""
    kinds = ["mousePressed"] + ["mouseMoved"] * (len(points) - 2) + ["mouseReleased"]
    for kind, (x, y) in zip(kinds, points, strict=True):
        cdp.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": x, "y": y, "button": "left", "buttons": buttons,
             "clickCount": 1, "pointerType": "pen", "force": 0.6},
        )  # fmt: skip


def _finger(cdp: Any, points: list[tuple[float, float]]) -> None:
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 2) + ["touchEnd"]
    for kind, (x, y) in zip(kinds, points, strict=True):
        touch = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch})


def test_pen_mode_a_stylus_draws_and_a_finger_pans(server, board, people) -> None:
    from conftest import wait_synced

    page = open_board(people(), server, board, "Ana")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    line = [(300.0 + 10 * i, 300.0 + 4 * i) for i in range(12)]

    _stylus(cdp, line)
    wait_synced(page)
    assert [e["type"] for e in page.evaluate("window.__wb.elements()")] == ["pen"]
    assert page.get_by_test_id("pen-mode").get_attribute("aria-pressed") == "true"

    before = page.evaluate("window.__wb.viewport()")
    _finger(cdp, [(600.0, 500.0 + 10 * i) for i in range(10)])  # a palm or a finger: pans
    page.wait_for_function(f"() => window.__wb.viewport().y !== {before['y']}")
    wait_synced(page)
    assert len(page.evaluate("window.__wb.elements()")) == 1

    # The toggle turns pen mode off: a finger draws again.
    page.get_by_test_id("pen-mode").click()
    _finger(cdp, [(700.0 + 8 * i, 200.0) for i in range(10)])
    page.wait_for_function("() => window.__wb.elements().length === 2")


def _pen_events(page: Page, points: list[tuple[float, float]], button: int, buttons: int) -> None:
    """Pointer events of pointerType "pen" as the browser fires them for a stylus (CDP's
    input has no eraser button: its `buttons` stops at bit 16, the eraser end is bit 32)."""
    page.evaluate(
        """([pts, button, buttons]) => {
          const c = document.elementFromPoint(pts[0][0], pts[0][1]);
          const fire = (type, [x, y], b, bs) => c.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, composed: true, pointerId: 1, isPrimary: true,
            pointerType: 'pen', clientX: x, clientY: y, button: b, buttons: bs, pressure: 0.5}));
          fire('pointerdown', pts[0], button, buttons);
          for (const p of pts.slice(1)) fire('pointermove', p, -1, buttons);
          fire('pointerup', pts[pts.length - 1], button, 0);
        }""",
        [points, button, buttons],
    )


def test_the_stylus_eraser_end_erases_whatever_the_tool(server, board, people) -> None:
    from conftest import wait_synced

    page = open_board(people(), server, board, "Ana")
    cdp = page.context.new_cdp_session(page)
    _stylus(cdp, [(300.0 + 10 * i, 300.0) for i in range(12)])
    _stylus(cdp, [(300.0 + 10 * i, 500.0) for i in range(12)])
    wait_synced(page)
    first, second = page.evaluate("window.__wb.elements()")
    assert (first["type"], second["type"]) == ("pen", "pen")

    # The eraser end (button 5, buttons 32) across the first line: it goes, the other stays.
    _pen_events(page, [(360.0, 260.0 + 10 * i) for i in range(9)], button=5, buttons=32)
    page.wait_for_function("() => window.__wb.elements().length === 1")
    wait_synced(page)
    assert [e["id"] for e in page.evaluate("window.__wb.elements()")] == [second["id"]]
    # The tip still draws: the eraser end did not change the tool.
    _pen_events(page, [(300.0 + 10 * i, 650.0) for i in range(12)], button=0, buttons=1)
    page.wait_for_function("() => window.__wb.elements().length === 2")
    assert page.errors == []  # type: ignore[attr-defined]


SLIDES = [("f1", 0, 0, 800, 450, "Intro"), ("f2", 1200, 300, 400, 600, "Method"),
          ("f3", -900, 900, 1600, 500, "Results")]  # fmt: skip


def _shows_slide(page: Page, i: int) -> bool:
    """The frame is centred and as large as the screen allows (24 px clear around it)."""
    _, x, y, w, h, _ = SLIDES[i]
    x0, y0, x1, y1 = visible(page)
    zoom = 1200 / (x1 - x0)
    centred = abs((x0 + x1) / 2 - (x + w / 2)) < 0.5 and abs((y0 + y1) / 2 - (y + h / 2)) < 0.5
    return centred and abs(zoom - min((1200 - 48) / w, (800 - 48) / h)) < 1e-6


def test_presenting_steps_through_the_frames_here_and_in_a_follower(server, board, people) -> None:
    from conftest import wait_synced

    a = open_board(people(), server, board, "Ana")
    b = open_board(people(), server, board, "Bob")
    frames = [{"k": "add", "e": {"id": i, "type": "frame", "x": x, "y": y, "w": w, "h": h,
                                 "name": n}} for i, x, y, w, h, n in SLIDES]  # fmt: skip
    assert a.evaluate("ops => window.__wb.apply(ops)", frames)
    wait_synced(a)
    b.wait_for_function("() => window.__wb.elements().length === 3")
    follow(b, a)
    b.get_by_test_id("follow-banner").wait_for(state="visible")

    assert a.locator(".toolbar.tools").is_visible()
    a.get_by_test_id("menu").click()
    a.get_by_role("button", name="Present", exact=True).click()
    bar, label = a.get_by_test_id("present-bar"), a.get_by_test_id("present-label")
    bar.wait_for(state="visible")
    assert a.locator(".toolbar.tools").is_hidden()  # the slide alone, and its bar
    steps = [(None, 0), ("ArrowRight", 1), ("PageDown", 2), (" ", 2), ("PageUp", 1),
             ("ArrowLeft", 0), ("PageDown", 1)]  # fmt: skip
    for key, i in steps:
        if key is not None:
            a.keyboard.press(key)
        assert label.inner_text() == f"{i + 1} / 3 · {SLIDES[i][5]}"
        assert a.evaluate("window.__wb.presenting()") == {"index": i, "count": 3}
        assert _shows_slide(a, i), (key, visible(a))
        wait_same_view(b, a)
    # The bar's buttons do the same (a phone has no keys), and Esc ends it.
    a.get_by_role("button", name="Next frame").click()
    assert label.inner_text() == "3 / 3 · Results"
    wait_same_view(b, a)
    a.keyboard.press("Escape")
    bar.wait_for(state="hidden")
    assert a.locator(".toolbar.tools").is_visible()
    assert b.evaluate("window.__wb.following()") == a.evaluate("window.__wb.me()")
    for p in (a, b):
        assert p.errors == []  # type: ignore[attr-defined]
