"""The domain layer knows nothing of Telegram or the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "bot" / "domain"
FORBIDDEN = ("telegram", "sqlalchemy")
DOMAIN_FILES = sorted(DOMAIN.rglob("*.py"))


def _is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a file imports, with its line: import statements and dynamic imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((node.lineno, first.value))
    return found


def test_the_domain_package_has_modules() -> None:
    names = {path.relative_to(DOMAIN).as_posix() for path in DOMAIN_FILES}
    assert {"__init__.py", "articles/__init__.py", "labels.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_imports_no_framework(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [f"line {line}: {module}" for line, module in _imports(tree) if _is_forbidden(module)]
    assert not bad, f"{path.relative_to(ROOT)} imports {', '.join(bad)}"


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("import telegram", True),
        ("import telegram.ext as ext", True),
        ("from sqlalchemy.orm import Session", True),
        ("import os, sqlalchemy", True),
        ("importlib.import_module('telegram.constants')", True),
        ("def f():\n    from telegram import Bot", True),
        ("import telegramx", False),
        ("from . import labels", False),
        ("from bot.domain.labels import fold_label", False),
    ],
)
def test_the_check_itself(source: str, forbidden: bool) -> None:
    assert any(_is_forbidden(m) for _, m in _imports(ast.parse(source))) is forbidden


def test_bot_package_init_is_empty() -> None:
    assert (ROOT / "bot" / "__init__.py").read_text(encoding="utf-8").strip() == ""
