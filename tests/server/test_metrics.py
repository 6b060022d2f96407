"""``GET /metrics``: Prometheus text that parses, and numbers that move exactly as clients act.

Counters are process-wide (whiteboard/metrics.py says why), so every check is a difference
between two scrapes taken around what the test does.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.server.conftest import TIMEOUT, connect, fetch, pen, rect
from tests.server.subprocess_server import ServerProcess

Samples = dict[str, float]


def parse(text: str) -> Samples:
    """Every sample as ``name{label="v",...}`` -> value."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


async def scrape(url: str) -> Samples:
    res = await fetch(url, "/metrics")
    assert res.code == 200
    assert res.headers["Content-Type"].startswith("text/plain; version=")
    return parse(res.body.decode())


async def scrape_until(url: str, pred: Callable[[Samples], bool]) -> Samples:
    deadline = time.monotonic() + TIMEOUT
    while True:
        now = await scrape(url)
        if pred(now) or time.monotonic() > deadline:
            return now
        await asyncio.sleep(0.01)


def last_op_is(by: int, c: int) -> Callable[[dict[str, Any]], bool]:
    """An ``ops`` frame ending with op ``c`` of client ``by``: that tick has been read."""
    return lambda m: m["t"] == "ops" and (m["ops"][-1]["by"], m["ops"][-1]["c"]) == (by, c)


def delta(before: Samples, after: Samples, name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


@pytest.mark.gen_test(timeout=30)
async def test_counters_move_by_what_two_clients_draw(url: str, board: str) -> None:
    before = await scrape(url)
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")

    # Three frames, one after another, each waited for: each is exactly one tick and commit.
    sent = 0
    for client, ops in (
        (a, [{"k": "add", "e": pen("p1")}, {"k": "append", "id": "p1", "pts": [1, 1, 2, 2]}]),
        (b, [{"k": "add", "e": rect("r1")}, {"k": "add", "e": rect("r2")}]),
        (a, [{"k": "append", "id": "p1", "pts": [3, 3]}]),
    ):
        cs = await client.ops(*ops)
        for reader in (a, b):
            await reader.expect(last_op_is(client.welcome["me"], cs[-1]))
        sent += len(ops)
    after = await scrape(url)

    assert delta(before, after, "whiteboard_ops_accepted_total") == sent == 5
    assert delta(before, after, "whiteboard_store_commit_seconds_count") == 3
    assert delta(before, after, "whiteboard_tick_seconds_count") == 3
    assert delta(before, after, "whiteboard_store_commit_seconds_sum") > 0
    # Every byte the two clients read: their welcomes, Bob's join, three ops frames each.
    assert delta(before, after, "whiteboard_bytes_out_total") == a.wire_bytes + b.wire_bytes
    assert after["whiteboard_connections"] == 2
    assert after["whiteboard_boards_loaded"] == 1


@pytest.mark.gen_test(timeout=30)
async def test_refusals_are_counted_by_code(url: str, board: str) -> None:
    a = await connect(url, board, "Ada")
    before = await scrape(url)
    # One refused by the document (no such element), one by validation (unknown op kind).
    await a.ops({"k": "delete", "ids": ["nope"]}, {"k": "zap"})
    codes = {(await a.expect_type("err"))["code"] for _ in range(2)}
    assert codes == {"not_found", "bad_op"}
    after = await scrape(url)
    assert delta(before, after, 'whiteboard_ops_refused_total{code="not_found"}') == 1
    assert delta(before, after, 'whiteboard_ops_refused_total{code="bad_op"}') == 1
    assert delta(before, after, "whiteboard_ops_accepted_total") == 0


@pytest.mark.gen_test(timeout=30)
async def test_connections_gauge_follows_open_sockets(url: str, board: str) -> None:
    assert (await scrape(url))["whiteboard_connections"] == 0
    a = await connect(url, board, "Ada")
    b = await connect(url, board, "Bob")
    assert (await scrape(url))["whiteboard_connections"] == 2
    await b.close()
    now = await scrape_until(url, lambda m: m["whiteboard_connections"] == 1)
    assert now["whiteboard_connections"] == 1
    await a.close()
    now = await scrape_until(url, lambda m: m["whiteboard_connections"] == 0)
    assert now["whiteboard_connections"] == 0


def test_server_measures_event_loop_lag(tmp_path: Path) -> None:
    """The lag probe runs in the real server (started by serve()), every 50 ms."""
    server = ServerProcess(str(tmp_path / "data")).start()
    try:
        deadline = time.monotonic() + TIMEOUT
        count = 0.0
        while count < 3 and time.monotonic() < deadline:
            with urllib.request.urlopen(server.url + "/metrics", timeout=TIMEOUT) as res:
                samples = parse(res.read().decode())
            count = samples["whiteboard_event_loop_lag_seconds_count"]
            time.sleep(0.05)  # between polls only; the loop ends on the count, not the time
        assert count >= 3
        assert samples['whiteboard_event_loop_lag_seconds_bucket{le="+Inf"}'] == count
        assert samples["process_resident_memory_bytes"] > 0
    finally:
        server.terminate()
        assert server.wait() == 0
