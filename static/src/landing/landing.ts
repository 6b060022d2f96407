/**
 * The landing page: start a new board (a random, hard-to-guess id), open one by name, or go
 * back to a board visited recently from this browser.
 */
import { formatAgo, t } from "../i18n/i18n";
import { BOARD_PATTERN } from "../model/validate";
import { accountControl, whoAmI } from "../ui/access";
import { h } from "../ui/dom";
import { settingsControls } from "../ui/settings";
import { forgetBoard, recentBoards } from "../util/recent";
import { importSection } from "./import";

const boardUrl = (id: string): string => `/b/${encodeURIComponent(id)}`;

/**
 * Asks the server for a new board (it picks the id; a protected board also gets an edit key,
 * which goes in the link's fragment) and returns the URL to open.
 */
async function newBoard(protectedBoard: boolean): Promise<string> {
  const r = await fetch("/api/boards", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ protected: protectedBoard }),
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const body = (await r.json()) as { board?: unknown; key?: unknown };
  if (typeof body.board !== "string" || !BOARD_PATTERN.test(body.board))
    throw new Error("bad answer");
  const url = boardUrl(body.board);
  return typeof body.key === "string" ? `${url}#key=${encodeURIComponent(body.key)}` : url;
}

export function startLanding(root: HTMLElement): void {
  const create = h("button", {
    class: "primary",
    type: "button",
    "data-testid": "new-board",
    text: t("landing.newBoard"),
  });
  const protect = h("input", { type: "checkbox", name: "protected" });
  const createError = h("p", { class: "error", role: "alert", hidden: true });
  create.addEventListener("click", () => {
    create.disabled = true;
    void newBoard(protect.checked).then(
      (url) => location.assign(url),
      () => {
        create.disabled = false;
        createError.textContent = t("landing.createFailed");
        createError.hidden = false;
      },
    );
  });

  const input = h("input", {
    type: "text",
    name: "board",
    placeholder: t("landing.placeholder"),
    "aria-label": t("landing.boardName"),
    maxlength: 64,
    pattern: BOARD_PATTERN.source.slice(1, -1),
    required: true,
  });
  const error = h("p", {
    class: "error",
    role: "alert",
    hidden: true,
    text: t("landing.badName"),
  });
  const form = h(
    "form",
    // Our own message in words rather than the browser's tooltip, which varies by browser.
    { class: "open-board", novalidate: true },
    input,
    h("button", { type: "submit", text: t("landing.open") }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (!BOARD_PATTERN.test(id)) {
      error.hidden = false;
      return;
    }
    location.assign(boardUrl(id));
  });

  const list = h("ul", { class: "recent", "data-testid": "recent" });
  const render = (): void => {
    const boards = recentBoards();
    list.replaceChildren(
      ...boards.map((b) => {
        const forget = h("button", {
          type: "button",
          class: "forget",
          title: t("landing.forget"),
          "aria-label": t("landing.forgetNamed", { board: b.id }),
          text: "×",
        });
        forget.addEventListener("click", () => {
          forgetBoard(b.id);
          render();
        });
        return h(
          "li",
          {},
          h("a", { href: boardUrl(b.id), text: b.id }),
          h("span", { class: "when", text: formatAgo(b.at) }),
          forget,
        );
      }),
    );
    recent.hidden = boards.length === 0;
  };
  const recent = h(
    "section",
    { class: "recent-boards" },
    h("h2", { text: t("landing.recent") }),
    list,
  );
  render();

  root.append(
    h(
      "main",
      { class: "landing" },
      h("h1", { text: t("app.name") }),
      h("p", {
        class: "lead",
        text: t("landing.lead"),
      }),
      h(
        "section",
        { class: "start" },
        create,
        h("span", { class: "or", text: t("landing.or") }),
        form,
        h("label", { class: "protect" }, protect, t("landing.protected")),
        createError,
        error,
      ),
      importSection(),
      recent,
      settingsControls(),
    ),
  );
  // With sign-in on, who this is (and the way in or out): `--create` may need it.
  void whoAmI().then((me) => {
    const account = accountControl(me);
    if (account) root.querySelector("main.landing")?.prepend(account);
  });
}
