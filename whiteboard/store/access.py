"""Who may do what on a board when sign-in is on, and who is signed in: data only.

A board created by a signed-in person has a ``BoardAccess`` (its owner, what the plain link
grants, the people it is shared with, and how many times its edit link was replaced). Boards
without one are the anonymous boards of a server without sign-in, and behave as before. The
policy that turns this data into a role lives in ``web/auth/policy.py``: the store only keeps it.

A ``Login`` is one signed-in browser: the session cookie holds only a random id, and the data
lives here so that signing out (deleting it) makes the cookie worthless in every process.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

ROLES = ("edit", "view")
LINK_ACCESS = ("edit", "view", "none")


@dataclass
class BoardAccess:
    owner: str  # the owner's e-mail, lower case
    link: str = "view"  # what the plain link (without the edit key) grants: LINK_ACCESS
    shares: dict[str, str] = field(default_factory=dict)  # e-mail -> "edit" | "view"
    key_gen: int = 1  # bumped each time the edit link is replaced

    def to_json(self) -> str:
        return json.dumps(
            {"owner": self.owner, "link": self.link, "shares": self.shares, "gen": self.key_gen},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BoardAccess:
        raw = json.loads(text)
        return cls(raw["owner"], raw["link"], dict(raw["shares"]), int(raw["gen"]))


@dataclass(frozen=True)
class Login:
    email: str
    name: str
    expires: int  # seconds since the epoch


class AccessStore(ABC):
    """The part of ``Store`` that keeps access data and logins (both stores implement it;
    ``tests/store/test_access_contract.py`` holds them to it)."""

    @abstractmethod
    async def get_access(self, board: str) -> BoardAccess | None:
        """The board's access data; None for a board nobody owns."""

    @abstractmethod
    async def put_access(self, board: str, access: BoardAccess) -> None:
        """Replace the board's access data."""

    @abstractmethod
    async def set_key_hash(self, board: str, key_hash: str | None) -> None:
        """Replace the board's edit key (a rotated edit link): the old one stops at once for
        every new connection, in every process."""

    @abstractmethod
    async def key_hash(self, board: str) -> str | None:
        """The board's current edit key hash, as stored (a live board's copy may be older
        when another process replaced the key)."""

    @abstractmethod
    async def put_login(self, sid: str, login: Login) -> None: ...

    @abstractmethod
    async def get_login(self, sid: str, now: int) -> Login | None:
        """The login of that id, or None when unknown, signed out or expired at ``now``."""

    @abstractmethod
    async def delete_login(self, sid: str) -> None:
        """Sign out: the id is worthless from now on."""
