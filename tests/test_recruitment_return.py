"""The recruitment return through the rejection contract: answers read into census groups and age bands,
full postcodes and identifying columns refused, nothing personal echoed, and an ingest into the warehouse."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from pipeline.config import load_config
from pipeline.steps.checking import check_return, network_rules
from pipeline.steps.ingest import ingest
from transforms.coercion import PERSONAL_VALUE
from transforms.identifiers import identifying_kind
from transforms.periods import Period
from transforms.recruitment_answers import age_band_of, disability_of, ethnic_group_of
from transforms.return_types import RECRUITMENT, RETURN_TYPES
from warehouse.schema import fact_recruitment, submissions

Q3 = Period.parse("2025-26-Q3")  # the sample programme began on 1 October 2025
HEADER = "Offer Date,Start Date,Programme,Previously Unemployed,Age,Ethnicity,Disability,Home Postcode,IMD Decile,Still in post"


def _file(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _good(n: int) -> list[str]:
    return [f"{d % 28 + 1:02d}/10/2025,,inclusive-recruitment,Yes,25-34,Indian,No,SE15,," for d in range(n)]


def _check(data: bytes, name: str = "recruitment_2025-26-Q3.csv"):  # type: ignore[no-untyped-def]
    return check_return(data, name, RECRUITMENT, Q3, rules=network_rules(load_config(), "recruitment"))


@pytest.mark.parametrize(
    ("answer", "band"),
    [
        ("18-24", "18-24"),
        ("18 to 24 years", "18-24"),
        ("Aged 21-24", "18-24"),
        ("23", "18-24"),
        ("65 and over", "65+"),
        ("over 70", "65+"),
        ("Under 18", "16-17"),
        ("Prefer not to say", "prefer not to say"),
        ("16-24", None),  # spans two bands: it cannot be split
        ("50+", None),
        ("12", None),
    ],
)
def test_age_answers_fall_in_their_band(answer: str, band: str | None) -> None:
    assert age_band_of(answer.lower()) == band


@pytest.mark.parametrize(
    ("answer", "group"),
    [
        ("bangladeshi", "asian"),
        ("asian or asian british - any other asian background", "asian"),
        ("other ethnic groups - chinese", "asian"),  # the NHS's older category; Asian in the 2021 Census
        ("black british", "black"),
        ("caribbean", "black"),
        ("white and black caribbean", "mixed"),
        ("mixed - any other mixed background", "mixed"),
        ("white - irish", "white"),
        ("gypsy or irish traveller", "white"),
        ("english, welsh, scottish, northern irish or british", "white"),
        ("arab", "other"),
        ("any other ethnic group", "other"),
        ("not stated", "prefer not to say"),
        ("bame", None),  # not a census group
    ],
)
def test_detailed_ethnic_answers_fall_in_the_census_high_level_group(answer: str, group: str | None) -> None:
    assert ethnic_group_of(answer) == group


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("yes", "yes"),
        ("disabled", "yes"),
        ("no", "no"),
        ("not disabled", "no"),
        ("i do not consider myself disabled", "no"),
        ("non-disabled", "no"),
        ("prefer not to say", "prefer not to say"),
        ("not declared", "prefer not to say"),
    ],
)
def test_disability_answers(answer: str, value: str) -> None:
    assert disability_of(answer) == value


def test_an_hr_export_is_read_into_coarse_values_only() -> None:
    header = "Date of offer,Employment start date,Scheme code,Unemployed before offer,Age at offer,Ethnic group,Disabled,IMD decile,Retained 6 months"
    rows = [
        f"2025-10-{d % 28 + 1:02d},2025-11-20,Inclusive Recruitment,Y,{20 + d % 40},Pakistani,Not disabled,{d % 10 + 1},Y"
        for d in range(30)
    ]
    check = _check(_file(rows, header))
    assert check.status == "accepted" and check.rows_accepted == 30, check.problems
    accepted = check.accepted
    assert set(accepted["programme_code"]) == {"inclusive-recruitment"}  # "Inclusive Recruitment" as a code
    assert set(accepted["ethnic_group"]) == {"asian"} and set(accepted["disability"]) == {"no"}
    # Exact ages never survive the reader: only their bands do.
    assert set(accepted["age_band"]) <= {"18-24", "25-34", "35-44", "45-54", "55-64"}
    assert accepted["previously_unemployed"].all() and set(accepted["still_in_post_6m"]) == {"yes"}


def test_a_full_home_postcode_is_refused_with_a_reason_and_never_echoed() -> None:
    rows = [*_good(40), "15/10/2025,,,No,25-34,White,No,SE15 4QT,,"]
    check = _check(_file(rows))
    assert check.status == "accepted" and check.rows_accepted == 40
    [problem] = check.problems.to_dict("records")
    assert problem["row"] == 42 and problem["column"] == "home_postcode_district"
    assert (
        "Send only the district" in problem["reason"] and "SE15" in problem["reason"]
    )  # the example, not the value
    assert problem["value"] == PERSONAL_VALUE
    assert "4QT" not in check.problems.to_csv()


def test_bad_answers_are_refused_row_by_row_without_echoing_them() -> None:
    rows = [
        *_good(60),
        "15/10/2025,,,No,16-24,BAME,Sometimes,E1,11,Maybe",  # row 62: five unusable answers
        "15/10/2025,01/10/2025,,No,25-34,White,No,E1,,",  # row 63: starts before the offer
        "15/01/2026,,,No,25-34,White,No,E1,,",  # row 64: offer outside the quarter
        "15/10/2025,,green-spaces,No,25-34,White,No,E1,,",  # row 65: not a recruitment programme
        "15/10/2025,,,,25-34,White,No,E1,,",  # row 66: previously unemployed left blank
    ]
    check = _check(_file(rows))
    assert check.status == "quarantined"  # 5 bad rows of 65 is more than the 5% tolerance
    problems = check.problems.set_index(["row", "column"])["reason"]
    assert {c for r, c in problems.index if r == 62} == {
        "age_band",
        "ethnic_group",
        "disability",
        "deprivation_decile",
        "still_in_post_6m",
    }
    assert "spans two bands" in problems[(62, "age_band")]
    assert "census's high-level groups" in problems[(62, "ethnic_group")]
    assert "before the offer date" in problems[(63, "start_date")]
    assert "outside the return's period" in problems[(64, "offer_date")]
    assert "not one of this network's recruitment programmes" in problems[(65, "programme_code")]
    assert "inclusive-recruitment" in problems[(65, "programme_code")]
    assert "Previously unemployed is blank" in problems[(66, "previously_unemployed")]
    text = check.problems.to_csv()
    for secret in ("BAME", "Sometimes", "Maybe"):
        assert secret not in text
    personal = check.problems[check.problems["column"].map(lambda c: RECRUITMENT.columns[c].personal)]
    assert set(personal["value"]) == {PERSONAL_VALUE}


def test_an_offer_outside_the_programmes_dates_is_refused_row_by_row() -> None:
    """The sample programme began on 1 October 2025: a July offer naming it cannot be its hire."""
    quarter = Period.parse("2025-26-Q2")
    rows = [
        *(f"{d % 28 + 1:02d}/07/2025,,,Yes,25-34,Indian,No,SE15,," for d in range(40)),
        "15/07/2025,,inclusive-recruitment,Yes,25-34,Indian,No,SE15,,",  # row 42: before it began
    ]
    check = check_return(
        _file(rows),
        "recruitment_2025-26-Q2.csv",
        RECRUITMENT,
        quarter,
        rules=network_rules(load_config(), "recruitment"),
    )
    assert check.status == "accepted" and check.rows_rejected == 1
    [problem] = check.problems.itertuples(index=False)
    assert (problem.row, problem.column, problem.rule) == (42, "offer_date", "offer_date:outside_programme")
    assert "15/07/2025 is outside the programme inclusive-recruitment" in problem.reason
    assert "01/10/2025 to 31/03/2027" in problem.reason


@pytest.mark.parametrize(
    "header",
    [
        "Candidate Name",
        "Surname",
        "Staff ID",
        "EmployeeNo",
        "Payroll Number",
        "Applicant e-mail",
        "NI Number",
        "DOB",
    ],
)
def test_a_column_that_identifies_people_refuses_the_whole_file(header: str) -> None:
    rows = [f"{d % 28 + 1:02d}/10/2025,SECRET-{d},Yes" for d in range(30)]
    check = _check(_file(rows, f"Offer Date,{header},Previously Unemployed"))
    assert check.status == "quarantined" and check.rows_read == 30 and check.rows_accepted == 0
    assert f"'{header}' looks like" in check.file_reason
    assert "could identify people" in check.file_reason and "Delete those columns" in check.how_to_fix
    assert "SECRET" not in check.file_reason + check.how_to_fix + check.problems.to_csv()


def test_no_header_the_recruitment_return_knows_looks_identifying() -> None:
    for return_type in RETURN_TYPES.values():
        if not return_type.anonymous:
            continue
        for name, spec in return_type.columns.items():
            for header in (name, spec.label, *spec.aliases):
                assert identifying_kind(header) is None, header
    # Things with names and references of their own are not people.
    for header in ("Programme Name", "Job Reference", "Employer Name", "Staff Group", "Vacancy ID"):
        assert identifying_kind(header) is None, header


def test_measures_rows_name_programmes_once_per_measure_and_programme() -> None:
    from transforms.return_types import MEASURES

    text = (
        "Measure Code,Value,Unit,Programme Code\n"
        "trees_planted,120,trees,Green Spaces\n"  # row 2: the code as people write it
        "trees_planted,30,trees,\n"  # row 3: outside any programme, a row of its own
        "trees_planted,10,trees,green-spaces\n"  # row 4: the same measure and programme again
        "mentees_matched,3,people,green-spaces\n"  # row 5: not one of the programme's measures
        "programme_investment_gbp,40000,GBP,\n"  # row 6: investment must name its programme
        "programme_investment_gbp,40000,GBP,green-space\n"  # row 7: no such programme
    )
    check = check_return(
        text.encode(),
        "measures_2025-26-Q3.csv",
        MEASURES,
        Period.parse("2025-26-Q3"),
        rules=network_rules(load_config(), "measures"),
    )
    problems = check.problems.set_index(["row", "column"])["reason"]
    assert set(problems.index) == {
        (4, "measure_code"),
        (5, "measure_code"),
        (6, "programme_code"),
        (7, "programme_code"),
    }
    assert "first on row 2" in problems[(4, "measure_code")]
    assert "not one of the measures of programme green-spaces" in problems[(5, "measure_code")]
    assert "give the programme's code" in problems[(6, "programme_code")]
    assert "Did you mean 'green-spaces'?" in problems[(7, "programme_code")]


@pytest.mark.parametrize(
    ("quarter", "refused"),
    [
        ("2025-26-Q2", True),  # July to September 2025: the programme began on 1 October 2025
        ("2025-26-Q3", False),  # its first quarter
        ("2026-27-Q2", False),  # its last quarter: it ends on 30 September 2026
        ("2026-27-Q3", True),  # after it ended
    ],
)
def test_a_measures_row_naming_a_programme_outside_its_dates_is_refused(quarter: str, refused: bool) -> None:
    from transforms.return_types import MEASURES

    text = "Measure Code,Value,Unit,Programme Code\ntrees_planted,120,trees,green-spaces\ntrees_planted,30,trees,\n"
    check = check_return(
        text.encode(),
        f"measures_{quarter}.csv",
        MEASURES,
        Period.parse(quarter),
        rules=network_rules(load_config(), "measures"),
    )
    problems = check.problems.set_index(["row", "column"])
    assert set(problems.index) == ({(2, "programme_code")} if refused else set())
    if refused:
        reason = problems.loc[(2, "programme_code"), "reason"]
        assert "green-spaces runs from 01/10/2025 to 30/09/2026, outside this return's period" in reason
        assert problems.loc[(2, "programme_code"), "rule"] == "programme_code:outside_programme_dates"


def test_ingest_loads_coarse_facts_and_a_resend_fills_in_retention(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    rows = [
        f"{d % 28 + 1:02d}/10/2025,{d % 28 + 1:02d}/11/2025,inclusive-recruitment,Yes,{18 + d % 30},Black African,No,SE{d % 20 + 1},,"
        for d in range(29)
    ]
    first = _file([*rows, "30/10/2025,,,No,45-54,White British,Yes,,2,"])
    path = "incoming/st-aldrics-nhs/recruitment_2025-26-Q3.csv"
    network.bucket.write(path, first)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted" and outcome["rows_loaded"] == 30, outcome
    with network.engine.connect() as conn:
        facts = pd.DataFrame(conn.execute(select(fact_recruitment)).mappings().all())
    assert len(facts) == 30 and set(facts["member_id"]) == {"st-aldrics-nhs"}
    assert set(facts["ethnic_group"]) == {"black", "white"} and facts["still_in_post_6m"].isna().all()
    assert set(facts["age_band"]) <= {"18-24", "25-34", "35-44", "45-54"}
    assert (
        facts["programme_code"].isna().sum() == 1 and int(facts["deprivation_decile"].dropna().iloc[0]) == 2
    )
    lake = network.lake.list_files("recruitment")
    assert len(lake) == 1

    # Six months on, the same file name comes back with the flags filled in: it replaces the first.
    resent = _file([r + "Yes" for r in rows] + ["30/10/2025,,,No,45-54,White British,Yes,,2,No"])
    network.bucket.write(path, resent)
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    with network.engine.connect() as conn:
        flags = list(conn.execute(select(fact_recruitment.c.still_in_post_6m)).scalars())
        statuses = sorted(conn.execute(select(submissions.c.status)).scalars())
    assert len(flags) == 30 and flags.count(True) == 29 and flags.count(False) == 1
    assert statuses == ["accepted", "superseded"]


def test_a_file_with_names_is_held_back_and_its_feedback_carries_no_names(
    make_network, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    rows = [f"{d % 28 + 1:02d}/10/2025,Jane Doe {d},Yes" for d in range(10)]
    network.bucket.write(
        "incoming/kingsbridge-council/recruitment_2025-26-Q3.csv",
        _file(rows, "Offer Date,Full Name,Previously Unemployed"),
    )
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined" and outcome["rows_read"] == outcome["rows_rejected"] == 10
    feedback = html.unescape(network.bucket.read(outcome["feedback_path"]).decode())
    assert "'Full Name' looks like people's names" in feedback and "Jane" not in feedback
    with network.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fact_recruitment)).scalar() == 0


def test_members_outside_the_programme_are_not_expected_to_send_it(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write("incoming/lumen-energy/recruitment_2025-26-Q3.csv", _file(_good(3)))
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined"
    assert "is not a return your organisation sends" in outcome["message"]
