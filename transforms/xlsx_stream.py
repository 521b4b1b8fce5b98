"""Read an Excel workbook's cells as a stream, within the network's limits, trusting nothing it declares.

openpyxl, even in read-only mode, sizes a sheet by its declared ``dimension`` and pads every row to it:
a 3 KB file that declares ``A1:XFD1048576`` becomes billions of empty cells. Here the sheet's XML is
fed to expat in chunks and only the cells actually present are kept: rows are as wide as their last
value, the sheet as wide as its widest row, and every count (bytes unpacked, cells with values, rows,
columns) is checked against :class:`transforms.limits.ReadLimits` as it is read. Text outside a value
is never accumulated, so XML padded with whitespace costs time in proportion to the unpacked-bytes
limit and no memory. DTDs and entity declarations are refused outright (a workbook never has them).

Values come out exactly as openpyxl's ``data_only`` read gives them (shared and inline strings, numbers,
dates by their cell style on either epoch, booleans, error codes), turned into the text the rest of the
reader expects. Hidden and very hidden sheets are never read.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from transforms.limits import ReadLimits, size_text, too_many_cells, too_many_columns, too_many_rows

Records = list[tuple[int, list[str]]]
Range = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based, inclusive)

_CHUNK = 1 << 16
_REL_TYPES = ("worksheet", "sharedStrings", "styles")
# Rows read past the row limit before refusing: the header search looks at the first 50 lines.
_HEADER_ALLOWANCE = 50


class WorkbookRefused(Exception):
    """The workbook cannot be read within the limits (or at all); reason and fix are for the member."""

    def __init__(self, reason: str, how_to_fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.how_to_fix = how_to_fix


DAMAGED = (
    "This Excel file could not be opened; it may be damaged or password protected.",
    "Open it in Excel, remove any password, save it as .xlsx and send it again.",
)


@dataclass(frozen=True)
class Sheet:
    name: str
    path: str
    visible: bool


@dataclass
class _Budget:
    """Bytes of XML the workbook may still unpack to, shared by every part read."""

    left: int
    limits: ReadLimits

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise WorkbookRefused(
                f"The workbook unpacks to more than {size_text(self.limits.max_xml_bytes)} of sheet data, "
                f"more than {self.limits.max_sheet_cells:,} cells can take, so the file was not loaded.",
                "Copy just the return's rows and columns into a new workbook (Paste Special > Values), "
                "save it as .xlsx and send that.",
            )


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse(
    archive: zipfile.ZipFile, part: str, budget: _Budget, handlers: dict[str, Callable[..., Any]]
) -> None:
    """Feed one part of the package to expat in chunks, counting the bytes it unpacks to."""

    def refuse(*_: object) -> None:
        raise WorkbookRefused(*DAMAGED)

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.buffer_text = True
    for name, handler in handlers.items():
        setattr(parser, name, handler)
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                budget.take(len(chunk))
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except WorkbookRefused:
        raise
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,
    ):
        raise WorkbookRefused(*DAMAGED) from None


def _relationships(archive: zipfile.ZipFile, source: str, budget: _Budget) -> list[tuple[str, str, str]]:
    """(id, type's last word, target part) of a part's relationships."""
    folder, name = posixpath.split(source)
    rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_path not in archive.NameToInfo:
        return []
    found: list[tuple[str, str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            found.append((attrs.get("Id", ""), attrs.get("Type", "").rsplit("/", 1)[-1], path))

    _parse(archive, rels_path, budget, {"StartElementHandler": start})
    return found


@dataclass
class _Package:
    archive: zipfile.ZipFile
    budget: _Budget
    sheets: list[Sheet] = field(default_factory=list)
    shared_strings_part: str | None = None
    styles_part: str | None = None
    epoch: datetime = WINDOWS_EPOCH


def _package(archive: zipfile.ZipFile, budget: _Budget) -> _Package:
    package = _Package(archive, budget)
    workbook = next(
        (target for _, kind, target in _relationships(archive, "", budget) if kind == "officeDocument"),
        "xl/workbook.xml",
    )
    if workbook not in archive.NameToInfo:
        raise WorkbookRefused(*DAMAGED)
    rels = {rid: (kind, target) for rid, kind, target in _relationships(archive, workbook, budget)}
    for kind, target in rels.values():
        if kind == "sharedStrings":
            package.shared_strings_part = target
        elif kind == "styles":
            package.styles_part = target
    declared: list[tuple[str, str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id" and k != "sheetId"), "")
            declared.append((attrs.get("name", ""), rid, attrs.get("state", "visible")))
        elif local == "workbookPr" and attrs.get("date1904", "").lower() in ("1", "true"):
            package.epoch = MAC_EPOCH

    _parse(archive, workbook, budget, {"StartElementHandler": start})
    for name, rid, state in declared:
        kind, target = rels.get(rid, ("", ""))
        if kind == "worksheet" and target in archive.NameToInfo:
            package.sheets.append(Sheet(name, target, state not in ("hidden", "veryHidden")))
    return package


def _shared_strings(package: _Package, limits: ReadLimits) -> list[str]:
    """The shared string table, as openpyxl reads it (runs joined, phonetic hints left out)."""
    if package.shared_strings_part is None or package.shared_strings_part not in package.archive.NameToInfo:
        return []
    strings: list[str] = []
    stack: list[str] = []
    parts: list[str] = []
    capped = limits.max_field_chars + 1

    def start(tag: str, _attrs: dict[str, str]) -> None:
        stack.append(_local(tag))
        if stack[-1] == "si":
            parts.clear()

    def end(_tag: str) -> None:
        local = stack.pop()
        if local == "si":
            strings.append("".join(parts)[:capped].replace("x005F_", ""))

    def text(data: str) -> None:
        in_text = len(stack) >= 2 and stack[-1] == "t" and stack[-2] in ("si", "r") and "rPh" not in stack
        if in_text and sum(map(len, parts)) < capped:
            parts.append(data)

    _parse(
        package.archive,
        package.shared_strings_part,
        package.budget,
        {"StartElementHandler": start, "EndElementHandler": end, "CharacterDataHandler": text},
    )
    return strings


def _date_styles(package: _Package) -> tuple[set[int], set[int]]:
    """Indexes of the cell styles that show dates, and of those that show durations (as openpyxl decides)."""
    if package.styles_part is None or package.styles_part not in package.archive.NameToInfo:
        return set(), set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    stack: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
        elif local == "xf" and stack and stack[-1] == "cellXfs":
            try:
                formats.append(int(attrs.get("numFmtId") or 0))
            except ValueError:
                formats.append(0)
        stack.append(local)

    def end(_tag: str) -> None:
        stack.pop()

    _parse(
        package.archive,
        package.styles_part,
        package.budget,
        {"StartElementHandler": start, "EndElementHandler": end},
    )
    dates, durations = set(), set()
    for index, number_format in enumerate(formats):
        code = custom.get(number_format) if number_format in custom else BUILTIN_FORMATS.get(number_format)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def cell_text(value: object) -> str:
    """A cell's value as the text a CSV export of it would hold (dates ISO, whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass
class _Reading:
    """The state of one sheet's stream: the cell being read, the rows so far, what the limits allow."""

    limits: ReadLimits
    shared: list[str]
    dates: set[int]
    durations: set[int]
    epoch: datetime
    records: Records = field(default_factory=list)
    merged: list[Range] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    row_number: int = 0
    column: int = 0
    cells: dict[int, str] = field(default_factory=dict)
    in_row: bool = False
    cell_type: str = "n"
    cell_style: int = 0
    value: list[str] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)
    value_cells: int = 0
    width: int = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        self.stack.append(local)
        if local == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number and number.isdigit() else self.row_number + 1
            self.column = 0
            self.cells = {}
            self.in_row = False
        elif local == "c":
            reference = attrs.get("r", "")
            letters = reference.rstrip("0123456789")
            try:
                self.column = column_index_from_string(letters) if letters else self.column + 1
            except ValueError:
                self.column += 1
            self.cell_type = attrs.get("t", "n")
            style = attrs.get("s") or "0"
            self.cell_style = int(style) if style.isdigit() else 0
            self.value.clear()
            self.inline.clear()
            self.in_row = True
        elif local == "mergeCell":
            merged = _merged_range(attrs.get("ref", ""))
            if merged is not None:
                self.merged.append(merged)

    def text(self, data: str) -> None:
        stack = self.stack
        if not stack:
            return
        capped = self.limits.max_field_chars + 1
        if stack[-1] == "v" and len(stack) >= 2 and stack[-2] == "c":
            if sum(map(len, self.value)) < capped:
                self.value.append(data)
        elif (
            stack[-1] == "t"
            and "is" in stack
            and "rPh" not in stack
            and stack[-2] in ("is", "r")
            and sum(map(len, self.inline)) < capped
        ):
            self.inline.append(data)

    def end(self, _tag: str) -> None:
        local = self.stack.pop()
        if local == "c":
            self._end_cell()
        elif local == "row":
            self._end_row()

    def _end_cell(self) -> None:
        text = cell_text(self._value())[: self.limits.max_field_chars + 1]
        if not text:
            return
        if self.column > self.limits.max_columns:
            raise WorkbookRefused(*too_many_columns(self.row_number, None, self.limits))
        self.value_cells += 1
        if self.value_cells > self.limits.max_sheet_cells:
            raise WorkbookRefused(
                *too_many_cells(
                    f"has more than {self.limits.max_sheet_cells:,} cells with values", self.limits
                )
            )
        self.cells[self.column] = text

    def _value(self) -> object:
        """The cell's value as openpyxl's ``data_only`` read gives it."""
        kind = self.cell_type
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else None
        raw = "".join(self.value) or None
        if raw is None:
            return None
        try:
            if kind == "n":
                number: float | int = float(raw) if ("." in raw or "e" in raw.lower()) else int(raw)
                if self.cell_style in self.dates:
                    try:
                        return from_excel(number, self.epoch, timedelta=self.cell_style in self.durations)
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                return number
            if kind == "s":
                index = int(raw)
                return self.shared[index] if 0 <= index < len(self.shared) else None
            if kind == "b":
                return bool(int(raw))
            if kind == "d":
                return from_ISO8601(raw)
        except (ValueError, OverflowError):
            return raw  # not what its type says: keep the text, and let the checks say what is wrong
        return raw  # "str" (a formula's text), "e" (an error such as #VALUE!)

    def _end_row(self) -> None:
        if not self.in_row:
            return  # a row element with no cells (row formatting only): nothing to read
        if len(self.records) >= self.limits.max_rows + _HEADER_ALLOWANCE:
            raise WorkbookRefused(*too_many_rows(self.limits))
        last = max(self.cells, default=0)
        cells = [""] * last
        for column, text in self.cells.items():
            cells[column - 1] = text
        self.width = max(self.width, last)
        self.records.append((self.row_number, cells))


def _merged_range(reference: str) -> Range | None:
    first, _, last = reference.partition(":")
    last = last or first
    try:
        r1, c1 = _coordinate(first)
        r2, c2 = _coordinate(last)
    except ValueError:
        return None
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _coordinate(reference: str) -> tuple[int, int]:
    letters = reference.rstrip("0123456789").replace("$", "")
    digits = reference[len(reference.rstrip("0123456789")) :]
    if not letters or not digits:
        raise ValueError(reference)
    return int(digits), column_index_from_string(letters)


def _read_sheet(
    package: _Package, sheet: Sheet, limits: ReadLimits, shared: list[str], styles: tuple[set[int], set[int]]
) -> tuple[Records, list[Range]]:
    reading = _Reading(limits, shared, styles[0], styles[1], package.epoch)
    _parse(
        package.archive,
        sheet.path,
        package.budget,
        {
            "StartElementHandler": reading.start,
            "EndElementHandler": reading.end,
            "CharacterDataHandler": reading.text,
        },
    )
    rows, width = len(reading.records), reading.width
    if rows * width > limits.max_sheet_cells:
        raise WorkbookRefused(
            *too_many_cells(
                f"'{sheet.name}' spans {rows:,} rows by {width:,} columns ({get_column_letter(width)})",
                limits,
            )
        )
    for _, cells in reading.records:  # every row as wide as the widest, as a CSV export would be
        cells.extend([""] * (width - len(cells)))
    last_row = reading.records[-1][0] if reading.records else 0
    ranges = [
        (r1, c1, min(r2, last_row), min(c2, width))
        for r1, c1, r2, c2 in reading.merged
        if r1 <= last_row and c1 <= width
    ]
    return reading.records, ranges


@dataclass(frozen=True)
class SheetRead:
    """The records of the sheet read, its merged ranges (clamped to its cells), and which sheet it was."""

    records: Records
    merged: list[Range]
    sheet: str


def read_workbook(
    data: bytes, return_type: str, limits: ReadLimits, score: Callable[[SheetRead], int] | None = None
) -> SheetRead:
    """The sheet named after the return type, else the first visible sheet with any values; with
    ``score``, the first visible sheet with the highest score (how well its rows look like the return),
    the sheets tried in that order and the reading stopped at the first with ``score`` 2 or more. A
    workbook often opens on a cover or notes sheet, with the return on the next one.

    Raises :class:`WorkbookRefused` for a damaged workbook, one past the limits (all sheets read count
    against them together), or one whose only values are on hidden sheets.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise WorkbookRefused(*DAMAGED) from None
    with archive:
        budget = _Budget(limits.max_xml_bytes, limits)
        package = _package(archive, budget)
        visible = [s for s in package.sheets if s.visible]
        ordered = sorted(visible, key=lambda s: s.name.strip().lower() != return_type)
        if ordered:
            shared = _shared_strings(package, limits)
            styles = _date_styles(package)
            best: tuple[int, SheetRead] | None = None
            for sheet in ordered:
                records, merged = _read_sheet(package, sheet, limits, shared, styles)
                if any(any(cell.strip() for cell in cells) for _, cells in records):
                    read = SheetRead(records, merged, sheet.name)
                    if score is None:
                        return read
                    points = score(read)
                    if points >= 2:
                        return read
                    if best is None or points > best[0]:
                        best = (points, read)
            if best is not None:
                return best[1]
    hidden = [s.name for s in package.sheets if not s.visible]
    if hidden:
        names = ", ".join(f"'{name}'" for name in hidden)
        raise WorkbookRefused(
            f"The workbook has no values in any visible sheet. We never read hidden sheets, and it has "
            f"{'a hidden sheet' if len(hidden) == 1 else 'hidden sheets'}: {names}.",
            "Unhide the sheet that holds the return (right-click a sheet tab > Unhide), or copy the return "
            "onto a visible sheet, then save and send the file again.",
        )
    raise WorkbookRefused(
        "The workbook has no values in any sheet.", "Put the return on the first sheet and send it again."
    )
