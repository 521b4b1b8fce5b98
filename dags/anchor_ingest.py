"""Ingest member returns from the bucket: the new files in a few mapped batches (``pipeline.steps.batches``).

Polls every minute, cheaply: the first task only lists ``incoming/`` and, when no settled file waits,
skips the rest of the run, so no file is read and no heavy task process (Great Expectations, the ingest
batches) starts when there is nothing to do. A file is thus answered about a minute after it settles. Every tenth minute the run goes
on anyway, to refresh reference data and settle what an earlier run may have left.

Each file is archived, checked (GX suite), then staged to the lake and loaded to the warehouse, or
quarantined; the member always gets feedback. A file that cannot be processed is quarantined with an
answer and an alert, and the run goes on (only storage being unreachable fails a batch). When the
warehouse changed, the `anchor_warehouse` asset is updated, which starts `anchor_kpis`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from pipeline.orchestration import TAGS, WAREHOUSE_ASSET, dag_arguments, network_from_context

# Every so many minutes a run does its housekeeping even when no file waits.
HOUSEKEEPING_EVERY_MINUTES = 10


@dag(
    **dag_arguments("anchor_ingest"),
    schedule="* * * * *",
    start_date=datetime(2026, 1, 1),
    # A run takes whatever waits, whenever it runs: missed minutes are never worth replaying, and the
    # first unpause may start at once.
    catchup=False,
    tags=[*TAGS, "ingest"],
    params={
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        )
    },
    doc_md=__doc__,
)
def anchor_ingest() -> None:
    @task.short_circuit
    def anything_to_do() -> bool:
        """Cheap: one listing of incoming/. False skips the whole run."""
        from pipeline.steps.incoming import files_waiting
        from pipeline.steps.run_dates import run_moment, run_type

        context = get_current_context()
        moment = run_moment(context)
        if run_type(context) != "scheduled" or moment is None:
            return True  # asked for by someone: do everything
        if moment.minute % HOUSEKEEPING_EVERY_MINUTES == 0:
            return True
        network = network_from_context(context)
        return files_waiting(network.bucket, network.cfg.settle_seconds) > 0

    @task
    def refresh_reference_data() -> dict:
        from pipeline.steps.reference_data import refresh_reference_data

        return refresh_reference_data(network_from_context(get_current_context()))

    @task
    def find_new_files() -> list[list[dict]]:
        """The new files, in a few batches: a task process costs seconds to start (bench/README.md).
        First, what an earlier run's crash may have left: answers owed are paid, orphan lake files removed."""
        from pipeline.steps.batches import plan_batches
        from pipeline.steps.ingest import scan_incoming, settle_earlier_runs

        network = network_from_context(get_current_context())
        settle_earlier_runs(network)
        return plan_batches(scan_incoming(network))

    @task(
        map_index_template="{{ task.op_kwargs['incoming'] | length }} files from "
        "{{ task.op_kwargs['incoming'][0]['path'] }}"
    )
    def ingest_batch(incoming: list[dict]) -> list[dict]:
        from pipeline.steps.batches import ingest_batch

        return ingest_batch(network_from_context(get_current_context()), incoming)

    @task(outlets=[Asset(WAREHOUSE_ASSET)])
    def announce_warehouse_change(outcomes: list[dict]) -> dict:
        # One slice request; iterating the lazy sequence would probe past its end and log a 404.
        outcomes = [o for batch in outcomes[0 : len(outcomes)] for o in batch]
        changed = [o for o in outcomes if o["warehouse_changed"]]
        if not changed:
            raise AirflowSkipException("no file changed the warehouse")
        return {
            "files": len(outcomes),
            "loaded": len(changed),
            "periods": sorted({o["period"] for o in changed}),
        }

    files = find_new_files()
    anything_to_do() >> refresh_reference_data() >> files
    announce_warehouse_change(ingest_batch.expand(incoming=files))


anchor_ingest()
