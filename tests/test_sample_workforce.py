"""Sample workforce snapshots: the Living Wage KPIs and their tests trust the people in them.

The files are read back with plain ``csv`` (not the pipeline's reader), rates are checked against the
Living Wage figures written out below (not the project's rates table), and every planted bad row is
checked on its raw line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

import pytest

from pipeline.config import EXAMPLE_CONFIG, EXAMPLES_DIR, NetworkConfig, ReturnSchedule, Storage, load_config
from samples.network import DEFAULT_PERIODS, SampleFile, SampleManifest, generate_sample
from samples.staff import PROFILES, RateTable
from samples.workforce import workforce_files, workforce_style_for
from tests.conftest import REPO_ROOT
from transforms.periods import Period
from transforms.return_types import WORKFORCE, normalise_header

SKIPPED = ("hearthstone-bs", "2026-27-Q2")  # generate_sample's default skip
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
FULL_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
# GBP an hour, from the date each applies (docs/design.md, departures).
LONDON_LW = ((date(2025, 5, 1), Decimal("13.85")), (date(2026, 5, 1), Decimal("14.80")))
UK_LW = ((date(2025, 5, 1), Decimal("12.60")), (date(2026, 5, 1), Decimal("13.45")))
NATIONAL_LW = ((date(2025, 4, 1), Decimal("12.21")), (date(2026, 4, 1), Decimal("12.71")))


def _rate_on(table: tuple[tuple[date, Decimal], ...], day: date) -> Decimal:
    applying = [rate for start, rate in table if start <= day]
    assert applying, day
    return applying[-1]


# -- configs and generation ------------------------------------------------------------------------
def _with_workforce(cfg: NetworkConfig, frequency: str = "quarterly") -> NetworkConfig:
    """The config plus ``[returns.workforce]`` (whether or not the file already has it)."""
    returns = {**cfg.returns, "workforce": ReturnSchedule(frequency=frequency, due_days_after_period_end=30)}  # type: ignore[arg-type]
    return cfg.model_copy(update={"returns": returns})


def _without_workforce(cfg: NetworkConfig) -> NetworkConfig:
    return cfg.model_copy(update={"returns": {k: v for k, v in cfg.returns.items() if k != "workforce"}})


def _config(data_dir: Path, source: Path = EXAMPLE_CONFIG) -> NetworkConfig:
    return load_config(source).model_copy(update={"storage": Storage(data_dir=str(data_dir))})


def _generate(cfg: NetworkConfig, **kwargs: object) -> SampleManifest:
    """Generate into the config's bucket, ignoring any ANCHOR_BUCKET_URL of the developer's shell."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANCHOR_BUCKET_URL", raising=False)
        return generate_sample(cfg, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> tuple[NetworkConfig, SampleManifest, Path]:
    data_dir = tmp_path_factory.mktemp("london-workforce")
    cfg = _with_workforce(_config(data_dir))
    return cfg, _generate(cfg), data_dir / "bucket"


def _workforce(manifest: SampleManifest) -> list[SampleFile]:
    return [f for f in manifest.files if f.return_type == "workforce"]


def _spend(manifest: SampleManifest) -> list[SampleFile]:
    return [f for f in manifest.files if f.return_type == "spend"]


# -- reading the files back independently ----------------------------------------------------------
@dataclass
class Snapshot:
    entry: SampleFile
    header_line: int
    header: list[str]
    columns: list[str | None]
    records: dict[int, list[str]]  # by file line

    def row(self, fields: list[str]) -> dict[str, str]:
        return {c: v for c, v in zip(self.columns, fields, strict=True) if c}

    @property
    def bad_lines(self) -> set[int]:
        return {line for line, _ in self.entry.bad_rows}

    def good(self) -> dict[int, dict[str, str]]:
        return {n: self.row(f) for n, f in self.records.items() if n not in self.bad_lines}

    def refs(self) -> set[str]:
        return {self.row(f)["employee_ref"] for f in self.records.values()}


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _parse(entry: SampleFile, data: bytes, cfg: NetworkConfig) -> Snapshot:
    member = cfg.member(entry.member_id)
    assert member is not None
    index = WORKFORCE.alias_index(member.column_map)
    header_line, header, records = 0, [], {}
    for number, line in enumerate(_decode(data).splitlines(), start=1):
        fields = next(csv.reader([line]), [])
        if not header_line:
            if {"employee_ref", "hourly_rate_gbp"} <= {index.get(normalise_header(f)) for f in fields}:
                header_line, header = number, fields
        elif any(f.strip() for f in fields):
            records[number] = fields
    assert header_line, f"{entry.path}: no header row naming the employee and the hourly rate"
    return Snapshot(entry, header_line, header, [index.get(normalise_header(h)) for h in header], records)


def _snapshots(cfg: NetworkConfig, files: list[tuple[str, bytes, SampleFile]]) -> list[Snapshot]:
    return [_parse(entry, data, cfg) for _, data, entry in files]


def _money(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("£", "").replace(",", ""))
    except InvalidOperation:
        return None


def _rate(row: dict[str, str]) -> Decimal:
    rate = _money(row["hourly_rate_gbp"])
    assert rate is not None, row
    return rate


def _day(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%d-%b-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


_BASIS = {**{v: v for v in ("direct", "contractor")}, **dict(WORKFORCE.columns["employment_basis"].synonyms)}


def _basis(text: str) -> str | None:
    return _BASIS.get(" ".join(text.lower().replace("_", " ").replace("-", " ").split()))


def _is_yes(text: str) -> bool:
    assert text.strip().lower() in ("yes", "y", "true", "no", "n", "false", ""), text
    return text.strip().lower() in ("yes", "y", "true")


def _by_member(snapshots: list[Snapshot]) -> dict[str, list[Snapshot]]:
    """Each member's snapshots in date order."""
    members: dict[str, list[Snapshot]] = {}
    for s in sorted(snapshots, key=lambda s: Period.parse(s.entry.period).end):
        members.setdefault(s.entry.member_id, []).append(s)
    return members


@pytest.fixture(scope="module")
def snapshots(london) -> list[Snapshot]:
    cfg, manifest, bucket = london
    return [_parse(f, (bucket / f.path).read_bytes(), cfg) for f in _workforce(manifest)]


def _uplifts(before: Snapshot, after: Snapshot, lw: tuple[tuple[date, Decimal], ...]) -> dict[str, tuple]:
    """An uplift: in both snapshots, below the rate applying at the first, at or above it now."""
    day0, day1 = (Period.parse(s.entry.period).end for s in (before, after))
    rates0 = {r["employee_ref"]: _rate(r) for r in before.good().values()}
    found = {}
    for row in after.good().values():
        ref, new = row["employee_ref"], _money(row["hourly_rate_gbp"])
        old = rates0.get(ref)
        if (
            old is not None
            and new is not None
            and old < _rate_on(lw, day0) <= new
            and new >= _rate_on(lw, day1)
        ):
            found[ref] = (old, new, Decimal(row["weekly_hours"]))
    return found


# -- the manifest and the bucket -------------------------------------------------------------------
def test_every_member_period_has_a_snapshot_except_the_skipped_pair(london) -> None:
    cfg, manifest, bucket = london
    expected = {(m.id, p) for m in cfg.members for p in DEFAULT_PERIODS} - {SKIPPED}
    workforce = _workforce(manifest)
    assert {(f.member_id, f.period) for f in workforce} == expected
    assert len(workforce) == len(expected)
    for entry in workforce:
        assert entry.path == f"incoming/{entry.member_id}/workforce_{entry.period}.csv"
        assert (bucket / entry.path).is_file()
    assert not (bucket / "incoming" / SKIPPED[0] / f"workforce_{SKIPPED[1]}.csv").exists()
    assert manifest.files[: len(_spend(manifest))] == tuple(_spend(manifest))  # spend first, as before


def test_adding_workforce_leaves_the_spend_sample_unchanged(london, tmp_path: Path) -> None:
    _, manifest, bucket = london
    plain_cfg = _without_workforce(_config(tmp_path / "plain"))
    plain = _generate(plain_cfg)
    assert tuple(_spend(plain)) == tuple(_spend(manifest))
    assert (plain.supplier_register, plain.register_suppliers, plain.pool_suppliers) == (
        manifest.supplier_register, manifest.register_suppliers, manifest.pool_suppliers,
    )  # fmt: skip
    plain_bucket = tmp_path / "plain" / "bucket"
    for path in [*(f.path for f in plain.files), plain.supplier_register]:
        assert (plain_bucket / path).read_bytes() == (bucket / path).read_bytes(), path
    assert not list(plain_bucket.rglob("workforce_*"))


def test_skip_workforce_separates_the_two_returns(tmp_path: Path) -> None:
    cfg = _with_workforce(_config(tmp_path))
    manifest = _generate(
        cfg,
        periods=("2025-26-Q4", "2026-27-Q1"),
        lines_per_file=10,
        skip_workforce=[("greenway-homes", "2025-26-Q4")],
    )
    pairs = {(f.return_type, f.member_id, f.period) for f in manifest.files}
    assert ("workforce", "greenway-homes", "2025-26-Q4") not in pairs
    assert ("spend", "greenway-homes", "2025-26-Q4") in pairs
    assert ("workforce", "greenway-homes", "2026-27-Q1") in pairs
    with pytest.raises(ValueError, match="staff_per_member"):
        _generate(cfg, staff_per_member=0)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not() -> None:
    cfg = _with_workforce(load_config())
    first, second = workforce_files(cfg, DEFAULT_PERIODS, 2025), workforce_files(cfg, DEFAULT_PERIODS, 2025)
    other = workforce_files(cfg, DEFAULT_PERIODS, 7)
    assert first == second
    assert [path for path, _, _ in first] == [path for path, _, _ in other]
    assert all(a[1] != b[1] for a, b in zip(first, other, strict=True))


def test_output_does_not_depend_on_hash_randomisation() -> None:
    script = (
        "import hashlib; from pipeline.config import load_config, ReturnSchedule; "
        "from samples.workforce import workforce_files; cfg = load_config(); "
        "cfg = cfg.model_copy(update={'returns': {**cfg.returns, 'workforce': ReturnSchedule()}}); "
        "print(hashlib.sha256(b''.join(p.encode() + d for p, d, _ in workforce_files(cfg))).hexdigest())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ANCHOR_BUCKET_URL", "ANCHOR_CONFIG")}
    hash_seed = "2" if env.get("PYTHONHASHSEED") == "1" else "1"
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, cwd=REPO_ROOT, capture_output=True, text=True,
        env={**env, "PYTHONHASHSEED": hash_seed},
    )  # fmt: skip
    files = workforce_files(_with_workforce(load_config()))
    assert result.stdout.strip() == hashlib.sha256(b"".join(p.encode() + d for p, d, _ in files)).hexdigest()


def test_nothing_without_a_workforce_return() -> None:
    assert workforce_files(_without_workforce(load_config())) == []


# -- headers and formats ---------------------------------------------------------------------------
def test_every_header_maps_to_its_canonical_column(london, snapshots) -> None:
    cfg, _, _ = london
    for s in snapshots:
        assert None not in s.columns, (s.entry.path, s.header)
        assert len(set(s.columns)) == len(s.columns), (s.entry.path, s.header)
        assert set(WORKFORCE.required) | {"is_apprentice", "home_postcode_district"} <= set(s.columns)
    headers = {s.entry.member_id: tuple(s.header) for s in snapshots}
    assert len(set(headers.values())) == len(headers)  # each member its own export
    assert headers["kingsbridge-council"] == (
        "Staff ID", "As At Date", "Basic Hourly Rate", "Contracted Hours", "Employment Type", "Apprentice",
        "Apprenticeship Start Date", "Home Postcode District",
    )  # fmt: skip
    assert headers["fleetside-council"][:5] == (
        "Payroll Number", "Snapshot Date", "Hourly Rate", "Weekly Hours", "Employment Basis",
    )  # fmt: skip
    for index, member in enumerate(cfg.members):  # the style's own declaration agrees with the index
        style = workforce_style_for(member, index)
        aliases = WORKFORCE.alias_index(member.column_map)
        assert [aliases[normalise_header(h)] for h in style.headers] == list(style.columns)


def test_a_members_column_map_names_its_header(london) -> None:
    cfg, _, _ = london
    members = [
        m.model_copy(update={"column_map": {"Colleague No": "employee_ref"}})
        if m.id == "thames-college"
        else m
        for m in cfg.members
    ]
    files = workforce_files(cfg.model_copy(update={"members": members}), ("2025-26-Q3",), staff_per_member=8)
    thames = next(data for path, data, _ in files if "/thames-college/" in path)
    assert thames.decode("utf-8").startswith("Colleague No,Report Date,Pay Rate")
    with pytest.raises(ValueError, match="does not map"):
        workforce_style_for(members[0].model_copy(update={"column_map": {"Staff ID": "sex"}}), 0)


def test_formats_vary_like_real_hr_exports(london, snapshots) -> None:
    _, manifest, bucket = london
    raw = {
        f.member_id: (bucket / f.path).read_bytes() for f in _workforce(manifest) if f.period == "2025-26-Q4"
    }
    with pytest.raises(UnicodeDecodeError):
        raw["north-meridian-nhs"].decode("utf-8")
    assert "£" in raw["north-meridian-nhs"].decode("cp1252")
    assert raw["greenway-homes"].startswith(codecs.BOM_UTF8)
    assert b"\r\n" in raw["fleetside-council"] and b"\r\n" not in raw["kingsbridge-council"]
    assert raw["st-aldrics-nhs"].startswith(b"Staff in Post - Hourly Rates")
    assert b"31-Mar-2026" in raw["st-aldrics-nhs"] and b"31/3/2026" in raw["thames-college"]
    assert b"31.03.2026" in raw["lumen-energy"]
    words = {_basis(r["employment_basis"]) for s in snapshots for r in s.good().values()}
    assert words == {"direct", "contractor"}
    spellings = {r["employment_basis"] for s in snapshots for r in s.good().values()}
    assert {"Employee", "Agency", "Direct", "Contractor", "Third Party", "Fixed Term"} <= spellings
    # Contractors listed after the payroll at some members: the references are then not in order.
    fleetside = next(s for s in snapshots if s.entry.member_id == "fleetside-council")
    refs = [fleetside.row(f)["employee_ref"] for f in fleetside.records.values()]
    assert refs != sorted(refs)


def test_data_rows_counts_the_records_after_the_header(snapshots) -> None:
    for s in snapshots:
        assert s.entry.data_rows == len(s.records), s.entry.path
        assert s.header_line == (5 if s.entry.member_id == "st-aldrics-nhs" else 1)


# -- the people ------------------------------------------------------------------------------------
def test_undeclared_rows_are_clean_and_realistic(snapshots) -> None:
    """Every row not declared bad passes the content rules, and nobody is paid below the statutory NLW."""
    for s in snapshots:
        period = Period.parse(s.entry.period)
        refs = [s.row(f)["employee_ref"] for f in s.records.values()]
        assert len(refs) == len(set(refs)), s.entry.path
        for line, row in s.good().items():
            where = (s.entry.path, line, row)
            assert _day(row["snapshot_date"]) == period.end, where
            rate = _money(row["hourly_rate_gbp"])
            assert rate is not None and _rate_on(NATIONAL_LW, period.end) <= rate < 60, where
            assert 8 <= Decimal(row["weekly_hours"]) <= 40, where
            assert _basis(row["employment_basis"]) in ("direct", "contractor"), where
            start = row["apprenticeship_start_date"]
            if _is_yes(row["is_apprentice"]):
                day = _day(start)
                assert day is not None and day <= period.end, where
                assert _basis(row["employment_basis"]) == "direct", where
            else:
                assert start == "", where
            district = row["home_postcode_district"]
            assert district == "" or DISTRICT_RE.match(district), where


def test_rosters_are_stable_with_leavers_and_joiners(snapshots) -> None:
    for member, series in _by_member(snapshots).items():
        seen: set[str] = set()
        for before, after in pairwise(series):
            kept = before.refs() & after.refs()
            assert len(kept) >= 0.8 * len(before.refs()), member
            assert before.refs() - after.refs(), (member, "no leavers")
            joiners = after.refs() - before.refs()
            assert joiners, (member, "no joiners")
            seen |= before.refs()
            assert not joiners & seen, (member, "a reference came back")  # refs are never reused
        numbers = sorted(series[0].refs())
        assert numbers == sorted(numbers, key=lambda r: int(re.sub(r"\D", "", r)))


def test_the_same_raw_reference_is_used_by_several_members(snapshots) -> None:
    first = [s for s in snapshots if s.entry.period == DEFAULT_PERIODS[0]]
    holders = [s.entry.member_id for s in first if "E00001" in s.refs()]
    assert len(holders) >= 5
    assert any(s.refs() and not s.refs() & {"E00001"} for s in first)  # other numbering schemes too


def test_contractors_are_a_fifth_to_a_third_and_many_are_below_the_living_wage(snapshots) -> None:
    for s in snapshots:
        rows = list(s.good().values())
        share = sum(_basis(r["employment_basis"]) == "contractor" for r in rows) / len(rows)
        assert 0.15 <= share <= 0.35, (s.entry.path, share)
    direct, contractors = [], []
    for s in snapshots:
        if PROFILES[s.entry.member_id] == "accredited":
            continue
        lw = _rate_on(LONDON_LW, Period.parse(s.entry.period).end)
        for r in s.good().values():
            below = _rate(r) < lw
            (contractors if _basis(r["employment_basis"]) == "contractor" else direct).append(below)
    assert sum(contractors) / len(contractors) >= 0.4  # many contractors below the rate
    assert 0.05 <= sum(direct) / len(direct) <= 0.35  # some direct staff too
    rates = [_rate(r) for s in snapshots for r in s.good().values()
             if _basis(r["employment_basis"]) == "direct"]  # fmt: skip
    assert sum(14 <= r <= 42 for r in rates) / len(rates) >= 0.8


def test_a_contractor_moves_onto_the_payroll_under_the_same_reference(snapshots) -> None:
    movers = set()
    for member, series in _by_member(snapshots).items():
        for before, after in pairwise(series):
            basis0 = {r["employee_ref"]: _basis(r["employment_basis"]) for r in before.good().values()}
            for r in after.good().values():
                if (
                    basis0.get(r["employee_ref"]) == "contractor"
                    and _basis(r["employment_basis"]) == "direct"
                ):
                    movers.add((member, r["employee_ref"]))
    assert len(movers) >= 5
    assert len({m for m, _ in movers}) == len(movers)  # one a member at most


def test_apprentices_and_starts_inside_the_period(snapshots) -> None:
    starts_in_period = []
    for s in snapshots:
        period = Period.parse(s.entry.period)
        apprentices = [r for r in s.good().values() if _is_yes(r["is_apprentice"])]
        assert apprentices, s.entry.path
        starts = [(r, _day(r["apprenticeship_start_date"])) for r in apprentices]
        starts_in_period += [(s.entry, r) for r, day in starts if day and period.contains(day)]
    assert len({e.period for e, _ in starts_in_period}) == len(DEFAULT_PERIODS)
    later = [e for e, _ in starts_in_period if e.period != DEFAULT_PERIODS[0]]
    assert len({e.member_id for e in later}) >= 5  # new apprentices join after the first snapshot


def test_home_districts_are_outward_codes_some_outside_the_area_some_blank(london, snapshots) -> None:
    cfg, _, _ = london
    area = cfg.local_area
    districts = [r["home_postcode_district"] for s in snapshots for r in s.good().values()]
    known = [d for d in districts if d]
    local = [
        d for d in known if re.sub(r"\d.*", "", d) in area.postcode_areas or d in area.postcode_districts
    ]
    assert 0.03 <= (len(districts) - len(known)) / len(districts) <= 0.15
    assert 0.55 <= len(local) / len(known) <= 0.85
    assert {"SE15", "E1"} & set(known) or any(d.startswith(("SE", "E")) for d in local)
    outside = set(known) - set(local)
    assert len(outside) >= 5 and outside <= {"CM2", "ME4", "DA11", "SS1", "RM16", "LU1", "GU1", "TN13", "AL1",
                                             "KT22", "EN6", "SL1", "HP1", "WD17", "CM14", "RH1", "SG1", "ME15"}  # fmt: skip


# -- the Living Wage story -------------------------------------------------------------------------
def test_accrediting_members_uplift_their_staff_once_and_nobody_else_does(snapshots) -> None:
    per_member = {}
    for member, series in _by_member(snapshots).items():
        per_member[member] = [len(_uplifts(a, b, LONDON_LW)) for a, b in pairwise(series)]
    for member, counts in per_member.items():
        if PROFILES[member] == "accrediting":
            assert sum(c > 0 for c in counts) == 1, (member, counts)
            assert max(counts) >= 5, (member, counts)
        else:
            assert not any(counts), (member, counts)
    # Someone below the London Living Wage at one snapshot is at or above it at the next.
    assert sum(map(sum, per_member.values())) >= 20


def test_accredited_members_pay_everybody_the_rate_and_others_do_not(snapshots) -> None:
    for member, series in _by_member(snapshots).items():
        below = []
        for s in series:
            lw = _rate_on(LONDON_LW, Period.parse(s.entry.period).end)
            below.append(sum(_rate(r) < lw for r in s.good().values()))
        if PROFILES[member] == "accredited":
            assert below == [0] * len(series), member
        elif PROFILES[member] == "never":
            assert all(b >= 5 for b in below), (member, below)
        else:  # below the rate until the accreditation snapshot, nobody below from then on
            first_clear = below.index(0)
            assert first_clear >= 1 and all(b > 0 for b in below[:first_clear]), (member, below)
            assert not any(below[first_clear:]), (member, below)


def test_uk_living_wage_network() -> None:
    cfg = _with_workforce(load_config(EXAMPLES_DIR / "durham.toml"))
    snapshots = _snapshots(cfg, workforce_files(cfg, DEFAULT_PERIODS, 2025))
    assert {s.entry.member_id for s in snapshots} == {m.id for m in cfg.members}
    uplifts = 0
    for series in _by_member(snapshots).values():
        uplifts += sum(len(_uplifts(a, b, UK_LW)) for a, b in pairwise(series))
        for s in series:
            day = Period.parse(s.entry.period).end
            rates = [_rate(r) for r in s.good().values()]
            assert min(rates) >= _rate_on(NATIONAL_LW, day)
    assert uplifts >= 5
    lows = [_rate(r) for s in snapshots for r in s.good().values()]
    assert any(_rate_on(UK_LW, date(2026, 3, 31)) <= r < Decimal("13.85") for r in lows)


def test_yearly_workforce_return_gets_one_snapshot_a_year() -> None:
    cfg = _with_workforce(load_config(), frequency="yearly")
    files = workforce_files(cfg, DEFAULT_PERIODS, 2025, staff_per_member=12)
    assert {e.period for _, _, e in files} == {"2025-26", "2026-27"}
    first = _parse(files[0][2], files[0][1], cfg)
    assert {r["snapshot_date"] for r in first.good().values()} == {"31/03/2026"}


def test_small_rosters_get_no_bad_rows() -> None:
    cfg = _with_workforce(load_config())
    for staff in (1, 3, 10, 24):
        files = workforce_files(cfg, DEFAULT_PERIODS, 2025, staff_per_member=staff)
        assert all(not e.bad_rows for _, _, e in files if e.data_rows < 25)  # 1 bad row would be > 4%
        assert all(e.data_rows >= 1 for _, _, e in files)


def test_rates_agree_with_the_projects_rates_table() -> None:
    from transforms.living_wage import rate_on

    for basis in ("london", "uk", "national"):
        table = RateTable.load(basis)
        for day in (
            date(2025, 12, 31),
            date(2026, 3, 31),
            date(2026, 4, 30),
            date(2026, 6, 30),
            date(2027, 3, 31),
        ):
            assert table.on(day) == round((rate_on(day, basis) or 0) * 100), (basis, day)


# -- planted bad rows ------------------------------------------------------------------------------
def test_each_declared_bad_row_is_bad_in_the_declared_way(snapshots) -> None:
    kinds = set()
    for s in snapshots:
        assert len(s.entry.bad_rows) <= 1
        period = Period.parse(s.entry.period)
        for line, kind in s.entry.bad_rows:
            assert line in s.records, (s.entry.path, line)
            row = s.row(s.records[line])
            if kind == "full_home_postcode":
                assert FULL_POSTCODE_RE.match(row["home_postcode_district"]), row
            elif kind == "rate_out_of_range":
                assert _money(row["hourly_rate_gbp"]) in (0, 1500), row
            elif kind == "missing_employment_basis":
                assert row["employment_basis"] == "", row
            elif kind == "bad_snapshot_date":
                assert (
                    re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["snapshot_date"])
                    and _day(row["snapshot_date"]) is None
                )
                assert (
                    row["snapshot_date"] == f"{period.end.month:02d}/{period.end.day:02d}/{period.end.year}"
                )
            else:
                pytest.fail(f"unknown kind {kind}")
            kinds.add(kind)
            assert re.fullmatch(r"E\d{5}|\d{8}|P\d{7}", row["employee_ref"])  # the person is still named
    assert kinds == {
        "full_home_postcode",
        "rate_out_of_range",
        "missing_employment_basis",
        "bad_snapshot_date",
    }
    clean = sum(not s.entry.bad_rows for s in snapshots)
    assert 0.3 <= clean / len(snapshots) <= 0.7
