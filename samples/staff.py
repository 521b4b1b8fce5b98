"""The people behind the sample workforce snapshots: one roster per member, moved through time.

The Living Wage KPIs compare consecutive snapshots of the same people, so the sample keeps one roster
per member and moves it through time instead of drawing each snapshot afresh:

- the roster starts at the earliest period with ``staff`` people (about a quarter of them regular
  contractors: cleaning, catering, security) and numbers them 1, 2, 3... at every member, so the same
  raw reference names different people at different members;
- between snapshots a few people leave and a few join (new numbers), one contractor at each member
  moves onto the direct payroll under the same number, and new apprentices start inside the period;
- a 1 April between two snapshots brings the member's annual pay award and the new statutory National
  Living Wage (nobody is paid below it); a 1 May brings the new Living Wage;
- each member has a Living Wage *profile*: ``accredited`` members pay everybody (contractors and
  apprentices included) at least the Living Wage applying on every snapshot date; ``accrediting``
  members pay some staff below it until one snapshot (never the first), at which everyone below is
  uplifted to at least the rate applying then; ``never`` members never lift anybody across the rate
  (a pay award may not carry someone from below the old rate to the new one).

So under the registry's definition (``lw_uplifts``: present in this and the previous snapshot, below the rate
applying at the previous one, at or above the rate applying now) uplifts appear only at an accrediting
member's accreditation snapshot, and there they count every continuing person who was below the rate.

Everything comes from ``random.Random`` seeded with strings built from the seed (``Random(str)`` hashes
with SHA-512, not the randomised ``hash()``), never from the clock; rosters are dicts keyed by number
and always walked in sorted order.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from math import log
from typing import Literal

from pipeline.config import LocalArea, Member, NetworkConfig
from samples.postcodes import is_local, local_outward
from transforms.living_wage import rates_table
from transforms.periods import Period

Profile = Literal["accredited", "accrediting", "never"]
Basis = Literal["direct", "contractor"]
CONTRACTOR_ROLES = ("cleaning", "catering", "security")


# -- Living Wage rates -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RateTable:
    """Rates in pence by the date they apply from, from the project's one rates table."""

    starts: tuple[date, ...]
    pence: tuple[int, ...]
    basis: str

    @classmethod
    def load(cls, basis: str) -> RateTable:
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
class LivingWageRates:
    """The voluntary Living Wage the network measures against, and the statutory floor under it."""

    living: RateTable
    national: RateTable

    @classmethod
    def load(cls, basis: str) -> LivingWageRates:
        return cls(RateTable.load(basis), RateTable.load("national"))

    def lw(self, day: date) -> int:
        return self.living.on(day)

    def nlw(self, day: date) -> int:
        return self.national.on(day)


# -- Living Wage profiles --------------------------------------------------------------------------
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


def profile_for(member: Member, index: int) -> Profile:
    """The member's own profile if it is one of the London example's, else one by position."""
    return PROFILES.get(member.id) or _PROFILE_ROTATION[index % len(_PROFILE_ROTATION)]


# -- people ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """One person on a member's roster at one snapshot; the export decides how each field is written."""

    number: int
    role: str  # core, low (low-paid direct), apprentice, or a contractor role
    basis: Basis
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
class HomeArea:
    """Where staff live: mostly inside the network's area, some in its commuter belt, a few unknown."""

    local: LocalArea
    commuter: tuple[str, ...]

    def district(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.07:
            return ""
        if roll < 0.72 or not self.commuter:
            return local_outward(self.local, rng)
        return rng.choice(self.commuter)


def home_area(cfg: NetworkConfig) -> HomeArea:
    """The network's home area; the commuter belt follows its Living Wage basis (London or not)."""
    pool = _COMMUTER_LONDON if cfg.living_wage_basis == "london" else _COMMUTER_OTHER
    return HomeArea(cfg.local_area, tuple(d for d in pool if not is_local(d, cfg.local_area)))


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
    area: HomeArea,
    rng: random.Random,
) -> Person:
    return Person(
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


def plan_for(profile: Profile, accrediting_ordinal: int, member_index: int, snapshots: int) -> MemberPlan:
    """Spread the events over the snapshots by position, so accrediting members accredit at different
    snapshots and every transition between snapshots sees a mover and a new apprentice somewhere."""
    later = snapshots - 1  # transitions available after the first snapshot
    accredit_at = 1 + accrediting_ordinal % later if profile == "accrediting" and later else None
    return MemberPlan(
        profile=profile,
        accredit_at=accredit_at,
        mover_at=1 + (member_index + 1) % later if later else None,
        apprentice_joins_at=1 + member_index % later if later else None,
    )


def roster_history(
    member: Member,
    plan: MemberPlan,
    periods: Sequence[Period],
    staff: int,
    rates: LivingWageRates,
    area: HomeArea,
    seed: int,
) -> list[dict[int, Person]]:
    """The member's roster at each snapshot (period end), people keyed by their number."""
    rng = random.Random(f"{seed}/workforce/{member.id}")
    direct_award = rng.uniform(0.025, 0.045)
    dates = [p.end for p in periods]
    first = periods[0]
    lw, nlw = rates.lw(dates[0]), rates.nlw(dates[0])
    roster: dict[int, Person] = {}
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
