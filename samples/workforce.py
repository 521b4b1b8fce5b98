"""Deterministic sample workforce snapshots: each member's staff at the end of every period.

The Living Wage KPIs compare consecutive snapshots of the same people, so the sample keeps one roster
per member and moves it through time instead of drawing each file afresh:

- the roster starts at the earliest period with ``staff_per_member`` people (about a quarter of them
  regular contractors: cleaning, catering, security) and numbers them ``E00001``, ``E00002``... at
  most members, so the same raw reference names different people at different members;
- between snapshots a few people leave and a few join (new references), one contractor at each member
  moves onto the direct payroll under the same reference, and new apprentices start inside the period;
- a 1 April between two snapshots brings the member's annual pay award and the new statutory National
  Living Wage (nobody except a planted bad row is paid below it); a 1 May brings the new Living Wage;
- each member has a Living Wage *profile*: ``accredited`` members pay everybody (contractors and
  apprentices included) at least the Living Wage applying on every snapshot date; ``accrediting``
  members pay some staff below it until one snapshot (never the first), at which everyone below is
  uplifted to at least the rate applying then; ``never`` members never lift anybody across the rate
  (a pay award may not carry someone from below the old rate to the new one).

So under DESIGN section 6 (``lw_uplifts``: present in this and the previous snapshot, below the rate
applying at the previous one, at or above the rate applying now) uplifts appear only at an accrediting
member's accreditation snapshot, and there they count every continuing person who was below the rate.

Snapshot dates are period ends. A network whose ``[returns.workforce]`` is yearly gets one snapshot per
financial year of the requested periods (31 March). Members export in different styles (header aliases,
day-first date layouts, "£" in rates, Windows-1252, a byte-order mark, a preamble, contractors listed
last), every header checked against ``WORKFORCE.alias_index``. At most one genuinely bad row is planted
per file (none in about half of them, none in files under 25 rows, where one bad row would exceed the
5% rejected-row tolerance), and its line is recorded in the manifest entry.

Everything comes from ``random.Random`` seeded with strings built from the seed (``Random(str)`` hashes
with SHA-512, not the randomised ``hash()``), never from the clock; rosters are dicts keyed by number
and always walked in sorted order.
"""

from __future__ import annotations

import bisect
import csv
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from math import log
from typing import Literal

from pipeline.config import LocalArea, Member, NetworkConfig
from samples.network import DEFAULT_PERIODS, SampleFile, _inward, _is_local, _local_outward
from transforms.living_wage import rates_table
from transforms.periods import Period
from transforms.return_types import WORKFORCE, normalise_header

RETURN_TYPE = "workforce"
MIN_ROWS_FOR_BAD_ROW = 25  # one bad row in a smaller file would exceed the 5% rejected-row tolerance

Profile = Literal["accredited", "accrediting", "never"]
BadKind = Literal["full_home_postcode", "rate_out_of_range", "missing_employment_basis", "bad_snapshot_date"]
BAD_KINDS: tuple[BadKind, ...] = (
    "full_home_postcode",
    "rate_out_of_range",
    "missing_employment_basis",
    "bad_snapshot_date",
)
CONTRACTOR_ROLES = ("cleaning", "catering", "security")


# -- Living Wage rates -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _RateTable:
    """Rates in pence by the date they apply from, from the project's one rates table."""

    starts: tuple[date, ...]
    pence: tuple[int, ...]
    basis: str

    @classmethod
    def load(cls, basis: str) -> _RateTable:
        table = rates_table()
        table = table[table["basis"] == basis]
        starts = tuple(ts.date() for ts in table["applies_from"])
        return cls(starts, tuple(round(float(rate) * 100) for rate in table["rate_gbp"]), basis)

    def on(self, day: date) -> int:
        position = bisect.bisect_right(self.starts, day) - 1
        if position < 0:
            raise ValueError(f"the rates table has no {self.basis} rate applying on {day.isoformat()}")
        return self.pence[position]


@dataclass(frozen=True)
class _Rates:
    living: _RateTable
    national: _RateTable

    def lw(self, day: date) -> int:
        return self.living.on(day)

    def nlw(self, day: date) -> int:
        return self.national.on(day)


# -- export styles ---------------------------------------------------------------------------------
def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _dmy_unpadded(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _d_mon_y(day: date) -> str:
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"  # "31-Mar-2026", whatever the locale


def _dmy_dots(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def _plain(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


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
class WorkforceStyle:
    """How one HR or payroll system exports a staff snapshot."""

    key: str
    headers: tuple[str, ...]
    columns: tuple[str, ...]  # canonical column of each header
    ref: Callable[[int], str] = _e_ref
    date_text: Callable[[date], str] = _dmy
    money: Callable[[int], str] = _plain
    hours: Callable[[float], str] = _hours_short
    direct_words: tuple[str, ...] = ("Direct",)
    contractor_words: tuple[str, ...] = ("Contractor",)
    yes_no: tuple[str, str] = ("Yes", "No")
    encoding: str = "utf-8"
    newline: str = "\n"
    preamble: bool = False
    contractors_last: bool = False  # payroll first, the contractor list pasted below it

    def bad_kinds(self) -> tuple[BadKind, ...]:
        kinds = [k for k in BAD_KINDS if k != "full_home_postcode"]
        if "home_postcode_district" in self.columns:
            kinds.insert(0, "full_home_postcode")
        return tuple(kinds)


def _style(key: str, pairs: str, **options: object) -> WorkforceStyle:
    """A style from 'Header=column' pairs joined by ';'."""
    headers, columns = zip(*(pair.split("=") for pair in pairs.split(";")), strict=True)
    return WorkforceStyle(key, tuple(headers), tuple(columns), **options)  # type: ignore[arg-type]


_CORE = "employee_ref;snapshot_date;hourly_rate_gbp;weekly_hours;employment_basis;is_apprentice;apprenticeship_start_date;home_postcode_district"


def _core(headers: str) -> str:
    """'Staff ID,As At Date,...' (the eight core columns in order) as 'Header=column' pairs."""
    return ";".join(f"{h}={c}" for h, c in zip(headers.split(","), _CORE.split(";"), strict=True))


STYLES: dict[str, WorkforceStyle] = {
    "kingsbridge-council": _style(
        "kingsbridge-council",
        _core(
            "Staff ID,As At Date,Basic Hourly Rate,Contracted Hours,Employment Type,Apprentice,"
            "Apprenticeship Start Date,Home Postcode District"
        ),
    ),
    "fleetside-council": _style(
        "fleetside-council",
        _core(
            "Payroll Number,Snapshot Date,Hourly Rate,Weekly Hours,Employment Basis,Is Apprentice,"
            "Apprentice Start Date,Postcode District"
        ),
        money=_pounds,
        direct_words=("Employee",),
        contractor_words=("Agency",),
        yes_no=("Y", "N"),
        newline="\r\n",
        contractors_last=True,
    ),
    "st-aldrics-nhs": _style(
        "st-aldrics-nhs",
        _core(
            "Assignment Number,Effective Date,Base Hourly Rate,Standard Hours,Staff Type,Apprenticeship,"
            "Apprenticeship Start,Home Postcode"
        )
        + ";Age Band=age_band;Sex=sex",
        ref=_esr_ref,
        date_text=_d_mon_y,
        hours=_hours_two,
        direct_words=("Staff",),
        contractor_words=("Third Party",),
        newline="\r\n",
        preamble=True,
    ),
    "north-meridian-nhs": _style(
        "north-meridian-nhs",
        _core(
            "Employee Number,Census Date,Hourly Rate £,Contracted Weekly Hours,Contract Type,Apprentice Flag,"
            "Start Date of Apprenticeship,Home Postcode"
        )
        + ";Age Band=age_band;Sex=sex;Ethnicity Group=ethnicity_group;Disability=disability",
        money=_pounds,
        direct_words=("Permanent", "Permanent", "Permanent", "Fixed Term"),
        contractor_words=("Outsourced",),
        encoding="cp1252",
        newline="\r\n",
    ),
    "city-riverside-university": _style(
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
    "thames-college": _style(
        "thames-college",
        _core(
            "Employee ID,Report Date,Pay Rate,Hours,Worker Type,Apprentice,Apprenticeship Start Date,Home District"
        ),
        date_text=_dmy_unpadded,
        direct_words=("Direct Employee",),
        contractor_words=("Contractors",),
        yes_no=("TRUE", "FALSE"),
        newline="\r\n",
    ),
    "greenway-homes": _style(
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
    "capital-transit": _style(
        "capital-transit",
        _core(
            "Worker ID,As At,Hourly Pay,Contracted Hours,Employment Status,Is Apprentice,Apprenticeship Start,"
            "Postcode"
        ),
        money=_pounds,
        direct_words=("Employee",),
        contractor_words=("Third Party",),
        contractors_last=True,
    ),
    "lumen-energy": _style(
        "lumen-energy",
        _core(
            "Emp No,Snapshot Date,Basic Rate,Hours Per Week,Employment Type,Apprentice,Apprenticeship Start Date,"
            "Home Postcode District"
        )
        + ";Age Band=age_band;Sex=sex;Ethnicity=ethnicity_group;Disability=disability",
        date_text=_dmy_dots,
        direct_words=("Employee",),
        contractor_words=("Contractor",),
    ),
    "hearthstone-bs": _style(
        "hearthstone-bs",
        _core(
            "Staff Number,Effective Date,Base Hourly Rate,Standard Hours,Employment Type,Apprenticeship,"
            "Apprentice Start Date,Home Post Code"
        ),
        money=_pounds,
        direct_words=("Permanent", "Permanent", "Fixed Term"),
        contractor_words=("Agency",),
        newline="\r\n",
    ),
}

# The London example's members; members of other networks rotate through these by position.
PROFILES: dict[str, Profile] = {
    "kingsbridge-council": "accredited",
    "fleetside-council": "accrediting",
    "st-aldrics-nhs": "accrediting",
    "north-meridian-nhs": "never",
    "city-riverside-university": "accredited",
    "thames-college": "accrediting",
    "greenway-homes": "never",
    "capital-transit": "accredited",
    "lumen-energy": "accrediting",
    "hearthstone-bs": "never",
}
_PROFILE_ROTATION: tuple[Profile, ...] = ("accrediting", "accredited", "never")


def workforce_style_for(member: Member, index: int) -> WorkforceStyle:
    """The member's HR export style, its own ``column_map`` headers swapped in, every header checked."""
    styles = list(STYLES.values())
    style = STYLES.get(member.id) or styles[index % len(styles)]
    own: dict[str, str] = {}
    for header, column in member.column_map.items():
        if column in WORKFORCE.columns:
            own.setdefault(column, header)
    headers = tuple(own.get(c, h) for h, c in zip(style.headers, style.columns, strict=True))
    aliases = WORKFORCE.alias_index(member.column_map)
    for header, column in zip(headers, style.columns, strict=True):
        if aliases.get(normalise_header(header)) != column:
            raise ValueError(f"sample header '{header}' does not map to '{column}' for member '{member.id}'")
    return replace(style, headers=headers)


def profile_for(member: Member, index: int) -> Profile:
    return PROFILES.get(member.id) or _PROFILE_ROTATION[index % len(_PROFILE_ROTATION)]


# -- people ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Person:
    number: int
    role: str  # core, low (low-paid direct), apprentice, or a contractor role
    basis: Literal["direct", "contractor"]
    rate: int  # pence an hour
    hours: float
    apprentice_start: date | None
    district: str  # "" when the member does not know it
    word: int  # which of the style's spellings of the basis this person's record carries
    age_band: str
    sex: str
    ethnicity: str
    disability: str


_AGE_BANDS = (("16-24", 0.12), ("25-34", 0.24), ("35-49", 0.32), ("50-64", 0.27), ("65+", 0.05))
_ETHNICITY = (("White", 0.55), ("Asian", 0.16), ("Black", 0.14), ("Mixed", 0.05), ("Other", 0.04),
              ("Prefer not to say", 0.06))  # fmt: skip
_DISABILITY = (("No", 0.82), ("Yes", 0.10), ("Prefer not to say", 0.08))
_HOURS = {
    "core": ((36.0, 37.0, 37.5, 35.0), (15.0, 18.5, 22.5, 30.0)),
    "low": ((37.5, 36.0), (16.0, 20.0, 22.5, 25.0, 30.0)),
    "apprentice": ((37.5, 37.0, 30.0), ()),
    "cleaning": ((), (10.0, 12.5, 15.0, 17.5, 20.0, 25.0)),
    "catering": ((37.5,), (16.0, 20.0, 25.0, 30.0)),
    "security": ((40.0, 36.0), (24.0,)),
}
_FULL_TIME_SHARE = {
    "core": 0.72,
    "low": 0.45,
    "apprentice": 1.0,
    "cleaning": 0.0,
    "catering": 0.4,
    "security": 0.8,
}
# London commuter-belt districts (outside the London example's area) and a mixed list for other networks.
_COMMUTER_LONDON = ("CM2", "ME4", "DA11", "SS1", "RM16", "LU1", "GU1", "TN13", "AL1", "KT22", "EN6", "SL1",
                    "HP1", "WD17", "CM14", "RH1", "SG1", "ME15")  # fmt: skip
_COMMUTER_OTHER = ("NE1", "NE8", "NE38", "SR1", "SR5", "TS1", "TS20", "DH1", "DL1", "DL3", "YO1", "LS1", "M1",
                   "B3", "LE1", "NG1", "S1", "CF10", "BS1")  # fmt: skip


def _weighted(options: Sequence[tuple[str, float]], rng: random.Random) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


@dataclass(frozen=True)
class _Area:
    local: LocalArea
    commuter: tuple[str, ...]

    def district(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.07:
            return ""
        if roll < 0.72 or not self.commuter:
            return _local_outward(self.local, rng)
        return rng.choice(self.commuter)


def _area(cfg: NetworkConfig) -> _Area:
    pool = _COMMUTER_LONDON if cfg.living_wage_basis == "london" else _COMMUTER_OTHER
    return _Area(cfg.local_area, tuple(d for d in pool if not _is_local(d, cfg.local_area)))


def _draw_rate(role: str, lw: int, nlw: int, pays_lw: bool, rng: random.Random) -> int:
    """Pence an hour for a new person; at a member paying the Living Wage, never below ``lw``."""
    if role == "core":
        rate = round(min(max(rng.lognormvariate(log(2150), 0.33), 1400), 4000))
        return max(rate, lw + rng.randint(10, 160)) if pays_lw else max(rate, nlw + 20)
    if pays_lw:
        bump = {"security": rng.randint(0, 140), "apprentice": rng.choice((0, 0, 10, 25))}
        return lw + bump.get(role, rng.choice((0, 0, 0, 5, 15, 30)))
    if role == "security" and rng.random() < 0.5:
        return rng.randint(lw + 10, lw + 260)
    if role in ("cleaning", "catering") and rng.random() < 0.35:
        return nlw  # exactly the statutory minimum
    top = lw - 20 if role == "apprentice" else lw - 5
    return rng.randint(nlw + 1, max(nlw + 1, top))


def _draw_hours(role: str, rng: random.Random) -> float:
    full, part = _HOURS[role]
    return (
        rng.choice(full) if full and (not part or rng.random() < _FULL_TIME_SHARE[role]) else rng.choice(part)
    )


def _new_person(
    number: int,
    role: str,
    lw: int,
    nlw: int,
    pays_lw: bool,
    apprentice_start: date | None,
    area: _Area,
    rng: random.Random,
) -> _Person:
    return _Person(
        number=number,
        role=role,
        basis="contractor" if role in CONTRACTOR_ROLES else "direct",
        rate=_draw_rate(role, lw, nlw, pays_lw, rng),
        hours=_draw_hours(role, rng),
        apprentice_start=apprentice_start if role == "apprentice" else None,
        district=area.district(rng),
        word=rng.randrange(12),
        age_band="16-24" if role == "apprentice" and rng.random() < 0.7 else _weighted(_AGE_BANDS, rng),
        sex=rng.choice(("Female", "Male")) if rng.random() < 0.97 else "Prefer not to say",
        ethnicity=_weighted(_ETHNICITY, rng),
        disability=_weighted(_DISABILITY, rng),
    )


def _day_in(period: Period, rng: random.Random) -> date:
    return date.fromordinal(rng.randint(period.start.toordinal(), period.end.toordinal()))


def _initial_roles(staff: int, rng: random.Random) -> list[str]:
    contractors = round(staff * rng.uniform(0.2, 0.3)) if staff >= 4 else 0
    direct = staff - contractors
    apprentices = max(1 if direct >= 5 else 0, round(0.07 * direct))
    low = round(0.12 * direct)
    roles = ["apprentice"] * apprentices + ["low"] * low + ["core"] * (direct - apprentices - low)
    roles += rng.choices(CONTRACTOR_ROLES, weights=(0.5, 0.3, 0.2), k=contractors)
    rng.shuffle(roles)
    return roles


def _joiner_role(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choices(CONTRACTOR_ROLES, weights=(0.5, 0.3, 0.2))[0]
    return "apprentice" if roll < 0.31 else "low" if roll < 0.41 else "core"


@dataclass(frozen=True)
class MemberPlan:
    """What happens to one member's staff: its Living Wage profile and when its events fall."""

    profile: Profile
    accredit_at: int | None  # snapshot index at which an accrediting member uplifts its staff
    mover_at: int | None  # snapshot index at which a contractor moves onto the payroll
    apprentice_joins_at: int | None  # snapshot index with an apprentice starting inside the period

    def pays_lw(self, t: int) -> bool:
        return self.profile == "accredited" or (self.accredit_at is not None and t >= self.accredit_at)


def _plan(profile: Profile, accrediting_ordinal: int, member_index: int, snapshots: int) -> MemberPlan:
    later = snapshots - 1  # transitions available after the first snapshot
    accredit_at = 1 + accrediting_ordinal % later if profile == "accrediting" and later else None
    return MemberPlan(
        profile=profile,
        accredit_at=accredit_at,
        mover_at=1 + (member_index + 1) % later if later else None,
        apprentice_joins_at=1 + member_index % later if later else None,
    )


def _history(
    member: Member,
    plan: MemberPlan,
    periods: Sequence[Period],
    staff: int,
    rates: _Rates,
    area: _Area,
    seed: int,
) -> list[dict[int, _Person]]:
    """The member's roster at each snapshot (period end), people keyed by their number."""
    rng = random.Random(f"{seed}/workforce/{member.id}")
    direct_award = rng.uniform(0.025, 0.045)
    dates = [p.end for p in periods]
    first = periods[0]
    lw, nlw = rates.lw(dates[0]), rates.nlw(dates[0])
    roster: dict[int, _Person] = {}
    first_apprentice = True
    for number, role in enumerate(_initial_roles(staff, rng), start=1):
        start = None
        if role == "apprentice":
            # The first apprentice started inside the first period; the others up to 15 months before.
            back = date.fromordinal(first.start.toordinal() - 450)
            start = (
                _day_in(first, rng)
                if first_apprentice
                else date.fromordinal(rng.randint(back.toordinal(), first.end.toordinal()))
            )
            first_apprentice = False
        roster[number] = _new_person(number, role, lw, nlw, plan.pays_lw(0), start, area, rng)
    history = [roster]
    next_number = staff + 1
    for t in range(1, len(periods)):
        before, after = dates[t - 1], dates[t]
        lw_before, lw, nlw = rates.lw(before), rates.lw(after), rates.nlw(after)
        previous = history[-1]
        current = dict(previous)
        # A contractor moves onto the payroll under the same reference, on the same pay.
        mover = None
        if t == plan.mover_at:
            contractors = [n for n in sorted(current) if current[n].basis == "contractor"]
            if contractors:
                mover = rng.choice(contractors)
                current[mover] = replace(current[mover], basis="direct", role="low")
        # Leavers: about 5% a quarter, at least one.
        candidates = [n for n in sorted(current) if n != mover]
        leavers = [n for n in candidates if rng.random() < 0.05]
        if not leavers and candidates:
            leavers = [rng.choice(candidates)]
        for n in leavers:
            del current[n]
        # Pay awards and the statutory minimum from each 1 April between the snapshots.
        aprils = sum(before < date(year, 4, 1) <= after for year in range(before.year, after.year + 1))
        for _ in range(aprils):
            for n in sorted(current):
                p = current[n]
                award = direct_award if p.basis == "direct" else rng.uniform(0.0, 0.03)
                current[n] = replace(p, rate=round(p.rate * (1 + award)))
        for n in sorted(current):
            p = current[n]
            rate = max(p.rate, nlw)
            if plan.pays_lw(t):
                if rate < lw:
                    uplift = rng.choice((0, 0, 0, 5, 10, 25)) if t == plan.accredit_at else 0
                    rate = lw + uplift
            elif previous[n].rate < lw_before and rate >= lw:
                rate = max(nlw, lw - rng.randint(5, 40))  # no uplift across the rate without a commitment
            current[n] = replace(p, rate=rate)
        # Joiners: about as many as left, at least one; an apprentice starts inside the period now and then.
        joiners = max(1, len(leavers) + rng.choice((-1, 0, 0, 1)))
        for j in range(joiners):
            role = "apprentice" if j == 0 and t == plan.apprentice_joins_at else _joiner_role(rng)
            start = _day_in(periods[t], rng) if role == "apprentice" else None
            current[next_number] = _new_person(next_number, role, lw, nlw, plan.pays_lw(t), start, area, rng)
            next_number += 1
        history.append(current)
    return history


# -- rendering -------------------------------------------------------------------------------------
def _record(p: _Person, snapshot: date, style: WorkforceStyle) -> list[str]:
    yes, no = style.yes_no
    words = style.direct_words if p.basis == "direct" else style.contractor_words
    values = {
        "employee_ref": style.ref(p.number),
        "snapshot_date": style.date_text(snapshot),
        "hourly_rate_gbp": style.money(p.rate),
        "weekly_hours": style.hours(p.hours),
        "employment_basis": words[p.word % len(words)],
        "is_apprentice": yes if p.role == "apprentice" else no,
        "apprenticeship_start_date": style.date_text(p.apprentice_start) if p.apprentice_start else "",
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
        record[col("home_postcode_district")] = f"{record[col('home_postcode_district')]} {_inward(rng)}"
    elif kind == "rate_out_of_range":
        record[col("hourly_rate_gbp")] = style.money(rng.choice((0, 150_000)))
    elif kind == "missing_employment_basis":
        record[col("employment_basis")] = ""
    elif kind == "bad_snapshot_date":
        # Month first, as a US-locale spreadsheet writes it: 12/31/2025 is no day-first date.
        record[col("snapshot_date")] = f"{snapshot.month:02d}/{snapshot.day:02d}/{snapshot.year}"
    else:  # pragma: no cover - the kinds come from WorkforceStyle.bad_kinds
        raise ValueError(kind)


def _preamble(member: Member, snapshot: date, style: WorkforceStyle) -> list[list[str]]:
    return [["Staff in Post - Hourly Rates"], [f"Organisation: {member.name}"],
            [f"As at: {style.date_text(snapshot)}"], []]  # fmt: skip


def _render(
    member: Member, style: WorkforceStyle, period: Period, roster: dict[int, _Person], seed: int
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
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=style.newline)
    writer.writerows(preamble)
    writer.writerow(style.headers)
    writer.writerows(records)
    entry = SampleFile(
        path=f"incoming/{member.id}/{RETURN_TYPE}_{period.key}.csv",
        member_id=member.id,
        return_type=RETURN_TYPE,
        period=period.key,
        data_rows=len(records),
        bad_rows=((first_line + planned[0], planned[1]),) if planned else (),
    )
    return out.getvalue().encode(style.encoding), entry


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
) -> list[tuple[str, bytes, SampleFile]]:
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
    rates = _Rates(_RateTable.load(cfg.living_wage_basis), _RateTable.load("national"))
    area = _area(cfg)
    files: list[tuple[str, bytes, SampleFile]] = []
    accrediting = 0
    for index, member in enumerate(cfg.members):
        if RETURN_TYPE not in cfg.expected_returns(member):
            continue
        style = workforce_style_for(member, index)
        profile = profile_for(member, index)
        plan = _plan(profile, accrediting, index, len(snapshots))
        accrediting += profile == "accrediting"
        history = _history(member, plan, snapshots, staff_per_member, rates, area, seed)
        for period, roster in zip(snapshots, history, strict=True):
            data, entry = _render(member, style, period, roster, seed)
            files.append((entry.path, data, entry))
    return files
