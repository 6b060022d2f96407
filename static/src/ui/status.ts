/** The connection status pill: connected, reconnecting or offline, with unsent changes. */
import type { Status } from "../net/connection";
import { h } from "./dom";

const plural = (n: number): string => `${n} unsent change${n === 1 ? "" : "s"}`;

export function statusText(s: Status): string {
  switch (s.kind) {
    case "connecting":
      return "Connecting…";
    case "connected":
      // Edits in flight are acknowledged within milliseconds: counting them would only flicker.
      return "Connected";
    case "reconnecting":
      return s.unsaved > 0 ? `Reconnecting… · ${plural(s.unsaved)}` : "Reconnecting…";
    case "offline":
      return s.unsaved > 0 ? `Offline · ${plural(s.unsaved)}` : "Offline";
    case "stopped":
      return `Disconnected: ${s.reason ?? "the server closed the connection"}. Reload to retry.`;
  }
}

export class StatusPill {
  private readonly el = h("div", {
    class: "status",
    role: "status",
    "data-testid": "status",
    "data-status": "connecting",
    text: "Connecting…",
  });

  constructor(parent: HTMLElement) {
    parent.append(this.el);
  }

  show(s: Status): void {
    this.el.dataset["status"] = s.kind;
    this.el.textContent = statusText(s);
  }
}
