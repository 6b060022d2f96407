"""Translations: the board page in German and in Arabic has no English left (every text, and
every label, title and placeholder a screen reader or a tooltip shows, including closed
dialogs), Arabic runs right to left, and the server's error page speaks the visitor's language.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, VIEWPORT, open_board, serve_test_app, stroke, wait_synced
from playwright.sync_api import Browser, Page

LOCALES = ROOT / "static" / "src" / "i18n" / "locales"

# Every piece of text a person can meet on the page: text nodes (hidden ones too: dialogs,
# menus, the history panel once opened) and the attributes that are read out or shown. Texts
# inside an element in another language (the language picker's names) are left out.
ATOMS_JS = """() => {
  const page = document.documentElement.lang;
  const foreign = (el) => { const l = el.closest('[lang]'); return l && l.lang !== page; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(p.tagName) || foreign(p)) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (foreign(el)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt', 'aria-valuetext']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push(v.trim());
    }
  }
  out.push(document.title);
  return out;
}"""


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def messages(code: str) -> dict[str, str]:
    return flat(json.loads((LOCALES / f"{code}.json").read_text(encoding="utf-8")))


def visit(browser: Browser, test_app: Path, server, board: str, locale: str) -> tuple[Page, Any]:
    ctx = browser.new_context(viewport=VIEWPORT, locale=locale)
    serve_test_app(ctx, test_app)
    page = open_board(ctx, server, board, "Ada")
    return page, ctx


def everything(page: Page) -> list[str]:
    """The atoms of the board page with its history panel open too."""
    atoms = page.evaluate(ATOMS_JS)
    page.keyboard.press("Control+Shift+H")
    page.get_by_test_id("history").wait_for(state="visible")
    page.wait_for_function("() => window.__wb.history() && !window.__wb.history().busy")
    atoms += page.evaluate(ATOMS_JS)
    page.keyboard.press("Escape")
    return atoms


def english_left(atoms: list[str], english: set[str], same: list[str]) -> list[str]:
    """Atoms the English page also shows that are more than names, digits, signs and words
    both languages write alike."""
    left = []
    for atom in set(atoms) & english:
        rest = atom
        for word in same:
            rest = rest.replace(word, " ")
        if re.search(r"[A-Za-z]{2,}", rest):
            left.append(atom)
    return sorted(left)


@pytest.mark.parametrize("code", ["de", "ar"])
def test_the_board_page_has_no_english_left(server, board, browser, test_app, code):
    # A board with something on it, so the history has a moment to show.
    en_page, en_ctx = visit(browser, test_app, server, board, "en-US")
    stroke(en_page, [(300, 300), (400, 320)])
    wait_synced(en_page)
    english = set(everything(en_page))
    en_ctx.close()

    page, ctx = visit(browser, test_app, server, board, {"de": "de-DE", "ar": "ar-EG"}[code])
    try:
        assert page.evaluate("document.documentElement.lang") == code
        expected_dir = "rtl" if code == "ar" else "ltr"
        assert page.evaluate("document.documentElement.dir") == expected_dir
        assert page.evaluate("getComputedStyle(document.body).direction") == expected_dir
        atoms = everything(page)
        en, mine = messages("en"), messages(code)
        same = sorted(
            {v for k, v in mine.items() if en.get(k) == v} | {board, "Ada"}, key=len, reverse=True
        )
        assert english_left(atoms, english, same) == []
        # Numbers are written the language's way too ("100 %" in German).
        percent = page.evaluate(
            "(l) => new Intl.NumberFormat(l, {style: 'percent', useGrouping: false}).format(1)",
            code,
        )
        assert page.get_by_test_id("zoom-level").inner_text() == percent
        if code == "de":
            assert percent == "100\u00a0%"
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()


def test_the_server_error_page_speaks_the_visitors_language(server, browser, test_app):
    ctx = browser.new_context(locale="de-DE")
    serve_test_app(ctx, test_app)
    try:
        page = ctx.new_page()
        page.goto(f"{server.url}/b/not%20a%20board!")
        de = messages("de")
        page.wait_for_function(
            f"() => document.title.startsWith({json.dumps(de['errorPage.notFoundTitle'])})"
        )
        assert page.locator("h1").inner_text() == de["errorPage.notFoundTitle"]
        assert page.locator("main a").inner_text() == de["errorPage.back"]
    finally:
        ctx.close()
