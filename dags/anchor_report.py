"""Render the City Hall report for a period (on demand, with the `period` param) from the warehouse."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from pipeline.orchestration import DEFAULT_ARGS, TAGS, network_from_context


@dag(
    dag_id="anchor_report",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "report"],
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}(-Q[1-4])?$",
            description="Financial year (2025-26) or quarter (2025-26-Q2); empty = the latest quarter with data",
        ),
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        ),
    },
    doc_md=__doc__,
)
def anchor_report() -> None:
    @task
    def render_report() -> dict:
        from pipeline.report import write_report

        context = get_current_context()
        return write_report(network_from_context(context), context["params"].get("period") or None)

    render_report()


anchor_report()
