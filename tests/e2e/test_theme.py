"""Dark mode: follows the device, can be switched and is remembered; on a dark board black ink
shows light, while an exported PNG keeps the colours as drawn."""

from __future__ import annotations

import base64
from pathlib import Path

from conftest import VIEWPORT, open_board, serve_test_app, stroke, wait_synced

# The colour of one canvas pixel (CSS px), as [r, g, b, a].
PIXEL_JS = """([x, y]) => {
  const c = document.querySelector('canvas.board-scene');
  const d = window.devicePixelRatio || 1;
  return [...c.getContext('2d').getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data];
}"""

# The lightest and darkest pixels of a PNG given as a data: URL, as r+g+b sums.
PNG_RANGE_JS = """async (url) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let min = 765, max = 0;
  for (let i = 0; i < data.length; i += 4) {
    const s = data[i] + data[i + 1] + data[i + 2];
    if (s < min) min = s;
    if (s > max) max = s;
  }
  return [min, max];
}"""


def test_dark_board_follows_the_device_turns_ink_and_exports_true_colours(
    server, board, browser, test_app
):
    ctx = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
    serve_test_app(ctx, test_app)
    try:
        page = open_board(ctx, server, board, "Ada")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(18, 18, 18)"

        # Black ink (the first colour) on the dark board shows light.
        stroke(page, [(400, 300), (500, 330), (600, 300)])
        wait_synced(page)
        el = page.evaluate("window.__wb.elements()[0]")
        assert el["stroke"] == "#1e1e1e", "the model keeps the colour as drawn"
        page.evaluate("window.__wb.nextFrame()")
        r, g, b, a = page.evaluate(PIXEL_JS, [400, 300])
        assert a > 128 and r + g + b > 500, (r, g, b, a)

        # The PNG export has true colours: black ink on white.
        page.get_by_role("button", name="History").click()
        page.get_by_role("button", name="Export…").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="PNG of the whole board").click()
        png = Path(download.value.path()).read_bytes()
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        darkest, lightest = page.evaluate(PNG_RANGE_JS, url)
        assert darkest < 3 * 0x30 and lightest == 765
        page.keyboard.press("Escape")

        # Switched to light in the menu: remembered over a reload, and ink is dark again.
        page.get_by_test_id("menu").click()
        page.get_by_test_id("theme").select_option("light")
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        page.reload()
        page.wait_for_function("() => window.__wb && window.__wb.status() === 'connected'")
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        page.evaluate("window.__wb.nextFrame()")
        r, g, b, a = page.evaluate(PIXEL_JS, [400, 300])
        assert a > 128 and r + g + b < 150, (r, g, b, a)
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()
