"""Sign-in through a real OpenID Connect provider (``tests/oidc/provider.mjs``), owners and
sharing, in Chromium: Ann owns a board and shares it view-only with Bob (he watches and
replays, every op is refused), makes him an editor (he draws), replaces the edit link (an
anonymous holder of the old one is refused); Bob's session cookie is refused once tampered
with, and after he signs out even as it was. Then Carol, an admin by ``--admins``, deletes the
board on the admin page with her session alone (410 for everyone) and restores it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Server, drag, wait_connected, wait_synced, wait_until
from playwright.sync_api import BrowserContext, Page, expect

from tests.oidc.fixture import OidcProvider, free_port
from tests.server.wsclient import WsClient

RECT = {"id": "r1", "type": "rect", "x": 0, "y": 0, "w": 10, "h": 10, "stroke": "#000000",
        "width": 2}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    provider = OidcProvider(public + "/auth/callback").start()
    server = Server(
        tmp_path_factory.mktemp("signin"),
        *provider.server_args(public),
        "--admins",
        "carol@example.com",
    )
    server.port = port
    try:
        yield server.start()
    finally:
        server.stop()
        provider.stop()


def sign_in(ctx: BrowserContext, site: Server, who: str) -> Page:
    """Through the provider's own login form, as a person would."""
    page = ctx.new_page()
    page.goto(f"{site.url}/auth/login?next=/")
    page.fill("input[name=login]", who)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/")
    return page


def session_cookie(ctx: BrowserContext) -> str:
    return next(c["value"] for c in ctx.cookies() if c["name"] == "wb_session")


def get(site: Server, path: str, cookie: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(site.url + path, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def joined(site: Server, board: str, cookie: str = "", key: str | None = None) -> WsClient:
    ws = WsClient.connect(site.url, f"/ws/{board}", cookie=cookie)
    hello: dict[str, Any] = {"t": "hello", "v": 1, "name": "raw client"}
    if key is not None:
        hello["key"] = key
    ws.send(hello)
    return ws


def welcome(ws: WsClient) -> dict[str, Any]:
    msg = ws.recv()
    assert msg is not None and msg["t"] == "welcome", msg
    return msg


def test_owner_shares_with_a_viewer_then_an_editor_and_replaces_the_link(
    people: Any, site: Server, test_app: Path
) -> None:
    ann_ctx, bob_ctx, anon_ctx = people(), people(), people()
    ann = sign_in(ann_ctx, site, "ann")
    expect(ann.get_by_test_id("signed-in-as")).to_have_text("Ann Owner")  # on the start page
    made = ann.evaluate(
        "fetch('/api/boards', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: '{}'}).then(r => r.json())"
    )
    board, old_key = made["board"], made["key"]
    ann.goto(f"{site.url}/b/{board}#key={old_key}")
    wait_connected(ann)
    expect(ann.get_by_test_id("signed-in-as")).to_have_text("Ann Owner")

    # Ann: nobody without a share may open it; Bob may watch.
    ann.click(".share-button")
    ann.get_by_role("button", name="Manage access…").click()
    dialog = ann.get_by_test_id("access-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("link-access").select_option("none")
    dialog.get_by_test_id("share-email").fill("bob@example.com")
    dialog.get_by_test_id("share-role").select_option("view")
    dialog.get_by_test_id("share-add").click()
    expect(dialog.locator("li[data-email='bob@example.com']")).to_be_visible()
    assert get(site, f"/api/boards/{board}")[0] == 401, "anonymous readers are refused"

    # Bob watches: signed-in name, read-only, every op refused by the server; history readable.
    bob = sign_in(bob_ctx, site, "bob")
    bob.goto(f"{site.url}/b/{board}")
    wait_connected(bob)
    expect(bob.get_by_test_id("view-only")).to_be_visible()
    bob_cookie = f"wb_session={session_cookie(bob_ctx)}"
    ws = joined(site, board, bob_cookie)
    hello = welcome(ws)
    assert hello["readonly"] is True
    names = {p["name"] for p in hello["peers"]}
    assert {"Ann Owner", "Bob Guest"} <= names, names
    ws.send({"t": "ops", "ops": [{"k": "add", "c": 1, "e": RECT}]})
    refused = ws.recv()
    assert refused is not None and (refused["t"], refused["code"]) == ("err", "read_only")
    ws.close()
    assert get(site, f"/api/boards/{board}/ops", bob_cookie)[0] == 200, "Bob can replay"

    # Ann makes Bob an editor: his open board turns editable, and he draws.
    dialog.locator("li[data-email='bob@example.com'] select").select_option("edit")
    expect(bob.get_by_test_id("view-only")).to_be_hidden(timeout=10_000)
    wait_connected(bob)
    bob.keyboard.press("r")
    drag(bob, (400, 300), (500, 380), steps=3)
    wait_synced(bob)
    wait_until(
        lambda: len(get(site, f"/api/boards/{board}", bob_cookie)[1]["elements"]) == 1,
        what="Bob's rectangle on the server",
    )

    # Ann replaces the edit link: an anonymous holder of the old one is refused at once.
    dialog.get_by_test_id("rotate-link").click()
    expect(dialog.locator(".access-note")).to_have_text(
        "New edit link made: the old one no longer works."
    )
    wait_until(lambda: "#key=" in ann.url and old_key not in ann.url, what="the new key")
    anon = anon_ctx.new_page()
    anon.goto(f"{site.url}/b/{board}#key={old_key}")
    anon.wait_for_function("() => window.__wb && window.__wb.status() === 'stopped'")
    old = joined(site, board, key=old_key)
    assert old.expect_close() == 1008
    assert "sign in" in old.close_reason
    new_key = ann.url.split("#key=")[1]
    fresh = joined(site, board, key=new_key)
    assert welcome(fresh)["readonly"] is False, "the new edit link edits"
    fresh.close()

    # Bob's cookie: tampered, it is nobody; after signing out, it is nobody either.
    assert get(site, "/api/me", bob_cookie)[1]["user"]["email"] == "bob@example.com"
    forged = bob_cookie[:-3] + ("AAA" if not bob_cookie.endswith("AAA") else "BBB")
    assert get(site, "/api/me", forged)[1]["user"] is None
    bob.get_by_test_id("sign-out").click()
    bob.wait_for_url(f"{site.url}/")
    assert get(site, "/api/me", bob_cookie)[1]["user"] is None, "a signed-out cookie is dead"
    again = joined(site, board, bob_cookie)
    assert again.expect_close() == 1008

    # Carol (--admins) deletes the board on /admin with her session, no token: 410 for all.
    carol = sign_in(people(), site, "carol")
    carol.goto(f"{site.url}/admin")
    listed = carol.locator(f"tr[data-board='{board}']")
    expect(listed).to_contain_text("ann@example.com")  # the owner, in the listing
    listed.get_by_role("button", name="Delete").click()
    listed.get_by_role("button", name="Restore").wait_for()
    ann_cookie = f"wb_session={session_cookie(ann_ctx)}"
    for cookie in (ann_cookie, ""):
        assert get(site, f"/api/boards/{board}", cookie)[0] == 410, "deleted for everyone"
    ann.goto(f"{site.url}/b/{board}")
    expect(ann.locator("body")).to_contain_text("was deleted by its owner or an administrator")
    gone = joined(site, board, ann_cookie)
    assert gone.expect_close() == 1008

    # Restored: the owner opens it again, with what was drawn.
    listed.get_by_role("button", name="Restore").click()
    listed.get_by_role("button", name="Delete").wait_for()
    code, body = get(site, f"/api/boards/{board}", ann_cookie)
    assert code == 200 and len(body["elements"]) == 1
    ann.goto(f"{site.url}/b/{board}")
    wait_connected(ann)

    # Ann deletes it herself from the Share dialog (after a confirmation): 410 for everyone,
    # and the deleted board's page offers her, and only her, to restore it.
    ann.click(".share-button")
    ann.get_by_role("button", name="Manage access…").click()
    ann.once("dialog", lambda confirm: confirm.accept())
    ann.get_by_test_id("access-dialog").get_by_test_id("delete-board").click()
    restore = ann.get_by_test_id("restore-board")
    expect(restore).to_have_text("Restore this board")
    assert get(site, f"/api/boards/{board}", "")[0] == 410, "deleted for everyone"
    other = sign_in(people(), site, "bob")
    other.goto(f"{site.url}/b/{board}")
    expect(other.locator("body")).to_contain_text("was deleted")
    expect(other.get_by_test_id("restore-board")).to_have_count(0)
    restore.click()
    wait_connected(ann)
    code, body = get(site, f"/api/boards/{board}", ann_cookie)
    assert code == 200 and len(body["elements"]) == 1
