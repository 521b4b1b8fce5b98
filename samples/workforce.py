"""Deterministic sample workforce snapshots: each member's staff at the end of every period.

The people come from ``samples.staff`` (one roster per member, moved through time, with the Living
Wage story the KPIs measure); this module writes each snapshot the way the member's HR or payroll
system exports it: header aliases, day-first date layouts, "£" in rates, Windows-1252, a byte-order
mark, a preamble, contractors listed last, every header checked against ``WORKFORCE.alias_index``.

Snapshot dates are period ends. A network whose ``[returns.workforce]`` is yearly gets one snapshot per
financial year of the requested periods (31 March). At most one genuinely bad row is planted per file
(none in about half of them, none in files under 25 rows, where one bad row would exceed the 5%
rejected-row tolerance), and its line is recorded in the manifest entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipeline.config import Member, NetworkConfig
from samples.export_style import D_MON_Y, DMY_DOTS, DMY_UNPADDED, MDY, POUNDS_COMMAS, ExportStyle, csv_bytes
from samples.manifest import DEFAULT_PERIODS, GeneratedFile, SampleFile
from samples.postcodes import inward_code
from samples.staff import (
    LivingWageRates,
    Person,
    home_area,
    plan_for,
    profile_for,
    roster_history,
)
from transforms.periods import Period
from transforms.return_types import WORKFORCE

RETURN_TYPE = "workforce"
MIN_ROWS_FOR_BAD_ROW = 25  # one bad row in a smaller file would exceed the 5% rejected-row tolerance

BadKind = Literal["full_home_postcode", "rate_out_of_range", "missing_employment_basis", "bad_snapshot_date"]
BAD_KINDS: tuple[BadKind, ...] = (
    "full_home_postcode",
    "rate_out_of_range",
    "missing_employment_basis",
    "bad_snapshot_date",
)


# -- export styles ---------------------------------------------------------------------------------
def _hours_short(hours: float) -> str:
    return f"{hours:g}"


def _hours_two(hours: float) -> str:
    return f"{hours:.2f}"


def _e_ref(number: int) -> str:
    return f"E{number:05d}"


def _esr_ref(number: int) -> str:
    return f"{20_340_000 + 7 * number:08d}"


def _p_ref(number: int) -> str:
    return f"P{104_000 + number:07d}"


@dataclass(frozen=True)
class WorkforceStyle(ExportStyle):
    """How one HR or payroll system exports a staff snapshot: the export itself, plus how it numbers
    people, prints hours and spells the employment basis and yes/no flags."""

    ref: Callable[[int], str] = _e_ref
    hours: Callable[[float], str] = _hours_short
    direct_words: tuple[str, ...] = ("Direct",)
    contractor_words: tuple[str, ...] = ("Contractor",)
    yes_no: tuple[str, str] = ("Yes", "No")
    contractors_last: bool = False  # payroll first, the contractor list pasted below it

    def bad_kinds(self) -> tuple[BadKind, ...]:
        kinds = [k for k in BAD_KINDS if k != "full_home_postcode"]
        if "home_postcode_district" in self.columns:
            kinds.insert(0, "full_home_postcode")
        return tuple(kinds)


_CORE = "employee_ref;snapshot_date;hourly_rate_gbp;weekly_hours;employment_basis;is_apprentice;apprenticeship_start_date;home_postcode_district"


def _core(headers: str) -> str:
    """'Staff ID,As At Date,...' (the eight core columns in order) as 'Header=column' pairs."""
    return ";".join(f"{h}={c}" for h, c in zip(headers.split(","), _CORE.split(";"), strict=True))


STYLES: dict[str, WorkforceStyle] = {
    "kingsbridge-council": WorkforceStyle.from_pairs(
        "kingsbridge-council",
        _core(
            "Staff ID,As At Date,Basic Hourly Rate,Contracted Hours,Employment Type,Apprentice,"
            "Apprenticeship Start Date,Home Postcode District"
        ),
    ),
    "fleetside-council": WorkforceStyle.from_pairs(
        "fleetside-council",
        _core(
            "Payroll Number,Snapshot Date,Hourly Rate,Weekly Hours,Employment Basis,Is Apprentice,"
            "Apprentice Start Date,Postcode District"
        ),
        money=POUNDS_COMMAS,
        direct_words=("Employee",),
        contractor_words=("Agency",),
        yes_no=("Y", "N"),
        newline="\r\n",
        contractors_last=True,
    ),
    "st-aldrics-nhs": WorkforceStyle.from_pairs(
        "st-aldrics-nhs",
        _core(
            "Assignment Number,Effective Date,Base Hourly Rate,Standard Hours,Staff Type,Apprenticeship,"
            "Apprenticeship Start,Home Postcode"
        )
        + ";Age Band=age_band;Sex=sex",
        ref=_esr_ref,
        dates=D_MON_Y,
        hours=_hours_two,
        direct_words=("Staff",),
        contractor_words=("Third Party",),
        newline="\r\n",
        preamble=True,
    ),
    "north-meridian-nhs": WorkforceStyle.from_pairs(
        "north-meridian-nhs",
        _core(
            "Employee Number,Census Date,Hourly Rate £,Contracted Weekly Hours,Contract Type,Apprentice Flag,"
            "Start Date of Apprenticeship,Home Postcode"
        )
        + ";Age Band=age_band;Sex=sex;Ethnicity Group=ethnicity_group;Disability=disability",
        money=POUNDS_COMMAS,
        direct_words=("Permanent", "Permanent", "Permanent", "Fixed Term"),
        contractor_words=("Outsourced",),
        encoding="cp1252",
        newline="\r\n",
    ),
    "city-riverside-university": WorkforceStyle.from_pairs(
        "city-riverside-university",
        _core(
            "Person ID,Snapshot Date,Hourly Rate of Pay,Hours per Week,Worker Type,Apprentice Flag,"
            "Apprenticeship Start,Home Outward Code"
        )
        + ";Ethnicity Group=ethnicity_group;Disability=disability",
        ref=_p_ref,
        direct_words=("Staff",),
        contractor_words=("Contracted",),
        hours=_hours_two,
    ),
    "thames-college": WorkforceStyle.from_pairs(
        "thames-college",
        _core(
            "Employee ID,Report Date,Pay Rate,Hours,Worker Type,Apprentice,Apprenticeship Start Date,Home District"
        ),
        dates=DMY_UNPADDED,
        direct_words=("Direct Employee",),
        contractor_words=("Contractors",),
        yes_no=("TRUE", "FALSE"),
        newline="\r\n",
    ),
    "greenway-homes": WorkforceStyle.from_pairs(
        "greenway-homes",
        _core(
            "Employee Number,Date,Rate per Hour,Weekly Contracted Hours,Basis,Apprentice,"
            "Apprenticeship Start Date,Postcode District"
        ),
        direct_words=("direct",),
        contractor_words=("contractor",),
        yes_no=("Yes", ""),  # the system leaves the flag blank for everyone else
        encoding="utf-8-sig",
    ),
    "capital-transit": WorkforceStyle.from_pairs(
        "capital-transit",
        _core(
            "Worker ID,As At,Hourly Pay,Contracted Hours,Employment Status,Is Apprentice,Apprenticeship Start,"
            "Postcode"
        ),
        money=POUNDS_COMMAS,
        direct_words=("Employee",),
        contractor_words=("Third Party",),
        contractors_last=True,
    ),
    "lumen-energy": WorkforceStyle.from_pairs(
        "lumen-energy",
        _core(
            "Emp No,Snapshot Date,Basic Rate,Hours Per Week,Employment Type,Apprentice,Apprenticeship Start Date,"
            "Home Postcode District"
        )
        + ";Age Band=age_band;Sex=sex;Ethnicity=ethnicity_group;Disability=disability",
        dates=DMY_DOTS,
        direct_words=("Employee",),
        contractor_words=("Contractor",),
    ),
    "hearthstone-bs": WorkforceStyle.from_pairs(
        "hearthstone-bs",
        _core(
            "Staff Number,Effective Date,Base Hourly Rate,Standard Hours,Employment Type,Apprenticeship,"
            "Apprentice Start Date,Home Post Code"
        ),
        money=POUNDS_COMMAS,
        direct_words=("Permanent", "Permanent", "Fixed Term"),
        contractor_words=("Agency",),
        newline="\r\n",
    ),
}


def workforce_style_for(member: Member, index: int) -> WorkforceStyle:
    """The member's HR export style, its own ``column_map`` headers swapped in, every header checked."""
    styles = list(STYLES.values())
    return (STYLES.get(member.id) or styles[index % len(styles)]).for_member(member, WORKFORCE)


# -- rendering -------------------------------------------------------------------------------------
def _record(p: Person, snapshot: date, style: WorkforceStyle) -> list[str]:
    yes, no = style.yes_no
    words = style.direct_words if p.basis == "direct" else style.contractor_words
    values = {
        "employee_ref": style.ref(p.number),
        "snapshot_date": style.dates.text(snapshot),
        "hourly_rate_gbp": style.money.text(p.rate),
        "weekly_hours": style.hours(p.hours),
        "employment_basis": words[p.word % len(words)],
        "is_apprentice": yes if p.role == "apprentice" else no,
        "apprenticeship_start_date": style.dates.text(p.apprentice_start) if p.apprentice_start else "",
        "home_postcode_district": p.district,
        "age_band": p.age_band,
        "sex": p.sex,
        "ethnicity_group": p.ethnicity,
        "disability": p.disability,
    }
    return [values[c] for c in style.columns]


def _plan_bad_row(
    records: list[list[str]], style: WorkforceStyle, rng: random.Random
) -> tuple[int, BadKind] | None:
    """(record index, kind), or None: none in about half the files, never in a small file."""
    if len(records) < MIN_ROWS_FOR_BAD_ROW or rng.random() < 0.5:
        return None
    kind = rng.choice(style.bad_kinds())
    candidates = list(range(1, len(records)))
    if kind == "full_home_postcode":
        column = style.columns.index("home_postcode_district")
        candidates = [i for i in candidates if records[i][column]] or candidates
        if not records[candidates[0]][column]:
            kind = "rate_out_of_range"
    return rng.choice(candidates), kind


def _spoil(
    record: list[str], kind: BadKind, style: WorkforceStyle, snapshot: date, rng: random.Random
) -> None:
    col = style.columns.index
    if kind == "full_home_postcode":
        record[col("home_postcode_district")] = f"{record[col('home_postcode_district')]} {inward_code(rng)}"
    elif kind == "rate_out_of_range":
        record[col("hourly_rate_gbp")] = style.money.text(rng.choice((0, 150_000)))
    elif kind == "missing_employment_basis":
        record[col("employment_basis")] = ""
    elif kind == "bad_snapshot_date":
        # Month first, as a US-locale spreadsheet writes it: 12/31/2025 is no day-first date.
        record[col("snapshot_date")] = MDY.text(snapshot)
    else:  # pragma: no cover - the kinds come from WorkforceStyle.bad_kinds
        raise ValueError(kind)


def _preamble(member: Member, snapshot: date, style: WorkforceStyle) -> list[list[str]]:
    return [["Staff in Post - Hourly Rates"], [f"Organisation: {member.name}"],
            [f"As at: {style.dates.text(snapshot)}"], []]  # fmt: skip


def _render(
    member: Member, style: WorkforceStyle, period: Period, roster: dict[int, Person], seed: int
) -> tuple[bytes, SampleFile]:
    rng = random.Random(f"{seed}/workforce-file/{member.id}/{period.key}")
    snapshot = period.end
    people = sorted(
        roster.values(), key=lambda p: ((style.contractors_last and p.basis == "contractor"), p.number)
    )
    records = [_record(p, snapshot, style) for p in people]
    planned = _plan_bad_row(records, style, rng)
    if planned:
        _spoil(records[planned[0]], planned[1], style, snapshot, rng)
    preamble = _preamble(member, snapshot, style) if style.preamble else []
    first_line = len(preamble) + 2  # the header takes the line after the preamble
    entry = SampleFile(
        path=f"incoming/{member.id}/{RETURN_TYPE}_{period.key}.csv",
        member_id=member.id,
        return_type=RETURN_TYPE,
        period=period.key,
        data_rows=len(records),
        bad_rows=((first_line + planned[0], planned[1]),) if planned else (),
    )
    return csv_bytes(style, records, preamble), entry


def snapshot_periods(cfg: NetworkConfig, periods: Sequence[str]) -> list[Period]:
    """The periods that get a snapshot, in date order: the financial years of ``periods`` when the
    network's workforce return is yearly, else the periods themselves."""
    parsed = {Period.parse(p) for p in periods}
    schedule = cfg.returns.get(RETURN_TYPE)
    if schedule is not None and schedule.frequency == "yearly":
        parsed = {p.financial_year for p in parsed}
    return sorted(parsed, key=lambda p: (p.end, p.start))


def workforce_files(
    cfg: NetworkConfig,
    periods: Sequence[str] = DEFAULT_PERIODS,
    seed: int = 2025,
    staff_per_member: int = 40,
) -> list[GeneratedFile]:
    """(bucket path, bytes, manifest entry) of every workforce snapshot of every member that sends one.

    Nothing when the network has no ``[returns.workforce]``. Files come member by member in config
    order, each member's snapshots in date order. A member's history starts at the earliest period, so
    its files depend on the whole set of periods, never on which of them are later skipped.
    """
    if staff_per_member < 1:
        raise ValueError(f"staff_per_member must be at least 1, not {staff_per_member}")
    if RETURN_TYPE not in cfg.returns or not periods:
        return []
    snapshots = snapshot_periods(cfg, periods)
    rates = LivingWageRates.load(cfg.living_wage_basis)
    area = home_area(cfg)
    files: list[GeneratedFile] = []
    accrediting = 0
    for index, member in enumerate(cfg.members):
        if RETURN_TYPE not in cfg.expected_returns(member):
            continue
        style = workforce_style_for(member, index)
        profile = profile_for(member, index)
        plan = plan_for(profile, accrediting, index, len(snapshots))
        accrediting += profile == "accrediting"
        history = roster_history(member, plan, snapshots, staff_per_member, rates, area, seed)
        for period, roster in zip(snapshots, history, strict=True):
            data, entry = _render(member, style, period, roster, seed)
            files.append((entry.path, data, entry))
    return files
