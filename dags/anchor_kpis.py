"""Recompute the network's KPIs whenever the warehouse changes (scheduled on the `anchor_warehouse` asset),
then update the `anchor_kpis` asset, which lets `anchor_report` issue a report that has become due.

Only the financial years touched by the submissions loaded since the last KPI run are recomputed
(everything after a change of config, reference data or KPI code); trigger with `full: true` to
recompute every period (docs/design.md, KPIs).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, Param, dag, get_current_context, task

from pipeline.orchestration import KPIS_ASSET, TAGS, WAREHOUSE_ASSET, dag_arguments, network_from_context


@dag(
    **dag_arguments("anchor_kpis"),
    schedule=[Asset(WAREHOUSE_ASSET)],  # no time slots: catchup and first unpause do not apply
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=[*TAGS, "kpis"],
    params={
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        ),
        "full": Param(False, type="boolean", description="Recompute every period, not only those touched"),
    },
    doc_md=__doc__,
)
def anchor_kpis() -> None:
    @task(outlets=[Asset(KPIS_ASSET)])
    def compute_kpis() -> dict:
        from pipeline.steps.kpis import compute_kpis

        context = get_current_context()
        return compute_kpis(
            network_from_context(context), full=bool((context.get("params") or {}).get("full"))
        )

    compute_kpis()


anchor_kpis()
