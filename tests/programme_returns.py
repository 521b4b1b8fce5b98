"""The sample network's programme figures worked out again from its raw files and config text alone.

With ``csv``, ``tomllib`` and arithmetic only (none of the pipeline's readers or KPI code), so the tests
that compare the warehouse (``test_programmes_sample``) and the report (``test_report_programmes``)
with these numbers check the pipeline against an independent reading of what members sent.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

ADJUSTMENTS = ("deadweight", "attribution", "displacement", "drop_off", "benefit_years")
LOWERING = ("deadweight", "attribution", "displacement", "drop_off")


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def financial_year(period: str) -> str:
    return period[:7]  # "2026-27-Q2" -> "2026-27"


# -- SROI -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgrammeInputs:
    outcomes: Counter[tuple[str, str]]  # (financial year, measure code) -> outcome
    invested: Counter[str]  # financial year -> GBP


def sroi_inputs(raw: Mapping[str, bytes], config: Mapping[str, Any], code: str) -> ProgrammeInputs:
    """A programme's outcomes and investment by financial year, from its measures rows and the config."""
    programme = next(p for p in config["programmes"] if p["code"] == code)
    outcomes: Counter[tuple[str, str]] = Counter()
    invested: Counter[str] = Counter()
    for entry in programme.get("investment", ()):
        invested[financial_year(entry["period"])] += entry["amount_gbp"]
    for path, data in raw.items():
        if not path.startswith("incoming/") or "/measures_" not in path:
            continue
        period = path.rsplit("measures_", 1)[1].removesuffix(".csv")
        for row in read_csv(data):
            if row.get("Programme Code") != code:
                continue
            if row["Measure Code"] == "programme_investment_gbp":
                invested[financial_year(period)] += float(row["Value"])
            else:
                outcomes[(financial_year(period), row["Measure Code"])] += float(row["Value"])
    return ProgrammeInputs(outcomes, invested)


def settings(measure: Mapping[str, Any], scenario: str) -> dict[str, float]:
    """A measure's adjustments in a scenario: central, <adjustment>_low|high, all_low|high, cautious, generous."""
    sroi = measure["sroi"]

    def at(end: str) -> dict[str, float]:
        return {name: sroi[name][end] for name in ADJUSTMENTS}

    if scenario == "central":
        return at("central")
    if scenario in ("all_low", "all_high"):
        return at(scenario.removeprefix("all_"))
    if scenario in ("cautious", "generous"):  # each adjustment at the end that lowers (raises) the ratio
        lower, upper = ("high", "low") if scenario == "cautious" else ("low", "high")
        return {
            **{name: sroi[name][lower] for name in LOWERING},
            "benefit_years": sroi["benefit_years"][upper],
        }
    name, _, end = scenario.rpartition("_")
    return {**at("central"), name: sroi[name][end]}


def present_value(outcome: float, proxy: float, a: Mapping[str, float], rate: float) -> float:
    claimed = outcome * proxy * (1 - a["deadweight"]) * (1 - a["displacement"]) * (1 - a["attribution"])
    return sum(
        claimed * (1 - a["drop_off"]) ** (n - 1) / (1 + rate) ** n
        for n in range(1, int(a["benefit_years"]) + 1)
    )


def social_value(
    inputs: ProgrammeInputs, config: Mapping[str, Any], years: Iterable[str], scenario: str
) -> float:
    """The present value of the outcomes of some financial years in a scenario."""
    catalogue = {m["code"]: m for m in config["measures"]}
    rate = config["sroi"]["discount_rate"]
    wanted = set(years)
    return sum(
        present_value(
            outcome, catalogue[code]["proxy_gbp_per_unit"], settings(catalogue[code], scenario), rate
        )
        for (year, code), outcome in inputs.outcomes.items()
        if year in wanted
    )


# -- recruitment ------------------------------------------------------------------------------------
NHS_GROUPS = {
    "Asian or Asian British": "asian",
    "Black or Black British": "black",
    "Mixed": "mixed",
    "White": "white",
    "Not stated": "not_stated",
}
HR_GROUPS = {
    "Asian or Asian British": "asian",
    "Black or Black British": "black",
    "Mixed or multiple ethnic groups": "mixed",
    "White": "white",
    "Other ethnic group": "other",
    "Prefer not to say": "not_stated",
}
BANDS = ((16, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 150))
YES, NO = ("Yes", "Y", "Disabled"), ("No", "N", "Not disabled")


def ethnic_group(text: str) -> str:
    if text in HR_GROUPS:
        return HR_GROUPS[text]
    family, _, detail = text.partition(" - ")
    if family == "Other Ethnic Groups":  # Chinese moved to the Asian group in the 2021 Census
        return "asian" if detail == "Chinese" else "other"
    return NHS_GROUPS[family]


def age_band(text: str) -> str:
    if text in ("", "Not stated"):
        return "not_stated"
    if text.isdigit():
        age = int(text)
        low, high = next(b for b in BANDS if b[0] <= age <= b[1])
        return f"{low}_plus" if high == 150 else f"{low}_{high}"
    return text.replace("-", "_").replace("+", "_plus")


def answer(text: str) -> str:
    """yes / no / not_stated, as the two sample systems write them."""
    return "yes" if text in YES else "no" if text in NO else "not_stated"


def parse_date(text: str) -> date | None:
    for layout in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            pass
    return None


def six_months_after(day: date) -> date:
    month = day.month + 6
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    while True:
        try:
            return date(year, month, day.day)
        except ValueError:
            day = day.replace(day=day.day - 1)


def offers(
    raw: Mapping[str, bytes], files: Iterable[Any], deciles: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Every offer the recruitment files carry, less their planted bad rows, in each group."""
    found = []
    for entry in files:
        if entry.return_type != "recruitment":
            continue
        bad = {line for line, _ in entry.bad_rows}
        rows = list(csv.reader(io.StringIO(raw[entry.path].decode("utf-8"))))
        for line, cells in enumerate(rows[1:], start=2):
            if line in bad:
                continue
            offer, start, programme, unemployed, age, ethnic, disability, home, retained = cells
            decile = int(home) if home.isdigit() else deciles.get(home)
            found.append(
                {
                    "member": entry.member_id,
                    "offer": parse_date(offer),
                    "start": parse_date(start),
                    "programme": programme,
                    "unemployed": answer(unemployed),
                    "age": age_band(age),
                    "ethnicity": ethnic_group(ethnic),
                    "disability": answer(disability),
                    "deprivation": "unknown"
                    if decile is None
                    else "deciles_1_2"
                    if decile <= 2
                    else "deciles_3_10",
                    "retained": {"Yes": True, "Y": True, "No": False, "N": False}.get(retained),
                }
            )
    return found


# Summary groups: the census's ethnic minority groups, under 25s and 55 and over.
SUMMARIES: dict[tuple[str, str], Callable[[dict[str, Any]], bool]] = {
    ("ethnicity", "ethnic_minority"): lambda o: o["ethnicity"] in ("asian", "black", "mixed", "other"),
    ("age", "under_25"): lambda o: o["age"] in ("16_17", "18_24"),
    ("age", "55_plus"): lambda o: o["age"] in ("55_64", "65_plus"),
}


def in_group(offer: Mapping[str, Any], dimension: str, group: str) -> bool:
    if (dimension, group) in SUMMARIES:
        return SUMMARIES[(dimension, group)](offer)  # type: ignore[arg-type]
    return offer[dimension] == group


def reached_six_months(found: Iterable[Mapping[str, Any]], end: date) -> list[Mapping[str, Any]]:
    """Offers whose six-month point has passed by ``end`` and whose still-in-post flag is known."""
    return [
        o for o in found if six_months_after(o["start"] or o["offer"]) <= end and o["retained"] is not None
    ]
