"""Raw employee references and full home postcodes never leave the original file.

They must not reach the lake, the warehouse, logs, feedback files or reports; only the archived
original (kept so nothing is ever lost) holds them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import inspect, select, text

from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.report import write_report

RAW_REFS = [f"ZQX-{n:05d}-PAYROLL" for n in range(1, 81)]
FULL_POSTCODE = "SE15 4QT"


def _workforce_file(day: str, rates: list[float]) -> str:
    lines = ["Payroll Number,Snapshot Date,Hourly Rate,Weekly Hours,Employment Basis,Home Postcode"]
    for ref, rate in zip(RAW_REFS, rates, strict=True):
        lines.append(f"{ref},{day},{rate},37.5,Direct,SE15")
    lines[3] = lines[3].replace(",SE15", f",{FULL_POSTCODE}")  # a full home postcode: rejected, not stored
    lines.append(f"{RAW_REFS[0]},{day},20,37.5,Direct,E1")  # a duplicate reference: rejected, not echoed
    lines.append(f"{RAW_REFS[1]} 14.00")  # fields ran together: the row's cells must not be echoed either
    return "\n".join(lines) + "\n"


def test_no_raw_reference_or_full_postcode_in_any_output(
    make_network, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    network = make_network(f"sqlite:///{tmp_path}/warehouse.db")
    network.bucket.write(
        "incoming/kingsbridge-council/workforce_2025-26-Q1.csv",
        _workforce_file("30/06/2025", [12.0] * 80).encode(),
    )
    network.bucket.write(
        "incoming/kingsbridge-council/workforce_2025-26-Q2.csv",
        _workforce_file("30/09/2025", [14.0] * 80).encode(),
    )
    outcomes = ingest(network)
    assert {o["status"] for o in outcomes} == {"accepted"}, outcomes
    assert all(o["rows_rejected"] == 3 for o in outcomes)  # postcode, duplicate, ran together
    compute_kpis(network)
    write_report(network, "2025-26-Q2")

    secrets = [*RAW_REFS, FULL_POSTCODE, FULL_POSTCODE.replace(" ", "")]
    data_dir = Path(network.cfg.data_dir)
    checked = 0
    for path in data_dir.rglob("*"):
        if not path.is_file() or "archive" in path.parts or "quarantine" in path.parts:
            continue
        if path.suffix == ".parquet":
            content = pq.read_table(path).to_pandas().astype(str).to_csv()
        else:
            content = path.read_bytes().decode("utf-8", errors="replace")
        for secret in secrets:
            assert secret not in content, f"{secret} leaked into {path.relative_to(data_dir)}"
        checked += 1
    assert checked >= 8  # lake files, warehouse, feedback HTML and CSV, report
    with network.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            dump = str(conn.execute(text(f'SELECT * FROM "{table}"')).all())
            assert not any(s in dump for s in secrets), table
    assert not any(s in caplog.text for s in secrets)
    # The originals are kept, untouched, in the archive.
    archived = [network.bucket.read(f["path"]) for f in network.bucket.list_files("archive")]
    assert all(RAW_REFS[0].encode() in original for original in archived)


def test_uplifts_match_across_snapshots_through_the_pseudonym(make_network, tmp_path: Path) -> None:
    from warehouse.schema import fact_workforce

    network = make_network(f"sqlite:///{tmp_path}/warehouse.db")
    network.bucket.write(
        "incoming/kingsbridge-council/workforce_2025-26-Q1.csv",
        _workforce_file("30/06/2025", [12.0] * 80).encode(),
    )
    network.bucket.write(
        "incoming/kingsbridge-council/workforce_2025-26-Q2.csv",
        _workforce_file("30/09/2025", [14.0] * 80).encode(),
    )
    ingest(network)
    compute_kpis(network)
    from pipeline.steps.kpis import read_kpis

    values = read_kpis(network, "2025-26-Q2").set_index(["kpi", "scope_id"])["value"]
    # All but row 3 (a full postcode) load; the same 79 people are in both snapshots.
    assert values[("lw_uplifts", "kingsbridge-council")] == 79
    assert values[("lw_uplift_annual_gbp", "london")] == pytest.approx(79 * (14.0 - 12.0) * 37.5 * 52)
    with network.engine.connect() as conn:
        keys = conn.execute(select(fact_workforce.c.person_key).distinct()).scalars().all()
    assert len(keys) == 79 and all(len(k) == 64 for k in keys)
