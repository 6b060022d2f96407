/**
 * Edit keys of protected boards. The edit link carries the key in the URL fragment, which the
 * browser never sends to the server with the page request (so it is in no request line and no
 * log); the app sends it in `hello` instead. It is kept per board in this browser, so coming
 * back from the recent-boards list still opens the board for editing.
 */
import { load, save } from "./storage";

const KEY = "wb.key.";

/** The key from `#key=...`, else the one remembered for this board, else null. */
export function boardKey(board: string): string | null {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromLink) {
    save(KEY + board, fromLink);
    return fromLink;
  }
  const saved = load<unknown>(KEY + board, null);
  return typeof saved === "string" && saved.length > 0 ? saved : null;
}

export function boardLinks(
  board: string,
  key: string | null,
): { view: string; edit: string | null } {
  const view = `${location.origin}/b/${encodeURIComponent(board)}`;
  return { view, edit: key ? `${view}#key=${encodeURIComponent(key)}` : null };
}

/** A replaced edit link's key: kept for this board, and put in the address bar. */
export function rememberKey(board: string, key: string): void {
  save(KEY + board, key);
  window.history.replaceState(
    null,
    "",
    `${location.pathname}${location.search}#key=${encodeURIComponent(key)}`,
  );
}
