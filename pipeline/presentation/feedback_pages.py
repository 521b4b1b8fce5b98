"""Feedback a member can act on: a receipt or a rejection for every file, in HTML and CSV.

Members are finance and HR teams; the HTML groups problems by kind with counts and the first
examples, the CSV lists every problem row so they can fix the file in Excel.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline.presentation.templating import render
from transforms.raw_table import SET_ASIDE_RULES
from transforms.return_types import RETURN_TYPES
from transforms.spreadsheet_safety import inert

EXAMPLES_PER_GROUP = 5
# Totals rows, repeated headings and note lines are listed with the problems (``transforms.raw_table.SET_ASIDE_RULES``)
# so the member can see which lines were left out, but they are no fault: they are shown apart and
# labelled as not loaded.
SET_ASIDE_LABELS = {
    "row:totals": "Not loaded: totals row",
    "row:heading": "Not loaded: column headings",
    "row:note": "Not loaded: a note, no payment",
}


def _split(problems: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(problems, rows set aside: totals, repeated headings and notes)."""
    if problems.empty or "rule" not in problems.columns:
        return problems, problems.iloc[:0]
    set_aside = problems["rule"].isin(SET_ASIDE_RULES)
    return problems.loc[~set_aside], problems.loc[set_aside]


def problem_groups(problems: pd.DataFrame) -> list[dict[str, Any]]:
    """Problems grouped by rule, largest group first, with the first few rows as examples."""
    if problems.empty:
        return []
    groups = []
    for _rule, group in problems.groupby("rule", sort=False):
        first = group.iloc[0]
        groups.append(
            {
                "column": first["column"] if isinstance(first["column"], str) else "",
                "summary": str(first["reason"]),
                "count": len(group),
                "examples": [
                    {
                        "row": int(e.row),
                        "value": "" if pd.isna(e.value) else str(e.value),
                        "reason": str(e.reason),
                    }
                    for e in group.head(EXAMPLES_PER_GROUP).itertuples(index=False)
                ],
            }
        )
    return sorted(groups, key=lambda g: (-g["count"], g["examples"][0]["row"]))


def problems_csv(problems: pd.DataFrame) -> bytes:
    """Every problem row, for the member to sort in Excel; their own values are made inert first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "problem"])
    for row in problems.itertuples(index=False):
        column = row.column if isinstance(row.column, str) else ""
        reason = str(row.reason)
        label = SET_ASIDE_LABELS.get(getattr(row, "rule", None) or "")
        if label:  # listed, so the line can be found, but not a problem
            reason = f"{label} (not a problem). {reason}"
        writer.writerow([row.row, inert(column), inert(row.value), inert(reason)])
    # A BOM so that Excel opens the file as UTF-8 (supplier names with accents stay readable).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def answer_content(
    problems: pd.DataFrame,
    warnings: pd.DataFrame | None,
    return_type_name: str,
    how_to_fix: str | None,
    mapping: list[str] | None = None,
) -> dict[str, Any]:
    """What a file's feedback page says besides its stored outcome: plain data (JSON), so that it can be
    kept while the answer is owed and rendered when it is paid (``pipeline.steps.answers``)."""
    return_type = RETURN_TYPES.get(return_type_name)
    problems, set_aside = _split(problems)
    return {
        "groups": _with_labels(problem_groups(problems), return_type),
        "set_aside_groups": _with_labels(problem_groups(set_aside), return_type),
        "warning_groups": _with_labels(problem_groups(warnings), return_type) if warnings is not None else [],
        "how_to_fix": how_to_fix,
        "mapping": list(mapping or []),
    }


def feedback_html(
    *,
    network_name: str,
    member_name: str,
    submission: dict[str, Any],
    content: dict[str, Any],
    generated_at: datetime,
) -> str:
    return_type = RETURN_TYPES.get(submission["return_type"])
    return render(
        "feedback.html.j2",
        network_name=network_name,
        member_name=member_name,
        s=submission,
        return_label=return_type.label if return_type else submission["return_type"],
        groups=content.get("groups") or [],
        warning_groups=content.get("warning_groups") or [],
        set_aside_groups=content.get("set_aside_groups") or [],
        how_to_fix=content.get("how_to_fix"),
        mapping=content.get("mapping") or [],
        generated_at=generated_at,
    )


def _with_labels(groups: list[dict[str, Any]], return_type: Any) -> list[dict[str, Any]]:
    """Name columns as the template and the notes do ("Amount"), not by their internal code ("amount_gbp")."""
    columns = return_type.columns if return_type is not None else {}
    for group in groups:
        spec = columns.get(group["column"])
        if spec is not None and spec.label:
            group["column"] = spec.label
    return groups
