/**
 * Entry point. The server renders a page shell whose <body data-page> says which app to start
 * (no inline script: the Content-Security-Policy forbids it), with data attributes for input.
 */
import "./styles.css";
import { startBoard } from "./app";
import { startLanding } from "./landing/landing";
import { BOARD_PATTERN } from "./model/validate";

const body = document.body;
const root = document.getElementById("app") ?? body;
if (body.dataset["page"] === "board") {
  const board = body.dataset["board"] ?? "";
  if (BOARD_PATTERN.test(board)) startBoard(root, board);
} else if (body.dataset["page"] === "landing") {
  startLanding(root);
}
