/**
 * Import a board file (exported from any board's history panel) as a new board.
 *
 * The server validates the file op by op, like network input, and either creates the whole
 * board or nothing; when it refuses, its `{error}` sentence is shown as it is, in words.
 */
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
    throw new Error("the server could not be reached (or it stopped reading the file).");
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
  throw new Error(typeof error === "string" ? error : `the server answered ${r.status}.`);
}

export function importSection(): HTMLElement {
  const input = h("input", {
    type: "file",
    accept: ".wbd",
    hidden: true,
    "aria-label": "Board file to import",
    "data-testid": "import-file",
  });
  const button = h("button", { type: "button", text: "Import a board file…" });
  const error = h("p", { class: "error", role: "alert", "data-testid": "import-error" });
  error.hidden = true;
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (!file) return;
    button.disabled = true;
    error.hidden = true;
    button.textContent = `Importing ${file.name}…`;
    void upload(file).then(
      (board) => location.assign(`/b/${encodeURIComponent(board)}`),
      (e: unknown) => {
        button.disabled = false;
        button.textContent = "Import a board file…";
        const why = e instanceof Error ? e.message : String(e);
        error.textContent = `“${file.name}” was not imported: ${why}`;
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
      text: "A .wbd file from a board's history panel becomes a new board.",
    }),
    input,
    error,
  );
}
