"""Issue the City Hall report: HTML, PDF and Excel to the bucket and the outbox, e-mailed to the
network's report recipients when e-mail is on, and recorded in ``issued_reports``.

Runs daily: it reports the latest quarter whose returns are due, and the financial year once its
fourth quarter is due (or the `period` param, on demand), and issues nothing when a report is
unchanged since it was last issued for that period.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task

from pipeline.orchestration import DEFAULT_ARGS, TAGS, network_from_context


@dag(
    dag_id="anchor_report",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "report"],
    params={
        "period": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}(-Q[1-4])?$",
            description="Financial year (2025-26) or quarter (2025-26-Q2); empty = the latest quarter "
            "whose returns are due",
        ),
        "as_of": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Day to judge due dates on (default: today)",
        ),
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        ),
    },
    doc_md=__doc__,
)
def anchor_report() -> None:
    @task
    def issue_report() -> list[dict]:
        from datetime import date

        from pipeline.steps.report_issue import issue_due_reports
        from pipeline.steps.report_issue import issue_report as issue

        context = get_current_context()
        params = context["params"]
        as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
        network = network_from_context(context)
        if params.get("period"):
            return [issue(network, params["period"], today=as_of)]
        return issue_due_reports(network, as_of)

    issue_report()


anchor_report()
