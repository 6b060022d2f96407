"""make_app: the routes, templates and static files around one Hub and one Store; make_store and
make_cluster: which store and which cluster the settings ask for."""

from __future__ import annotations

import os

import tornado.web

from whiteboard.blobs.check import ImageChecker
from whiteboard.cluster.base import Cluster
from whiteboard.config import Settings
from whiteboard.live.registry import Hub
from whiteboard.store.base import Store
from whiteboard.web import admin, api, blobs, history, metrics, pages, pwa, sharing, socket, titles
from whiteboard.web.auth import routes as auth
from whiteboard.web.auth.provider import Provider
from whiteboard.web.auth.session import cookie_secret
from whiteboard.web.connections import Connections
from whiteboard.web.creations import CreationLimiter
from whiteboard.web.guard import GuardedApplication
from whiteboard.web.heavy import HeavyWork

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_store(settings: Settings) -> Store:
    """SQLite in the data directory by default; Redis, shared by many processes, with --redis."""
    if settings.redis:
        from whiteboard.store.redis import RedisStore

        return RedisStore(settings.redis)
    from whiteboard.store.sqlite import SQLiteStore

    return SQLiteStore(settings.data)


def make_cluster(settings: Settings, store: Store) -> Cluster:
    """One process alone by default; with --redis, every process on that Redis, coordinated
    over the store's own connection (``cluster/redis.py`` says why they share it)."""
    if settings.redis:
        from whiteboard.cluster.redis import RedisCluster
        from whiteboard.store.redis import RedisStore

        assert isinstance(store, RedisStore)
        return RedisCluster(store)
    from whiteboard.cluster.solo import SoloCluster

    return SoloCluster()


def make_app(
    settings: Settings, store: Store, hub: Hub, connections: Connections | None = None
) -> tornado.web.Application:
    """``connections`` are this app's open WebSockets (the server closes them at shutdown)."""
    deps = {"hub": hub, "store": store}
    connections = connections if connections is not None else Connections()
    ws_deps = {"hub": hub, "settings": settings, "connections": connections}
    # Images are decoded on two threads at most: a burst of uploads leaves the other core free.
    checker = ImageChecker(settings.image_pixels, workers=2)
    provider = (
        Provider(settings.oidc_issuer, settings.oidc_client_id or "", settings.oidc_client_secret)
        if settings.oidc_issuer
        else None
    )
    auth_deps = {**deps, "provider": provider}
    return GuardedApplication(
        [
            (r"/", pages.IndexHandler, deps),
            (r"/b/([^/]*)", pages.BoardPageHandler, deps),
            (r"/ws/([^/]*)", socket.BoardSocket, ws_deps),
            (r"/api/boards", api.CreateBoardHandler, deps),
            # Before the snapshot route, whose GET it inherits: a board may be named "import".
            (r"/api/boards/(import)", history.ImportHandler, deps),
            (r"/api/boards/([^/]*)", api.SnapshotHandler, deps),
            (r"/api/boards/([^/]*)/fork", history.ForkHandler, deps),
            (r"/api/boards/([^/]*)/export\.wbd", history.ExportHandler, deps),
            (r"/api/boards/([^/]*)/ops", api.OpsHandler, deps),
            (r"/api/boards/([^/]*)/export\.svg", api.SvgHandler, deps),
            (r"/api/boards/([^/]*)/blobs", blobs.BlobUploadHandler, {**deps, "checker": checker}),
            (r"/api/boards/([^/]*)/blobs/([^/]*)", blobs.BlobHandler, deps),
            (r"/api/boards/([^/]*)/export\.pdf", api.PdfHandler, deps),
            (r"/api/boards/([^/]*)/title", titles.TitleHandler, deps),
            (r"/admin", pages.AdminPageHandler, deps),
            (r"/api/admin/boards", admin.AdminBoardsHandler, deps),
            (r"/api/admin/boards/([^/]*)", admin.AdminBoardHandler, deps),
            (r"/api/admin/boards/([^/]*)/restore", admin.AdminRestoreHandler, deps),
            (r"/api/boards/([^/]*)/access", sharing.AccessHandler, deps),
            (r"/api/boards/([^/]*)/access/rotate", sharing.RotateHandler, deps),
            (r"/api/boards/([^/]*)/delete", sharing.OwnerDeleteHandler, deps),
            (r"/api/boards/([^/]*)/restore", sharing.OwnerRestoreHandler, deps),
            (r"/api/me", auth.MeHandler, deps),
            (r"/auth/login", auth.LoginHandler, auth_deps),
            (r"/auth/callback", auth.CallbackHandler, auth_deps),
            (r"/auth/logout", auth.LogoutHandler, deps),
            (r"/healthz", pages.HealthHandler, deps),
            (r"/manifest\.webmanifest", pwa.ManifestHandler, deps),
            (r"/sw\.js", pwa.ServiceWorkerHandler, deps),
            (r"/metrics", metrics.MetricsHandler, {"hub": hub, "connections": connections}),
        ],
        template_path=os.path.join(ROOT, "templates"),
        static_path=os.path.join(ROOT, "static"),
        autoescape="xhtml_escape",
        compress_response=True,
        websocket_max_message_size=settings.frame_bytes,
        # Pings find dead peers (a laptop that went to sleep) so their presence is cleared.
        websocket_ping_interval=25,
        websocket_ping_timeout=20,
        settings=settings,
        config=settings,
        creations=CreationLimiter(settings.creations_per_min),
        heavy=HeavyWork(settings.heavy_requests),
        # Signs the session cookie (web/auth/session.py); only read when sign-in is on.
        cookie_secret=cookie_secret(settings) if settings.sign_in else None,
        imports=HeavyWork(history.IMPORTS_AT_ONCE),
    )
