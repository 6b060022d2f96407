"""``GET /metrics``: the Prometheus exposition of ``metrics.REGISTRY``."""

from __future__ import annotations

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from whiteboard import metrics
from whiteboard.hub import Hub


class MetricsHandler(tornado.web.RequestHandler):
    """Plain text for Prometheus; no page headers, no compression negotiation of our own.

    The gauges the Hub already knows are read here, at scrape time, from the Hub of this app:
    nothing maintains them on the hot path.
    """

    def initialize(self, hub: Hub) -> None:
        self.hub = hub

    def get(self) -> None:
        metrics.read_hub(len(self.hub.sockets), len(self.hub.boards))
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.write(generate_latest(metrics.REGISTRY))
