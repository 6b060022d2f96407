"""Every Prometheus metric of the server, and the few helpers the hot path calls to move them.

The metrics live in ``REGISTRY``, a registry of our own rather than prometheus_client's global
default: ``/metrics`` then shows exactly what this module declares (plus the process, platform
and garbage-collector collectors chosen below), whatever else is imported into the process.
The metric objects are module globals, created once at import, so building several apps in one
process (the tests do) never registers a name twice, which prometheus_client refuses. The
price is that apps sharing a process share counters; a test reads differences, and a server
process runs one app. Passing a metrics object to every Hub, Board and socket instead would
have spread more hooks through the hot path for no production benefit.

Cost is the rule here: a board's fan-out writes one frame to thousands of sockets a second, so
nothing in this module is ever touched per client per frame. A broadcast is counted once, as
``len(frame) * receivers``, by the tick that sent it; only rare per-client messages (welcome,
err, a client's own presence) are counted one by one. Gauges that the Hub already knows (open
sockets, loaded boards) are read when scraped, never maintained on the way.

With ``--processes N`` each worker is a separate process with its own counters, and a scrape
reaches whichever worker accepts it: see docs/metrics.md for how to read that.
"""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
# CPU seconds, RSS and open files of this process, the Python version, and the collector's
# generations: what an operator checks first when latency rises (the GC tuning in server.py
# exists because collections were the largest source of latency spikes).
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_MS = 0.001
_LATENCY_BUCKETS = (
    0.5 * _MS, _MS, 2 * _MS, 5 * _MS, 10 * _MS, 25 * _MS, 50 * _MS, 0.1, 0.25, 0.5, 1.0,
)  # fmt: skip
# Fine at the low end: a healthy loop lags well under 10 ms, and that is the range to resolve.
_LAG_BUCKETS = (
    0.5 * _MS, _MS, 2 * _MS, 3 * _MS, 5 * _MS, 7.5 * _MS, 10 * _MS, 15 * _MS, 20 * _MS, 25 * _MS,
    50 * _MS, 100 * _MS, 250 * _MS, 500 * _MS, 1.0, 2.5,
)  # fmt: skip

CONNECTIONS = Gauge(
    "whiteboard_connections",
    "Open WebSocket connections (read from the Hub at scrape time).",
    registry=REGISTRY,
)
"""How many people are on this process now: capacity planning and spotting a reconnect storm."""

BOARDS_LOADED = Gauge(
    "whiteboard_boards_loaded",
    "Boards held in memory (read from the Hub at scrape time).",
    registry=REGISTRY,
)
"""Memory is per loaded board; a number that never falls means idle boards are not unloading."""

OPS_ACCEPTED = Counter(
    "whiteboard_ops_accepted",
    "Ops applied, committed to the store and broadcast.",
    registry=REGISTRY,
)
"""The work the service does; its rate is the load to compare the latency histograms against."""

OPS_REFUSED = Counter(
    "whiteboard_ops_refused",
    "Messages and ops refused with an err, by PROTOCOL.md error code.",
    ["code"],
    registry=REGISTRY,
)
"""A rise in one code says what is wrong: rate_limited (a flooding client or limits too tight),
read_only (the disk is full), bad_op (a client build that disagrees with the server)."""

TICK_SECONDS = Histogram(
    "whiteboard_tick_seconds",
    "Duration of a board tick that had ops queued: apply, store commit, encode, fan-out.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
"""A tick blocks the loop except while the store commits; long ticks are added to every
client's latency, and a board whose ticks approach tick_ms is at its limit."""

STORE_COMMIT_SECONDS = Histogram(
    "whiteboard_store_commit_seconds",
    "Time from handing a tick's ops to the store until it confirmed them durable.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
"""Nothing is broadcast before the store confirms, so this is a floor under every delivery's
latency: a slow disk or a distant Redis shows here first."""

SLOW_CLIENTS_DROPPED = Counter(
    "whiteboard_slow_clients_dropped",
    "Connections closed with 1013 because their unsent backlog passed backlog_bytes.",
    registry=REGISTRY,
)
"""Clients on bad networks (or a server sending more than links carry): if it climbs for
everyone at once, the server's uplink is saturated."""

BYTES_OUT = Counter(
    "whiteboard_bytes_out",
    "WebSocket bytes (frames included) handed to clients' connections.",
    registry=REGISTRY,
)
"""Egress bandwidth of the service, to size the network and the proxy in front."""

EVENT_LOOP_LAG_SECONDS = Histogram(
    "whiteboard_event_loop_lag_seconds",
    "How late a periodic callback ran: time the event loop was busy with something else.",
    buckets=_LAG_BUCKETS,
    registry=REGISTRY,
)
"""Every message waits for the loop: lag is latency added to everything at once, and its
spikes point at a blocking call (a large snapshot encode, a full garbage collection)."""


# -- helpers the hot path calls ----------------------------------------------------------------


def broadcast(frame_bytes: int, receivers: int) -> None:
    """One shared frame written to ``receivers`` connections: counted once, not per write."""
    BYTES_OUT.inc(frame_bytes * receivers)


def committed(ops: int) -> None:
    """A tick's ops are stored (their frames are counted by ``broadcast``): once per tick."""
    OPS_ACCEPTED.inc(ops)


def sent(frame_bytes: int) -> None:
    """A message for one client only (welcome, err, its own presence view)."""
    BYTES_OUT.inc(frame_bytes)


def refused(code: str) -> None:
    OPS_REFUSED.labels(code).inc()


def slow_client_dropped() -> None:
    SLOW_CLIENTS_DROPPED.inc()


def store_commit() -> contextlib.AbstractContextManager[object]:
    """``with metrics.store_commit(): await store.append(...)``: times the commit."""
    return STORE_COMMIT_SECONDS.time()


def tick_took(seconds: float) -> None:
    """A tick that had ops took this long (from judging to broadcast): presence-only ticks
    are near zero and would hide the ticks that matter in the percentiles."""
    TICK_SECONDS.observe(seconds)


def read_hub(connections: int, boards_loaded: int) -> None:
    """Set the gauges from the Hub of the app being scraped, just before exposition."""
    CONNECTIONS.set(connections)
    BOARDS_LOADED.set(boards_loaded)


# -- event-loop lag ----------------------------------------------------------------------------


class LoopLag:
    """A callback every ``interval`` seconds that records how late it ran.

    A chain of ``call_later`` rather than a task with ``asyncio.sleep``: no Task, no Future,
    nothing for the garbage collector, and the measurement is exactly the delay between when
    the loop was asked to run the callback and when it did.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._due = loop.time() + self.interval
        self._handle = loop.call_at(self._due, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        # asyncio runs timers up to one clock resolution early: never a negative lag.
        EVENT_LOOP_LAG_SECONDS.observe(max(0.0, now - self._due))
        self._due = now + self.interval
        self._handle = loop.call_at(self._due, self._fire, loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
