"""``anchor template``: blank returns with canonical headers, notes and dropdowns that pass ``anchor validate``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli.app import app
from transforms.return_types import RETURN_TYPES

runner = CliRunner()

FILLED = {
    "spend": [
        {"Payment Date": datetime(2025, 8, 14), "Supplier Name": "Brightwater Cleaning Ltd", "Amount": 1200.5,
         "Supplier Postcode": "SE1 7PB", "Transaction ID": "T1", "Supplier Size": "small", "VCSE": "No",
         "Diverse Owned": "Yes", "Spend Tier": "direct"},
        {"Payment Date": datetime(2025, 9, 2), "Supplier Name": "Keystone Facilities Limited", "Amount": 300,
         "Transaction ID": "T2", "Spend Tier": "indirect"},
    ],
    "workforce": [
        {"Employee Reference": "E001", "Snapshot Date": datetime(2025, 9, 30), "Hourly Rate": 15.25,
         "Weekly Hours": 37.5, "Employment Basis": "direct", "Apprentice": "No", "Home Postcode District": "SE1"},
        {"Employee Reference": "E002", "Snapshot Date": datetime(2025, 9, 30), "Hourly Rate": 14.9,
         "Weekly Hours": 20, "Employment Basis": "contractor", "Apprentice": "Yes"},
    ],
}  # fmt: skip


def _validate(path: Path, return_type: str) -> tuple[int, dict]:
    result = runner.invoke(
        app, ["validate", str(path), "--return-type", return_type, "--period", "2025-26-Q2", "--json"]
    )
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("return_type", sorted(RETURN_TYPES))
def test_every_return_type_has_a_template(tmp_path: Path, return_type: str) -> None:
    for file_format in ("xlsx", "csv"):
        path = tmp_path / f"{return_type}.{file_format}"
        result = runner.invoke(app, ["template", return_type, "--format", file_format, "--output", str(path)])
        assert result.exit_code == 0, result.output
    sheet = load_workbook(tmp_path / f"{return_type}.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == [
        s.label for s in RETURN_TYPES[return_type].template_columns.values()
    ]


@pytest.mark.parametrize("return_type", sorted(FILLED))
def test_filled_xlsx_template_passes_validate(tmp_path: Path, return_type: str) -> None:
    path = tmp_path / f"{return_type}_2025-26-Q2.xlsx"
    result = runner.invoke(
        app, ["template", return_type, "--format", "xlsx", "--output", str(path), "--period", "2025-26-Q2"]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    sheet, notes = book.worksheets
    assert sheet.title == return_type and notes.title == "Notes"
    specs = RETURN_TYPES[return_type].template_columns
    header = [c.value for c in sheet[1]]
    assert header == [spec.label for spec in specs.values()]

    # Dropdowns: every enum column offers exactly its allowed values, every yes/no column Yes or No.
    lists = {
        str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1
        for v in sheet.data_validations.dataValidation
    }
    for index, spec in enumerate(specs.values()):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        if spec.kind == "enum":
            assert lists.pop(letter) == '"' + ",".join(spec.allowed) + '"'
        elif spec.kind == "bool":
            assert lists.pop(letter) == '"Yes,No"'
    assert lists == {}

    # Notes in plain English: every column, required or optional, what goes in it, allowed values.
    rows = [[c.value for c in row] for row in notes.iter_rows()]
    start = rows.index(["Column", "Required?", "What goes in it", "Allowed values"])
    described = {row[0]: row for row in rows[start + 1 :]}
    assert set(described) == {spec.label for spec in specs.values()}
    for spec in specs.values():
        _, required, what, allowed = described[spec.label]
        assert required == ("Required" if spec.required else "Optional")
        assert what and (not spec.help or spec.help in what)
        if spec.kind == "enum":
            assert allowed == ", ".join(spec.allowed)
    assert any(f"{return_type}_2025-26-Q2.xlsx" in (row[0] or "") for row in rows[:start])

    for record in FILLED[return_type]:
        sheet.append([record.get(label) for label in header])
    book.save(path)
    code, report = _validate(path, return_type)
    assert (code, report["status"], report["rows_rejected"]) == (0, "accepted", 0), report
    assert report["rows_accepted"] == len(FILLED[return_type])


def test_filled_csv_template_passes_validate(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    result = runner.invoke(app, ["template", "spend", "--format", "csv", "--output", str(path)])
    assert result.exit_code == 0, result.output
    notes = (tmp_path / "spend-notes.txt").read_text(encoding="utf-8")
    assert "Supplier Name (required)" in notes and "Allowed values: micro, small, medium, large" in notes
    text = path.read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == [spec.label for spec in RETURN_TYPES["spend"].template_columns.values()]
    writer_buffer = io.StringIO()
    writer = csv.DictWriter(writer_buffer, fieldnames=header, lineterminator="\r\n")
    for record in FILLED["spend"]:
        row = {k: (v.strftime("%d/%m/%Y") if isinstance(v, datetime) else v) for k, v in record.items()}
        writer.writerow(row)
    path.write_bytes(path.read_bytes() + writer_buffer.getvalue().encode("utf-8"))
    code, report = _validate(path, "spend")
    assert (code, report["status"], report["rows_accepted"]) == (0, "accepted", 2), report


def test_template_usage_errors() -> None:
    assert runner.invoke(app, ["template", "payroll"]).exit_code == 2
    assert runner.invoke(app, ["template", "spend", "--format", "ods"]).exit_code == 2
