"""The DAGs through Airflow itself: integrity, and a full run on generated data checked independently.

The end-to-end test re-derives the KPIs from the raw files the members sent, with its own small
reader (no pipeline code), and compares them with what the DAGs stored in the warehouse.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.orchestration import DAGS_FOLDER
from samples.network import SampleManifest, generate_sample
from samples.spend import not_procurement_payees
from tests.conftest import write_config
from tests.report_html import parse, squeeze

DAG_IDS = {"anchor_ingest", "anchor_kpis", "anchor_report", "anchor_chasers"}
HEAVY = ("pandas", "great_expectations", "pyarrow", "sqlalchemy", "openpyxl")


@pytest.fixture(scope="module")
def dag_bag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_every_dag_imports_with_tags_retries_timeouts_and_docs(dag_bag) -> None:  # type: ignore[no-untyped-def]
    from pipeline.orchestration import tell_engineers

    assert dag_bag.import_errors == {}
    assert set(dag_bag.dags) == DAG_IDS
    for dag in dag_bag.dags.values():
        assert "anchor" in dag.tags, dag.dag_id
        assert dag.doc_md, dag.dag_id
        assert dag.max_active_runs == 1, dag.dag_id
        assert dag.catchup is False, dag.dag_id
        # One e-mail per failed run: the run's callback, not one per (mapped) task.
        assert dag.on_failure_callback is tell_engineers, dag.dag_id
        assert dag.dagrun_timeout and dag.dagrun_timeout.total_seconds() <= 2 * 3600, dag.dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            assert task.on_failure_callback, f"{dag.dag_id}.{task.task_id} logs nothing when it fails"
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert tell_engineers not in callbacks, f"{dag.dag_id}.{task.task_id} e-mails per task"
            assert task.execution_timeout, f"{dag.dag_id}.{task.task_id} may hang for ever"
            assert task.execution_timeout <= dag.dagrun_timeout, f"{dag.dag_id}.{task.task_id}"


def test_ingest_maps_batches_of_files_and_kpis_wait_for_the_warehouse(dag_bag) -> None:  # type: ignore[no-untyped-def]
    ingest = dag_bag.dags["anchor_ingest"]
    assert ingest.get_task("ingest_batch").is_mapped
    [outlet] = ingest.get_task("announce_warehouse_change").outlets
    kpis = dag_bag.dags["anchor_kpis"]
    assert outlet.name in str(kpis.timetable.asset_condition)
    # The KPIs announce themselves; the report runs on them or on its daily slot.
    [kpis_outlet] = kpis.get_task("compute_kpis").outlets
    report = dag_bag.dags["anchor_report"]
    assert kpis_outlet.name in str(report.timetable.asset_condition)
    assert report.timetable.timetable.expression == "0 6 * * *"
    assert "period" in report.params


def test_ingest_polls_every_minute_behind_a_cheap_gate(dag_bag) -> None:  # type: ignore[no-untyped-def]
    """A file is answered about a minute after it settles, and a minute with nothing waiting starts no
    heavy task: the first task is the gate, and everything else runs after it."""
    ingest = dag_bag.dags["anchor_ingest"]
    assert ingest.timetable.expression == "* * * * *"
    gate = ingest.get_task("anything_to_do")
    assert [t.task_id for t in ingest.roots] == ["anything_to_do"]
    assert gate.downstream_task_ids == {"refresh_reference_data"}
    assert set(ingest.tasks) - {gate} <= {ingest.get_task(t) for t in gate.get_flat_relative_ids()}


@pytest.mark.parametrize("dag_file", sorted(DAGS_FOLDER.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_do_no_work_at_parse_time(dag_file: Path) -> None:
    """Parsing a DAG file must not import heavy libraries or touch storage (the scheduler parses often)."""
    tree = ast.parse(dag_file.read_text())
    top_level_imports = {
        alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert top_level_imports <= {"__future__", "datetime", "airflow", "pipeline"}, top_level_imports
    probe = (
        "import runpy, sys, builtins\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "def spy(file, *a, **k):\n"
        "    opened.append(str(file)); return real_open(file, *a, **k)\n"
        "import airflow.sdk, airflow.sdk.exceptions\n"
        "before = set(sys.modules)\n"
        "builtins.open = spy\n"
        f"runpy.run_path({str(dag_file)!r})\n"
        "builtins.open = real_open\n"
        "added = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        f"print(sorted(m for m in {HEAVY!r} if m in added)); print(opened)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    heavy, opened = result.stdout.strip().splitlines()[-2:]
    assert heavy == "[]", f"{dag_file.name} imports {heavy} at parse time"
    assert "bucket" not in opened and "warehouse" not in opened and "toml" not in opened, opened


# -- independent reading of the raw sample files ------------------------------------------------------
NAME_HEADERS = {
    "suppliername",
    "supplier",
    "beneficiary",
    "vendorname",
    "vendor",
    "payeename",
    "creditorname",
    "vendorlegalname",
}
ID_HEADERS = {"supplierid", "creditorid", "companieshousenumber"}
SUFFIXES = {"ltd", "limited", "plc", "llp", "llc", "inc", "co", "company", "uk", "group", "cic"}


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[.'’`]", "", text).replace("&", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower().replace("£", ""))


def _records(data: bytes, path: str) -> list[tuple[int, list[str]]]:
    if path.endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        return [
            (i, ["" if v is None else str(v) for v in row])
            for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(i, row) for i, line in enumerate(lines, start=1) for row in csv.reader([line])]


def _amount(text: str) -> float:
    negative = text.strip().startswith("-") or text.strip().startswith("(")
    value = float(re.sub(r"[^0-9.]", "", text))
    return -value if negative else value


def expected_spend(
    bucket: Path, manifest: SampleManifest, cfg
) -> dict[tuple[str | None, str], dict[str, float]]:  # type: ignore[no-untyped-def]
    register = list(csv.DictReader(io.StringIO((bucket / manifest.supplier_register).read_text("utf-8-sig"))))
    by_id = {r["supplier_id"]: r for r in register if r["supplier_id"]}
    names = defaultdict(list)
    for r in register:
        names[_fold(r["supplier_name"])].append(r)
    areas, districts = set(cfg.local_area.postcode_areas), set(cfg.local_area.postcode_districts)
    # The payees the sample pays that are not procurement (taxes, pensions...): out of the shares' whole.
    members = {m.id: m for m in cfg.members}
    totals: dict[tuple[str | None, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sample in (f for f in manifest.files if f.return_type == "spend"):
        not_procurement = {_fold(p.name) for p in not_procurement_payees(members[sample.member_id])}
        records = _records((bucket / sample.path).read_bytes(), sample.path)
        header_index = next(
            i
            for i, (_, row) in enumerate(records)
            if any("amount" in _key(c) or _key(c) == "total" for c in row)
        )
        header = [_key(c) for c in records[header_index][1]]
        col = {name: i for i, name in enumerate(header)}
        bad = {line for line, _ in sample.bad_rows + sample.set_aside_rows}
        for line, row in records[header_index + 1 :]:
            if line in bad or not any(c.strip() for c in row):
                continue

            def get(keys: set[str], row: list[str] = row, col: dict[str, int] = col) -> str:
                return next((row[col[k]] for k in keys if k in col and col[k] < len(row)), "")

            amount = _amount(next(row[i] for i, h in enumerate(header) if "amount" in h or h == "total"))
            if get({"tier"}).strip().lower() == "indirect":
                continue
            supplier = by_id.get(get(ID_HEADERS).strip())
            if supplier is None and len(names.get(_fold(get(NAME_HEADERS)), [])) == 1:
                supplier = names[_fold(get(NAME_HEADERS))][0]
            size = get({"suppliersize"}).strip().lower() or (supplier or {}).get("size", "")
            diverse = (get({"diverseowned"}) or (supplier or {}).get("is_diverse_owned", "")).lower() in (
                "yes",
                "true",
            )
            postcode = get({"postcode", "supplierpostcode", "vendorpostcode"}) or (supplier or {}).get(
                "postcode", ""
            )
            outward = postcode.strip().upper().split(" ")[0] if " " in postcode.strip() else ""
            local = re.sub(r"\d.*", "", outward) in areas or outward in districts
            sme = size in ("micro", "small", "medium")
            out = _fold(get(NAME_HEADERS)) in not_procurement
            for scope in (None, sample.member_id):
                bucket_totals = totals[(scope, sample.period)]
                bucket_totals["spend_total"] += amount
                if out:
                    bucket_totals["spend_out_of_scope"] += amount
                    continue
                bucket_totals["in_scope"] += amount
                bucket_totals["spend_sme"] += amount * sme
                bucket_totals["spend_local"] += amount * local
                bucket_totals["spend_diverse"] += amount * diverse
                bucket_totals["small_or_diverse"] += amount * ((local and sme) or diverse)
    return totals


CONTRACTOR_WORDS = {"agency", "third party", "outsourced", "contracted", "contractor", "contractors"}


def london_living_wage(day: str) -> float:
    rows = [
        r
        for r in csv.reader(Path("config/living_wage_rates.csv").read_text().splitlines())
        if r and not r[0].startswith("#") and r[0] == "london"
    ]
    return max((r[2], float(r[1])) for r in rows if r[2] <= day)[1]


def expected_workforce(bucket: Path, manifest: SampleManifest, periods: tuple[str, ...]) -> dict:  # type: ignore[type-arg]
    """Per member and period: {ref: (rate, is_contractor)} from each snapshot file, bad rows left out."""
    snapshots: dict[tuple[str, str], dict[str, tuple[float, bool]]] = {}
    for sample in (f for f in manifest.files if f.return_type == "workforce" and f.period in periods):
        records = _records((bucket / sample.path).read_bytes(), sample.path)
        header_index = next(
            i for i, (_, row) in enumerate(records) if any("hour" in _key(c) for c in row) and len(row) >= 8
        )
        bad = {line for line, _ in sample.bad_rows}
        people = {}
        for line, row in records[header_index + 1 :]:
            if line in bad or not any(c.strip() for c in row):
                continue
            people[row[0].strip()] = (_amount(row[2]), row[4].strip().lower() in CONTRACTOR_WORDS)
        snapshots[(sample.member_id, sample.period)] = people
    return snapshots


@pytest.mark.airflow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_end_to_end_through_airflow(
    dag_bag, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:  # type: ignore[no-untyped-def]
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    from pipeline.network import open_network
    from pipeline.steps.kpis import read_kpis

    airflow_db.resetdb()
    url = (
        f"sqlite:///{tmp_path}/warehouse.db"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    config = write_config(tmp_path, url)
    network = open_network(config)
    periods = ("2026-27-Q1", "2026-27-Q2")
    manifest = generate_sample(network.cfg, periods=periods, lines_per_file=80)

    # The members' raw files, read independently before the pipeline moves them out of incoming/.
    expected = expected_spend(Path(network.cfg.bucket_url), manifest, network.cfg)
    staff = expected_workforce(Path(network.cfg.bucket_url), manifest, periods)
    conf = {"config": str(config)}
    assert dag_bag.dags["anchor_ingest"].test(run_conf=conf).state == DagRunState.SUCCESS
    assert dag_bag.dags["anchor_kpis"].test(run_conf=conf).state == DagRunState.SUCCESS
    report_run = dag_bag.dags["anchor_report"].test(run_conf={**conf, "period": "2026-27-Q2"})
    assert report_run.state == DagRunState.SUCCESS

    for period in periods:
        stored = read_kpis(network, period)
        values = {(None if r.scope == "network" else r.scope_id, r.kpi): r.value for r in stored.itertuples()}
        for (scope, p), sums in expected.items():
            if p != period:
                continue
            total = sums["spend_total"]
            assert values[(scope, "spend_total")] == pytest.approx(total, abs=0.01), (scope, period)
            assert values[(scope, "spend_sme")] == pytest.approx(sums["spend_sme"], abs=0.01), (scope, period)
            assert values[(scope, "spend_local")] == pytest.approx(sums["spend_local"], abs=0.01), (
                scope,
                period,
            )
            assert values[(scope, "spend_diverse")] == pytest.approx(sums["spend_diverse"], abs=0.01), (
                scope,
                period,
            )
            assert values[(scope, "spend_out_of_scope")] == pytest.approx(
                sums["spend_out_of_scope"], abs=0.01
            )
            assert values[(scope, "spend_small_or_diverse_pct")] == pytest.approx(
                100 * sums["small_or_diverse"] / sums["in_scope"], abs=1e-3
            ), (scope, period)
    # Workforce: Living Wage uplifts between the two snapshots, and who is paid it now (£14.80 from May 2026).
    stored = read_kpis(network, "2026-27-Q2")
    values = {(None if r.scope == "network" else r.scope_id, r.kpi): r.value for r in stored.itertuples()}
    rate = london_living_wage("2026-09-30")
    assert rate == 14.80 and london_living_wage("2026-06-30") == 14.80
    uplifts = {}
    for (member, period), people in staff.items():
        if period != "2026-27-Q2":
            continue
        before = staff.get((member, "2026-27-Q1"), {})
        uplifts[member] = sum(
            1 for ref, (pay, _) in people.items() if ref in before and before[ref][0] < rate <= pay
        )
        assert values[(member, "lw_uplifts")] == uplifts[member], member
    assert sum(uplifts.values()) > 0, "the sample should contain Living Wage uplifts"
    assert values[(None, "lw_uplifts")] == sum(uplifts.values())
    latest = [p for (m, period), people in staff.items() if period == "2026-27-Q2" for p in people.values()]
    assert values[(None, "staff_contractor")] == sum(1 for _, contractor in latest if contractor)
    assert values[(None, "lw_paid_pct")] == pytest.approx(
        100 * sum(1 for pay, _ in latest if pay >= rate) / len(latest), abs=1e-3
    )

    # Not everyone sent the latest return, and the report says so.
    submitted = {s.member_id for s in manifest.files if s.period == "2026-27-Q2" and s.return_type == "spend"}
    assert len(submitted) < len(network.cfg.members)
    report = parse((Path(network.cfg.outbox_dir) / "london-report-2026-27-Q2.html").read_text())
    assert f"{len(submitted)} of {len(network.cfg.members)} members submitted" in squeeze(report.text)
    network_total = expected[(None, "2026-27-Q2")]["spend_total"]
    card = report.find("li", data_kpi="spend_total")
    assert float(card["data-value"]) == pytest.approx(network_total, abs=0.01)
