"""The stages import one way, in the order README's "Layering" paragraph lists, and no files import in a circle.

The order is read from README itself (the arrow chain in the paragraph that names this file), so the
documented order and the checked one are one list. The graph is built from the code: every
`import`/`from … import` anywhere in a file (function bodies and `TYPE_CHECKING` blocks included,
relative imports resolved), plus the arrows of `cli.py`'s command table, whose modules are loaded
through `importlib` where no import statement shows them.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from arastance.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "arastance"
ROOT = "arastance"
LAYERING_PARAGRAPH = "Layering (checked by `tests/test_layering.py`"
Graph = dict[str, set[str]]


# --------------------------------------------------------------------------- the documented order


def documented_tiers(readme: str) -> list[list[str]]:
    """The tiers of README's layering paragraph: its chain `a, b` → `c` → …, lowest first."""
    start = readme.index(LAYERING_PARAGRAPH)
    end = readme.find("\n\n", start)
    paragraph = " ".join(readme[start : end if end != -1 else None].split())
    chain = re.search(r"`[^`]+`(?:\s*→\s*`[^`]+`)+", paragraph)
    assert chain, "README's layering paragraph has no chain `a, b` → `c` → …"
    return [[name.strip() for name in tier.split(",")] for tier in re.findall(r"`([^`]+)`", chain.group(0))]


def tier_of(tiers: list[list[str]]) -> dict[str, int]:
    return {unit: rank for rank, tier in enumerate(tiers) for unit in tier}


# --------------------------------------------------------------------------- the graph from the code


def unit_of(module: str) -> str:
    """arastance.training.loop → training; arastance.tasks → tasks; arastance → arastance."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, current: str, is_package: bool, modules: Iterable[str]) -> set[str]:
    """The project modules `current` imports; `from pkg import name` counts as pkg.name where that is a module."""
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: a package's own __init__ counts as level 1 inside it
                package = current.split(".")[: None if is_package else -1]
                parts = package[: len(package) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            found |= submodules or {base}
    return {m for m in found if m == ROOT or m.startswith(ROOT + ".")}


def command_arrows() -> set[str]:
    """The modules `cli.py` loads by name (its command table)."""
    return {command.module for command in COMMANDS}


def module_graph(sources: Mapping[str, tuple[str, bool]], extra: Mapping[str, set[str]] | None = None) -> Graph:
    """module → the project modules it imports, from {module: (source, is_package)} and extra arrows."""
    graph: Graph = defaultdict(set)
    for module, (source, is_package) in sources.items():
        graph[module] |= imported_modules(ast.parse(source), module, is_package, sources) - {module}
    for module, targets in (extra or {}).items():
        graph[module] |= targets
    return graph


@cache
def code_graph() -> Graph:
    sources = {
        module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    return module_graph(sources, {"arastance.cli": command_arrows()})


# --------------------------------------------------------------------------- the checks


def against_order(graph: Graph, tiers: list[list[str]]) -> list[str]:
    """Every import from a lower tier to a higher one, or from/to a unit the order does not place."""
    rank = tier_of(tiers)
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            here, there = unit_of(module), unit_of(target)
            if here == there:
                continue
            if here not in rank or there not in rank:
                unplaced = ", ".join(u for u in (here, there) if u not in rank)
                problems.append(f"{module} → {target}: {unplaced} has no tier in README's layering paragraph")
            elif rank[there] > rank[here]:
                problems.append(
                    f"{module} → {target}: {here} (tier {rank[here] + 1}) imports {there} (tier {rank[there] + 1})"
                )
    return problems


def unit_graph(graph: Graph) -> Graph:
    units: Graph = defaultdict(set)
    for module, targets in graph.items():
        units[unit_of(module)] |= {unit_of(t) for t in targets if unit_of(t) != unit_of(module)}
    return units


def circles(graph: Graph) -> list[set[str]]:
    """The strongly connected components with more than one node (Tarjan): each is a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=sorted)


def file_circles(graph: Graph) -> list[set[str]]:
    """Circles of files inside one package (between packages, the order and `unit_graph` see them)."""
    inside = {m: {t for t in targets if unit_of(t) == unit_of(m)} for m, targets in graph.items()}
    return circles(inside)


# --------------------------------------------------------------------------- the checker, on made-up code


def sources(**modules: str) -> dict[str, tuple[str, bool]]:
    return {name.replace("__", "."): (source, False) for name, source in modules.items()}


def test_an_import_against_the_order_fails_even_inside_a_function() -> None:
    tiers = documented_tiers((REPO / "README.md").read_text(encoding="utf-8"))
    graph = module_graph(
        sources(
            arastance__training__loop="def f():\n    from arastance.publish import package\n",
            arastance__publish__package="from arastance.training import loop\n",
        )
    )
    assert against_order(graph, tiers) == [
        f"arastance.training.loop → arastance.publish.package: training (tier {tier_of(tiers)['training'] + 1}) "
        f"imports publish (tier {tier_of(tiers)['publish'] + 1})"
    ]


def test_a_unit_the_order_does_not_place_fails() -> None:
    graph = module_graph(sources(arastance__newstage__x="from arastance.gold import model\n"))
    assert against_order(graph, [["gold"]]) == [
        "arastance.newstage.x → arastance.gold: newstage has no tier in README's layering paragraph"
    ]


def test_a_circle_of_files_inside_a_package_fails() -> None:
    graph = module_graph(
        sources(
            arastance__models__a="from arastance.models import b\n",
            arastance__models__b="from .c import f\n",
            arastance__models__c="def f():\n    from . import a\n",
            arastance__models__d="from arastance.models import a\n",
        )
    )
    assert file_circles(graph) == [{"arastance.models.a", "arastance.models.b", "arastance.models.c"}]
    assert against_order(graph, [["models"]]) == []


def test_relative_imports_resolve_against_the_package() -> None:
    found = imported_modules(
        ast.parse("from ..gold.model import GoldDocument\nfrom . import loop\nfrom .run import x\n"),
        "arastance.training.cv",
        False,
        {"arastance.training.loop"},
    )
    assert found == {"arastance.gold.model", "arastance.training.loop", "arastance.training.run"}
    in_init = imported_modules(ast.parse("from .base import x\n"), "arastance.holders", True, ())
    assert in_init == {"arastance.holders.base"}


def test_circles_between_packages_are_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": {"c"}}) == []


def test_readme_chain_is_parsed_into_tiers() -> None:
    readme = f"x\n\n{LAYERING_PARAGRAPH}, …): the flow `a, b` →\n`c` → `d, e`. Not `f`.\n\nnext"
    assert documented_tiers(readme) == [["a", "b"], ["c"], ["d", "e"]]


# --------------------------------------------------------------------------- the checker, on the code


@cache
def readme_tiers() -> list[list[str]]:
    return documented_tiers((REPO / "README.md").read_text(encoding="utf-8"))


def test_readme_places_every_unit_of_the_code_once() -> None:
    named = [unit for tier in readme_tiers() for unit in tier]
    assert len(named) == len(set(named)), f"a unit in two tiers: {named}"
    code_units = {unit_of(m) for m in code_graph()} - {ROOT}
    assert set(named) == code_units, (
        f"README's layering paragraph lacks {sorted(code_units - set(named))}, "
        f"names what the code lacks {sorted(set(named) - code_units)}"
    )


def test_the_command_tables_arrows_are_checked_like_imports() -> None:
    graph = module_graph(sources(arastance__cli=""), {"arastance.cli": {"arastance.newstage.cli"}})
    assert against_order(graph, [["cli"]]) == [
        "arastance.cli → arastance.newstage.cli: newstage has no tier in README's layering paragraph"
    ]
    missing = command_arrows() - set(code_graph())
    assert not missing, f"cli.py's command table names modules that do not exist: {sorted(missing)}"


def test_stages_import_in_the_documented_order() -> None:
    problems = against_order(code_graph(), readme_tiers())
    assert problems == [], "imports against README's layering order:\n" + "\n".join(problems)


def test_no_circle_between_packages() -> None:
    assert circles(unit_graph(code_graph())) == []


def test_no_circle_of_files_inside_a_package() -> None:
    found = file_circles(code_graph())
    assert found == [], "circles of files: " + "; ".join(" ↔ ".join(sorted(c)) for c in found)
