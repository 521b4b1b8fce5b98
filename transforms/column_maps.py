"""Column mappings recorded for one member by the data team, kept with the network's reference data.

When a member's system names a column in a way nobody could guess ("Account Holder" for the supplier),
the file is refused with the closest headers and the command that fixes it for good:
``anchor columns map --member M "Account Holder" supplier_name``. The command writes one line of a
small CSV kept in the bucket (``reference/column_maps.csv``)::

    member_id,return_type,header,column,recorded_at,note
    lumen-energy,spend,Account Holder,supplier_name,2025-10-03T09:12:00+00:00,their ERP's payee field

and every later file of that member and return type is read with it. Here are the pure parts: reading
and checking the file (a wrong column name is refused with the line and a suggestion, never ignored),
adding or replacing one mapping, writing the file back, and the map ingest uses for a member.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from rapidfuzz import process

from transforms.return_types import RETURN_TYPES, normalise_header

COLUMN_MAPS_PATH = "reference/column_maps.csv"
FIELDS = ("member_id", "return_type", "header", "column", "recorded_at", "note")
_MEMBER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ColumnMapError(ValueError):
    """The column-map file, or a mapping to record, is not valid; the message names each line and fault."""


@dataclass(frozen=True)
class RecordedMapping:
    member_id: str
    return_type: str
    header: str  # as the member's files write it
    column: str  # canonical column of the return type
    recorded_at: datetime
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """One mapping per member, return type and header (spelt as ``normalise_header`` folds it)."""
        return (self.member_id, self.return_type, normalise_header(self.header))


def mapping_problems(mapping: RecordedMapping, members: Collection[str] | None = None) -> list[str]:
    """What is wrong with one mapping, in plain words (empty when it is valid)."""
    problems = []
    if not _MEMBER_ID.match(mapping.member_id):
        problems.append(f"'{mapping.member_id}' is not a member id (lower case letters, digits and dashes)")
    elif members is not None and mapping.member_id not in members:
        problems.append(
            f"'{mapping.member_id}' is not a member of the network{_did_you_mean(mapping.member_id, members)}"
        )
    if not normalise_header(mapping.header):
        problems.append("the header is blank: give the column name exactly as the member's files write it")
    return_type = RETURN_TYPES.get(mapping.return_type)
    if return_type is None:
        problems.append(
            f"'{mapping.return_type}' is not a return type: use {_or(sorted(RETURN_TYPES))}"
            + _did_you_mean(mapping.return_type, RETURN_TYPES)
        )
    elif mapping.column not in return_type.columns:
        problems.append(
            f"'{mapping.column}' is not a column of the {mapping.return_type} return"
            + (
                _did_you_mean(mapping.column, return_type.columns)
                or f": use one of {', '.join(return_type.columns)}"
            )
        )
    return problems


def parse_column_maps(text: str, members: Collection[str] | None = None) -> list[RecordedMapping]:
    """The mappings of a column-map file; raises ``ColumnMapError`` listing every faulty line.

    ``members`` (the network's member ids), when given, also refuses mappings for unknown members.
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip() for f in reader.fieldnames or []]
    missing = [f for f in FIELDS if f not in fields]
    unknown = [f for f in fields if f not in FIELDS]
    if missing or unknown:
        raise ColumnMapError(
            "The column-map file's header must be "
            + ",".join(FIELDS)
            + "."
            + (f" Missing: {', '.join(missing)}." if missing else "")
            + (f" Not expected: {', '.join(unknown)}." if unknown else "")
        )
    reader.fieldnames = fields
    mappings: list[RecordedMapping] = []
    errors: list[str] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for record in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(values.values()):
            continue
        try:
            recorded_at = _timestamp(values["recorded_at"])
        except ValueError:
            errors.append(
                f"line {line}: '{values['recorded_at']}' is not a date and time (write it like 2025-10-03T09:12:00+00:00)"
            )
            continue
        mapping = RecordedMapping(
            values["member_id"],
            values["return_type"],
            values["header"],
            values["column"],
            recorded_at,
            values["note"],
        )
        problems = mapping_problems(mapping, members)
        if not problems and mapping.key in first_line:
            problems.append(
                f"'{mapping.header}' is mapped again for {mapping.member_id}'s {mapping.return_type} return "
                f"(first on line {first_line[mapping.key]}); keep one line"
            )
        errors.extend(f"line {line}: {problem}" for problem in problems)
        if not problems:
            first_line[mapping.key] = line
            mappings.append(mapping)
    if errors:
        raise ColumnMapError("The column-map file has problems: " + "; ".join(errors) + ".")
    return mappings


def record_mapping(
    mappings: Iterable[RecordedMapping], mapping: RecordedMapping, members: Collection[str] | None = None
) -> list[RecordedMapping]:
    """The mappings with ``mapping`` added, or replacing the one for the same member, return type and header."""
    problems = mapping_problems(mapping, members)
    if problems:
        raise ColumnMapError("The mapping was not recorded: " + "; ".join(problems) + ".")
    kept = [m for m in mappings if m.key != mapping.key]
    return sorted([*kept, mapping], key=lambda m: (m.member_id, m.return_type, m.key[2]))


def column_maps_csv(mappings: Iterable[RecordedMapping]) -> str:
    """The column-map file's text (what ``parse_column_maps`` reads back)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for m in mappings:
        writer.writerow([m.member_id, m.return_type, m.header, m.column, m.recorded_at.isoformat(), m.note])
    return buffer.getvalue()


def member_column_map(
    mappings: Iterable[RecordedMapping],
    member_id: str,
    return_type: str,
    config_map: dict[str, str] | None = None,
) -> dict[str, str]:
    """Header -> column for one member's return: the config's ``column_map``, then recorded mappings over it.

    A recorded mapping is the later and more specific decision (one return type), so it wins when both
    name the same header.
    """
    columns = RETURN_TYPES[return_type].columns
    merged = {h: c for h, c in (config_map or {}).items() if c in columns}
    by_key = {normalise_header(h): h for h in merged}
    for m in mappings:
        if m.member_id == member_id and m.return_type == return_type:
            merged.pop(by_key.get(m.key[2], ""), None)
            merged[m.header] = m.column
    return merged


def _timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    match = process.extractOne(value, list(choices), score_cutoff=70)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _or(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else items[0]
