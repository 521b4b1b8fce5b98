"""Recognise a header that would identify a person: names, staff or payroll references, contact details.

A return whose rows must stay anonymous (recruitment: one row per hire, with ethnic group and disability)
is refused whole when any header looks like one of these, before a single row is read: the network has no
lawful need for them, and a file that carries them should not be loaded in part. Headers are judged by
the words they are made of, so "Candidate Surname", "EmployeeNo" and "Applicant e-mail" are all caught
without listing every spelling, while "Programme Name" or "Job Reference" (a thing, not a person) are not.
"""

from __future__ import annotations

import re

# Nouns for the person a row is about.
_PERSON = {
    "candidate",
    "applicant",
    "employee",
    "staff",
    "starter",
    "person",
    "recruit",
    "hire",
    "worker",
    "appointee",
    "colleague",
    "individual",
    "personnel",
    "payroll",
    "assignment",
    "pupil",
    "student",
    "patient",
    "resident",
    "participant",
    "manager",
    "supervisor",
    "recruiter",
    "mentor",
}
# Words that only qualify the person ("new starter", "line manager").
_QUALIFIERS = {"new", "line", "hiring", "the", "of", "s", "successful", "current"}
_PERSON_PREFIX = re.compile(
    r"^(?:emp|staff|employee|payroll|person|candidate|applicant|worker|assignment|starter|recruit)"
    r"(?:id|ref|reference|no|num|nbr|number|code|key)$"
)
_NAME_WORDS = {
    "surname",
    "forename",
    "forenames",
    "firstname",
    "lastname",
    "fullname",
    "givenname",
    "familyname",
}
_ID_WORDS = {"id", "ref", "reference", "number", "no", "num", "nbr", "code", "key", "identifier", "uid"}
# Words for things that have names and references of their own.
_THINGS = {
    "programme",
    "program",
    "scheme",
    "project",
    "initiative",
    "organisation",
    "organization",
    "employer",
    "company",
    "department",
    "directorate",
    "team",
    "site",
    "ward",
    "area",
    "district",
    "role",
    "job",
    "post",
    "position",
    "vacancy",
    "course",
    "provider",
    "school",
    "college",
    "trust",
    "member",
    "service",
    "location",
    "hospital",
    "business",
    "supplier",
    "file",
    "return",
    "measure",
    "band",
    "grade",
    "group",
    "offer",
}
_CONTACT = {"email", "phone", "telephone", "mobile", "tel", "address"}


def header_words(header: str) -> list[str]:
    """'CandidateSurname' / 'candidate_surname' / 'Candidate Surname' -> ['candidate', 'surname']."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(header))
    words = re.findall(r"[a-z0-9]+", spaced.lower().replace("e-mail", "email"))
    return [w for w in words if w]


def identifying_kind(header: str) -> str | None:
    """What a header would identify people by ("people's names", ...), or None when it looks harmless."""
    words = header_words(header)
    compact = "".join(words)
    if not words:
        return None
    word_set = set(words)
    if word_set & _CONTACT:
        return "contact details"
    if {"dob", "birthday"} & word_set or "dateofbirth" in compact or "birthdate" in compact:
        return "dates of birth"
    if (
        "nino" in word_set
        or "nationalinsurance" in compact
        or {"ni", "number"} <= word_set
        or words == ["ni"]
    ):
        return "National Insurance numbers"
    if word_set & _NAME_WORDS or re.search(r"(?:first|last|sur|fore|given|family|full|middle)name", compact):
        return "people's names"
    if "name" in word_set or "names" in word_set:
        return None if word_set & _THINGS else "people's names"
    if _PERSON_PREFIX.match(compact):
        return "staff, payroll or applicant references"
    if word_set & _PERSON and not word_set & _THINGS:
        if word_set & _ID_WORDS:
            return "staff, payroll or applicant references"
        if word_set - _QUALIFIERS <= _PERSON:
            return "people's names or references"
    if word_set & _ID_WORDS and word_set - {"unique", "record", "row"} <= _ID_WORDS - {"code", "key"}:
        return "references that may identify a person"
    return None


def identifying_headers(headers: list[str]) -> list[tuple[str, str]]:
    """(header, kind) for every header of a file that would identify a person, in file order."""
    found = []
    for header in headers:
        kind = identifying_kind(header)
        if kind is not None:
            found.append((header.strip(), kind))
    return found


# A column name is words; a value is what a row holds: digits (staff numbers, postcodes, dates, phone
# numbers) or an address's '@'.
_VALUE_LIKE = re.compile(r"\d|@")
HEADER_NOT_SHOWN = "(not shown: looks like personal data)"


def looks_like_a_value(cell: str) -> bool:
    """A header cell that looks like a row's value (a staff number, a postcode, an address), not a name.

    In a return that holds personal data, such a header (a data row pasted above the header, a header
    row that is really a record) is never repeated back, in feedback or anywhere else.
    """
    return bool(_VALUE_LIKE.search(str(cell)))


def shown_header(cell: str, personal_return: bool) -> str:
    """A header as it may be echoed: as written, or masked when the return is personal and it looks like a value."""
    text = str(cell).strip()
    return HEADER_NOT_SHOWN if personal_return and looks_like_a_value(text) else text
