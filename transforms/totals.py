"""Totals rows that carry no label: told apart from a payment whose supplier is missing.

A "Grand Total" label is recognised while reading (``reading.take_record``). Many exports write the
total with no label at all: a row with nothing but the amount under the last payment, or a subtotal
under each block. Loading it would count the spend twice; reporting it as "supplier missing" would
count it against the member's tolerance. So, going down the file, a row is an unlabelled totals row when

(a) it has no supplier (the return's label column is blank) and it has an amount;
(b) its amount equals, to the penny, the sum of at least two rows: the rows since the previous totals
    row (labelled or not) or the start of the file, or all the rows above it that are not totals,
    or all the other rows of the file that are not totals;
(c) it closes its block: it is the last row of the file, or the next row is a totals row too, or it
    holds nothing but the amount.

A genuine payment with a blank supplier whose amount happens to equal one row above fails (b); one in
the middle of the file with its date and reference fails (c). Both stay ordinary rows with a problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from transforms.raw_table import RawTable, RowProblem
from transforms.return_types import ReturnType

# Return type -> (label column, amount column): which columns make a row a total of the others.
TOTALLED = {"spend": ("supplier_name", "amount_gbp"), "measures": ("measure_code", "value")}
_MAX_ROUNDS = 5


@dataclass(frozen=True)
class UnlabelledTotal:
    row: int
    rows_summed: int
    whole_file: bool  # the sum of the file's other rows, not of the rows above
    amount: str  # as written in the file


_LARGEST_POUNDS = 1e15


def unlabelled_totals(
    raw: pd.DataFrame,
    amounts: pd.Series,
    label_column: str,
    amount_column: str,
    labelled_totals: Iterable[int] = (),
) -> list[UnlabelledTotal]:
    """The rows of ``raw`` (text cells, indexed by file line) that are totals without a label.

    ``amounts`` are the typed amounts (NaN when missing or unreadable); ``labelled_totals`` the lines of
    totals rows already set aside while reading, which close a block as well.
    """
    if label_column not in raw.columns or amount_column not in raw.columns or raw.empty:
        return []
    lines = raw.index.to_numpy(dtype=np.int64)
    values = amounts.fillna(0).to_numpy(dtype=float)
    # Amounts too large to count in pence (the capacity checks refuse them) never make a row a total.
    valid = amounts.notna().to_numpy() & (np.abs(values) < _LARGEST_POUNDS)
    pence = np.where(valid, np.round(values * 100), 0).astype(np.int64)
    label_blank = raw[label_column].astype("string").str.strip().fillna("").eq("").to_numpy()
    candidates = np.flatnonzero(label_blank & valid)
    if not len(candidates):
        return []
    # Whether a row holds nothing but its amount is asked of candidates only: look at theirs alone.
    others = raw.drop(columns=[amount_column]).iloc[candidates].astype("string")
    only_amount = np.zeros(len(raw), dtype=bool)
    only_amount[candidates] = others.apply(lambda c: c.str.strip().fillna("")).eq("").all(axis=1).to_numpy()
    labelled = np.array(sorted(set(labelled_totals)), dtype=np.int64)

    totals: dict[int, tuple[int, bool]] = {}
    not_totals: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        found = _summing_rows(lines, valid, pence, candidates, labelled, not_totals)
        kept = {i: n for i, n in found.items() if _closes_block(i, lines, found, labelled, only_amount)}
        not_totals |= found.keys() - kept.keys()
        if kept == totals:
            break
        totals = kept
    amount_text = raw[amount_column].astype("string").fillna("")
    return [
        UnlabelledTotal(int(lines[i]), n, whole, str(amount_text.iloc[i]).strip())
        for i, (n, whole) in sorted(totals.items())
    ]


def _summing_rows(
    lines: np.ndarray,
    valid: np.ndarray,
    pence: np.ndarray,
    candidates: np.ndarray,
    labelled: np.ndarray,
    not_totals: set[int],
) -> dict[int, tuple[int, bool]]:
    """Positions of the candidates meeting (a) and (b) -> (rows they add up, whether the whole file's).

    Walks the candidates only, not every row: the sums above a row come from running totals of the
    amounts, less the totals already found (a total is never summed), so a 100,000-line file with a
    few blank names costs a few NumPy passes rather than a Python loop over its lines.
    """
    amounts = np.where(valid, pence, 0)
    running = np.concatenate(([0], np.cumsum(amounts)))  # running[i]: rows before position i
    counted = np.concatenate(([0], np.cumsum(valid, dtype=np.int64)))
    # A block starts after each totals row; a labelled one sits between two table rows.
    block_starts = np.searchsorted(lines, labelled)
    found: dict[int, tuple[int, bool]] = {}
    # The whole file's non-totals rows, refined as totals are found.
    file_sum, file_count = int(running[-1]), int(counted[-1])
    found_sum = found_count = 0
    after_found = 0  # the block also starts after the last total found
    for i in (int(c) for c in candidates if c not in not_totals and valid[c]):
        labelled_before = block_starts[block_starts <= i]
        start = max(int(labelled_before.max()) if len(labelled_before) else 0, after_found)
        amount = int(pence[i])
        sums = (
            (int(running[i] - running[start]), int(counted[i] - counted[start]), False),
            (int(running[i]) - found_sum, int(counted[i]) - found_count, False),
            (file_sum - amount, file_count - 1, True),
        )
        summed = next(
            ((count, whole) for total, count, whole in sums if count >= 2 and total == amount), None
        )
        if summed is None:
            continue
        found[i] = summed
        file_sum, file_count = file_sum - amount, file_count - 1
        found_sum, found_count = found_sum + amount, found_count + 1
        after_found = i + 1
    return found


def _closes_block(
    i: int,
    lines: np.ndarray,
    found: dict[int, tuple[int, bool]],
    labelled: np.ndarray,
    only_amount: np.ndarray,
) -> bool:
    """(c): the last row of the file, followed by another totals row, or nothing but an amount."""
    if only_amount[i]:
        return True
    next_line = lines[i + 1] if i + 1 < len(lines) else None
    labelled_after = labelled[labelled > lines[i]]
    next_labelled = labelled_after[0] if len(labelled_after) else None
    if next_line is None:
        return True
    if next_labelled is not None and next_labelled < next_line:
        return True
    return (i + 1) in found


def set_aside_unlabelled_totals(
    raw: RawTable, typed: pd.DataFrame, return_type: ReturnType
) -> tuple[RawTable, pd.DataFrame]:
    """``raw`` and ``typed`` without their unlabelled totals rows, which become totals problems of ``raw``.

    Totals problems never count towards the rejection tolerance, so a member who leaves a total in the
    file is not penalised for it.
    """
    if return_type.name not in TOTALLED:
        return raw, typed
    label_column, amount_column = TOTALLED[return_type.name]
    if amount_column not in typed.columns:
        return raw, typed
    labelled = [p.row for p in raw.structural_problems if not p.counts_towards_tolerance]
    found = unlabelled_totals(raw.frame, typed[amount_column], label_column, amount_column, labelled)
    if not found:
        return raw, typed
    label = return_type.columns[label_column].label.lower()
    problems = [
        RowProblem(
            total.row,
            amount_column,
            total.amount,
            f"This row has no {label} and its amount ({total.amount}) is the sum of "
            + (
                f"the file's other {total.rows_summed} rows"
                if total.whole_file
                else f"the {total.rows_summed} rows above it"
            )
            + ", so it looks like a totals row and was not loaded (the network adds up your rows itself). "
            "You can leave it in or take it out.",
            counts_towards_tolerance=False,
        )
        for total in found
    ]
    rows = [total.row for total in found]
    structural = sorted([*raw.structural_problems, *problems], key=lambda p: p.row)
    return replace(raw, frame=raw.frame.drop(index=rows), structural_problems=structural), typed.drop(
        index=rows
    )
