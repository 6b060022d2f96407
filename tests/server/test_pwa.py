"""What makes the app installable: the manifest, its icons, the service worker's script and
the pages' links to them."""

from __future__ import annotations

import json
import os

import pytest

from tests.server.conftest import fetch
from whiteboard.web.app import ROOT

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_manifest_has_what_an_install_needs(url: str) -> None:
    resp = await fetch(url, "/manifest.webmanifest")
    assert resp.code == 200
    assert resp.headers["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(resp.body)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    png = {i["sizes"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert {"192x192", "512x512"} <= png
    for icon in manifest["icons"]:
        got = await fetch(url, icon["src"])
        assert got.code == 200, icon["src"]
        assert got.headers["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            assert got.body.startswith(b"\x89PNG")
            side = int.from_bytes(got.body[16:20], "big")
            assert f"{side}x{side}" == icon["sizes"]


async def test_pages_link_the_manifest_and_icons(url: str) -> None:
    for path in ("/", "/b/my-board"):
        body = (await fetch(url, path)).body
        assert b'<link rel="manifest" href="/manifest.webmanifest">' in body
        assert b'rel="apple-touch-icon"' in body


@pytest.mark.skipif(
    not os.path.exists(os.path.join(ROOT, "static", "dist", "sw.js")),
    reason="the front end is not built (node build.mjs)",
)
async def test_service_worker_is_served_from_the_root_and_revalidated(url: str) -> None:
    resp = await fetch(url, "/sw.js")
    assert resp.code == 200
    assert resp.headers["Content-Type"].startswith("text/javascript")
    # Browsers compare the script byte for byte to find a new build: never a stale copy.
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert b"wb-shell-" in resp.body
