"""The server's layers, as docs/architecture.md draws them: what must never import what.

A rule written only in a document drifts; this reads every module's imports (those inside
``if TYPE_CHECKING:`` do not count: they cost nothing at run time and create no cycle) and
fails naming the import that breaks a rule, so a newcomer learns the rule where they broke it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "whiteboard"

CORE = ("codec", "protocol", "document", "config", "metrics", "points")
"""Pure or leaf modules: the wire contract, the board model, settings, counters."""

NEVER: dict[str, tuple[str, ...]] = {
    # part of the tree -> what it must never import
    **{core: ("store", "cluster", "history", "export", "live", "web") for core in CORE},
    "store": ("cluster", "live", "web", "export", "history.state", "history.pages",
              "history.seek", "history.checkpoint", "history.rebuild", "history.boardfile"),
    "cluster": ("live", "web", "history", "export"),
    "history": ("live", "web", "cluster"),
    "export": ("live", "web", "store", "cluster", "history"),
    "live": ("web",),
    "blobs": ("store", "cluster", "history", "export", "live", "web"),
}  # fmt: skip
"""The store may read ``history.layout``: a pure format module (the checkpoint's index) that
the store computes when a checkpoint arrives without one."""


def part_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts
    return parts[0] if parts[0] != "__init__" else ""


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module under whiteboard) of every run-time import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "whiteboard":
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.module.startswith("whiteboard."):
                base = node.module.removeprefix("whiteboard.")
                found.append((node.lineno, base))
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name.removeprefix("whiteboard."))
                for a in node.names
                if a.name.startswith("whiteboard.")
            ]
    return found


def breaks(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def test_every_part_keeps_to_its_layer() -> None:
    broken = []
    for path in sorted(ROOT.rglob("*.py")):
        never = NEVER.get(part_of(path), ())
        for line, module in imports(path):
            bad = [f for f in never if breaks(module, f)]
            if bad and not (part_of(path) == "store" and module.startswith("history.layout")):
                broken.append(f"{path.relative_to(ROOT.parent)}:{line} imports {module}")
    assert not broken, "layer rule broken (docs/architecture.md):\n" + "\n".join(broken)


@pytest.mark.parametrize("part", sorted(NEVER))
def test_each_rule_names_a_part_that_exists(part: str) -> None:
    """A rule about a part that was renamed would pass forever: every part must exist."""
    assert (ROOT / part).is_dir() or (ROOT / f"{part}.py").is_file()
