"""Who may do what on an owned board (``web/auth/policy.py``), and where sign-in may send a
browser back to (``routes.safe_next``): pure rules, checked case by case."""

from __future__ import annotations

import pytest

from whiteboard.store.access import BoardAccess
from whiteboard.web.auth.policy import role_on
from whiteboard.web.auth.routes import safe_next
from whiteboard.web.auth.session import User

ANN, BOB = User("ann@example.com", "Ann"), User("bob@example.com", "Bob")


@pytest.mark.parametrize(
    ("link", "shares", "user", "admin", "key_ok", "role"),
    [
        ("none", {}, ANN, False, False, "owner"),
        ("none", {}, BOB, True, False, "owner"),
        ("none", {}, BOB, False, False, "none"),
        ("none", {}, None, False, False, "none"),
        ("none", {}, None, False, True, "edit"),
        ("none", {"bob@example.com": "view"}, BOB, False, False, "view"),
        ("none", {"bob@example.com": "view"}, BOB, False, True, "edit"),
        ("edit", {"bob@example.com": "view"}, BOB, False, False, "edit"),
        ("view", {"bob@example.com": "edit"}, BOB, False, False, "edit"),
        ("view", {}, None, False, False, "view"),
    ],
)
def test_the_strongest_role_wins(
    link: str, shares: dict[str, str], user: User | None, admin: bool, key_ok: bool, role: str
) -> None:
    access = BoardAccess("ann@example.com", link, shares)
    assert role_on(access, user, admin=admin, key_ok=key_ok) == role


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("/b/x?at=3", "/b/x?at=3"), ("//evil.example/", "/"), ("https://evil.example/", "/"),
     ("/\\\\evil.example", "/"), ("", "/"), (None, "/")],
)  # fmt: skip
def test_sign_in_only_returns_to_this_site(raw: str | None, safe: str) -> None:
    assert safe_next(raw) == safe
