"""The demo network (``anchor demo``'s sample: every member, every sample quarter) ingested once, KPIs
computed, for the tests that check every figure the network publishes against every other.

Import :func:`demo_network` into a test module to use it. The network is built once per test run (15-30 s:
the ingest checks every file) and each module that imports the fixture gets its own copy of it
(``tests/built_once.py``), so a module may issue reports on it without changing another's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from pipeline.network import Network
from tests.built_once import built_once, private_copy
from tests.conftest import standalone_network
from warehouse.schema import kpi_value


def build_demo_network(folder: Path) -> None:
    """The sample network of the demo (default periods and skipped return), ingested, with its KPIs."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from samples.network import generate_sample

    with standalone_network(folder) as (network, _):
        generate_sample(network.cfg, lines_per_file=30)
        ingest(network)
        compute_kpis(network)
        network.engine.dispose()


def demo_network_folder(factory: pytest.TempPathFactory) -> Path:
    """The demo network's folder, built by the first worker of the run that asks."""
    return built_once(factory, "demo-network", build_demo_network)


@pytest.fixture(scope="session")
def demo_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """A private copy of the demo network (see the module's docstring)."""
    folder = demo_network_folder(tmp_path_factory)
    with private_copy(folder, tmp_path_factory.mktemp("demo-network")) as (network, _):
        yield network


def stored_kpis(network: Network) -> pd.DataFrame:
    """Every row of ``kpi_value``: kpi, scope, scope_id, period, value."""
    with network.engine.connect() as conn:
        rows = conn.execute(
            select(
                kpi_value.c.kpi,
                kpi_value.c.scope,
                kpi_value.c.scope_id,
                kpi_value.c.period,
                kpi_value.c.value,
            )
        ).all()
    return pd.DataFrame(rows, columns=["kpi", "scope", "scope_id", "period", "value"])
