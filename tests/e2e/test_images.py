"""Pictures on the board, as people add them: A pastes a PNG and drops a JPEG, B sees both at
once in the same places, and they stay (server restart, replay, exports)."""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from conftest import (
    ROOT,
    VIEWPORT,
    Server,
    open_board,
    serve_test_app,
    wait_connected,
    wait_synced,
)
from PIL import Image
from playwright.sync_api import Browser, Page
from test_mobile import PORTRAIT, on_screen

RED = (220, 30, 30)
BLUE = (30, 60, 220)
GREEN = (30, 170, 60)


def png_halves(w: int = 240, h: int = 120) -> bytes:
    """Red on the left, blue on the right: a picture that shows if it is placed or turned."""
    im = Image.new("RGB", (w, h), BLUE)
    im.paste(RED, (0, 0, w // 2, h))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def jpeg_green(w: int = 160, h: int = 120) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), GREEN).save(out, "JPEG", quality=95)
    return out.getvalue()


PASTE_JS = """([b64, type, name]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
}"""

DROP_JS = """([b64, type, name, x, y]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  const stage = document.querySelector("[data-testid=board]");
  for (const kind of ["dragenter", "dragover", "drop"]) {
    stage.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, clientX: x, clientY: y,
                                              bubbles: true, cancelable: true }));
  }
}"""

# The colour of the board canvas at a screen point, averaged over a few pixels.
COLOUR_JS = """([x, y]) => {
  const c = document.querySelector('canvas.board-scene');
  const d = window.devicePixelRatio || 1;
  const img = c.getContext('2d').getImageData(Math.round(x * d) - 2, Math.round(y * d) - 2, 5, 5);
  const sum = [0, 0, 0];
  for (let i = 0; i < img.data.length; i += 4) {
    for (let k = 0; k < 3; k++) sum[k] += img.data[i + k];
  }
  return sum.map((v) => Math.round(v / 25));
}"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def near(a: list[int] | tuple[int, ...], b: tuple[int, ...], tol: int = 45) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def wait_colour(
    page: Page, x: float, y: float, rgb: tuple[int, ...], timeout: float = 5000
) -> None:
    page.wait_for_function(
        f"([x, y, want]) => ({COLOUR_JS})([x, y]).every((v, i) => Math.abs(v - want[i]) <= 45)",
        arg=[x, y, list(rgb)],
        timeout=timeout,
    )


def images_of(page: Page) -> list[dict[str, Any]]:
    els: list[dict[str, Any]] = page.evaluate("window.__wb.elements()")
    return [e for e in els if e["type"] == "image"]


def shows_both(page: Page) -> None:
    """The PNG in the middle of the view (it was pasted) and the JPEG where it was dropped."""
    wait_colour(page, 540, 400, RED)
    wait_colour(page, 660, 400, BLUE)
    wait_colour(page, 250, 250, GREEN)


def test_paste_and_drop_reach_the_other_browser_and_stay(
    server: Server, board: str, people: Any, tmp_path: Path
) -> None:
    ana = open_board(people(), server, board, "Ana")
    ben = open_board(people(), server, board, "Ben")

    ana.evaluate(PASTE_JS, [b64(png_halves()), "image/png", "clip.png"])
    ana.wait_for_function("() => window.__wb.elements().length === 1")
    wait_synced(ana)
    pasted = images_of(ana)[0]
    # Centred in the 1200 x 800 view at its own size (less than half the view).
    assert (pasted["x"], pasted["y"], pasted["w"], pasted["h"]) == (480, 340, 240, 120)

    ana.evaluate(DROP_JS, [b64(jpeg_green()), "image/jpeg", "photo.jpg", 250, 250])
    ana.wait_for_function("() => window.__wb.elements().length === 2")
    wait_synced(ana)
    synced = time.monotonic()
    dropped = images_of(ana)[1]
    assert (dropped["x"], dropped["y"]) == (170, 190)

    # Ben sees both within a second, in the same places, pixel for pixel of his canvas.
    shows_both(ben)
    assert time.monotonic() - synced < 1.0
    assert images_of(ben) == images_of(ana)

    # Both survive a restart of the server.
    server.stop()
    server.start()
    wait_connected(ben)
    carl = open_board(people(), server, board, "Carl")
    shows_both(carl)

    # Replay: before the drop only the pasted picture, at the end both.
    ben.keyboard.press("Control+Shift+H")
    ben.get_by_test_id("timeline").wait_for()
    ben.wait_for_function("() => window.__wb.history() && !window.__wb.history().busy")
    ben.keyboard.press("ArrowLeft")
    ben.wait_for_function(
        "() => { const h = window.__wb.history(); return h && !h.busy && h.seq === 1 }"
    )
    wait_colour(ben, 540, 400, RED)
    ben.evaluate("window.__wb.nextFrame()")
    assert not near(ben.evaluate(COLOUR_JS, [250, 250]), GREEN)
    ben.keyboard.press("ArrowRight")
    ben.wait_for_function("() => window.__wb.history().seq === 2")
    shows_both(ben)

    # The PNG export (made in the browser) draws them.
    ben.get_by_role("button", name="Export…").click()
    with ben.expect_download() as download:
        ben.get_by_role("button", name="PNG of the view").click()
    png = Image.open(Path(download.value.path())).convert("RGB")
    scale = png.width / 1200
    assert near(png.getpixel((int(540 * scale), int(400 * scale))), RED)
    assert near(png.getpixel((int(660 * scale), int(400 * scale))), BLUE)
    assert near(png.getpixel((int(250 * scale), int(250 * scale))), GREEN)

    # export.svg embeds both as data: URIs.
    with urllib.request.urlopen(f"{server.url}/api/boards/{board}/export.svg", timeout=10) as r:
        svg = r.read().decode()
    assert svg.count("<image ") == 2
    assert 'href="data:image/png;base64,' in svg and 'href="data:image/jpeg;base64,' in svg
    assert ana.errors == [] and ben.errors == []  # type: ignore[attr-defined]


def test_a_refused_file_is_said_in_words(server: Server, board: str, people: Any) -> None:
    ana = open_board(people(), server, board, "Ana")
    ana.evaluate(PASTE_JS, [b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml",
                            "logo.svg"])  # fmt: skip
    toast = ana.locator(".toast").last
    toast.wait_for()
    assert "“logo.svg” is not a picture the board can show" in toast.inner_text()
    # Cut short: the browser cannot read it either, and says so.
    ana.evaluate(PASTE_JS, [b64(png_halves()[:300]), "image/png", "cut.png"])
    ana.get_by_text("“cut.png” could not be read as a picture").wait_for()
    assert ana.evaluate("window.__wb.elements().length") == 0


def test_a_refusal_is_said_in_the_visitors_language(
    server: Server, board: str, browser: Browser, test_app: Path
) -> None:
    de = json.loads((ROOT / "static/src/i18n/locales/de.json").read_text(encoding="utf-8"))
    ctx = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    serve_test_app(ctx, test_app)
    try:
        page = open_board(ctx, server, board, "Ana")
        button = page.locator(".toolbar.tools [data-action=image]")
        assert button.get_attribute("aria-label") == de["image"]["insert"]
        page.evaluate(PASTE_JS, [b64(b"<svg/>"), "image/svg+xml", "logo.svg"])
        file = de["image"]["file"].replace("{{name}}", "logo.svg")
        page.get_by_text(de["image"]["notPicture"].replace("{{file}}", file)).wait_for()
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()


def rotate_with_handle(page: Page, el: dict[str, Any], degrees: int) -> None:
    """Drags the selected element's rotation handle (24 px above the middle of its top edge)
    round to `degrees`, Shift held so it snaps to the exact angle."""
    import math

    box = el["box"]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    page.mouse.move(cx, box[1] - 24)
    page.mouse.down()
    page.keyboard.down("Shift")
    a = math.radians(degrees)
    for f in (0.3, 0.6, 1.0):
        page.mouse.move(cx + 150 * math.sin(a * f), cy - 150 * math.cos(a * f), steps=3)
    page.mouse.up()
    page.keyboard.up("Shift")


def features(pixels: Any, to_px: Any, region: tuple[float, float, float, float]) -> dict[str, Any]:
    """Where the ink of one element is and which way it runs, read from a rendering: the
    centroids of its red, blue and dark pixels and the main axis of the dark ones (degrees).
    `to_px` maps a board point to the rendering's pixel; `region` is in board units."""
    import math

    found: dict[str, list[tuple[float, float]]] = {"red": [], "blue": [], "dark": []}
    x0, y0, x1, y1 = region
    y = y0
    while y <= y1:
        x = x0
        while x <= x1:
            px, py = to_px(x, y)
            try:
                r, g, b = pixels[int(px), int(py)][:3]
            except IndexError:  # outside this rendering: nothing drawn there
                r, g, b = 255, 255, 255
            if near((r, g, b), RED, 60):
                found["red"].append((x, y))
            elif near((r, g, b), BLUE, 60):
                found["blue"].append((x, y))
            elif r + g + b < 250:
                found["dark"].append((x, y))
            x += 1
        y += 1
    out: dict[str, Any] = {}
    for kind, pts in found.items():
        if len(pts) < 20:
            continue
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        out[kind] = (mx, my)
        if kind == "dark":
            mu20 = sum((p[0] - mx) ** 2 for p in pts)
            mu02 = sum((p[1] - my) ** 2 for p in pts)
            mu11 = sum((p[0] - mx) * (p[1] - my) for p in pts)
            out["axis"] = math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02))
    return out


def test_turned_image_rect_and_text_look_the_same_in_the_app_and_both_exports(
    server: Server, board: str, people: Any
) -> None:
    import re

    ana = open_board(people(), server, board, "Ana")
    # A rectangle, a line of text and a picture, each turned with the select tool's handle.
    ana.keyboard.press("r")
    ana.mouse.move(200, 550)
    ana.mouse.down()
    ana.mouse.move(400, 650, steps=5)
    ana.mouse.up()
    ana.keyboard.press("t")
    ana.mouse.click(850, 200)
    ana.keyboard.type("Turn the page")
    ana.mouse.click(850, 600)  # ends the typing, and does nothing else
    ana.keyboard.press("v")
    ana.evaluate(PASTE_JS, [b64(png_halves()), "image/png", "clip.png"])
    ana.wait_for_function("() => window.__wb.elements().length === 3")
    wait_synced(ana)

    def screen_box(kind: str) -> dict[str, Any]:
        el = next(e for e in ana.evaluate("window.__wb.elements()") if e["type"] == kind)
        if kind == "text":
            w = ana.evaluate(
                "([t, s]) => { const c = document.createElement('canvas').getContext('2d');"
                ' c.font = `${s}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;'
                " return c.measureText(t).width }",
                [el["text"], el["size"]],
            )
            el["box"] = (el["x"], el["y"], el["x"] + w, el["y"] + el["size"] * 1.25)
        else:
            el["box"] = (el["x"], el["y"], el["x"] + el["w"], el["y"] + el["h"])
        return el

    turns = {"image": 60, "rect": 30, "text": -45}
    for kind, degrees in turns.items():
        el = screen_box(kind)
        cx, cy = (el["box"][0] + el["box"][2]) / 2, (el["box"][1] + el["box"][3]) / 2
        ana.keyboard.press("Escape")  # clears the selection
        if kind == "rect":
            ana.mouse.click(el["box"][0], cy)  # an outline is picked on its edge
        else:
            ana.mouse.click(cx, cy)
        rotate_with_handle(ana, el, degrees)
        wait_synced(ana)
    ana.keyboard.press("Escape")
    els = {e["type"]: e for e in ana.evaluate("window.__wb.elements()")}
    for kind, degrees in turns.items():
        assert abs(els[kind]["angle"] - degrees * 3.141592653589793 / 180) < 1e-9, kind
    ana.evaluate("window.__wb.nextFrame()")

    # The app's canvas (1 CSS pixel per board unit, view at the origin).
    assert ana.evaluate("window.__wb.viewport()") == {"x": 0, "y": 0, "zoom": 1}
    app_png = base64.b64decode(
        ana.evaluate("document.querySelector('canvas.board-scene').toDataURL()").split(",")[1]
    )
    # The canvas is transparent where nothing is drawn; the page behind it is white.
    app = Image.alpha_composite(
        Image.new("RGBA", (1200, 800), "white"), Image.open(io.BytesIO(app_png)).convert("RGBA")
    ).convert("RGB")
    # The PNG export of the view, drawn in the browser.
    ana.keyboard.press("Control+Shift+H")
    ana.wait_for_function("() => { const h = window.__wb.history(); return h && !h.busy }")
    ana.evaluate("window.__wb.nextFrame()")
    ana.get_by_role("button", name="Export…").click()
    with ana.expect_download() as download:
        ana.get_by_role("button", name="PNG of the view").click()
    exported = Image.open(Path(download.value.path())).convert("RGB")
    # export.svg, drawn by the browser at one pixel per board unit.
    with urllib.request.urlopen(f"{server.url}/api/boards/{board}/export.svg", timeout=10) as r:
        svg_text = r.read().decode()
    x0, y0, w, h = (float(v) for v in re.search(r'viewBox="([^"]+)"', svg_text)[1].split())  # type: ignore[index]
    viewer = people().new_page()
    viewer.set_viewport_size({"width": int(w) + 1, "height": int(h) + 1})
    viewer.goto(f"{server.url}/api/boards/{board}/export.svg")
    svg = Image.open(io.BytesIO(viewer.screenshot())).convert("RGB")

    renders = {
        "app": (app.load(), lambda x, y: (x, y)),
        "png": (
            exported.load(),
            lambda x, y: (x * exported.width / 1200, y * exported.width / 1200),
        ),
        "svg": (svg.load(), lambda x, y: (x - x0, y - y0)),
    }
    regions = {
        "rect": (180, 495, 420, 705),
        "text": (820, 80, 1050, 320),
        "image": (470, 250, 730, 550),
    }
    for kind, region in regions.items():
        seen = {name: features(px, to_px, region) for name, (px, to_px) in renders.items()}
        ref = seen["app"]
        for name, got in seen.items():
            for key in ref:
                if key == "axis":
                    diff = (got[key] - ref[key] + 90) % 180 - 90
                    assert abs(diff) < 3, (kind, name, key, got, ref)
                else:
                    assert abs(got[key][0] - ref[key][0]) < 3, (kind, name, key, got, ref)
                    assert abs(got[key][1] - ref[key][1]) < 3, (kind, name, key, got, ref)
        if kind != "image":
            # Outline and line of text run along their turned long sides.
            assert abs(ref["axis"] - turns[kind]) < 3, (kind, ref)
    # The picture really is turned 60°: from its red half to its blue half.
    import math

    red, blue = seen["app"]["red"], seen["app"]["blue"]
    assert abs(math.degrees(math.atan2(blue[1] - red[1], blue[0] - red[0])) - 60) < 3


def test_a_picture_resizes_in_proportion_unless_shift_and_undoes(
    server: Server, board: str, people: Any
) -> None:
    ana = open_board(people(), server, board, "Ana")
    ana.evaluate(PASTE_JS, [b64(png_halves()), "image/png", "clip.png"])
    ana.wait_for_function("() => window.__wb.elements().length === 1")
    wait_synced(ana)
    # Placed at 480, 340, 240 x 120, and selected: drag its bottom-right corner.
    ana.mouse.move(720, 460)
    ana.mouse.down()
    ana.mouse.move(820, 480, steps=4)
    ana.mouse.up()
    wait_synced(ana)
    el = images_of(ana)[0]
    assert (el["x"], el["y"]) == (480, 340), "the opposite corner stays"
    assert abs(el["w"] / el["h"] - 2) < 1e-9 and el["w"] == 340
    ana.keyboard.down("Shift")
    ana.mouse.move(820, 510)
    ana.mouse.down()
    ana.mouse.move(900, 700, steps=4)
    ana.mouse.up()
    ana.keyboard.up("Shift")
    wait_synced(ana)
    free = images_of(ana)[0]
    assert (free["w"], free["h"]) == (420, 360), "Shift: free proportions"
    ana.keyboard.press("Control+z")
    ana.keyboard.press("Control+z")
    wait_synced(ana)
    assert {k: images_of(ana)[0][k] for k in "xywh"} == {"x": 480, "y": 340, "w": 240, "h": 120}
    ana.keyboard.press("Delete")
    ana.wait_for_function("() => window.__wb.elements().length === 0")
    ana.keyboard.press("Control+z")
    ana.wait_for_function("() => window.__wb.elements().length === 1")
    wait_colour(ana, 540, 400, RED)


# The screen colour at the middle of each half of the first picture (page pixels).
HALVES_JS = """() => {
  const e = window.__wb.elements().find((x) => x.type === 'image');
  const v = window.__wb.viewport();
  const r = document.querySelector('canvas.board-scene').getBoundingClientRect();
  const y = r.top + (e.y + e.h / 2 - v.y) * v.zoom;
  const x = (f) => r.left + (e.x + e.w * f - v.x) * v.zoom;
  return [[x(0.25), y], [x(0.75), y]];
}"""


def test_on_a_phone_the_tools_bar_inserts_a_picture_that_keeps_its_colours_on_a_dark_board(
    server: Server, board: str, browser: Browser, test_app: Path
) -> None:
    # Red and a light yellow: dark ink would turn the yellow dark (render/ink.ts); a picture
    # must show as it is.
    light = (250, 235, 120)
    im = Image.new("RGB", (240, 120), light)
    im.paste(RED, (0, 0, 120, 120))
    out = io.BytesIO()
    im.save(out, "PNG")
    ctx = browser.new_context(
        viewport=PORTRAIT,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        color_scheme="dark",
    )
    serve_test_app(ctx, test_app)
    try:
        page = open_board(ctx, server, board, "Ana")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        # In the tools bar (the bottom bar on a phone), on screen and big enough to tap.
        assert page.locator(".toolbar.tools [data-action=image]").count() == 1
        on_screen(page, ".toolbar.tools [data-action=image]")
        with page.expect_file_chooser() as chooser:
            page.locator(".toolbar.tools [data-action=image]").tap()
        chooser.value.set_files(
            files=[{"name": "halves.png", "mimeType": "image/png", "buffer": out.getvalue()}]
        )
        page.wait_for_function("() => window.__wb.elements().some((e) => e.type === 'image')")
        wait_synced(page)
        (rx, ry), (lx, ly) = page.evaluate(HALVES_JS)
        wait_colour(page, rx, ry, RED)
        wait_colour(page, lx, ly, light)
        # The element list beside the canvas names it for a screen reader.
        page.wait_for_function(
            "() => [...document.querySelector('[data-testid=elements]').shadowRoot"
            ".querySelectorAll('button')].some((b) => b.textContent === 'Image, by you')"
        )
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()
