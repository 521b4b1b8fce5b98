"""Ingest member returns from the bucket: the new files in a few mapped batches (``pipeline.steps.batches``).

Each file is archived, checked (GX suite), then staged to the lake and loaded to the warehouse, or
quarantined; the member always gets feedback. A file that cannot be processed is quarantined with an
answer and an alert, and the run goes on (only storage being unreachable fails a batch). When the
warehouse changed, the `anchor_warehouse` asset is updated, which starts `anchor_kpis`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from pipeline.orchestration import DEFAULT_ARGS, TAGS, WAREHOUSE_ASSET, network_from_context


@dag(
    dag_id="anchor_ingest",
    schedule="*/10 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[*TAGS, "ingest"],
    params={
        "config": Param(
            None, type=["null", "string"], description="Network config file (default: ANCHOR_CONFIG)"
        )
    },
    doc_md=__doc__,
)
def anchor_ingest() -> None:
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
    refresh_reference_data() >> files
    announce_warehouse_change(ingest_batch.expand(incoming=files))


anchor_ingest()
