"""A server started without ``--admin-token`` or ``--admins`` has no administrator: its admin
API must say how to get one, not ask for a token nobody can have (issue 17)."""

from __future__ import annotations

import json

import pytest

from tests.server.conftest import fetch

pytestmark = pytest.mark.gen_test(timeout=30)


async def test_the_admin_api_says_how_to_get_an_administrator(url: str) -> None:
    resp = await fetch(url, "/api/admin/boards")
    error = json.loads(resp.body)["error"]
    assert resp.code == 401 and "no administrator" in error and "--admin-token" in error
    resp = await fetch(url, "/api/admin/boards", headers={"Authorization": "Bearer guess"})
    assert resp.code == 403
