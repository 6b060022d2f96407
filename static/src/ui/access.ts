/**
 * Sign-in and sharing, when the server has sign-in on (docs/protocol.md, "Owners and
 * sharing"): who this browser is signed in as (with a sign-in or sign-out control), and the
 * owner's Share dialog: what the plain link grants, people added by e-mail as editors or
 * viewers, and replacing the edit link. The server checks every one of these itself; this is
 * only the way to ask.
 */
import { t } from "../i18n/i18n";
import { h } from "./dom";

export interface Me {
  sign_in: boolean;
  user?: { email: string; name: string; admin: boolean } | null;
}

interface Access {
  role: string;
  owner: string;
  link?: string;
  shares?: { email: string; role: string }[];
}

/** What the server says about sign-in; `{sign_in: false}` when it cannot say. */
export async function whoAmI(): Promise<Me> {
  try {
    const r = await fetch("/api/me", { headers: { Accept: "application/json" } });
    return r.ok ? ((await r.json()) as Me) : { sign_in: false };
  } catch {
    return { sign_in: false };
  }
}

/** "Sign in" (to the provider and back here) or "name · Sign out". */
export function accountControl(me: Me): HTMLElement | null {
  if (!me.sign_in) return null;
  const here = location.pathname + location.search + location.hash;
  if (!me.user) {
    return h("a", {
      class: "account sign-in",
      "data-testid": "sign-in",
      href: `/auth/login?next=${encodeURIComponent(here.split("#")[0] ?? "/")}`,
      text: t("access.signIn"),
    });
  }
  // fetch, not a form: pages are served with no-referrer, under which a form's POST says
  // "Origin: null" and the server's same-site check refuses it.
  const out = h("button", { type: "button", "data-testid": "sign-out", text: t("access.signOut") });
  out.addEventListener("click", () => {
    void fetch("/auth/logout", { method: "POST", headers: { Accept: "application/json" } }).then(
      (r) => {
        if (r.ok) location.assign("/");
      },
    );
  });
  const name = h("span", {
    class: "account-name",
    "data-testid": "signed-in-as",
    title: me.user.email,
    text: me.user.name,
  });
  return h("div", { class: "account panel" }, name, out);
}

async function send(url: string, method: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function errorOf(r: Response): Promise<string> {
  try {
    const body = (await r.json()) as { error?: unknown };
    return typeof body.error === "string" ? body.error : r.statusText;
  } catch {
    return r.statusText;
  }
}

/**
 * The owner's Share dialog. `onKey` gets the new edit key after the link was replaced (the
 * old one stops working at once, and open connections that used it become read-only).
 */
export class AccessDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly link: HTMLSelectElement;
  private readonly list: HTMLUListElement;
  private readonly note: HTMLParagraphElement;
  private readonly url: string;

  constructor(
    parent: HTMLElement,
    board: string,
    private readonly onKey: (key: string) => void,
    private readonly toast: (text: string) => void,
  ) {
    this.url = `/api/boards/${encodeURIComponent(board)}/access`;
    const option = (value: string): HTMLOptionElement =>
      h("option", { value, text: t(`access.link.${value}`) });
    this.link = h(
      "select",
      { "data-testid": "link-access", id: "link-access" },
      option("edit"),
      option("view"),
      option("none"),
    );
    this.link.addEventListener("change", () => void this.change({ link: this.link.value }));
    this.list = h("ul", { class: "shares", "data-testid": "shares" });
    const email = h("input", {
      type: "email",
      "data-testid": "share-email",
      placeholder: "name@example.com",
      "aria-label": t("access.email"),
      autocomplete: "off",
    });
    const role = this.roleSelect("view");
    role.setAttribute("data-testid", "share-role");
    const add = h("button", { type: "submit", "data-testid": "share-add", text: t("access.add") });
    const form = h("form", { class: "share-add" }, email, role, add);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const who = email.value.trim();
      if (!who) return;
      void this.change({ shares: { [who]: role.value } }).then((ok) => {
        if (ok) email.value = "";
      });
    });
    const rotate = h("button", {
      type: "button",
      "data-testid": "rotate-link",
      text: t("access.rotate"),
    });
    rotate.addEventListener("click", () => void this.rotate());
    const remove = h("button", {
      type: "button",
      class: "danger",
      "data-testid": "delete-board",
      text: t("access.delete"),
    });
    remove.addEventListener("click", () => void this.deleteBoard());
    this.note = h("p", { class: "access-note", role: "status" });
    const close = h("button", { type: "button", class: "close", text: t("access.close") });
    close.addEventListener("click", () => this.dialog.close());
    this.dialog = h(
      "dialog",
      { class: "access", "aria-labelledby": "access-title", "data-testid": "access-dialog" },
      h("h2", { id: "access-title", text: t("access.title") }),
      h("label", { for: "link-access", text: t("access.linkLabel") }),
      this.link,
      h("h3", { text: t("access.people") }),
      this.list,
      form,
      h("p", {}, rotate),
      h("p", {}, remove),
      this.note,
      close,
    );
    parent.append(this.dialog);
  }

  private roleSelect(value: string): HTMLSelectElement {
    const select = h(
      "select",
      { "aria-label": t("access.roleLabel") },
      h("option", { value: "edit", text: t("access.role.edit") }),
      h("option", { value: "view", text: t("access.role.view") }),
    );
    select.value = value;
    return select;
  }

  /** Opens the dialog on what the server holds now. */
  async open(): Promise<void> {
    const r = await send(this.url, "GET");
    if (!r.ok) {
      this.toast(await errorOf(r));
      return;
    }
    this.show((await r.json()) as Access);
    if (!this.dialog.open) this.dialog.showModal();
  }

  private show(access: Access): void {
    this.link.value = access.link ?? "view";
    this.list.replaceChildren(
      ...(access.shares ?? []).map((s) => {
        const role = this.roleSelect(s.role);
        role.addEventListener(
          "change",
          () => void this.change({ shares: { [s.email]: role.value } }),
        );
        const remove = h("button", { type: "button", text: t("access.remove") });
        remove.addEventListener("click", () => void this.change({ shares: { [s.email]: null } }));
        return h("li", { "data-email": s.email }, h("span", { text: s.email }), role, remove);
      }),
    );
  }

  private async change(body: Record<string, unknown>): Promise<boolean> {
    const r = await send(this.url, "PUT", body);
    if (!r.ok) {
      this.note.textContent = await errorOf(r);
      return false;
    }
    this.note.textContent = t("access.saved");
    this.show((await r.json()) as Access);
    return true;
  }

  /** To the trash (410 for everyone); the board's page then offers its owner to restore it. */
  private async deleteBoard(): Promise<void> {
    if (!confirm(t("access.deleteConfirm"))) return;
    const r = await send(this.url.replace(/\/access$/, "/delete"), "POST");
    if (!r.ok) {
      this.note.textContent = await errorOf(r);
      return;
    }
    location.reload();
  }

  private async rotate(): Promise<void> {
    const r = await send(`${this.url}/rotate`, "POST");
    if (!r.ok) {
      this.note.textContent = await errorOf(r);
      return;
    }
    const { key } = (await r.json()) as { key: string };
    this.onKey(key);
    this.note.textContent = t("access.rotated");
  }
}

/** Whether this visitor owns the board (may open the Share dialog). */
export async function ownsBoard(board: string): Promise<boolean> {
  try {
    const r = await send(`/api/boards/${encodeURIComponent(board)}/access`, "GET");
    return r.ok && ((await r.json()) as Access).role === "owner";
  } catch {
    return false;
  }
}
