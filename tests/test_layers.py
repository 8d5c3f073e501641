"""The core's layers: which part of `bot/` may import which (CONTRIBUTING.md describes the layout).

Every import in every module counts, also the ones inside functions: a lazy import is still a
dependency. The table is the architecture; changing it should be a decision, not a side effect.
And a module per concern: none in `bot/` or `adapters/` is over `MAX_LINES` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BOT = REPO / "bot"

ALLOWED: dict[str, set[str]] = {
    # Reply blocks and templates: the bottom layer.
    "replies": set(),
    "messages": {"replies"},
    "config": set(),
    "knowledge": {"replies"},
    "search": {"config", "knowledge"},
    # Storage knows settings only: privacy deletions reach saved reports through bot.storage itself.
    "storage": {"config"},
    "conversation": {"config", "knowledge", "messages", "replies", "search", "storage"},
    # The maintainers' tools sit on top; nothing on the serving path imports them.
    "maintainers": {"config", "conversation", "knowledge", "messages", "replies", "search", "storage"},
}
PLATFORMS = ("telegram", "discord", "adapters")


def imports_of(path: Path) -> set[str]:
    """Every absolute module name a file imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_of(path: Path) -> str:
    """The part of bot/ a file belongs to: its subpackage, or its module name at the top."""
    relative = path.relative_to(BOT).with_suffix("").parts
    return relative[0]


def modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if p.name != "__init__.py" or p.parent != BOT)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(BOT)))
def test_each_module_imports_only_from_the_layers_below(path: Path) -> None:
    layer = layer_of(path)
    assert layer in ALLOWED, f"{layer} is a new part of bot/: add it to ALLOWED with what it may import"
    used = {name.split(".")[1] for name in imports_of(path) if name.startswith("bot.") and name.count(".") >= 1}
    wrong = sorted(used - ALLOWED[layer] - {layer})
    assert not wrong, (
        f"bot/{path.relative_to(BOT)} ({layer}) imports {wrong}; {layer} may import {sorted(ALLOWED[layer])}"
    )
    platform = sorted(name for name in imports_of(path) if name.split(".")[0] in PLATFORMS)
    assert not platform, f"the core must not import platform code: bot/{path.relative_to(BOT)} imports {platform}"


def test_the_table_has_no_cycle() -> None:
    seen: dict[str, int] = {}

    def visit(layer: str, trail: tuple[str, ...]) -> None:
        assert layer not in trail, f"layers import each other in a cycle: {' -> '.join((*trail, layer))}"
        for below in ALLOWED[layer]:
            visit(below, (*trail, layer))
        seen[layer] = 1

    for layer in ALLOWED:
        visit(layer, ())
    assert set(seen) == set(ALLOWED)


MAX_LINES = 400
"""No module over this many lines (issue 15; STYLE.md: a module per concern)."""
OVER_MAX_LINES: set[str] = set()
"""The only modules allowed over `MAX_LINES`, for now. Never add one: split the module instead."""


def modules_over_the_limit() -> dict[str, int]:
    """Every module under bot/ and adapters/ over `MAX_LINES` lines, by repository path, with its line count."""
    paths = (p for folder in (BOT, REPO / "adapters") for p in folder.rglob("*.py"))
    counts = {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in paths}
    return {name: lines for name, lines in sorted(counts.items()) if lines > MAX_LINES}


def test_no_module_is_over_the_line_limit() -> None:
    over = modules_over_the_limit()
    new = {name: lines for name, lines in over.items() if name not in OVER_MAX_LINES}
    assert not new, f"modules over {MAX_LINES} lines (split them along their concerns): {new}"


def test_the_allowed_modules_are_still_over_the_limit() -> None:
    # An entry whose module was split (or removed) must go, so the allow-list only shrinks.
    done = sorted(OVER_MAX_LINES - set(modules_over_the_limit()))
    assert not done, f"{done} no longer over {MAX_LINES} lines: remove them from OVER_MAX_LINES"
