"""What makes the app installable: the web app manifest and the service worker's script.

The worker must be served from the root (``/sw.js``) for its scope to cover ``/`` and
``/b/{board}``; build.mjs writes it to ``static/dist/sw.js``. It is revalidated on every
load (``no-cache``): browsers compare it byte for byte to find a new build.
"""

from __future__ import annotations

import json
import os
from typing import Any

import tornado.web

from whiteboard.web.base import BaseHandler

ICONS = "/static/icons"

MANIFEST: dict[str, Any] = {
    "name": "Whiteboard",
    "short_name": "Whiteboard",
    "description": "A collaborative whiteboard with its full history.",
    "id": "/",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#2563eb",
    "icons": [
        {"src": f"{ICONS}/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        {"src": f"{ICONS}/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": f"{ICONS}/icon-512.png", "sizes": "512x512", "type": "image/png"},
        {
            "src": f"{ICONS}/icon-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ],
}
_MANIFEST_BODY = json.dumps(MANIFEST, separators=(",", ":"))


class ManifestHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/manifest+json; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.write(_MANIFEST_BODY)


class ServiceWorkerHandler(BaseHandler):
    def get(self) -> None:
        path = os.path.join(self.settings["static_path"], "dist", "sw.js")
        try:
            with open(path, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            # Not built (`node build.mjs`): pages still work, only not offline.
            raise tornado.web.HTTPError(404) from None
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Service-Worker-Allowed", "/")
        self.write(body)
