"""Where a module sits says what it may import: lower layers never import upper ones.

The layers, lowest first: errors; settings; core; store (store/github imports PyGithub, no one
else does); engine; commands; report; the command line. A function-level import hides a
dependency, so each one carries a comment saying why it is deferred.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "registry_action"
LAYERS = ["errors", "settings", "core", "store", "engine", "commands", "report", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The rank of a module of the package; the package's own __init__ is the lowest."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    top = parts[1]
    if top in ("cli", "cli_parser", "__main__"):
        return LAYERS.index("cli")
    return LAYERS.index(top)


def imports(path: Path) -> list[tuple[str, ast.stmt, bool]]:
    """(module imported, the statement, whether it sits in a function) for every import."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, ast.stmt, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                names = [f"{child.module}.{alias.name}" for alias in child.names]
                found.extend(
                    (name if name in MODULES else child.module, child, inner) for name in names
                )
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize("module", list(MODULES))
def test_a_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    upward = [
        name
        for name, _, _ in imports(MODULES[module])
        if name.startswith("registry_action.") and layer(name) > layer(module)
    ]
    assert upward == [], f"{module} (layer {LAYERS[layer(module)]}) imports {upward}"


@pytest.mark.parametrize("module", list(MODULES))
def test_only_the_github_store_imports_pygithub(module: str) -> None:
    if module.startswith("registry_action.store.github"):
        return
    used = [name for name, _, _ in imports(MODULES[module]) if name.split(".")[0] == "github"]
    assert used == [], module


@pytest.mark.parametrize("module", list(MODULES))
def test_every_function_level_import_says_why(module: str) -> None:
    lines = MODULES[module].read_text().splitlines()
    silent = sorted(
        {
            statement.lineno
            for _, statement, nested in imports(MODULES[module])
            if nested and not _explained(lines, statement.lineno - 1)
        }
    )
    assert silent == [], f"{module}: function-level imports without a reason at lines {silent}"


def _explained(lines: list[str], index: int) -> bool:
    """Whether the import at ``lines[index]``, or the run of imports it ends, has a comment."""
    while True:
        if "#" in lines[index]:
            return True
        above = lines[index - 1].lstrip()
        if above.startswith("#"):
            return True
        if not above.startswith(("from ", "import ")):
            return False
        index -= 1


def test_no_import_circle() -> None:
    graph = {
        module: {
            name
            for name, statement, nested in imports(path)
            if name in MODULES and not nested and name != module and not _typing_only(statement)
        }
        for module, path in MODULES.items()
    }
    done: set[str] = set()

    def walk(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = [*trail[trail.index(module) :], module]
            pytest.fail("import circle: " + " -> ".join(cycle))
        if module in done:
            return
        for imported in sorted(graph[module]):
            walk(imported, [*trail, module])
        done.add(module)

    for module in graph:
        walk(module, [])


def _typing_only(statement: ast.stmt) -> bool:
    return statement.col_offset > 0  # inside `if TYPE_CHECKING:`, the only indented top level
