"""Images: uploading 100 pictures of about 1 MB each, then opening a board that shows them.

Starts the server on a temporary data folder, makes the pictures (random noise as JPEG, so
they do not compress and each is its own), uploads them over HTTP a few at a time as browsers
would, places them on a board in a 10 x 10 grid, then opens the board in Debian's Chromium
with the whole grid in view. Prints:

- upload: wall time per MB and MB/s (each upload is decoded, checked and stored by the
  server), and the server's time per image;
- first paint: from opening the page until every picture is drawn (not a placeholder), and
  until the first frame at all;
- memory of the tab: the renderer process's resident size before and after, the JS heap, and
  the decoded pixels the app's image cache holds.

    .venv/bin/python bench/images.py [--images 100] [--megapixels 1.4] [--parallel 4]

Chromium runs headless with --disable-gpu: decoding and painting are done on the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import msgpack
from PIL import Image
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import CHROMIUM, CHROMIUM_ARGS, Server, build_test_app, serve_test_app
from playwright.sync_api import sync_playwright

BOARD = "bench-images"
CELL_W, CELL_H, GAP = 320, 240, 20


def noise_jpeg(seed: int, megapixels: float) -> bytes:
    """A JPEG of random noise: about 1.2 bytes per pixel at quality 85, and unlike any other."""
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = w * 3 // 4
    rng = random.Random(seed)
    im = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


async def upload_all(url: str, pictures: list[bytes], parallel: int) -> tuple[list[dict], float]:
    client = AsyncHTTPClient(max_clients=parallel)
    sem = asyncio.Semaphore(parallel)
    times: list[float] = []

    async def one(data: bytes) -> dict:
        async with sem:
            t0 = time.monotonic()
            resp = await client.fetch(
                HTTPRequest(
                    f"{url}/api/boards/{BOARD}/blobs",
                    method="POST",
                    body=data,
                    headers={"Content-Type": "image/jpeg"},
                    request_timeout=120,
                )
            )
            times.append(time.monotonic() - t0)
            body: dict = json.loads(resp.body)
            return body

    started = time.monotonic()
    stored = await asyncio.gather(*(one(p) for p in pictures))
    return list(stored), time.monotonic() - started


async def place(url: str, stored: list[dict]) -> None:
    """The pictures in a 10-wide grid, each fitted into a 320 x 240 cell."""
    ws = await websocket_connect(url.replace("http", "ws") + f"/ws/{BOARD}")
    await ws.write_message(msgpack.packb({"t": "hello", "v": 1, "name": "bench"}), binary=True)
    ops = []
    for i, s in enumerate(stored):
        k = min(CELL_W / s["w"], CELL_H / s["h"])
        x, y = (i % 10) * (CELL_W + GAP), (i // 10) * (CELL_H + GAP)
        e = {"id": f"i{i}", "type": "image", "x": x, "y": y, "w": s["w"] * k, "h": s["h"] * k,
             "blob": s["blob"]}  # fmt: skip
        ops.append({"k": "add", "c": i, "e": e})
    await ws.write_message(msgpack.packb({"t": "ops", "ops": ops}), binary=True)
    while True:
        msg = msgpack.unpackb(await ws.read_message())
        if msg["t"] == "err":
            raise RuntimeError(msg)
        if msg["t"] == "ops" and msg["ops"][-1]["s"] >= len(ops):
            break
    ws.close()


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        found += kids
        todo += kids
    return found


def renderer_rss(tag: str) -> int:
    """Resident bytes of the renderer processes of the Chromium launched with ``tag``."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if tag.encode() in cmd and b"--type=" not in cmd:
            for pid in descendants(int(name)):
                try:
                    if b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1]) * 1024
                except OSError:
                    continue
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--megapixels", type=float, default=1.4, help="size of each picture")
    ap.add_argument("--parallel", type=int, default=4, help="uploads at a time")
    args = ap.parse_args()

    pictures = [noise_jpeg(i, args.megapixels) for i in range(args.images)]
    mb = sum(map(len, pictures)) / (1 << 20)
    print(f"{args.images} JPEG pictures, {mb / args.images:.2f} MB each on average")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as dist:
        app = build_test_app(Path(dist))
        server = Server(Path(tmp), "--ops-per-s", "1000000", "--ops-burst", "1000000").start()
        try:
            stored, seconds = asyncio.run(upload_all(server.url, pictures, args.parallel))
            print(
                f"upload: {1000 * seconds / mb:.0f} ms per MB ({mb / seconds:.1f} MB/s,"
                f" {args.parallel} at a time), {1000 * seconds / args.images:.0f} ms per picture"
            )
            asyncio.run(place(server.url, stored))
            rows = (args.images + 9) // 10
            grid_w, grid_h = 10 * (CELL_W + GAP), rows * (CELL_H + GAP)
            zoom = min(1200 / grid_w, 800 / grid_h)
            tag = f"--bench-images={os.getpid()}"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, tag])
                ctx = browser.new_context(viewport={"width": 1200, "height": 800})
                serve_test_app(ctx, app)
                view = json.dumps(json.dumps({"x": 0, "y": 0, "zoom": zoom}))
                ctx.add_init_script(f"localStorage.setItem('wb.view.{BOARD}', {view})")
                page = ctx.new_page()
                page.goto("about:blank")
                before = renderer_rss(tag)
                started = time.monotonic()
                page.goto(f"{server.url}/b/{BOARD}")
                page.wait_for_function(
                    "n => window.__wb && window.__wb.elements().length === n", arg=args.images,
                    timeout=60_000,
                )  # fmt: skip
                page.evaluate("window.__wb.nextFrame()")
                first = time.monotonic() - started
                page.wait_for_function(
                    "n => window.__wb.images().ready === n", arg=args.images, timeout=120_000
                )
                page.evaluate("window.__wb.nextFrame()")
                painted = time.monotonic() - started
                stats = page.evaluate("window.__wb.images()")
                heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
                after = renderer_rss(tag)
                print(f"first frame (placeholders): {1000 * first:.0f} ms")
                print(f"first paint with all {args.images} pictures: {1000 * painted:.0f} ms")
                print(
                    f"tab memory: renderer {before / (1 << 20):.0f} MB before, "
                    f"{after / (1 << 20):.0f} MB with the board; JS heap {heap / (1 << 20):.0f} MB;"
                    f" decoded pixels held {stats['decodedBytes'] / (1 << 20):.0f} MB"
                )
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
