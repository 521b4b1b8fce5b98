"""The demo network (``anchor demo``'s sample: every member, every sample quarter) ingested once, KPIs
computed, for the tests that check every figure the network publishes against every other.

Import :func:`demo_network` into a test module to use it; it is session-scoped, so a worker builds it
once (about two minutes on a small machine: the ingest checks every file).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select

from pipeline.network import Network
from tests.conftest import standalone_network
from warehouse.schema import kpi_value


@pytest.fixture(scope="session")
def demo_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """The sample network of the demo (default periods and skipped return), ingested, with its KPIs."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from samples.network import generate_sample

    folder = tmp_path_factory.mktemp("demo-network")
    with standalone_network(folder) as (network, _):
        generate_sample(network.cfg, lines_per_file=30)
        ingest(network)
        compute_kpis(network)
        yield network
        network.engine.dispose()


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
