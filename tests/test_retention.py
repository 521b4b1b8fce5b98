"""Raw files past the network's retention setting: which originals the deletion step may remove."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from transforms.retention import raw_files_past_retention, return_type_of

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _entry(path: str, days_old: float) -> dict:
    return {"path": path, "modified": NOW - timedelta(days=days_old), "size": 1}


def test_only_originals_of_returns_with_a_retention_setting_older_than_it_are_listed() -> None:
    files = [
        _entry("archive/st-aldrics-nhs/ab12/recruitment_2025-26-Q3.csv", 91),  # past 90 days
        _entry("archive/st-aldrics-nhs/cd34/recruitment_2025-26-Q4.csv", 89),  # not yet
        _entry("quarantine/kingsbridge-council/0123456789abcdef_recruitment_2025-26-Q3.xlsx", 120),
        _entry("archive/kingsbridge-council/ef56/spend_2025-26-Q3.csv", 400),  # spend is kept for good
        _entry("feedback/st-aldrics-nhs/2025-26-Q3/recruitment_2025-26-Q3.0123.csv", 400),  # not raw
    ]
    keep = {"spend": None, "recruitment": 90}
    assert raw_files_past_retention(files, keep, NOW) == [
        "archive/st-aldrics-nhs/ab12/recruitment_2025-26-Q3.csv",
        "quarantine/kingsbridge-council/0123456789abcdef_recruitment_2025-26-Q3.xlsx",
    ]


def test_a_file_whose_name_says_no_return_type_gets_the_shortest_retention() -> None:
    """'hires.xlsx' was refused for its name, but nobody can tell it holds no special-category data."""
    files = [
        _entry("archive/st-aldrics-nhs/ab12/hires.xlsx", 31),
        _entry("archive/x/ab/returns_2025-26.csv", 29),
    ]
    assert raw_files_past_retention(files, {"spend": None, "recruitment": 30, "workforce": 400}, NOW) == [
        "archive/st-aldrics-nhs/ab12/hires.xlsx"
    ]
    # Without any retention setting nothing is ever listed (the archive keeps originals for good).
    assert raw_files_past_retention(files, {"spend": None}, NOW) == []


def test_return_type_from_archive_and_quarantine_names() -> None:
    assert return_type_of("archive/m/h/Recruitment_2025-26-Q1 (2).csv") == "recruitment"
    assert return_type_of("quarantine/m/0123456789abcdef_workforce_2025-26.csv") == "workforce"
    assert return_type_of("archive/m/h/notes.txt") is None
