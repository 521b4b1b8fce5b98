"""The layout's rules, read from the code's own imports (docs/design.md#layers-and-what-each-may-import).

Every import statement counts, including those inside functions (lazy imports still tie modules), so a
rule broken anywhere fails here with the module and the name that broke it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = (
    "pipeline",
    "transforms",
    "warehouse",
    "reports",
    "samples",
    "dags",
    "bench",
    "config",
    "expectations",
)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")


def _modules(*packages: str) -> dict[str, ast.Module]:
    found = {}
    for package in packages:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic scripts are loaded by Alembic, not imported
            found[_module_name(path)] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    """(module, names taken from it) of every import statement at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


CODE = _modules(*PACKAGES)
TESTS = _modules("tests")


def _project_module(imported: str, names: list[str]) -> list[str]:
    """The project modules an import statement ties to (``from pkg import mod`` ties to ``pkg.mod``)."""
    tied = [imported] if imported in CODE else []
    tied += [f"{imported}.{name}" for name in names if f"{imported}.{name}" in CODE]
    return tied


def _graph() -> dict[str, set[str]]:
    return {
        name: {m for imported, names in _imports(tree) for m in _project_module(imported, names) if m != name}
        for name, tree in CODE.items()
    }


def test_no_import_cycle_anywhere() -> None:
    try:
        order = list(TopologicalSorter(_graph()).static_order())
    except CycleError as error:  # the message names the cycle
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")
    assert set(order) == set(CODE)


@pytest.mark.parametrize("where", ["code", "tests"])
def test_no_module_imports_a_private_name(where: str) -> None:
    modules = CODE if where == "code" else TESTS
    private = [
        f"{name} takes {imported} from {module}"
        for name, tree in modules.items()
        for module, names in _imports(tree)
        for imported in names
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert not private


def test_only_the_dags_and_the_airflow_adapter_import_airflow() -> None:
    allowed = {"pipeline.adapters.airflow"}
    importers = {
        name
        for name, tree in CODE.items()
        for module, _ in _imports(tree)
        if module == "airflow" or module.startswith("airflow.")
    }
    # bench/ measures Airflow's own start-up, so it imports Airflow on purpose; it is not shipped.
    outside = {n for n in importers - allowed if not n.startswith(("dags", "bench"))}
    assert not outside
    assert "pipeline.adapters.airflow" in importers


# The network config is two modules: the config itself and its programmes (SROI, recruitment).
CONFIG = {"pipeline.config", "pipeline.programmes"}
# What each layer may import from the project (its own package is always allowed).
MAY_IMPORT = {
    "transforms": set(),
    "warehouse": {"transforms"},
    "reports": {"transforms"},
    "pipeline.config": {"transforms", "pipeline.programmes"},
    "pipeline.programmes": {"transforms"},
    "pipeline.adapters": {*CONFIG},
    "pipeline.presentation": {"reports", "transforms", *CONFIG},
    "pipeline.network": {"pipeline.adapters", *CONFIG, "warehouse"},
    "pipeline.steps": {
        "pipeline.adapters",
        *CONFIG,
        "pipeline.network",
        "pipeline.presentation",
        "reports",
        "transforms",
        "warehouse",
    },
    "pipeline.orchestration": {"pipeline.network", "pipeline.steps", *CONFIG},
    "samples": {"transforms", *CONFIG},
}


def _layer(module: str) -> str | None:
    """The longest layer name that the module is, or is inside of."""
    matches = [layer for layer in MAY_IMPORT if module == layer or module.startswith(f"{layer}.")]
    return max(matches, key=len) if matches else None


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = {layer, *MAY_IMPORT[layer]}
    broken = []
    for name, targets in _graph().items():
        if _layer(name) != layer:
            continue
        for target in targets:
            target_layer = _layer(target) or target.split(".")[0]
            if target_layer not in allowed and not any(target.startswith(f"{a}.") for a in allowed):
                broken.append(f"{name} imports {target}")
    assert not broken
