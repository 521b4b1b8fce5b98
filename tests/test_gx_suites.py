"""The GX suite run: every failing row of every rule found, whatever pass finds it, and nothing kept per run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeline.steps.validation import gx_context, run_suite
from transforms.periods import Period

PERIOD = Period.parse("2025-26-Q2")
PARAMETERS = {
    "period_start": pd.Timestamp(PERIOD.start),
    "period_end": pd.Timestamp(PERIOD.end),
    "earliest_payment_date": pd.Timestamp(PERIOD.start),
}


def _spend_frame(rows: int, seed: int) -> tuple[pd.DataFrame, dict[str, set[int]]]:
    """A typed spend frame indexed by file line, with faults planted at random lines; the lines each rule
    should report, worked out from the planting (not from the suite)."""
    rng = np.random.default_rng(seed)
    lines = np.arange(2, rows + 2)
    frame = pd.DataFrame(
        {
            "payment_date": pd.Timestamp("2025-08-01") + pd.to_timedelta(rng.integers(0, 60, rows), "D"),
            "supplier_name": [f"Supplier {i % 97} Ltd" for i in range(rows)],
            "amount_gbp": rng.uniform(-500, 90_000, rows).round(2),
            "supplier_postcode": "SE1 7PB",
            "transaction_id": [f"T{i}" for i in range(rows)],
        },
        index=lines,
    )
    faulty = rng.choice(lines[10:], size=6 * 7, replace=False).reshape(7, 6)
    expected: dict[str, set[int]] = {}
    frame.loc[faulty[0], "supplier_name"] = None
    expected["supplier_name:expect_column_values_to_not_be_null"] = set(faulty[0])
    frame.loc[faulty[1], "supplier_name"] = "X"
    expected["supplier_name:expect_column_value_lengths_to_be_between"] = set(faulty[1])
    frame.loc[faulty[2], "amount_gbp"] = 250_000_000.0
    expected["amount_gbp:expect_column_values_to_be_between"] = set(faulty[2])
    frame.loc[faulty[3], "payment_date"] = pd.Timestamp("2025-06-30")
    expected["payment_date:expect_column_values_to_be_between"] = set(faulty[3])
    frame.loc[faulty[4], "supplier_postcode"] = "SE1 7ZZZ"
    expected["supplier_postcode:expect_column_values_to_match_regex"] = set(faulty[4])
    # Each duplicate reuses the id of an earlier line: both lines fail the uniqueness rule.
    firsts = lines[: len(faulty[5])]
    frame.loc[faulty[5], "transaction_id"] = frame.loc[firsts, "transaction_id"].to_numpy()
    expected["transaction_id:expect_column_values_to_be_unique"] = set(faulty[5]) | set(firsts)
    frame.loc[faulty[6], "amount_gbp"] = np.nan
    expected["amount_gbp:expect_column_values_to_not_be_null"] = set(faulty[6])
    return frame, expected


def test_every_failing_row_of_every_rule_is_reported() -> None:
    frame, expected = _spend_frame(3_000, seed=5)
    failures = run_suite("spend", frame, PARAMETERS)
    found = {f"{f.column}:{f.expectation}": set(f.rows) for f in failures}
    assert found == {rule: {int(r) for r in rows} for rule, rows in expected.items()}
    reasons = {f"{f.column}:{f.expectation}": f.reason_template for f in failures}
    assert "outside the return's period" in reasons["payment_date:expect_column_values_to_be_between"]


def test_a_clean_file_has_no_failures_and_runs_leave_nothing_behind() -> None:
    frame, expected = _spend_frame(500, seed=9)
    bad = set().union(*expected.values())
    clean = frame.drop(index=list(bad))
    store = gx_context().validation_results_store
    before = len(store.list_keys())
    for _ in range(3):
        assert run_suite("spend", clean, PARAMETERS) == []
        assert run_suite("spend", frame, PARAMETERS) != []
    # Results are read and dropped: a worker checking thousands of files does not accumulate them.
    assert len(store.list_keys()) == before


def test_the_lean_suite_run_changes_nothing_but_the_cost(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The suite's outcome is the same when each read builds the configuration (and each configuration its
    expectation) anew; outside a run both are built anew as GX's own do, inside one once."""
    from contextlib import nullcontext

    from great_expectations.execution_engine import pandas_execution_engine

    import pipeline.steps.validation as validation

    for rows, seed in ((3_000, 5), (60, 11)):
        frame, _ = _spend_frame(rows, seed=seed)
        lean = run_suite("spend", frame, PARAMETERS)
        with monkeypatch.context() as patch:
            patch.setattr(validation, "lean_suite_run", nullcontext)
            assert run_suite("spend", frame, PARAMETERS) == lean
    assert pandas_execution_engine.HASH_THRESHOLD == 0  # no fingerprint of every cell
    [expectation, *_] = validation.suite_for("spend", frame.columns).expectations
    configuration = expectation.configuration
    assert expectation.configuration is not expectation.configuration
    assert configuration.to_domain_obj() is not configuration.to_domain_obj()
    with validation.lean_suite_run():
        assert expectation.configuration is expectation.configuration
        assert configuration.to_domain_obj() is configuration.to_domain_obj()
        assert configuration.to_domain_obj().configuration == configuration
    assert expectation.configuration is not expectation.configuration
    assert configuration.to_domain_obj() is not configuration.to_domain_obj()


def test_files_with_other_columns_add_nothing_to_the_context() -> None:
    """Members choose and order their columns differently: checking their files registers no data
    source or suite in GX's context (each would stay for the life of a worker taking a network's files),
    and a file's columns in another order are checked by the same suite, with the same outcome."""
    import pipeline.steps.validation as validation

    frame, _ = _spend_frame(300, seed=7)
    sent = run_suite("spend", frame, PARAMETERS)
    context = gx_context()
    registered = (len(context.data_sources.all()), len(context.suites.all()))
    reordered = frame[list(reversed(frame.columns))]
    assert run_suite("spend", reordered, PARAMETERS) == sent
    assert validation.suite_for("spend", reordered.columns) is validation.suite_for("spend", frame.columns)
    # A column a rule needs only if it was sent: without it, that rule is left out, the others still run.
    without_dates = run_suite("spend", frame.drop(columns="payment_date"), PARAMETERS)
    assert {f.column for f in without_dates} == {f.column for f in sent} - {"payment_date"}
    assert any(f.column == "payment_date" for f in sent)
    assert (len(context.data_sources.all()), len(context.suites.all())) == registered


def test_suite_runs_in_threads_each_check_their_own_period() -> None:
    """Files checked at the same time in one process (threads) are each checked against their own
    period, however the runs interleave: an earlier way of building configurations once let one run's
    configurations, dates substituted, outlive it."""
    from concurrent.futures import ThreadPoolExecutor

    frame, _ = _spend_frame(300, seed=3)
    periods = [Period.parse(key) for key in ("2025-26-Q1", "2025-26-Q2", "2025-26-Q3")]

    def parameters(period: Period) -> dict[str, pd.Timestamp]:
        start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
        return {"period_start": start, "period_end": end, "earliest_payment_date": start}

    def out_of_period(period: Period) -> int:
        failures = run_suite("spend", frame, parameters(period))
        return sum(len(f.rows) for f in failures if f.column == "payment_date")

    alone = {period.key: out_of_period(period) for period in periods}
    assert len(set(alone.values())) == 3  # each period puts a different number of rows outside it
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(out_of_period, periods * 8))
    assert together == [alone[period.key] for period in periods * 8]
    assert [out_of_period(period) for period in periods] == list(alone.values())


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from([np.int64(3), np.float64(0.1), np.bool_(True), np.float32(1.5), np.nan]),
    st.datetimes().map(pd.Timestamp),
    st.dates(),
)


@given(
    st.recursive(
        _JSON_LEAVES,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=4),
        ),
        max_leaves=12,
    )
)
def test_plain_values_reach_json_form_as_gx_would_put_them(value: object) -> None:
    """The short way for plain values gives what GX's own conversion gives, value for value, nested or not."""
    import great_expectations.util as gx_util

    from pipeline.steps.validation import plain_json_values

    gx_context()  # the short way is in place once the context is built
    ours = gx_util.convert_to_json_serializable
    assert getattr(ours, "gx_convert", None) is not None
    assert ours(value) == ours.gx_convert(value) == plain_json_values(ours.gx_convert)(value)
    assert json.dumps(ours(value), sort_keys=True) == json.dumps(ours.gx_convert(value), sort_keys=True)


def test_the_short_way_to_json_changes_no_verdict(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every failing row of every rule is the same with GX's own conversion put back everywhere."""
    import sys

    import great_expectations.util as gx_util

    gx_context()
    ours = gx_util.convert_to_json_serializable
    frame, _ = _spend_frame(2_000, seed=13)
    lean = run_suite("spend", frame, PARAMETERS)
    with monkeypatch.context() as patch:
        for name, module in list(sys.modules.items()):
            if (
                name.startswith("great_expectations")
                and getattr(module, "convert_to_json_serializable", None) is ours
            ):
                patch.setattr(module, "convert_to_json_serializable", ours.gx_convert)
        assert gx_util.convert_to_json_serializable is ours.gx_convert
        assert run_suite("spend", frame, PARAMETERS) == lean
    assert len(lean) == 7


# In a fresh process: what a full pass of the cycle collector walks once GX's context is built, and
# whether garbage made afterwards (a file's) is still collected.
_AFTER_THE_CONTEXT = """
import gc, json
import pandas, pyarrow, sqlalchemy
walked_before = len(gc.get_objects())
from pipeline.steps.validation import gx_context
gx_context()
walked_after = len(gc.get_objects())
class Node: pass
first, second = Node(), Node()
first.other, second.other = second, first
del first, second
print(json.dumps([walked_before, walked_after, gc.get_freeze_count(), gc.collect()]))
"""


def test_after_the_gx_context_a_full_collection_walks_only_new_objects_and_still_frees_their_cycles() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _AFTER_THE_CONTEXT], capture_output=True, text=True, check=True
    ).stdout
    walked_before, walked_after, frozen, collected = json.loads(out.strip().splitlines()[-1])
    assert frozen > walked_before > 10_000  # the imports, GX's and the others before it, set aside
    assert walked_after < walked_before / 100
    assert collected >= 2  # a reference cycle made afterwards is still found and freed
