"""Chase members' returns daily: a reminder before the due date, an overdue notice after it; and
retry feedback e-mails that failed because the mail server was down.

At most one e-mail per member per day, listing everything that member still owes; sent chasers are
recorded in the warehouse (`member_emails`), so re-running a day's run sends nothing new. Runs only
when the network config has `[email] enabled = true`; the `as_of` param replays a given day.

Never chases for a missed slot: `catchup=False` still runs the most recent slot at first unpause (or after
the scheduler was down), and a scheduled run more than a few hours late sends nothing
(`pipeline.steps.run_dates.late_slot`); nor before the warehouse holds any return.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from pipeline.orchestration import TAGS, dag_arguments, network_from_context


@dag(
    **dag_arguments("anchor_chasers"),
    schedule="0 8 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,  # a day's reminders are only right on that day: never replay missed days
    tags=[*TAGS, "chasers"],
    params={
        "as_of": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Chase as on this day (YYYY-MM-DD); empty = the run's date",
        ),
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        ),
    },
    doc_md=__doc__,
)
def anchor_chasers() -> None:
    @task
    def send_chasers() -> list[dict]:
        from pipeline.steps.chasers import chase_day, send_chasers
        from pipeline.steps.run_dates import late_slot

        context = get_current_context()
        if why := late_slot(context):
            raise AirflowSkipException(why)
        return send_chasers(network_from_context(context), chase_day(context))

    @task
    def resend_failed_feedback() -> list[dict]:
        from pipeline.steps.feedback import resend_failed_feedback

        return resend_failed_feedback(network_from_context(get_current_context()))

    @task
    def delete_raw_files() -> dict:
        """Daily, with or without e-mail: originals past the network's keep_raw_days leave archive/ and
        quarantine/ (docs/recruitment-data-protection.md). Not a DAG of its own: one daily run suffices."""
        from pipeline.steps.retention import delete_raw_files

        run = delete_raw_files(network_from_context(get_current_context()))
        if run.failed:  # the others were deleted; the retry tries the rest again
            raise RuntimeError(f"could not delete {len(run.failed)} raw file(s): {run.failed}")
        return {"deleted": len(run.deleted), "kept": len(run.kept)}

    send_chasers()
    resend_failed_feedback()
    delete_raw_files()


anchor_chasers()
