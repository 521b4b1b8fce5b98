"""From records (a file's rows as text cells with their line numbers) to a return's raw table: the
header found and mapped, each record fitted to it or set aside with the reason, totals rows recognised.

Shared by the two readers in ``transforms.reading`` (the csv module, for anything) and
``transforms.fast_reading`` (pyarrow, for clean CSVs), so both decide every record the same way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pandas as pd
import pyarrow as pa

from transforms.headers import HeaderMapping, HeaderMatch, HeaderRecogniser, recogniser
from transforms.identifiers import shown_header
from transforms.limits import DEFAULT_LIMITS, ReadLimits, too_many_columns, too_many_rows
from transforms.return_types import ReturnType

HEADER_SEARCH_ROWS = 50
# Where a reason names the member's own id; ``pipeline.steps.checking`` puts the real id in when it knows it.
MEMBER_ID_PLACEHOLDER = "<your member id>"
# A totals label on its own or followed by punctuation or a qualifier ("Total:", "Grand Total (net)",
# "Total for Q2", "Total spend"), but not a supplier whose name starts with the word ("Total Gas & Power").
_TOTALS_RE = re.compile(
    r"^\s*(grand\s*total|totals?|sub-?\s*total|overall\s*total)"
    r"\s*(?:$|[^\w\s&]|(?:for|of|all|spend|amount|paid|payments?|value|expenditure|net|gross)\b)",
    re.IGNORECASE,
)


class FileRejected(Exception):
    """The file as a whole cannot be used; ``reason`` and ``how_to_fix`` are written for the member."""

    def __init__(self, reason: str, how_to_fix: str, rows_read: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.how_to_fix = how_to_fix
        # Non-blank records in the file (after the header when one was found), so that a quarantined
        # file still accounts for every row it brought.
        self.rows_read = rows_read


# Rows set aside: listed with the problems so the member can find them, but not loaded and not problems
# (rows read = accepted + rejected + set aside): totals rows, rows repeating the headings, and note lines
# (a page number, a print date: text with no supplier and no amount).
TOTALS_KIND, HEADING_KIND, NOTE_KIND = "totals", "heading", "note"
# A row with values past the header's last cell (a problem, counted): when every row is one, the file says so.
TOO_WIDE_KIND = "too_wide"
SET_ASIDE_RULES = frozenset(f"row:{kind}" for kind in (TOTALS_KIND, HEADING_KIND, NOTE_KIND))


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    value: str | None
    reason: str
    counts_towards_tolerance: bool = True
    # What a row set aside is (TOTALS_KIND, HEADING_KIND, NOTE_KIND), or TOO_WIDE_KIND.
    kind: str = TOTALS_KIND

    @property
    def rule(self) -> str:
        return f"row:{self.kind}" if not self.counts_towards_tolerance else "row:shape"


@dataclass
class RawTable:
    """Cells of a return under canonical column names, indexed by the line each record starts on."""

    frame: pd.DataFrame
    rows_read: int
    header_line: int
    mapped: dict[str, str]  # original header -> canonical column
    ignored: list[str]
    encoding: str
    delimiter: str | None
    structural_problems: list[RowProblem] = field(default_factory=list)
    # How each mapped header was recognised (your column map, a known name, its words), for the feedback.
    header_matches: tuple[HeaderMatch, ...] = ()

    def set_aside(self, shown: dict[int, str], reason: str, kind: str) -> RawTable:
        """This table without the rows ``shown`` (row -> the line as the member is shown it), each now a
        problem that is not counted against the tolerance (a row of ``kind``, e.g. HEADING_KIND)."""
        if not shown:
            return self
        problems = [
            RowProblem(int(row), None, text, reason, counts_towards_tolerance=False, kind=kind)
            for row, text in shown.items()
        ]
        structural = sorted([*self.structural_problems, *problems], key=lambda p: p.row)
        return replace(self, frame=self.frame.drop(index=list(shown)), structural_problems=structural)


def arrow_text(cells: pd.Series) -> pa.Array:
    """A column of raw text cells as Arrow text (a missing cell null), for kernels over the whole column."""
    return pa.array(cells.array, type=pa.large_string(), from_pandas=True)


def csv_records(
    text: str, delimiter: str, limits: ReadLimits = DEFAULT_LIMITS
) -> list[tuple[int, list[str]]]:
    """Records with the physical line number each starts on (1-based, preamble and header included).

    Reading stops, and the file is refused, at a record wider than the network's column limit or once
    there are more records than its row limit allows (with room for a preamble and the header).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    previous_end = 0
    most, non_blank = limits.max_rows + HEADER_SEARCH_ROWS, 0
    try:
        for record in reader:
            if len(record) > limits.max_columns:
                raise FileRejected(*too_many_columns(previous_end + 1, len(record), limits))
            records.append((previous_end + 1, record))
            previous_end = reader.line_num
            non_blank += not is_blank(record)
            if non_blank > most:
                raise FileRejected(*too_many_rows(limits), rows_read=non_blank)
    except csv.Error as exc:
        raise FileRejected(
            f"The file could not be read as CSV near line {reader.line_num + 1}: {exc}.",
            'Check that quotes are balanced (a value that starts with " must end with ") and export again.',
        ) from None
    return records


# -- records to a raw table ------------------------------------------------------------------------
def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def find_header(
    records: list[tuple[int, list[str]]], return_type: ReturnType, names: HeaderRecogniser
) -> int:
    """Index (in ``records``) of the header: the first row naming the most canonical columns."""
    best_index, best_hits = -1, 1
    for index, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        hits = names.columns_named(cells)
        anchors_found = all(anchor in hits for anchor in return_type.header_anchors)
        if anchors_found:
            return index
        if len(hits) > best_hits:
            best_index, best_hits = index, len(hits)
    if best_index < 0:
        expected = ", ".join(f"'{return_type.columns[c].label}'" for c in return_type.required)
        raise FileRejected(
            f"We could not find the header row: no row in the first {HEADER_SEARCH_ROWS} lines names the "
            f"columns we need ({expected}).",
            f"Make sure the file has one header row with column names such as {expected}; "
            f"'anchor template {return_type.name}' writes a blank return with the right headers.",
        )
    return best_index


def map_headers(header: list[str], return_type: ReturnType, names: HeaderRecogniser) -> HeaderMapping:
    """Each canonical column to the header that names it best; a missing required column rejects the file."""
    mapping = names.map(header)
    if mapping.missing:
        raise FileRejected(*missing_columns_reason(header, mapping, return_type, names))
    return mapping


def missing_columns_reason(
    header: list[str], mapping: HeaderMapping, return_type: ReturnType, names: HeaderRecogniser
) -> tuple[str, str]:
    """Reason and fix for required columns no header was recognised as: the nearest headers and how to map them."""
    personal = return_type.has_personal_data
    labels = ", ".join(f"'{return_type.columns[c].label}'" for c in mapping.missing)
    found = ", ".join(f"'{shown_header(h, personal)}'" for h in header if h.strip())
    closest = {
        c: [h for h in names.closest(header, c, taken=mapping.mapped) if shown_header(h, personal) == h]
        for c in mapping.missing
    }
    nearest = "".join(
        f" The closest to {return_type.columns[c].label} "
        + ("is " if len(hs) == 1 else "are ")
        + _or_list(hs)
        + "."
        for c, hs in closest.items()
        if hs
    )
    examples = "; ".join(
        f"{return_type.columns[c].label}: e.g. "
        + ", ".join(f"'{a.title()}'" for a in return_type.columns[c].aliases[:3])
        for c in mapping.missing
    )
    suggestion = next(((c, hs[0]) for c, hs in closest.items() if hs), None)
    if suggestion is None:
        how = f"Add the column or rename yours to a name we recognise ({examples})."
    else:
        column, nearest_header = suggestion
        label = return_type.columns[column].label
        how = (
            f"If '{nearest_header}' holds the {label.lower()}, rename it to '{label}' or another name we recognise "
            f"({examples}), or ask the network's data team to record it for your organisation, so that later "
            f'files are read the same way (anchor columns map --member {MEMBER_ID_PLACEHOLDER} "{nearest_header}" {column}).'
        )
    return f"A required column is missing: {labels}.{nearest} The header row has: {found}.", how


def _or_list(items: list[str]) -> str:
    quoted = [f"'{item}'" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def take_record(
    line: int, cells: list[str], width: int, required_positions: list[int], written: int
) -> tuple[list[str], None] | tuple[None, RowProblem]:
    """A non-blank data record: its cells fitted to the header's width, or the problem that sets it aside.

    ``width`` reaches the header's last named column, ``written`` (at least ``width``) its last cell,
    named or not: values under a header cell left blank are a column the member did not name (Excel
    writes a sheet's unnamed columns into its CSV as empty header cells), ignored like any column we do
    not use; only values beyond the header's last cell cannot be placed.

    Shared by the csv-module path below and the pyarrow fast path (``transforms.fast_reading``), so both
    decide every record the same way.
    """
    if _is_totals_row(cells):
        return None, RowProblem(
            line,
            "supplier_name",
            shown_cells(cells),
            "This looks like a totals row, so it was not loaded (the network adds up your rows itself). "
            "You can leave it in or take it out.",
            counts_towards_tolerance=False,
        )
    if len(cells) > width:
        extra = cells[written:]
        if any(cell.strip() for cell in extra):
            return None, RowProblem(
                line,
                None,
                shown_cells(cells),
                f"This row has {len(cells)} values but the header has {written} columns, so we cannot tell "
                "which value belongs where. A value probably contains the delimiter: put quotes around "
                'names and amounts that contain commas (e.g. "1,234.56").',
                kind=TOO_WIDE_KIND,
            )
        cells = cells[:width]
    elif len(cells) < width:
        if any(p >= len(cells) for p in required_positions):
            return None, RowProblem(
                line,
                None,
                shown_cells(cells),
                f"This row has only {len(cells)} of the {width} values the header names; the values "
                "seem to have run together (a missing delimiter or a stray quote). Check the row in "
                "your system and export it again.",
            )
        cells = cells + [""] * (width - len(cells))
    return cells, None


def build_raw_table(
    records: list[tuple[int, list[str]]],
    return_type: ReturnType,
    member_column_map: dict[str, str] | None,
    *,
    encoding: str,
    delimiter: str | None,
) -> RawTable:
    names = recogniser(return_type, member_column_map)
    try:
        header_index = find_header(records, return_type, names)
    except FileRejected as rejected:
        rejected.rows_read = sum(not is_blank(cells) for _, cells in records)
        raise
    header_line, header = records[header_index]
    try:
        mapping = map_headers(header, return_type, names)
    except FileRejected as rejected:
        rejected.rows_read = sum(not is_blank(cells) for _, cells in records[header_index + 1 :])
        raise
    positions = mapping.positions
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    required = return_type.required_sent(positions.values())
    required_positions = [p for p, c in positions.items() if c in required]

    lines: list[int] = []
    rows: list[list[str]] = []
    problems: list[RowProblem] = []
    rows_read = 0
    for line, cells in records[header_index + 1 :]:
        if is_blank(cells):
            continue
        rows_read += 1
        kept, problem = take_record(line, cells, width, required_positions, len(header))
        if problem is not None:
            problems.append(problem)
            continue
        lines.append(line)
        rows.append([kept[p] for p in positions])
    frame = pd.DataFrame(
        rows, columns=list(positions.values()), index=pd.Index(lines, name="row"), dtype=object
    )
    return RawTable(
        frame,
        rows_read,
        header_line,
        mapping.mapped,
        list(mapping.ignored),
        encoding,
        delimiter,
        problems,
        mapping.matches,
    )


def shown_cells(cells: Iterable[str]) -> str:
    """A record's non-blank cells, as the member is shown a line that was not loaded."""
    return ", ".join(cell for cell in cells if cell.strip())[:200]


def _is_totals_row(cells: list[str]) -> bool:
    """A "Grand Total" line summarises other rows; loading it would count the spend twice."""
    first = next((cell for cell in cells if cell.strip()), "")
    return bool(_TOTALS_RE.match(first))
