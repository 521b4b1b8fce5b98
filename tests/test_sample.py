"""The sample generator: the demo and the end-to-end test trust its files and its manifest.

The files are read back here with plain ``csv``/``openpyxl`` (not the pipeline's reader), so a bug in
the reader cannot hide a bug in the sample, and every planted bad row is checked on its raw line.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import fsspec
import pytest
from openpyxl import load_workbook

from pipeline.config import EXAMPLE_CONFIG, EXAMPLES_DIR, NetworkConfig, Storage, load_config
from samples.network import DEFAULT_PERIODS, SampleFile, SampleManifest, generate_sample
from tests.conftest import REPO_ROOT
from transforms.periods import Period
from transforms.return_types import SPEND, normalise_header

POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
SKIPPED = ("hearthstone-bs", "2026-27-Q2")


def _config(data_dir: Path, source: Path = EXAMPLE_CONFIG) -> NetworkConfig:
    return load_config(source).model_copy(update={"storage": Storage(data_dir=str(data_dir))})


def _spend_only(manifest: SampleManifest) -> SampleManifest:
    """The spend part of the manifest (workforce snapshots are tested in test_sample_workforce.py)."""
    return replace(manifest, files=tuple(f for f in manifest.files if f.return_type == "spend"))


def _generate(
    data_dir: Path, source: Path = EXAMPLE_CONFIG, **kwargs: object
) -> tuple[NetworkConfig, SampleManifest]:
    """Generate into ``data_dir/bucket``, ignoring any ANCHOR_BUCKET_URL of the developer's shell."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANCHOR_BUCKET_URL", raising=False)
        cfg = _config(data_dir, source)
        return cfg, _spend_only(generate_sample(cfg, **kwargs))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> tuple[NetworkConfig, SampleManifest, Path]:
    data_dir = tmp_path_factory.mktemp("london")
    cfg, manifest = _generate(data_dir)
    return cfg, manifest, data_dir / "bucket"


# -- reading the files back independently ----------------------------------------------------------
@dataclass
class Parsed:
    header_line: int
    header: list[str]
    columns: list[str | None]  # canonical column of each header cell
    records: dict[int, list[object]]  # non-blank records after the header, by line / sheet row

    def value(self, fields: list[object], column: str) -> object:
        position = self.columns.index(column)
        return fields[position] if position < len(fields) else None

    def has(self, column: str) -> bool:
        return column in self.columns


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _raw_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(line or sheet row, fields); ``splitlines`` treats a lone CR as a line break, as the spec says."""
    if path.suffix == ".xlsx":
        sheet = load_workbook(path)["Spend"]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
        return
    for number, line in enumerate(_decode(path.read_bytes()).splitlines(), start=1):
        yield number, next(csv.reader([line]), [])


def _is_blank(fields: list[object]) -> bool:
    return all(f is None or str(f).strip() == "" for f in fields)


def _parse(path: Path, column_map: dict[str, str]) -> Parsed:
    index = SPEND.alias_index(column_map)
    header_line, header, records = 0, [], {}
    for number, fields in _raw_rows(path):
        if not header_line:
            mapped = {index.get(normalise_header(f)) for f in fields}
            if {"supplier_name", "amount_gbp"} <= mapped:
                header_line, header = number, [str(f) for f in fields]
        elif not _is_blank(fields):
            records[number] = fields
    assert header_line, f"{path}: no header row naming supplier and amount"
    return Parsed(header_line, header, [index.get(normalise_header(h)) for h in header], records)


_PARSED: dict[Path, Parsed] = {}


def _parsed(bucket: Path, cfg: NetworkConfig, entry: SampleFile) -> Parsed:
    """Parse once per file: several tests look at the same files and openpyxl is not quick."""
    path = bucket / entry.path
    if path not in _PARSED:
        member = cfg.member(entry.member_id)
        assert member is not None
        _PARSED[path] = _parse(path, member.column_map)
    return _PARSED[path]


def _money(value: object) -> Decimal | None:
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return Decimal(str(value).replace("£", "").replace(",", ""))
    except InvalidOperation:
        return None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(str(value), fmt).date()
        except ValueError:
            pass
    return None


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- the manifest and the bucket -------------------------------------------------------------------
def test_every_member_period_has_a_file_except_the_skipped_pair(london) -> None:
    cfg, manifest, bucket = london
    expected = {(m.id, p) for m in cfg.members for p in DEFAULT_PERIODS} - {SKIPPED}
    assert {(f.member_id, f.period) for f in manifest.files} == expected
    assert len(manifest.files) == len(expected)
    for entry in manifest.files:
        assert entry.return_type == "spend"
        extension = "xlsx" if entry.member_id == "greenway-homes" else "csv"
        assert entry.path == f"incoming/{entry.member_id}/spend_{entry.period}.{extension}"
        assert (bucket / entry.path).is_file()
    assert not (bucket / "incoming" / SKIPPED[0] / f"spend_{SKIPPED[1]}.csv").exists()
    assert manifest.supplier_register == cfg.reference.supplier_register == "reference/suppliers.csv"


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    _generate(tmp_path / "a")
    _generate(tmp_path / "b")
    _generate(tmp_path / "c", seed=7)
    first, second, other = (_all_files(tmp_path / name / "bucket") for name in "abc")
    assert first == second  # every file, the xlsx workbooks included
    assert any(name.endswith(".xlsx") for name in first)
    assert first.keys() == other.keys()
    # The recruitment reference tables are fixed example figures, the same for every seed.
    cfg = _config(tmp_path / "a")
    fixed = {cfg.reference.population, cfg.reference.deprivation_by_district}
    assert all(first[name] != other[name] for name in first if name not in fixed)


def test_output_does_not_depend_on_hash_randomisation(london, tmp_path: Path) -> None:
    """Same bytes from a process with another PYTHONHASHSEED (set/dict order of strings differs)."""
    _, _, bucket = london
    script = (
        "import sys; from pipeline.config import load_config, Storage; from samples.network import generate_sample; "
        "generate_sample(load_config().model_copy(update={'storage': Storage(data_dir=sys.argv[1])}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "ANCHOR_BUCKET_URL"}
    hash_seed = "2" if env.get("PYTHONHASHSEED") == "1" else "1"  # differ from this process
    out = tmp_path / "other-process"
    subprocess.run(
        [sys.executable, "-c", script, str(out)],
        check=True,
        cwd=REPO_ROOT,
        env={**env, "PYTHONHASHSEED": hash_seed},
    )
    assert _all_files(out / "bucket") == _all_files(bucket)


def test_every_header_maps_to_canonical_columns(london) -> None:
    cfg, manifest, bucket = london
    for entry in manifest.files:
        parsed = _parsed(bucket, cfg, entry)
        assert None not in parsed.columns, (entry.path, parsed.header)
        assert len(set(parsed.columns)) == len(parsed.columns), (entry.path, parsed.header)
        assert {"supplier_name", "amount_gbp"} <= set(parsed.columns)
    lumen = next(f for f in manifest.files if f.member_id == "lumen-energy")
    assert "Vendor Legal Name" in _parsed(bucket, cfg, lumen).header  # from its config column_map


def test_data_rows_counts_the_non_blank_records_after_the_header(london) -> None:
    cfg, manifest, bucket = london
    for entry in manifest.files:
        assert entry.data_rows == len(_parsed(bucket, cfg, entry).records), entry.path


def test_blank_trailing_lines_are_not_records(london) -> None:
    _, manifest, bucket = london
    trailing = {
        f.member_id
        for f in manifest.files
        if f.path.endswith(".csv")
        and not _decode((bucket / f.path).read_bytes()).splitlines()[-1].strip(", ")
    }
    assert {"fleetside-council", "st-aldrics-nhs", "thames-college"} <= trailing
    assert "kingsbridge-council" not in trailing  # only some exports have them


# -- per-member export styles ----------------------------------------------------------------------
def _files(manifest: SampleManifest, member_id: str) -> list[SampleFile]:
    return [f for f in manifest.files if f.member_id == member_id]


def test_windows_1252_file_is_not_utf8_and_carries_non_ascii_names(london) -> None:
    _, manifest, bucket = london
    for entry in _files(manifest, "north-meridian-nhs"):
        data = (bucket / entry.path).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("cp1252")
        assert "Café" in text and "£" in text and "’" in text


def test_preamble_puts_the_header_below_line_one(london) -> None:
    cfg, manifest, bucket = london
    for entry in _files(manifest, "st-aldrics-nhs"):
        parsed = _parsed(bucket, cfg, entry)
        assert 5 <= parsed.header_line <= 7  # 4-6 preamble lines
        assert parsed.header == [
            "Transaction Date",
            "Supplier",
            "Supplier Postcode",
            "Net Amount",
            "Invoice Number",
        ]
        assert (bucket / entry.path).read_bytes().startswith(b"AP Payments Report")


def test_line_endings_bom_and_money_formats(london) -> None:
    _, manifest, bucket = london
    transit = (bucket / _files(manifest, "capital-transit")[0].path).read_bytes()
    assert b"\r" in transit and b"\n" not in transit
    hearthstone = (bucket / _files(manifest, "hearthstone-bs")[0].path).read_bytes()
    assert hearthstone.startswith(codecs.BOM_UTF8 + b"Payment Date,Supplier Name,Amount,Supplier Size")
    assert re.search(rb",(Micro|Small|Medium|Large),(Yes|No),(Yes|No)\r\n", hearthstone)
    fleetside = (bucket / _files(manifest, "fleetside-council")[0].path).read_bytes().decode("utf-8")
    assert re.search(r'"£\d{1,3}(,\d{3})+\.\d{2}"', fleetside)
    assert "\r\n" in fleetside
    assert any(
        re.search(r",-£\d", (bucket / f.path).read_bytes().decode("utf-8"))
        for f in _files(manifest, "fleetside-council")
    )
    assert any(b",indirect" in (bucket / f.path).read_bytes() for f in _files(manifest, "capital-transit"))


def test_supplier_totals_file_has_no_dates_and_ends_with_grand_total(london) -> None:
    cfg, manifest, bucket = london
    for entry in _files(manifest, "city-riverside-university"):
        parsed = _parsed(bucket, cfg, entry)
        assert parsed.header == ["Supplier Name", "Total"]
        last_line = max(parsed.records)
        assert parsed.records[last_line][0] == "Grand Total"
        assert entry.set_aside_rows == ((last_line, "totals_row"),)  # set aside, not a bad row
        assert all(kind != "totals_row" for _, kind in entry.bad_rows)
        names = [r[0] for n, r in parsed.records.items() if n != last_line and len(r) == 2 and r[0]]
        assert len(names) == len(set(names))  # one row per supplier


def test_xlsx_has_real_date_and_number_cells(london) -> None:
    cfg, manifest, bucket = london
    for entry in _files(manifest, "greenway-homes"):
        parsed = _parsed(bucket, cfg, entry)
        assert parsed.header == ["Payment Date", "Payee Name", "Amount", "Supplier Postcode", "Reference"]
        bad = {line for line, _ in entry.bad_rows}
        good = [r for n, r in parsed.records.items() if n not in bad]
        assert all(isinstance(r[0], datetime) and isinstance(r[2], int | float) for r in good)


def test_spend_names_sometimes_differ_from_the_register_only_in_case_punctuation_or_suffix(london) -> None:
    cfg, manifest, bucket = london
    register = _register(bucket / manifest.supplier_register)
    exact = {row["supplier_name"] for row in register}
    folded = {_fold(name) for name in exact}
    names = {
        str(parsed.value(fields, "supplier_name"))
        for entry in manifest.files
        for parsed in [_parsed(bucket, cfg, entry)]
        for line, fields in parsed.records.items()
        if line not in {n for n, _ in entry.bad_rows}
    }
    variants = {n for n in names if n not in exact and _fold(n) in folded}
    assert len(variants) >= 20
    assert any(n.isupper() for n in variants) and any("Limited" in n or "Ltd" in n for n in variants)


def test_supplier_ids_come_from_the_register_or_the_members_ledger(london) -> None:
    cfg, manifest, bucket = london
    register_ids = {row["supplier_id"] for row in _register(bucket / manifest.supplier_register)}
    for member_id, pattern in (("kingsbridge-council", None), ("lumen-energy", r"^(\d{8}|SC\d{6})$"),
                               ("thames-college", r"^CR\d{5}$")):  # fmt: skip
        entry = _files(manifest, member_id)[0]
        parsed = _parsed(bucket, cfg, entry)
        ids = {str(parsed.value(r, "supplier_id") or "") for r in parsed.records.values()} - {"", "None"}
        assert ids, member_id
        if pattern:
            assert all(re.match(pattern, i) for i in ids), (member_id, ids)
        else:
            assert len(ids & register_ids) >= len(ids) * 0.8


# -- planted bad rows ------------------------------------------------------------------------------
def _check_bad(kind: str, line: int, fields: list[object], parsed: Parsed, period: Period) -> None:
    if kind == "bad_date":
        raw = parsed.value(fields, "payment_date")
        assert isinstance(raw, str) and re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}", raw)
        assert _day(raw) is None
    elif kind == "date_outside_period":
        day = _day(parsed.value(fields, "payment_date"))
        assert day is not None and not period.contains(day)
    elif kind == "amount_not_number":
        assert parsed.value(fields, "amount_gbp") == "TBC"
    elif kind == "missing_supplier":
        assert parsed.value(fields, "supplier_name") in ("", None)
        assert _money(parsed.value(fields, "amount_gbp")) is not None
    elif kind == "bad_postcode":
        postcode = str(parsed.value(fields, "supplier_postcode"))
        assert postcode.strip() and not POSTCODE_RE.match(postcode)
    elif kind == "duplicate_transaction_id":
        reference = parsed.value(fields, "transaction_id")
        earlier = [
            n
            for n, r in parsed.records.items()
            if n < line and parsed.value(r, "transaction_id") == reference
        ]
        assert reference and earlier
    elif kind == "fields_ran_together":
        assert len(fields) < len(parsed.header)
        assert re.fullmatch(r".+ -?£?[\d,]+\.\d{2}", str(fields[-1]))
    elif kind == "totals_row":
        assert fields[0] == "Grand Total" and _money(fields[1]) is not None
    else:
        pytest.fail(f"unknown kind {kind}")


def test_each_declared_bad_row_is_bad_in_the_declared_way(london) -> None:
    cfg, manifest, bucket = london
    kinds_seen = set()
    for entry in manifest.files:
        parsed = _parsed(bucket, cfg, entry)
        period = Period.parse(entry.period)
        for line, kind in entry.bad_rows + entry.set_aside_rows:
            assert line in parsed.records, (entry.path, line)
            _check_bad(kind, line, parsed.records[line], parsed, period)
            kinds_seen.add(kind)
    assert kinds_seen == {"bad_date", "amount_not_number", "missing_supplier", "date_outside_period",
                          "bad_postcode", "duplicate_transaction_id", "fields_ran_together", "totals_row"}  # fmt: skip


def test_undeclared_rows_are_clean(london) -> None:
    """No accidental problems: the pipeline's rejections must be exactly the planted ones."""
    cfg, manifest, bucket = london
    for entry in manifest.files:
        parsed = _parsed(bucket, cfg, entry)
        period = Period.parse(entry.period)
        bad = {line for line, _ in entry.bad_rows + entry.set_aside_rows}
        references: set[object] = set()
        for line, fields in parsed.records.items():
            if line in bad:
                continue
            where = (entry.path, line, fields)
            assert len(fields) == len(parsed.header), where
            assert str(parsed.value(fields, "supplier_name") or "").strip(), where
            assert not str(fields[0]).lower().startswith(("total", "grand")), where
            assert _money(parsed.value(fields, "amount_gbp")) is not None, where
            if parsed.has("payment_date"):
                day = _day(parsed.value(fields, "payment_date"))
                assert day is not None and period.contains(day), where
            if parsed.has("supplier_postcode"):
                assert POSTCODE_RE.match(str(parsed.value(fields, "supplier_postcode"))), where
            if parsed.has("transaction_id"):
                reference = parsed.value(fields, "transaction_id")
                assert reference not in references, where
                references.add(reference)


def test_bad_rows_are_few_and_spread_over_some_files(london) -> None:
    _, manifest, _ = london
    genuine = [[k for _, k in f.bad_rows] for f in manifest.files]
    assert all(len(kinds) <= 2 for kinds in genuine)
    assert all(len(kinds) + 1 < 0.05 * f.data_rows for kinds, f in zip(genuine, manifest.files, strict=True))
    clean = sum(not kinds for kinds in genuine)
    assert 0.3 <= clean / len(genuine) <= 0.7


def test_small_files_get_no_bad_rows(tmp_path: Path) -> None:
    _, manifest = _generate(tmp_path, lines_per_file=10, periods=("2025-26-Q3",))
    assert all(not f.bad_rows for f in manifest.files)
    assert {f.data_rows for f in manifest.files if f.member_id != "city-riverside-university"} == {10}


# -- supplier register -----------------------------------------------------------------------------
def _register(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _fold(name: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", "", name.lower())
    return " ".join(w for w in text.split() if w not in {"ltd", "limited", "plc"})


def test_register_covers_most_but_not_all_of_the_pool(london) -> None:
    _, manifest, bucket = london
    path = bucket / manifest.supplier_register
    rows = _register(path)
    assert path.read_text("utf-8").splitlines()[0] == (
        "supplier_id,supplier_name,postcode,employees,turnover_gbp,size,is_vcse,is_diverse_owned,source,as_of"
    )
    assert len(rows) == manifest.register_suppliers
    assert 200 <= manifest.pool_suppliers <= 300
    assert 0.80 <= manifest.register_suppliers / manifest.pool_suppliers <= 0.95
    assert len({r["supplier_id"] for r in rows}) == len(rows)
    assert len({_fold(r["supplier_name"]) for r in rows}) == len(rows)  # no two fold to the same name


def test_register_values_are_consistent_and_realistic(london) -> None:
    cfg, manifest, bucket = london
    rows = _register(bucket / manifest.supplier_register)
    bands = {"micro": (1, 9), "small": (10, 49), "medium": (50, 249), "large": (250, 10**6)}
    for row in rows:
        low, high = bands[row["size"]]
        assert low <= int(row["employees"]) <= high, row
        if row["size"] != "large":
            assert int(row["turnover_gbp"]) <= 44_000_000, row
        assert row["is_vcse"] in ("true", "false") and row["is_diverse_owned"] in ("true", "false")
        assert re.fullmatch(r"\d{8}|SC\d{6}|\d{6,7}", row["supplier_id"]), row
        assert POSTCODE_RE.match(row["postcode"]), row
        assert row["as_of"] == "2026-06-30" and row["source"]
    n = len(rows)
    share = {size: sum(r["size"] == size for r in rows) / n for size in bands}
    assert 0.22 <= share["micro"] <= 0.38 and 0.17 <= share["large"] <= 0.33
    assert 0.05 <= sum(r["is_vcse"] == "true" for r in rows) / n <= 0.15
    assert 0.04 <= sum(r["is_diverse_owned"] == "true" for r in rows) / n <= 0.12
    area = cfg.local_area
    local = [
        r for r in rows
        if re.match(r"[A-Z]+", r["postcode"]).group(0) in area.postcode_areas  # type: ignore[union-attr]
        or r["postcode"].split()[0] in area.postcode_districts
    ]  # fmt: skip
    assert 0.40 <= len(local) / n <= 0.70
    charities = [r for r in rows if re.fullmatch(r"\d{6,7}", r["supplier_id"])]
    assert charities and all(r["is_vcse"] == "true" for r in charities)


# -- other networks --------------------------------------------------------------------------------
def test_members_of_other_networks_rotate_through_the_styles(tmp_path: Path) -> None:
    cfg, manifest = _generate(tmp_path, EXAMPLES_DIR / "durham.toml", periods=("2025-26-Q1",), skip=())
    bucket = tmp_path / "bucket"
    assert {f.member_id for f in manifest.files} == {m.id for m in cfg.members}
    headers = {f.member_id: _parsed(bucket, cfg, f).header for f in manifest.files}
    assert len({tuple(h) for h in headers.values()}) == len(headers)  # each member a different style
    for entry in manifest.files:
        assert entry.data_rows == len(_parsed(bucket, cfg, entry).records)
    register = _register(bucket / manifest.supplier_register)
    assert any(r["postcode"].startswith(("DH", "DL")) for r in register)


def test_writes_through_fsspec_urls(london) -> None:
    """The bucket may be an object store later (s3://); fsspec's memory:// stands in for it here."""
    cfg, manifest, bucket = london
    remote = cfg.model_copy(update={"storage": Storage(bucket="memory://anchor-sample-test/bucket")})
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANCHOR_BUCKET_URL", raising=False)
        remote_manifest = generate_sample(remote)
    fs = fsspec.filesystem("memory")
    try:
        assert _spend_only(remote_manifest) == manifest
        for path in [*(f.path for f in remote_manifest.files), manifest.supplier_register]:
            assert fs.cat_file(f"/anchor-sample-test/bucket/{path}") == (bucket / path).read_bytes()
    finally:
        fs.rm("/anchor-sample-test", recursive=True)
