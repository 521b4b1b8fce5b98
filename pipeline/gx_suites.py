"""Run the Great Expectations suites in ``expectations/`` on a typed return and list the failing rows.

GX is called directly (not through the GX Airflow provider) so a failed validation becomes row-level
feedback and a quarantine decision instead of a failed task. The context is built once per process:
importing GX costs seconds, running a suite on a quarter's spend costs well under one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class FailedExpectation:
    column: str
    expectation: str
    rows: list[int]
    reason_template: str
    keep_first: bool


def suite_definition(return_type: str) -> dict[str, Any]:
    path: Path = EXPECTATIONS_DIR / f"{return_type}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _validation(return_type: str, columns: tuple[str, ...]) -> Any:
    """A validation definition holding only the expectations whose columns the file sent."""
    import great_expectations as gx

    context = _context()
    definition = suite_definition(return_type)
    expectations = [
        e
        for e in definition["expectations"]
        if e["kwargs"].get("column") in columns or not e.get("meta", {}).get("only_if_column_sent")
    ]
    name = f"{return_type}:{','.join(columns)}"
    suite = context.suites.add(
        gx.ExpectationSuite(name=name, expectations=expectations, meta=definition.get("meta"))
    )
    source = context.data_sources.add_pandas(f"source:{name}")
    batch = source.add_dataframe_asset(f"asset:{name}").add_batch_definition_whole_dataframe("whole")
    return context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))


def run_suite(return_type: str, frame: pd.DataFrame, parameters: dict[str, Any]) -> list[FailedExpectation]:
    """Failed expectations with the frame index values (file line numbers) of their failing rows."""
    validation = _validation(return_type, tuple(frame.columns))
    result = validation.run(
        batch_parameters={"dataframe": frame.rename_axis(None)},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE"},
    )
    failures: list[FailedExpectation] = []
    for outcome in result.results:
        if outcome.success:
            continue
        info = outcome.exception_info or {}
        if info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {outcome.expectation_config.type} crashed: {info.get('exception_message')}"
            )
        meta = outcome.expectation_config.meta or {}
        failures.append(
            FailedExpectation(
                column=outcome.expectation_config.kwargs["column"],
                expectation=outcome.expectation_config.type,
                rows=[int(i) for i in outcome.result.get("unexpected_index_list") or []],
                reason_template=meta.get("reason", outcome.expectation_config.type),
                keep_first=bool(meta.get("keep_first")),
            )
        )
    return failures
