"""Who may import whom, read from every module's imports with `ast`.

Every import counts: at the top of a module, inside a function, under TYPE_CHECKING, and
`importlib.import_module("...")` with a literal name. Each rule below is one test; the import
graph of our modules must have no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("bot", "handlers", "storage", "delivery", "ingest")
WALKED = (*PRODUCTION, "sandbox", "bench")
OURS = (*WALKED, "tests")
DATABASE_LIBRARIES = ("sqlalchemy", "alembic", "asyncpg", "aiosqlite")


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement: `source` imports `target` at `line`."""

    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} imports {self.target} (line {self.line})"


Graph = Mapping[str, Collection[Import]]

# Imports known to break a rule, each named exactly (source, target) so that a new one still
# fails; each says why it is here.
KNOWN: frozenset[tuple[str, str]] = frozenset(
    {
        # Only the bare `alembic` command (a developer's tool; the bot migrates through
        # Database.upgrade) runs this import, to read DATABASE_URL as the bot does.
        ("storage.migrations.env", "bot.runtime.config"),
        # `digestbot sandbox` and `digestbot bench` run these from a source checkout, on
        # demand; the image has neither, and the CLI says so in one line (bot.cli.SOURCE_ONLY).
        ("bot.cli.run", "sandbox.terminal"),
        ("bot.cli.bench", "bench.ingest"),
        ("bot.cli.bench", "bench.delivery"),
        ("bot.cli.bench", "bench.memory"),
        ("bot.cli.bench", "bench.search"),
        ("bot.cli.bench", "bench.interactive"),
    }
)


def within(module: str, *packages: str) -> bool:
    """Whether `module` is one of `packages` or inside one."""
    return any(module == package or module.startswith(package + ".") for package in packages)


def module_name(path: Path, root: Path = ROOT) -> str:
    """The dotted name a file is imported by."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(
    source: str, tree: ast.AST, *, is_package: bool = False, known: Collection[str] = ()
) -> list[Import]:
    """Every module `source` imports. `from a import b` imports a.b when a.b is one of the
    `known` modules, else a; relative imports are resolved against `source`."""
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(source, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(source, is_package, node.level, node.module)
            for alias in node.names:
                child = f"{base}.{alias.name}" if base else alias.name
                target = child if child in known else base
                found.append(Import(source, target, node.lineno))
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else ""
            name = function.id if isinstance(function, ast.Name) else name
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) else None
            if name in ("import_module", "__import__") and isinstance(literal, str):
                found.append(Import(source, literal, node.lineno))
    return list(dict.fromkeys(found))


def _absolute(source: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    package = source.split(".") if is_package else source.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def read_graph(root: Path = ROOT, packages: Iterable[str] = WALKED) -> dict[str, list[Import]]:
    """Every module of `packages` under `root`, with the imports it makes."""
    files = {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }
    graph: dict[str, list[Import]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[module] = imports_in(module, tree, is_package=is_package, known=files)
    return graph


@dataclass(frozen=True, slots=True)
class Rule:
    """Modules `applies` to may not import what `forbids` names."""

    name: str
    applies: Callable[[str], bool]
    forbids: Callable[[str], bool]


RULES = (
    Rule(
        "domain-imports-no-framework-and-nothing-of-ours-outside-it",
        applies=lambda m: within(m, "bot.domain"),
        forbids=lambda t: (
            within(t, "telegram", *DATABASE_LIBRARIES)
            or (within(t, *OURS) and not within(t, "bot.domain"))
        ),
    ),
    Rule(
        "storage-imports-only-storage-and-domain",
        applies=lambda m: within(m, "storage"),
        forbids=lambda t: within(t, *OURS) and not within(t, "storage", "bot.domain"),
    ),
    Rule(
        "handlers-never-import-the-composition-root-or-cli",
        applies=lambda m: within(m, "handlers"),
        forbids=lambda t: within(t, "bot.app", "bot.cli"),
    ),
    Rule(
        "only-main-imports-cli",
        applies=lambda m: m != "bot.__main__" and not within(m, "bot.cli"),
        forbids=lambda t: within(t, "bot.cli"),
    ),
    Rule(
        "production-never-imports-sandbox-bench-or-tests",
        applies=lambda m: within(m, *PRODUCTION),
        forbids=lambda t: within(t, "sandbox", "bench", "tests"),
    ),
    Rule(
        # Repositories are the only way to the database.
        "only-storage-imports-database-libraries",
        applies=lambda m: within(m, *PRODUCTION) and not within(m, "storage"),
        forbids=lambda t: within(t, *DATABASE_LIBRARIES),
    ),
)


def broken(rule: Rule, graph: Graph, known: Collection[tuple[str, str]] = KNOWN) -> list[str]:
    """Every import in `graph` that breaks `rule`, except the `known` (source, target) pairs."""
    return [
        str(edge)
        for module, edges in sorted(graph.items())
        if rule.applies(module)
        for edge in edges
        if rule.forbids(edge.target) and (edge.source, edge.target) not in known
    ]


def cycles(graph: Graph, known: Collection[tuple[str, str]] = KNOWN) -> list[list[str]]:
    """One cycle (its modules, the first repeated last) for each strongly connected group of
    modules in `graph`, leaving out the `known` (source, target) edges."""
    edges = {
        module: sorted(
            {
                target
                for edge in imports
                if (edge.source, edge.target) not in known
                for target in _initialised(edge)
                if target in graph
            }
        )
        for module, imports in graph.items()
    }
    return [_cycle_through(group, edges) for group in _strongly_connected(edges)]


def _initialised(edge: Import) -> list[str]:
    """The modules an import runs: the target and each package above it (`import a.b.c` runs
    a/__init__.py and a/b/__init__.py first), except the packages holding the importer,
    which Python has initialised before it."""
    parts = edge.target.split(".")
    above = [".".join(parts[:n]) for n in range(1, len(parts))]
    return [edge.target, *(package for package in above if not within(edge.source, package))]


def _strongly_connected(edges: Mapping[str, list[str]]) -> Iterator[list[str]]:
    # Tarjan's algorithm; groups of one module count only when it imports itself.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(module: str) -> Iterator[list[str]]:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in index:
                yield from visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in edges[module]:
                yield sorted(group)

    for module in sorted(edges):
        if module not in index:
            yield from visit(module)


def _cycle_through(group: list[str], edges: Mapping[str, list[str]]) -> list[str]:
    # A shortest path back to the group's first module, by breadth-first search inside it.
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    for module in queue:
        for target in edges[module]:
            if target == start:
                return [*paths[module], start]
            if target in members and target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


GRAPH = read_graph()


def test_every_package_is_walked() -> None:
    for package in WALKED:
        assert package in GRAPH, package
    assert {"bot.domain.articles", "storage.repos", "handlers", "bot.__main__"} <= set(GRAPH)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_imports_follow_the_layers(rule: Rule) -> None:
    bad = broken(rule, GRAPH)
    assert not bad, "\n".join(bad)


def test_there_is_no_import_cycle() -> None:
    found = [" -> ".join(cycle) for cycle in cycles(GRAPH)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_every_known_exception_still_exists() -> None:
    edges = {(edge.source, edge.target) for imports in GRAPH.values() for edge in imports}
    # A known import that is gone must leave KNOWN too, or it would excuse its return.
    assert edges >= KNOWN, f"no longer imported, drop from KNOWN: {sorted(KNOWN - edges)}"


def test_outside_storage_no_code_reaches_for_a_session() -> None:
    # Repositories are the only way to the database: code outside storage asks Repos for
    # one (repos.articles, repos.stats ...) instead of building on its session.
    found = []
    for package in PRODUCTION:
        for path in sorted((ROOT / package).rglob("*.py")):
            if within(module_name(path), "storage"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute) and node.attr == "session"
            ]
    assert not found, "a session used outside storage: " + ", ".join(found)


def test_the_checks_report_a_cycle_and_a_forbidden_import() -> None:
    def module(name: str, *targets: str) -> tuple[str, list[Import]]:
        return name, [Import(name, target, n) for n, target in enumerate(targets, 1)]

    graph = dict(
        [
            module("bot.domain.digest", "bot.domain.labels", "sqlalchemy.orm"),
            module("bot.domain.labels"),
            module("handlers.start", "handlers.keyboards", "bot.cli"),
            module("handlers.keyboards", "storage.repos"),
            module("storage.repos", "handlers.start", "storage.models"),
            module("storage.models"),
            module("bot.cli"),
        ]
    )
    rules = {rule.name: rule for rule in RULES}
    assert broken(rules["domain-imports-no-framework-and-nothing-of-ours-outside-it"], graph) == [
        "bot.domain.digest imports sqlalchemy.orm (line 2)"
    ]
    assert broken(rules["storage-imports-only-storage-and-domain"], graph) == [
        "storage.repos imports handlers.start (line 1)"
    ]
    assert broken(rules["only-main-imports-cli"], graph) == [
        "handlers.start imports bot.cli (line 2)"
    ]
    assert cycles(graph) == [
        ["handlers.keyboards", "storage.repos", "handlers.start", "handlers.keyboards"]
    ]
    # A known edge is left out, and with it the cycle it closed.
    assert cycles(graph, known={("storage.repos", "handlers.start")}) == []
    assert cycles({"a": [Import("a", "a", 1)]}) == [["a", "a"]]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import telegram", ["telegram"]),
        ("import telegram.ext as ext, os", ["telegram.ext", "os"]),
        ("from sqlalchemy.orm import Session", ["sqlalchemy.orm"]),
        ("from storage import repos", ["storage.repos"]),
        ("from storage import Database", ["storage"]),
        ("from . import labels", ["bot.domain.labels"]),
        ("from .labels import fold_label", ["bot.domain.labels"]),
        ("from ..runtime import deps", ["bot.runtime"]),
        ("importlib.import_module('telegram.constants')", ["telegram.constants"]),
        ("def f():\n    from bot.cli import main", ["bot.cli"]),
        ("if TYPE_CHECKING:\n    from bot.app import BotApp", ["bot.app"]),
    ],
)
def test_every_kind_of_import_is_read(source: str, expected: list[str]) -> None:
    tree = ast.parse(source)
    found = imports_in("bot.domain.digest", tree, known={"storage.repos", "bot.domain.labels"})
    assert [edge.target for edge in found] == expected


def test_bot_package_init_is_empty() -> None:
    assert (ROOT / "bot" / "__init__.py").read_text(encoding="utf-8").strip() == ""
