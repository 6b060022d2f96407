/**
 * The board page: builds the model, the connection, the renderer, the tools and the UI, and
 * wires them together. Each part only knows the interfaces it needs; this file is the one
 * place that knows them all.
 */
import { Editor } from "./model/editor";
import { Model } from "./model/model";
import { Connection } from "./net/connection";
import { Renderer } from "./render/renderer";
import { HistoryLoader } from "./replay/loader";
import { Viewport } from "./render/viewport";
import { installTestHook } from "./testing/hook";
import { ArrowTool } from "./tools/arrow";
import { EllipseTool } from "./tools/ellipse";
import { EraserTool } from "./tools/eraser";
import { HandTool } from "./tools/hand";
import { LineTool } from "./tools/line";
import { PenTool } from "./tools/pen";
import { RectTool } from "./tools/rect";
import { SelectTool } from "./tools/select";
import { Selection } from "./tools/selection";
import { StyleState } from "./tools/style";
import { TextTool } from "./tools/text";
import { restack } from "./tools/arrange";
import { BindingKeeper } from "./tools/binding-keeper";
import { Clipboard } from "./tools/clipboard";
import { FrameTool } from "./tools/frame";
import { NoteTool } from "./tools/note";
import type { Point } from "./render/viewport";
import { ArrangeMenu } from "./ui/arrange-menu";
import { FramesPanel } from "./ui/frames-panel";
import type { Tool, ToolContext, ToolName } from "./tools/tool";
import { CursorLayer } from "./ui/cursors";
import { h } from "./ui/dom";
import { HelpDialog } from "./ui/help";
import { BoardInput } from "./ui/input";
import { refusalText } from "./ui/messages";
import { storedName, storeName } from "./ui/names";
import { PeopleList } from "./ui/people";
import { ShareMenu } from "./ui/share";
import { rememberView } from "./ui/remembered-view";
import { installShortcuts } from "./ui/shortcuts";
import { StatusPill } from "./ui/status";
import { StylePanel } from "./ui/style-panel";
import { TextEditor } from "./ui/text-editor";
import { Toasts } from "./ui/toast";
import { Toolbar } from "./ui/toolbar";
import { ZoomControls } from "./ui/zoom";
import { randomId } from "./util/ids";
import { boardKey } from "./util/board-key";
import { rememberBoard } from "./util/recent";

export function startBoard(root: HTMLElement, board: string): void {
  rememberBoard(board);
  document.title = `${board} · Whiteboard`;
  const model = new Model();
  const editor = new Editor(model);
  const viewport = new Viewport();
  const stage = h("div", { class: "stage", "data-testid": "board" });
  const chrome = h("div", { class: "chrome" });
  root.append(stage, chrome);

  const renderer = new Renderer(stage, model, viewport);
  rememberView(board, viewport);
  const selection = new Selection(model);
  const style = new StyleState();
  const textEditor = new TextEditor(stage, viewport, renderer, () => model.limits.text_chars);
  const cursors = new CursorLayer(stage, viewport);
  const toasts = new Toasts(chrome);
  editor.onRefused = (code) =>
    toasts.show(
      code === "read_only" && model.readOnly
        ? "You can only watch this board: drawing needs its edit link."
        : refusalText(code, model.limits),
    );

  let name = storedName();
  const top = h("div", { class: "top-right" });
  const left = h("div", { class: "top-left" });
  chrome.append(left, top);
  left.append(h("a", { class: "home panel", href: "/", title: "All boards", text: board }));

  const ctx: ToolContext = {
    model,
    editor,
    viewport,
    renderer,
    selection,
    style,
    text: textEditor,
    newId: () => randomId(),
    setTool: (t) => setTool(t),
  };
  const select = new SelectTool(ctx);
  const tools: Record<ToolName, Tool> = {
    select,
    hand: new HandTool(ctx),
    pen: new PenTool(ctx),
    line: new LineTool(ctx),
    arrow: new ArrowTool(ctx),
    rect: new RectTool(ctx),
    ellipse: new EllipseTool(ctx),
    text: new TextTool(ctx),
    eraser: new EraserTool(ctx),
    note: new NoteTool(ctx),
    frame: new FrameTool(ctx),
  };
  const firstTool: ToolName = "pen";
  let current: Tool = tools[firstTool];

  const toolbar = new Toolbar(
    chrome,
    (t) => setTool(t),
    editor,
    () => history.toggle(),
  );
  new StylePanel(chrome, style, selection, model, editor);
  const frames = new FramesPanel(chrome, model, viewport);
  const arrange = new ArrangeMenu(chrome, ctx, () => frames.toggle());
  const keeper = new BindingKeeper(model, renderer);
  /** Where the pointer is on the board (null when it is elsewhere): pastes land there. */
  let pointer: Point | null = null;
  const zoomFit = (): void => {
    renderer.sync();
    viewport.fit(renderer.index.extent());
  };
  new ZoomControls(chrome, viewport, zoomFit);
  const help = new HelpDialog(chrome);
  const status = new StatusPill(top);
  const key = boardKey(board);
  const share = new ShareMenu(top, board, key, (t) => toasts.show(t));

  const conn = new Connection(
    `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${encodeURIComponent(board)}`,
    () => name,
    model,
    {
      welcome: (w) => {
        share.setReadOnly(w.readonly === true);
        root.classList.toggle("read-only", w.readonly === true);
        if (w.readonly && !["select", "hand"].includes(current.name)) setTool("hand");
        people.setMyColor(w.color);
        people.show(conn.peers);
        cursors.setPeers(conn.peers);
      },
      presence: (p) => {
        people.show(conn.peers);
        cursors.setPeers(conn.peers);
        for (const [id, x, y] of p.cur ?? []) cursors.move(id, x, y);
      },
      refused: (code, msg) => toasts.show(refusalText(code, model.limits, msg)),
      status: (s) => status.show(s),
    },
    key,
  );
  const people = new PeopleList(top, name, (fresh) => {
    name = fresh;
    storeName(fresh);
    conn.reconnect();
  });

  // While the history is open, the pointer belongs to it: the moment shown is read-only.
  const history = new HistoryLoader({
    board,
    model,
    editor,
    renderer,
    viewport,
    stage,
    chrome,
    toast: (t) => toasts.show(t),
    toggled: (active) => {
      textEditor.commit();
      selection.clear();
      input.toolChanged(active ? current : (history.tool ?? current));
      root.classList.toggle("replaying", active);
      toolbar.setHistoryOpen(active);
    },
  });

  const input = new BoardInput(
    stage,
    viewport,
    renderer,
    () => (history.active ? (history.tool ?? current) : current),
    (p) => {
      pointer = p;
      conn.sendCursor(p?.x ?? null, p?.y ?? null);
    },
    // A click outside the text being typed finishes it, and does nothing else.
    () => {
      if (!textEditor.active) return false;
      textEditor.commit();
      return true;
    },
  );
  renderer.addOverlay((c) => {
    if (history.active) return;
    if (current !== select) select.paintOverlay(c);
    current.paintOverlay?.(c);
  });

  function setTool(name: ToolName): void {
    const next = tools[name];
    if (next === current) return;
    textEditor.commit();
    const old = current;
    current = next;
    input.toolChanged(old);
    if (name !== "select") selection.clear();
    toolbar.setActive(name);
    arrange.setTool(name);
  }
  toolbar.setActive(firstTool);
  arrange.setTool(firstTool);
  const clipboard = new Clipboard(
    ctx,
    () => pointer,
    () => !history.active && !model.readOnly,
  );
  clipboard.install();

  /** Shortcuts that change the board do nothing while a past moment is shown. */
  const editing = (fn: () => void) => (): void => {
    if (!history.active) fn();
  };
  installShortcuts({
    setTool: (t) => editing(() => setTool(t))(),
    undo: editing(() => editor.undo()),
    redo: editing(() => editor.redo()),
    deleteSelection: editing(() => select.deleteSelection()),
    duplicate: editing(() => select.duplicateSelection()),
    selectAll: editing(() => {
      setTool("select");
      const ids: string[] = [];
      model.forEach((e) => ids.push(e.id));
      selection.set(ids);
    }),
    escape: () => {
      if (help.open) help.toggle();
      else if (history.active) history.close();
      current.cancel();
      selection.clear();
    },
    nudge: (dx, dy) => {
      if (history.active && dx !== 0) history.step(Math.sign(dx));
      else if (history.active) viewport.panBy(0, -dy * 20);
      else if (selection.size > 0) select.nudge(dx, dy);
      else viewport.panBy(-dx * 20, -dy * 20);
    },
    zoomIn: () => viewport.zoomBy(1.25),
    zoomOut: () => viewport.zoomBy(1 / 1.25),
    zoomReset: () => viewport.reset(),
    zoomFit,
    help: () => help.toggle(),
    history: () => history.toggle(),
    lock: editing(() => arrange.toggleLock()),
    restack: (how) => editing(() => restack(ctx, selection.list(), how))(),
    space: (down) => input.setSpace(down),
  });

  // Only in the browser tests' bundle (build.mjs --e2e): the production one has no hook.
  if (__TEST_HOOKS__) {
    installTestHook({
      board,
      model,
      editor,
      viewport,
      renderer,
      conn,
      history,
      setTool,
      settling: () => keeper.busy,
    });
  }

  conn.start();
}
