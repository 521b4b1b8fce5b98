"""Run the Great Expectations suites in ``expectations/`` on a typed return and list the failing rows.

GX is called directly (not through the GX Airflow provider) so a failed validation becomes row-level
feedback and a quarantine decision instead of a failed task. The context is built once per process:
importing GX costs seconds, running a suite on a quarter's spend costs well under one.
"""

from __future__ import annotations

import contextvars
import gc
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd

# Before GX is first imported, wherever that happens: its import logs ~200 INFO lines otherwise.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


@dataclass(frozen=True)
class FailedExpectation:
    column: str
    expectation: str
    rows: list[int]
    reason_template: str
    keep_first: bool
    # A pair rule (code and unit): the first column, and the allowed (first, second) pairs, so a reason
    # can say what the second should have been for the row's first.
    pair_column: str | None = None
    allowed_pairs: tuple[tuple[Any, Any], ...] = ()
    allowed_values: tuple[Any, ...] = ()  # a set rule's values, to suggest the nearest one
    # A compound rule (one measure per programme): the columns whose values together must be unique.
    key_columns: tuple[str, ...] = ()


def columns_of(expectation: dict[str, Any]) -> set[str]:
    """The columns an expectation reads (one column, a pair, or a compound key)."""
    kwargs = expectation["kwargs"]
    return {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs} | set(
        kwargs.get("column_list", ())
    )


@cache
def _suite_text(return_type: str) -> str:
    return (files("expectations") / f"{return_type}.json").read_text(encoding="utf-8")


def suite_definition(return_type: str) -> dict[str, Any]:
    """The suite of ``expectations/<return type>.json``, read once per process, parsed afresh per call
    (callers may change what they are given)."""
    return json.loads(_suite_text(return_type))


@cache
def _rules(return_type: str) -> tuple[tuple[frozenset[str], bool], ...]:
    """Each expectation of the suite, in order: the columns it reads, and whether it runs only when the
    file sent them (``meta.only_if_column_sent``)."""
    return tuple(
        (frozenset(columns_of(e)), bool(e.get("meta", {}).get("only_if_column_sent")))
        for e in suite_definition(return_type)["expectations"]
    )


@cache
def columns_always_checked(return_type: str) -> frozenset[str]:
    """Columns of rules that run whether or not the file sent the column (one measure per programme reads
    the programme even when there is none): a column the file left out is then all missing."""
    return frozenset().union(*(columns for columns, only_if_sent in _rules(return_type) if not only_if_sent))


@cache
def gx_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # Some GX modules set their own logger's level on import, which a parent's level does not override.
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations.")]:
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _lean_gx()
    _keep_imports_out_of_full_collections()
    return context


def _keep_imports_out_of_full_collections() -> None:
    """Move every object alive now (the modules, classes and functions of pandas, Airflow and GX, about
    400,000 in a task process) out of reach of CPython's cycle collector (``gc.freeze``).

    They live as long as the process, yet each full collection walks them all (0.3-0.5 s a pass; a
    worker taking a batch of files sets off one or more), while the files' own objects are few and
    short-lived. Reference counting still frees any frozen object that stops being used; only a
    reference cycle among them would stay, and the imports make few. Airflow's LocalExecutor freezes its
    own objects the same way before it forks workers. Called once per process, when GX's context is
    built: GX is the last and largest import of a task that checks files.
    """
    gc.freeze()


@cache
def _batch_definition(return_type: str) -> Any:
    """The one batch definition (a whole dataframe) every file of a return type is checked through.

    Registering a data source, asset and batch definition in GX's context costs about 8 ms and each
    stays in the context for the life of the process, so there is one per return type, never one per
    set of columns a file sent: members order and choose their columns differently, and a worker taking
    a network's files would otherwise register one for nearly every member."""
    source = gx_context().data_sources.add_pandas(f"source:{return_type}")
    return source.add_dataframe_asset(f"asset:{return_type}").add_batch_definition_whole_dataframe("whole")


def suite_for(return_type: str, columns: Iterable[str]) -> Any:
    """The suite a file sending ``columns`` is checked against: the return type's expectations whose columns
    it sent (and those that run whatever it sent), the same object for every such file of the process."""
    sent = set(columns)
    kept = tuple(
        n for n, (read, only_if_sent) in enumerate(_rules(return_type)) if read <= sent or not only_if_sent
    )
    return _suite_of(return_type, kept)


@cache
def _suite_of(return_type: str, kept: tuple[int, ...]) -> Any:
    """A suite of some of the return type's expectations (by position), built once per process. Kept out
    of GX's context: the validator runs it as it is, and the context would keep every one added."""
    import great_expectations as gx

    definition = suite_definition(return_type)
    expectations = [definition["expectations"][n] for n in kept]
    name = f"{return_type}:{','.join(map(str, kept))}"
    return gx.ExpectationSuite(name=name, expectations=expectations, meta=definition.get("meta"))


# Timestamps GX compares column-wise (its "between" metric loops in Python over any other unit).
_NS_MIN, _NS_MAX = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def _suite_frame(frame: pd.DataFrame, expectations: list[dict[str, Any]]) -> pd.DataFrame:
    """Only the columns the expectations look at, dates as nanosecond timestamps, index kept (file lines).

    GX hashes and filters the whole batch for every failing-row query, so unused columns cost time.
    A date outside the nanosecond range (year 1 from a typo) is clipped to the range's edge: it is still
    outside any period, and the value shown to the member comes from the typed frame, not from here.
    """
    used = set().union(*(columns_of(e) for e in expectations)) if expectations else set()
    suite_frame = frame[[c for c in frame.columns if c in used]].rename_axis(None)
    for column in suite_frame.columns:
        values = suite_frame[column]
        if pd.api.types.is_datetime64_dtype(values.dtype) and values.dtype != "datetime64[ns]":
            suite_frame[column] = values.clip(_NS_MIN, _NS_MAX).astype("datetime64[ns]")
    return suite_frame


def _resolved(value: Any, parameters: dict[str, Any]) -> Any:
    """An expectation argument, with a ``{"$PARAMETER": name}`` reference replaced by its value."""
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters.get(value["$PARAMETER"], ())
    return value


# What this thread's suite run has built so far: configurations by expectation object, expectations by
# configuration object (each kept with the object it was built from); None outside a run.
_BUILT: contextvars.ContextVar[dict[tuple[str, int], tuple[Any, Any]] | None] = contextvars.ContextVar(
    "gx_configurations_built", default=None
)


def _built_once(kind: str, build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``build`` of an object, once per object inside :func:`lean_suite_run`; GX's own build outside one."""

    def once(source: Any) -> Any:
        kept = _BUILT.get()
        if kept is None:
            return build(source)
        found = kept.get((kind, id(source)))
        if found is None or found[0] is not source:
            found = kept[(kind, id(source))] = (source, build(source))
        return found[1]

    once.__name__ = f"_{kind}_built_once"
    return once


def _lean_gx() -> None:
    """Take away costs of GX suite runs whose results are read once and dropped (once per process).

    - Inside :func:`lean_suite_run`, each expectation builds its configuration once, not on every read.
      GX's ``Expectation.configuration`` is a property that dumps the expectation's pydantic model into
      a new ``ExpectationConfiguration`` each time, and building the metric graph reads it once per
      keyword of every metric of every expectation: about 1,000 dumps per run, half of a run's fixed
      cost. The first value is kept for the rest of the run, per expectation object (held, so its id
      cannot be reused). The memo belongs to the run's thread (a context variable), and outside a run
      the property is GX's own: the property is replaced once, never swapped in and out, because two
      threads swapping it can leave one run's memo in place for good (seen: a later file was checked
      against an earlier file's period, the configurations of the cached suite kept with its dates).
    - Likewise each configuration builds its expectation once per run: GX turns a configuration back
      into a new pydantic expectation (``to_domain_obj``) for every keyword of every metric, and each
      new expectation then builds its own configuration again. Nothing GX does with them writes to
      either (min of 25, CPU: 4,000-row workforce suite run 38 -> 31 ms, 100,000-line spend 110 -> 103 ms).
    - The batch is not fingerprinted. GX hashes every cell of a batch below 1 GB (``HASH_THRESHOLD``)
      into a marker of its results; nothing here reads it, and GX itself leaves it out above that size
      (the batch id does not depend on it). About 50 ms of a 100,000-line spend file's run.
    - Plain values reach JSON form without GX's search through every type it knows
      (:func:`plain_json_values`). Every metric of the graph is named by a hash of its keyword
      arguments' JSON form, and most of those arguments are ``None``, which GX only recognises after
      four NumPy dtype tests.

    Measured, the configurations built once and no fingerprint: a 10-row workforce file's run 0.085 ->
    0.045 s CPU, a 100,000-line spend file's 0.18 -> 0.12 s. The plain values, on a slower machine
    (medians of 30 runs, CPU): a 4,000-row workforce file's run 53 -> 45 ms, a 100,000-line spend
    file's 195 -> 175 ms.
    """
    import great_expectations.util as gx_util
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    pandas_execution_engine.HASH_THRESHOLD = 0
    _plain_values_first(gx_util)
    built = Expectation.__dict__["configuration"]
    if built.fget.__name__ == "_configuration_built_once":
        return
    Expectation.configuration = property(_built_once("configuration", built.fget), doc=built.__doc__)  # type: ignore[method-assign,assignment]
    ExpectationConfiguration.to_domain_obj = _built_once(
        "expectation", ExpectationConfiguration.to_domain_obj
    )  # type: ignore[method-assign]


def plain_json_values(gx_convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """GX's ``convert_to_json_serializable`` with a short way for the values of plain types.

    ``None``, text, integers, flags and floats come back as they are (a NaN as ``None``), dicts and
    lists item by item; anything else (NumPy scalars, timestamps, GX's own objects, subclasses of the
    plain types) goes to GX's function, whose own recursion comes back here. The same results as GX's
    function alone (``tests/test_gx_suites.py`` compares them).
    """

    def convert(data: Any) -> Any:
        kind = type(data)
        if data is None or kind is str or kind is int or kind is bool:
            return data
        if kind is float:
            return None if data != data else data
        if kind is dict:
            return {str(key): convert(value) for key, value in data.items()}
        if kind is list or kind is tuple:
            return [convert(value) for value in data]
        return gx_convert(data)

    convert.gx_convert = gx_convert  # type: ignore[attr-defined]
    return convert


def _plain_values_first(gx_util: Any) -> None:
    """Put :func:`plain_json_values` in place of GX's function wherever GX has imported it by name."""
    original = gx_util.convert_to_json_serializable
    if hasattr(original, "gx_convert"):
        return
    faster = plain_json_values(original)
    for name, module in list(sys.modules.items()):
        if (
            name.startswith("great_expectations")
            and getattr(module, "convert_to_json_serializable", None) is original
        ):
            module.convert_to_json_serializable = faster


@contextmanager
def lean_suite_run() -> Iterator[None]:
    """A suite run in which each expectation's configuration is built once (see :func:`_lean_gx`)."""
    token = _BUILT.set({})
    try:
        yield
    finally:
        _BUILT.reset(token)


def run_suite(return_type: str, frame: pd.DataFrame, parameters: dict[str, Any]) -> list[FailedExpectation]:
    """Failed expectations with the frame index values (file line numbers) of their failing rows.

    GX's cost per run is mostly building its graph of metrics, a fixed cost per expectation and
    metric whatever the file's size. So one validator (one batch) runs two passes: every expectation
    with BOOLEAN_ONLY (three metrics each instead of six), then only the failing ones with COMPLETE
    for their row indexes (without the index query text, which is never read). A clean file pays the
    first pass alone. The validator is GX's own (what ``ValidationDefinition.run`` uses), called
    directly: ``run`` also re-checks its stores on every call and keeps every result in the context's
    results store, memory that grows with each file a worker checks. Measured (CPU, one process):
    10-row spend file 0.068 -> 0.039 s, 1,000-row workforce 0.086 -> 0.046 s, 250k-line spend
    0.34 -> 0.24 s (``python -m bench.validation_cost``).
    """
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    suite = suite_for(return_type, frame.columns)
    expectations = [e.configuration.to_json_dict() for e in suite.expectations]
    validator = Validator(
        batch_definition=_batch_definition(return_type),
        batch_parameters={"dataframe": _suite_frame(frame, expectations)},
        result_format="BOOLEAN_ONLY",
    )
    with lean_suite_run():
        verdicts = validator.validate_expectation_suite(suite, parameters)
        failing = [
            outcome.expectation_config.to_json_dict() for outcome in verdicts.results if not outcome.success
        ]
        if not failing:
            return []
        validator.result_format = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
        result = validator.validate_expectation_suite(
            gx.ExpectationSuite(name=f"{suite.name}:failing", expectations=failing), parameters
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
        kwargs = outcome.expectation_config.kwargs
        pairs, values = (_resolved(kwargs.get(k) or (), parameters) for k in ("value_pairs_set", "value_set"))
        failures.append(
            FailedExpectation(
                # A pair rule (code and unit) is reported on its second column, the one to correct; a
                # compound rule on its first.
                column=kwargs.get("column") or kwargs.get("column_B") or kwargs["column_list"][0],
                expectation=outcome.expectation_config.type,
                rows=[int(i) for i in outcome.result.get("unexpected_index_list") or []],
                reason_template=meta.get("reason", outcome.expectation_config.type),
                keep_first=bool(meta.get("keep_first")),
                pair_column=kwargs.get("column_A"),
                allowed_pairs=tuple(tuple(p) for p in pairs),
                allowed_values=tuple(values),
                key_columns=tuple(kwargs.get("column_list") or ()),
            )
        )
    return failures


def warm_up() -> None:
    """Pay Great Expectations' per-process cost now (import, context, each return type's validation), so
    a long-lived worker or a benchmark does not charge it to the first file."""
    from transforms.return_types import RETURN_TYPES

    for name, return_type in RETURN_TYPES.items():
        _batch_definition(name)
        suite_for(name, return_type.columns)
