"""``GET /metrics``: the Prometheus exposition of ``metrics.REGISTRY``."""

from __future__ import annotations

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from whiteboard import metrics
from whiteboard.live.registry import Hub
from whiteboard.web.connections import Connections
from whiteboard.web.guard import set_headers


class MetricsHandler(tornado.web.RequestHandler):
    """Plain text for Prometheus; no page headers, no compression negotiation of our own.

    The gauges the app already knows are read here, at scrape time, from its Hub and its
    connections: nothing maintains them on the hot path.
    """

    def initialize(self, hub: Hub, connections: Connections) -> None:
        self.hub = hub
        self.connections = connections

    def set_default_headers(self) -> None:
        set_headers(self)

    def get(self) -> None:
        metrics.read_hub(len(self.connections), len(self.hub.boards))
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.write(generate_latest(metrics.REGISTRY))
