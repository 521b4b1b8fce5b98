"""Deterministic sample recruitment returns, and the reference tables the recruitment KPIs compare with.

Members whose returns include ``recruitment`` (in the London example an NHS trust and a council, the
partners of the inclusive recruitment programme) send one file per quarter, one row per job offer: a
few dozen offers a quarter each, a few hundred over the year. While a recruitment programme of theirs
runs, every offer they report belongs to it (the return is the programme's; offers outside one are
left blank, as before it starts); the shares of ethnic group, age, disability and deprivation are those
of a programme aimed at under-represented groups in inner London.

The files are as they stand at the end of the last period generated, after members have resent earlier
quarters with "still in post after six months" filled in: the flag is given when six months have passed
since the start date by then, and blank otherwise. Each member exports in its own system's style (an
applicant-tracking export with the NHS's detailed ethnic categories and home postcode districts; an HR
export with exact ages, high-level groups and deprivation deciles), so the readers meet both. One file
carries a planted full home postcode, recorded in its manifest entry as the only bad row.

Also writes the network's reference tables: the area's population shares and the deprivation decile of
each postcode district. Their figures are EXAMPLES, labelled so in their source column: a network
supplies its own (ONS Census 2021 tables, the English Indices of Deprivation).

Every value comes from ``random.Random`` seeded with strings built from the seed, never from the clock.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.config import Member, NetworkConfig
from samples.manifest import DEFAULT_PERIODS, SampleFile
from transforms.periods import Period

RETURN_TYPE = "recruitment"
MIN_ROWS_FOR_BAD_ROW = 25
POPULATION_SOURCE = (
    "EXAMPLE ONLY: illustrative shares for Greater London, rounded from ONS Census 2021 (TS021 ethnic "
    "group; age and disability approximate); check against the published tables before use"
)
DEPRIVATION_SOURCE = (
    "EXAMPLE ONLY: invented deciles for the demo network, not the English Indices of Deprivation"
)

# Shares of offers (weights) in the programme and outside it.
_ETHNIC = {"asian": 26, "black": 30, "mixed": 7, "white": 29, "other": 5, "refused": 3}
_ETHNIC_OUTSIDE = {"asian": 20, "black": 14, "mixed": 5, "white": 55, "other": 4, "refused": 2}
_AGE = {"16-17": 2, "18-24": 19, "25-34": 30, "35-44": 20, "45-54": 15, "55-64": 11, "65+": 2, "refused": 1}
_DISABILITY = {"yes": 35, "no": 58, "refused": 7}
_DISABILITY_OUTSIDE = {"yes": 12, "no": 82, "refused": 6}
_DECILE = {1: 18, 2: 20, 3: 15, 4: 12, 5: 10, 6: 8, 7: 6, 8: 5, 9: 3, 10: 3}

# How each system writes the answers (every spelling a file can carry is listed here).
NHS_ETHNIC = {
    "asian": (
        "Asian or Asian British - Bangladeshi",
        "Asian or Asian British - Indian",
        "Asian or Asian British - Pakistani",
        "Other Ethnic Groups - Chinese",
        "Asian or Asian British - Any other Asian background",
    ),
    "black": (
        "Black or Black British - African",
        "Black or Black British - Caribbean",
        "Black or Black British - Any other Black background",
    ),
    "mixed": (
        "Mixed - White and Black Caribbean",
        "Mixed - White and Black African",
        "Mixed - White and Asian",
        "Mixed - Any other mixed background",
    ),
    "white": ("White - British", "White - Irish", "White - Any other White background"),
    "other": ("Other Ethnic Groups - Any other ethnic group",),
    "refused": ("Not stated",),
}
HR_ETHNIC = {
    "asian": ("Asian or Asian British",),
    "black": ("Black or Black British",),
    "mixed": ("Mixed or multiple ethnic groups",),
    "white": ("White",),
    "other": ("Other ethnic group",),
    "refused": ("Prefer not to say",),
}
NHS_DISABILITY = {"yes": "Yes", "no": "No", "refused": "Not declared"}
HR_DISABILITY = {"yes": "Disabled", "no": "Not disabled", "refused": "Prefer not to say"}
NHS_AGE = {
    "16-17": "16-17",
    "18-24": "18-24",
    "25-34": "25-34",
    "35-44": "35-44",
    "45-54": "45-54",
    "55-64": "55-64",
    "65+": "65+",
    "refused": "Not stated",
}
_AGE_RANGES = {
    "16-17": (16, 17),
    "18-24": (18, 24),
    "25-34": (25, 34),
    "35-44": (35, 44),
    "45-54": (45, 54),
    "55-64": (55, 64),
    "65+": (65, 70),
}

# Postcode districts near the example trust, with invented deciles; a few homes fall outside the table.
DISTRICT_DECILES = {
    "SE1": 3,
    "SE5": 2,
    "SE8": 2,
    "SE11": 3,
    "SE14": 2,
    "SE15": 1,
    "SE16": 3,
    "SE17": 1,
    "SE4": 4,
    "SE6": 3,
    "SE13": 4,
    "SE19": 5,
    "SE20": 5,
    "SE22": 6,
    "SE23": 5,
    "SE24": 6,
    "SE25": 4,
    "SE26": 6,
    "SE27": 4,
    "SE21": 8,
    "CR0": 4,
    "CR7": 3,
    "BR3": 7,
    "E1": 2,
    "E14": 3,
    "N1": 4,
}
_OUTSIDE_TABLE = ("DA1", "KT1", "TN15")


@dataclass(frozen=True)
class RecruitmentStyle:
    headers: tuple[str, ...]  # offer, start, programme, unemployed, age, ethnic, disability, home, retained
    dates: str  # strftime layout
    system: str  # "applicant_tracking" (NHS-style) | "hr" (exact ages, deciles)


APPLICANT_TRACKING = RecruitmentStyle(
    (
        "Offer Date",
        "Start Date",
        "Programme",
        "Previously Unemployed",
        "Age Group",
        "Ethnicity",
        "Disability Status",
        "Home Postcode",
        "Still in post after 6 months",
    ),
    "%d/%m/%Y",
    "applicant_tracking",
)
HR_EXPORT = RecruitmentStyle(
    (
        "Date of offer",
        "Employment start date",
        "Scheme code",
        "Unemployed before offer",
        "Age at offer",
        "Ethnic group",
        "Disabled",
        "IMD decile",
        "Retained 6 months",
    ),
    "%Y-%m-%d",
    "hr",
)


def style_for(member: Member) -> RecruitmentStyle:
    return APPLICANT_TRACKING if member.sector.value == "nhs" else HR_EXPORT


def _offers_per_quarter(member: Member) -> int:
    return {"nhs": 45, "local_government": 30}.get(member.sector.value, 20)


def _pick(weights: dict, rng: random.Random):  # type: ignore[no-untyped-def]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _six_months_after(day: date) -> date:
    month = day.month + 6
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _programme_for(cfg: NetworkConfig, member: Member, period: Period) -> str | None:
    for programme in cfg.programmes:
        if programme.recruitment and member.id in programme.members and programme.covers(period.key):
            return programme.code
    return None


def _row(
    style: RecruitmentStyle,
    period: Period,
    programme: str | None,
    as_of: date,
    rng: random.Random,
) -> tuple[date, list[str]]:
    """An offer's date and its cells as the member's system writes them."""
    days = (period.end - period.start).days
    offer = period.start + timedelta(days=rng.randint(0, days))
    in_programme = programme is not None
    unemployed = rng.random() < (0.95 if in_programme else 0.2)
    start = offer + timedelta(days=rng.randint(14, 56)) if rng.random() < 0.9 else None
    if start is not None and start > as_of:
        start = None
    retained = ""
    if start is not None and _six_months_after(start) <= as_of:
        retained = "Yes" if rng.random() < 0.9 else "No"
    ethnic = _pick(_ETHNIC if in_programme else _ETHNIC_OUTSIDE, rng)
    age = _pick(_AGE, rng)
    disability = _pick(_DISABILITY if in_programme else _DISABILITY_OUTSIDE, rng)
    decile = _pick(_DECILE, rng)
    if style.system == "applicant_tracking":
        ethnic_text = rng.choice(NHS_ETHNIC[ethnic])
        age_text = NHS_AGE[age]
        disability_text = NHS_DISABILITY[disability]
        districts = [d for d, dec in DISTRICT_DECILES.items() if dec == decile] or list(_OUTSIDE_TABLE)
        home = rng.choice(districts) if rng.random() < 0.93 else rng.choice(_OUTSIDE_TABLE)
        retained_text = retained
        unemployed_text = "Yes" if unemployed else "No"
    else:
        ethnic_text = HR_ETHNIC[ethnic][0]
        age_text = "" if age == "refused" else str(rng.randint(*_AGE_RANGES[age]))
        disability_text = HR_DISABILITY[disability]
        home = str(decile) if rng.random() < 0.95 else ""
        retained_text = {"Yes": "Y", "No": "N"}.get(retained, "")
        unemployed_text = "Y" if unemployed else "N"
    return offer, [
        offer.strftime(style.dates),
        start.strftime(style.dates) if start else "",
        programme if in_programme and programme else "",
        unemployed_text,
        age_text,
        ethnic_text,
        disability_text,
        home,
        retained_text,
    ]


def recruitment_files(
    cfg: NetworkConfig, periods: Sequence[str] = DEFAULT_PERIODS, seed: int = 2025
) -> list[tuple[str, bytes, SampleFile]]:
    """(bucket path, bytes, manifest entry) of every recruitment return of every member that sends one."""
    if RETURN_TYPE not in cfg.returns or not periods:
        return []
    quarters = sorted({q for key in periods for q in Period.parse(key).quarters()})
    as_of = quarters[-1].end
    if cfg.returns[RETURN_TYPE].frequency == "yearly":
        quarters = sorted({q.financial_year for q in quarters})
    out = []
    planted = False
    for member in cfg.members:
        if RETURN_TYPE not in cfg.expected_returns(member):
            continue
        style = style_for(member)
        for period in quarters:
            rng = random.Random(f"{seed}:recruitment:{member.id}:{period.key}")
            n = max(1, round(_offers_per_quarter(member) * len(period.quarters()) * rng.uniform(0.8, 1.2)))
            programme = _programme_for(cfg, member, period)
            offers = sorted(
                (_row(style, period, programme, as_of, rng) for _ in range(n)), key=lambda o: o[0]
            )
            rows = [cells for _, cells in offers]
            bad: tuple[tuple[int, str], ...] = ()
            if not planted and style.system == "applicant_tracking" and n >= MIN_ROWS_FOR_BAD_ROW:
                index = rng.randrange(n)
                rows[index][7] = (
                    f"{rows[index][7] or 'SE15'} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                )
                bad = ((index + 2, "full_home_postcode"),)  # the header is line 1
                planted = True
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(style.headers)
            writer.writerows(rows)
            path = f"incoming/{member.id}/{RETURN_TYPE}_{period.key}.csv"
            out.append(
                (
                    path,
                    buffer.getvalue().encode("utf-8"),
                    SampleFile(path, member.id, RETURN_TYPE, period.key, n, bad),
                )
            )
    return out


def reference_files(cfg: NetworkConfig) -> list[tuple[str, bytes]]:
    """The population shares and the district deciles the recruitment KPIs compare with (EXAMPLE figures)."""
    if RETURN_TYPE not in cfg.returns:
        return []
    population = [
        ("ethnicity", "asian", 20.7),
        ("ethnicity", "black", 13.5),
        ("ethnicity", "mixed", 5.7),
        ("ethnicity", "white", 53.8),
        ("ethnicity", "other", 6.3),
        ("age", "16_17", 2.4),
        ("age", "18_24", 10.5),
        ("age", "25_34", 22.0),
        ("age", "35_44", 19.0),
        ("age", "45_54", 16.0),
        ("age", "55_64", 13.0),
        ("age", "65_plus", 17.1),
        ("disability", "yes", 13.2),
        ("deprivation", "deciles_1_2", 17.0),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["dimension", "group", "share_pct", "source"])
    writer.writerows((d, g, v, POPULATION_SOURCE) for d, g, v in population)
    deciles = io.StringIO()
    writer = csv.writer(deciles, lineterminator="\r\n")
    writer.writerow(["district", "decile", "source"])
    writer.writerows((d, v, DEPRIVATION_SOURCE) for d, v in sorted(DISTRICT_DECILES.items()))
    return [
        (cfg.reference.population, buffer.getvalue().encode("utf-8")),
        (cfg.reference.deprivation_by_district, deciles.getvalue().encode("utf-8")),
    ]
