/**
 * The board page: builds the model, the connection, the renderer, the tools and the UI, and
 * wires them together. Each part only knows the interfaces it needs; this file is the one
 * place that knows them all.
 */
import { httpReason, t } from "./i18n/i18n";
import { Editor } from "./model/editor";
import { Model } from "./model/model";
import { blobUrl } from "./net/blobs";
import { Connection } from "./net/connection";
import { LocalCopy } from "./net/local-copy";
import { ImageCache } from "./render/images";
import { Renderer } from "./render/renderer";
import { HistoryLoader } from "./replay/loader";
import { Viewport } from "./render/viewport";
import { installTestHook } from "./testing/hook";
import { ArrowTool } from "./tools/arrow";
import { addAtCentre } from "./tools/centre";
import { EllipseTool } from "./tools/ellipse";
import { EraserTool } from "./tools/eraser";
import { LaserTool } from "./tools/laser";
import { LaserTrails } from "./render/laser";
import { HandTool } from "./tools/hand";
import { LineTool } from "./tools/line";
import { PenTool } from "./tools/pen";
import { RectTool } from "./tools/rect";
import { SelectTool } from "./tools/select";
import { Selection } from "./tools/selection";
import { StyleState } from "./tools/style";
import { editElement } from "./tools/edit";
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
import { Announcer } from "./ui/announcer";
import { CursorLayer } from "./ui/cursors";
import { ElementList } from "./ui/element-list";
import { Follow } from "./ui/follow";
import { PRESENTING_TEXT } from "./ui/presenting-text";
import { h } from "./ui/dom";
import { HelpDialog } from "./ui/help";
import { ICONS } from "./ui/icons";
import { ImageInserter } from "./ui/insert-image";
import { BoardMenu } from "./ui/menu";
import { BoardInput } from "./ui/input";
import { refusalText } from "./ui/messages";
import { storedName, storeName } from "./ui/names";
import { PenMode } from "./ui/pen-mode";
import { Presentation } from "./ui/present";
import { PeopleList } from "./ui/people";
import { AccessDialog, accountControl, ownsBoard, whoAmI } from "./ui/access";
import { ShareMenu } from "./ui/share";
import { rememberView } from "./ui/remembered-view";
import { installShortcuts } from "./ui/shortcuts";
import { StatusPill } from "./ui/status";
import { StylePanel } from "./ui/style-panel";
import { TextEditor } from "./ui/text-editor";
import { theme } from "./ui/theme";
import { Toasts } from "./ui/toast";
import { Toolbar } from "./ui/toolbar";
import { ZoomControls } from "./ui/zoom";
import { randomId } from "./util/ids";
import { boardKey, rememberKey } from "./util/board-key";
import { rememberBoard } from "./util/recent";

export function startBoard(root: HTMLElement, board: string, title = ""): void {
  rememberBoard(board);
  // `?embed=1` (a board in another site's frame): the canvas and the tools, nothing else.
  if (new URLSearchParams(location.search).get("embed") === "1") root.classList.add("embed");
  let boardTitle = title;
  const model = new Model();
  const editor = new Editor(model);
  const viewport = new Viewport();
  const stage = h("div", { class: "stage", "data-testid": "board" });
  const chrome = h("div", { class: "chrome" });
  root.append(stage, chrome);

  const renderer = new Renderer(stage, model, viewport);
  renderer.dark = theme.dark;
  theme.onChange(() => {
    renderer.dark = theme.dark;
  });
  rememberView(board, viewport);
  const selection = new Selection(model);
  const style = new StyleState();
  const textEditor = new TextEditor(stage, viewport, renderer, () => model.limits.text_chars);
  const cursors = new CursorLayer(stage, viewport);
  const toasts = new Toasts(chrome);
  editor.onRefused = (code) =>
    toasts.show(
      code === "read_only" && model.readOnly
        ? t("app.readOnlyDraw")
        : refusalText(code, model.limits),
    );

  let name = storedName();
  const top = h("div", { class: "top-right" });
  const left = h("div", { class: "top-left" });
  chrome.append(left, top);
  const home = h("a", { class: "home panel", href: "/", title: t("app.allBoards"), text: board });
  /** The title (stored with the board, docs/protocol.md) in the tab and the corner link. */
  const showTitle = (): void => {
    document.title = boardTitle ? `${boardTitle} · ${t("app.name")}` : t("app.title", { board });
    home.textContent = boardTitle || board;
  };
  showTitle();

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
    laser: (x, y) => {
      lasers.add(conn.me, myColor, x, y);
      conn.sendLaser(x, y);
    },
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
    laser: new LaserTool(ctx),
  };
  const firstTool: ToolName = "pen";
  let current: Tool = tools[firstTool];

  const toolbar = new Toolbar(
    chrome,
    (t) => setTool(t),
    editor,
    () => history.toggle(),
    () => toggleStyle(),
  );
  const stylePanel = new StylePanel(chrome, style, selection, model, editor);
  /** On a phone the style panel is a sheet over the tools, opened from the bar (styles.css). */
  const toggleStyle = (open = !root.classList.contains("style-open")): void => {
    root.classList.toggle("style-open", open);
    toolbar.setStyleOpen(open);
    if (open) stylePanel.el.querySelector<HTMLElement>("[aria-pressed=true]")?.focus();
  };
  const frames = new FramesPanel(chrome, model, viewport, () => presentation.start());
  // Slides are views: followers of the presenter get them as `view`s (ui/present.ts).
  const presentation = new Presentation(chrome, model, viewport, {
    toggled: (on) => {
      follow.stop();
      root.classList.toggle("presenting", on);
    },
    toast: (t) => toasts.show(t),
  });
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
  const menu = new BoardMenu(left, board, {
    help: () => help.toggle(),
    addShape: () => {
      if (!history.active && !model.readOnly) addAtCentre(ctx, "rect");
    },
    rename: () => void renameBoard(),
    present: () => presentation.start(),
  });
  left.append(home);
  const status = new StatusPill(top);
  const key = boardKey(board);
  const renameBoard = async (): Promise<void> => {
    const answer = prompt(t("menu.renamePrompt"), boardTitle);
    if (answer === null) return;
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (key) headers["X-Edit-Key"] = key;
    const r = await fetch(`/api/boards/${encodeURIComponent(board)}/title`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ title: answer.trim() || null }),
    });
    if (r.ok) {
      boardTitle = answer.trim();
      showTitle();
      return;
    }
    const body = (await r.json().catch(() => ({}))) as { error?: unknown };
    toasts.show(httpReason(r.status, typeof body.error === "string" ? body.error : null));
  };
  const share = new ShareMenu(top, board, key, (t) => toasts.show(t));
  // Sign-in on (docs/protocol.md, "Owners and sharing"): who I am, and the owner's dialog.
  void whoAmI().then(async (me) => {
    const account = accountControl(me);
    if (account) left.append(account);
    if (!me.user || !(await ownsBoard(board))) return;
    const dialog = new AccessDialog(
      chrome,
      board,
      (k) => {
        rememberKey(board, k);
        share.setKey(k);
      },
      (text) => toasts.show(text),
    );
    share.setManage(() => void dialog.open());
  });

  const atParam = new URLSearchParams(location.search).get("at");
  let openAt = atParam !== null && /^\d+$/.test(atParam) ? Number(atParam) : null;
  // Presenting: follow someone's view, be summoned, see laser trails (PROTOCOL.md 1.1).
  let myColor = "#e03131";
  const lasers = new LaserTrails(renderer, viewport);
  const follow = new Follow(chrome, viewport, (peer) => people.setFollowed(peer?.id ?? null));
  const reportView = (): void => {
    const b = viewport.visible();
    if (viewport.width > 0 && b.maxX > b.minX && b.maxY > b.minY) {
      conn.sendView([b.minX, b.minY, b.maxX, b.maxY]);
    }
  };
  const colorOf = (id: number): string => conn.peers.find((p) => p.id === id)?.color ?? myColor;

  const conn = new Connection(
    `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/${encodeURIComponent(board)}`,
    () => name,
    model,
    {
      ops: (sops) => {
        for (const sop of sops) {
          if (sop.k === "add") authors.set(sop.e.id, sop.by);
          if (model.isMine(sop.by)) continue;
          if (sop.k === "delete") for (const id of sop.ids) announcer.changed(sop.by, id);
          else announcer.changed(sop.by, sop.k === "add" ? sop.e.id : sop.id);
        }
      },
      welcome: (w) => {
        share.setReadOnly(w.readonly === true);
        root.classList.toggle("read-only", w.readonly === true);
        if (w.readonly && !["select", "hand"].includes(current.name)) setTool("hand");
        people.setMyColor(w.color);
        people.setCanSummon(w.readonly !== true);
        myColor = w.color;
        people.show(conn.peers);
        cursors.setPeers(conn.peers);
        announcer.peers(conn.peers, true);
        elementList.refreshSoon();
        follow.peers(conn.peers);
        reportView();
        // `/b/{board}?at=S` opens the history at S, once, when the board's head is known.
        if (openAt !== null) history.openAt(Math.min(openAt, w.seq));
        openAt = null;
        localCopy.welcomed();
      },
      presence: (p) => {
        if (p.join || p.leave) {
          announcer.peers(conn.peers);
          elementList.refreshSoon();
          people.show(conn.peers);
          cursors.setPeers(conn.peers);
          follow.peers(conn.peers);
        }
        // A compact client's presence frame is shared by everyone: it holds our cursor too.
        for (const [id, x, y] of p.cur ?? []) if (id !== conn.me) cursors.move(id, x, y);
        if (p.view) follow.views(p.view);
        for (const [id, x, y] of p.laser ?? []) {
          if (id !== conn.me) lasers.add(id, colorOf(id), x, y);
        }
      },
      summon: (by, vp) => {
        follow.stop();
        follow.glide(vp);
        const who = conn.peers.find((p) => p.id === by)?.name ?? PRESENTING_TEXT.someone();
        toasts.show(PRESENTING_TEXT.summoned(who));
      },
      refused: (code) => toasts.show(refusalText(code, model.limits)),
      status: (s) => status.show(s),
    },
    key,
  );
  viewport.onChange(reportView);
  const people = new PeopleList(
    top,
    name,
    (fresh) => {
      name = fresh;
      storeName(fresh);
      conn.reconnect();
    },
    {
      follow: (peer) => follow.follow(conn.peers.find((p) => p.id === peer.id) ?? peer),
      summon: () => {
        reportView();
        conn.sendSummon();
      },
    },
  );
  menu.hostWhenCompact(top, [share.el, people.el]);

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

  const images = new ImageCache(
    (blob) => blobUrl(board, blob),
    () => renderer.invalidate(),
  );
  renderer.images = images;
  const inserter = new ImageInserter(stage, {
    board,
    key,
    viewport,
    renderer,
    images,
    blobBytes: () => model.limits.blob_bytes,
    blocked: () => (history.active ? "" : model.readOnly ? t("image.readOnly") : null),
    place: (img) => {
      const id = randomId();
      if (!editor.do({ k: "add", e: { ...img, id, type: "image" } })) return false;
      setTool("select");
      selection.set([id]);
      return true;
    },
    toast: (t) => toasts.show(t),
  });
  toolbar.addAction("image", t("image.insert"), ICONS.image, () => inserter.pick());

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
  // Pen mode: a stylus draws, fingers pan; its eraser end erases (ui/pen-mode.ts).
  const penMode = new PenMode(stylePanel.el);
  input.penOnly = () => penMode.on;
  input.penSeen = () => penMode.stylus();
  input.eraser = () => tools.eraser;
  renderer.addOverlay((c) => {
    if (history.active) return;
    if (current !== select) select.paintOverlay(c);
    current.paintOverlay?.(c);
  });

  // The board for screen readers and keyboards: its elements as a list beside the canvas,
  // and what others do, in words.
  const announcer = new Announcer(chrome);
  /** Who added each element seen being added since the page opened (client ids). */
  const authors = new Map<string, number>();
  const elementList = new ElementList(root, {
    model,
    selection,
    renderer,
    viewport,
    author: (id) => {
      const by = authors.get(id);
      if (by === undefined) return null;
      return model.isMine(by)
        ? t("elements.byYou")
        : t("elements.by", { name: announcer.nameOf(by) });
    },
    edit: (id) => {
      const el = model.get(id);
      if (el && !history.active && !model.readOnly) editElement(ctx, el);
    },
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
    board,
    key,
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
      follow.stop();
      if (help.open) help.toggle();
      else if (menu.open) menu.show(false);
      else if (root.classList.contains("style-open")) toggleStyle(false);
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
    enter: () => {
      if (history.active || model.readOnly) return false;
      const sel = selection.list();
      const one = sel.length === 1 ? model.get(sel[0] as string) : undefined;
      if (one && editElement(ctx, one)) return true;
      return addAtCentre(ctx, current.name as ToolName);
    },
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
      selection,
      setTool,
      settling: () => keeper.busy,
      lasers,
      follow,
      presentation,
    });
  }

  const localCopy = new LocalCopy(board, model, conn);
  localCopy.restore();
  conn.start();
}
