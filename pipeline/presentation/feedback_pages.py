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
from transforms.return_types import RETURN_TYPES

EXAMPLES_PER_GROUP = 5


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
                "summary": first["reason"],
                "count": len(group),
                "examples": group.head(EXAMPLES_PER_GROUP)[["row", "value", "reason"]].to_dict("records"),
            }
        )
    return sorted(groups, key=lambda g: (-g["count"], g["examples"][0]["row"]))


def problems_csv(problems: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "problem"])
    for row in problems.itertuples(index=False):
        writer.writerow([row.row, row.column if isinstance(row.column, str) else "", row.value, row.reason])
    # A BOM so that Excel opens the file as UTF-8 (supplier names with accents stay readable).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def feedback_html(
    *,
    network_name: str,
    member_name: str,
    submission: dict[str, Any],
    problems: pd.DataFrame,
    how_to_fix: str | None,
    generated_at: datetime,
    warnings: pd.DataFrame | None = None,
) -> str:
    return_type = RETURN_TYPES.get(submission["return_type"])
    return render(
        "feedback.html.j2",
        network_name=network_name,
        member_name=member_name,
        s=submission,
        return_label=return_type.label if return_type else submission["return_type"],
        groups=_with_labels(problem_groups(problems), return_type),
        warning_groups=_with_labels(problem_groups(warnings), return_type) if warnings is not None else [],
        how_to_fix=how_to_fix,
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
