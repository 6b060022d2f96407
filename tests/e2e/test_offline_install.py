"""Installable and offline: after one visit the board page opens with the network cut (the
service worker keeps the app, the browser's local copy keeps the board), edits made then wait,
counted in the status, and reach the server when the network is back."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    VIEWPORT,
    Server,
    elements,
    open_board,
    serve_test_app,
    stroke,
    wait_connected,
    wait_synced,
)
from playwright.sync_api import Browser, BrowserContext


@pytest.fixture
def installable(browser: Browser, test_app: Path) -> Iterator[BrowserContext]:
    """A browser context that lets the service worker run (the `people` fixture blocks it)."""
    ctx = browser.new_context(viewport=VIEWPORT, service_workers="allow")
    serve_test_app(ctx, test_app)
    yield ctx
    ctx.close()


def test_the_board_opens_offline_and_sends_what_was_drawn_there(server, board, installable):
    page = open_board(installable, server, board, "Ada")
    stroke(page, [(300, 200), (400, 220), (500, 200)])
    wait_synced(page)
    # The worker took control and kept the page and its bundle (register.ts warms the cache).
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """async () => {
          const names = await caches.keys();
          for (const name of names) {
            const keys = await (await caches.open(name)).keys();
            if (keys.some((r) => new URL(r.url).pathname === location.pathname)) return true;
          }
          return false;
        }"""
    )
    page.wait_for_function("() => localStorage.getItem('wb.copy.' + window.__wb.board) !== null")

    installable.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.__wb && window.__wb.status() === 'offline'")
    # The board as last seen, from the local copy: the stroke drawn online.
    assert len(elements(page)) == 1
    assert page.get_by_test_id("board").is_visible()

    for y in (320, 420):
        stroke(page, [(300, y), (360, y + 30), (420, y - 10), (500, y)])
    page.wait_for_function("() => window.__wb.pending() === 2")
    status = page.get_by_test_id("status")
    assert status.get_attribute("data-status") == "offline"
    assert "2 unsent changes" in status.inner_text()
    assert len(server.elements(board)) == 1, "nothing reached the server while offline"

    # A second reload while still offline keeps the waiting edits.
    page.reload()
    page.wait_for_function("() => window.__wb && window.__wb.pending() === 2")
    offline_view = elements(page)
    assert len(offline_view) == 3

    installable.set_offline(False)
    wait_synced(page, timeout=30_000)
    assert server.elements(board) == offline_view
    adds = Counter(op["e"]["id"] for op in server.log_ops(board) if op["k"] == "add")
    assert set(adds.values()) == {1}, "each stroke exactly once"
    assert status.inner_text() == "Connected"
    assert not page.errors  # type: ignore[attr-defined]


def test_a_reachable_server_wins_over_the_cached_page(server: Server, board, installable):
    """Network first: with the server reachable, the worker asks it for the page every time,
    even though the cache has a copy."""
    page = open_board(installable, server, board, "Ada")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()
    wait_connected(page)
    asked: list[str] = []
    installable.on(
        "request", lambda r: asked.append(r.url) if r.service_worker is not None else None
    )
    page.reload()
    wait_connected(page)
    assert f"{server.url}/b/{board}" in asked


def test_the_manifest_makes_the_app_installable(server: Server):
    with urllib.request.urlopen(server.url + "/manifest.webmanifest", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.load(r)
    for field in ("name", "short_name", "start_url", "display", "icons", "theme_color"):
        assert manifest[field], field
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        with urllib.request.urlopen(server.url + icon["src"], timeout=10) as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == icon["type"]
    with urllib.request.urlopen(server.url + "/sw.js", timeout=10) as r:
        assert "javascript" in r.headers["Content-Type"]
        assert r.headers["Cache-Control"] == "no-cache"


def test_the_pages_link_the_manifest(server: Server, board, installable):
    page = installable.new_page()
    for path in ("/", f"/b/{board}"):
        page.goto(server.url + path)
        assert page.locator("link[rel=manifest]").get_attribute("href") == "/manifest.webmanifest"
