"""Issue the City Hall report: HTML, PDF and Excel to the bucket and the outbox, e-mailed to the
network's report recipients when e-mail is on, and recorded in ``issued_reports``.

Each run reports as of *its own* day (the `as_of` param, else the run's logical date): the latest quarter
whose returns were due by then, and the financial year once its fourth quarter is due (or the `period`
param). Runs daily at 06:00 UTC, and also when the KPIs change (the `anchor_kpis` asset): that run issues
only reports never issued before, so a due report goes out as soon as its data is in, and re-issues of
changed content wait for the daily run. Nothing is issued when a report is unchanged since its last
issue; a backfill or rerun of a day whose report was issued sends no second e-mail.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    get_current_context,
    task,
)

from pipeline.orchestration import KPIS_ASSET, TAGS, dag_arguments, network_from_context


@dag(
    **dag_arguments("anchor_report"),
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"), assets=[Asset(KPIS_ASSET)]
    ),
    start_date=datetime(2026, 1, 1),
    # No replay of missed days: today's run reports every period due by today. The first unpause runs
    # the latest slot at once, which is harmless (nothing is issued twice). Backfill a period on purpose
    # (docs/production.md#scheduling-alerts-and-re-runs).
    catchup=False,
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
            description="Day to judge due dates on (default: the run's logical date)",
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
        from pipeline.steps.report_issue import issue_due_reports
        from pipeline.steps.report_issue import issue_report as issue
        from pipeline.steps.run_dates import run_day, run_type

        context = get_current_context()
        params = context["params"]
        as_of = run_day(context)
        network = network_from_context(context)
        if params.get("period"):
            return [issue(network, params["period"], today=as_of)]
        return issue_due_reports(network, as_of, first_issues_only=run_type(context) == "asset_triggered")

    issue_report()


anchor_report()
