"""export.svg and the PNG export of a board with every structure element match the app's canvas.

The three pictures are compared pixel by pixel over the same board area: the canvas as the
board shows it (at 100 %, composited on white), the PNG export of that area, and the server's
export.svg drawn by the browser at one pixel per board unit. Text is drawn by the same font in
all three, but anti-aliasing may differ at its edges, hence a small tolerance; a shift of a few
pixels (checked below) is far outside it.
"""

from __future__ import annotations

from typing import Any

from conftest import open_board, wait_synced

K = "#1e1e1e"
BOX = {"minX": 40, "minY": 60, "maxX": 1060, "maxY": 700}
ELEMENTS: list[dict[str, Any]] = [
    {"id": "f1", "type": "frame", "x": 60, "y": 100, "w": 560, "h": 420, "name": "Sprint plan"},
    {"id": "f2", "type": "frame", "x": 680, "y": 100, "w": 360, "h": 300, "name": "Notes", "z": 50},
    {"id": "n1", "type": "note", "x": 100, "y": 140, "w": 180, "h": 160, "fill": "#ffec99",
     "stroke": K, "text": "Ship the release on Friday"},
    {"id": "n2", "type": "note", "x": 720, "y": 140, "w": 140, "h": 140, "fill": "#a5d8ff",
     "stroke": "#1971c2", "text": "Ask Ann", "size": 24, "locked": True},
    {"id": "r1", "type": "rect", "x": 340, "y": 160, "w": 220, "h": 90, "stroke": "#e03131",
     "width": 2, "fill": "#e0313133", "text": "Review the budget with finance"},
    {"id": "e1", "type": "ellipse", "x": 340, "y": 360, "w": 220, "h": 120, "stroke": "#2f9e44",
     "width": 4, "text": "Decide", "size": 28},
    {"id": "a1", "type": "arrow", "x": 0, "y": 0, "w": 10, "h": 10, "stroke": K, "width": 2,
     "from": "r1", "to": "e1"},
    {"id": "l1", "type": "line", "x": 900, "y": 600, "w": -300, "h": 40, "stroke": "#9c36b5",
     "width": 3, "from": "n2"},
    {"id": "a2", "type": "arrow", "x": 190, "y": 560, "w": 500, "h": 80, "stroke": K, "width": 2,
     "to": "n1"},
    {"id": "r2", "type": "rect", "x": 900, "y": 420, "w": 120, "h": 100, "stroke": K, "width": 2,
     "fill": "#ffd8a8", "z": 2},
]  # fmt: skip

COMPARE_JS = """async ([box, svgText, pngUrl]) => {
  const w = box.maxX - box.minX, h = box.maxY - box.minY;
  const scene = document.querySelector('canvas.board-scene');
  const d = window.devicePixelRatio || 1;
  const vp = window.__wb.viewport();
  const shown = scene.getContext('2d').getImageData(
    Math.round((box.minX - vp.x) * vp.zoom * d), Math.round((box.minY - vp.y) * vp.zoom * d), w, h);
  // The canvas is transparent where nothing is drawn: the page under it is white.
  const onWhite = (img) => {
    const out = new Uint8ClampedArray(img.data.length);
    for (let i = 0; i < img.data.length; i += 4) {
      const a = img.data[i + 3] / 255;
      for (let c = 0; c < 3; c++) out[i + c] = img.data[i + c] * a + 255 * (1 - a);
      out[i + 3] = 255;
    }
    return out;
  };
  const load = (url) => new Promise((ok, fail) => {
    const img = new Image(); img.onload = () => ok(img); img.onerror = fail; img.src = url;
  });
  const draw = async (url, x, y, dw, dh) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
    g.drawImage(await load(url), x, y, dw, dh);
    return g.getImageData(0, 0, w, h).data;
  };
  const vb = svgText.match(/viewBox="([^"]+)"/)[1].split(' ').map(Number);
  const svgUrl = URL.createObjectURL(new Blob([svgText], {type: 'image/svg+xml'}));
  const svg = await draw(svgUrl, vb[0] - box.minX, vb[1] - box.minY, vb[2], vb[3]);
  const svgShifted = await draw(svgUrl, vb[0] - box.minX + 4, vb[1] - box.minY + 3, vb[2], vb[3]);
  const png = await draw(pngUrl, 0, 0, w, h);
  const canvas = onWhite(shown);
  const differ = (a, b) => {
    let n = 0;
    for (let i = 0; i < a.length; i += 4) {
      const m = Math.max(
        Math.abs(a[i] - b[i]), Math.abs(a[i+1] - b[i+1]), Math.abs(a[i+2] - b[i+2]));
      if (m > 60) n++;
    }
    return n / (w * h);
  };
  let ink = 0;
  for (let i = 0; i < canvas.length; i += 4)
    if (Math.min(canvas[i], canvas[i+1], canvas[i+2]) < 225) ink++;
  return {ink: ink / (w * h), svg: differ(canvas, svg), png: differ(canvas, png),
          shifted: differ(canvas, svgShifted), svgPng: differ(svg, png)};
}"""


def test_svg_and_png_exports_match_the_canvas(server, board, people):
    page = open_board(people(), server, board, "Ada")
    ops = [{"k": "add", "e": e} for e in ELEMENTS]
    assert page.evaluate("ops => window.__wb.apply(ops)", ops)
    wait_synced(page)
    page.evaluate("window.__wb.setViewport(0, 0, 1)")
    page.evaluate("window.__wb.nextFrame()")
    svg = server.get_text(f"/api/boards/{board}/export.svg")
    png = page.evaluate("b => window.__wb.exportPng(b.minX, b.minY, b.maxX, b.maxY, 1)", BOX)
    got = page.evaluate(COMPARE_JS, [BOX, svg, png])
    print(got)
    assert got["ink"] > 0.1, "the board is mostly drawn on (frames, notes, shapes)"
    assert got["png"] < 0.001, got
    assert got["svg"] < 0.004, got
    assert got["shifted"] > 5 * max(got["svg"], 0.004), "a few pixels off would be seen"
    assert page.errors == []  # type: ignore[attr-defined]
