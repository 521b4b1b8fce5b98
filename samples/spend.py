"""Deterministic sample spend returns, one per member and period, each in its finance system's style.

Each member exports in the style of a real finance system (see ``STYLES``), so the demo and the
end-to-end test meet what members actually send: header aliases, a preamble of report parameters,
Windows-1252 text, a byte-order mark, old Mac line endings, an xlsx workbook, a supplier-totals file
with a "Grand Total" row and blank trailing lines. A few deliberately bad rows are planted and their
line numbers recorded in the manifest, so a test can check the feedback names exactly those lines.

Each member's ledger (who it buys from, how its system spells and numbers them) and each file have
their own ``random.Random``, seeded with strings built from the seed (``Random(str)`` hashes with
SHA-512, not with the randomised ``hash()``), so skipping one member's return changes nobody else's.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from math import log
from typing import Literal

from pipeline.config import Member, NetworkConfig
from samples.export_style import (
    DMY,
    DMY_UNPADDED,
    ISO,
    POUNDS,
    POUNDS_COMMAS,
    ExportStyle,
    csv_bytes,
    xlsx_bytes,
)
from samples.manifest import GeneratedFile, SampleFile
from samples.suppliers import Supplier
from transforms.periods import Period
from transforms.pre_period import PRE_PERIOD_DAYS
from transforms.return_types import SPEND

RETURN_TYPE = "spend"

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


# -- export styles ---------------------------------------------------------------------------------
_COUNCIL_DEPARTMENTS = ("Adult Social Care", "Children's Services", "Environment", "Housing", "Highways",
                        "Corporate Resources", "Public Health", "Regeneration")  # fmt: skip
_DIRECTORATES = ("People", "Place", "Resources", "Chief Executive's Office")


@dataclass(frozen=True)
class SpendStyle(ExportStyle):
    """How one finance system exports spend: the export itself, plus how it lays out payments and
    names, numbers and references suppliers."""

    layout: Literal["lines", "totals", "xlsx"] = "lines"
    supplier_ids: Literal["register", "companies", "ledger"] = "register"
    upper_names: bool = False
    non_ascii_suppliers: bool = False
    reference: tuple[str, int] = ("", 7)  # prefix and digits of the transaction reference
    departments: tuple[str, ...] = _COUNCIL_DEPARTMENTS

    @property
    def extension(self) -> str:
        return "xlsx" if self.layout == "xlsx" else "csv"

    def bad_kinds(self) -> tuple[BadKind, ...]:
        """The kinds of bad row this export can carry (a file without dates cannot have a bad date)."""
        kinds: list[BadKind] = ["amount_not_number", "missing_supplier"]
        if "payment_date" in self.columns:
            kinds += ["bad_date", "date_outside_period"]
        if "supplier_postcode" in self.columns:
            kinds.append("bad_postcode")
        if "transaction_id" in self.columns:
            kinds.append("duplicate_transaction_id")
        if self.layout != "xlsx":
            kinds.append("fields_ran_together")
        return tuple(kinds)


STYLES: dict[str, SpendStyle] = {
    "kingsbridge-council": SpendStyle.from_pairs(
        "kingsbridge-council",
        "Payment Date=payment_date;Supplier Name=supplier_name;Supplier ID=supplier_id;"
        "Postcode=supplier_postcode;Amount=amount_gbp;Transaction ID=transaction_id;"
        "Department=department;Category=category",
        reference=("KB", 7),
    ),
    "fleetside-council": SpendStyle.from_pairs(
        "fleetside-council",
        "Date Paid=payment_date;Beneficiary=supplier_name;Net Amount=amount_gbp;"
        "Payment Ref=transaction_id;Directorate=department",
        money=POUNDS_COMMAS,
        newline="\r\n",
        trailing_blank=2,
        upper_names=True,
        reference=("PAY", 6),
        departments=_DIRECTORATES,
    ),
    "st-aldrics-nhs": SpendStyle.from_pairs(
        "st-aldrics-nhs",
        "Transaction Date=payment_date;Supplier=supplier_name;Supplier Postcode=supplier_postcode;"
        "Net Amount=amount_gbp;Invoice Number=transaction_id",
        newline="\r\n",
        preamble=True,
        trailing_blank=3,
        blank_as_commas=True,
        reference=("INV", 6),
    ),
    "north-meridian-nhs": SpendStyle.from_pairs(
        "north-meridian-nhs",
        "Posting Date=payment_date;Vendor Name=supplier_name;Vendor Postcode=supplier_postcode;"
        "Net Amount £=amount_gbp;Doc No=transaction_id;Expense Category=category",
        money=POUNDS,
        encoding="cp1252",
        newline="\r\n",
        non_ascii_suppliers=True,
        reference=("51", 8),
    ),
    "city-riverside-university": SpendStyle.from_pairs(
        "city-riverside-university", "Supplier Name=supplier_name;Total=amount_gbp", layout="totals"
    ),
    "thames-college": SpendStyle.from_pairs(
        "thames-college",
        "Creditor_Name=supplier_name;Creditor_ID=supplier_id;SumOfAmount_Exc_VAT=amount_gbp;Pay Date=payment_date",
        dates=DMY_UNPADDED,
        newline="\r\n",
        trailing_blank=1,
        supplier_ids="ledger",
    ),
    "greenway-homes": SpendStyle.from_pairs(
        "greenway-homes",
        "Payment Date=payment_date;Payee Name=supplier_name;Amount=amount_gbp;"
        "Supplier Postcode=supplier_postcode;Reference=transaction_id",
        layout="xlsx",
        reference=("GH", 6),
    ),
    "capital-transit": SpendStyle.from_pairs(
        "capital-transit",
        "Date=payment_date;Vendor=supplier_name;Amount=amount_gbp;Postcode=supplier_postcode;Tier=spend_tier",
        newline="\r",
    ),
    "lumen-energy": SpendStyle.from_pairs(
        "lumen-energy",
        "Vendor Name=supplier_name;Payment Amount=amount_gbp;Payment Date=payment_date;"
        "Companies House Number=supplier_id",
        dates=ISO,
        supplier_ids="companies",
    ),
    "hearthstone-bs": SpendStyle.from_pairs(
        "hearthstone-bs",
        "Payment Date=payment_date;Supplier Name=supplier_name;Amount=amount_gbp;Supplier Size=supplier_size;"
        "VCSE=is_vcse;Diverse Owned=is_diverse_owned",
        encoding="utf-8-sig",
        newline="\r\n",
    ),
}


def style_for(member: Member, index: int) -> SpendStyle:
    """The member's export style: its own if listed, else one by position, with its own header names
    (from its ``column_map``), every header checked against the spend alias index."""
    styles = list(STYLES.values())
    return (STYLES.get(member.id) or styles[index % len(styles)]).for_member(member, SPEND)


# -- payments that are not procurement -------------------------------------------------------------
# Real exports carry taxes, pension contributions, payments to other public bodies and to individuals
# (docs/spend-scope.md); a few lines of each file go to such payees, so the report's spend-scope section
# has something to show. (payee, category column, postcode, median GBP); "{member}" is the member's name.
_NOT_PROCUREMENT = {
    "all": (("HM Revenue & Customs", "Tax and National Insurance", "BX9 1AS", 20_000),),
    "local_government": (
        ("{member} Pension Fund", "Pension contributions", "SE1 2AA", 60_000),
        ("Metropolitan Police Service", "Contributions to other bodies", "SW1H 0BG", 12_000),
        ("Redacted personal data", "Payments to individuals", "SE1 2AA", 600),
    ),
    "nhs": (
        ("NHS Pension Scheme", "Pension contributions", "DL1 1AA", 70_000),
        ("NHS Business Services Authority", "Contributions to other bodies", "NE15 8NY", 15_000),
    ),
    "higher_education": (("Universities Superannuation Scheme", "Pension contributions", "L2 2PX", 60_000),),
    "further_education": (("Teachers' Pensions", "Pension contributions", "DL1 1AA", 40_000),),
    "housing": (("Redacted personal data", "Refunds to residents", "SE1 2AA", 400),),
}
NOT_PROCUREMENT_SHARE = 0.04  # of a file's lines: a few in a quarter's export
_NOT_PROCUREMENT_FROM = 20  # files with fewer lines have none (their line counts stay exact)


def not_procurement_payees(member: Member) -> tuple[Supplier, ...]:
    """The member's payees that are not suppliers: never in the network's register or supplier pool."""
    found = [*_NOT_PROCUREMENT["all"], *_NOT_PROCUREMENT.get(member.sector.value, ())]
    return tuple(
        Supplier(
            supplier_id=f"not-procurement-{n}",
            name=payee.format(member=member.name),
            postcode=postcode,
            employees=0,
            turnover_gbp=median,  # stands for the typical payment
            size="large",
            is_vcse=False,
            is_diverse_owned=False,
            category=category,
            source="",
        )
        for n, (payee, category, postcode, median) in enumerate(found)
    )


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
    not_procurement: tuple[Supplier, ...] = ()  # taxes, pensions, public bodies, individuals


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


def _ledger(pool: Sequence[Supplier], member: Member, style: SpendStyle, seed: int) -> _Ledger:
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
    others = not_procurement_payees(member)
    for s in others:  # added after the ledger's draws, so they change no other supplier's entry
        names[s.supplier_id] = s.name.upper() if style.upper_names else s.name
        ids[s.supplier_id], sizes[s.supplier_id] = "", ""
    return _Ledger(suppliers, weights, names, ids, sizes, specials, others)


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


def _payments(
    ledger: _Ledger, style: SpendStyle, period: Period, n: int, rng: random.Random
) -> list[_Payment]:
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


def _pay_not_procurement(payments: list[_Payment], ledger: _Ledger, rng: random.Random) -> None:
    """Turn a few of the lines into payments to the ledger's payees that are not suppliers. Their own
    generator keeps every other line as it was."""
    if len(payments) < _NOT_PROCUREMENT_FROM or not ledger.not_procurement:
        return
    count = max(1, round(len(payments) * NOT_PROCUREMENT_SHARE))
    specials = set(ledger.specials)
    free = [i for i, p in enumerate(payments) if p.supplier not in specials]
    for index in rng.sample(free, min(count, len(free))):
        payee = rng.choice(ledger.not_procurement)
        pounds = min(rng.lognormvariate(log(payee.turnover_gbp), 0.7), 400_000.0)
        payments[index] = replace(payments[index], supplier=payee, pence=round(pounds * 100), tier="direct")
    payments.sort(key=lambda p: (p.day, p.supplier.supplier_id, p.pence))


# -- rendering rows --------------------------------------------------------------------------------
def _cell(column: str, p: _Payment, reference: str, ledger: _Ledger, style: SpendStyle) -> object:
    sid = p.supplier.supplier_id
    if column == "payment_date":
        return p.day if style.layout == "xlsx" else style.dates.text(p.day)
    if column == "amount_gbp":
        return p.pence / 100 if style.layout == "xlsx" else style.money.text(p.pence)
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


def _line_records(
    payments: list[_Payment], ledger: _Ledger, style: SpendStyle, rng: random.Random
) -> list[list]:
    prefix, digits = style.reference
    number = rng.randrange(10 ** (digits - 1), 8 * 10 ** (digits - 1))
    records = []
    for p in payments:
        number += rng.randint(1, 9)
        reference = f"{prefix}{number:0{digits}d}"
        records.append([_cell(c, p, reference, ledger, style) for c in style.columns])
    return records


def _totals_records(payments: list[_Payment], ledger: _Ledger, style: SpendStyle) -> tuple[list[list], int]:
    """One row per supplier with its total for the period, sorted by name, and the grand total."""
    totals: dict[str, int] = {}
    for p in payments:
        totals[p.supplier.supplier_id] = totals.get(p.supplier.supplier_id, 0) + p.pence
    ordered = sorted(totals.items(), key=lambda item: (ledger.names[item[0]].casefold(), item[0]))
    records = [[ledger.names[sid], style.money.text(pence)] for sid, pence in ordered]
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


def _plan_bad_rows(n: int, style: SpendStyle, rng: random.Random) -> list[tuple[int, str]]:
    """(record index, kind) pairs: none in about half the files, at most 2, always well under 5%."""
    limit = min(2, n // 40)
    if limit == 0 or rng.random() < 0.5:
        return []
    count = rng.randint(1, limit)
    kinds = rng.sample(style.bad_kinds(), count)
    positions = sorted(rng.sample(range(2, n), count))
    return list(zip(positions, kinds, strict=True))


def _spoil(records: list[list], index: int, kind: str, style: SpendStyle, period: Period, bad: set[int],
           rng: random.Random) -> None:  # fmt: skip
    """Turn one good record into the kind of bad record finance exports really contain."""
    row = records[index]
    col = style.columns.index
    xlsx = style.layout == "xlsx"
    if kind == "bad_date":
        row[col("payment_date")] = (DMY if xlsx else style.dates).parts(*_impossible_date(period, rng))
    elif kind == "date_outside_period":
        # Before the window in which late-approved payments are accepted (pre_period_days), or after the end.
        day = period.start - timedelta(days=PRE_PERIOD_DAYS + rng.randint(3, 40))
        if rng.random() < 0.5:
            day = period.end + timedelta(days=rng.randint(3, 40))
        row[col("payment_date")] = day if xlsx else style.dates.text(day)
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
    else:  # pragma: no cover - the kinds come from SpendStyle.bad_kinds
        raise ValueError(kind)


# -- encoding files --------------------------------------------------------------------------------
def _preamble(period: Period, rng: random.Random) -> list[list[str]]:
    """4-6 lines of report parameters before the header, as ledger report writers print them."""
    start, end = period.start, period.end
    run = end + timedelta(days=rng.randint(3, 20))
    lines = [
        ["AP Payments Report"],
        ["Run date:", DMY.text(run)],
        [f"Parameters: Company=RAL, Period={DMY.text(start)} - {DMY.text(end)}"],
    ]
    extras = [["Currency: GBP"], ["Report: supplier payments, all cost centres"]]
    lines += extras[: rng.randint(0, 2)]
    return [*lines, []]


def _render_file(
    member: Member, style: SpendStyle, ledger: _Ledger, period_key: str, lines: int, seed: int
) -> tuple[bytes, SampleFile]:
    """One member's return for one period, and its manifest entry (with the planted bad lines)."""
    period = Period.parse(period_key)
    rng = random.Random(f"{seed}/file/{member.id}/{period.key}")
    payments = _payments(ledger, style, period, lines, rng)
    _pay_not_procurement(payments, ledger, random.Random(f"{seed}/not-procurement/{member.id}/{period.key}"))
    if style.layout == "totals":
        records, grand_total = _totals_records(payments, ledger, style)
    else:
        records, grand_total = _line_records(payments, ledger, style, rng), 0
    plan = _plan_bad_rows(len(records), style, rng)
    for index, kind in plan:
        _spoil(records, index, kind, style, period, {i for i, _ in plan}, rng)
    set_aside: list[tuple[int, str]] = []
    if style.layout == "totals":
        set_aside.append((len(records), "totals_row"))
        records.append(["Grand Total", style.money.text(grand_total)])
    preamble = _preamble(period, rng) if style.preamble else []
    first_line = len(preamble) + 2  # the header takes the line after the preamble
    if style.layout == "xlsx":
        data = xlsx_bytes(style.headers, records, sheet_title="Spend")
    else:
        data = csv_bytes(style, records, preamble)
    entry = SampleFile(
        path=f"incoming/{member.id}/{RETURN_TYPE}_{period.key}.{style.extension}",
        member_id=member.id,
        return_type=RETURN_TYPE,
        period=period.key,
        data_rows=len(records),
        bad_rows=tuple((first_line + index, kind) for index, kind in plan),
        set_aside_rows=tuple((first_line + index, kind) for index, kind in set_aside),
    )
    return data, entry


# -- entry point -----------------------------------------------------------------------------------
def spend_files(
    cfg: NetworkConfig,
    pool: Sequence[Supplier],
    periods: Sequence[str],
    seed: int = 2025,
    lines_per_file: int = 120,
) -> Iterator[GeneratedFile]:
    """(bucket path, bytes, manifest entry) of every spend return of every member that sends one.

    Files come member by member in config order, each member's periods in the order given, one at a
    time (a large sample need not fit in memory). Each file has its own generator, so leaving one out
    (a missing return) changes no other file.
    """
    if lines_per_file < 1:
        raise ValueError(f"lines_per_file must be at least 1, not {lines_per_file}")
    for index, member in enumerate(cfg.members):
        if RETURN_TYPE not in cfg.expected_returns(member):
            continue
        style = style_for(member, index)
        ledger = _ledger(pool, member, style, seed)
        for period in periods:
            data, entry = _render_file(member, style, ledger, period, lines_per_file, seed)
            yield entry.path, data, entry
