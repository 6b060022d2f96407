"""Heavy requests run off the event loop, a few at a time (issue 12, part 5)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

from tests.hostile.test_budget import until
from tests.hostile.test_faults import hello
from tests.hostile.test_small import request
from tests.server.conftest import pen, rect
from tests.server.subprocess_server import ServerProcess

PENS, VALUES = 80, 10_000  # 800,000 pen values: an export.svg of most of a second


def big_board(url: str, board: str) -> None:
    ws = hello(url, board)
    for i in range(PENS):
        line = pen(f"p{i}", pts=[j % 97 for j in range(VALUES)])
        ws.send({"t": "ops", "ops": [{"c": i + 1, "k": "add", "e": line}]})
        until(ws, "ops")
    ws.close()


def test_exports_do_not_freeze_other_boards_and_excess_is_503(server: ServerProcess) -> None:
    big_board(server.url, "big")
    other = hello(server.url, "other")
    started = time.monotonic()
    request(server.url, "GET", "/api/boards/big/export.svg")
    alone = time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        exports = [
            pool.submit(request, server.url, "GET", "/api/boards/big/export.svg") for _ in range(4)
        ]
        round_trips = []
        for i in range(20):  # an op on another board meanwhile, one after the other
            t = time.monotonic()
            other.send({"t": "ops", "ops": [{"c": i + 1, "k": "add", "e": rect(f"r{i}")}]})
            until(other, "ops")
            round_trips.append(time.monotonic() - t)
        answers = [f.result() for f in exports]
    other.close()
    statuses = sorted(status for status, _, _ in answers)
    assert statuses.count(200) >= 2 and set(statuses) <= {200, 503}, statuses
    for status, headers, body in answers:
        if status == 503:
            assert int(headers["retry-after"]) >= 1 and b"busy" in body
        else:
            ET.fromstring(body)
    # On the loop, each op would wait for whole exports (at least `alone` seconds).
    print(f"export alone {alone:.3f} s; op round trips meanwhile: max {max(round_trips):.3f} s")
    assert max(round_trips) < alone * 0.6, (round_trips, alone)
