"""The file-level rules of a submission: who sent it, which return and period it is, what kind of file.

One function decides them for both ingest (from the file's folder and name) and ``anchor validate``
(from the command's options), so a member checking a file before sending it is told exactly what the
pipeline would tell them after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipeline.config import NetworkConfig
from transforms.periods import Period, PeriodError, period_containing
from transforms.reading import TEXT_SUFFIXES

# Members drop files into incoming/<member id>/<return type>_<period>.<extension>.
INCOMING = "incoming"
ACCEPTED_EXTENSIONS = (*TEXT_SUFFIXES, "xlsx")
OTHER_SPREADSHEETS = ("xls", "xlsm", "xlsb", "ods", "numbers")
EXAMPLE_NAME = "spend_2025-26-Q2.csv"
_FILE_NAME_RE = re.compile(
    r"^(?P<return_type>[a-z]+)_(?P<period>\d{4}-\d{2}(?:-Q[1-4])?)(?P<part>[ _\-.(][^/]*)?\.(?P<ext>[A-Za-z0-9]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FileName:
    """What a submitted file's name says: ``<return type>_<period>[ part].<extension>``."""

    return_type: str
    period: str
    extension: str


@dataclass(frozen=True)
class FileProblem:
    """Why a whole file cannot be used, in words for the member, and how to put it right."""

    reason: str
    how_to_fix: str


def parse_file_name(file_name: str) -> FileName | None:
    match = _FILE_NAME_RE.match(file_name)
    if match is None:
        return None
    return FileName(match["return_type"].lower(), match["period"], match["ext"].lower())


def file_name_problem(file_name: str) -> FileProblem:
    return FileProblem(
        f"The file name '{file_name}' does not say which return and period it is.",
        f"Name the file <return type>_<period>.csv, for example {EXAMPLE_NAME}.",
    )


def member_problem(cfg: NetworkConfig, member_id: str) -> FileProblem | None:
    if cfg.member(member_id) is not None:
        return None
    return FileProblem(
        f"'{member_id}' is not a member of {cfg.name}.",
        "Drop files into incoming/<your member id>/; the core team can tell you your id.",
    )


def submission_problem(
    cfg: NetworkConfig, member_id: str | None, return_type: str, period: str, extension: str
) -> FileProblem | None:
    """The first file-level rule the submission breaks, or None.

    ``member_id`` None means "not said" (``anchor validate`` without ``--member``): the member rules
    are skipped, the others still apply.
    """
    if member_id is not None and (problem := member_problem(cfg, member_id)) is not None:
        return problem
    member = cfg.member(member_id) if member_id is not None else None
    expected = cfg.expected_returns(member) if member is not None else list(cfg.returns)
    if return_type not in expected:
        sender = "your organisation sends" if member is not None else "members send"
        return FileProblem(
            f"'{return_type}' is not a return {sender} to this network.",
            f"Use one of: {', '.join(expected)} (e.g. {EXAMPLE_NAME}).",
        )
    try:
        parsed = Period.parse(period)
    except PeriodError as exc:
        return FileProblem(str(exc), f"Name the file like {EXAMPLE_NAME}.")
    if cfg.returns[return_type].frequency == "quarterly" and parsed.quarter is None:
        return FileProblem(
            f"{return_type} returns are quarterly, but the file gives the whole year {period}.",
            f"Send one file per quarter, named like {return_type}_{period}-Q1.csv.",
        )
    if extension not in ACCEPTED_EXTENSIONS:
        spreadsheet = extension in OTHER_SPREADSHEETS
        return FileProblem(
            f"Files of type '.{extension}' are not accepted"
            + (" (an older or other spreadsheet format we cannot read)." if spreadsheet else "."),
            "Open the file and use File > Save As > 'Excel Workbook (*.xlsx)' or 'CSV UTF-8', then send it again."
            if spreadsheet
            else "Send the return as a CSV file (.csv) or an Excel workbook (.xlsx).",
        )
    return None


def ingest_period_problem(cfg: NetworkConfig, period: str, today: date) -> FileProblem | None:
    """At ingest, a return for a period too far ahead, or before the network's first period, is refused.

    ``anchor validate`` does not apply this: analysts check old exports against any past period.
    A period that does not parse is ``submission_problem``'s to report.
    """
    try:
        parsed = Period.parse(period)
    except PeriodError:
        return None
    latest = period_containing(today, "year").next()
    if parsed.financial_year > latest:
        return FileProblem(
            f"The file is for {parsed.key}, after the next financial year ({latest.key}): returns are sent "
            "for periods that have started or are about to.",
            f"Check the period in the file name (e.g. {EXAMPLE_NAME}) and send it again.",
        )
    first = cfg.ingest.first_period
    if first is not None and parsed.end < Period.parse(first).start:
        return FileProblem(
            f"The file is for {parsed.key}, before {first}, the first period this network collects.",
            "Check the period in the file name; the network's data team can tell you which periods it collects.",
        )
    return None
