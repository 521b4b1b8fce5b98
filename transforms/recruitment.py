"""Recruitment facts: one row per job offer, holding only the coarse answers the KPIs count.

The reader has already reduced every answer to its band or group (an exact age or a detailed ethnic
answer never reaches here) and the file was refused if any header looked like names or staff numbers,
so a fact row holds no identifier: the offer and start dates, the programme, and the person's coarse
characteristics. That is still special-category data (ethnic group, disability) about a person a
colleague could recognise, so it is only ever published as suppressed aggregates
(``transforms.recruitment_kpis``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd
import pyarrow as pa

from transforms.spend import to_arrow

RECRUITMENT_FACT_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("row_number", pa.int64()),
        ("member_id", pa.string()),
        ("period", pa.string()),
        ("offer_date", pa.date32()),
        ("start_date", pa.date32()),
        ("programme_code", pa.string()),
        ("previously_unemployed", pa.bool_()),
        ("age_band", pa.string()),
        ("ethnic_group", pa.string()),
        ("disability", pa.string()),
        ("home_postcode_district", pa.string()),
        ("deprivation_decile", pa.int8()),
        ("still_in_post_6m", pa.bool_()),
    ]
)


def start_before_offer_problems(typed: pd.DataFrame) -> pd.DataFrame:
    """Rows whose start date comes before the offer date: one of the two dates is wrong."""
    start, offer = typed["start_date"], typed["offer_date"]
    bad = typed.index[(start.notna() & offer.notna() & (start < offer)).to_numpy()]
    return pd.DataFrame(
        {
            "row": bad.astype(int),
            "column": "start_date",
            "value": [typed.at[r, "start_date"].strftime("%d/%m/%Y") for r in bad],
            "reason": [
                f"The start date {typed.at[r, 'start_date']:%d/%m/%Y} is before the offer date "
                f"{typed.at[r, 'offer_date']:%d/%m/%Y}; check both dates."
                for r in bad
            ],
            "rule": "start_date:before_offer_date",
        }
    )


def offer_outside_programme_problems(
    typed: pd.DataFrame, programme_dates: Mapping[str, tuple[date, date]]
) -> pd.DataFrame:
    """Offers dated before the programme they name began or after it ended: the hire cannot be that
    programme's, so the date or the programme is wrong, and counted it would add to the programme's
    figures (offers against target, shares by group) people it never recruited."""
    offer = pd.to_datetime(typed["offer_date"])
    code = typed["programme_code"]
    begins = pd.to_datetime(code.map({c: start for c, (start, _) in programme_dates.items()}))
    ends = pd.to_datetime(code.map({c: end for c, (_, end) in programme_dates.items()}))
    outside = (offer < begins) | (offer > ends)  # false where either date is missing
    bad = typed.index[outside.to_numpy()]
    return pd.DataFrame(
        {
            "row": bad.astype(int),
            "column": "offer_date",
            "value": [offer[r].strftime("%d/%m/%Y") for r in bad],
            "reason": [
                f"The offer date {offer[r]:%d/%m/%Y} is outside the programme {code[r]}, which runs from "
                f"{begins[r]:%d/%m/%Y} to {ends[r]:%d/%m/%Y}; check the date or the programme code."
                for r in bad
            ],
            "rule": "offer_date:outside_programme",
        }
    )


def recruitment_facts(accepted: pd.DataFrame, submission_id: str, member_id: str, period: str) -> pa.Table:
    frame = accepted.copy()
    frame["submission_id"] = submission_id
    frame["row_number"] = accepted.index.astype("int64")
    frame["member_id"] = member_id
    frame["period"] = period
    frame["previously_unemployed"] = frame["previously_unemployed"].astype("boolean")
    frame["still_in_post_6m"] = frame["still_in_post_6m"].map({"yes": True, "no": False}).astype("boolean")
    frame["deprivation_decile"] = frame["deprivation_decile"].astype("Int8")
    for column in ("age_band", "ethnic_group", "disability", "programme_code", "home_postcode_district"):
        frame[column] = frame[column].astype(object)
    return to_arrow(frame.reset_index(drop=True), RECRUITMENT_FACT_SCHEMA)
