"""The stages import one way: no cycle between the top-level modules and subpackages of arastance.

The graph is built from the code itself (every `import`/`from … import` anywhere in a file, function
bodies included), so a lazy import that climbs back up the layers counts like any other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "arastance"


def unit_of(module: str) -> str:
    """arastance.training.loop → training; arastance.tasks → tasks."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "arastance"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, current: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the current package
                base = current.split(".")[: -node.level]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return {m for m in found if m == "arastance" or m.startswith("arastance.")}


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        current = module_name(path)
        for target in imported_modules(ast.parse(path.read_text(encoding="utf-8")), current):
            if unit_of(target) != unit_of(current):
                graph[unit_of(current)].add(unit_of(target))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path a → b → … → a, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_sees_a_cycle_and_its_absence() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_function_level_imports_count() -> None:
    tree = ast.parse("def f():\n    from arastance.training import loop\n")
    assert imported_modules(tree, "arastance.evaluation.report") == {"arastance.training"}


def test_stages_import_one_way() -> None:
    graph = import_graph()
    assert graph, "no imports found: is the package path right?"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between stages: " + " → ".join(cycle or [])
