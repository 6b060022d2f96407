"""The admin page in Chromium, with SQLite and with Redis (issue 17): an admin lists and
searches boards, soft-deletes one (the person on it is cut off, the link answers 410),
restores it, purges it; the retention rule's deletions show on the page. And embedding: a page
on a site listed in --frame-ancestors shows a board in an iframe, another site's cannot."""

from __future__ import annotations

import html
import http.server
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import ROOT, Server, open_board, wait_until
from playwright.sync_api import BrowserContext, Page

sys.path.insert(0, str(ROOT))
from tests.redis.redis_server import REDIS_SERVER, RedisServer

TOKEN = "e2e-admin-token"
MODES = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.skipif(REDIS_SERVER is None, reason="no redis-server")),
]


def start(tmp: pytest.TempPathFactory, mode: str, *args: str) -> tuple[Server, RedisServer | None]:
    redis = RedisServer(tmp.mktemp("redis")) if mode == "redis" else None
    extra = ("--redis", redis.url, "--redis-volatile") if redis else ()
    return Server(Path(tmp.mktemp("data")), *extra, *args).start(), redis


class EmbeddingSite:
    """Another site (another origin: another port) whose page holds ``?src=`` in an iframe.
    A real server on 127.0.0.1: Chromium refuses frames of a local address in pages it
    cannot place on the local network (a page answered by Playwright's router)."""

    def __init__(self) -> None:
        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                src = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["src"][0]
                body = (
                    "<!doctype html><title>LMS</title>"
                    f'<iframe src="{html.escape(src)}" width="800" height="600"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[EmbeddingSite, EmbeddingSite]]:
    listed, unlisted = EmbeddingSite(), EmbeddingSite()
    yield listed, unlisted
    listed.close()
    unlisted.close()


@pytest.fixture(scope="module", params=MODES)
def admin_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sites: tuple[EmbeddingSite, EmbeddingSite],
) -> Iterator[Server]:
    server, redis = start(
        tmp_path_factory, request.param, "--admin-token", TOKEN,
        "--frame-ancestors", sites[0].origin,
    )  # fmt: skip
    yield server
    server.stop()
    if redis:
        redis.stop()
    assert "Traceback" not in "".join(server.log), "".join(server.log)


def status(server: Server, path: str) -> int:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def open_admin(ctx: BrowserContext, server: Server) -> Page:
    page = ctx.new_page()
    page.goto(f"{server.url}/admin")
    page.get_by_test_id("admin-token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    page.get_by_test_id("admin-boards").wait_for()
    return page


def row(page: Page, board: str):  # type: ignore[no-untyped-def]
    return page.locator(f"tr[data-board='{board}']")


def draw_something(page: Page) -> None:
    page.get_by_role("button", name="Rectangle").first.click()
    page.mouse.move(300, 300)
    page.mouse.down()
    page.mouse.move(400, 380, steps=5)
    page.mouse.up()


def test_admin_page_lists_searches_deletes_restores_and_purges(
    admin_server: Server, people: Callable[[], BrowserContext]
) -> None:
    server = admin_server
    created = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                server.url + "/api/boards", data=b'{"title": "Team retro"}', method="POST"
            ),
            timeout=10,
        ).read()
    )
    board = created["board"]
    visitor = open_board(people(), server, board, "Ana")
    assert visitor.title().startswith("Team retro")
    draw_something(visitor)
    wait_until(lambda: server.snapshot(board)["seq"] >= 1, what="the drawing stored")

    admin = open_admin(people(), server)
    admin.get_by_test_id("admin-search").fill("retro")
    wait_until(lambda: admin.locator("tbody tr").count() == 1, what="the search")
    assert row(admin, board).locator("td").nth(1).inner_text() == "Team retro"
    admin.get_by_test_id("admin-search").fill("no-such-thing")
    wait_until(lambda: admin.locator("tbody tr").count() == 0, what="an empty search")
    admin.get_by_test_id("admin-search").fill("")
    row(admin, board).wait_for()

    row(admin, board).get_by_role("button", name="Delete").click()
    row(admin, board).get_by_role("button", name="Restore").wait_for()
    visitor.wait_for_function("() => window.__wb.status() !== 'connected'")
    assert status(server, f"/b/{board}") == 410
    assert status(server, f"/api/boards/{board}") == 410

    row(admin, board).get_by_role("button", name="Restore").click()
    row(admin, board).get_by_role("button", name="Delete").wait_for()
    assert server.snapshot(board)["seq"] >= 1

    admin.once("dialog", lambda d: d.accept())
    row(admin, board).get_by_role("button", name="Purge").click()
    row(admin, board).wait_for(state="detached")
    assert server.snapshot(board) == {"board": board, "seq": 0, "elements": []}


@pytest.mark.parametrize("mode", MODES)
def test_idle_boards_deleted_by_retention_show_on_the_page(
    mode: str, tmp_path_factory: pytest.TempPathFactory, people: Callable[[], BrowserContext]
) -> None:
    # 2e-5 days is 1.7 s without a change.
    server, redis = start(
        tmp_path_factory, mode, "--admin-token", TOKEN,
        "--delete-idle-days", "0.00002", "--retention-every-s", "0.2",
    )  # fmt: skip
    try:
        visitor = open_board(people(), server, "idle-e2e", "Ana")
        draw_something(visitor)
        visitor.close()
        wait_until(lambda: status(server, "/api/boards/idle-e2e") == 410, what="retention")
        admin = open_admin(people(), server)
        row(admin, "idle-e2e").get_by_role("button", name="Restore").wait_for()
    finally:
        server.stop()
        if redis:
            redis.stop()


def embedding_page(ctx: BrowserContext, site: EmbeddingSite, src: str) -> Page:
    page = ctx.new_page()
    page.goto(f"{site.origin}/course?src={urllib.parse.quote(src)}")
    return page


def test_a_listed_site_embeds_a_board_and_another_cannot(
    admin_server: Server,
    sites: tuple[EmbeddingSite, EmbeddingSite],
    people: Callable[[], BrowserContext],
) -> None:
    src = f"{admin_server.url}/b/embedded-board?embed=1"
    lms = embedding_page(people(), sites[0], src)
    wait_until(lambda: _board_frame(lms) is not None, what="the board in the LMS's frame")
    frame = _board_frame(lms)
    assert frame is not None
    frame.wait_for_function("() => window.__wb && window.__wb.status() === 'connected'")
    assert frame.locator(".tools").is_visible(), "the tools are there"
    assert not frame.locator(".top-right").is_visible(), "the rest of the chrome is not"

    # The same page on a site not in --frame-ancestors: Chromium shows its error page instead.
    other = embedding_page(people(), sites[1], src)
    other.wait_for_load_state("load")
    wait_until(
        lambda: any(f.url.startswith("chrome-error:") for f in other.frames),
        what="the refused frame",
    )
    assert _board_frame(other) is None


def _board_frame(page: Page):  # type: ignore[no-untyped-def]
    for frame in page.frames[1:]:
        try:
            if frame.locator("canvas").count() > 0:
                return frame
        except Exception:  # an error page of a refused frame cannot be searched
            continue
    return None
