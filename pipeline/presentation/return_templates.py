"""Blank returns members can fill in: the canonical headers, plain-English notes and, in Excel, dropdowns.

A member who starts from a template never meets a "column not recognised" rejection: the headers are
the canonical labels, the enum columns only offer allowed values and yes/no columns only Yes or No.
The notes explain every column (required or optional, what goes in it, allowed values) in words a
finance or HR officer uses, taken from each column's ``ColumnSpec``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from transforms.return_types import ColumnSpec, ReturnType

DATA_ROWS_WITH_DROPDOWNS = 20_000
KIND_WORDS = {
    "text": "Text.",
    "date": "A date, day first (e.g. 14/08/2025).",
    "money": "An amount in pounds (e.g. 1234.56); £ signs and thousands separators are fine.",
    "number": "A number.",
    "enum": "One of the allowed values.",
    "bool": "Yes or No.",
    "postcode": "A UK postcode (e.g. SE1 7PB).",
}


@dataclass(frozen=True)
class ColumnNote:
    label: str
    required: str  # "Required" | "Optional"
    what: str
    allowed: str


def column_notes(return_type: ReturnType) -> list[ColumnNote]:
    notes = []
    for spec in return_type.template_columns.values():
        notes.append(
            ColumnNote(
                label=spec.label,
                required="Required" if spec.required else "Optional",
                what=_what(spec),
                allowed=_allowed(spec),
            )
        )
    return notes


def _what(spec: ColumnSpec) -> str:
    text = spec.help or KIND_WORDS[spec.kind]
    if spec.help and spec.kind in ("date", "money") and "e.g." not in spec.help:
        text = f"{text} {KIND_WORDS[spec.kind]}"
    if spec.default:
        text = f"{text} If left blank: {spec.default}."
    return text


def _allowed(spec: ColumnSpec) -> str:
    if spec.kind == "enum":
        return ", ".join(spec.allowed)
    if spec.kind == "bool":
        return "Yes, No"
    return ""


def intro_lines(return_type: ReturnType, period: str | None) -> list[str]:
    example = f"{return_type.name}_{period or '2025-26-Q2'}"
    return [
        f"{return_type.label} return: how to fill it in",
        "One row per record; keep the header row as it is. Optional columns may be left blank or removed.",
        *return_type.guidance,
        f"Save the file as {example}.xlsx (or .csv) and drop it in incoming/<your member id>/.",
        f"Check it first if you like: anchor validate {example}.xlsx --return-type {return_type.name} "
        f"--period {period or '2025-26-Q2'}",
    ]


def template_csv(return_type: ReturnType) -> bytes:
    """The header row only, UTF-8 with a byte-order mark so Excel shows £ and accents correctly."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [s.label for s in return_type.template_columns.values()]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def notes_text(return_type: ReturnType, period: str | None = None) -> str:
    """The notes as plain text, written beside a CSV template (a CSV has no second sheet)."""
    lines = [*intro_lines(return_type, period), ""]
    for note in column_notes(return_type):
        lines.append(f"{note.label} ({note.required.lower()})")
        lines.append(f"    {note.what}")
        if note.allowed:
            lines.append(f"    Allowed values: {note.allowed}")
    return "\n".join(lines) + "\n"


def template_xlsx(return_type: ReturnType, period: str | None = None) -> bytes:
    """A workbook: the return's sheet (named after the return type, so it is read first) and a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = return_type.name
    specs = list(return_type.template_columns.values())
    sheet.append([spec.label for spec in specs])
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, spec in enumerate(specs, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        if spec.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(spec.label) + 4)
        cells = f"{letter}2:{letter}{DATA_ROWS_WITH_DROPDOWNS + 1}"
        choices = _allowed(spec)
        if choices:
            validation = DataValidation(
                type="list",
                formula1='"' + choices.replace(", ", ",") + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=spec.label,
                error=f"Choose one of: {choices}.",
                showInputMessage=True,
                promptTitle=spec.label,
                prompt=_what(spec)[:250],
            )
            validation.add(cells)
            sheet.add_data_validation(validation)
        if spec.kind == "date":
            for row in range(2, 502):  # a date format for the first rows people type into
                sheet.cell(row=row, column=index).number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("Notes")
    for line in intro_lines(return_type, period):
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append([])
    notes.append(["Column", "Required?", "What goes in it", "Allowed values"])
    header_row = notes.max_row
    for cell in notes[header_row]:
        cell.font = Font(bold=True)
    for note in column_notes(return_type):
        notes.append([note.label, note.required, note.what, note.allowed])
    for letter, width in zip("ABCD", (28, 12, 80, 30), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=header_row + 1):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
