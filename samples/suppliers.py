"""The network's fictional suppliers and the core team's supplier register.

One pool per network, drawn from the seed: a few fixed showcase names (the non-ASCII ones a
Windows-1252 export must carry among them), then generated businesses, charities and social
enterprises in the size, VCSE and diverse-ownership shares of a real anchor network's supply base,
about half of them inside the network's local area. Members buy from this pool; the register lists
most, but not all, of it.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from math import log

from pipeline.config import LocalArea, NetworkConfig
from samples.postcodes import inward_code, is_local, local_outward, postcode_area

POOL_SIZE = 250
REGISTER_COVERAGE = 0.88  # share of the pool the core team has on its register
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

_ELSEWHERE = (
    "M1", "M4", "M15", "B3", "B18", "LS1", "LS11", "BS1", "BS16", "NG1", "NG7", "L3", "S1", "S9", "NE1",
    "CF10", "BN1", "OX1", "OX4", "CB1", "CB4", "RG1", "MK9", "GU1", "ME4", "CM1", "SS1", "LU1", "AL1",
    "CV1", "LE1", "PE1", "NR1", "EX1", "PL1", "SO15", "PO1", "BA1", "GL1", "WR1", "ST1", "DE1", "YO1",
    "HU1", "PR1", "CH1", "WA1", "CA1", "DH1", "DL1", "SR1", "TS1", "SE1", "E1", "G2", "G40", "EH1",
    "EH6", "AB10", "DD1",
)  # fmt: skip
_SCOTTISH_AREAS = ("AB", "DD", "EH", "G")
_LOCAL_SHARE_BY_SIZE = {"micro": 0.70, "small": 0.60, "medium": 0.50, "large": 0.35}  # ~55% overall


def _postcode(local: bool, area: LocalArea, elsewhere: Sequence[str], rng: random.Random) -> str:
    outward = local_outward(area, rng) if local else rng.choice(elsewhere)
    return f"{outward} {inward_code(rng)}"


def _fold(name: str) -> str:
    """A name with case, punctuation and legal suffixes folded (a little stricter than the register
    matcher), so no two pool suppliers can be confused when spend is matched on name."""
    text = re.sub(r"[^a-z0-9 ]", "", name.lower().replace("’", "'"))
    return " ".join(re.sub(r"\b(ltd|limited|plc|llp|uk|group)\b", "", text).split())


def _company_number(postcode: str, rng: random.Random) -> str:
    if postcode_area(postcode.split()[0]) in _SCOTTISH_AREAS:
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
    elsewhere = [code for code in _ELSEWHERE if not is_local(code, cfg.local_area)]
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


def registered(pool: Sequence[Supplier], seed: int) -> list[Supplier]:
    """The suppliers on the core team's register: most of the pool, in pool order. The rest are
    firms members pay that the core team has not recorded yet, which the matcher must cope with."""
    rng = random.Random(f"{seed}/register")
    return [pool[i] for i in sorted(rng.sample(range(len(pool)), round(REGISTER_COVERAGE * len(pool))))]
