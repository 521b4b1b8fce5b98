"""Totals rows without a label: set aside as totals, never as a payment with its supplier missing.

The rule (transforms/totals.py): no supplier and an amount; the amount equals the sum of at least two
rows (those since the previous totals row, all those above, or all the file's others); and the row
closes its block (last row, followed by another total, or nothing but the amount). Both sides of each
condition are tested; files are literal text so every line number can be counted. Period: 2025-26 Q2.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from pipeline.steps.checking import ReturnCheck, check_return
from tests.test_checking import assert_accounting
from transforms.periods import Period
from transforms.return_types import MEASURES, SPEND
from transforms.totals import unlabelled_totals

PERIOD = Period.parse("2025-26-Q2")
HEADER = "Payment Date,Supplier Name,Amount,Transaction ID"


def check(lines: list[str], tolerance: float = 0.05) -> ReturnCheck:
    result = check_return(
        ("\n".join([HEADER, *lines]) + "\n").encode(), "spend.csv", SPEND, PERIOD, tolerance=tolerance
    )
    assert_accounting(result)
    return result


def payments(n: int, start: int = 0) -> list[str]:
    return [f"{1 + i % 28:02d}/08/2025,Supplier {i} Ltd,{10 + i}.25,T{i}" for i in range(start, start + n)]


def total_of(lines: list[str]) -> str:
    return str(sum(Decimal(line.split(",")[2]) for line in lines))


def totals_rows(result: ReturnCheck) -> list[int]:
    return result.problems.loc[result.problems["rule"] == "row:totals", "row"].tolist()


def test_a_bare_grand_total_under_the_payments_is_a_total() -> None:
    rows = payments(30)
    result = check([*rows, f",,{total_of(rows)},"])
    assert result.status == "accepted"
    assert totals_rows(result) == [32]
    assert result.rows_accepted == 30 and result.rows_read == 31
    assert result.accepted_total_gbp == float(total_of(rows))
    [reason] = result.problems["reason"]
    assert "no supplier name" in reason and "sum of the 30 rows above it" in reason


def test_subtotals_under_each_block_and_a_grand_total() -> None:
    first, second = payments(12), payments(9, start=12)
    lines = [
        *first,
        f",,{total_of(first)},",
        *second,
        f",,{total_of(second)},",
        f",,{total_of(first + second)},",
    ]
    result = check(lines, tolerance=0.0)  # totals must not count towards the tolerance
    assert result.status == "accepted"
    assert totals_rows(result) == [14, 24, 25]
    assert result.rows_accepted == 21


def test_a_total_with_a_date_and_reference_still_counts_when_it_is_the_last_row() -> None:
    rows = payments(20)
    result = check([*rows, f"30/09/2025,,{total_of(rows)},SUM"])
    assert totals_rows(result) == [22]


def test_a_blank_supplier_equal_to_one_row_above_is_a_payment_with_a_problem() -> None:
    # After the subtotal the block holds one payment; the last row equals it, but one row is not a sum.
    rows, [single] = payments(30), payments(1, start=30)
    result = check([*rows, f",,{total_of(rows)},", single, f"30/09/2025,,{total_of([single])},"])
    assert totals_rows(result) == [32]
    problem = result.problems.iloc[-1]
    assert (problem["row"], problem["column"]) == (34, "supplier_name")
    assert problem["rule"] == "supplier_name:expect_column_values_to_not_be_null"


def test_a_blank_supplier_mid_file_equal_to_the_rows_above_is_a_payment_with_a_problem() -> None:
    # Equal to the sum of the two rows above, but payments follow and the row has its own date and id:
    # it does not close a block, so it is an ordinary payment with its supplier missing.
    rows = payments(2)
    result = check([*rows, f"03/08/2025,,{total_of(rows)},T77", *payments(30, start=2)])
    assert totals_rows(result) == []
    assert result.problems["row"].tolist() == [4]
    assert result.problems.loc[0, "column"] == "supplier_name"


def test_a_blank_supplier_that_is_not_a_sum_is_a_payment_with_a_problem() -> None:
    rows = payments(30)
    result = check([*rows, f",,{Decimal(total_of(rows)) + Decimal('0.01')},"])
    assert totals_rows(result) == []
    assert result.rows_rejected == 1


def test_a_total_of_the_whole_file_at_the_top_holding_only_the_amount() -> None:
    rows = payments(25)
    result = check([f",,{total_of(rows)},", *rows])
    assert totals_rows(result) == [2]
    assert "the file's other 25 rows" in result.problems.loc[0, "reason"]


def test_a_labelled_subtotal_closes_a_block_for_the_unlabelled_one_after_it() -> None:
    first, second = payments(10), payments(10, start=10)
    lines = [*first, f",Sub-total,{total_of(first)},", *second, f",,{total_of(second)},"]
    result = check(lines)
    assert totals_rows(result) == [12, 23]
    assert result.rows_accepted == 20


def test_the_rule_as_a_pure_function_on_a_measures_table() -> None:
    raw = pd.DataFrame(
        {"measure_code": ["a", "b", "", ""], "value": ["3", "4", "7", "2"]},
        index=pd.Index([2, 3, 4, 6], name="row"),
    )
    found = unlabelled_totals(raw, pd.to_numeric(raw["value"]), "measure_code", "value")
    assert [(t.row, t.rows_summed, t.whole_file) for t in found] == [(4, 2, False)]
    assert MEASURES.columns["measure_code"].required


def _summing_rows_row_by_row(lines, valid, pence, candidates, labelled, not_totals):  # type: ignore[no-untyped-def]
    """The rule's conditions (a) and (b) stated row by row, as the module first did: the reference."""
    is_candidate = [i in set(candidates.tolist()) and i not in not_totals for i in range(len(lines))]
    block_of_labelled = sorted(int(p) for p in np.searchsorted(lines, labelled))
    found = {}
    file_sum, file_count = sum(int(p) for p, v in zip(pence, valid, strict=True) if v), int(sum(valid))
    block_sum = block_count = above_sum = above_count = 0
    for i in range(len(lines)):
        if any(p == i for p in block_of_labelled):
            block_sum = block_count = 0
        if not valid[i]:
            continue
        amount = int(pence[i])
        if is_candidate[i]:
            sums = (
                (block_sum, block_count, False),
                (above_sum, above_count, False),
                (file_sum - amount, file_count - 1, True),
            )
            summed = next(((n, whole) for total, n, whole in sums if n >= 2 and total == amount), None)
            if summed is not None:
                found[i] = summed
                file_sum, file_count = file_sum - amount, file_count - 1
                block_sum = block_count = 0
                continue
        block_sum, block_count = block_sum + amount, block_count + 1
        above_sum, above_count = above_sum + amount, above_count + 1
    return found


@pytest.mark.parametrize("seed", range(40))
def test_the_candidates_walk_finds_what_the_row_by_row_rule_finds(seed: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Random tables of small amounts with blocks closed by their sums, blank names, unreadable amounts
    and labelled totals between rows: the same totals are found as by the rule stated row by row."""
    import transforms.totals as totals

    rng = np.random.default_rng(seed)
    names, amounts = [], []
    while len(names) < 60:
        block = rng.integers(1, 6, size=rng.integers(1, 5)).tolist()
        for amount in block:
            names.append("" if rng.random() < 0.15 else "S Ltd")
            amounts.append(amount if rng.random() > 0.05 else None)
        if rng.random() < 0.6:  # close the block with its sum, the sum of all above, or a near miss
            closing = sum(a for a in amounts if a is not None) if rng.random() < 0.3 else sum(block)
            names.append("")
            amounts.append(closing + (1 if rng.random() < 0.2 else 0))
    lines = np.sort(rng.choice(np.arange(2, 400), size=len(names), replace=False))
    labelled = [int(line) + 1 for line in lines[rng.random(len(lines)) < 0.08]]
    raw = pd.DataFrame(
        {"supplier_name": names, "amount_gbp": [str(a) if a is not None else "" for a in amounts]},
        index=pd.Index(lines, name="row"),
    )
    typed = pd.Series([float(a) if a is not None else np.nan for a in amounts], index=raw.index)
    walked = unlabelled_totals(raw, typed, "supplier_name", "amount_gbp", labelled)
    monkeypatch.setattr(totals, "_summing_rows", _summing_rows_row_by_row)
    assert walked == unlabelled_totals(raw, typed, "supplier_name", "amount_gbp", labelled)
