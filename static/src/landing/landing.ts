/**
 * The landing page: start a new board (a random, hard-to-guess id), open one by name, or go
 * back to a board visited recently from this browser.
 */
import { BOARD_PATTERN } from "../model/validate";
import { h } from "../ui/dom";
import { forgetBoard, recentBoards } from "../util/recent";
import { importSection } from "./import";

const boardUrl = (id: string): string => `/b/${encodeURIComponent(id)}`;

function ago(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

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
    text: "New board",
  });
  const protect = h("input", { type: "checkbox", name: "protected" });
  const createError = h("p", { class: "error", role: "alert", hidden: true });
  create.addEventListener("click", () => {
    create.disabled = true;
    void newBoard(protect.checked).then(
      (url) => location.assign(url),
      () => {
        create.disabled = false;
        createError.textContent = "The server could not create a board; try again in a moment.";
        createError.hidden = false;
      },
    );
  });

  const input = h("input", {
    type: "text",
    name: "board",
    placeholder: "board name, e.g. team-retro",
    "aria-label": "Board name",
    maxlength: 64,
    pattern: BOARD_PATTERN.source.slice(1, -1),
    required: true,
  });
  const error = h("p", {
    class: "error",
    role: "alert",
    hidden: true,
    text: "Use letters, digits, - and _ (up to 64), starting with a letter or digit.",
  });
  const form = h(
    "form",
    // Our own message in words rather than the browser's tooltip, which varies by browser.
    { class: "open-board", novalidate: true },
    input,
    h("button", { type: "submit", text: "Open" }),
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
          title: "Remove from this list",
          "aria-label": `Remove ${b.id} from this list`,
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
          h("span", { class: "when", text: ago(b.at) }),
          forget,
        );
      }),
    );
    recent.hidden = boards.length === 0;
  };
  const recent = h(
    "section",
    { class: "recent-boards" },
    h("h2", { text: "Recently visited" }),
    list,
  );
  render();

  root.append(
    h(
      "main",
      { class: "landing" },
      h("h1", { text: "Whiteboard" }),
      h("p", {
        class: "lead",
        text: "Draw together in real time, from any browser. Nothing to install, no account.",
      }),
      h(
        "section",
        { class: "start" },
        create,
        h("span", { class: "or", text: "or open a board by name" }),
        form,
        h(
          "label",
          { class: "protect" },
          protect,
          "Protected: only people with the edit link can draw; anyone with the plain link can watch.",
        ),
        createError,
        error,
      ),
      importSection(),
      recent,
    ),
  );
}
