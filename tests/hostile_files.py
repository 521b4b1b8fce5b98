"""Files a careless or hostile member could send, generated here (no large binaries in the repository).

Each :class:`Hostile` is one class of fault from issue 12, dropped into a test network's bucket, with
what the member must be told. ``good_files`` are the other members' ordinary returns of the same run,
which must load whatever the hostile ones do. The limits the suite runs under are ``HOSTILE_LIMITS``:
small, so that a file past them is cheap to make, and so that memory can be held to them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl import Workbook

PERIOD = "2025-26-Q2"
HOSTILE_LIMITS = {
    "max_file_bytes": 4 * 2**20,
    "max_rows": 5_000,
    "max_columns": 60,
    "max_field_chars": 2_000,
    "max_sheet_cells": 50_000,
}
# What an XLSX sheet claims (openpyxl believed it): a million rows by 16,384 columns.
WHOLE_SHEET = "A1:XFD1048576"


@dataclass(frozen=True)
class Hostile:
    label: str
    path: str  # in the bucket
    data: bytes
    status: str  # what the file must end as: accepted | quarantined
    says: tuple[str, ...] = ()  # words its answer (reason or a problem) must hold
    never_echoed: tuple[str, ...] = ()  # values that must appear in no answer and no audit row
    mapping_says: tuple[str, ...] = ()  # words the "how we read your columns" section must hold

    @property
    def member_id(self) -> str:
        return self.path.split("/")[1]


@dataclass(frozen=True)
class Good:
    path: str
    data: bytes
    rows: int
    total: float = 0.0


@dataclass
class HostileSet:
    hostile: list[Hostile] = field(default_factory=list)
    good: list[Good] = field(default_factory=list)


def spend_csv(rows: int, start: int = 0, amount: float = 100.0, extra: dict[int, str] | None = None) -> str:
    lines = ["Payment Date,Supplier Name,Amount,Transaction ID,Category"]
    for i in range(start, start + rows):
        lines.append(
            extra.get(i)
            if extra and i in extra
            else f"{1 + i % 28:02d}/08/2025,Supplier {i} Ltd,{amount:.2f},T{i},Cleaning"
        )
    return "\n".join(lines) + "\n"


def _sheet_xml(
    rows: list[list[object]], dimension: str | None, merged: str | None, padding: int = 0
) -> Iterator[bytes]:
    """A worksheet's XML in pieces (so a padded one is never held whole)."""
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value is not None:
                text = str(value).replace("&", "&amp;").replace("<", "&lt;")
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        yield f'<row r="{r}">{"".join(cells)}</row>'.encode()
        if padding and r == 1:
            chunk = b" " * (1 << 20)
            for _ in range(padding // len(chunk)):
                yield chunk
    yield b"</sheetData>"
    if merged:
        yield f'<mergeCells count="1"><mergeCell ref="{merged}"/></mergeCells>'.encode()
    yield b"</worksheet>"


def raw_xlsx(
    rows: list[list[object]],
    *,
    dimension: str | None = None,
    merged: str | None = None,
    padding: int = 0,
    sheets: tuple[tuple[str, str], ...] = (("Sheet1", "visible"),),
    data_sheet: int = 0,
    other_rows: list[list[object]] | None = None,
) -> bytes:
    """A minimal workbook written by hand, saying whatever a hostile file says about itself."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(len(sheets))
            )
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{i + 1}" state="{state}" r:id="rId{i + 1}"/>'
                for i, (name, state) in enumerate(sheets)
            )
            + "</sheets></workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                for i in range(len(sheets))
            )
            + "</Relationships>",
        )
        for i in range(len(sheets)):
            others = (
                [["Not this sheet", "Nor this"], ["Hidden Ltd", 999999]] if other_rows is None else other_rows
            )
            content = rows if i == data_sheet else others
            with book.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as part:
                for piece in _sheet_xml(
                    content,
                    dimension if i == data_sheet else None,
                    merged if i == data_sheet else None,
                    padding if i == data_sheet else 0,
                ):
                    part.write(piece)
    return buffer.getvalue()


def openpyxl_xlsx(sheets: list[tuple[str, list[list[object]], str]]) -> bytes:
    """A workbook as Excel users make them (openpyxl): (title, rows, state) per sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def entity_bomb_xlsx() -> bytes:
    """Shared strings with a billion-laughs entity declaration (a workbook never has a DTD)."""
    data = raw_xlsx([["Supplier Name", "Amount"], ["A Ltd", 1]])
    lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<worksheet", lol.encode() + b"<worksheet", 1).replace(
                    b"A Ltd", b"&lol2;"
                )
            book.writestr(item, content)
    return buffer.getvalue()


def _many(name: str, rows: int = 2_000) -> list[list[object]]:
    """Enough rows that a sheet padded to its declared width (16,384 columns) holds tens of millions of cells."""
    return [[f"{name} Supplier {i} Ltd", 10 + i % 90] for i in range(rows)]


def hostile_set() -> HostileSet:
    """Every class of hostile file in issue 12, and good files from other members in the same run."""
    k, f, s = "incoming/kingsbridge-council", "incoming/fleetside-council", "incoming/st-aldrics-nhs"
    n = "incoming/north-meridian-nhs"
    good_spend = spend_csv(30)
    measures = "Measure,Value\nmentees_matched,5\nmentors_identified,3\n"
    workforce_header = "Staff ID,As At Date,Basic Hourly Rate,Contracted Hours,Employment Type,Apprentice,Home Postcode District"
    people = [f"S{i:04d},30/09/2025,£15.00,37.5,Employee,No,SE{i % 20 + 1}" for i in range(30)]
    long_name = f"spend_{PERIOD} " + "x" * (250 - len(f"spend_{PERIOD} .csv")) + ".csv"
    big_line = f"01/08/2025,Filler Supplier Ltd,1.00,TFILL,{'y' * 900}\n"
    hostile = [
        Hostile(
            "invalid bytes after a UTF-8 byte-order mark",
            f"{k}/spend_{PERIOD} bom.csv",
            b"\xef\xbb\xbf" + spend_csv(5).encode() + b"01/08/2025,Caf\xe9 Ltd,10.00,T99,Food\n",
            "quarantined",
            ("marked as UTF-8", "line 7"),
        ),
        Hostile(
            "a UTF-16 mark on UTF-8 text",
            f"{k}/spend_{PERIOD} utf16.csv",
            b"\xff\xfe" + spend_csv(5).encode(),
            "quarantined",
            ("UTF-16",),
        ),
        Hostile(
            "a period whose year is out of range",
            f"{k}/spend_0000-01-Q1.csv",
            good_spend.encode(),
            "quarantined",
            ("not a period we can check",),
        ),
        Hostile(
            "a period decades ahead",
            f"{k}/spend_2049-50-Q1.csv",
            good_spend.encode(),
            "quarantined",
            ("after the next financial year",),
        ),
        Hostile(
            "a file name near the file-system limit",
            f"{k}/{long_name}",
            spend_csv(3, 500).encode(),
            "accepted",
        ),
        Hostile(
            "a measures value too large for the warehouse's decimal",
            f"{k}/measures_{PERIOD} huge.csv",
            b"Measure,Value\nmentees_matched,100000000000000000000\nmentors_identified,3\n",
            "quarantined",
            ("too large to be right",),
        ),
        Hostile(
            "a NUL character in a supplier name",
            f"{k}/spend_{PERIOD} nul.csv",
            spend_csv(30, 600, extra={601: "02/08/2025,Acme\x00 Ltd,10.00,TNUL,Cleaning"}).encode(),
            "accepted",
            ("NUL character",),
        ),
        Hostile(
            "an identifier longer than its column",
            f"{k}/spend_{PERIOD} longid.csv",
            spend_csv(30, 700, extra={701: f"02/08/2025,Long Ref Ltd,10.00,{'R' * 150},Cleaning"}).encode(),
            "accepted",
            ("150 characters long, more than the 100",),
        ),
        Hostile(
            "a small XLSX that declares a huge sheet",
            f"{f}/spend_{PERIOD} dimension.xlsx",
            raw_xlsx(
                [["Supplier Name", "Amount"], *_many("Dimension")],
                dimension=WHOLE_SHEET,
            ),
            "accepted",
        ),
        Hostile(
            "a merged range over the whole sheet",
            f"{f}/spend_{PERIOD} merged.xlsx",
            raw_xlsx([["Supplier Name", "Amount"], *_many("Merged")], merged=WHOLE_SHEET),
            "accepted",
        ),
        Hostile(
            "a sheet's XML padded with 256 MB of whitespace",
            f"{f}/spend_{PERIOD} padded.xlsx",
            raw_xlsx([["Supplier Name", "Amount"], ["Padded Ltd", 100]], padding=256 * 2**20),
            "quarantined",
            ("unpacks to more than",),
        ),
        Hostile(
            "entity declarations in a sheet",
            f"{f}/spend_{PERIOD} entities.xlsx",
            entity_bomb_xlsx(),
            "quarantined",
            ("could not be opened",),
        ),
        Hostile(
            "more bytes than a file may have",
            f"{f}/spend_{PERIOD} big.csv",
            (spend_csv(2) + big_line * (5 * 2**20 // len(big_line))).encode(),
            "quarantined",
            ("The file is 5.0 MB, more than the 4.0 MB",),
        ),
        Hostile(
            "more rows than a file may have",
            f"{f}/spend_{PERIOD} rows.csv",
            spend_csv(HOSTILE_LIMITS["max_rows"] + 10, amount=1.0).encode(),
            "quarantined",
            ("more than 5,000 rows",),
        ),
        Hostile(
            "more columns than a file may have",
            f"{f}/spend_{PERIOD} columns.csv",
            (spend_csv(3) + ",".join(["x"] * 100) + "\n").encode(),
            "quarantined",
            ("100 values, more than the 60 columns",),
        ),
        Hostile(
            "a value longer than a value may be",
            f"{f}/spend_{PERIOD} field.csv",
            spend_csv(30, 800, extra={801: f"02/08/2025,Field Ltd,10.00,TF,{'z' * 3000}"}).encode(),
            "accepted",
            ("longer than the 2,000 characters",),
        ),
        Hostile(
            "a formula in a value echoed back",
            f"{s}/spend_{PERIOD} formula.csv",
            spend_csv(
                30,
                900,
                extra={901: '02/08/2025,"=HYPERLINK(""http://evil.example"",""Click"")",=1+2,TX,Cleaning'},
            ).encode(),
            "accepted",
        ),
        Hostile(
            "a workforce header row holding a staff reference and a full postcode",
            f"{s}/workforce_{PERIOD}.csv",
            ("\n".join([workforce_header + ",E12345,SE1 7PB", *[p + ",," for p in people]]) + "\n").encode(),
            "accepted",
            never_echoed=("E12345", "SE1 7PB"),
            mapping_says=("Not used",),
        ),
        Hostile(
            "a hidden sheet before the visible one",
            f"{s}/spend_{PERIOD} hidden.xlsx",
            openpyxl_xlsx(
                [
                    ("spend", [["Supplier Name", "Amount"], ["Hidden Sheet Ltd", 999999.0]], "hidden"),
                    (
                        "Payments",
                        [["Supplier Name", "Amount"], ["Visible Ltd", 120.0], ["Shown Ltd", 80.0]],
                        "visible",
                    ),
                ]
            ),
            "accepted",
            never_echoed=("Hidden Sheet Ltd",),
        ),
        Hostile(
            "gross, VAT and net amounts side by side",
            f"{n}/spend_{PERIOD}.csv",
            b"Supplier Name,Total,VAT,Net Amount\nNet Ltd,120.00,20.00,100.00\nGross Ltd,240.00,40.00,200.00\n",
            "accepted",
            mapping_says=("'Net Amount' read as Amount", "Not used: 'Total', 'VAT'"),
        ),
        Hostile("an empty file", f"{n}/spend_{PERIOD} empty.csv", b"", "quarantined", ("empty",)),
        Hostile(
            "binary junk",
            f"{n}/spend_{PERIOD} junk.csv",
            bytes(range(256)) * 8,
            "quarantined",
        ),
        Hostile(
            "a damaged workbook",
            f"{n}/spend_{PERIOD} damaged.xlsx",
            openpyxl_xlsx([("Sheet1", [["Supplier Name", "Amount"], ["A", 1]], "visible")])[:300],
            "quarantined",
            ("could not be opened",),
        ),
        Hostile(
            "identical content from another member",
            f"{f}/measures_{PERIOD}.csv",
            measures.encode(),
            "accepted",
        ),
        Hostile(
            "identical content for another period",
            f"{k}/measures_2025-26-Q1.csv",
            measures.encode(),
            "accepted",
        ),
    ]
    good = [
        Good(f"{k}/measures_{PERIOD}.csv", measures.encode(), 2),
        Good(f"incoming/city-riverside-university/spend_{PERIOD}.csv", good_spend.encode(), 30, 3000.0),
        Good(
            f"incoming/thames-college/workforce_{PERIOD}.csv",
            ("\n".join([workforce_header, *people]) + "\n").encode(),
            30,
        ),
        Good(
            f"incoming/greenway-homes/spend_{PERIOD}.xlsx",
            openpyxl_xlsx(
                [
                    (
                        "Sheet1",
                        [["Payment Date", "Supplier Name", "Amount"], [date(2025, 8, 3), "Xlsx Ltd", 250.5]],
                        "visible",
                    )
                ]
            ),
            1,
            250.5,
        ),
    ]
    return HostileSet(hostile, good)


SKIPPED_NAMES = (
    ".~lock.spend_2025-26-Q2.csv#",
    "~$spend_2025-26-Q2.xlsx",
    "spend_2025-26-Q2.csv.crdownload",
)


def with_limits(config: Path, limits: dict[str, int] | None = None) -> Path:
    """A test network's config with ``[limits]`` set (the suite's small ones by default)."""
    keys = "".join(f"{k} = {v}\n" for k, v in (limits or HOSTILE_LIMITS).items())
    text = config.read_text(encoding="utf-8")
    header = re.search(r"^\[limits\][^\n]*\n", text, re.MULTILINE)
    text = text[: header.end()] + keys + text[header.end() :] if header else text + "\n[limits]\n" + keys
    config.write_text(text, encoding="utf-8")
    return config
