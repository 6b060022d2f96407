"""The accept loop's account of a descriptor shortage: one line when it starts, one when it ends,
however often a freed descriptor lets a single accept through in between."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from typing import Any

import pytest

from whiteboard.web import listener

pytestmark = pytest.mark.gen_test(timeout=30)


class ShortOfDescriptors:
    """A real listening socket whose ``accept`` fails with EMFILE where the script says so.

    The shortage cannot be made to flap on cue with a real limit (which descriptor the process
    frees, and when, is up to the kernel and the loop); the script makes the flapping exact.
    """

    def __init__(self, sock: socket.socket, script: list[str]) -> None:
        self.sock = sock
        self.script = script

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> tuple[socket.socket, Any]:
        if self.script and self.script.pop(0) == "EMFILE":
            raise OSError(errno.EMFILE, "Too many open files")
        return self.sock.accept()


async def test_a_shortage_that_lets_one_accept_through_is_still_one_episode(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener, "_PAUSE_FIRST", 0.01)
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    clients = [socket.create_connection(server.getsockname()) for _ in range(3)]
    accepted: list[socket.socket] = []
    got_all = asyncio.Event()

    def callback(conn: socket.socket, address: Any) -> None:
        accepted.append(conn)
        if len(accepted) == len(clients):
            got_all.set()

    # short, one accept through (a descriptor freed), short again, then plenty
    sock = ShortOfDescriptors(server, ["EMFILE", "ok", "EMFILE"])
    with caplog.at_level(logging.WARNING, logger=listener.__name__):
        acceptor = listener._Acceptor(sock, callback)  # type: ignore[arg-type]
        try:
            await asyncio.wait_for(got_all.wait(), 10)  # the same wake-up then finds none left
        finally:
            acceptor.remove()
            for conn in accepted + clients:
                conn.close()
            server.close()
    assert caplog.text.count("cannot accept connections") == 1, caplog.text
    assert caplog.text.count("accepting connections again") == 1, caplog.text
