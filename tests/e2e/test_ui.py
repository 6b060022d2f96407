"""The parts around the canvas: people and cursors, landing page, help, refusals in words."""

from __future__ import annotations

import re

import pytest
from conftest import Server, drag, elements, open_board, wait_connected, wait_synced


def test_people_list_counts_everyone_shows_names_as_text_and_follows_renames(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "<b>Bob</b>")
    a.wait_for_function(
        "() => document.querySelector('[data-testid=people-count]').textContent === '2'"
    )
    a.locator(".people-button").click()
    assert a.get_by_test_id("people-list").inner_text().strip() == "<b>Bob</b>"
    assert a.locator(".people-list b").count() == 0

    # B's cursor shows in A, with B's name.
    b.mouse.move(500, 400)
    b.mouse.move(520, 410)
    cursor = a.locator(".cursor:not([hidden])")
    cursor.wait_for(state="visible", timeout=2000)
    assert cursor.inner_text() == "<b>Bob</b>"

    # A renames itself from the people list; B sees the new name.
    b.locator(".people-button").click()
    name = a.locator("input.my-name")
    name.fill("Ada L.")
    name.press("Enter")
    b.wait_for_function(
        "() => document.querySelector('[data-testid=people-list]').textContent.includes('Ada L.')",
        timeout=5000,
    )
    assert a.evaluate("localStorage.getItem('wb.name')") == '"Ada L."'

    b.close()
    a.wait_for_function(
        "() => document.querySelector('[data-testid=people-count]').textContent === '1'"
    )


def test_first_visit_gets_a_generated_name_without_any_dialog(server, board, people):
    page = open_board(people(), server, board)
    page.locator(".people-button").click()
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", page.locator("input.my-name").input_value())


def test_landing_page_creates_a_board_and_remembers_it(server, people):
    page = people().new_page()
    page.goto(server.url + "/")
    page.get_by_test_id("new-board").click()
    page.wait_for_url(re.compile(r"/b/[A-Za-z0-9_-]+$"))
    wait_connected(page)
    board = page.url.rsplit("/", 1)[1]

    page.goto(server.url + "/")
    assert page.get_by_test_id("recent").locator("a").first.inner_text() == board

    page.get_by_label("Board name").fill("not a valid id!")
    page.get_by_role("button", name="Open").click()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("Board name").fill("team-retro")
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(server.url + "/b/team-retro")
    wait_connected(page)


def test_a_protected_board_lets_the_edit_link_draw_and_the_view_link_only_watch(server, people):
    owner = people().new_page()
    owner.goto(server.url + "/")
    owner.get_by_label(re.compile("Protected")).check()
    owner.get_by_test_id("new-board").click()
    owner.wait_for_url(re.compile(r"/b/[A-Za-z0-9_-]+#key=.+$"))
    wait_connected(owner)
    board = owner.url.split("/b/", 1)[1].split("#", 1)[0]
    assert owner.get_by_test_id("view-only").is_hidden()
    drag(owner, (300, 300), (450, 320))

    watcher = open_board(people(), server, board, "Wanda")
    watcher.get_by_test_id("view-only").wait_for(state="visible")
    watcher.wait_for_function("() => window.__wb.elements().length === 1")
    assert watcher.locator("[data-tool=pen]").is_hidden()
    watcher.keyboard.press("p")  # the shortcut still picks the pen; drawing explains why not
    drag(watcher, (300, 500), (450, 520))
    assert watcher.locator(".toast").inner_text().startswith("You can only watch")
    assert len(elements(watcher)) == 1
    wait_synced(owner)
    assert len(server.elements(board)) == 1

    # The owner's edit link works again later, from the recent boards list.
    owner.goto(server.url + "/")
    owner.get_by_test_id("recent").locator("a").first.click()
    wait_connected(owner)
    drag(owner, (300, 600), (450, 620))
    wait_synced(owner)
    assert len(server.elements(board)) == 2


def test_question_mark_opens_the_shortcuts(server, board, people):
    page = open_board(people(), server, board)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for(state="visible")
    assert "Undo" in dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


@pytest.fixture
def small_server(tmp_path):
    s = Server(tmp_path / "data", "--elements-per-board", "2").start()
    yield s
    s.stop()


def test_a_refused_change_is_rolled_back_and_explained(small_server, board, people):
    srv = small_server
    a = open_board(people(), srv, board, "Ada")
    b = open_board(people(), srv, board, "Bob")
    for page in (a, b):
        page.keyboard.press("r")
    drag(b, (300, 200), (400, 260))
    wait_synced(b)
    a.wait_for_function("() => window.__wb.elements().length === 1")

    # A draws while its network is away; meanwhile B fills the board.
    a.evaluate("window.__wb.setOffline(true)")
    drag(a, (300, 400), (400, 460))
    assert len(elements(a)) == 2
    drag(b, (600, 200), (700, 260))
    wait_synced(b)
    a.evaluate("window.__wb.setOffline(false)")

    # The server refuses A's rect: it disappears and A is told why, in words.
    toast = a.locator(".toast")
    toast.wait_for(timeout=5000)
    assert toast.inner_text() == "This board is full: 2 elements."
    wait_synced(a)
    assert elements(a) == srv.elements(board) == elements(b)
    assert len(elements(a)) == 2
