"""What a store keeps about a board beside its log: title, deletion, and the admin's listing.

Kept apart from ``base.py`` because access control (owners, sharing) adds its own tables and
keys next to these: each concern in its own module (``meta_sql.py``, ``redis_meta.py``).
Times are milliseconds since the epoch, like the ``ts`` of ops.

The listing is ordered newest activity first. Its cursor (``after``, the ``next`` of the page
before) is ``"<active>:<board>"``, the sort key of the last board shown, so a page never repeats
or skips a board that did not change meanwhile, without the store keeping any state per reader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

TITLE_CHARS = 200


@dataclass(frozen=True)
class BoardSummary:
    """One board as the admin list shows it (``elements`` is counted by the caller: it
    needs the board's state, which the store does not compute)."""

    board: str
    title: str | None
    owner: str | None
    created: int | None
    active: int
    seq: int
    bytes: int
    blobs: int
    protected: bool
    deleted: int | None

    def sort_key(self) -> tuple[int, str]:
        return (-self.active, self.board)

    def cursor(self) -> str:
        return f"{self.active}:{self.board}"


def parse_cursor(after: str) -> tuple[int, str]:
    """The sort key a cursor names; ``ValueError`` for anything a page never gave out."""
    active, sep, board = after.partition(":")
    if not sep or not board or not active.isdigit():
        raise ValueError(after)
    return (-int(active), board)


def matches(summary: BoardSummary, q: str) -> bool:
    """``q`` found in the id, the title or the owner, ignoring case."""
    needle = q.casefold()
    return any(
        needle in (text or "").casefold() for text in (summary.board, summary.title, summary.owner)
    )


def select(
    found: list[BoardSummary], q: str, after: str | None, limit: int | None
) -> tuple[list[BoardSummary], str | None]:
    """The page of ``found`` for ``q`` after the cursor, and the next page's cursor (None at
    the end). Pure: both stores list their boards, then page them here."""
    rows = sorted((s for s in found if not q or matches(s, q)), key=BoardSummary.sort_key)
    if after is not None:
        start = parse_cursor(after)
        rows = [s for s in rows if s.sort_key() > start]
    if limit is None or len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, page[-1].cursor()


def with_sizes(page: list[BoardSummary], sizes: dict[str, tuple[int, int]]) -> list[BoardSummary]:
    """The page with each board's (bytes, blobs), measured for the page only (costly)."""
    return [replace(s, bytes=sizes[s.board][0], blobs=sizes[s.board][1]) for s in page]


class BoardMeta(ABC):
    """Titles, soft deletion, purge and the listing: the part of ``Store`` admins use."""

    @abstractmethod
    async def board_title(self, board: str) -> str | None: ...

    @abstractmethod
    async def set_title(self, board: str, title: str | None) -> None:
        """Store the title (None removes it); the board need not have ops yet."""

    @abstractmethod
    async def deleted_at(self, board: str) -> int | None:
        """When the board was soft-deleted, or None if it is not."""

    @abstractmethod
    async def set_deleted(self, board: str, at: int | None) -> bool:
        """Soft-delete (``at``) or restore (None) a board; False when no such board exists."""

    @abstractmethod
    async def purge_board(self, board: str) -> bool:
        """Remove every trace of the board (log, checkpoints, clients, pictures, title), as if
        it never existed; False when there was nothing."""

    @abstractmethod
    async def list_boards(
        self, q: str = "", after: str | None = None, limit: int | None = None
    ) -> tuple[list[BoardSummary], str | None]:
        """Boards matching ``q``, newest activity first, and the next page's cursor."""

    async def board_summary(self, board: str) -> BoardSummary | None:
        """One board's summary, or None when it does not exist."""
        found, _ = await self.list_boards(q=board)
        return next((s for s in found if s.board == board), None)
