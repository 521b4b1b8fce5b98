"""Check one return end to end without touching storage: the verdict a member gets.

Reading, coercion and the GX content rules each find problems; here they are merged (one problem
per cell, the most specific reason wins), the rejection tolerance is applied, and the row
accounting rows read = rows accepted + rows rejected + rows set aside is guaranteed by construction.
Rows set aside are totals rows ("Grand Total", or an unlabelled sum of the rows above), rows that
repeat the column headings (exports joined into one file, headings printed on every page) and note lines
(a page number or a print date, no supplier and no amount): never loaded, since a total would count the
spend twice and headings and notes are not data, but no fault of the member, so neither rejected nor
counted against the tolerance.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from pipeline.config import NetworkConfig
from pipeline.programmes import programme_suite_parameters
from pipeline.steps.validation import columns_always_checked, run_suite
from transforms.capacity import capacity_problems, over_long_fields
from transforms.coercion import PERSONAL_VALUE, PROBLEM_COLUMNS, coerce_return
from transforms.column_faults import whole_column_fault
from transforms.limits import DEFAULT_LIMITS, ReadLimits, field_too_long
from transforms.living_wage import rates_on
from transforms.measures import (
    investment_without_programme,
    measure_range_problems,
    outside_programme_problems,
)
from transforms.note_lines import set_aside_note_lines
from transforms.periods import Period
from transforms.pre_period import (
    PRE_PERIOD_DAYS,
    PrePeriodDays,
    earliest_payment_date,
    early_payments_warning,
    window_note,
)
from transforms.raw_table import (
    MEMBER_ID_PLACEHOLDER,
    SET_ASIDE_RULES,
    TOO_WIDE_KIND,
    FileRejected,
    RawTable,
)
from transforms.reading import count_rows, read_return
from transforms.recruitment import offer_outside_programme_problems, start_before_offer_problems
from transforms.repeated_headings import set_aside_repeated_headings
from transforms.return_types import ReturnType
from transforms.spreadsheet_safety import text_formulas_unwrapped
from transforms.totals import set_aside_unlabelled_totals
from warehouse.capacity import fact_capacities, table_capacities
from warehouse.schema import submissions

Status = Literal["accepted", "quarantined"]


@dataclass
class ReturnCheck:
    status: Status
    rows_read: int
    accepted: pd.DataFrame  # typed canonical columns of the rows to load, indexed by file line
    problems: pd.DataFrame  # row, column, value, reason (row-level; empty for file-level rejections)
    file_reason: str | None = None
    how_to_fix: str | None = None
    raw: RawTable | None = field(default=None, repr=False)
    # Rows that load but deserve a second look (row, column, value, reason), e.g. pay below the legal minimum.
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted) if self.status == "accepted" else 0

    @property
    def rows_set_aside(self) -> int:
        """Totals, heading and note rows: listed with the problems (so the member sees where they were)
        but not problems."""
        if self.problems.empty:
            return 0
        return int(self.problems.loc[self.problems["rule"].isin(SET_ASIDE_RULES), "row"].nunique())

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_accepted - self.rows_set_aside

    @property
    def accepted_total_gbp(self) -> float:
        if self.status != "accepted" or self.accepted.empty or "amount_gbp" not in self.accepted.columns:
            return 0.0
        return round(float(self.accepted["amount_gbp"].sum()), 2)

    @property
    def shape(self) -> str:
        if self.raw is None:
            return "unknown"
        return "payment_lines" if "payment_date" in self.raw.frame.columns else "supplier_totals"


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def _format_value(value: object) -> str:
    if value is None or pd.isna(value):
        return ""  # a missing amount or date is shown blank, not as 'nan' or 'NaT'
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _shown_value(typed: object, raw: object) -> str:
    """The value as the member wrote it (dates day first), so they can find it in their file."""
    if isinstance(typed, pd.Timestamp):
        return _format_value(typed)
    return _format_value(raw).strip() or _format_value(typed)


def _content_problems(
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    return_type: ReturnType,
    period: Period,
    suite_parameters: dict[str, Any] | None = None,
    pre_period_days: PrePeriodDays = PRE_PERIOD_DAYS,
) -> pd.DataFrame:
    always = columns_always_checked(return_type.name)
    sent = [c for c in typed.columns if c in raw.columns or c in always]
    parameters = {
        "period_start": pd.Timestamp(period.start),
        "period_end": pd.Timestamp(period.end),
        "earliest_payment_date": pd.Timestamp(earliest_payment_date(period, pre_period_days)),
        **(suite_parameters or {}),
    }
    # Parameters a reason can quote ("valid codes: ..."), as text.
    quoted = {k: ", ".join(map(str, v)) for k, v in (suite_parameters or {}).items() if isinstance(v, list)}
    failures = run_suite(return_type.name, typed[sent], parameters)
    frames = []
    for failure in failures:
        rows = failure.rows
        first_rows: dict[int, int] = {}
        if failure.keep_first:
            keys = list(failure.key_columns or (failure.column,))
            values = typed.loc[rows, keys]
            first = values.groupby(keys, dropna=False)[keys[0]].transform(lambda s: s.index.min())
            first_rows = {int(r): int(f) for r, f in first.items()}
            rows = [r for r in rows if first_rows[r] != r]
        expected: dict[int, str] = {}
        if failure.pair_column:
            # Say what the row's first value (a measure code) takes; a row whose first value is itself
            # unknown has that problem reported by its own rule, so it is not reported twice.
            allowed: dict[Any, list[str]] = {}
            for first, second in failure.allowed_pairs:
                allowed.setdefault(first, []).append(str(second))
            firsts = {r: typed.at[r, failure.pair_column] for r in rows}
            rows = [r for r in rows if firsts[r] in allowed]
            expected = {r: " or ".join(allowed[firsts[r]]) for r in rows}
        if not rows:
            continue
        if return_type.columns[failure.column].personal:
            shown = [PERSONAL_VALUE] * len(rows)  # never echo personal data, even back to its sender
        else:
            shown = [
                _shown_value(
                    typed.at[r, failure.column], raw.at[r, failure.column] if failure.column in raw else None
                )
                for r in rows
            ]
        reasons = [
            failure.reason_template.format(
                value=v,
                first_row=first_rows.get(r, ""),
                pair_value=typed.at[r, failure.pair_column] if failure.pair_column else "",
                expected=expected.get(r, ""),
                period_start=period.start.strftime("%d/%m/%Y"),
                period_end=period.end.strftime("%d/%m/%Y"),
                pre_period_note=window_note(pre_period_days),
                **quoted,
            )
            + _suggestion(v, failure.allowed_values)
            for r, v in zip(rows, shown, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "column": failure.column,
                    "value": shown,
                    "reason": reasons,
                    "rule": f"{failure.column}:{failure.expectation}",
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else _empty_problems()


def _suggestion(value: Any, allowed: tuple[Any, ...]) -> str:
    """ " Did you mean 'x'?" for a value close to one of a set rule's values (a typo, a missing suffix)."""
    choices = [str(a) for a in allowed]
    if not choices or value in (None, PERSONAL_VALUE):
        return ""
    match = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.75)
    return f" Did you mean '{match[0]}'?" if match else ""


@dataclass(frozen=True)
class NetworkRules:
    """What a network adds to a return type's own rules: its measure catalogue, for instance."""

    suite_parameters: dict[str, Any] = field(default_factory=dict)
    # Further row checks on the typed frame and the return's period, returning problems (row, column,
    # value, reason, rule).
    extra_checks: Callable[[pd.DataFrame, Period], pd.DataFrame] | None = None
    # Payments dated up to this many days before the period are accepted in it (``[ingest]`` config).
    pre_period_days: PrePeriodDays = PRE_PERIOD_DAYS
    # What one file may hold (``[limits]``).
    limits: ReadLimits = DEFAULT_LIMITS


def _recruitment_row_problems(
    programme_dates: dict[str, Any], typed: pd.DataFrame, period: Period
) -> pd.DataFrame:
    """The recruitment return's checks across columns: a start before its offer, an offer outside the
    dates of the programme it names."""
    return pd.concat(
        [start_before_offer_problems(typed), offer_outside_programme_problems(typed, programme_dates)],
        ignore_index=True,
    )


def network_rules(cfg: NetworkConfig | None, return_type: str) -> NetworkRules:
    limits = cfg.limits.read_limits() if cfg is not None else DEFAULT_LIMITS
    if return_type == "recruitment":
        return NetworkRules(
            suite_parameters=programme_suite_parameters(cfg, return_type)
            if cfg is not None
            else {"recruitment_programmes": []},
            extra_checks=functools.partial(
                _recruitment_row_problems,
                {p.code: (p.start, p.end) for p in cfg.programmes} if cfg is not None else {},
            ),
            pre_period_days=cfg.ingest.pre_period_days if cfg is not None else PRE_PERIOD_DAYS,
            limits=limits,
        )
    if cfg is None:
        return NetworkRules()
    if return_type != "measures":
        return NetworkRules(pre_period_days=cfg.ingest.pre_period_days, limits=limits)
    catalogue = {m.code: m for m in cfg.measures}
    return NetworkRules(
        pre_period_days=cfg.ingest.pre_period_days,
        limits=limits,
        suite_parameters={
            "measure_codes": sorted(catalogue),
            "measure_units": sorted((m.code, m.unit) for m in cfg.measures),
            **programme_suite_parameters(cfg, return_type),
        },
        extra_checks=lambda typed, period: pd.concat(
            [
                measure_range_problems(typed, cfg.measures),
                investment_without_programme(typed, cfg.sroi.investment_measure),
                outside_programme_problems(typed, period, {p.code: (p.start, p.end) for p in cfg.programmes}),
            ],
            ignore_index=True,
        ),
    )


def check_table(
    raw: RawTable,
    return_type: ReturnType,
    period: Period,
    tolerance: float,
    rules: NetworkRules | None = None,
) -> ReturnCheck:
    rules = rules or NetworkRules()
    raw = replace(raw, frame=text_formulas_unwrapped(raw.frame))
    raw = set_aside_note_lines(set_aside_repeated_headings(raw, return_type), return_type)
    fault = whole_column_fault(raw.frame, return_type)
    if fault is not None:  # one reason for the file, not one per row
        empty = raw.frame.iloc[:0]
        return ReturnCheck(
            "quarantined", raw.rows_read, empty, _empty_problems(), fault.reason, fault.how_to_fix, raw
        )
    typed, unreadable = coerce_return(raw.frame, return_type)
    raw, typed = set_aside_unlabelled_totals(raw, typed, return_type)
    unreadable = unreadable[unreadable["row"].isin(typed.index)]
    content = _content_problems(
        typed, raw.frame, return_type, period, rules.suite_parameters, rules.pre_period_days
    )
    if rules.extra_checks is not None:
        content = pd.concat([content, rules.extra_checks(typed, period)], ignore_index=True)
    # A value longer than a value may be, and a value the warehouse cannot hold, are row problems too:
    # a file accepted here must load (docs/design.md#limits-and-hostile-input).
    over_long = over_long_fields(
        raw.frame, return_type, rules.limits.max_field_chars, field_too_long(rules.limits)
    )
    over_long = over_long[over_long["row"].isin(typed.index)]
    capacity = capacity_problems(typed, return_type, fact_capacities(return_type.name), raw.frame)
    # One problem per cell: a value that could not be read is not also reported as "missing", and a part
    # of a column sent in two (Debit, Credit) stands for that column.
    found = [f for f in (over_long, unreadable, content, capacity) if not f.empty]
    cell_problems = (
        _one_per_cell(pd.concat(found, ignore_index=True), return_type) if found else _empty_problems()
    )
    masked = return_type.has_personal_data
    structural = pd.DataFrame(
        [
            (p.row, p.column, PERSONAL_VALUE if masked else p.value, p.reason, p.rule)
            for p in raw.structural_problems
        ],
        columns=PROBLEM_COLUMNS,
    )
    problems = (
        pd.concat([structural, cell_problems], ignore_index=True) if not structural.empty else cell_problems
    )
    problems = problems.astype({"row": "int64"}).sort_values(
        ["row", "column"], kind="stable", na_position="first"
    )
    problems = problems.reset_index(drop=True)

    bad_rows = set(cell_problems["row"].astype(int))
    accepted = typed.loc[~typed.index.isin(bad_rows)]
    counted = len(bad_rows) + sum(p.counts_towards_tolerance for p in raw.structural_problems)
    # Rows set aside are neither counted nor in the rows the share is taken of: a file's tolerance is
    # the same with or without its "Grand Total" or its repeated headings.
    set_aside = len({p.row for p in raw.structural_problems if not p.counts_towards_tolerance})
    data_rows = max(raw.rows_read - set_aside, 1)
    share = counted / data_rows
    if accepted.empty:
        reason, how_to_fix = _why_no_row_could_be_used(raw)
        return ReturnCheck("quarantined", raw.rows_read, accepted, problems, reason, how_to_fix, raw)
    too_much = total_beyond_capacity(accepted)
    if too_much is not None:
        return ReturnCheck("quarantined", raw.rows_read, accepted, problems, too_much[0], too_much[1], raw)
    if share > tolerance:
        return ReturnCheck(
            "quarantined",
            raw.rows_read,
            accepted,
            problems,
            f"{counted} of {data_rows} rows ({share:.1%}) have problems, more than the network's "
            f"tolerance of {tolerance:.0%}, so the whole file was held back rather than loaded in part.",
            "Fix the rows listed below and send the whole file again with the same file name.",
            raw,
        )
    found = [
        w
        for w in (row_warnings(accepted, return_type), early_payments_warning(accepted, period))
        if not w.empty
    ]
    warnings = pd.concat(found, ignore_index=True) if found else _empty_problems()
    return ReturnCheck("accepted", raw.rows_read, accepted, problems, raw=raw, warnings=warnings)


def _why_no_row_could_be_used(raw: RawTable) -> tuple[str, str]:
    """Reason and fix when no row loads: said once for the file when every row has values past the
    header's last cell (a header without names for its last columns), row by row otherwise."""
    problems = [p for p in raw.structural_problems if p.counts_towards_tolerance]
    if problems and raw.frame.empty and all(p.kind == TOO_WIDE_KIND for p in problems):
        return (
            "Every row has more values than the header row has columns, so no value could be placed under "
            "its heading.",
            "If the last columns of your export have no heading, give each one a heading (any name) or delete "
            'them; if names or amounts contain commas, put them in quotes (e.g. "1,234.56"). Then send the '
            "whole file again.",
        )
    return (
        "None of the rows in the file could be used.",
        "Fix the problems listed row by row and send the whole file again.",
    )


def _one_per_cell(problems: pd.DataFrame, return_type: ReturnType) -> pd.DataFrame:
    """The first problem found for each cell; a part's cell is its whole column's (``in_two_parts``)."""
    whole_of = {part: whole for whole, parts in return_type.in_two_parts.items() for part in parts}
    cells = pd.DataFrame({"row": problems["row"], "column": problems["column"].replace(whole_of)})
    return problems[~cells.duplicated(keep="first")]


def total_beyond_capacity(accepted: pd.DataFrame) -> tuple[str, str] | None:
    """The amounts of a file add up to more than the warehouse records for one file: no real return does.

    Summed without their signs, so that no supplier's subtotal can overflow either.
    """
    if "amount_gbp" not in accepted.columns or accepted.empty:
        return None
    capacity = table_capacities(submissions)["accepted_total_gbp"]
    gross = float(accepted["amount_gbp"].abs().sum())
    if capacity.max_magnitude is None or gross < capacity.max_magnitude:
        return None
    return (
        f"The amounts in the file add up to £{gross:,.0f}, more than the network can record for one return "
        "(there is probably a reference or a date in the amount column).",
        "Check the amount column holds the payments' net amounts in pounds, and send the file again.",
    )


def row_warnings(accepted: pd.DataFrame, return_type: ReturnType) -> pd.DataFrame:
    """Warnings keep the row: a rate below the statutory National Living Wage may be a typo or a breach."""
    if return_type.name != "workforce" or accepted.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    minimum = rates_on(accepted["snapshot_date"], "national")
    rates = accepted["hourly_rate_gbp"]
    low = (rates < minimum).to_numpy()
    shown = [f"£{rate:.2f}" for rate in rates[low]]
    return pd.DataFrame(
        {
            "row": accepted.index[low].astype(int),
            "column": "hourly_rate_gbp",
            "value": shown,
            "reason": [
                f"{rate} an hour is below the statutory National Living Wage (£{floor:.2f} on the snapshot "
                "date) for workers aged 21 and over: check the rate (apprentices and younger workers have "
                "lower legal minimums). The row was loaded."
                for rate, floor in zip(shown, minimum[low], strict=True)
            ],
            "rule": "hourly_rate_gbp:below_national_living_wage",
        }
    )


def check_return(
    data: bytes,
    file_name: str,
    return_type: ReturnType,
    period: Period,
    *,
    member_column_map: dict[str, str] | None = None,
    tolerance: float = 0.05,
    rules: NetworkRules | None = None,
    member_id: str | None = None,
) -> ReturnCheck:
    """Everything the pipeline would decide about a file, without storing anything.

    ``member_id``, when known, is written into the reasons that tell a member how to get their columns
    recorded (they otherwise say "<your member id>").
    """
    limits = (rules or NetworkRules()).limits
    try:
        raw = read_return(data, file_name, return_type, member_column_map, limits)
    except FileRejected as rejected:
        rows_read = (
            rejected.rows_read
            if rejected.rows_read is not None
            else count_rows(data, file_name, return_type, limits)
        )
        return ReturnCheck(
            "quarantined",
            rows_read,
            _empty_problems(),
            _empty_problems(),
            _with_member(rejected.reason, member_id),
            _with_member(rejected.how_to_fix, member_id),
        )
    return check_table(raw, return_type, period, tolerance, rules)


def _with_member(text: str, member_id: str | None) -> str:
    return text.replace(MEMBER_ID_PLACEHOLDER, member_id) if member_id else text
