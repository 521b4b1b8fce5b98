"""Deterministic sample spend returns, written into a network's ingest bucket for demos and tests.

Each member exports in the style of a real finance system (see ``STYLES``), so the demo and the
end-to-end test meet what members actually send: header aliases, a preamble of report parameters,
Windows-1252 text, a byte-order mark, old Mac line endings, an xlsx workbook, a supplier-totals file
with a "Grand Total" row and blank trailing lines. A few deliberately bad rows are planted and their
line numbers recorded in the manifest, so a test can check the feedback names exactly those lines.

Everything comes from ``random.Random`` instances seeded with the seed (or with strings built from it:
``Random(str)`` hashes with SHA-512, not with the randomised ``hash()``), never from the clock, so the
same seed gives byte-identical files, the xlsx workbook included. Each file has its own generator, so
skipping one member's return does not change anybody else's.
"""

from __future__ import annotations

import csv
import io
import posixpath
import random
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from math import log
from typing import Literal

import fsspec

from pipeline.config import LocalArea, Member, NetworkConfig
from transforms.periods import Period
from transforms.return_types import SPEND, normalise_header

DEFAULT_PERIODS = ("2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2")
RETURN_TYPE = "spend"
POOL_SIZE = 250
REGISTER_COVERAGE = 0.88
REGISTER_AS_OF = "2026-06-30"
REGISTER_HEADER = (
    "supplier_id",
    "supplier_name",
    "postcode",
    "employees",
    "turnover_gbp",
    "size",
    "is_vcse",
    "is_diverse_owned",
    "source",
    "as_of",
)
# A fixed instant for the workbook's metadata and zip entries: openpyxl would otherwise stamp "now".
_FIXED_TIMESTAMP = datetime(2026, 6, 30, 9, 0, 0)

BadKind = Literal[
    "bad_date",
    "amount_not_number",
    "missing_supplier",
    "date_outside_period",
    "bad_postcode",
    "duplicate_transaction_id",
    "fields_ran_together",
    "totals_row",
]


@dataclass(frozen=True)
class SampleFile:
    path: str  # inside the bucket, e.g. "incoming/kingsbridge-council/spend_2025-26-Q3.csv"
    member_id: str
    return_type: str
    period: str
    data_rows: int  # non-blank records after the header, bad rows and any totals row included
    bad_rows: tuple[tuple[int, str], ...]  # (file line / sheet row, kind) of every planted bad record


@dataclass(frozen=True)
class SampleManifest:
    files: tuple[SampleFile, ...]
    supplier_register: str
    register_suppliers: int
    pool_suppliers: int


# -- the supplier pool -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Supplier:
    supplier_id: str
    name: str
    postcode: str
    employees: int
    turnover_gbp: int
    size: str
    is_vcse: bool
    is_diverse_owned: bool
    category: str
    source: str

    @property
    def is_company(self) -> bool:
        """Charities carry a charity number, which a "Companies House Number" column leaves out."""
        return not self.supplier_id.isdigit() or len(self.supplier_id) == 8


_SIZE_SHARES = (("micro", 0.30), ("small", 0.25), ("medium", 0.20), ("large", 0.25))
_VCSE_SHARE = 0.10
_DIVERSE_SHARE = 0.08
_EMPLOYEES = {"micro": (1, 9), "small": (10, 49), "medium": (50, 249)}
# Turnover per head keeps SMEs under the Procurement Act's GBP 44m ceiling (249 x 170k = 42.3m).
_TURNOVER_PER_HEAD = {
    "micro": (35_000, 110_000),
    "small": (50_000, 140_000),
    "medium": (60_000, 170_000),
    "large": (70_000, 260_000),
}
_CHARITY_TURNOVER_PER_HEAD = (25_000, 60_000)

# (name, size, is_vcse, is_diverse_owned, local, category): names the demo and the docs can point at,
# including the non-ASCII ones a Windows-1252 export must carry.
_FIXED_SUPPLIERS = (
    ("Brightwater Cleaning Ltd", "small", False, False, True, "Facilities management"),
    ("Keystone Facilities Management Limited", "large", False, False, False, "Facilities management"),
    ("Meridian Catering Services PLC", "large", False, False, False, "Catering"),
    ("Kingsbridge Community Transport", "medium", True, False, True, "Transport"),
    ("Café Lumière Ltd", "micro", False, True, True, "Catering"),
    ("O’Brien & Sons Ltd", "small", False, False, True, "Construction and repairs"),
    ("Zoë’s Bakery Ltd", "micro", False, True, True, "Catering"),
    ("Müller Façades Ltd", "small", False, False, False, "Construction and repairs"),
)
_TRADES = (
    ("Cleaning", "Facilities management"),
    ("Cleaning Services", "Facilities management"),
    ("Facilities Management", "Facilities management"),
    ("Catering", "Catering"),
    ("Catering Services", "Catering"),
    ("Building Services", "Construction and repairs"),
    ("Construction", "Construction and repairs"),
    ("Roofing", "Construction and repairs"),
    ("Electrical", "Construction and repairs"),
    ("Plumbing and Heating", "Construction and repairs"),
    ("Engineering", "Construction and repairs"),
    ("Landscapes", "Grounds maintenance"),
    ("Grounds Maintenance", "Grounds maintenance"),
    ("IT Solutions", "ICT"),
    ("Digital", "ICT"),
    ("Software", "ICT"),
    ("Print", "Print and stationery"),
    ("Office Supplies", "Print and stationery"),
    ("Security", "Security"),
    ("Care Services", "Social care"),
    ("Home Care", "Social care"),
    ("Medical Supplies", "Medical supplies"),
    ("Healthcare", "Medical supplies"),
    ("Laboratory Supplies", "Medical supplies"),
    ("Transport", "Transport"),
    ("Logistics", "Transport"),
    ("Recruitment", "Agency staff"),
    ("Consulting", "Consultancy"),
    ("Energy", "Energy and utilities"),
    ("Waste Management", "Waste"),
    ("Recycling", "Waste"),
    ("Training", "Training"),
    ("Furniture", "Furniture and equipment"),
)
_PROFESSIONS = (
    ("Architects", "Consultancy"),
    ("Solicitors", "Legal services"),
    ("Surveyors", "Consultancy"),
    ("Accountants", "Consultancy"),
)
_STEMS = (
    "Brightwater", "Keystone", "Meridian", "Oakfield", "Northgate", "Silverline", "Bluebell", "Redbrick",
    "Greenleaf", "Ironbridge", "Harbour", "Summit", "Beacon", "Cornerstone", "Riverside", "Lighthouse",
    "Evergreen", "Highpoint", "Kestrel", "Falcon", "Granite", "Willow", "Pinnacle", "Horizon", "Compass",
    "Anchor", "Orchard", "Foxglove", "Sterling", "Crescent", "Mosaic", "Vantage", "Sapphire", "Cobalt",
    "Thistle", "Heron", "Acorn", "Maple", "Citadel", "Paragon", "Lantern", "Tideway", "Millstone",
    "Quayside", "Wrenfield", "Ashgrove", "Blackthorn", "Copperleaf", "Elmstead", "Fairway",
)  # fmt: skip
_SURNAMES = (
    "Patel", "Okafor", "Murphy", "Khan", "Williams", "Nowak", "Hughes", "Adeyemi", "Campbell", "Shah",
    "Kowalski", "Evans", "Begum", "Mensah", "Harrison", "Chowdhury", "Doherty", "Ahmed", "Taylor", "Osei",
    "Fitzgerald", "Singh", "Walsh", "Baker", "Reid", "Lowe", "Harper", "Bennett",
)  # fmt: skip
_PLACES = (
    "Kingsbridge", "Fleetside", "Riverside", "Northbank", "Eastmarsh", "Southmere", "Westcombe",
    "Millbrook", "Ashdown", "Thameside", "Greenway", "Hollowfield", "Brookmere", "Stonebridge", "Larkhill",
)  # fmt: skip
_VCSE_PATTERNS = (
    ("{place} Community Transport", "Transport"),
    ("{place} Carers Centre", "Social care"),
    ("{place} Food Bank", "Social care"),
    ("{place} Youth Trust", "Social care"),
    ("{place} Community Kitchen CIC", "Catering"),
    ("{stem} Foundation", "Social care"),
    ("{place} Women's Centre", "Social care"),
    ("{stem} Social Enterprise CIC", "Facilities management"),
    ("{place} Mental Health Forum", "Social care"),
    ("{place} Credit Union Ltd", "Consultancy"),
    ("{stem} Employment Trust", "Training"),
    ("{place} Advice Centre", "Consultancy"),
    ("{place} Refugee Network", "Social care"),
    ("{stem} Arts CIC", "Training"),
)

# Highest district number per postcode area (or the districts themselves), so local postcodes look
# like real ones; areas not listed use districts 1-9.
_AREA_DISTRICTS: dict[str, int | tuple[str, ...]] = {
    "E": 18, "N": 22, "NW": 11, "SE": 28, "SW": 20, "W": 14, "BR": 8, "CR": 8, "HA": 9, "IG": 11,
    "SM": 6, "UB": 10, "DH": 9, "DL": 17,
    "EC": ("EC1A", "EC1M", "EC1N", "EC1R", "EC1V", "EC1Y", "EC2A", "EC2M", "EC3A", "EC3R", "EC4A", "EC4M"),
    "WC": ("WC1A", "WC1B", "WC1E", "WC1H", "WC1N", "WC1X", "WC2A", "WC2B", "WC2E", "WC2H", "WC2N"),
}  # fmt: skip
_ELSEWHERE = (
    "M1", "M4", "M15", "B3", "B18", "LS1", "LS11", "BS1", "BS16", "NG1", "NG7", "L3", "S1", "S9", "NE1",
    "CF10", "BN1", "OX1", "OX4", "CB1", "CB4", "RG1", "MK9", "GU1", "ME4", "CM1", "SS1", "LU1", "AL1",
    "CV1", "LE1", "PE1", "NR1", "EX1", "PL1", "SO15", "PO1", "BA1", "GL1", "WR1", "ST1", "DE1", "YO1",
    "HU1", "PR1", "CH1", "WA1", "CA1", "DH1", "DL1", "SR1", "TS1", "SE1", "E1", "G2", "G40", "EH1",
    "EH6", "AB10", "DD1",
)  # fmt: skip
_SCOTTISH_AREAS = ("AB", "DD", "EH", "G")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code (no C, I, K, M, O, V)
_LOCAL_SHARE_BY_SIZE = {"micro": 0.70, "small": 0.60, "medium": 0.50, "large": 0.35}  # ~55% overall


def _postcode_area(outward: str) -> str:
    return re.match(r"[A-Z]+", outward).group(0)  # type: ignore[union-attr]


def _is_local(outward: str, area: LocalArea) -> bool:
    return _postcode_area(outward) in area.postcode_areas or outward in area.postcode_districts


def _inward(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"


def _local_outward(area: LocalArea, rng: random.Random) -> str:
    """An outward code inside the network's area, built from its areas or its listed districts."""
    if area.postcode_districts and (not area.postcode_areas or rng.random() < 0.3):
        return rng.choice(area.postcode_districts)
    code = rng.choice(area.postcode_areas)
    districts = _AREA_DISTRICTS.get(code, 9)
    if isinstance(districts, tuple):
        return rng.choice(districts)
    return f"{code}{rng.randint(1, districts)}"


def _postcode(local: bool, area: LocalArea, elsewhere: Sequence[str], rng: random.Random) -> str:
    outward = _local_outward(area, rng) if local else rng.choice(elsewhere)
    return f"{outward} {_inward(rng)}"


def _fold(name: str) -> str:
    """A name with case, punctuation and legal suffixes folded (a little stricter than the register
    matcher), so no two pool suppliers can be confused when spend is matched on name."""
    text = re.sub(r"[^a-z0-9 ]", "", name.lower().replace("’", "'"))
    return " ".join(re.sub(r"\b(ltd|limited|plc|llp|uk|group)\b", "", text).split())


def _company_number(postcode: str, rng: random.Random) -> str:
    if _postcode_area(postcode.split()[0]) in _SCOTTISH_AREAS:
        return f"SC{rng.randint(100_000, 799_999)}"
    return f"{rng.randint(1_000_000, 15_999_999):08d}"


def _charity_number(rng: random.Random) -> str:
    return (
        str(rng.randint(1_000_000, 1_210_000)) if rng.random() < 0.8 else str(rng.randint(200_000, 299_999))
    )


def _employees(size: str, rng: random.Random) -> int:
    if size == "large":
        return min(60_000, 250 + int(rng.lognormvariate(log(900), 1.2)))
    low, high = _EMPLOYEES[size]
    return rng.randint(low, high)


def _business_name(size: str, rng: random.Random) -> tuple[str, str]:
    trade, category = rng.choice(_TRADES)
    if size == "large":
        pattern = rng.choice(("{stem} {trade} PLC", "{stem} Group PLC", "{stem} {trade} UK Limited",
                              "{stem} {trade} Limited"))  # fmt: skip
    elif rng.random() < 0.15:
        trade, category = rng.choice(_PROFESSIONS)
        pattern = "{surname} & {surname2} {trade} " + rng.choice(("LLP", "Ltd"))
    else:
        first = rng.choice(("{stem}", "{stem}", "{surname}", "{place}"))
        pattern = f"{first} {{trade}} " + rng.choice(("Ltd", "Ltd", "Limited"))
    surname, surname2 = rng.sample(_SURNAMES, 2)
    name = pattern.format(
        stem=rng.choice(_STEMS), trade=trade, surname=surname, surname2=surname2, place=rng.choice(_PLACES)
    )
    return name, category


def _vcse_name(rng: random.Random) -> tuple[str, str]:
    pattern, category = rng.choice(_VCSE_PATTERNS)
    return pattern.format(place=rng.choice(_PLACES), stem=rng.choice(_STEMS)), category


def _size_list(total: int, fixed: Sequence[str], rng: random.Random) -> list[str]:
    """Sizes for the generated suppliers, so that with the fixed ones the pool hits the target shares."""
    counts = {size: round(share * total) for size, share in _SIZE_SHARES}
    counts["large"] += total - sum(counts.values())
    for size in fixed:
        counts[size] -= 1
    sizes = [size for size, _ in _SIZE_SHARES for _ in range(counts[size])]
    rng.shuffle(sizes)
    return sizes


def _flags(
    sizes: list[str], total: int, fixed_vcse: int, fixed_diverse: int, rng: random.Random
) -> tuple[set[int], set[int]]:
    """Which generated suppliers are VCSE / diverse-owned (disjoint; large firms rarely either)."""
    candidates = [i for i, size in enumerate(sizes) if size != "large"]
    rng.shuffle(candidates)
    n_vcse = max(0, round(_VCSE_SHARE * total) - fixed_vcse)
    n_diverse = max(0, round(_DIVERSE_SHARE * total) - fixed_diverse)
    return set(candidates[:n_vcse]), set(candidates[n_vcse : n_vcse + n_diverse])


def _make_supplier(
    name: str,
    size: str,
    vcse: bool,
    diverse: bool,
    local: bool,
    category: str,
    cfg: NetworkConfig,
    elsewhere: Sequence[str],
    rng: random.Random,
) -> Supplier:
    postcode = _postcode(local, cfg.local_area, elsewhere, rng)
    charity = vcse and not name.endswith(("CIC", "Ltd"))
    employees = _employees(size, rng)
    low, high = _CHARITY_TURNOVER_PER_HEAD if charity else _TURNOVER_PER_HEAD[size]
    turnover = round(employees * rng.uniform(low, high), -3)
    if charity:
        source = "Charity Commission register / core team survey"
    elif diverse:
        source = "Companies House / supplier self-declaration"
    else:
        source = "Companies House / core team survey"
    return Supplier(
        supplier_id=_charity_number(rng) if charity else _company_number(postcode, rng),
        name=name,
        postcode=postcode,
        employees=employees,
        turnover_gbp=int(turnover),
        size=size,
        is_vcse=vcse,
        is_diverse_owned=diverse,
        category=category,
        source=source,
    )


def build_pool(cfg: NetworkConfig, rng: random.Random, size: int = POOL_SIZE) -> list[Supplier]:
    """The network's fictional suppliers: fixed showcase names first, then generated ones."""
    elsewhere = [code for code in _ELSEWHERE if not _is_local(code, cfg.local_area)]
    used_names: set[str] = set()
    used_ids: set[str] = set()
    pool: list[Supplier] = []

    def add(name: str, size_: str, vcse: bool, diverse: bool, local: bool, category: str) -> None:
        supplier = _make_supplier(name, size_, vcse, diverse, local, category, cfg, elsewhere, rng)
        while supplier.supplier_id in used_ids:
            supplier = replace(supplier, supplier_id=_company_number(supplier.postcode, rng))
        used_names.add(_fold(name))
        used_ids.add(supplier.supplier_id)
        pool.append(supplier)

    for name, size_, vcse, diverse, local, category in _FIXED_SUPPLIERS:
        add(name, size_, vcse, diverse, local, category)
    sizes = _size_list(size, [f[1] for f in _FIXED_SUPPLIERS], rng)
    vcse_ids, diverse_ids = _flags(
        sizes, size, sum(f[2] for f in _FIXED_SUPPLIERS), sum(f[3] for f in _FIXED_SUPPLIERS), rng
    )
    for i, size_ in enumerate(sizes):
        vcse = i in vcse_ids
        name, category = _vcse_name(rng) if vcse else _business_name(size_, rng)
        while _fold(name) in used_names:
            name, category = _vcse_name(rng) if vcse else _business_name(size_, rng)
        local = rng.random() < _LOCAL_SHARE_BY_SIZE[size_]
        add(name, size_, vcse, i in diverse_ids, local, category)
    return pool


def register_csv(suppliers: Sequence[Supplier]) -> bytes:
    """The core team's supplier register, sorted by name as a spreadsheet would be."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REGISTER_HEADER)
    for s in sorted(suppliers, key=lambda s: (s.name.casefold(), s.supplier_id)):
        writer.writerow([
            s.supplier_id, s.name, s.postcode, s.employees, s.turnover_gbp, s.size,
            str(s.is_vcse).lower(), str(s.is_diverse_owned).lower(), s.source, REGISTER_AS_OF,
        ])  # fmt: skip
    return out.getvalue().encode("utf-8")


# -- export styles ---------------------------------------------------------------------------------
def _dmy(y: int, m: int, d: int) -> str:
    return f"{d:02d}/{m:02d}/{y}"


def _dmy_unpadded(y: int, m: int, d: int) -> str:
    return f"{d}/{m}/{y}"


def _iso(y: int, m: int, d: int) -> str:
    return f"{y}-{m:02d}-{d:02d}"


def _money_plain(pence: int) -> str:
    return f"{'-' if pence < 0 else ''}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _money_pounds(pence: int) -> str:
    return f"{'-' if pence < 0 else ''}£{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _money_pounds_commas(pence: int) -> str:
    return f"{'-' if pence < 0 else ''}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


_COUNCIL_DEPARTMENTS = ("Adult Social Care", "Children's Services", "Environment", "Housing", "Highways",
                        "Corporate Resources", "Public Health", "Regeneration")  # fmt: skip
_DIRECTORATES = ("People", "Place", "Resources", "Chief Executive's Office")


@dataclass(frozen=True)
class Style:
    """How one finance system exports spend: headers, encoding, line endings, number and date formats."""

    key: str
    headers: tuple[str, ...]
    columns: tuple[str, ...]  # canonical column of each header
    layout: Literal["lines", "totals", "xlsx"] = "lines"
    date_text: Callable[[int, int, int], str] = _dmy
    money: Callable[[int], str] = _money_plain
    encoding: str = "utf-8"
    newline: str = "\n"
    preamble: bool = False
    trailing_blank: int = 0
    blank_as_commas: bool = False  # Excel-saved CSVs end in ",,,," rows rather than empty lines
    supplier_ids: Literal["register", "companies", "ledger"] = "register"
    upper_names: bool = False
    non_ascii_suppliers: bool = False
    reference: tuple[str, int] = ("", 7)  # prefix and digits of the transaction reference
    departments: tuple[str, ...] = _COUNCIL_DEPARTMENTS

    @property
    def extension(self) -> str:
        return "xlsx" if self.layout == "xlsx" else "csv"

    def bad_kinds(self) -> tuple[str, ...]:
        """The kinds of bad row this export can carry (a file without dates cannot have a bad date)."""
        kinds = ["amount_not_number", "missing_supplier"]
        if "payment_date" in self.columns:
            kinds += ["bad_date", "date_outside_period"]
        if "supplier_postcode" in self.columns:
            kinds.append("bad_postcode")
        if "transaction_id" in self.columns:
            kinds.append("duplicate_transaction_id")
        if self.layout != "xlsx":
            kinds.append("fields_ran_together")
        return tuple(kinds)


def _style(key: str, pairs: str, **options: object) -> Style:
    """A style from 'Header=column' pairs joined by ';' (keeps the table below readable)."""
    headers, columns = zip(*(pair.split("=") for pair in pairs.split(";")), strict=True)
    return Style(key, tuple(headers), tuple(columns), **options)  # type: ignore[arg-type]


STYLES: dict[str, Style] = {
    "kingsbridge-council": _style(
        "kingsbridge-council",
        "Payment Date=payment_date;Supplier Name=supplier_name;Supplier ID=supplier_id;"
        "Postcode=supplier_postcode;Amount=amount_gbp;Transaction ID=transaction_id;"
        "Department=department;Category=category",
        reference=("KB", 7),
    ),
    "fleetside-council": _style(
        "fleetside-council",
        "Date Paid=payment_date;Beneficiary=supplier_name;Net Amount=amount_gbp;"
        "Payment Ref=transaction_id;Directorate=department",
        money=_money_pounds_commas,
        newline="\r\n",
        trailing_blank=2,
        upper_names=True,
        reference=("PAY", 6),
        departments=_DIRECTORATES,
    ),
    "st-aldrics-nhs": _style(
        "st-aldrics-nhs",
        "Transaction Date=payment_date;Supplier=supplier_name;Supplier Postcode=supplier_postcode;"
        "Net Amount=amount_gbp;Invoice Number=transaction_id",
        newline="\r\n",
        preamble=True,
        trailing_blank=3,
        blank_as_commas=True,
        reference=("INV", 6),
    ),
    "north-meridian-nhs": _style(
        "north-meridian-nhs",
        "Posting Date=payment_date;Vendor Name=supplier_name;Vendor Postcode=supplier_postcode;"
        "Net Amount £=amount_gbp;Doc No=transaction_id;Expense Category=category",
        money=_money_pounds,
        encoding="cp1252",
        newline="\r\n",
        non_ascii_suppliers=True,
        reference=("51", 8),
    ),
    "city-riverside-university": _style(
        "city-riverside-university", "Supplier Name=supplier_name;Total=amount_gbp", layout="totals"
    ),
    "thames-college": _style(
        "thames-college",
        "Creditor_Name=supplier_name;Creditor_ID=supplier_id;SumOfAmount_Exc_VAT=amount_gbp;Pay Date=payment_date",
        date_text=_dmy_unpadded,
        newline="\r\n",
        trailing_blank=1,
        supplier_ids="ledger",
    ),
    "greenway-homes": _style(
        "greenway-homes",
        "Payment Date=payment_date;Payee Name=supplier_name;Amount=amount_gbp;"
        "Supplier Postcode=supplier_postcode;Reference=transaction_id",
        layout="xlsx",
        reference=("GH", 6),
    ),
    "capital-transit": _style(
        "capital-transit",
        "Date=payment_date;Vendor=supplier_name;Amount=amount_gbp;Postcode=supplier_postcode;Tier=spend_tier",
        newline="\r",
    ),
    "lumen-energy": _style(
        "lumen-energy",
        "Vendor Name=supplier_name;Payment Amount=amount_gbp;Payment Date=payment_date;"
        "Companies House Number=supplier_id",
        date_text=_iso,
        supplier_ids="companies",
    ),
    "hearthstone-bs": _style(
        "hearthstone-bs",
        "Payment Date=payment_date;Supplier Name=supplier_name;Amount=amount_gbp;Supplier Size=supplier_size;"
        "VCSE=is_vcse;Diverse Owned=is_diverse_owned",
        encoding="utf-8-sig",
        newline="\r\n",
    ),
}


def style_for(member: Member, index: int) -> Style:
    """The member's export style: its own if listed, else one by position, with its own header names.

    A member's ``column_map`` names the headers its system really writes (e.g. "Vendor Legal Name"),
    so those replace the style's defaults; every header is checked against the alias index here,
    because a sample the pipeline cannot map would test nothing.
    """
    styles = list(STYLES.values())
    style = STYLES.get(member.id) or styles[index % len(styles)]
    own = {}
    for header, column in member.column_map.items():
        own.setdefault(column, header)
    headers = tuple(
        own.get(column, header) for header, column in zip(style.headers, style.columns, strict=True)
    )
    aliases = SPEND.alias_index(member.column_map)
    for header, column in zip(headers, style.columns, strict=True):
        if aliases.get(normalise_header(header)) != column:
            raise ValueError(f"sample header '{header}' does not map to '{column}' for member '{member.id}'")
    return replace(style, headers=headers)


# -- a member's suppliers and payments -------------------------------------------------------------
@dataclass(frozen=True)
class _Ledger:
    """A member's vendor master: who it buys from, how often, and how its system spells and numbers them."""

    suppliers: tuple[Supplier, ...]
    weights: tuple[float, ...]
    names: dict[str, str]  # supplier_id -> name as this member's system writes it
    ids: dict[str, str]  # supplier_id -> id as this member's system writes it ("" if unknown)
    sizes: dict[str, str]  # supplier_id -> self-reported size ("" if unknown)
    specials: tuple[Supplier, ...]  # suppliers every file must mention (non-ASCII names)


_SIZE_WEIGHT = {"micro": 1.0, "small": 1.5, "medium": 2.5, "large": 5.0}
_AMOUNT_MEDIAN = {"micro": 900, "small": 2_500, "medium": 6_000, "large": 15_000}


def _name_variant(name: str, rng: random.Random) -> str:
    """How another finance system spells the same supplier: case, punctuation or legal suffix differ."""
    options = [name.upper()]
    if name.endswith(" Ltd"):
        options += [name[: -len("Ltd")] + "Limited", name + "."]
    if name.endswith(" Limited"):
        options.append(name[: -len("Limited")] + "Ltd")
    if name.endswith(" PLC"):
        options += [name[: -len("PLC")] + "Plc", name[: -len("PLC")] + "P.L.C."]
    if "’" in name:
        options.append(name.replace("’", "'"))
    return rng.choice(options)


def _ledger(pool: Sequence[Supplier], member: Member, style: Style, seed: int) -> _Ledger:
    rng = random.Random(f"{seed}/ledger/{member.id}")
    specials = tuple(s for s in pool if not s.name.isascii()) if style.non_ascii_suppliers else ()
    chosen = rng.sample(list(pool), min(len(pool), rng.randint(70, 110)))
    suppliers = tuple(chosen + [s for s in specials if s not in chosen])
    weights = tuple(_SIZE_WEIGHT[s.size] * rng.lognormvariate(0, 0.6) for s in suppliers)
    names, ids, sizes = {}, {}, {}
    for n, s in enumerate(suppliers):
        spelled = _name_variant(s.name, rng) if rng.random() < 0.15 else s.name
        names[s.supplier_id] = spelled.upper() if style.upper_names else spelled
        known = rng.random() >= 0.08
        if style.supplier_ids == "ledger":
            ids[s.supplier_id] = f"CR{10_000 + 37 * n + rng.randint(0, 36):05d}"
        elif style.supplier_ids == "companies":
            ids[s.supplier_id] = s.supplier_id if known and s.is_company else ""
        else:
            ids[s.supplier_id] = s.supplier_id if known else ""
        sizes[s.supplier_id] = s.size.capitalize() if rng.random() >= 0.05 else ""
    return _Ledger(suppliers, weights, names, ids, sizes, specials)


@dataclass(frozen=True)
class _Payment:
    day: date
    supplier: Supplier
    pence: int
    department: str
    tier: str


def _amount_pence(size: str, rng: random.Random) -> int:
    """Lognormal around a size-dependent median; now and then a big contract payment or a credit note."""
    pounds = min(max(rng.lognormvariate(log(_AMOUNT_MEDIAN[size]), 1.0), 12.0), 240_000.0)
    if size == "large" and rng.random() < 0.04:
        pounds = rng.uniform(250_000, 1_200_000)
    pence = round(pounds * 100)
    if rng.random() < 0.02:
        pence = -min(pence, round(rng.uniform(50, 2_500) * 100))
    return pence


def _weekdays(period: Period) -> list[date]:
    days = (period.end - period.start).days + 1
    return [d for d in (period.start + timedelta(i) for i in range(days)) if d.weekday() < 5]


def _payments(ledger: _Ledger, style: Style, period: Period, n: int, rng: random.Random) -> list[_Payment]:
    """``n`` payment lines in date order; every special supplier appears at least once."""
    days = _weekdays(period)
    picks = list(ledger.specials[:n])
    picks += rng.choices(ledger.suppliers, weights=ledger.weights, k=n - len(picks))
    payments = [
        _Payment(
            day=rng.choice(days),
            supplier=s,
            pence=_amount_pence(s.size, rng),
            department=rng.choice(style.departments),
            tier="indirect" if rng.random() < 0.08 else "direct",
        )
        for s in picks
    ]
    payments.sort(key=lambda p: (p.day, p.supplier.supplier_id, p.pence))
    return payments


# -- rendering rows --------------------------------------------------------------------------------
def _cell(column: str, p: _Payment, reference: str, ledger: _Ledger, style: Style) -> object:
    sid = p.supplier.supplier_id
    if column == "payment_date":
        return p.day if style.layout == "xlsx" else style.date_text(p.day.year, p.day.month, p.day.day)
    if column == "amount_gbp":
        return p.pence / 100 if style.layout == "xlsx" else style.money(p.pence)
    values = {
        "supplier_name": ledger.names[sid],
        "supplier_id": ledger.ids[sid],
        "supplier_postcode": p.supplier.postcode,
        "transaction_id": reference,
        "department": p.department,
        "category": p.supplier.category,
        "spend_tier": p.tier,
        "supplier_size": ledger.sizes[sid],
        "is_vcse": "Yes" if p.supplier.is_vcse else "No",
        "is_diverse_owned": "Yes" if p.supplier.is_diverse_owned else "No",
    }
    return values[column]


def _line_records(payments: list[_Payment], ledger: _Ledger, style: Style, rng: random.Random) -> list[list]:
    prefix, digits = style.reference
    number = rng.randrange(10 ** (digits - 1), 8 * 10 ** (digits - 1))
    records = []
    for p in payments:
        number += rng.randint(1, 9)
        reference = f"{prefix}{number:0{digits}d}"
        records.append([_cell(c, p, reference, ledger, style) for c in style.columns])
    return records


def _totals_records(payments: list[_Payment], ledger: _Ledger, style: Style) -> tuple[list[list], int]:
    """One row per supplier with its total for the period, sorted by name, and the grand total."""
    totals: dict[str, int] = {}
    for p in payments:
        totals[p.supplier.supplier_id] = totals.get(p.supplier.supplier_id, 0) + p.pence
    ordered = sorted(totals.items(), key=lambda item: (ledger.names[item[0]].casefold(), item[0]))
    records = [[ledger.names[sid], style.money(pence)] for sid, pence in ordered]
    return records, sum(totals.values())


# -- planting bad rows -----------------------------------------------------------------------------
def _impossible_date(period: Period, rng: random.Random) -> tuple[int, int, int]:
    """A day that does not exist (31/11, 30/02...) in a month of the period: a typo, not a stray date."""
    months = []
    day = period.start
    while day <= period.end:
        if day.month in (2, 4, 6, 9, 11):
            months.append((day.year, day.month))
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    year, month = rng.choice(months)
    return year, month, rng.choice((30, 31)) if month == 2 else 31


def _plan_bad_rows(n: int, style: Style, rng: random.Random) -> list[tuple[int, str]]:
    """(record index, kind) pairs: none in about half the files, at most 2, always well under 5%."""
    limit = min(2, n // 40)
    if limit == 0 or rng.random() < 0.5:
        return []
    count = rng.randint(1, limit)
    kinds = rng.sample(style.bad_kinds(), count)
    positions = sorted(rng.sample(range(2, n), count))
    return list(zip(positions, kinds, strict=True))


def _spoil(records: list[list], index: int, kind: str, style: Style, period: Period, bad: set[int],
           rng: random.Random) -> None:  # fmt: skip
    """Turn one good record into the kind of bad record finance exports really contain."""
    row = records[index]
    col = style.columns.index
    xlsx = style.layout == "xlsx"
    if kind == "bad_date":
        row[col("payment_date")] = (_dmy if xlsx else style.date_text)(*_impossible_date(period, rng))
    elif kind == "date_outside_period":
        day = period.start - timedelta(days=rng.randint(3, 40))
        if rng.random() < 0.5:
            day = period.end + timedelta(days=rng.randint(3, 40))
        row[col("payment_date")] = day if xlsx else style.date_text(day.year, day.month, day.day)
    elif kind == "amount_not_number":
        row[col("amount_gbp")] = "TBC"
    elif kind == "missing_supplier":
        row[col("supplier_name")] = None if xlsx else ""
    elif kind == "bad_postcode":
        outward = str(row[col("supplier_postcode")]).split()[0]
        row[col("supplier_postcode")] = f"{outward} {''.join(rng.choices('ABCDEFGHJKLMNPRSTUWXYZ', k=3))}"
    elif kind == "duplicate_transaction_id":
        earlier = [i for i in range(index) if i not in bad]
        row[col("transaction_id")] = records[rng.choice(earlier)][col("transaction_id")]
    elif kind == "fields_ran_together":
        name, amount = col("supplier_name"), col("amount_gbp")
        records[index] = [*row[: min(name, amount)], f"{row[name]} {row[amount]}"]
    else:  # pragma: no cover - the kinds come from Style.bad_kinds
        raise ValueError(kind)


# -- encoding files --------------------------------------------------------------------------------
def _preamble(period: Period, rng: random.Random) -> list[list[str]]:
    """4-6 lines of report parameters before the header, as ledger report writers print them."""
    start, end = period.start, period.end
    run = end + timedelta(days=rng.randint(3, 20))
    lines = [
        ["AP Payments Report"],
        ["Run date:", _dmy(run.year, run.month, run.day)],
        [f"Parameters: Company=RAL, Period={_dmy(start.year, start.month, start.day)} - "
         f"{_dmy(end.year, end.month, end.day)}"],
    ]  # fmt: skip
    extras = [["Currency: GBP"], ["Report: supplier payments, all cost centres"]]
    lines += extras[: rng.randint(0, 2)]
    return [*lines, []]


def _csv_bytes(style: Style, preamble: list[list[str]], records: list[list]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=style.newline)
    writer.writerows(preamble)
    writer.writerow(style.headers)
    writer.writerows(records)
    for _ in range(style.trailing_blank):
        writer.writerow([""] * len(style.headers) if style.blank_as_commas else [])
    return out.getvalue().encode(style.encoding)


def _xlsx_bytes(style: Style, records: list[list]) -> bytes:
    """A one-sheet workbook with real date and number cells, byte-identical for the same records."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Spend"
    sheet.append(list(style.headers))
    for record in records:
        sheet.append(record)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    for letter in "ABCDE":
        sheet.column_dimensions[letter].width = 18
    workbook.properties.created = workbook.properties.modified = _FIXED_TIMESTAMP
    workbook.properties.creator = "Finance system export"
    raw = io.BytesIO()
    # ExcelWriter rather than workbook.save(): save() stamps "modified" with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _pin_zip_times(raw.getvalue())


def _pin_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp on every entry (zipfile stamps entries with the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIMESTAMP.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(pinned, src.read(info.filename))
    return out.getvalue()


def _render_file(
    member: Member, style: Style, ledger: _Ledger, period_key: str, lines: int, seed: int
) -> tuple[bytes, SampleFile]:
    """One member's return for one period, and its manifest entry (with the planted bad lines)."""
    period = Period.parse(period_key)
    rng = random.Random(f"{seed}/file/{member.id}/{period.key}")
    payments = _payments(ledger, style, period, lines, rng)
    if style.layout == "totals":
        records, grand_total = _totals_records(payments, ledger, style)
    else:
        records, grand_total = _line_records(payments, ledger, style, rng), 0
    plan = _plan_bad_rows(len(records), style, rng)
    for index, kind in plan:
        _spoil(records, index, kind, style, period, {i for i, _ in plan}, rng)
    if style.layout == "totals":
        plan.append((len(records), "totals_row"))
        records.append(["Grand Total", style.money(grand_total)])
    preamble = _preamble(period, rng) if style.preamble else []
    first_line = len(preamble) + 2  # the header takes the line after the preamble
    data = _xlsx_bytes(style, records) if style.layout == "xlsx" else _csv_bytes(style, preamble, records)
    entry = SampleFile(
        path=f"incoming/{member.id}/{RETURN_TYPE}_{period.key}.{style.extension}",
        member_id=member.id,
        return_type=RETURN_TYPE,
        period=period.key,
        data_rows=len(records),
        bad_rows=tuple((first_line + index, kind) for index, kind in plan),
    )
    return data, entry


# -- entry point -----------------------------------------------------------------------------------
def generate_sample(
    cfg: NetworkConfig,
    periods: Sequence[str] = DEFAULT_PERIODS,
    seed: int = 2025,
    lines_per_file: int = 120,
    skip: Collection[tuple[str, str]] = (("hearthstone-bs", "2026-27-Q2"),),
    staff_per_member: int = 40,
    skip_workforce: Collection[tuple[str, str]] | None = None,
) -> SampleManifest:
    """Write the supplier register and every member's spend returns into the network's bucket.

    ``skip`` lists (member, period) pairs that get no file, so reports and chasers show a missing
    return. Files already in the bucket at the same paths are overwritten; nothing else is removed.

    When the network has ``[returns.workforce]``, each member's staff snapshots are written too
    (``incoming/<member>/workforce_<period>.csv``, see ``pipeline.sample_workforce``), after the spend
    files in the manifest; the spend files are the same either way. ``skip_workforce`` lists the
    (member, period) pairs with no snapshot; ``None`` (the default) means the same pairs as ``skip``.
    """
    if lines_per_file < 1:
        raise ValueError(f"lines_per_file must be at least 1, not {lines_per_file}")
    if staff_per_member < 1:
        raise ValueError(f"staff_per_member must be at least 1, not {staff_per_member}")
    fs, root = fsspec.core.url_to_fs(cfg.bucket_url)
    root = root.rstrip("/")

    def write(path: str, data: bytes) -> None:
        full = f"{root}/{path}"
        fs.makedirs(posixpath.dirname(full), exist_ok=True)
        fs.pipe_file(full, data)

    pool = build_pool(cfg, random.Random(seed))
    register_rng = random.Random(f"{seed}/register")
    in_register = sorted(register_rng.sample(range(len(pool)), round(REGISTER_COVERAGE * len(pool))))
    write(cfg.reference.supplier_register, register_csv([pool[i] for i in in_register]))

    skipped = {(m, Period.parse(p).key) for m, p in skip}
    files: list[SampleFile] = []
    for index, member in enumerate(cfg.members):
        if RETURN_TYPE not in cfg.expected_returns(member):
            continue
        style = style_for(member, index)
        ledger = _ledger(pool, member, style, seed)
        for period in periods:
            if (member.id, Period.parse(period).key) in skipped:
                continue
            data, entry = _render_file(member, style, ledger, period, lines_per_file, seed)
            write(entry.path, data)
            files.append(entry)
    if "workforce" in cfg.returns:
        from pipeline.sample_workforce import workforce_files  # imported here: it imports this module

        if skip_workforce is not None:
            skipped = {(m, Period.parse(p).key) for m, p in skip_workforce}
        for path, data, entry in workforce_files(cfg, periods, seed, staff_per_member):
            if (entry.member_id, entry.period) not in skipped:
                write(path, data)
                files.append(entry)
    skip_pairs = {(m, Period.parse(p).key) for m, p in skip}
    if "measures" in cfg.returns:
        from pipeline.sample_measures import measures_files  # imported here: it imports this module

        for path, data, entry in measures_files(cfg, periods, seed):
            if (entry.member_id, entry.period) not in skip_pairs:
                write(path, data)
                files.append(entry)
    if "recruitment" in cfg.returns:
        from pipeline.sample_recruitment import recruitment_files, reference_files  # imports this module

        for path, data in reference_files(cfg):
            write(path, data)
        for path, data, entry in recruitment_files(cfg, periods, seed):
            if (entry.member_id, entry.period) not in skip_pairs:
                write(path, data)
                files.append(entry)
    return SampleManifest(
        files=tuple(files),
        supplier_register=cfg.reference.supplier_register,
        register_suppliers=len(in_register),
        pool_suppliers=len(pool),
    )
