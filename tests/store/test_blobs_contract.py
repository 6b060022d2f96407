"""The store contract for blobs (images), run against SQLite and Redis like the rest of it:
stored once by name, the board's total kept in the same step as the write, one board's blobs
invisible to another, the names loaded with the board, and all-or-nothing with a new board."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from tests.store.conftest import open_store
from tests.store.test_contract import ROWS
from whiteboard.store.base import Blob, BlobPut, Client, Store

pytestmark = pytest.mark.gen_test(timeout=30)


def blob(data: bytes, kind: str = "image/png") -> tuple[str, Blob]:
    return hashlib.sha256(data).hexdigest(), Blob(kind, data)


A = blob(b"a" * 100)
B = blob(b"b" * 300, "image/jpeg")


async def test_a_blob_is_stored_once_and_read_back(store: Store) -> None:
    assert await store.put_blob("b", *A, max_total=1000) == (BlobPut.STORED, 100)
    assert await store.put_blob("b", *A, max_total=1000) == (BlobPut.EXISTS, 100)
    assert await store.get_blob("b", A[0]) == A[1]
    assert await store.blob_names("b") == {A[0]}
    assert await store.blob_total("b") == 100
    assert await store.get_blob("b", B[0]) is None


async def test_the_boards_total_bounds_what_it_stores(store: Store) -> None:
    await store.put_blob("b", *A, max_total=350)
    assert await store.put_blob("b", *B, max_total=350) == (BlobPut.FULL, 100)
    assert await store.blob_names("b") == {A[0]} and await store.blob_total("b") == 100
    assert await store.get_blob("b", B[0]) is None
    assert await store.put_blob("b", *B, max_total=400) == (BlobPut.STORED, 400)


async def test_racing_puts_cannot_both_pass_the_total(store: Store) -> None:
    blobs = [blob(bytes([i]) * 100) for i in range(6)]
    results = await asyncio.gather(*(store.put_blob("b", *x, max_total=350) for x in blobs))
    outcomes = [r for r, _ in results]
    assert outcomes.count(BlobPut.STORED) == 3 and outcomes.count(BlobPut.FULL) == 3
    assert await store.blob_total("b") == 300


async def test_blobs_belong_to_one_board(store: Store) -> None:
    await store.put_blob("b", *A, max_total=1000)
    assert await store.get_blob("other", A[0]) is None
    assert await store.blob_names("other") == set() and await store.blob_total("other") == 0
    await store.put_blob("other", *A, max_total=1000)
    assert await store.blob_total("other") == 100 and await store.blob_total("b") == 100


async def test_many_are_read_at_once(store: Store) -> None:
    await store.put_blob("b", *A, max_total=1000)
    await store.put_blob("b", *B, max_total=1000)
    found = await store.get_blobs("b", [A[0], B[0], "0" * 64])
    assert found == {A[0]: A[1], B[0]: B[1]}
    assert await store.get_blobs("b", []) == {}


async def test_a_loaded_board_knows_its_blobs(store: Store) -> None:
    await store.append("b", ROWS[0])
    await store.put_blob("b", *A, max_total=1000)
    assert (await store.load("b")).blobs == {A[0]}
    assert (await store.load("never")).blobs == set()


async def test_a_new_board_gets_its_blobs_with_its_log(store: Store) -> None:
    clients = [Client(1, "x", "#000000")]
    assert await store.create_board_with_history("new", clients, [ROWS[0]], [], {A[0]: A[1]})
    assert await store.get_blob("new", A[0]) == A[1]
    assert await store.blob_total("new") == 100
    # Refused (the id has a log): none of it lands, blobs included.
    assert not await store.create_board_with_history("new", clients, [ROWS[0]], [], dict([B]))
    assert await store.blob_names("new") == {A[0]}


async def test_blobs_outlive_the_process(store: Store, kind: str, where: str) -> None:
    await store.put_blob("b", *A, max_total=1000)
    await store.close()
    again = open_store(kind, where)
    await again.start()
    try:
        assert await again.get_blob("b", A[0]) == A[1]
        assert await again.blob_total("b") == 100
    finally:
        await again.close()
