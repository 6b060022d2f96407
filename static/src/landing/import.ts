/**
 * Import a board file (exported from any board's history panel) as a new board.
 *
 * The server validates the file op by op, like network input, and either creates the whole
 * board or nothing; when it refuses, its `{error}` sentence is shown as it is, in words.
 */
import { httpReason, t } from "../i18n/i18n";
import { BOARD_PATTERN } from "../model/validate";
import { h } from "../ui/dom";

/** Uploads `file`; resolves with the new board's id, or rejects with a sentence to show. */
async function upload(file: File): Promise<string> {
  let r: Response;
  try {
    r = await fetch("/api/boards/import", {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", Accept: "application/json" },
      body: file,
    });
  } catch {
    throw new Error(t("import.unreachable"));
  }
  let body: unknown = null;
  try {
    body = await r.json();
  } catch {
    // Not JSON: say what the status says.
  }
  const field = (k: string): unknown =>
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[k] : undefined;
  const board = field("board");
  if (r.ok && typeof board === "string" && BOARD_PATTERN.test(board)) return board;
  const error = field("error");
  throw new Error(httpReason(r.status, typeof error === "string" ? error : null));
}

export function importSection(): HTMLElement {
  const input = h("input", {
    type: "file",
    accept: ".wbd",
    hidden: true,
    "aria-label": t("import.file"),
    "data-testid": "import-file",
  });
  const button = h("button", { type: "button", text: t("import.button") });
  const error = h("p", { class: "error", role: "alert", "data-testid": "import-error" });
  error.hidden = true;
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    button.disabled = true;
    error.hidden = true;
    button.textContent = t("import.importing", { name: file.name });
    void upload(file).then(
      (board) => location.assign(`/b/${encodeURIComponent(board)}`),
      (e: unknown) => {
        button.disabled = false;
        button.textContent = t("import.button");
        const why = e instanceof Error ? e.message : String(e);
        error.textContent = t("import.failed", { name: file.name, why });
        error.hidden = false;
      },
    );
  });
  return h(
    "section",
    { class: "import" },
    button,
    h("span", {
      class: "hint",
      text: t("import.hint"),
    }),
    input,
    error,
  );
}
