"""The workforce return through the rejection contract: aliases, synonyms, warnings, no personal data echoed."""

from __future__ import annotations

from pathlib import Path

from pipeline.steps.checking import check_return
from pipeline.steps.ingest import ingest
from transforms.periods import Period
from transforms.return_types import WORKFORCE

HEADER = (
    "Staff ID,As At Date,Basic Hourly Rate,Contracted Hours,Employment Type,Apprentice,Home Postcode District"
)


def _file(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _people(n: int, rate: str = "£15.00") -> list[str]:
    return [f"S{i:04d},30/09/2025,{rate},37.5,Employee,No,SE{i % 20 + 1}" for i in range(n)]


def test_aliases_and_synonyms_are_understood() -> None:
    rows = [*_people(30), "S9001,30/09/2025,12.00,20,Agency,,", "S9002,30/09/2025,14.00,30,Direct,Yes,E1"]
    check = check_return(_file(rows), "workforce_2025-26-Q2.csv", WORKFORCE, Period.parse("2025-26-Q2"))
    assert check.status == "accepted" and check.rows_accepted == 32
    assert check.accepted["employment_basis"].value_counts().to_dict() == {"direct": 31, "contractor": 1}
    assert check.accepted["is_apprentice"].sum() == 1


def test_pay_below_the_legal_minimum_is_loaded_with_a_warning() -> None:
    rows = [*_people(30), "S9001,30/09/2025,11.50,20,Direct,No,SE1"]
    check = check_return(_file(rows), "workforce_2025-26-Q2.csv", WORKFORCE, Period.parse("2025-26-Q2"))
    assert check.status == "accepted" and check.rows_accepted == 31
    [warning] = check.warnings.to_dict("records")
    assert (
        warning["row"] == 32 and "National Living Wage" in warning["reason"] and "£12.21" in warning["reason"]
    )


def test_personal_values_are_never_echoed_in_problems() -> None:
    rows = [
        *_people(40),
        "S0001,30/09/2025,15.00,37.5,Employee,No,SE1",
        "SECRET-REF,30/09/2025,15,37.5,Direct,No,SE15 4QT",
        "SECRET-RAN-TOGETHER 15.00",
    ]
    check = check_return(_file(rows), "workforce_2025-26-Q2.csv", WORKFORCE, Period.parse("2025-26-Q2"))
    text = check.problems.to_csv()
    assert len(check.problems) == 3
    assert "S0001" not in text and "SECRET" not in text and "SE15 4QT" not in text
    assert set(check.problems["value"]) == {"(not shown: personal data)"}


def test_feedback_lists_warnings_separately(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(
        "incoming/fleetside-council/workforce_2025-26-Q2.csv",
        _file([*_people(30), "S9001,30/09/2025,11.50,20,Direct,No,SE1"]),
    )
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted" and outcome["rows_loaded"] == 31
    html = network.bucket.read(outcome["feedback_path"]).decode()
    assert "Worth checking" in html and "below the statutory National Living Wage" in html
