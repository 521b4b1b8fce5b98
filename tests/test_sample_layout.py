"""The samples package's shape: imports run one way, never through a private name, and the pipeline's
steps never import it (sample data must not leak into the code that checks members' returns)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _modules(package: str) -> dict[str, ast.Module]:
    folder = REPO_ROOT / package
    return {
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__"): ast.parse(
            path.read_text(encoding="utf-8")
        )
        for path in sorted(folder.rglob("*.py"))
    }


def _imports(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) of every import statement, at any depth (lazy imports too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


SAMPLES = _modules("samples")


def test_samples_modules_import_each_other_without_a_cycle() -> None:
    graph = {
        name: {module for module, _ in _imports(tree) if module in SAMPLES and module != name}
        for name, tree in SAMPLES.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the failure message names the cycle
        pytest.fail(f"import cycle in samples: {error.args[1]}")
    assert set(order) == set(SAMPLES)
    assert "samples.network" in graph and "samples.spend" in graph["samples.network"]


@pytest.mark.parametrize("package", ["samples", "bench"])
def test_no_module_imports_a_private_name(package: str) -> None:
    private = [
        (name, module, imported)
        for name, tree in _modules(package).items()
        for module, names in _imports(tree)
        for imported in names
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert not private


def test_sample_tests_import_no_private_name() -> None:
    for path in sorted(Path(REPO_ROOT, "tests").glob("test_sample*.py")):
        for module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert not [n for n in names if n.startswith("_") and not n.startswith("__")], (path.name, module)


def test_pipeline_steps_never_import_samples() -> None:
    steps = {name: tree for name, tree in _modules("pipeline").items() if name.startswith("pipeline.steps")}
    assert steps
    for name, tree in steps.items():
        assert not [m for m, _ in _imports(tree) if m == "samples" or m.startswith("samples.")], name
