"""Undo is per person; text is text, never markup."""

from __future__ import annotations

from conftest import elements, ink_at, open_board, stroke, wait_ink, wait_synced


def ids(page) -> list[str]:
    return [e["id"] for e in elements(page)]


def test_ctrl_z_undoes_only_my_last_stroke_in_both_browsers(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")

    def draw(page, y: int) -> str:
        before = set(ids(page))
        stroke(page, [(300, y), (420, y + 10), (540, y)])
        wait_synced(page)
        [new] = set(ids(page)) - before
        return new

    a1 = draw(a, 200)
    b1 = draw(b, 300)
    a2 = draw(a, 400)  # A's last stroke
    b2 = draw(b, 500)  # drawn after it, by B
    a.wait_for_function("() => window.__wb.elements().length === 4")

    a.keyboard.press("Control+z")
    for page in (a, b):
        page.wait_for_function(
            "id => !window.__wb.elements().some(e => e.id === id)", arg=a2, timeout=2000
        )
        assert ids(page) == [a1, b1, b2]
    wait_ink(b, 420, 410, present=False)
    assert ink_at(b, 420, 510)

    # Redo brings it back, in its old place in the stack.
    a.keyboard.press("Control+Shift+z")
    b.wait_for_function("() => window.__wb.elements().length === 4")
    wait_synced(a)
    assert [e["id"] for e in server.elements(board)] == [a1, b1, a2, b2]


def test_typed_markup_is_shown_as_literal_text_and_never_enters_the_dom(server, board, people):
    a = open_board(people(), server, board, "Ada")
    b = open_board(people(), server, board, "Bob")
    dialogs: list[str] = []
    for page in (a, b):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = "<img src=x onerror=alert(1)>"

    a.keyboard.press("t")
    a.mouse.click(300, 300)
    editor = a.locator("textarea.text-editor")
    editor.wait_for(state="visible")
    a.keyboard.type(payload)
    a.keyboard.press("Escape")
    wait_synced(a)
    b.wait_for_function("() => window.__wb.elements().some(e => e.type === 'text')", timeout=2000)

    for page in (a, b):
        [text] = elements(page)
        assert text["text"] == payload
        assert page.locator("img").count() == 0
        assert "onerror" not in page.evaluate("document.body.innerHTML")
    assert [e["text"] for e in server.elements(board)] == [payload]
    # It is drawn on the canvas: ink where the text starts.
    b.wait_for_function(
        "() => { const t = window.__wb.elements()[0]; return t && t.x > 0; }", timeout=2000
    )
    [text] = elements(b)
    found = any(ink_at(b, text["x"] + dx, text["y"] + 12, 2) for dx in range(2, 40, 4))
    assert found, "the text is painted on the canvas"
    assert dialogs == []


def test_double_click_edits_a_text_and_undo_restores_it(server, board, people):
    a = open_board(people(), server, board, "Ada")
    a.keyboard.press("t")
    a.mouse.click(300, 300)
    a.locator("textarea.text-editor").wait_for(state="visible")
    a.keyboard.type("first")
    a.keyboard.press("v")  # typed into the text box, not a shortcut
    a.mouse.click(700, 600)  # a click elsewhere finishes typing
    wait_synced(a)
    [text] = elements(a)
    assert text["text"] == "firstv"

    a.keyboard.press("v")
    a.mouse.dblclick(text["x"] + 10, text["y"] + 10)
    box = a.locator("textarea.text-editor")
    box.wait_for(state="visible")
    assert box.input_value() == "firstv"
    a.keyboard.press("Control+a")
    a.keyboard.type("second\nline")
    a.keyboard.press("Control+Enter")
    wait_synced(a)
    assert [e["text"] for e in server.elements(board)] == ["second\nline"]
    a.keyboard.press("Control+z")
    wait_synced(a)
    assert [e["text"] for e in server.elements(board)] == ["firstv"]
