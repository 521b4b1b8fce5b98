"""The ingest step against a real bucket folder and warehouse: nothing lost, nothing counted twice."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

import warehouse.load as load
from pipeline.steps.ingest import ingest, process_file, scan_incoming
from pipeline.steps.kpis import compute_kpis, read_kpis
from samples.network import generate_sample
from tests.conftest import spend_facts_total, stored_submissions
from warehouse.schema import fact_spend, fact_workforce

GOOD = (
    "Payment Date,Supplier Name,Amount,Transaction ID,Postcode\n"
    '01/08/2025,Brightwater Cleaning Ltd,"£1,000.00",T1,SE1 7PB\n'
    "02/08/2025,Keystone Facilities Limited,250.50,T2,M1 2AB\n"
)
CORRECTED = GOOD + "03/08/2025,Meridian Catering PLC,99.50,T3,SE15 4QT\n"


def _drop(network, member: str, name: str, content: str | bytes) -> str:  # type: ignore[no-untyped-def]
    path = f"incoming/{member}/{name}"
    network.bucket.write(path, content.encode() if isinstance(content, str) else content)
    return path


def test_sample_network_every_row_accounted_for(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    manifest = generate_sample(network.cfg, periods=("2025-26-Q3", "2025-26-Q4"), lines_per_file=60)
    outcomes = ingest(network)

    assert len(outcomes) == len(manifest.files)
    by_path = {f"{o['member_id']}/{o['file_name']}": o for o in outcomes}
    for sample_file in manifest.files:
        outcome = by_path[sample_file.path.removeprefix("incoming/")]
        assert outcome["status"] == "accepted", outcome
        assert outcome["rows_read"] == sample_file.data_rows
        assert (
            outcome["rows_loaded"] + outcome["rows_rejected"] + outcome["rows_set_aside"]
            == outcome["rows_read"]
        )
        # Exactly the planted bad rows are rejected and the totals rows set aside, no more and no fewer.
        assert outcome["rows_rejected"] == len(sample_file.bad_rows), sample_file
        assert outcome["rows_set_aside"] == len(sample_file.set_aside_rows), sample_file
        assert network.bucket.exists(outcome["feedback_path"])
        assert network.bucket.exists(outcome["feedback_path"].replace(".html", ".csv"))
    stored = stored_submissions(network)
    assert all(s["rows_read"] == s["rows_loaded"] + s["rows_rejected"] + s["rows_set_aside"] for s in stored)
    assert sum(s["rows_set_aside"] for s in stored) == sum(len(f.set_aside_rows) for f in manifest.files) > 0
    for return_type, table in (("spend", fact_spend), ("workforce", fact_workforce)):
        with network.engine.connect() as conn:
            facts = conn.execute(select(func.count()).select_from(table)).scalar()
        assert facts == sum(s["rows_loaded"] for s in stored if s["return_type"] == return_type) > 0
        assert len(network.lake.list_files(return_type)) == sum(
            f.return_type == return_type for f in manifest.files
        )
    assert network.bucket.list_files("incoming") == []
    assert len(network.bucket.list_files("archive")) == len(manifest.files)


def test_same_file_twice_changes_nothing(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD)
    ingest(network)
    before = (spend_facts_total(network), len(stored_submissions(network)))

    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2 (copy).csv", GOOD)
    outcomes = ingest(network)

    assert [o["status"] for o in outcomes] == ["duplicate", "duplicate"]
    assert (spend_facts_total(network), len(stored_submissions(network))) == before
    assert network.bucket.list_files("incoming") == []
    # The renamed copy gets an answer saying what it duplicates, rather than vanishing silently.
    copy_feedback = next(o for o in outcomes if "copy" in o["file_name"])["feedback_path"]
    assert "exactly the same content" in network.bucket.read(copy_feedback).decode()


def test_corrected_resubmission_replaces_the_earlier_figures(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD)
    ingest(network)
    compute_kpis(network)
    time.sleep(0.01)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", CORRECTED)
    ingest(network)
    compute_kpis(network)

    assert spend_facts_total(network) == (3, Decimal("1350.00"))
    first, second = stored_submissions(network)
    assert first["status"] == "superseded" and first["superseded_by"] == second["submission_id"]
    kpis = read_kpis(network, "2025-26-Q2", ("network",)).set_index("kpi")["value"]
    assert kpis["spend_total"] == pytest.approx(1350.00)
    # Both originals are kept.
    assert len(network.bucket.list_files("archive/kingsbridge-council")) == 2


def test_crash_mid_load_keeps_the_file_and_the_next_run_loads_it(  # type: ignore[no-untyped-def]
    make_network, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    network = make_network(warehouse_url)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD)
    real_bulk_insert = load.bulk_insert

    def dies(conn, table, rows):  # type: ignore[no-untyped-def]
        real_bulk_insert(conn, table, rows)
        raise OSError("killed")

    monkeypatch.setattr(load, "bulk_insert", dies)
    [incoming] = scan_incoming(network)
    with pytest.raises(OSError):
        process_file(network, incoming)
    assert spend_facts_total(network) == (0, Decimal("0.00"))
    assert stored_submissions(network) == []
    assert network.bucket.exists("incoming/kingsbridge-council/spend_2025-26-Q2.csv")

    monkeypatch.setattr(load, "bulk_insert", real_bulk_insert)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    assert spend_facts_total(network) == (2, Decimal("1250.50"))


@pytest.mark.parametrize(
    ("member", "name", "content", "reason"),
    [
        (
            "kingsbridge-council",
            "spend_2025-26-Q2.csv",
            "Supplier Name,Department\nA,B\n",
            "required column is missing",
        ),
        ("kingsbridge-council", "spend_2025-26-Q2.csv", "", "empty"),
        ("kingsbridge-council", "spend_2025-26-Q2.pdf", "%PDF-1.4 binary", "not accepted"),
        ("kingsbridge-council", "payments.csv", GOOD, "does not say which return and period"),
        ("kingsbridge-council", "spend_2025-26.csv", GOOD, "quarterly"),
        ("not-a-member", "spend_2025-26-Q2.csv", GOOD, "is not a member"),
        (
            "kingsbridge-council",
            "spend_2025-26-Q2.csv",
            GOOD.replace("250.50", "n/a").replace("£1,000.00", "tbc"),
            "None of the rows",
        ),
    ],
)
def test_bad_files_are_quarantined_with_a_reason_and_kept(  # type: ignore[no-untyped-def]
    make_network, tmp_path, member: str, name: str, content: str, reason: str
) -> None:
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    _drop(network, member, name, content)
    [outcome] = ingest(network)

    assert outcome["status"] == "quarantined"
    assert outcome["rows_loaded"] == 0 and outcome["rows_rejected"] == outcome["rows_read"]
    assert reason in network.bucket.read(outcome["feedback_path"]).decode()
    assert len(network.bucket.list_files(f"quarantine/{member}")) == 1
    assert len(network.bucket.list_files(f"archive/{member}")) == 1
    assert spend_facts_total(network)[0] == 0


def test_a_file_changing_while_scanned_is_left_for_the_next_run(make_network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", GOOD)
    [incoming] = scan_incoming(network)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", CORRECTED)  # still being written
    outcome = process_file(network, incoming)
    assert outcome["status"] == "skipped"
    assert network.bucket.exists("incoming/kingsbridge-council/spend_2025-26-Q2.csv")
    assert stored_submissions(network) == []


def test_windows_1252_export_with_preamble_is_read(make_network, tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    content = (
        "Creditor payments report\r\nRun date:,01/11/2025\r\n\r\n"
        "Posting Date,Vendor Name,Net Amount £\r\n05/08/2025,Café Lumière Ltd,£10.00\r\n"
    ).encode("cp1252")
    _drop(network, "north-meridian-nhs", "spend_2025-26-Q2.csv", content)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    with network.engine.connect() as conn:
        assert conn.execute(select(fact_spend.c.supplier_name, fact_spend.c.row_number)).one() == (
            "Café Lumière Ltd",
            5,
        )
    assert os.path.basename(outcome["feedback_path"]).startswith("spend_2025-26-Q2.")


# A labelled "Grand Total" and an unlabelled subtotal (no supplier, the sum of the two rows above it).
WITH_TOTALS = (
    "Payment Date,Supplier Name,Amount,Transaction ID,Postcode\n"
    '01/08/2025,Brightwater Cleaning Ltd,"£1,000.00",T1,SE1 7PB\n'
    "02/08/2025,Keystone Facilities Limited,250.50,T2,M1 2AB\n"
    ",,1250.50,,\n"
    "03/08/2025,Meridian Catering PLC,99.50,T3,SE15 4QT\n"
    ",Grand Total,1350.00,,\n"
)


def test_totals_rows_are_set_aside_not_rejected(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    """rows read = loaded + rejected + set aside; the totals are listed for the member, never as problems."""
    from pipeline.steps.report import build_period_report
    from pipeline.steps.returns_tracker import track_returns
    from reports.sections.returns import returns_context

    network = make_network(warehouse_url)
    _drop(network, "kingsbridge-council", "spend_2025-26-Q2.csv", WITH_TOTALS)
    [outcome] = ingest(network)

    assert outcome["status"] == "accepted", outcome
    read, loaded, rejected, set_aside = (
        outcome["rows_read"],
        outcome["rows_loaded"],
        outcome["rows_rejected"],
        outcome["rows_set_aside"],
    )
    assert (read, loaded, rejected, set_aside) == (5, 3, 0, 2)
    [stored] = stored_submissions(network)
    assert (stored["rows_rejected"], stored["rows_set_aside"]) == (0, 2)
    assert spend_facts_total(network) == (3, Decimal("1350.00"))  # neither total counted again

    problem_csv = network.bucket.read(outcome["feedback_path"].replace(".html", ".csv")).decode("utf-8-sig")
    listed = problem_csv.splitlines()[1:]
    assert [line.split(",")[0] for line in listed] == ["4", "6"]
    assert all("Not loaded: totals row (not a problem)" in line for line in listed)
    page = network.bucket.read(outcome["feedback_path"]).decode()
    assert (
        "Rows we left out: totals, repeated headings and notes" in page
        and "Rows we could not use" not in page
    )
    assert "2 rows of totals or repeated column headings were left out, which is not a problem" in page

    [tracked] = [t for t in track_returns(network, ["2025-26-Q2"]) if t.member_id == "kingsbridge-council"
                 and t.return_type == "spend"]  # fmt: skip
    assert (tracked.rows_rejected, tracked.rows_set_aside) == (0, 2)

    compute_kpis(network)
    report = build_period_report(network, "2025-26-Q2")
    [row] = [
        s for s in report.submissions if s.member_id == "kingsbridge-council" and s.return_type == "spend"
    ]
    assert (row.rows_read, row.rows_loaded, row.rows_rejected, row.rows_set_aside) == (5, 3, 0, 2)
    quality = returns_context(report, report.headline)["quality"]
    assert quality["rows_rejected"] == 0  # type: ignore[index]
    assert quality["rows_set_aside"] == 2  # type: ignore[index]


def test_lake_files_hold_the_facts_exactly_with_dictionaries_only_where_values_repeat(tmp_path: Path) -> None:
    """The lake's Parquet writer leaves columns of distinct values (row numbers, references) out of
    dictionary encoding; what is read back is what was written, column types included."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.adapters.bucket import Store

    rows = 5000
    facts = pa.table(
        {
            "row_number": pa.array(range(2, rows + 2), pa.int64()),
            "transaction_id": [f"T{i:06d}" for i in range(rows)],
            "member_id": ["kingsbridge-council"] * rows,
            "supplier_size": pa.array(
                [None, "small", "medium"] * (rows // 3) + [None] * (rows % 3), pa.string()
            ),
        }
    )
    lake = Store(str(tmp_path / "lake"))
    lake.write_parquet("spend/x.parquet", facts)
    data = lake.read("spend/x.parquet")
    assert pq.read_table(io.BytesIO(data)).equals(facts)
    chunks = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    dictionary = {
        chunks.column(i).path_in_schema: "RLE_DICTIONARY" in chunks.column(i).encodings
        for i in range(chunks.num_columns)
    }
    assert dictionary == {
        "row_number": False,
        "transaction_id": False,
        "member_id": True,
        "supplier_size": True,
    }
