"""``--processes N``: worker processes sharing one port, supervised by the parent.

Each worker binds the port itself with ``SO_REUSEPORT``, so the kernel spreads new connections
evenly over the workers. One socket bound before the fork and shared would not: its first
worker to wake accepts a whole burst (Tornado accepts up to 128 per wake-up), and a load test
of 200 clients found every one of them on the same worker, the other idle.

The parent checks the port is free (and picks one for ``--port 0``), forks, and then only
supervises: Tornado's ``fork_processes``
waits for the workers and restarts one that dies abnormally (killed by a signal, or a
non-zero exit). Restarting blindly is fine here because a worker owns nothing: with
``--redis`` every board's log, checkpoints and client ids live in Redis, and nothing is
broadcast before Redis confirms it. The clients of a dead worker reconnect (the kernel hands
their new connections to any live worker on the shared socket) and resume from their
``since``; the new worker starts empty and loads boards from Redis as clients arrive. A
worker that exits with 0 (after SIGTERM) is not restarted, and the parent exits 0 once all
have.

Signals: ``fork_processes`` forwards nothing, so the parent does. SIGTERM or SIGINT to the
parent is passed to every worker, each shuts down gracefully (finishes its ticks, closes
sockets with 1001), and the parent exits when they are all gone. A worker whose parent dies
without that (SIGKILL) gets SIGTERM from the kernel (Linux ``PR_SET_PDEATHSIG``), so no worker
is left orphaned, holding the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
from types import FrameType

import tornado.netutil
import tornado.process

log = logging.getLogger("whiteboard")

_PR_SET_PDEATHSIG = 1
_stopping = False  # a stop signal came; a worker forked after it exits at once


def fork_workers(processes: int, host: str, port: int) -> list[socket.socket]:
    """Fork ``processes`` workers (0: one per core); returns each worker's listening sockets.

    The parent never returns: it supervises until every worker has exited, then exits.
    Call it before any event loop exists.
    """
    # Claimed and released before forking, so that no socket of the parent ever holds
    # connections that no worker accepts; a port in use fails here, once, with a clear error.
    probe = tornado.netutil.bind_sockets(port, host, reuse_port=True)
    port = probe[0].getsockname()[1]
    for sock in probe:
        sock.close()
    parent = os.getpid()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_stop_signal)
    worker = tornado.process.fork_processes(processes)
    # In the worker from here on. The handler stays until serve() installs its own: a signal
    # that comes meanwhile is remembered (stop_requested), not lost or fatal.
    if _stopping:
        sys.exit(0)  # restarted while the parent was stopping: nothing to serve
    die_with_parent(parent)
    log.info("worker %d started (pid %d)", worker, os.getpid())
    return tornado.netutil.bind_sockets(port, host, reuse_port=True)


def stop_requested() -> bool:
    """A worker was told to stop before it could listen for that: serve() stops at once."""
    return _stopping


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """In the parent: remember, and pass the signal to every worker (none in a worker)."""
    global _stopping
    _stopping = True
    for pid in _children(os.getpid()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _children(parent: int) -> list[int]:
    """The pids whose parent is ``parent``, from /proc (Linux, the deployment target)."""
    pids = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == parent:
            pids.append(int(entry))
    return pids


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies; exit if it already has. For the
    server's workers and for the heavy-request worker processes (``web/heavy.py``), whose pipes
    would otherwise keep them waiting for work forever after a ``kill -9`` of their server."""
    libc_name = ctypes.util.find_library("c")
    if sys.platform.startswith("linux") and libc_name:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        sys.exit(0)
