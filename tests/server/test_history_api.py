"""History over HTTP: authors' names on log pages, forks, board files out and back in.

Every test draws through real sockets, reads through real HTTP, and checks the SQLite file
itself when it matters that nothing was written.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest

from tests.server.conftest import Client, connect, fetch, pen, rect
from tests.storeinspect import boards_in, drop_layouts
from whiteboard.codec import pack
from whiteboard.config import Settings
from whiteboard.document import Document
from whiteboard.protocol import Limits
from whiteboard.store.base import Client as StoreClient
from whiteboard.store.base import LogRow, Store

pytestmark = pytest.mark.gen_test(timeout=30)

IMPORT_CAP = 64 << 10
MP = {"Accept": "application/msgpack"}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """Small checkpoints and a small import cap, so both are reached by small boards."""
    return Settings(
        data=str(tmp_path / "data"), idle_unload_s=0.2, tick_ms=2, checkpoint_every=3,
        import_bytes=IMPORT_CAP,
    )  # fmt: skip


async def _do(client: Client, *ops: dict[str, Any]) -> int:
    """Send ops in one frame; wait until the last is acknowledged; return its seq."""
    cs = await client.ops(*ops)
    return int((await client.acked(cs[-1]))["s"])


async def _state(url: str, board: str, at: int | None = None) -> dict[str, Any]:
    """A snapshot as msgpack, so ints and floats come back exactly as stored."""
    query = "" if at is None else f"?at={at}"
    resp = await fetch(url, f"/api/boards/{board}{query}", headers=MP)
    assert resp.code == 200, resp.body
    body: dict[str, Any] = msgpack.unpackb(resp.body)
    return body


async def _post(url: str, path: str, body: bytes = b"", **kw: Any) -> tuple[int, Any]:
    resp = await fetch(url, path, method="POST", body=body, **kw)
    return resp.code, json.loads(resp.body)


async def _two_authors(url: str, board: str) -> tuple[Client, Client, int]:
    """Ana and Ben draw; returns them and the seq of a moment in the middle."""
    ana = await connect(url, board, name="Ana")
    ben = await connect(url, board, name="Ben")
    await _do(ana, {"k": "add", "e": rect("r1")}, {"k": "add", "e": pen("p1")})
    await _do(ben, {"k": "add", "e": {**rect("r2", x=5), "fill": "#ff000080"}})
    await _do(ana, {"k": "append", "id": "p1", "pts": [3, 4, 5, 6]})
    middle = await _do(ben, {"k": "update", "id": "r1", "set": {"x": 7.5, "z": 0.5}})
    await _do(ana, {"k": "delete", "ids": ["r2"]}, {"k": "add", "e": pen("p2", pts=[1, 1])})
    await _do(ben, {"k": "append", "id": "p1", "pts": [-1, -1]})
    return ana, ben, middle


def _boards_in(store: Store) -> set[str]:
    """Every board the store holds anything for: "no board created" is checked here."""
    return boards_in(store)


# -- names on log pages --------------------------------------------------------------------------


async def test_ops_page_names_the_authors_on_that_page(url: str, board: str) -> None:
    ana, ben, _ = await _two_authors(url, board)
    me_a, me_b = str(ana.welcome["me"]), str(ben.welcome["me"])
    resp = await fetch(url, f"/api/boards/{board}/ops")
    page = json.loads(resp.body)
    assert page["names"] == {me_a: "Ana", me_b: "Ben"}
    # The first two ops are Ana's alone: the page names her and nobody else.
    page = json.loads((await fetch(url, f"/api/boards/{board}/ops?limit=2")).body)
    assert {op["by"] for op in page["ops"]} == {ana.welcome["me"]}
    assert page["names"] == {me_a: "Ana"}
    # msgpack answers use the same string keys.
    resp = await fetch(url, f"/api/boards/{board}/ops?after=2&limit=1", headers=MP)
    assert msgpack.unpackb(resp.body)["names"] == {me_b: "Ben"}


async def _pages_agree(url: str, board: str, head: int) -> None:
    """msgpack pages (spliced from stored rows) equal JSON pages (decoded), for every start
    and several sizes, splits inside a tick's row included."""
    for after in range(head + 1):
        for limit in (1, 2, 3, 5, 1000):
            path = f"/api/boards/{board}/ops?after={after}&limit={limit}"
            as_json = json.loads((await fetch(url, path)).body)
            as_msgpack = msgpack.unpackb((await fetch(url, path, headers=MP)).body)
            assert as_msgpack == as_json, (after, limit)
            assert list(as_msgpack) == ["ops", "next", "names"]


async def test_msgpack_pages_equal_json_pages(url: str, board: str) -> None:
    ana, _, _ = await _two_authors(url, board)
    head = await _do(ana, *({"k": "add", "e": rect(f"m{i}", x=i * 0.5)} for i in range(6)))
    await _pages_agree(url, board, head)


async def test_msgpack_pages_of_rows_written_another_way(url: str, store: Store) -> None:
    """Rows whose ops do not end with s then by (another store, an older version) are
    decoded instead of spliced: same answer."""
    sops = [
        {"by": 7, "s": 1, "k": "add", "c": 1, "e": rect("r")},
        {"s": 2, "k": "update", "c": 2, "id": "r", "set": {"x": 2}, "by": 300},
        {"k": "delete", "c": 3, "ids": ["r"], "s": 3, "by": 70000},
    ]
    await store.add_client("other", _client(7, "Seven"))
    await store.add_client("other", _client(300, "Three hundred"))
    await store.add_client("other", _client(70000, "Many"))
    await store.append("other", LogRow(1, 3, 1234, msgpack.packb(sops)))
    await _pages_agree(url, "other", 3)
    page = msgpack.unpackb((await fetch(url, "/api/boards/other/ops", headers=MP)).body)
    assert page["names"] == {"7": "Seven", "300": "Three hundred", "70000": "Many"}
    assert [op["ts"] for op in page["ops"]] == [1234] * 3


def _client(id: int, name: str) -> StoreClient:
    return StoreClient(id, name, "#000000")


# -- ?at= from checkpoint bytes ------------------------------------------------------------------


async def _stacking_history(url: str, board: str) -> int:
    """Elements reordered by z, deleted and re-added (undo), pens grown: every case where a
    state between checkpoints differs from the checkpoint in place and in bytes."""
    a = await connect(url, board)
    await _do(a, *({"k": "add", "e": rect(f"r{i}", x=i)} for i in range(5)))
    await _do(
        a, {"k": "add", "e": pen("p", pts=[1, 2])}, {"k": "update", "id": "r0", "set": {"z": 3.5}}
    )
    await _do(a, {"k": "delete", "ids": ["r1", "r3"]}, {"k": "append", "id": "p", "pts": [5, 5]})
    await _do(a, {"k": "add", "e": {**rect("r1"), "fill": "#00000080"}})  # re-added: old place
    await _do(a, {"k": "update", "id": "r4", "set": {"z": -1}}, {"k": "add", "e": rect("n")})
    await _do(a, {"k": "update", "id": "r0", "set": {"z": None}}, {"k": "delete", "ids": ["p"]})
    return await _do(
        a, {"k": "add", "e": pen("p", pts=[9, 9])}, {"k": "update", "id": "n", "set": {"x": 0.25}}
    )


async def _at_agrees(url: str, board: str, head: int) -> None:
    for s in range(head + 1):
        as_json = json.loads((await fetch(url, f"/api/boards/{board}?at={s}")).body)
        raw = (await fetch(url, f"/api/boards/{board}?at={s}", headers=MP)).body
        assert msgpack.unpackb(raw) == as_json, s
        assert raw == msgpack.packb(msgpack.unpackb(raw)), s  # canonical bytes, key order kept


async def test_at_as_msgpack_equals_at_as_json_at_every_seq(url: str, board: str) -> None:
    await _at_agrees(url, board, await _stacking_history(url, board))


async def test_at_without_checkpoint_layouts_is_the_same(
    url: str, board: str, store: Store
) -> None:
    """A database written before layouts existed (or by another store) answers the same."""
    head = await _stacking_history(url, board)
    before = [
        (await fetch(url, f"/api/boards/{board}?at={s}", headers=MP)).body for s in range(head + 1)
    ]
    assert drop_layouts(store) > 0
    after = [
        (await fetch(url, f"/api/boards/{board}?at={s}", headers=MP)).body for s in range(head + 1)
    ]
    assert after == before


# -- fork ----------------------------------------------------------------------------------------


async def test_fork_starts_from_the_past_state_and_is_independent(url: str, board: str) -> None:
    ana, _, middle = await _two_authors(url, board)
    past = await _state(url, board, middle)
    code, body = await _post(url, f"/api/boards/{board}/fork?at={middle}")
    assert code == 201, body
    copy = body["board"]
    assert copy != board and body["seq"] > 0
    forked = await _state(url, copy)
    assert forked["elements"] == past["elements"] and forked["seq"] == body["seq"]

    page = json.loads((await fetch(url, f"/api/boards/{copy}/ops")).body)
    assert {op["by"] for op in page["ops"]} == {1}
    assert page["names"] == {"1": f"Copied from {board} at {middle}"}

    # Drawing on either board leaves the other as it was.
    before = await _state(url, board)
    other = await connect(url, copy, name="Cy")
    assert other.welcome["elements"] == past["elements"]
    await _do(other, {"k": "delete", "ids": ["p1"]}, {"k": "add", "e": rect("new")})
    assert await _state(url, board) == before
    await _do(ana, {"k": "update", "id": "p1", "set": {"x": 99}})
    assert [e["id"] for e in (await _state(url, copy))["elements"]] == ["r1", "r2", "new"]


async def test_fork_keeps_stacking_order_around_z(url: str, board: str) -> None:
    """r1 gets z 2.5 between r2 (seq 2) and r3 (seq 4); once r2 is gone, a fork that simply
    numbered its adds 1, 2 would put r3 (key 2) under r1 (key 2.5)."""
    a = await connect(url, board)
    await _do(a, {"k": "add", "e": rect("r1")}, {"k": "add", "e": rect("r2")})
    await _do(a, {"k": "update", "id": "r1", "set": {"z": 2.5}})
    await _do(a, {"k": "add", "e": rect("r3")}, {"k": "delete", "ids": ["r2"]})
    head = await _state(url, board)
    assert [e["id"] for e in head["elements"]] == ["r1", "r3"]
    code, body = await _post(url, f"/api/boards/{board}/fork")
    assert code == 201
    assert (await _state(url, body["board"]))["elements"] == head["elements"]


async def test_fork_of_a_long_pen_splits_its_points(url: str, board: str) -> None:
    a = await connect(url, board)
    await _do(a, {"k": "add", "e": pen("long", pts=[1] * 9000)})
    await _do(a, {"k": "append", "id": "long", "pts": [2] * 9000})
    code, body = await _post(url, f"/api/boards/{board}/fork")
    assert code == 201
    forked = await _state(url, body["board"])
    assert forked["elements"][0]["pts"] == [1] * 9000 + [2] * 9000
    page = msgpack.unpackb((await fetch(url, f"/api/boards/{body['board']}/ops", headers=MP)).body)
    assert [op["k"] for op in page["ops"]] == ["add", "append"]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/boards/b/fork?at=99", {}, 400),
        ("/api/boards/b/fork?at=-1", {}, 400),
        ("/api/boards/b/fork?at=x", {}, 400),
        ("/api/boards/-b/fork", {}, 400),
        ("/api/boards/b/fork", {"Origin": "https://evil.example"}, 403),
        ("/api/boards/import", {"Origin": "https://evil.example"}, 403),
    ],
)
async def test_bad_forks_are_refused_and_create_nothing(
    url: str, store: Store, path: str, headers: dict[str, str], status: int
) -> None:
    a = await connect(url, "b")
    await _do(a, {"k": "add", "e": rect("r")})
    before = _boards_in(store)
    code, body = await _post(url, path, headers=headers)
    assert code == status and body["error"]
    assert _boards_in(store) == before


async def test_same_site_posts_are_allowed(url: str, board: str) -> None:
    a = await connect(url, board)
    await _do(a, {"k": "add", "e": rect("r")})
    code, _ = await _post(url, f"/api/boards/{board}/fork", headers={"Origin": url})
    assert code == 201


# -- export and import ---------------------------------------------------------------------------


async def test_export_holds_state_log_and_names(url: str, board: str) -> None:
    ana, ben, middle = await _two_authors(url, board)
    resp = await fetch(url, f"/api/boards/{board}/export.wbd?at={middle}")
    assert resp.code == 200
    assert f'filename="{board}-{middle}.wbd"' in resp.headers["Content-Disposition"]
    data = msgpack.unpackb(resp.body)
    assert list(data) == ["format", "version", "board", "seq", "elements", "ops", "names"]
    assert data["format"] == "whiteboard-board" and data["version"] == 1
    assert data["board"] == board and data["seq"] == middle
    assert data["elements"] == (await _state(url, board, middle))["elements"]
    log = msgpack.unpackb((await fetch(url, f"/api/boards/{board}/ops", headers=MP)).body)
    assert data["ops"] == log["ops"][:middle]
    assert data["names"] == {str(ana.welcome["me"]): "Ana", str(ben.welcome["me"]): "Ben"}


async def test_export_imports_into_an_identical_board(url: str, board: str) -> None:
    _, _, _ = await _two_authors(url, board)
    exported = (await fetch(url, f"/api/boards/{board}/export.wbd")).body
    code, body = await _post(url, "/api/boards/import", exported)
    assert code == 201, body
    copy = body["board"]
    head = (await _state(url, board))["seq"]
    assert body["seq"] == head
    for s in range(head + 1):
        mine, theirs = await _state(url, board, s), await _state(url, copy, s)
        assert theirs["elements"] == mine["elements"], s
    log = [(await fetch(url, f"/api/boards/{b}/ops", headers=MP)).body for b in (board, copy)]
    assert msgpack.unpackb(log[0]) == msgpack.unpackb(log[1])
    # The copy is a live board like any other, its authors' ids never reused.
    c = await connect(url, copy, name="Cy")
    assert c.welcome["seq"] == head and c.welcome["me"] > 2
    again = msgpack.unpackb((await fetch(url, f"/api/boards/{copy}/export.wbd")).body)
    assert again == {**msgpack.unpackb(exported), "board": copy}


async def test_board_named_import_still_has_its_snapshot(url: str) -> None:
    a = await connect(url, "import")
    await _do(a, {"k": "add", "e": rect("r")})
    assert [e["id"] for e in (await _state(url, "import"))["elements"]] == ["r"]


def _file(sops: list[dict[str, Any]], **changes: Any) -> bytes:
    """A board file from ops given without ``s``/``by``/``ts`` (numbered here), then changed."""
    full = [{"c": i, **op, "s": i, "by": 1, "ts": 1000} for i, op in enumerate(sops, 1)]
    data: dict[str, Any] = {
        "format": "whiteboard-board", "version": 1, "board": "src", "seq": len(full),
        "elements": [], "ops": full, "names": {"1": "Ana"},
    }  # fmt: skip
    doc = Document(Limits())
    for sop in full:
        doc.apply({k: v for k, v in sop.items() if k not in ("s", "by", "ts")}, sop["s"])
    data["elements"] = doc.elements()
    data.update(changes)
    packed: bytes = pack(data)  # the document's points are compact arrays: codec packs them
    return packed


GOOD = [{"k": "add", "e": rect("r1")}, {"k": "add", "e": pen("p1")}]


async def test_a_handmade_file_imports(url: str) -> None:
    code, body = await _post(url, "/api/boards/import", _file(GOOD))
    assert code == 201 and body["seq"] == 2
    assert [e["id"] for e in (await _state(url, body["board"]))["elements"]] == ["r1", "p1"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not a board file"),
        (b"hello world", "not a board file"),
        (msgpack.packb([1, 2]), "not a board file"),
        (_file(GOOD)[:-10], "ends too early"),
        (_file(GOOD) + b"\x00", "extra bytes"),
        (_file(GOOD, format="something-else"), "format"),
        (_file(GOOD, version=2), "version"),
        (_file(GOOD, version=1.0), "version"),
        (_file(GOOD, board="../etc"), "board"),
        (_file(GOOD, seq=5), "seq"),
        (_file(GOOD, elements=[]), "elements"),
        (_file(GOOD, names={}), "names"),
        (_file(GOOD, names={"x": "Ana"}), "names"),
        (_file(GOOD, names={"1": ""}), "name"),
        (_file(GOOD, ops={"a": 1}), "ops"),
        (_file([{"k": "add", "e": {**rect("r1"), "width": 500}}]), "Op 1 is invalid"),
        (_file([{"k": "add", "e": {**rect("r1"), "extra": 1}}]), "Op 1 is invalid"),
        (_file([{"k": "add", "e": rect("r1")}, {"k": "add", "e": rect("r1")}]), "Op 2"),
        (_file([{"k": "append", "id": "ghost", "pts": [1, 1]}]), "not_found"),
        (_file([{"k": "add", "e": pen("p", pts=[0] * 10_002)}]), "Op 1 is invalid"),
        (_file([{"k": "add", "e": rect("r1"), "c": -1}]), "Op 1 is invalid"),
        (_file([{"k": "add", "e": rect("r1"), "mood": "happy"}]), "Op 1 is invalid"),
    ],
)
async def test_invalid_files_are_refused_and_create_nothing(
    url: str, store: Store, data: bytes, words: str
) -> None:
    before = _boards_in(store)
    code, body = await _post(url, "/api/boards/import", data)
    assert code == 400 and words.lower() in body["error"].lower(), body
    assert _boards_in(store) == before


def _renumbered(change: Any) -> bytes:
    data = msgpack.unpackb(_file(GOOD))
    change(data["ops"])
    packed: bytes = msgpack.packb(data)
    return packed


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda ops: ops[1].update(s=3), "numbered"),
        (lambda ops: ops[0].pop("s"), "numbered"),
        (lambda ops: ops[1].update(by=2), "names"),
        (lambda ops: ops[1].update(by=0), "author"),
        (lambda ops: ops[1].update(ts=-5), "time"),
        (lambda ops: ops[1].update(ts="now"), "time"),
        (lambda ops: ops.__setitem__(1, "add"), "not a map"),
    ],
)
async def test_bad_numbering_and_authors_are_refused(
    url: str, store: Store, change: Any, words: str
) -> None:
    before = _boards_in(store)
    code, body = await _post(url, "/api/boards/import", _renumbered(change))
    assert code == 400 and words in body["error"], body
    assert _boards_in(store) == before


async def test_oversized_files_are_refused_and_create_nothing(url: str, store: Store) -> None:
    """A file over ``import_bytes`` is refused whole, however valid it might be."""
    strokes = [{"k": "add", "e": pen(f"p{i}", pts=[1] * 2000)} for i in range(40)]
    big = _file(strokes)
    assert len(big) > IMPORT_CAP
    before = _boards_in(store)
    code, body = await _post(url, "/api/boards/import", big)
    assert code == 413 and str(IMPORT_CAP) in body["error"]
    # Without a Content-Length (chunked), the cap is enforced on what actually arrives.
    chunks = [big[i : i + 8192] for i in range(0, len(big), 8192)]

    async def produce(write: Any) -> None:
        for chunk in chunks:
            await write(chunk)

    resp = await fetch(url, "/api/boards/import", method="POST", body_producer=produce)
    assert resp.code in (400, 413)
    assert _boards_in(store) == before
    # The same ops in a file under the cap import fine.
    code, _ = await _post(url, "/api/boards/import", _file(strokes[:5]))
    assert code == 201
