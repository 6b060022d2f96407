"""Phones: at 390 x 844 with touch (Playwright's mobile emulation), upright and on its side,
every tool bar action is on screen, at least 44 px, and works: draw with a finger, undo, redo,
history, share, styles.

Screenshots of both layouts go to a temporary folder, or to WHITEBOARD_SCREENS when set.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import open_board, serve_test_app, wait_synced
from playwright.sync_api import Browser, BrowserContext, Page

PORTRAIT = {"width": 390, "height": 844}
LANDSCAPE = {"width": 844, "height": 390}


def phone_context(browser: Browser, test_app: Path, viewport: dict[str, int]) -> BrowserContext:
    ctx = browser.new_context(
        viewport=viewport,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        permissions=["clipboard-read", "clipboard-write"],
    )
    serve_test_app(ctx, test_app)
    return ctx


@pytest.fixture(params=[PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def phone(request: Any, browser: Browser, test_app: Path) -> Iterator[BrowserContext]:
    ctx = phone_context(browser, test_app, request.param)
    yield ctx
    ctx.close()


def touch_stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """A finger drawn through screen points (Chromium's touch input, through CDP)."""
    cdp = page.context.new_cdp_session(page)
    clock = [time.time()]

    def send(kind: str, x: float | None = None, y: float | None = None) -> None:
        # Events 16 ms apart, as a finger at 60 Hz: with no times at all, Chromium sees
        # infinite speed, takes the lift for a fling and swallows the next tap that stops it.
        clock[0] += 0.016
        pts = [] if x is None else [{"x": x, "y": y, "id": 1}]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": pts, "timestamp": clock[0]}
        )

    send("touchStart", *points[0])
    for a, b in itertools.pairwise(points):
        for i in range(1, 5):
            send("touchMove", a[0] + (b[0] - a[0]) * i / 4, a[1] + (b[1] - a[1]) * i / 4)
    for _ in range(6):  # the finger rests before it lifts, as a drawing hand does
        send("touchMove", *points[-1])
    send("touchEnd")
    cdp.detach()


def on_screen(page: Page, selector: str) -> dict[str, float]:
    """The element's box, after scrolling it into view within its bar; fails if it is off
    screen or smaller than a 44 px touch target."""
    el = page.locator(selector)
    el.scroll_into_view_if_needed()
    box = el.bounding_box()
    vp = page.viewport_size
    assert box is not None and vp is not None, selector
    assert box["width"] >= 44 and box["height"] >= 44, (selector, box)
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= vp["width"] + 0.5, (selector, box)
    assert box["y"] + box["height"] <= vp["height"] + 0.5, (selector, box)
    return box


def tap(page: Page, selector: str) -> None:
    box = on_screen(page, selector)
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_every_toolbar_action_is_on_screen_and_works_by_touch(server, board, phone, tmp_path):
    page = open_board(phone, server, board, "Ada")
    vp = page.viewport_size
    assert vp is not None
    # Nothing overflows sideways, and the page itself neither zooms nor bounces on the board.
    assert page.evaluate("document.documentElement.scrollWidth") <= vp["width"]
    assert page.evaluate("getComputedStyle(document.querySelector('.stage')).touchAction") == (
        "none"
    )
    assert page.evaluate("getComputedStyle(document.body).overscrollBehaviorY") == "none"

    tools = page.locator(".toolbar.tools button")
    assert tools.count() >= 10
    for i in range(tools.count()):
        on_screen(page, f".toolbar.tools button >> nth={i}")
    for action in ("undo", "redo", "history"):
        on_screen(page, f'[data-action="{action}"]')
    on_screen(page, "[data-testid=menu]")

    # Draw with a finger.
    tap(page, '[data-tool="pen"]')
    cx, cy = vp["width"] / 2, vp["height"] / 2
    touch_stroke(page, [(cx - 80, cy - 30), (cx, cy + 20), (cx + 80, cy - 30)])
    page.wait_for_function("() => window.__wb.elements().length === 1")
    wait_synced(page)
    assert server.elements(board)[0]["type"] == "pen"

    # Undo and redo.
    tap(page, '[data-action="undo"]')
    page.wait_for_function("() => window.__wb.elements().length === 0")
    tap(page, '[data-action="redo"]')
    page.wait_for_function("() => window.__wb.elements().length === 1")

    # The style sheet opens from the bar, and a colour applies to what is drawn next.
    tap(page, '[data-action="style"]')
    tap(page, '.swatch[data-color="#e03131"]')
    tap(page, '[data-action="style"]')
    assert not page.locator(".style").is_visible()
    tap(page, '[data-tool="rect"]')
    touch_stroke(page, [(cx - 60, cy + 60), (cx + 40, cy + 120)])
    page.wait_for_function("() => window.__wb.elements().length === 2")
    assert page.evaluate("window.__wb.elements()[1].stroke") == "#e03131"

    shots = Path(os.environ.get("WHITEBOARD_SCREENS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    name = "portrait" if vp["height"] > vp["width"] else "landscape"
    page.screenshot(path=str(shots / f"phone-{name}.png"))

    # History: opens, its controls fit the screen, and goes back to live.
    tap(page, '[data-action="history"]')
    history = page.get_by_test_id("history")
    history.wait_for(state="visible")
    page.wait_for_function("() => window.__wb.history() && !window.__wb.history().busy")
    for sel in (
        "[data-testid=history-play]",
        "[data-testid=timeline]",
        "[data-testid=back-to-live]",
    ):
        box = history.locator(sel).bounding_box()
        assert box is not None and box["height"] >= 44, sel
    hb = history.bounding_box()
    assert hb is not None and hb["x"] >= 0 and hb["x"] + hb["width"] <= vp["width"]
    page.screenshot(path=str(shots / f"phone-{name}-history.png"))
    tap(page, "[data-testid=back-to-live]")
    page.wait_for_function("() => window.__wb.history() === null")

    # Share: in the menu on a phone.
    tap(page, "[data-testid=menu]")
    tap(page, ".menu-panel .share-button")
    tap(page, ".menu-panel .share-menu button")
    page.locator(".toast", has_text="copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{server.url}/b/{board}"
    assert page.errors == []  # type: ignore[attr-defined]


def test_presenting_on_a_phone_with_taps(server, board, browser, test_app) -> None:
    """A teacher with only a phone: Present from the menu, tap through the frames, each one
    fitted to the small screen, the bar's buttons big enough for a finger."""
    ctx = phone_context(browser, test_app, PORTRAIT)
    try:
        page = open_board(ctx, server, board, "Ana")
        frames = [{"k": "add", "e": {"id": f"f{i}", "type": "frame", "x": 900 * i, "y": 0,
                                     "w": 800, "h": 450, "name": f"Slide {i + 1}"}}
                  for i in range(3)]  # fmt: skip
        assert page.evaluate("ops => window.__wb.apply(ops)", frames)
        wait_synced(page)
        page.get_by_test_id("menu").tap()
        page.get_by_role("button", name="Present", exact=True).tap()
        label = page.get_by_test_id("present-label")
        label.wait_for()
        for i in range(3):
            assert label.inner_text() == f"{i + 1} / 3 · Slide {i + 1}"
            x0, _, x1, _ = page.evaluate("window.__wb.visible()")
            # The frame's width fills the screen's, less 24 px each side.
            assert abs((x1 - x0) - 800 * 390 / (390 - 48)) < 0.5
            assert abs((x0 + x1) / 2 - (900 * i + 400)) < 0.5
            if i < 2:
                on_screen(page, ".present-next")
                page.locator(".present-next").tap()
        on_screen(page, ".present-stop")
        page.locator(".present-stop").tap()
        page.get_by_test_id("present-bar").wait_for(state="hidden")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()
