"""Browser tests: Debian's Chromium driven by Playwright against the real server process.

One browser for the whole session (starting Chromium is the slow part), a fresh browser
context per person per test (separate storage, like separate computers), one server process
for the session and a fresh board id per test, so tests never see each other's drawings.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("WHITEBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 800}


class Server:
    """``server.py`` as a subprocess. ``start()`` returns once it logs the port it listens on."""

    def __init__(self, data: Path, *args: str) -> None:
        self.data = data
        self.args = args
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self.log: list[str] = []
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> Server:
        """Starts on a random port the first time, on the same port after a stop (browsers
        reconnect to the address they know)."""
        self._ready.clear()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--host", "127.0.0.1",
             "--port", str(self.port), "--data", str(self.data),
             "--creations-per-min", "1000000", *self.args],  # one address creates them all
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout):
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        return self

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.log.append(line)
            m = re.search(r"listening on http://[^:/]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                self._ready.set()

    def stop(self) -> None:
        """SIGTERM: the graceful shutdown (clients get close code 1001)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self._reader.join(5)
            if self.proc.stderr:
                self.proc.stderr.close()

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)

    def get_text(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return r.read().decode("utf-8")

    def elements(self, board: str) -> list[dict[str, Any]]:
        return self.get(f"/api/boards/{board}")["elements"]

    def snapshot(self, board: str) -> dict[str, Any]:
        return self.get(f"/api/boards/{board}")

    def log_ops(self, board: str) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = []
        after = 0
        while True:
            page = self.get(f"/api/boards/{board}/ops?after={after}&limit=10000")
            ops.extend(page["ops"])
            if page["next"] is None:
                return ops
            after = page["next"]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright launches this: Debian's Chromium, no downloaded browser."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("data")).start()
    yield s
    s.stop()


def build_test_app(out: Path) -> Path:
    """Bundles the app with its test hooks (window.__wb) into `out`: the bundle in static/dist,
    the one `make run` serves, has none. Built from the sources each session, so it is never
    stale."""
    subprocess.run(["node", "build.mjs", "--e2e", "--outdir", str(out)], cwd=ROOT, check=True)
    return out


def serve_test_app(ctx: BrowserContext, bundle: Path) -> None:
    """Answers this browser context's requests for /static/dist/ files from `bundle`, so its
    pages run the app with test hooks. Files are looked up by name only: the server's static
    URLs carry a content hash in their query, which is ignored here."""

    def fulfill(route: Route) -> None:
        name = urllib.parse.urlsplit(route.request.url).path.rsplit("/", 1)[-1]
        path = bundle / name
        if path.is_file():
            route.fulfill(path=path)
        else:
            route.fulfill(status=404, body=f"{name} is not in the test bundle")

    ctx.route(lambda url: "/static/dist/" in url, fulfill)


@pytest.fixture(scope="session")
def test_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_app(tmp_path_factory.mktemp("dist"))


@pytest.fixture
def board() -> str:
    return "e2e-" + uuid.uuid4().hex[:12]


@pytest.fixture
def people(browser: Browser, test_app: Path) -> Iterator[Callable[[], BrowserContext]]:
    """Makes browser contexts (one per person), closed at the end of the test."""
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        # No service worker (only test_offline_install.py wants one): each test sees the
        # server's answers, not a cache's.
        ctx = browser.new_context(viewport=VIEWPORT, service_workers="block")
        serve_test_app(ctx, test_app)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def open_board(ctx: BrowserContext, server: Server, board: str, name: str | None = None) -> Page:
    """Opens the board page and waits until the app is connected. Page errors fail the test."""
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    if name:
        page.add_init_script(f"localStorage.setItem('wb.name', {json.dumps(json.dumps(name))})")
    page.goto(f"{server.url}/b/{board}")
    wait_connected(page)
    return page


def wait_connected(page: Page, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "() => window.__wb && window.__wb.status() === 'connected'", timeout=timeout
    )


def wait_synced(page: Page, seq: int | None = None, timeout: float = 10_000) -> None:
    """Waits until the app has no unacknowledged change (and, if given, has seen op `seq`)."""
    page.wait_for_function(
        "([seq]) => window.__wb.status() === 'connected' && window.__wb.pending() === 0"
        " && (seq === null || window.__wb.seq() >= seq)",
        arg=[seq],
        timeout=timeout,
    )


def elements(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("window.__wb.elements()")


def to_screen(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where board point (x, y) is on the page, with the app's current viewport."""
    vp = page.evaluate("window.__wb.viewport()")
    return ((x - vp["x"]) * vp["zoom"], (y - vp["y"]) * vp["zoom"])


def stroke(page: Page, points: list[tuple[float, float]], steps: int = 4) -> None:
    """Drags the mouse through screen points, as a person drawing."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p, steps=steps)
    page.mouse.up()


def drag(page: Page, a: tuple[float, float], b: tuple[float, float], steps: int = 8) -> None:
    stroke(page, [a, b], steps=steps)


def ink_at(page: Page, x: float, y: float, radius: int = 3) -> bool:
    """Whether the board canvas shows dark ink near screen point (x, y)."""
    return page.evaluate(INK_JS, [x, y, radius])


INK_JS = """([x, y, r]) => {
  const c = document.querySelector('canvas.board-scene');
  const d = window.devicePixelRatio || 1;
  const img = c.getContext('2d').getImageData(Math.round((x - r) * d), Math.round((y - r) * d),
                                              Math.round(2 * r * d) + 1, Math.round(2 * r * d) + 1);
  for (let i = 0; i < img.data.length; i += 4) {
    const [R, G, B, A] = [img.data[i], img.data[i + 1], img.data[i + 2], img.data[i + 3]];
    if (A > 128 && R + G + B < 300) return true;
  }
  return false;
}"""


def wait_ink(page: Page, x: float, y: float, present: bool = True, timeout: float = 5000) -> None:
    page.wait_for_function(
        f"([x, y, r, want]) => ({INK_JS})([x, y, r]) === want",
        arg=[x, y, 3, present],
        timeout=timeout,
    )


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Polls a Python-side condition (e.g. an API answer) until it holds or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
