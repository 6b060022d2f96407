"""Test-only code stays out of the app the server serves.

The browser tests drive the app through ``window.__wb`` (static/src/testing/hook.ts), which
only the bundle built with ``node build.mjs --e2e`` installs. The bundle in static/dist, the
one ``make run`` serves, must carry none of it: no hook, no way to fake a network outage.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Names a minifier keeps (a window property, a method once on Connection), so their absence is
# meaningful in minified code.
TEST_ONLY = ("__wb", "setBlocked")


def bundle_text(folder: Path) -> str:
    files = sorted(folder.glob("*.js")) + sorted(folder.glob("*.js.map"))
    assert any(f.name == "main.js" for f in files), f"no main.js in {folder}"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def build(out: Path, *flags: str) -> Path:
    subprocess.run(["node", "build.mjs", *flags, "--outdir", str(out)], cwd=ROOT, check=True)
    return out


def test_the_production_build_has_no_test_hooks_and_the_e2e_build_has_them(
    tmp_path: Path,
) -> None:
    served = bundle_text(build(tmp_path / "dist"))
    tested = bundle_text(build(tmp_path / "e2e", "--e2e"))
    assert [name for name in TEST_ONLY if name in served] == []
    # The same search finds the hook where it belongs, so the check above can fail.
    assert "__wb" in tested


def test_static_dist_has_no_test_hooks() -> None:
    """What `make run` serves right now (`make setup` builds it before the tests run)."""
    dist = ROOT / "static" / "dist"
    if not (dist / "main.js").is_file():
        pytest.skip("static/dist is not built (make build)")
    served = bundle_text(dist)
    assert [name for name in TEST_ONLY if name in served] == []
