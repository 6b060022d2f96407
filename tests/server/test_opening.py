"""A big board's first joiners are welcomed from its stored bytes while it decodes
(``whiteboard/live/opening.py``): they see what a joiner of the loaded board sees, their ops
and presence work once it is ready, and nothing they send is lost meanwhile.

The decode is held on an event so that "while it decodes" is certain, not a race; and the size
from which the early welcome is used is lowered, so that a board of a few elements takes it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, rect
from tests.server.test_compact import connect_compact
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.live import opening, registry
from whiteboard.live.lifecycle import DELETED
from whiteboard.live.registry import Hub
from whiteboard.protocol import Limits, encode_ops_array, server_op
from whiteboard.store.access import BoardAccess
from whiteboard.store.base import LogRow
from whiteboard.web import sharing
from whiteboard.web import socket as web_socket
from whiteboard.web.auth.session import User
from whiteboard.web.auth.visitor import Visitor

pytestmark = pytest.mark.gen_test(timeout=30)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data=str(tmp_path / "data"), idle_unload_s=0.05, tick_ms=2, checkpoint_every=5)


class Hold:
    """Holds the board decode (``registry._decode``) from ``built`` on, until ``set``."""

    def __init__(self) -> None:
        self.holding = False
        self.go = threading.Event()

    def set(self) -> None:
        self.go.set()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hold]:
    hold = Hold()
    decode = registry._decode

    def slow(*args: Any) -> Any:
        if hold.holding:
            assert hold.go.wait(20), "the test never let the decode finish"
        return decode(*args)

    monkeypatch.setattr(registry, "_decode", slow)
    monkeypatch.setattr(opening, "EARLY_FROM", 0)
    yield hold
    hold.set()


async def built(url: str, board: str, hub: Hub, held: Hold, key: str | None = None) -> int:
    """A board with a checkpoint and rows after it, deleted ids and a ``z``; then unloaded, and
    its next decode held. Answers its head seq."""
    a = await connect(url, board, "Ana", key=key)
    for i in range(8):
        await a.ops({"k": "add", "e": rect(f"r{i}", x=i * 20)})
    await a.ops({"k": "delete", "ids": ["r2"]}, {"k": "update", "id": "r5", "set": {"z": 0.5}})
    for i in range(8, 11):
        await a.ops({"k": "add", "e": rect(f"r{i}", y=40)})
    c = await a.ops({"k": "delete", "ids": ["r9"]})
    head: int = (await a.acked(c[0]))["s"]
    await a.close()
    await until(lambda: hub.loaded(board) is None)
    # Rows after the unload's checkpoint, as a server stopped before its next one leaves them.
    ana = a.welcome["me"]
    for ops in (
        [{"k": "add", "e": rect("r11"), "c": 90}, {"k": "delete", "ids": ["r4"], "c": 91}],
        [{"k": "update", "id": "r6", "set": {"y": 9}, "c": 92}],
    ):
        sops = [server_op(op, head + 1 + i, ana) for i, op in enumerate(ops)]
        await hub.store.append(board, LogRow(head + 1, head + len(ops), 1, encode_ops_array(sops)))
        head += len(ops)
    held.holding = True
    return head


async def until(cond: Any, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)  # the server's own loop: nothing else to wait on


def welcomed(client: Client) -> Document:
    """The board as the client's welcome gives it (elements, first adds, deleted ids)."""
    w = client.welcome
    ids = [e["id"] for e in w["elements"]]
    first = dict(zip(ids, w["first"], strict=True)) | {id: s for id, s in w.get("gone", [])}
    state = {"seq": w["seq"], "elements": w["elements"], "first": first}
    return Document.from_state(state, Limits())


async def test_a_joiner_sees_the_stored_board_before_the_decode_and_the_same_board(
    url: str, board: str, hub: Hub, held: Hold
) -> None:
    head = await built(url, board, hub, held)
    early = await connect(url, board, "Ben")
    assert hub.loaded(board) is None  # still decoding
    assert early.welcome["seq"] == head  # the checkpoint and the rows after it, spliced
    seen = welcomed(early)
    held.set()
    await until(lambda: hub.loaded(board) is not None)
    late = await connect(url, board, "Cy")  # the loaded board's own welcome
    assert late.welcome["seq"] == head
    assert seen.elements() == late.welcome["elements"]
    assert [seen.first_seq(e["id"]) for e in seen.elements()] == late.welcome["first"]
    assert sorted(map(tuple, seen.gone())) == sorted(map(tuple, late.welcome["gone"]))
    assert early.welcome["me"] != late.welcome["me"]


async def test_what_an_early_joiner_sends_while_the_board_opens_is_kept_in_order(
    url: str, board: str, hub: Hub, held: Hold
) -> None:
    head = await built(url, board, hub, held)
    ben = await connect(url, board, "Ben")
    dee = await connect(url, board, "Dee")
    assert ben.welcome["seq"] == dee.welcome["seq"] == head
    await ben.send({"t": "cursor", "x": 1, "y": 2})
    cs = await ben.ops({"k": "add", "e": rect("b1")}, {"k": "update", "id": "b1", "set": {"x": 5}})
    held.set()
    first = await ben.acked(cs[0])
    assert first["s"] == head + 1
    assert (await ben.acked(cs[1]))["s"] == head + 2
    # Dee sees Ben's ops, and each of them knows the other is here.
    await dee.expect(lambda m: m.get("t") == "ops" and m["ops"][-1].get("c") == cs[1])
    ids = {ben.welcome["me"], dee.welcome["me"]}

    def joined(client: Client) -> Any:
        other = (ids - {client.welcome["me"]}).pop()
        return lambda m: m.get("t") == "presence" and other in [p["id"] for p in m.get("join", [])]

    await ben.expect(joined(ben))
    await dee.expect(joined(dee))
    await until(lambda: hub.loaded(board) is not None)
    late = await connect(url, board, "Cy")
    assert {p["id"] for p in late.welcome["peers"]} == ids


async def test_an_early_joiner_that_leaves_before_the_board_opens_lets_it_unload(
    url: str, board: str, hub: Hub, held: Hold
) -> None:
    await built(url, board, hub, held)
    gone = await connect(url, board, "Ben")
    await gone.close()
    held.set()
    await until(lambda: hub.loaded(board) is not None)
    await until(lambda: hub.loaded(board) is None)  # nobody on it: unloaded as usual


async def test_the_edit_key_and_since_are_honoured_while_the_board_opens(
    url: str, hub: Hub, held: Hold
) -> None:
    resp = await fetch(url, "/api/boards", method="POST", body=json.dumps({"protected": True}))
    created = json.loads(resp.body)
    board, key = created["board"], created["key"]
    head = await built(url, board, hub, held, key=key)
    viewer = await connect(url, board, "viewer")
    editor = await connect(url, board, "editor", key=key)
    assert viewer.welcome["readonly"] is True and editor.welcome["readonly"] is False
    assert hub.loaded(board) is None  # both welcomed while it decodes
    back = asyncio.ensure_future(connect(url, board, "back", key=key, since=head))
    (c,) = await viewer.ops({"k": "delete", "ids": ["r0"]})
    (e,) = await editor.ops({"k": "delete", "ids": ["r1"]})
    held.set()
    refused = await viewer.expect_type("err")
    assert refused["code"] == "read_only" and refused["c"] == c
    assert (await editor.acked(e))["s"] == head + 1
    resumed = await back  # a resume waits for the board: its recent rows answer it
    assert resumed.welcome["elements"] is None
    assert [op["s"] for op in resumed.welcome["ops"]] == list(
        range(head + 1, resumed.welcome["seq"] + 1)
    )


@pytest.mark.parametrize("resumes", [False, True])
async def test_a_reconnect_while_the_board_opens_replaces_the_early_connection(
    url: str, board: str, hub: Hub, held: Hold, resumes: bool
) -> None:
    head = await built(url, board, hub, held)
    old = await connect(url, board, "Ben")
    (c,) = await old.ops({"k": "add", "e": rect("sent-on-the-old-socket")})
    prev = {"id": old.welcome["me"], "token": old.welcome["token"]}
    since = head if resumes else None
    new = asyncio.ensure_future(connect(url, board, "Ben", prev=prev, since=since))
    if not resumes:  # welcomed early too: the old connection goes at once
        assert await old.expect_close() == 1000
        await new
    held.set()
    welcome = (await new).welcome
    if resumes:  # it waited for the board, then replaced the old one
        assert await old.expect_close() == 1000
    await until(lambda: hub.loaded(board) is not None)
    loaded = hub.loaded(board)
    assert loaded is not None
    await until(lambda: not loaded.ticking)
    # PROTOCOL.md's rule for a reconnect: each op of the old socket is in the new welcome's
    # ops, by the old id with its c, or never committed (the client resends it).
    if loaded.doc.get("sent-on-the-old-socket") is not None:
        assert resumes
        assert {"by": prev["id"], "c": c} in [{"by": o["by"], "c": o["c"]} for o in welcome["ops"]]


async def test_a_share_withdrawn_while_the_board_opens_reaches_its_early_joiner(
    url: str, board: str, hub: Hub, held: Hold, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sign-in on, Ann signed in (what the session cookie would say), her share then withdrawn.
    monkeypatch.setattr(Settings, "sign_in", property(lambda self: True))
    ann = User("ann@example.com", "Ann")

    async def as_ann(handler: Any, store: Any, settings: Any, key: str | None) -> Visitor:
        return Visitor(ann, False, key)

    monkeypatch.setattr(web_socket, "visitor", as_ann)
    store = hub.store
    await store.put_access(board, BoardAccess("bob@example.com", "none", {ann.email: "edit"}))
    await built(url, board, hub, held)
    early = await connect(url, board, "x")
    assert early.welcome["readonly"] is False and hub.loaded(board) is None
    withdrawn = BoardAccess("bob@example.com", "none", {})
    await store.put_access(board, withdrawn)
    handler: Any = SimpleNamespace(hub=hub)
    sharing.regrant(handler, board, withdrawn)  # what PUT .../access does
    held.set()
    assert await early.expect_close() == 1008


async def test_a_damaged_layout_index_makes_joiners_wait_for_the_decode_not_fail(
    url: str, board: str, hub: Hub, held: Hold, caplog: pytest.LogCaptureFixture
) -> None:
    head = await built(url, board, hub, held)
    store: Any = hub.store
    await store._submit(
        lambda conn: conn.execute(
            "UPDATE checkpoint_layouts SET layout = ? WHERE board = ?", (msgpack.packb(1), board)
        )
    )
    joining = asyncio.ensure_future(connect(url, board, "x"))
    await until(lambda: "no early welcome" in caplog.text)
    assert not joining.done()  # waits for the board
    held.set()
    assert (await joining).welcome["seq"] == head


async def test_a_board_deleted_while_it_opens_is_not_served(
    url: str, board: str, hub: Hub, held: Hold
) -> None:
    await built(url, board, hub, held)
    early = await connect(url, board, "x")
    await hub.evict(board, DELETED)  # what deleting it does to this process's boards
    held.set()
    assert await early.expect_close() == 1008
    assert hub.loaded(board) is None


async def test_a_compact_early_joiner_catches_up_in_compact_frames(
    url: str, board: str, hub: Hub, held: Hold, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows committed between an early welcome and its adoption reach a compact client (the
    app) as the others got them: one compact array, not PROTOCOL.md ``ops`` maps."""
    head = await built(url, board, hub, held)
    splicing = threading.Event()
    pieces = opening._welcome_pieces

    def slow(*args: Any) -> Any:
        assert splicing.wait(20)
        return pieces(*args)

    monkeypatch.setattr(opening, "_welcome_pieces", slow)
    resumer = asyncio.ensure_future(connect(url, board, "Res", since=head))  # loads the board
    await until(lambda: board in hub._loading)
    early = asyncio.ensure_future(connect_compact(url, board, "Early"))
    await until(lambda: board in hub._welcome_early)
    held.set()  # the board loads while the early joiner's welcome is still being spliced
    res = await resumer
    (c,) = await res.ops({"k": "add", "e": rect("meanwhile")})
    await res.acked(c)
    splicing.set()
    client = await early
    assert client.welcome["seq"] == head
    caught = await client.expect(lambda m: not isinstance(m, dict) or m.get("t") == "ops")
    assert isinstance(caught, list) and caught[0] == head + 1  # [first seq, op, ...]


async def test_the_bytes_of_an_early_welcome_count_in_the_memory_budget_until_it_loads(
    url: str, board: str, hub: Hub, held: Hold
) -> None:
    await built(url, board, hub, held)
    before = hub.budget.inflight
    early = await connect(url, board, "x")
    assert hub.loaded(board) is None
    spliced = len(msgpack.packb(early.welcome["elements"]))
    assert hub.budget.inflight - before >= spliced
    held.set()
    await until(lambda: hub.loaded(board) is not None and hub.budget.inflight == before)
