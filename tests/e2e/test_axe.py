"""axe-core (the npm package, injected into the page) finds no WCAG 2.2 A/AA violation on the
landing page, a board with every element type, its history panel, the share menu and the
board menu, in light and in dark mode."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, VIEWPORT, drag, open_board, serve_test_app, stroke, wait_synced
from PIL import Image
from playwright.sync_api import Browser, Page

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))",
        TAGS,
    )
    return found


def check(page: Page, what: str) -> None:
    found = violations(page)
    assert found == [], f"{what}:\n" + json.dumps(found, indent=1, ensure_ascii=False)


def every_element_type(page: Page) -> None:
    """A pen stroke, a line, an arrow, a rectangle with a label, an ellipse, a text, a note, a
    frame and a picture: every type the app draws."""
    stroke(page, [(700, 200), (760, 240), (820, 200)])
    for key, a, b in (
        ("l", (360, 200), (460, 260)),
        ("a", (500, 200), (600, 260)),
        ("r", (260, 320), (340, 420)),
        ("o", (380, 320), (500, 420)),
    ):
        page.keyboard.press(key)
        drag(page, a, b)
    page.keyboard.press("t")
    page.mouse.click(560, 360)
    page.locator("textarea.text-editor").wait_for(state="visible")
    page.keyboard.type("Hello")
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.__wb.elements().length === 6")
    # A label in the rectangle (Enter on the selected one), a note and a frame (Enter with
    # their tools adds one in the middle of the view), a picture from the file picker.
    page.keyboard.press("v")
    page.mouse.click(262, 370)
    page.keyboard.press("Enter")
    page.locator("textarea.text-editor").wait_for(state="visible")
    page.keyboard.type("Plan")
    page.keyboard.press("Escape")
    for key in ("n", "f"):
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
    page.wait_for_function("() => window.__wb.elements().length === 8")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(picture, "PNG")
    with page.expect_file_chooser() as chooser:
        page.locator("[data-action=image]").click()
    chooser.value.set_files(
        files=[{"name": "p.png", "mimeType": "image/png", "buffer": picture.getvalue()}]
    )
    page.wait_for_function(
        "() => new Set(window.__wb.elements().map((e) => e.type)).size === 9"
        " && window.__wb.elements().some((e) => e.type === 'rect' && e.text === 'Plan')"
    )
    wait_synced(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(server, board, browser: Browser, test_app: Path, scheme: str):
    # axe's script is injected inline: the page's Content-Security-Policy would refuse it.
    ctx = browser.new_context(viewport=VIEWPORT, color_scheme=scheme, bypass_csp=True)
    serve_test_app(ctx, test_app)
    try:
        landing = ctx.new_page()
        landing.goto(f"{server.url}/")
        landing.get_by_test_id("new-board").wait_for()
        check(landing, "landing page")

        page = open_board(ctx, server, board, "Ada")
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        every_element_type(page)
        page.evaluate("window.__wb.nextFrame()")
        check(page, "board with every element type")

        page.get_by_role("button", name="Share").click()
        page.locator(".share-menu").wait_for(state="visible")
        check(page, "share menu")
        page.keyboard.press("Escape")

        page.get_by_test_id("menu").click()
        check(page, "board menu")
        page.keyboard.press("Escape")

        page.get_by_role("button", name="History").click()
        page.get_by_test_id("history").wait_for(state="visible")
        page.wait_for_function("() => window.__wb.history() && !window.__wb.history().busy")
        check(page, "history panel")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()
