"""Small register files written in the real files' layouts (see docs/supplier-enrichment.md).

Companies House BasicCompanyData: 55 columns, every value in double quotes, dates day first, and a header
line with spaces before some names (" CompanyNumber", " RegAddress.AddressLine2", ...). The Charity
Commission's ``publicextract.charity.txt``: tab-separated, unquoted, ISO dates, a header of snake_case
names starting with ``date_of_extract``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

COMPANIES_HOUSE_HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
    "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
    "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
    "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,"
    "Mortgages.NumMortSatisfied,SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,"
    "LimitedPartnerships.NumGenPartners,LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, "
    "PreviousName_1.CompanyName, PreviousName_2.CONDATE, PreviousName_2.CompanyName,"
    + ",".join(f"PreviousName_{i}.CONDATE, PreviousName_{i}.CompanyName" for i in range(3, 11))
    + ",ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)
COMPANIES_HOUSE_FIELDS = [name.strip() for name in COMPANIES_HOUSE_HEADER.split(",")]

CHARITY_FIELDS = [
    "date_of_extract",
    "organisation_number",
    "registered_charity_number",
    "linked_charity_number",
    "charity_name",
    "charity_type",
    "charity_registration_status",
    "date_of_registration",
    "date_of_removal",
    "charity_reporting_status",
    "latest_acc_fin_period_start_date",
    "latest_acc_fin_period_end_date",
    "latest_income",
    "latest_expenditure",
    "charity_contact_address1",
    "charity_contact_address2",
    "charity_contact_address3",
    "charity_contact_address4",
    "charity_contact_address5",
    "charity_contact_postcode",
    "charity_contact_phone",
    "charity_contact_email",
    "charity_contact_web",
    "charity_company_registration_number",
    "charity_insolvent",
    "charity_in_administration",
    "charity_previously_excepted",
    "charity_is_cdf_or_cif",
    "charity_is_cio",
    "cio_is_dissolved",
    "date_cio_dissolution_notice",
    "charity_activities",
    "charity_gift_aid",
    "charity_has_land",
]


def company(
    name: str,
    number: str,
    postcode: str,
    category: str = "Private Limited Company",
    status: str = "Active",
    accounts: str = "TOTAL EXEMPTION FULL",
    dissolved: str = "",
    sic: str = "43210 - Electrical installation",
) -> dict[str, str]:
    return {
        "CompanyName": name,
        "CompanyNumber": number,
        "RegAddress.AddressLine1": "1 HIGH STREET",
        "RegAddress.PostTown": "SOMEWHERE",
        "RegAddress.PostCode": postcode,
        "CompanyCategory": category,
        "CompanyStatus": status,
        "CountryOfOrigin": "United Kingdom",
        "DissolutionDate": dissolved,
        "IncorporationDate": "01/04/2010",
        "Accounts.LastMadeUpDate": "31/03/2025",
        "Accounts.AccountCategory": accounts,
        "SICCode.SicText_1": sic,
        "URI": f"http://business.data.gov.uk/id/company/{number}",
    }


def company_line(row: Mapping[str, str]) -> str:
    return ",".join('"' + row.get(field, "").replace('"', '""') + '"' for field in COMPANIES_HOUSE_FIELDS)


def write_companies_house(path: Path, rows: Iterable[Mapping[str, str]], zipped: bool = False) -> Path:
    text = COMPANIES_HOUSE_HEADER + "\n" + "".join(company_line(r) + "\n" for r in rows)
    return _write(path, text, zipped)


def charity(
    name: str,
    number: str,
    postcode: str,
    income: str = "250000",
    status: str = "Registered",
    removed: str = "",
    company_number: str = "",
    linked: str = "0",
    charity_type: str = "Charitable company",
) -> dict[str, str]:
    return {
        "date_of_extract": "2025-11-01",
        "organisation_number": str(5_000_000 + int(number)),
        "registered_charity_number": number,
        "linked_charity_number": linked,
        "charity_name": name,
        "charity_type": charity_type,
        "charity_registration_status": status,
        "date_of_registration": "1995-06-01",
        "date_of_removal": removed,
        "latest_income": income,
        "charity_contact_postcode": postcode,
        "charity_company_registration_number": company_number,
        "charity_activities": 'Advice and "support" for residents',
    }


def write_charity_extract(path: Path, rows: Iterable[Mapping[str, str]], zipped: bool = False) -> Path:
    lines = ["\t".join(CHARITY_FIELDS)] + ["\t".join(r.get(f, "") for f in CHARITY_FIELDS) for r in rows]
    return _write(path, "\r\n".join(lines) + "\r\n", zipped)


def _write(path: Path, text: str, zipped: bool) -> Path:
    if not zipped:
        path.write_text(text, encoding="utf-8")
        return path
    inner = path.with_suffix(
        ".csv" if path.suffix in (".zip", ".csv") and "charity" not in path.name else ".txt"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner.name, text)
    return path
