"""Without a pointer: a rectangle is added, labelled, moved and recoloured with the keyboard
alone, and the element list beside the canvas says what is on the board and who made it.

The label is the rectangle's own (PROTOCOL.md 1.1 `text` on rect), typed after Enter on the
selected rectangle, as a double click would open it.
"""

from __future__ import annotations

from conftest import open_board, stroke, wait_synced

# Counts every mouse, pointer and touch event the page sees: the test must cause none.
WATCH_JS = """() => {
  window.__pointerEvents = 0;
  for (const t of ['mousedown', 'mouseup', 'click', 'pointerdown', 'pointerup', 'touchstart',
                   'mousemove', 'pointermove', 'wheel', 'dblclick'])
    window.addEventListener(t, (e) => { if (e.isTrusted && !(t === 'click' && e.detail === 0))
      window.__pointerEvents++; }, true);
}"""


def focused(page) -> str:
    return page.evaluate("document.activeElement.outerHTML.slice(0, 120)")


# The element with the focus, inside shadow roots too (the element list is in one).
ACTIVE_JS = """(s) => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a.matches(s);
}"""
# The element list's buttons' texts.
ITEMS_JS = """() => [...document.querySelector('[data-testid=elements]').shadowRoot
  .querySelectorAll('button')].map(b => b.textContent)"""


def tab_to(page, selector: str, key: str = "Tab", limit: int = 80) -> None:
    for _ in range(limit):
        if page.evaluate(ACTIVE_JS, selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"Tab never reached {selector}; focus is on {focused(page)}")


def test_keyboard_alone_adds_labels_moves_and_recolours_a_rectangle(server, board, people):
    page = open_board(people(), server, board, "Ada")
    page.evaluate(WATCH_JS)

    # R picks the rectangle, Enter adds one in the middle of the view, selected.
    page.keyboard.press("r")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__wb.elements().length === 1")
    [rect] = page.evaluate("window.__wb.elements()")
    assert rect["type"] == "rect"

    # Enter on the selected rectangle opens its label; typed, then Escape finishes it.
    page.keyboard.press("Enter")
    page.locator("textarea.text-editor").wait_for(state="visible")
    page.keyboard.type("Plan")
    page.keyboard.press("Escape")
    page.wait_for_function(
        "(id) => window.__wb.elements().find(e => e.id === id).text === 'Plan'", arg=rect["id"]
    )
    assert len(page.evaluate("window.__wb.elements()")) == 1

    # The list beside the canvas names it, its label, and who made it. (It updates a line a
    # moment after the change: wait for the label, not only for the line.)
    page.wait_for_function(
        f"() => {{ const t = ({ITEMS_JS})(); return t.length === 1"
        " && t.every(s => s.includes('by you') && s.includes('Plan')); }"
    )
    [item] = page.evaluate(ITEMS_JS)
    assert item.startswith("Rectangle") and "“Plan”" in item, item

    # Tab reaches the rectangle in the list: focused, it is selected; arrow keys move it.
    page.evaluate("document.activeElement.blur()")
    tab_to(page, f'[data-testid=element-list] button[data-id="{rect["id"]}"]')
    assert page.evaluate("document.activeElement.dataset.testid") == "elements"
    page.wait_for_function(
        "(id) => window.__wb.selection && window.__wb.selection().join() === id", arg=rect["id"]
    )
    for _ in range(3):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(
        "([id, x]) => window.__wb.elements().find(e => e.id === id).x === x",
        arg=[rect["id"], rect["x"] + 30],
    )

    # Back (Shift+Tab: the list comes after the controls) to the red swatch of the style
    # panel; Enter recolours the selected rectangle.
    tab_to(page, '.swatch[data-color="#e03131"]', "Shift+Tab")
    page.keyboard.press("Enter")
    wait_synced(page)
    [moved] = [e for e in server.elements(board) if e["id"] == rect["id"]]
    assert moved["stroke"] == "#e03131"
    assert (moved["x"], moved["y"]) == (rect["x"] + 30, rect["y"] + 1)
    assert moved["text"] == "Plan"
    assert page.evaluate("window.__pointerEvents") == 0
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_live_region_says_who_joins_draws_and_leaves(server, board, people):

    ada = open_board(people(), server, board, "Ada")
    bob = open_board(people(), server, board, "Bob")
    log = ada.get_by_test_id("announcer")
    ada.wait_for_function(
        "() => document.querySelector('[data-testid=announcer]').textContent"
        ".includes('Bob joined the board.')"
    )
    assert log.get_attribute("aria-live") == "polite"
    # One stroke of many points is one change, said once.
    stroke(bob, [(300, 300), (400, 320), (500, 300), (600, 340)])
    wait_synced(bob)
    ada.wait_for_function(
        "() => document.querySelector('[data-testid=announcer]').textContent"
        ".includes('Bob made 1 change.')"
    )
    bob.context.close()
    ada.wait_for_function(
        "() => document.querySelector('[data-testid=announcer]').textContent"
        ".includes('Bob left the board.')"
    )
