"""Frame times of the drawing app on a board of 10,000 pen strokes, in Chromium.

Starts the server on a temporary data folder, fills a board with 10,000 random pen strokes
through the WebSocket (as clients drawing would), opens it in Debian's Chromium, then pans and
zooms for a few hundred frames while reading the app's own paint timings. Prints one line per
scenario: paint time per frame (median, 95th percentile, max, in ms) and the frame rate the
browser achieved.

    .venv/bin/python bench/frames.py [--strokes 10000] [--frames 240]

Chromium runs headless with --disable-gpu, so canvas painting is done on the CPU: a desktop
browser with GPU rasterisation is faster, not slower.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgpack
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import CHROMIUM, CHROMIUM_ARGS, Server, build_test_app, serve_test_app
from playwright.sync_api import sync_playwright

BOARD = "bench-frames"
COLORS = ["#1e1e1e", "#e03131", "#2f9e44", "#1971c2", "#f08c00", "#9c36b5"]


def random_stroke(rng: random.Random, i: int) -> dict[str, object]:
    """A scribble of 20 to 120 points, a few hundred units long, somewhere on a 20k x 12k area."""
    n = rng.randint(20, 120)
    pts = [0, 0]
    dx, dy = rng.uniform(-4, 4), rng.uniform(-4, 4)
    for _ in range(n - 1):
        dx = max(-6, min(6, dx + rng.uniform(-1.5, 1.5)))
        dy = max(-6, min(6, dy + rng.uniform(-1.5, 1.5)))
        pts += [round(dx), round(dy)]
    return {
        "id": f"s{i}",
        "type": "pen",
        "x": rng.uniform(0, 20_000),
        "y": rng.uniform(0, 12_000),
        "stroke": rng.choice(COLORS),
        "width": rng.choice([2, 4, 8]),
        "pts": pts,
    }


async def fill_board(url: str, strokes: int) -> int:
    """Adds the strokes over one WebSocket; returns the board's sequence number afterwards."""
    ws = await websocket_connect(url.replace("http", "ws") + f"/ws/{BOARD}")
    await ws.write_message(msgpack.packb({"t": "hello", "v": 1, "name": "bench"}), binary=True)
    rng = random.Random(10_000)
    ops = [{"k": "add", "c": i, "e": random_stroke(rng, i)} for i in range(strokes)]
    for i in range(0, len(ops), 200):
        await ws.write_message(msgpack.packb({"t": "ops", "ops": ops[i : i + 200]}), binary=True)
    seq = 0
    while seq < strokes:
        msg = msgpack.unpackb(await ws.read_message())
        if msg["t"] == "ops":
            seq = msg["ops"][-1]["s"]
        elif msg["t"] == "err":
            raise RuntimeError(msg)
    ws.close()
    return seq


# Runs in the page: moves the viewport once per frame and records the app's paint time and the
# interval between frames.
SCENARIO_JS = """async ([kind, frames]) => {
  const wb = window.__wb;
  const start = wb.viewport();
  const paint = [], interval = [];
  let last = performance.now();
  for (let i = 0; i < frames; i++) {
    const t = i / frames;
    if (kind === 'pan') wb.setViewport(start.x + i * 6, start.y + i * 3, start.zoom);
    else {
      // Zoom from 10 % to 3000 % and back around the middle of the strokes' area.
      const z = 0.1 * Math.pow(300, Math.sin(Math.PI * t));
      wb.setViewport(10000 - 600 / z, 6000 - 400 / z, z);
    }
    await wb.nextFrame();
    const now = performance.now();
    paint.push(wb.frameStats().lastPaintMs);
    interval.push(now - last);
    last = now;
  }
  return { paint, interval, drawn: wb.frameStats().drawn };
}"""


def summary(values: list[float]) -> str:
    v = sorted(values)
    p95 = v[int(0.95 * (len(v) - 1))]
    return f"median {statistics.median(v):6.1f}  p95 {p95:6.1f}  max {v[-1]:6.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strokes", type=int, default=10_000)
    ap.add_argument("--frames", type=int, default=240)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as dist:
        # The app with its test hooks (window.__wb), which the served bundle does not have.
        app = build_test_app(Path(dist))
        # Seeding is one client sending far more than a person could: lift its rate limit.
        server = Server(Path(tmp), "--ops-per-s", "1000000", "--ops-burst", "1000000").start()
        try:
            seq = asyncio.run(fill_board(server.url, args.strokes))
            print(f"board: {args.strokes} pen strokes ({seq} ops)")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                ctx = browser.new_context(viewport={"width": 1200, "height": 800})
                serve_test_app(ctx, app)
                page = ctx.new_page()
                started = time.monotonic()
                page.goto(f"{server.url}/b/{BOARD}")
                page.wait_for_function(
                    "n => window.__wb && window.__wb.elements().length === n", arg=args.strokes,
                    timeout=60_000,
                )  # fmt: skip
                page.evaluate("window.__wb.nextFrame()")
                print(f"open the board, first paint: {1000 * (time.monotonic() - started):.0f} ms")
                scenarios = [
                    ("pan at 100 %", "pan", (0, 0, 1.0)),
                    ("pan at 25 %", "pan", (0, 0, 0.25)),
                    ("pan at 10 % (all in view)", "pan", (-500, -500, 0.1)),
                    ("zoom 10 % → 3000 % → 10 %", "zoom", (0, 0, 1.0)),
                ]
                print(f"{'scenario':28} {'paint ms/frame':38} {'fps':>5}  drawn")
                for label, kind, (x, y, z) in scenarios:
                    page.evaluate(f"window.__wb.setViewport({x}, {y}, {z})")
                    page.evaluate("window.__wb.nextFrame()")
                    r = page.evaluate(SCENARIO_JS, [kind, args.frames])
                    fps = 1000 / statistics.mean(r["interval"][1:])
                    print(f"{label:28} {summary(r['paint'])}  {fps:5.1f}  {r['drawn']}")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
