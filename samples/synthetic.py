"""A synthetic anchor network at any scale: config, supplier register and one quarter of member returns.

Vectorised (numpy and pyarrow's CSV writer), so 12.5M spend lines take well under a minute to write.
Each member exports in one of several finance-system styles (header aliases, a preamble, Windows-1252,
semicolons, CRLF, '£1,234.56' amounts, a byte-order mark, trailing ',,,,' rows), and each file carries a
few bad rows (about 1 in 5,000: impossible dates, 'TBC' amounts, missing suppliers, malformed postcodes),
a ragged row ("fields ran together") and a blank line, so the benchmark exercises the rejection path and
the record-by-record fall-back, not only the clean case. Workforce snapshots are written when the
pipeline knows the workforce return type.

The generator records what it planted (rows per file, bad rows, the expected direct spend total), so
the benchmark checks the pipeline's accounting and its network total at every scale.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from samples.export_style import DMY, POUNDS, POUNDS_COMMAS, ExportStyle, arrow_csv
from samples.postcodes import INWARD_LETTERS

PERIOD = "2025-26-Q2"  # July to September 2025
PERIOD_START, PERIOD_END = date(2025, 7, 1), date(2025, 9, 30)
LONDON_AREAS = ["E", "EC", "N", "NW", "SE", "SW", "W", "WC", "BR", "CR", "HA", "IG", "SM", "UB"]
ELSEWHERE = ["B", "M", "LS", "BS", "CB", "OX", "RG", "GU", "ME", "CM", "SS", "LU", "MK", "NG"]
BAD_EVERY = 5_000  # about one planted bad row per this many lines


@dataclass(frozen=True)
class MemberFile:
    path: str  # inside the bucket
    member_id: str
    return_type: str
    rows: int  # non-blank data records (bad and ragged rows included)
    bad_rows: int  # rows the pipeline must reject
    direct_total_pence: int  # sum of the good rows' direct-tier amounts (spend only)
    size: int  # bytes


@dataclass(frozen=True)
class Network:
    root: str
    config: str
    pristine: str  # bucket-shaped folder with the generated files; copied (hard-linked) into each run
    members: int
    lines: int
    staff: int
    files: list[MemberFile]

    @property
    def spend_rows(self) -> int:
        return sum(f.rows for f in self.files if f.return_type == "spend")

    @property
    def staff_rows(self) -> int:
        return sum(f.rows for f in self.files if f.return_type == "workforce")

    def save(self) -> None:
        Path(self.root, "network.json").write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, root: Path) -> Network:
        raw = json.loads((root / "network.json").read_text())
        raw["files"] = [MemberFile(**f) for f in raw["files"]]
        return cls(**raw)


# -- the supplier pool ------------------------------------------------------------------------------
_STEMS = [
    "Brightwater",
    "Keystone",
    "Meridian",
    "Oakfield",
    "Northgate",
    "Silverline",
    "Bluebell",
    "Redbrick",
    "Greenleaf",
    "Ironbridge",
    "Harbour",
    "Summit",
    "Beacon",
    "Cornerstone",
    "Riverside",
    "Lighthouse",
    "Evergreen",
    "Highpoint",
    "Kestrel",
    "Falcon",
    "Granite",
    "Willow",
    "Pinnacle",
    "Horizon",
    "Compass",
    "Anchor",
    "Orchard",
    "Foxglove",
    "Sterling",
    "Crescent",
    "Mosaic",
    "Vantage",
    "Sapphire",
    "Cobalt",
    "Thistle",
    "Heron",
    "Acorn",
    "Maple",
    "Citadel",
    "Paragon",
    "Lantern",
    "Tideway",
    "Millstone",
    "Quayside",
    "Wrenfield",
    "Ashgrove",
]
_TRADES = [
    "Cleaning",
    "Catering",
    "Building Services",
    "Construction",
    "Roofing",
    "Electrical",
    "Plumbing and Heating",
    "Landscapes",
    "IT Solutions",
    "Digital",
    "Print",
    "Security",
    "Care Services",
    "Medical Supplies",
    "Transport",
    "Logistics",
    "Recruitment",
    "Consulting",
    "Energy",
    "Waste Management",
    "Training",
    "Furniture",
    "Capital Works",
    "Dental Supplies",
    "Hospital Services",
]
_FORMS = ("Ltd", "Limited", "PLC", "LLP", "CIC", "Ltd")
_SIZES = np.array(["micro", "small", "medium", "large"])
_DEPARTMENTS = np.array(
    ["Adult Social Care", "Children's Services", "Environment", "Housing", "Highways", "Public Health"]
)
_CATEGORIES = np.array(["Facilities", "Catering", "Construction", "ICT", "Transport", "Consultancy", "Care"])


def supplier_pool(size: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, 1])
    names = [
        f"{_STEMS[i % len(_STEMS)]} {_TRADES[(i // len(_STEMS)) % len(_TRADES)]} "
        f"{_FORMS[i % len(_FORMS)]}" + (f" ({i // (len(_STEMS) * len(_TRADES))})" if i >= 1150 else "")
        for i in range(size)
    ]
    names[::97] = [n.replace("Ltd", "Café Ltd") for n in names[::97]]  # some non-ASCII names
    local = rng.random(size) < 0.55
    area = np.where(
        local,
        np.array(LONDON_AREAS)[rng.integers(0, len(LONDON_AREAS), size)],
        np.array(ELSEWHERE)[rng.integers(0, len(ELSEWHERE), size)],
    )
    letters = np.array(list(INWARD_LETTERS))
    postcodes = [
        f"{a}{d} {n}{l1}{l2}"
        for a, d, n, l1, l2 in zip(
            area,
            rng.integers(1, 20, size),
            rng.integers(0, 10, size),
            letters[rng.integers(0, len(letters), size)],
            letters[rng.integers(0, len(letters), size)],
            strict=True,
        )
    ]
    return {
        "name": np.array(names, dtype=object),
        "id": np.array([f"{10_000_000 + 7919 * i:08d}" for i in range(size)], dtype=object),
        "postcode": np.array(postcodes, dtype=object),
        "size": _SIZES[rng.choice(4, size, p=[0.3, 0.25, 0.2, 0.25])],
        "vcse": rng.random(size) < 0.1,
        "diverse": rng.random(size) < 0.08,
    }


def register_csv(pool: dict[str, np.ndarray], seed: int) -> bytes:
    rng = np.random.default_rng([seed, 2])
    keep = rng.random(len(pool["name"])) < 0.88
    yes_no = np.array(["No", "Yes"])
    table = pa.table(
        {
            "supplier_id": pool["id"][keep],
            "supplier_name": pool["name"][keep],
            "postcode": pool["postcode"][keep],
            "employees": rng.integers(1, 2000, keep.sum()).astype(str),
            "turnover_gbp": rng.integers(50_000, 90_000_000, keep.sum()).astype(str),
            "size": pool["size"][keep],
            "is_vcse": yes_no[pool["vcse"][keep].astype(int)],
            "is_diverse_owned": yes_no[pool["diverse"][keep].astype(int)],
            "source": np.full(keep.sum(), "bench"),
            "as_of": np.full(keep.sum(), "2025-06-30"),
        }
    )
    return arrow_csv(table)


# -- spend returns ---------------------------------------------------------------------------------
# Five finance-system exports, from the same description the demo's members use.
SPEND_STYLES = (
    ExportStyle.from_pairs(
        "ledger-plain",
        "Payment Date=payment_date;Supplier Name=supplier_name;Supplier ID=supplier_id;"
        "Postcode=supplier_postcode;Amount=amount_gbp;Transaction ID=transaction_id;"
        "Department=department;Category=category",
    ),
    ExportStyle.from_pairs(
        "pounds-with-commas",
        "Date Paid=payment_date;Beneficiary=supplier_name;Net Amount=amount_gbp;"
        "Payment Ref=transaction_id;Directorate=department",
        money=POUNDS_COMMAS,
        newline="\r\n",
        trailing_blank=2,
    ),
    ExportStyle.from_pairs(
        "report-with-preamble",
        "Transaction Date=payment_date;Supplier=supplier_name;Supplier Postcode=supplier_postcode;"
        "Net Amount=amount_gbp;Invoice Number=transaction_id",
        newline="\r\n",
        preamble=True,
        trailing_blank=2,
        blank_as_commas=True,
    ),
    ExportStyle.from_pairs(
        "windows-1252-semicolons",
        "Posting Date=payment_date;Vendor Name=supplier_name;Vendor Postcode=supplier_postcode;"
        "Net Amount £=amount_gbp;Doc No=transaction_id;Expense Category=category",
        delimiter=";",
        newline="\r\n",
        encoding="cp1252",
        money=POUNDS,
    ),
    ExportStyle.from_pairs(
        "self-declared-flags",
        "Payment Date=payment_date;Supplier Name=supplier_name;Amount=amount_gbp;Supplier Size=supplier_size;"
        "VCSE=is_vcse;Diverse Owned=is_diverse_owned;Tier=spend_tier",
        encoding="utf-8-sig",
    ),
)
PREAMBLE = (
    "AP Payments Report",
    f"Run date: {DMY.text(PERIOD_END + timedelta(days=14))}",
    f"Parameters: Company=RAL, Period={DMY.text(PERIOD_START)} - {DMY.text(PERIOD_END)}",
    "",
)


def _weekdays() -> np.ndarray:
    days = [PERIOD_START + timedelta(i) for i in range((PERIOD_END - PERIOD_START).days + 1)]
    return DMY.column(d for d in days if d.weekday() < 5)


def spend_file(
    pool: dict[str, np.ndarray], member_index: int, lines: int, seed: int
) -> tuple[bytes, int, int, int]:
    """(file bytes, data rows, bad rows, direct total of the good rows in pence)."""
    rng = np.random.default_rng([seed, 100, member_index])
    style = SPEND_STYLES[member_index % len(SPEND_STYLES)]
    suppliers = rng.choice(len(pool["name"]), size=min(len(pool["name"]), 900), replace=False)
    weights = rng.lognormal(0, 0.8, len(suppliers))
    who = suppliers[rng.choice(len(suppliers), size=lines, p=weights / weights.sum())]
    pence = np.round(rng.lognormal(np.log(250_000), 1.1, lines)).astype(np.int64).clip(1_200, 120_000_000)
    credit = rng.random(lines) < 0.02
    pence[credit] = -np.minimum(pence[credit], 250_000)
    tier = np.where(rng.random(lines) < 0.08, "indirect", "direct")
    dates = _weekdays()[rng.integers(0, len(_weekdays()), lines)]
    values: dict[str, np.ndarray] = {
        "payment_date": dates,
        "supplier_name": pool["name"][who],
        "supplier_id": np.where(rng.random(lines) < 0.92, pool["id"][who], ""),
        "supplier_postcode": pool["postcode"][who],
        "amount_gbp": style.money.column(pence),
        "transaction_id": np.char.add(f"T{member_index:03d}-", np.arange(lines).astype(str)).astype(object),
        "department": _DEPARTMENTS[rng.integers(0, len(_DEPARTMENTS), lines)],
        "category": _CATEGORIES[rng.integers(0, len(_CATEGORIES), lines)],
        "supplier_size": np.char.capitalize(pool["size"][who].astype(str)).astype(object),
        "is_vcse": np.where(pool["vcse"][who], "Yes", "No"),
        "is_diverse_owned": np.where(pool["diverse"][who], "Yes", "No"),
        "spend_tier": tier,
    }
    # Planted problems: at least one per file, then about one per BAD_EVERY lines.
    n_bad = max(1, lines // BAD_EVERY)
    bad = np.sort(rng.choice(np.arange(5, lines), size=min(n_bad, lines - 5), replace=False))
    kinds = ["bad_date", "amount_not_number", "missing_supplier"]
    if "supplier_postcode" in style.columns:
        kinds.append("bad_postcode")
    for k, row in enumerate(bad):
        kind = kinds[k % len(kinds)]
        if kind == "bad_date":
            values["payment_date"][row] = DMY.parts(2025, 9, 31)  # no such day
        elif kind == "amount_not_number":
            values["amount_gbp"][row] = "TBC"
        elif kind == "missing_supplier":
            values["supplier_name"][row] = ""
        else:
            values["supplier_postcode"][row] = "SE1 7ZZZ"
    good = np.ones(lines, dtype=bool)
    good[bad] = False
    direct = good & (tier == "direct") if "spend_tier" in style.columns else good
    table = pa.table({c: pa.array(values[c], type=pa.string()) for c in style.columns})
    body = arrow_csv(table, style.delimiter, include_header=False)
    # A ragged row (supplier and amount ran together) and a blank line in the middle of the file.
    records = body.split(b"\n")
    ragged = int(bad[-1]) + 1 if int(bad[-1]) + 1 < lines else int(bad[0]) - 1
    name = values["supplier_name"][ragged]
    records[ragged] = (
        f"{values['payment_date'][ragged]}{style.delimiter}{name} {pence[ragged] / 100:.2f}".encode()
    )
    good[ragged] = False
    direct[ragged] = False
    records.insert(lines // 2, b"")
    body = b"\n".join(records)
    head = [*PREAMBLE] if style.preamble else []
    trailing = [style.delimiter.join(style.blank_row())] * style.trailing_blank
    text = "".join(f"{line}\n" for line in [*head, style.delimiter.join(style.headers)])
    text += body.decode() + "".join(f"{line}\n" for line in trailing)
    data = style.encode(text)
    total = int(pence[direct].sum())
    return data, lines, len(bad) + 1, total


# -- workforce snapshots ---------------------------------------------------------------------------
def workforce_file(member_index: int, staff: int, seed: int) -> tuple[bytes, int, int]:
    rng = np.random.default_rng([seed, 200, member_index])
    rates = np.round(rng.normal(17.5, 4.0, staff).clip(11.5, 95), 2)
    hours = np.where(rng.random(staff) < 0.7, 37.5, np.round(rng.uniform(8, 37.5, staff), 1))
    basis = np.where(rng.random(staff) < 0.85, "Direct", "Agency")
    apprentice = np.where(rng.random(staff) < 0.04, "Yes", "No")
    district = np.char.add(
        np.array(LONDON_AREAS + ELSEWHERE)[rng.integers(0, 28, staff)], rng.integers(1, 20, staff).astype(str)
    )
    table = pa.table(
        {
            "Employee Number": np.char.add(f"E{member_index:03d}", np.arange(staff).astype(str)),
            "Snapshot Date": np.full(staff, DMY.text(PERIOD_END)),
            "Hourly Rate": rates.astype(str),
            "Contracted Hours": hours.astype(str),
            "Employment Type": basis,
            "Apprentice": apprentice,
            "Home Postcode District": district,
        }
    )
    n_bad = max(1, staff // BAD_EVERY)
    bad = rng.choice(np.arange(5, staff), size=min(n_bad, staff - 5), replace=False)
    rates_col = table.column("Hourly Rate").to_numpy(zero_copy_only=False).astype(object)
    rates_col[bad] = "n/a"
    table = table.set_column(2, "Hourly Rate", pa.array(rates_col, type=pa.string()))
    return arrow_csv(table), staff, len(bad)


# -- the network -----------------------------------------------------------------------------------
def _config(root: Path, members: int, workforce: bool) -> str:
    lines = [
        "[network]",
        'id = "bench"',
        'name = "Benchmark network (synthetic)"',
        'living_wage_basis = "london"',
        "",
        "[storage]",
        'data_dir = "data"',
        "",
        "[local_area]",
        'name = "Greater London"',
        f"postcode_areas = {json.dumps(LONDON_AREAS)}",
        "",
        "[returns.spend]",
        'frequency = "quarterly"',
    ]
    if workforce:
        lines += ["", "[returns.workforce]", 'frequency = "quarterly"']
    sectors = ("local_government", "nhs", "higher_education", "further_education", "housing")
    for i in range(members):
        lines += [
            "",
            "[[members]]",
            f'id = "member-{i:03d}"',
            f'name = "Member {i:03d}"',
            f'sector = "{sectors[i % len(sectors)]}"',
            f'contact_email = "returns@member-{i:03d}.example.org"',
        ]
    path = root / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def generate(root: Path, members: int, lines: int, staff: int, seed: int = 2025) -> Network:
    """Write the network under ``root`` (config, and a pristine bucket the runs copy from)."""
    from transforms.return_types import RETURN_TYPES

    workforce = staff > 0 and "workforce" in RETURN_TYPES
    root.mkdir(parents=True, exist_ok=True)
    pristine = root / "pristine"
    pool = supplier_pool(4_000, seed)
    (pristine / "reference").mkdir(parents=True, exist_ok=True)
    (pristine / "reference" / "suppliers.csv").write_bytes(register_csv(pool, seed))
    files = []
    for i in range(members):
        member_id = f"member-{i:03d}"
        folder = pristine / "incoming" / member_id
        folder.mkdir(parents=True, exist_ok=True)
        data, rows, bad, total = spend_file(pool, i, lines, seed)
        path = f"incoming/{member_id}/spend_{PERIOD}.csv"
        (pristine / path).write_bytes(data)
        files.append(MemberFile(path, member_id, "spend", rows, bad, total, len(data)))
        if workforce:
            data, rows, bad = workforce_file(i, staff, seed)
            path = f"incoming/{member_id}/workforce_{PERIOD}.csv"
            (pristine / path).write_bytes(data)
            files.append(MemberFile(path, member_id, "workforce", rows, bad, 0, len(data)))
    network = Network(
        str(root),
        _config(root, members, workforce),
        str(pristine),
        members,
        lines,
        staff if workforce else 0,
        files,
    )
    network.save()
    return network
