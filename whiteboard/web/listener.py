"""The HTTP server around the app: who gets a connection, and what happens when none can be had.

Why not Tornado's ``HTTPServer`` as is: its accept loop lets ``EMFILE`` (no file descriptor
left) escape to the IOLoop, which logs a traceback and, the listening socket still readable,
tries again at once: a busy loop writing megabytes of log a second while nobody can connect.
Here accepting stops for a moment instead (doubling up to a second while the shortage lasts),
with one log line when it starts and one when it ends. It ends when the queue of waiting
connections has been emptied, not at the first accept that succeeds: a descriptor freed now and
then (a connection refused by the cap, a client leaving) lets one accept through in the middle
of a shortage, and logging that as the end made a pair of lines per freed descriptor.

And a cap on the HTTP connections one address holds open (requests not yet answered, or kept
alive between them): partial requests held open for ever are the classic way to use up every
descriptor (slowloris); Tornado's header and body timeouts bound how long each is held, the
cap how many. Upgraded WebSockets leave this count (``web/connections.py`` caps those), and a
trusted reverse proxy, which carries many people's requests, is not capped.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import tornado.httpserver
import tornado.iostream
from tornado.ioloop import IOLoop

from whiteboard.web.addresses import in_networks

log = logging.getLogger(__name__)

_NO_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_PAUSE_FIRST, _PAUSE_MAX = 0.05, 1.0
_ACCEPTS_PER_WAKE = 128


class Listener(tornado.httpserver.HTTPServer):
    """``HTTPServer`` with ``per_ip`` connections per address and a calm accept loop."""

    def initialize(
        self, *args: Any, per_ip: int = 0, trusted: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().initialize(*args, **kwargs)
        self.per_ip = per_ip
        self._trusted = trusted
        self._open: Counter[str] = Counter()
        self.refused = 0  # connections closed at once for the cap (tests, metrics)

    # -- the per-address cap ---------------------------------------------------------------------

    def handle_stream(self, stream: tornado.iostream.IOStream, address: Any) -> None:
        ip = address[0] if isinstance(address, tuple) else ""
        if ip and self.per_ip and not in_networks(ip, self._trusted):
            if self._open[ip] >= self.per_ip:
                self.refused += 1
                stream.close()
                return
            self._open[ip] += 1
        super().handle_stream(stream, address)

    def on_close(self, server_conn: object) -> None:
        ip = getattr(getattr(server_conn, "context", None), "address", None)
        if isinstance(ip, tuple) and self._open.get(ip[0]):
            self._open[ip[0]] -= 1
            if not self._open[ip[0]]:
                del self._open[ip[0]]
        super().on_close(server_conn)

    # -- accepting ---------------------------------------------------------------------------

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = _Acceptor(sock, self._handle_connection).remove


class _Acceptor:
    """Accepts on one listening socket; pauses while the process is out of descriptors."""

    def __init__(self, sock: socket.socket, callback: Callable[[socket.socket, Any], None]):
        self.sock = sock
        self.callback = callback
        self.loop = IOLoop.current()
        self.pause = 0.0
        self.removed = False
        self.loop.add_handler(sock, self._ready, IOLoop.READ)

    def _ready(self, fd: Any, events: int) -> None:
        for _ in range(_ACCEPTS_PER_WAKE):  # then let other work run
            if self.removed:
                return
            try:
                connection, address = self.sock.accept()
            except BlockingIOError:
                if self.pause:  # caught up with every waiting connection: the shortage is over
                    log.warning("accepting connections again")
                    self.pause = 0.0
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_RESOURCES:
                    raise
                self._back_off(exc)
                return
            self.callback(connection, address)

    def _back_off(self, exc: OSError) -> None:
        if not self.pause:
            log.warning(
                "cannot accept connections: %s; pausing (raise the open files limit,"
                " ulimit -n, if this lasts)",
                exc.strerror,
            )
        self.pause = min(_PAUSE_MAX, self.pause * 2 or _PAUSE_FIRST)
        self.loop.remove_handler(self.sock)
        self.loop.call_later(self.pause, self._resume)

    def _resume(self) -> None:
        if not self.removed:
            self.loop.add_handler(self.sock, self._ready, IOLoop.READ)

    def remove(self) -> None:
        if not self.removed:
            self.removed = True
            self.loop.remove_handler(self.sock)
