"""Sign-in and sharing over plain HTTP against a real OpenID provider (``tests/oidc/``): the
refusals each route promises (docs/protocol.md, "Sign-in, owners and sharing"), ``--create``,
and the sign-in callback's refusals, with no exception in the server's log. The browser flow is
``tests/e2e/test_signin.py``."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.oidc.fixture import OidcProvider, free_port
from tests.server.subprocess_server import ServerProcess
from tests.server.wsclient import WsClient


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def running_site(data: str, *extra: str) -> Iterator[ServerProcess]:
    """The provider and a server signing in through it (``extra``: more flags, e.g. Redis)."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    provider = OidcProvider(public + "/auth/callback").start()
    server = ServerProcess(
        data, "--port", str(port), *provider.server_args(public),
        "--create", "signed-in", "--admins", "carol@example.com", *extra,
    )  # fmt: skip
    try:
        yield server.start()
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.terminate()
            server.wait()
        provider.stop()
    assert "Traceback" not in server.output(), server.output()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from running_site(str(tmp_path_factory.mktemp("signin")))


class Browser:
    """A cookie jar and the requests a browser would make (no JavaScript needed to sign in)."""

    def __init__(self, site: ServerProcess) -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def sign_in(self, who: str) -> Browser:
        with self.opener.open(self.site.url + "/auth/login?next=/", timeout=10) as r:
            page, at = r.read().decode(), r.url
        action = re.search(r'action="([^"]+)"', page)
        assert action, page
        form = urllib.parse.urlencode({"prompt": "login", "login": who, "password": "x"})
        target = urllib.parse.urljoin(at, action.group(1))
        with self.opener.open(target, form.encode(), timeout=10) as r:
            assert r.url == self.site.url + "/", r.url
        return self

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.site.url + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )  # fmt: skip
        try:
            with self.opener.open(request, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read())


def test_me_says_who_is_signed_in(site: ServerProcess) -> None:
    assert Browser(site).call("GET", "/api/me") == (200, {"sign_in": True, "user": None})
    ann = Browser(site).sign_in("ann")
    me = ann.call("GET", "/api/me")[1]["user"]
    assert me == {"email": "ann@example.com", "name": "Ann Owner", "admin": False}
    assert Browser(site).sign_in("carol").call("GET", "/api/me")[1]["user"]["admin"] is True


def test_create_signed_in_refuses_anonymous_creations(site: ServerProcess) -> None:
    status, body = Browser(site).call("POST", "/api/boards", {})
    assert status == 401 and "Sign in" in body["error"]
    status, body = Browser(site).sign_in("bob").call("POST", "/api/boards", {})
    assert status == 201 and body["key"]


def test_sharing_refusals_and_roles(site: ServerProcess) -> None:
    ann, bob, anon = Browser(site).sign_in("ann"), Browser(site).sign_in("bob"), Browser(site)
    carol = Browser(site).sign_in("carol")  # an admin
    board = bob.call("POST", "/api/boards", {"protected": True})[1]["board"]
    access = f"/api/boards/{board}/access"
    assert bob.call("GET", access)[1] == {
        "role": "owner", "owner": "bob@example.com", "link": "view", "shares": [], "key_gen": 1,
    }  # fmt: skip
    assert carol.call("GET", access)[1]["role"] == "owner", "an admin manages every board"
    for bad in ([], {"link": "everyone"}, {"shares": []}, {"shares": {"not an e-mail": "edit"}},
                {"shares": {"c@example.com": "admin"}}, {"owner": "c@example.com"}):  # fmt: skip
        status, body = bob.call("PUT", access, bad)
        assert status == 400 and body["error"], bad
    assert anon.call("PUT", access, {"link": "edit"})[0] == 401
    assert anon.call("GET", access)[1]["role"] == "view", "the plain link of a protected board"
    assert bob.call("PUT", access, {"link": "none"})[0] == 200
    status, body = anon.call("GET", f"/api/boards/{board}")
    assert status == 401 and "sign in" in body["error"]
    status, body = ann.call("GET", f"/api/boards/{board}/ops")
    assert status == 403 and "ann@example.com" in body["error"]
    assert bob.call("PUT", access, {"shares": {"Ann@Example.com": "view"}})[0] == 200
    assert ann.call("GET", f"/api/boards/{board}")[0] == 200
    assert ann.call("PUT", access, {"link": "edit"})[0] == 403
    assert ann.call("POST", access + "/rotate")[0] == 403
    status, body = bob.call("POST", access + "/rotate")
    assert status == 200 and body["key_gen"] == 2 and body["key"]


def test_the_owner_deletes_and_restores_the_board(site: ServerProcess) -> None:
    """An owner moves the board to the trash and takes it out again; a viewer or an anonymous
    visitor may do neither, and while it is deleted only the restore route answers."""
    bob, ann, anon = Browser(site).sign_in("bob"), Browser(site).sign_in("ann"), Browser(site)
    board = bob.call("POST", "/api/boards", {})[1]["board"]
    assert (
        bob.call("PUT", f"/api/boards/{board}/access", {"shares": {"ann@example.com": "view"}})[0]
        == 200
    )
    status, body = ann.call("POST", f"/api/boards/{board}/delete")
    assert status == 403 and "owner" in body["error"]
    assert anon.call("POST", f"/api/boards/{board}/delete")[0] == 401
    assert bob.call("POST", f"/api/boards/{board}/delete") == (204, None)
    for who in (bob, ann, anon):
        status, body = who.call("GET", f"/api/boards/{board}")
        assert status == 410 and "deleted" in body["error"]
    assert ann.call("POST", f"/api/boards/{board}/restore")[0] == 403
    assert bob.call("POST", f"/api/boards/{board}/restore") == (204, None)
    assert ann.call("GET", f"/api/boards/{board}")[0] == 200


def test_the_callback_refuses_what_it_did_not_start(site: ServerProcess) -> None:
    plain = Browser(site)
    with pytest.raises(urllib.error.HTTPError) as refused:
        plain.opener.open(site.url + "/auth/callback?code=x&state=y", timeout=10)
    with refused.value:
        assert refused.value.code == 400 and b"Sign-in expired" in refused.value.read()
    jar = http.cookiejar.CookieJar()
    started = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    with pytest.raises(urllib.error.HTTPError) as away:
        started.open(site.url + "/auth/login?next=//evil.example/", timeout=10)
    away.value.close()
    assert away.value.code == 302, "off to the provider, with the sign-in's cookie"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(away.value.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    with pytest.raises(urllib.error.HTTPError) as wrong:
        started.open(site.url + "/auth/callback?code=x&state=not-it", timeout=10)
    with wrong.value:
        assert wrong.value.code == 400 and b"does not match" in wrong.value.read()


def test_without_sign_in_nothing_changes(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path)).start()
    try:
        plain = Browser(server)
        assert plain.call("GET", "/api/me") == (200, {"sign_in": False})
        board = plain.call("POST", "/api/boards", {})[1]["board"]
        status, body = plain.call("GET", f"/api/boards/{board}/access")
        assert status == 404 and "Sign-in is off" in body["error"]
        with pytest.raises(urllib.error.HTTPError) as off:
            plain.opener.open(server.url + "/auth/login", timeout=10)
        off.value.close()
        assert off.value.code == 404
    finally:
        server.terminate()
        server.wait()


def test_a_replaced_edit_link_turns_its_open_connections_read_only(site: ServerProcess) -> None:
    bob = Browser(site).sign_in("bob")
    made = bob.call("POST", "/api/boards", {"protected": True})[1]
    board, key = made["board"], made["key"]

    def join() -> tuple[WsClient, dict[str, Any]]:
        ws = WsClient.connect(site.url, f"/ws/{board}")
        ws.send({"t": "hello", "v": 1, "name": "holder of the link", "key": key})
        welcome = ws.recv()
        assert welcome is not None and welcome["t"] == "welcome", welcome
        return ws, welcome

    holder, welcome = join()
    assert welcome["readonly"] is False
    assert bob.call("POST", f"/api/boards/{board}/access/rotate")[0] == 200
    assert holder.expect_close() == 1013, "closed so that it joins again under the new key"
    again, welcome = join()
    assert welcome["readonly"] is True, "the old key now only watches (link access: view)"
    again.close()
