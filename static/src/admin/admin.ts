/**
 * The admin page (/admin): list and search boards, soft-delete, restore and purge them, through
 * the admin API (docs/protocol.md, "Administration"). The page holds nothing secret: it asks for
 * the admin token and keeps it for this tab only (sessionStorage). It first asks without one,
 * so that a server where admins sign in needs no token here.
 */
import { formatAgo, formatDate, formatNumber, httpReason, t } from "../i18n/i18n";
import { h } from "../ui/dom";
import { settingsControls } from "../ui/settings";

const TOKEN_KEY = "wb.adminToken";
const PAGE = 50;

export interface AdminBoard {
  board: string;
  title: string | null;
  owner: string | null;
  created: number | null;
  active: number;
  seq: number;
  elements: number;
  bytes: number;
  blobs: number;
  protected: boolean;
  deleted: number | null;
}

interface Listing {
  boards: AdminBoard[];
  next: string | null;
}

class AdminApi {
  token: string | null = sessionStorage.getItem(TOKEN_KEY);

  async call(method: string, path: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    return fetch(path, { method, headers });
  }

  setToken(token: string): void {
    this.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
  }
}

async function errorOf(r: Response): Promise<string> {
  let sentence: string | null = null;
  try {
    const body = (await r.json()) as { error?: unknown };
    if (typeof body.error === "string") sentence = body.error;
  } catch {
    // not JSON: the status says it
  }
  return httpReason(r.status, sentence);
}

function sizeText(bytes: number): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return formatNumber(n, { style: "unit", unit: units[i], maximumFractionDigits: 1 });
}

export function startAdmin(root: HTMLElement): void {
  document.title = `${t("admin.title")} · ${t("app.name")}`;
  const api = new AdminApi();
  const tokenInput = h("input", {
    type: "password",
    autocomplete: "off",
    "aria-label": t("admin.token"),
    "data-testid": "admin-token",
  });
  const tokenForm = h(
    "form",
    { class: "admin-token", hidden: true },
    h("label", { text: t("admin.needToken") }),
    tokenInput,
    h("button", { type: "submit", class: "primary", text: t("admin.open") }),
  );
  const search = h("input", {
    type: "search",
    placeholder: t("admin.search"),
    "aria-label": t("admin.search"),
    "data-testid": "admin-search",
  });
  const message = h("p", { class: "error", role: "alert", hidden: true });
  const columns = [
    "board",
    "boardTitle",
    "owner",
    "created",
    "active",
    "seq",
    "elements",
    "bytes",
    "blobs",
    "protected",
    "deleted",
    "actions",
  ];
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "admin-boards", "data-testid": "admin-boards" },
    h(
      "thead",
      {},
      h("tr", {}, ...columns.map((c) => h("th", { scope: "col", text: t(`admin.${c}`) }))),
    ),
    tbody,
  );
  const empty = h("p", { text: t("admin.empty"), hidden: true });
  const more = h("button", { type: "button", text: t("admin.more"), hidden: true });
  const main = h(
    "main",
    { class: "admin" },
    h("h1", { text: t("admin.title") }),
    settingsControls(),
    tokenForm,
    search,
    message,
    table,
    empty,
    more,
  );
  root.append(main);

  let next: string | null = null;
  let query = "";

  const say = (text: string | null): void => {
    message.hidden = text === null;
    message.textContent = text ?? "";
  };

  const act = async (method: string, path: string): Promise<void> => {
    const r = await api.call(method, path);
    if (r.ok) {
      say(null);
      await load(false);
    } else say(t("admin.failed", { error: await errorOf(r) }));
  };

  const row = (b: AdminBoard): HTMLTableRowElement => {
    const id = encodeURIComponent(b.board);
    const when = (ms: number | null): string =>
      ms === null ? "" : formatDate(ms, { dateStyle: "short", timeStyle: "short" });
    const button = (key: string, fn: () => void): HTMLButtonElement => {
      const el = h("button", { type: "button", text: t(`admin.${key}`), "data-action": key });
      el.addEventListener("click", fn);
      return el;
    };
    const actions = h("td", {});
    if (b.deleted === null) {
      actions.append(button("delete", () => void act("DELETE", `/api/admin/boards/${id}`)));
    } else {
      actions.append(button("restore", () => void act("POST", `/api/admin/boards/${id}/restore`)));
    }
    actions.append(
      button("purge", () => {
        if (confirm(t("admin.confirmPurge", { board: b.board })))
          void act("DELETE", `/api/admin/boards/${id}?purge=1`);
      }),
    );
    const link =
      b.deleted === null
        ? h("a", { href: `/b/${id}`, text: b.board })
        : h("span", { text: b.board });
    return h(
      "tr",
      { "data-board": b.board, class: b.deleted === null ? "" : "deleted" },
      h("td", {}, link),
      h("td", { text: b.title ?? "" }),
      h("td", { text: b.owner ?? "" }),
      h("td", { text: when(b.created) }),
      h("td", { text: b.active ? formatAgo(b.active) : "" }),
      h("td", { text: formatNumber(b.seq) }),
      h("td", { text: formatNumber(b.elements) }),
      h("td", { text: sizeText(b.bytes) }),
      h("td", { text: formatNumber(b.blobs) }),
      h("td", { text: b.protected ? t("admin.yes") : "" }),
      h("td", { text: when(b.deleted) }),
      actions,
    );
  };

  /** The first page again (``more`` false) or the next one. */
  const load = async (more_: boolean): Promise<void> => {
    const params = new URLSearchParams({ q: query, limit: String(PAGE) });
    if (more_ && next) params.set("after", next);
    const r = await api.call("GET", `/api/admin/boards?${params.toString()}`);
    if (r.status === 401 || r.status === 403) {
      tokenForm.hidden = false;
      say(api.token ? t("admin.wrongToken") : null);
      tokenInput.focus();
      return;
    }
    if (!r.ok) {
      say(t("admin.failed", { error: await errorOf(r) }));
      return;
    }
    tokenForm.hidden = true;
    say(null);
    const body = (await r.json()) as Listing;
    if (!more_) tbody.replaceChildren();
    for (const b of body.boards) tbody.append(row(b));
    next = body.next;
    more.hidden = next === null;
    empty.hidden = tbody.childElementCount > 0;
  };

  tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    api.setToken(tokenInput.value.trim());
    void load(false);
  });
  let timer = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      query = search.value.trim();
      void load(false);
    }, 250);
  });
  more.addEventListener("click", () => void load(true));
  void load(false);
}
