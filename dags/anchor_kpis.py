"""Recompute the network's KPIs whenever the warehouse changes (scheduled on the `anchor_warehouse` asset)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, Param, dag, get_current_context, task

from pipeline.orchestration import DEFAULT_ARGS, TAGS, WAREHOUSE_ASSET, network_from_context


@dag(
    dag_id="anchor_kpis",
    schedule=[Asset(WAREHOUSE_ASSET)],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "kpis"],
    params={
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        )
    },
    doc_md=__doc__,
)
def anchor_kpis() -> None:
    @task
    def compute_kpis() -> dict:
        from pipeline.steps.kpis import compute_kpis

        return compute_kpis(network_from_context(get_current_context()))

    compute_kpis()


anchor_kpis()
