"""The history panel's "Export video": a WebM of a replay, recorded in the browser, that plays
for as long as it should and shows the drawing being made (issue 16)."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from conftest import open_board, wait_synced
from playwright.sync_api import Page

# Strokes drawn this far apart in time: the replay at 1x without idle skipping lasts
# LEAD (0.5 s) + the span of the drawing (3 x 1.2 s) + HOLD (1 s), about five seconds.
SPACING_S = 1.2
SCALE = 640 / 1200
LINES = [(320 + 200 * i, 250 + 80 * i) for i in range(4)]  # clear of the panels

# Loads the file in a <video>, reads its duration, and counts the dark pixels of a frame at
# each time asked for around each point asked for (and the share of the caption box's strip
# that is dark).
PROBE_JS = """async ([b64, times, points]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const v = document.createElement('video');
  v.muted = true;
  v.src = URL.createObjectURL(new Blob([bytes], {type: 'video/webm'}));
  await new Promise((ok, ko) => { v.onloadedmetadata = ok; v.onerror = () => ko(v.error); });
  // MediaRecorder's files carry no duration: a player finds it by seeking past the end.
  if (!Number.isFinite(v.duration)) {
    await new Promise((ok) => { v.onseeked = ok; v.currentTime = 1e6; });
  }
  const duration = v.duration;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', {willReadFrequently: true});
  const frames = [];
  for (const t of times) {
    await new Promise((ok) => { v.onseeked = ok; v.currentTime = t; });
    g.drawImage(v, 0, 0);
    const ink = points.map(([x, y]) => {
      const d = g.getImageData(x - 4, y - 4, 9, 9).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 300) n++;
      return n;
    });
    const cap = g.getImageData(c.width / 2 - 20, c.height - 22, 40, 4).data;
    let dark = 0;
    for (let i = 0; i < cap.length; i += 4) if (cap[i] < 140) dark++;
    frames.push({ink, caption: dark / (cap.length / 4)});
  }
  return {duration, width: v.videoWidth, height: v.videoHeight, frames};
}"""


def _probe(page: Page, path: Path, times: list[float], points: list[tuple[int, int]]) -> Any:
    data = base64.b64encode(path.read_bytes()).decode()
    return page.evaluate(PROBE_JS, [data, times, points])


def test_a_replay_exported_as_a_webm_video(server, board, people) -> None:
    a = open_board(people(), server, board, "Ana")
    start = time.monotonic()
    for i, (x, y) in enumerate(LINES):
        # A stroke at each known moment (one op each), so that the replay has a known length.
        while time.monotonic() < start + i * SPACING_S:
            time.sleep(0.02)
        pen = {"id": f"p{i}", "type": "pen", "x": x, "y": y, "stroke": "#1e1e1e", "width": 6,
               "pts": [0, 0, 28, 7, 56, 14, 84, 21]}  # fmt: skip
        assert a.evaluate("ops => window.__wb.apply(ops)", [{"k": "add", "e": pen}])
    wait_synced(a)
    ops = server.log_ops(board)
    span = (ops[-1]["ts"] - ops[0]["ts"]) / 1000
    expected = 0.5 + span + 1.0
    adds = [i for i, op in enumerate(ops) if op["k"] == "add"]
    assert len(adds) == len(LINES)
    # Between the end of the first stroke and the start of the last one.
    at = [0.5 + (op["ts"] - ops[0]["ts"]) / 1000 for op in ops]
    middle = (at[adds[1] - 1] + at[adds[3]]) / 2

    a.keyboard.press("Control+Shift+H")
    a.wait_for_function("() => { const h = window.__wb.history(); return h && !h.busy; }")
    a.locator(".history .skip input").uncheck()  # real time between the strokes
    a.get_by_role("button", name="Export…").click()
    a.get_by_test_id("export-video").click()
    panel = a.get_by_test_id("video-panel")
    panel.wait_for(state="visible")
    assert a.get_by_test_id("video-to").input_value() == str(len(ops))
    a.get_by_test_id("video-speed").select_option("1")
    a.get_by_test_id("video-width").select_option("640")  # 1200x800 scaled to 640x426
    a.get_by_test_id("video-captions").check()

    # A recording can be cancelled: nothing is saved.
    status = a.get_by_test_id("video-status")
    a.get_by_test_id("video-record").click()
    a.get_by_test_id("video-cancel").click()
    a.wait_for_function(
        "() => document.querySelector('[data-testid=video-status]').textContent"
        " === 'Video export cancelled.'"
    )

    with a.expect_download(timeout=30_000) as download:
        a.get_by_test_id("video-record").click()
        status.filter(has_text="Recording the video").wait_for()  # progress is shown
    assert download.value.suggested_filename == f"{board}-0-{len(ops)}.webm"
    path = Path(download.value.path())
    panel.wait_for(state="hidden")

    # Plays, as long as the replay lasts.
    # The first frame shows the empty board; the last one every stroke and the caption box.
    ends = [(round((x + 42) * SCALE), round((y + 10) * SCALE)) for x, y in LINES]
    player = people().new_page()  # a blank page: the board's CSP plays no blob: media
    got = _probe(player, path, [0.1, middle, expected - 0.2], ends)
    assert 4.5 < expected < 6.5, expected
    assert abs(got["duration"] - expected) < 0.4, (got["duration"], expected)
    assert (got["width"], got["height"]) == (640, 426)
    first, mid, last = got["frames"]
    assert first["ink"] == [0, 0, 0, 0], first
    assert mid["ink"][0] > 0 and mid["ink"][3] == 0, mid  # the drawing as it was made
    assert all(n > 0 for n in last["ink"]), last
    assert last["caption"] > 0.5 and first["caption"] == 0, (first, last)  # white letters on it
    assert a.errors == []  # type: ignore[attr-defined]
