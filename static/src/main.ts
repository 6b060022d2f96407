/**
 * Entry point. The server renders a page shell whose <body data-page> says which app to start
 * (no inline script: the Content-Security-Policy forbids it), with data attributes for input.
 * The visitor's language is loaded first, so every sentence is built in it.
 */
import "./styles.css";
import { startBoard } from "./app";
import { initI18n, t } from "./i18n/i18n";
import { startLanding } from "./landing/landing";
import { registerServiceWorker } from "./pwa/register";
import { BOARD_PATTERN } from "./model/validate";
import { theme } from "./ui/theme";

/** The server's error page, in the visitor's language (the template names the status). */
function translateErrorPage(body: HTMLElement): void {
  const status = body.dataset["status"];
  const kind = status === "404" ? "notFound" : status === "410" ? "gone" : "other";
  const title = t(`errorPage.${kind}Title`);
  const h1 = body.querySelector("h1");
  const message = body.querySelector("[data-message]");
  const back = body.querySelector("[data-back]");
  if (h1) h1.textContent = title;
  if (message) message.textContent = t(`errorPage.${kind}`);
  if (back) back.textContent = t("errorPage.back");
  document.title = `${title} · ${t("app.name")}`;
  const restore = body.querySelector<HTMLButtonElement>("[data-restore]");
  const board = body.dataset["board"] ?? "";
  if (restore && BOARD_PATTERN.test(board)) {
    // Offered to the board's owner (or an admin): out of the trash, then the board itself.
    restore.textContent = t("errorPage.restore");
    restore.addEventListener("click", () => {
      restore.disabled = true;
      void fetch(`/api/boards/${board}/restore`, { method: "POST" }).then((r) => {
        if (r.ok) location.reload();
        else restore.disabled = false;
      });
    });
  }
}

async function start(): Promise<void> {
  theme.apply();
  registerServiceWorker();
  await initI18n();
  const body = document.body;
  const root = document.getElementById("app") ?? body;
  if (body.dataset["page"] === "board") {
    const board = body.dataset["board"] ?? "";
    if (BOARD_PATTERN.test(board)) startBoard(root, board, body.dataset["title"] ?? "");
  } else if (body.dataset["page"] === "landing") {
    document.title = t("app.name");
    startLanding(root);
  } else if (body.dataset["page"] === "admin") {
    const { startAdmin } = await import("./admin/admin");
    startAdmin(root);
  } else if (body.dataset["page"] === "error") {
    translateErrorPage(body);
  }
}

void start();
