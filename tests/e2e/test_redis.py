"""Two people in two browsers on two server processes that share one Redis (``--redis``): they
draw together, and the history panel replays and restores the board as in the embedded mode."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Server, elements, open_board, wait_synced, wait_until
from test_history import (
    ADA,
    BOB,
    drag_timeline_to,
    draw_rect,
    shows,
    shows_none,
    state_at,
    timeline_head,
)

sys.path.insert(0, str(ROOT))
from tests.redis.redis_server import RedisServer, skip_without_redis_server

skip_without_redis_server()


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    one = Server(Path(tmp_path_factory.mktemp("one")), "--redis", redis.url).start()
    two = Server(Path(tmp_path_factory.mktemp("two")), "--redis", redis.url).start()
    yield one, two
    one.stop()
    two.stop()
    redis.stop()
    for s in (one, two):
        assert "Traceback" not in "".join(s.log), "".join(s.log)


def test_people_on_two_processes_draw_replay_and_restore(two_processes, board, people):
    one, two = two_processes
    ada = open_board(people(), one, board, "Ada")
    bob = open_board(people(), two, board, "Bob")
    for a, b in zip(ADA, BOB, strict=True):
        draw_rect(ada, a)
        draw_rect(bob, b)
    head = two.snapshot(board)
    assert one.snapshot(board) == head
    wait_synced(ada, seq=head["seq"])
    wait_synced(bob, seq=head["seq"])
    assert elements(ada) == elements(bob) == head["elements"]
    assert len(head["elements"]) == len(ADA) + len(BOB)

    # Ada, on process one, replays the board to halfway.
    ada.get_by_role("button", name="History").click()
    ada.get_by_test_id("history").wait_for(state="visible")
    assert timeline_head(ada) == head["seq"]
    seq = drag_timeline_to(ada, 0.5)
    past = state_at(two, board, seq)
    later = [e for e in head["elements"] if e["id"] not in {p["id"] for p in past}]
    assert past and later
    assert shows(ada, past)
    assert shows_none(ada, later)

    # She restores it: Bob, on process two, gets exactly that state.
    ada.get_by_role("button", name="Restore this version").click()
    ada.get_by_test_id("history").wait_for(state="hidden")
    wait_until(lambda: two.elements(board) == past, what="the restored state on process two")
    wait_until(lambda: elements(bob) == past, what="Bob's board restored")
    assert ada.errors == [] and bob.errors == []  # type: ignore[attr-defined]
