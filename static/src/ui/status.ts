/** The connection status pill: connected, reconnecting or offline, with unsent changes. */
import { t } from "../i18n/i18n";
import type { Status } from "../net/connection";
import { h } from "./dom";

export function statusText(s: Status): string {
  const withUnsent = (status: string): string =>
    s.unsaved > 0
      ? t("status.withUnsent", { status, unsent: t("status.unsent", { count: s.unsaved }) })
      : status;
  switch (s.kind) {
    case "connecting":
      return t("status.connecting");
    case "connected":
      // Edits in flight are acknowledged within milliseconds: counting them would only flicker.
      return t("status.connected");
    case "reconnecting":
      return withUnsent(t("status.reconnecting"));
    case "offline":
      return withUnsent(t("status.offline"));
    case "stopped":
      // The server's close reason is English for its logs; the code (policy) is what we say.
      return t("status.stopped");
  }
}

export class StatusPill {
  private readonly el = h("div", {
    class: "status",
    role: "status",
    "data-testid": "status",
    "data-status": "connecting",
  });

  constructor(parent: HTMLElement) {
    this.el.textContent = t("status.connecting");
    parent.append(this.el);
  }

  show(s: Status): void {
    this.el.dataset["status"] = s.kind;
    this.el.textContent = statusText(s);
  }
}
