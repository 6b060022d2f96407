"""Changes made while the server is down reach everyone after it is back, exactly once."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import Server, elements, open_board, stroke, wait_synced


@pytest.fixture
def own_server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def test_strokes_drawn_while_the_server_restarts_arrive_exactly_once(own_server, board, people):
    srv = own_server
    a = open_board(people(), srv, board, "Ada")
    b = open_board(people(), srv, board, "Bob")
    stroke(a, [(300, 200), (400, 220), (500, 200)])
    wait_synced(a)

    srv.stop()
    for page in (a, b):
        page.wait_for_function("() => window.__wb.status() !== 'connected'", timeout=5000)

    # Drawn offline: they show at once, and the status counts them as unsent.
    for y in (300, 400, 500):
        stroke(a, [(300, y), (360, y + 30), (420, y - 10), (500, y)])
    a.wait_for_function("() => window.__wb.pending() >= 3")
    assert "unsent" in a.get_by_test_id("status").inner_text()
    offline_view = elements(a)
    assert len(offline_view) == 4

    srv.start()  # same port, same data
    wait_synced(a, timeout=30_000)
    b.wait_for_function("() => window.__wb.elements().length === 4", timeout=30_000)
    wait_synced(b, timeout=30_000)

    on_server = srv.elements(board)
    assert on_server == offline_view, "every stroke, with every point, exactly once"
    assert elements(b) == on_server
    adds = Counter(op["e"]["id"] for op in srv.log_ops(board) if op["k"] == "add")
    assert set(adds.values()) == {1}
    assert a.get_by_test_id("status").inner_text() == "Connected"


def test_renaming_right_after_drawing_keeps_every_change_exactly_once(server, board, people):
    """A rename reconnects at once, without waiting for acknowledgements: edits still unsent
    or in flight go out again on the new socket (hello.prev has the server retire the old one
    first, so none can land twice). Here the server is usually quicker than the rename, so
    this checks that nothing is lost or doubled on that path, not the rare race itself (the
    model tests and the server's tests of `prev` cover that)."""
    a = open_board(people(), server, board, "Ada")
    for i in range(3):
        stroke(a, [(300, 200 + 80 * i), (380, 230 + 80 * i), (460, 200 + 80 * i)], steps=2)
        # The name field's change, as when typed, within milliseconds of the pointer going up.
        a.evaluate(RENAME_JS, f"Ada {i}")
    wait_synced(a)
    a.locator(".people-button").click()
    assert a.locator("input.my-name").input_value() == "Ada 2"
    on_server = server.elements(board)
    assert len(on_server) == 3
    assert elements(a) == on_server
    adds = Counter(op["e"]["id"] for op in server.log_ops(board) if op["k"] == "add")
    assert set(adds.values()) == {1}


RENAME_JS = """(name) => {
  const input = document.querySelector('input.my-name');
  input.value = name;
  input.dispatchEvent(new Event('change'));
}"""
