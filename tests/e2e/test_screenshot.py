"""The picture in the README: two people drawing on one board, taken from one of them.

A test run writes the picture to a temporary folder, so tests leave the tree as they found it;
`make screenshot` sets WHITEBOARD_SCREENSHOT to refresh docs/screenshot.png on purpose.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from conftest import drag, open_board, stroke, wait_synced


def pick(page, tool: str, color: int, fill: bool = False) -> None:
    page.keyboard.press(tool)
    page.locator(".swatch").nth(color).click()
    pressed = page.locator(".fill-toggle").get_attribute("aria-pressed") == "true"
    if pressed != fill:
        page.locator(".fill-toggle").click()


def write(page, x: float, y: float, text: str) -> None:
    page.keyboard.press("t")
    page.mouse.click(x, y)
    page.locator("textarea.text-editor").wait_for(state="visible")
    page.keyboard.type(text)
    page.keyboard.press("Escape")


def test_screenshot_of_two_people_drawing(server, board, people, tmp_path):
    out = Path(os.environ.get("WHITEBOARD_SCREENSHOT") or tmp_path / "screenshot.png")
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")

    # Ada sketches a plan.
    pick(a, "r", 3, fill=True)
    drag(a, (330, 250), (560, 390))
    pick(a, "o", 2, fill=True)
    drag(a, (700, 240), (900, 380))
    pick(a, "a", 0)
    drag(a, (570, 320), (690, 310))
    write(a, 380, 320, "Ideas")
    write(a, 735, 310, "Ship it")

    # Bob circles it and underlines, live.
    pick(b, "p", 1)
    ring = [
        (600 + 360 * math.cos(t / 20 * math.pi), 320 + 150 * math.sin(t / 20 * math.pi))
        for t in range(0, 41)
    ]
    stroke(b, ring, steps=2)
    pick(b, "p", 5)
    stroke(b, [(350, 560), (450, 548), (560, 566), (700, 552), (860, 560)], steps=6)
    write(b, 420, 620, "Let's do this on Friday")
    pick(b, "v", 0)
    wait_synced(b)
    wait_synced(a)
    a.wait_for_function("() => window.__wb.elements().length === 8")

    # Bob's pointer rests near his note, so Ada sees his cursor and name.
    b.mouse.move(760, 650)
    b.mouse.move(780, 660)
    a.locator(".cursor:not([hidden])").wait_for(state="visible", timeout=2000)
    a.mouse.move(600, 720)
    a.evaluate("window.__wb.nextFrame()")
    out.parent.mkdir(parents=True, exist_ok=True)
    a.screenshot(path=str(out))
    assert out.stat().st_size > 10_000
