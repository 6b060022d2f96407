"""Entry point: settings -> store -> cluster -> hub -> app -> listen. Nothing else lives here."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import sys

import tornado.httpserver
import tornado.netutil

from whiteboard import metrics, protocol, workers
from whiteboard.config import Settings, load_settings, redacted
from whiteboard.live.registry import Hub
from whiteboard.store.base import StoreError
from whiteboard.web.app import make_app, make_cluster, make_store
from whiteboard.web.connections import Connections

log = logging.getLogger("whiteboard")


async def serve(settings: Settings, sockets: list[socket.socket]) -> None:
    store = make_store(settings)
    await store.start()
    cluster = make_cluster(settings, store)
    await cluster.start()
    hub = Hub(store, settings, cluster)
    connections = Connections()
    app = make_app(settings, store, hub, connections)
    server = tornado.httpserver.HTTPServer(app, xheaders=False)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    where = (
        f"boards in Redis at {redacted(settings.redis)}"
        if settings.redis
        else f"data in {settings.data}"
    )
    log.info("whiteboard listening on http://%s:%d/ (%s)", host, port, where)

    # Long-lived start-up objects leave the collector's view, and young collections run less
    # often: collections of Futures and frames were the largest source of latency spikes.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

    lag = metrics.LoopLag()
    lag.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if workers.stop_requested():
        stop.set()
    await stop.wait()

    log.info("shutting down")
    lag.stop()
    server.stop()  # stop accepting
    await hub.shutdown()  # finish the ticks in flight and checkpoint
    connections.close_all(protocol.CLOSE_GOING_AWAY, "the server is restarting")
    await cluster.close()  # before the store: it may share the store's connection
    await store.close()  # the writer's queue is drained before this returns
    await server.close_all_connections()
    log.info("stopped")


class StartupError(Exception):
    """Something an operator must fix before the server can start: said in one line."""


def check_redis(url: str) -> None:
    """Reach Redis once before forking workers: a wrong URL is one clear line, not workers
    that crash and are restarted in a loop."""
    import redis
    from redis.exceptions import RedisError

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as r:
            r.ping()
    except (RedisError, OSError, ValueError) as exc:
        raise StartupError(f"cannot reach Redis at {redacted(url)}: {exc}") from None


def listen(settings: Settings) -> list[socket.socket]:
    try:
        if settings.processes != 1:
            return workers.fork_workers(settings.processes, settings.host, settings.port)
        return tornado.netutil.bind_sockets(settings.port, settings.host)
    except OSError as exc:
        raise StartupError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
            " (choose another port with --port, or PORT=... with make run)"
        ) from None


def main(argv: list[str] | None = None) -> int:
    settings = load_settings(argv)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if settings.redis:
            check_redis(settings.redis)
        asyncio.run(serve(settings, listen(settings)))
    except (StartupError, StoreError) as exc:
        print(f"server.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
