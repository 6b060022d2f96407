"""Entry point: settings -> store -> cluster -> hub -> app -> listen. Nothing else lives here."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys

import tornado.httpserver
import tornado.netutil

from whiteboard import gil, metrics, protocol, workers
from whiteboard.config import Settings, load_settings, redacted
from whiteboard.live.lifecycle import Lifecycle, keep_retention
from whiteboard.live.lifecycle import command as admin_command
from whiteboard.live.registry import Hub
from whiteboard.store.base import StoreError
from whiteboard.store.control import Control
from whiteboard.store.datalock import DataLock
from whiteboard.store.sqlite import path_in as store_path
from whiteboard.web import heavy
from whiteboard.web.app import make_app, make_cluster, make_store
from whiteboard.web.connections import Connections
from whiteboard.web.listener import Listener

log = logging.getLogger("whiteboard")


async def serve(
    settings: Settings, sockets: list[socket.socket], lock: DataLock | None = None
) -> None:
    gil.watch(asyncio.get_running_loop())
    store = make_store(settings)
    await store.start()
    cluster = make_cluster(settings, store)
    await cluster.start()
    hub = Hub(store, settings, cluster)
    lifecycle = Lifecycle(store, hub, cluster)
    control = (
        None
        if settings.redis
        else Control(
            settings.data, store_path(settings.data), lambda r: admin_command(lifecycle, r)
        )
    )
    if control is not None:
        await control.start()
    retention = asyncio.ensure_future(
        keep_retention(
            lifecycle, settings.trash_days, settings.delete_idle_days, settings.retention_every_s
        )
    )
    await hub.quota.refresh()  # --disk-mb holds from the first request
    connections = Connections()
    app = make_app(settings, store, hub, connections)
    server = Listener(
        app,
        xheaders=False,
        idle_connection_timeout=settings.header_timeout_s,  # Tornado's header timeout too
        body_timeout=settings.body_timeout_s,
        per_ip=settings.http_connections_per_ip,
        trusted=settings.trusted_proxies,
    )
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    where = (
        f"boards in Redis at {redacted(settings.redis)}"
        if settings.redis
        else f"data in {settings.data}"
    )
    log.info("whiteboard listening on http://%s:%d/ (%s)", host, port, where)
    if lock is not None:
        lock.describe(f"pid {os.getpid()}, listening on http://{host}:{port}/")

    # Long-lived start-up objects leave the collector's view, and young collections run less
    # often: collections of Futures and frames were the largest source of latency spikes.
    # Not too seldom either: a young collection walks every container allocated since the last
    # one and still alive, holding the GIL whichever thread runs it. At 50,000 a board's load
    # (its elements' dicts and arrays all survive) stalled the loop 15-25 ms in one collection;
    # at 20,000, 2-10 ms (bench/bigopen.py, docs/scaling.md), for no CPU the benchmarks show.
    # The older generations are collected as often as before (every 1M and 100M allocations).
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)

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
    retention.cancel()
    await hub.shutdown()  # finish the ticks in flight and checkpoint
    connections.close_all(protocol.CLOSE_GOING_AWAY, "the server is restarting")
    await cluster.close()  # before the store: it may share the store's connection
    if control is not None:
        await control.close()
    await store.close()  # the writer's queue is drained before this returns
    await server.close_all_connections()
    heavy.shutdown()  # the export worker processes
    log.info("stopped")


class StartupError(Exception):
    """Something an operator must fix before the server can start: said in one line."""


def check_redis(url: str, volatile: bool) -> None:
    """Reach Redis once before forking workers: a wrong URL is one clear line, not workers
    that crash and are restarted in a loop. Then its durability: without the append-only file
    a restart of Redis loses acknowledged ops and reuses their seqs, and an evicting
    ``maxmemory-policy`` drops whole boards; either is refused unless ``--redis-volatile``
    says the operator accepts the loss."""
    import redis
    from redis.exceptions import RedisError

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as r:
            r.ping()
            info = r.info("persistence") | r.info("memory")
    except (RedisError, OSError, ValueError) as exc:
        raise StartupError(f"cannot reach Redis at {redacted(url)}: {exc}") from None
    problems = []
    if not int(info.get("aof_enabled", 0)):
        problems.append("appendonly is off (a restart of Redis loses acknowledged ops)")
    policy = str(info.get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        problems.append(f"maxmemory-policy is {policy} (Redis may evict boards)")
    if not problems:
        return
    text = f"Redis at {redacted(url)}: " + "; ".join(problems)
    if volatile:
        log.warning("%s: accepted by --redis-volatile", text)
        return
    raise StartupError(
        f"{text}: set appendonly yes and maxmemory-policy noeviction, "
        "or start with --redis-volatile to accept the loss"
    )


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
    lock = None if settings.redis else DataLock(settings.data)
    try:
        if settings.redis:
            check_redis(settings.redis, settings.redis_volatile)
        if lock is not None:
            lock.acquire()  # before listening: a second server says so before taking a port
        asyncio.run(serve(settings, listen(settings), lock))
    except (StartupError, StoreError) as exc:
        print(f"server.py: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if lock is not None:
            lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
