"""The store contract (``whiteboard/store/base.py``), run against every store: SQLite and Redis.

The live boards, the history pages and the fork/import routes rely on these promises without
knowing which store answers; a store that passes here can serve them. Rows carry opaque ops
(a store never decodes them), so the rows here are small and their seqs are what matters.
"""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from tests.store.conftest import open_store
from whiteboard.document import Document
from whiteboard.history import layout
from whiteboard.protocol import Limits
from whiteboard.store.base import Checkpoint, Client, LoadedBoard, LogRow, Store, StoreConflict

pytestmark = pytest.mark.gen_test(timeout=30)


def row(first: int, last: int, ts: int = 1000) -> LogRow:
    ops = [{"k": "del", "ids": [f"e{s}"], "s": s, "by": 1, "c": s} for s in range(first, last + 1)]
    return LogRow(first, last, ts + first, msgpack.packb(ops))


def state(*ids: str) -> bytes:
    """A real checkpoint state (a Document with these rectangles), so layouts can be computed."""
    doc = Document(Limits())
    for i, id in enumerate(ids, 1):
        op: dict[str, Any] = {"k": "add", "c": i, "e": {"id": id, "type": "rect", "x": 0, "y": 0,
              "w": 1, "h": 1, "stroke": "#000000", "width": 1}}  # fmt: skip
        assert not isinstance(doc.apply(op, i), Exception)
    return bytes(msgpack.packb(doc.to_state()))


async def append_all(store: Store, board: str, *rows: LogRow) -> None:
    for r in rows:
        await store.append(board, r)


ROWS = (row(1, 3), row(4, 6), row(7, 7), row(8, 10))


# -- the log ---------------------------------------------------------------------------------------


async def test_rows_read_back_as_appended(store: Store) -> None:
    await append_all(store, "b", *ROWS)
    assert await store.read_log("b", 0) == list(ROWS)
    assert await store.head("b") == 10
    assert await store.read_log("b", 10) == []


async def test_a_row_straddling_after_is_returned_whole(store: Store) -> None:
    await append_all(store, "b", *ROWS)
    assert await store.read_log("b", 3) == list(ROWS[1:])
    assert await store.read_log("b", 4) == list(ROWS[1:]), "4-6 holds 5 and 6: whole"
    assert await store.read_log("b", 5) == list(ROWS[1:])
    assert await store.read_log("b", 6) == list(ROWS[2:])
    assert await store.read_log("b", 9) == [ROWS[3]]


async def test_upto_ends_with_the_row_that_holds_it(store: Store) -> None:
    await append_all(store, "b", *ROWS)
    assert await store.read_log("b", 0, 3) == [ROWS[0]]
    assert await store.read_log("b", 0, 4) == [ROWS[0], ROWS[1]]
    assert await store.read_log("b", 4, 5) == [ROWS[1]]
    assert await store.read_log("b", 3, 7) == [ROWS[1], ROWS[2]]
    assert await store.read_log("b", 6, 100) == list(ROWS[2:])
    assert await store.read_log("b", 0, 10) == list(ROWS)


async def test_pages_cover_max_ops_and_walk_the_whole_log(store: Store) -> None:
    await append_all(store, "b", *ROWS)
    assert await store.read_log_page("b", 0, 3) == [ROWS[0]]
    assert await store.read_log_page("b", 0, 4) == [ROWS[0], ROWS[1]]
    assert await store.read_log_page("b", 4, 1) == [ROWS[1]], "a page may start mid-row"
    assert await store.read_log_page("b", 6, 100) == list(ROWS[2:])
    assert await store.read_log_page("b", 10, 100) == []
    walked: list[LogRow] = []
    after = 0
    while page := await store.read_log_page("b", after, 2):
        walked += [r for r in page if r.last_seq > (walked[-1].last_seq if walked else 0)]
        after = page[-1].last_seq
    assert walked == list(ROWS)


async def test_unknown_board_is_empty_at_head_zero(store: Store) -> None:
    assert await store.head("nobody") == 0
    assert await store.read_log("nobody", 0) == []
    assert await store.read_log_page("nobody", 0, 100) == []
    assert await store.load("nobody") == LoadedBoard(checkpoint=None, rows=[], next_client_id=1)


async def test_heads_answers_each_board(store: Store) -> None:
    await append_all(store, "a", *ROWS[:2])
    await append_all(store, "b", ROWS[0])
    assert await store.heads(["a", "nobody", "b"]) == [6, 0, 3]
    assert await store.heads([]) == []


# -- conditional append ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stale", [row(3, 3), row(1, 1), row(2, 4), row(5, 5)], ids=["repeat", "old", "overlap", "hole"]
)
async def test_append_not_following_the_head_conflicts_and_stores_nothing(
    store: Store, stale: LogRow
) -> None:
    await append_all(store, "b", row(1, 3))
    with pytest.raises(StoreConflict):
        await store.append("b", stale, Checkpoint(stale.last_seq, state("x")))
    assert await store.head("b") == 3
    assert await store.read_log("b", 0) == [row(1, 3)]
    assert await store.checkpoint_at_or_before("b", 100) is None
    await store.append("b", row(4, 4))  # the right row still goes in
    assert await store.head("b") == 4


async def test_append_many_stores_each_row_on_its_own_board_and_refuses_only_the_stale(
    store: Store,
) -> None:
    """The live boards' scheduler hands a round's rows in one call: each answers for itself."""
    await append_all(store, "a", row(1, 2))
    rows = [("a", row(3, 4)), ("b", row(1, 1)), ("c", row(2, 2)), ("d", row(1, 3))]
    results = await store.append_many(rows)
    assert [type(r) for r in results] == [type(None), type(None), StoreConflict, type(None)]
    assert await store.read_log("a", 0) == [row(1, 2), row(3, 4)]
    assert await store.read_log("b", 0) == [row(1, 1)]
    assert await store.read_log("c", 0) == []
    assert await store.heads(["a", "b", "c", "d"]) == [4, 1, 0, 3]
    again = await store.append_many([("a", row(4, 4)), ("b", row(2, 2))])  # a is at 4 already
    assert isinstance(again[0], StoreConflict) and again[1] is None
    assert await store.heads(["a", "b"]) == [4, 2]


async def test_first_append_must_start_at_one(store: Store) -> None:
    with pytest.raises(StoreConflict):
        await store.append("b", row(2, 2))
    assert await store.head("b") == 0
    assert await store.read_log("b", 0) == []


async def test_conflicts_follow_a_copied_history_and_a_reopened_store(
    store: Store, kind: str, where: str
) -> None:
    assert await store.create_board_with_history("b", [], [row(1, 3), row(4, 4)], [])
    with pytest.raises(StoreConflict):
        await store.append("b", row(4, 4))
    await store.append("b", row(5, 6))
    await store.close()
    again = open_store(kind, where)  # the next process, or this one restarted
    await again.start()
    try:
        with pytest.raises(StoreConflict):
            await again.append("b", row(5, 6))
        await again.append("b", row(7, 7))
        assert await again.head("b") == 7
    finally:
        await again.close()


async def test_append_stores_its_checkpoint(store: Store) -> None:
    cp = Checkpoint(3, state("a", "b"))
    await store.append("b", row(1, 3), cp)
    assert await store.checkpoint_at_or_before("b", 3) == cp
    assert await store.checkpoint_layout("b", 3) == layout.compute(cp.state)


async def test_first_adds_of_deleted_ids_are_kept_beside_the_checkpoints(store: Store) -> None:
    """Checkpoints list live ids only; the first adds of deleted ids are recorded once each,
    with the checkpoint that first leaves them out, and read back up to a seq."""
    cp = Checkpoint(3, state("a"), firsts=(("x", 1), ("y", 2)))
    await store.append("b", row(1, 3), cp)
    await store.append("b", row(4, 6), Checkpoint(6, state("a"), firsts=(("z", 5), ("x", 1))))
    assert await store.first_adds("b", None, 6) == {"x": 1, "y": 2, "z": 5}
    assert await store.first_adds("b", ["x", "z", "never"], 6) == {"x": 1, "z": 5}
    assert await store.first_adds("b", ["x", "z"], 3) == {"x": 1}, "later ones are left out"
    assert await store.first_adds("other", None, 6) == {}
    loaded = await store.load("b")
    assert loaded.checkpoint is not None and dict(loaded.checkpoint.firsts) == {
        "x": 1, "y": 2, "z": 5,
    }  # fmt: skip


async def test_a_copied_history_keeps_its_checkpoints_first_adds(store: Store) -> None:
    cps = [Checkpoint(3, state("a"), firsts=(("gone", 2),))]
    assert await store.create_board_with_history("c", [], [row(1, 3)], cps)
    assert await store.first_adds("c", ["gone"], 3) == {"gone": 2}


# -- boards ----------------------------------------------------------------------------------------


async def test_create_board_once(store: Store) -> None:
    assert await store.create_board("b", None)
    assert not await store.create_board("b", None)
    assert not await store.create_board("b", "a-hash"), "no key put on an existing board"
    assert await store.head("b") == 0
    assert (await store.load("b")).key_hash is None
    assert await store.create_board("p", "the-hash")
    assert (await store.load("p")).key_hash == "the-hash"


async def test_create_board_refuses_a_board_with_ops(store: Store) -> None:
    await append_all(store, "b", row(1, 1))
    assert not await store.create_board("b", "a-hash")
    assert (await store.load("b")).key_hash is None


async def test_create_board_with_history_is_whole(store: Store) -> None:
    clients = [Client(1, "Ana", "#e03131"), Client(4, "Bo", "#1971c2")]
    rows = [row(1, 2), row(3, 5)]
    cps = [Checkpoint(2, state("a")), Checkpoint(5, state("a", "b"))]
    assert await store.create_board_with_history("b", clients, rows, cps)
    assert await store.read_log("b", 0) == rows
    assert await store.head("b") == 5
    assert await store.client_names("b") == {1: "Ana", 4: "Bo"}
    assert await store.checkpoint_at_or_before("b", 4) == cps[0]
    loaded = await store.load("b")
    assert (loaded.checkpoint, loaded.rows, loaded.next_client_id) == (cps[1], [], 5)


async def test_create_board_with_history_refused_writes_nothing(store: Store) -> None:
    assert await store.create_board_with_history("b", [Client(1, "Ana", "#e03131")], ROWS[:1], [])
    refused = await store.create_board_with_history(
        "b", [Client(2, "Eve", "#000000")], [row(1, 6)], [Checkpoint(6, state("z"))]
    )
    assert not refused
    assert await store.read_log("b", 0) == [ROWS[0]]
    assert await store.client_names("b") == {1: "Ana"}
    assert await store.checkpoint_at_or_before("b", 100) is None
    # A board with clients but no ops is taken too.
    await store.add_client("c", Client(1, "Ana", "#e03131"))
    assert not await store.create_board_with_history("c", [], [row(1, 1)], [])
    assert await store.read_log("c", 0) == []


# -- checkpoints -----------------------------------------------------------------------------------


async def test_checkpoint_at_or_before(store: Store) -> None:
    await append_all(store, "b", row(1, 10), row(11, 20))
    ten, twenty = Checkpoint(10, state("a")), Checkpoint(20, state("a", "b"))
    await store.save_checkpoint("b", ten)
    await store.save_checkpoint("b", twenty)
    assert await store.checkpoint_at_or_before("b", 9) is None
    assert await store.checkpoint_at_or_before("b", 10) == ten
    assert await store.checkpoint_at_or_before("b", 15) == ten
    assert await store.checkpoint_at_or_before("b", 20) == twenty
    assert await store.checkpoint_at_or_before("b", 1000) == twenty
    assert await store.checkpoint_at_or_before("nobody", 1000) is None


async def test_checkpoint_layout_describes_the_stored_state(store: Store) -> None:
    await store.save_checkpoint("b", Checkpoint(10, state("a"), layout=b"as-the-writer-knew-it"))
    await store.save_checkpoint("b", Checkpoint(20, state("a", "b")))
    assert await store.checkpoint_layout("b", 10) == b"as-the-writer-knew-it"
    assert await store.checkpoint_layout("b", 20) == layout.compute(state("a", "b"))
    assert await store.checkpoint_layout("b", 15) is None, "only at a checkpoint's seq"
    # A replaced state that cannot be indexed takes the old layout with it.
    await store.save_checkpoint("b", Checkpoint(10, b"not a state"))
    assert await store.checkpoint_at_or_before("b", 10) == Checkpoint(10, b"not a state")
    assert await store.checkpoint_layout("b", 10) is None


async def test_load_is_the_latest_checkpoint_and_the_rows_after_it(store: Store) -> None:
    await append_all(store, "b", row(1, 2), row(3, 4), row(5, 7), row(8, 8))
    await store.save_checkpoint("b", Checkpoint(2, state("a")))
    await store.save_checkpoint("b", Checkpoint(6, state("a", "b")))
    loaded = await store.load("b")
    assert loaded.checkpoint == Checkpoint(6, state("a", "b"))
    assert loaded.rows == [row(5, 7), row(8, 8)], "5-7 holds 7: whole"
    assert loaded.key_hash is None


# -- clients ---------------------------------------------------------------------------------------


async def test_client_names_all_or_some(store: Store) -> None:
    for c in (Client(1, "Ana", "#e03131"), Client(2, "Bo", "#1971c2"), Client(5, "Cy", "#2f9e44")):
        await store.add_client("b", c)
    await store.add_client("other", Client(1, "Dee", "#000000"))
    assert await store.client_names("b") == {1: "Ana", 2: "Bo", 5: "Cy"}
    assert await store.client_names("b", [5, 2, 7, 2]) == {2: "Bo", 5: "Cy"}
    assert await store.client_names("b", []) == {}
    assert await store.client_names("nobody") == {}


async def test_client_names_of_many_ids(store: Store) -> None:
    clients = [Client(i, f"n{i}", "#000000") for i in range(1, 1201)]
    assert await store.create_board_with_history("b", clients, [], [])
    assert await store.client_names("b", list(range(0, 1300))) == {
        i: f"n{i}" for i in range(1, 1201)
    }


async def test_reserved_client_ids_are_never_given_again(
    store: Store, kind: str, where: str
) -> None:
    """A connection's id is durable before its welcome, though its row waits for its first
    op: a reserved id is above every later answer, after a reopen too."""
    await store.reserve_client_id("b", 7)
    await store.reserve_client_id("b", 5)  # never backwards
    assert (await store.load("b")).next_client_id == 8
    assert await store.client_names("b") == {}, "a reservation is not a client row"
    await store.close()
    again = open_store(kind, where)
    await again.start()
    try:
        assert (await again.load("b")).next_client_id == 8
        assert await again.next_client_id("b") == 8
        assert (await again.load("b")).next_client_id == 9
    finally:
        await again.close()


async def test_client_ids_are_never_reused(store: Store, kind: str, where: str) -> None:
    assert await store.create_board_with_history("b", [Client(3, "Ana", "#e03131")], [], [])
    assert (await store.load("b")).next_client_id == 4
    given = [await store.next_client_id("b") for _ in range(3)]
    assert given == sorted(set(given)) and given[0] > 3
    for cid in given:
        await store.add_client("b", Client(cid, "x", "#000000"))
    assert (await store.load("b")).next_client_id == given[-1] + 1
    assert await store.next_client_id("fresh") == 1
    await store.close()
    again = open_store(kind, where)
    await again.start()
    try:
        assert await again.next_client_id("b") > given[-1]
    finally:
        await again.close()
