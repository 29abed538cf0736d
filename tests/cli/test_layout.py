"""Who may import whom around the command and the process lifecycle, and `--help` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("bot", "handlers", "storage", "delivery", "ingest", "sandbox", "bench")


def imported(path: Path) -> Iterator[str]:
    """Every module a file imports when it runs (imports for type checking only are skipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            skipped.update(id(inner) for child in node.body for inner in ast.walk(child))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_nothing_but_the_entry_point_imports_the_command() -> None:
    importers = [
        path.relative_to(ROOT)
        for package in PRODUCTION
        for path in (ROOT / package).rglob("*.py")
        if not path.is_relative_to(ROOT / "bot" / "cli") and path != ROOT / "bot" / "__main__.py"
        if any(within(module, "bot.cli") for module in imported(path))
    ]
    assert importers == []


@pytest.mark.parametrize("forbidden", ["handlers", "delivery", "bot.app", "bot.cli"])
def test_the_runtime_runs_what_the_composition_root_built(forbidden: str) -> None:
    importers = [
        path.relative_to(ROOT)
        for path in (ROOT / "bot" / "runtime").rglob("*.py")
        if any(within(module, forbidden) for module in imported(path))
    ]
    assert importers == []


def test_help_imports_neither_telegram_nor_the_database() -> None:
    probe = (
        "import sys, bot.cli; bot.cli.build_parser(); "
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = {"telegram", "sqlalchemy", "aiohttp", "handlers", "delivery", "storage", "sandbox"}
    assert heavy.isdisjoint(loaded)
