"""``anchor``: the command line of anchor-pipeline. The command forms are a public contract; keep them stable.

Every command takes ``--config`` (default ``ANCHOR_CONFIG``, else the example London network); the
config says where the bucket, lake and warehouse are, so several networks run side by side.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.config import ConfigError, NetworkConfig, load_config


class _Anchor(typer.Typer):
    """The CLI app; a warehouse that is not at the code's revision is an operator's step to take
    (``anchor db upgrade``), not a crash: it ends in one line and exit 1, without a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            from warehouse.db import WarehouseNotReady

            if not isinstance(exc, WarehouseNotReady):
                raise
            Console(stderr=True).print(
                f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            sys.exit(1)


app = _Anchor(
    name="anchor",
    help="Anchor institution network returns: check, ingest, KPIs and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", envvar="ANCHOR_CONFIG", help="Network config (TOML). Default: the example London network."
    ),
]
PeriodOption = Annotated[
    str, typer.Option("--period", help="Financial year (2025-26) or quarter (2025-26-Q2).")
]


def _fail(message: str, code: int = 2) -> None:
    # escaped: messages quote config sections such as [email], which are not markup
    err.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _config(path: Path | None) -> NetworkConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _period(key: str) -> str:
    from transforms.periods import Period, PeriodError

    try:
        return Period.parse(key).key
    except PeriodError as exc:
        _fail(str(exc))
        raise


def _network(path: Path | None):  # type: ignore[no-untyped-def]
    from pipeline.network import Network

    return Network(_config(path))


@app.command()
def sample(
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same files.")] = 2025,
    lines: Annotated[int, typer.Option(help="Spend lines per member file.")] = 120,
) -> None:
    """Write a realistic sample of member returns and a supplier register into the network's bucket."""
    from samples.network import generate_sample

    cfg = _config(config)
    with err.status("Writing sample returns..."):
        manifest = generate_sample(cfg, seed=seed, lines_per_file=lines)
    bad = sum(len(f.bad_rows) for f in manifest.files)
    out.print(
        f"Wrote {len(manifest.files)} member returns ({bad} deliberately bad rows) and a supplier register "
        f"of {manifest.register_suppliers} suppliers to {cfg.bucket_url}"
    )


def _outcome_table(outcomes: list[dict[str, Any]]) -> Table:
    table = Table(title="Files processed", show_lines=False)
    counts = ("read", "loaded", "rejected", "set aside")
    for column in ("member", "file", "status", *counts):
        table.add_column(column, justify="right" if column in counts else "left")
    colours = {
        "accepted": "green",
        "quarantined": "red",
        "duplicate": "blue",
        "superseded": "yellow",
        "failed": "bold red",
    }
    for o in outcomes:
        colour = colours.get(o["status"], "white")
        table.add_row(
            escape(o["member_id"]),
            escape(o["file_name"]),
            f"[{colour}]{o['status']}[/]",
            str(o["rows_read"]),
            str(o["rows_loaded"]),
            str(o["rows_rejected"]),
            str(o.get("rows_set_aside", 0)),
        )
    return table


@app.command()
def ingest(config: ConfigOption = None) -> None:
    """Take every file waiting in the bucket's incoming/ folder (without Airflow), then refresh the KPIs."""
    from rich.progress import Progress

    from pipeline.steps.ingest import failures, ingest_files, scan_incoming, settle_earlier_runs
    from pipeline.steps.kpis import compute_kpis
    from pipeline.steps.reference_data import refresh_reference_data

    network = _network(config)
    with err.status("Looking for new files..."):
        refresh_reference_data(network)
        settled = settle_earlier_runs(network)
        files = scan_incoming(network)
    if settled["answers_paid"]:
        err.print(f"Answered {settled['answers_paid']} earlier file(s) whose feedback a crash had left owed.")
    with Progress(console=err, transient=True) as progress:
        bar = progress.add_task("Ingesting", total=len(files))

        def done(outcome: dict[str, Any]) -> None:
            where = escape(f"{outcome['member_id']}/{outcome['file_name']}")
            progress.update(bar, advance=1, description=f"Ingested {where}")

        outcomes = ingest_files(network, files, on_file=done)
    if not outcomes:
        out.print(f"No files waiting in {network.bucket.uri('incoming')}.")
        return
    out.print(_outcome_table(outcomes))
    if any(o["warehouse_changed"] for o in outcomes):
        result = compute_kpis(network)
        out.print(f"KPIs refreshed for {', '.join(result['periods'])}.")
    for o in outcomes:
        if o.get("error"):
            err.print(
                f"[yellow]Could not process[/] {escape(o['member_id'])}/{escape(o['file_name'])}: "
                f"{escape(o['error'])}. It was quarantined and its member answered; see the log."
            )
    failed = failures(outcomes)
    if failed:
        for o in failed:
            err.print(
                f"[red]Failed:[/] {escape(o['member_id'])}/{escape(o['file_name'])}: {escape(o['message'])}"
            )
        _fail(
            f"{len(failed)} file(s) could not be processed and stay in incoming/ for the next run; "
            "the other files were done. See the log above.",
            code=1,
        )


@app.command()
def kpis(
    period: PeriodOption,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Recompute every period, not only the years touched since the last KPI run."
        ),
    ] = False,
) -> None:
    """Compute the KPIs from the warehouse and show them for a period (collective and per member).

    Only the financial years touched since the last KPI run are recomputed (everything after a change
    of config, reference data or KPI code); ``--all`` recomputes every period.
    """
    from pipeline.steps.kpis import compute_kpis, read_kpis
    from reports.format import format_quantity_exact
    from transforms.kpi_registry import is_known, lookup

    key = _period(period)
    network = _network(config)
    compute_kpis(network, full=everything)
    frame = read_kpis(network, key)
    records = [
        {
            "kpi": r["kpi"],
            "member": None if r["scope"] == "network" else r["scope_id"],
            "period": r["period"],
            "value": None if r["value"] is None or r["value"] != r["value"] else r["value"],
            "unit": r["unit"],
        }
        for r in frame.to_dict("records")
    ]
    if as_json:
        print(json.dumps(records, indent=2))
        return
    if not records:
        out.print(f"No KPIs for {key}: no accepted returns for that period yet.")
        return
    table = Table(title=f"{network.cfg.name}: {key}")
    rows = []
    for r in records:
        # exact figures (pounds and pence, counts, a measure's own unit): this is the engineers' view
        value = "-" if r["value"] is None else format_quantity_exact(r["value"], r["unit"])
        name = (
            lookup(r["kpi"], network.cfg.measures).short_name
            if is_known(r["kpi"], network.cfg.measures)
            else ""
        )
        rows.append((r["kpi"], r["member"] or "network", value, name))
    # The code, member and value are what an engineer reads and copies: never shortened; the name, last,
    # wraps on a narrow terminal.
    for index, heading in enumerate(("KPI", "member", "value")):
        width = max(len(heading), *(len(row[index]) for row in rows))
        table.add_column(
            heading, no_wrap=True, min_width=width, justify="right" if heading == "value" else "left"
        )
    table.add_column("name", min_width=12)
    for code, member, value, name in rows:
        table.add_row(code, escape(member), value, escape(name))
    out.print(table)


@app.command()
def report(
    period: PeriodOption,
    config: ConfigOption = None,
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", help="html, pdf or xlsx; repeat for several. Default: all three."),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Issue it: all three forms, e-mailed to the report recipients and recorded, as the "
            "report DAG does (nothing is sent when it is unchanged since it was last issued).",
        ),
    ] = False,
) -> None:
    """Render the City Hall report for a period from the warehouse; prints where the HTML was written."""
    from pipeline.adapters.pdf import ChromiumError
    from pipeline.steps.report import REPORT_FORMATS, write_report
    from pipeline.steps.report_issue import issue_report

    key = _period(period)
    chosen = [f.lower() for f in formats or REPORT_FORMATS]
    unknown = sorted(set(chosen) - set(REPORT_FORMATS))
    if unknown:
        _fail(f"unknown --format {', '.join(unknown)}: choose from {', '.join(REPORT_FORMATS)}")
    if send and formats:
        _fail("--send issues all three forms; leave out --format")
    network = _network(config)
    try:
        with err.status(f"Rendering the {key} report..."):
            result = issue_report(network, key) if send else write_report(network, key, chosen)
    except ChromiumError as exc:
        _fail(f"{exc}. Or leave the PDF out: --format html --format xlsx", code=1)
        raise
    except ValueError as exc:
        _fail(f"{exc}; run `anchor ingest` first", code=1)
        raise
    if result.get("status") == "no data":
        _fail(f"no accepted returns for {key} yet, so there is no report; run `anchor ingest` first", code=1)
    if result.get("status") == "unchanged":
        err.print(f"The {key} report is unchanged since {result['report_id']}: nothing sent again.")
        return
    if send:
        err.print(
            f"Issued {result['report_id']}; e-mail: {result['email']} {', '.join(result['emailed_to'])}"
        )
    for kind in REPORT_FORMATS:
        if f"{kind}_bucket" in result and kind != "html":
            err.print(f"{kind.upper():>5}: {result[f'{kind}_outbox']}")
    if "html_outbox" in result:
        err.print(f"From {result['submissions']} accepted submissions; also at {result['html_bucket']}")
        print(result["html_outbox"])


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="The CSV or XLSX file to check.")],
    return_type: Annotated[str, typer.Option("--return-type", help="Which return the file is, e.g. spend.")],
    period: PeriodOption,
    member: Annotated[
        str | None, typer.Option(help="Your member id: also applies your column names.")
    ] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Check a return before sending it; nothing is stored. Exit 0 = would be accepted, 1 = held back."""
    try:
        result = _validate(file, return_type, period, member, config)
    except typer.Exit:
        raise
    except Exception as exc:  # a member must never see a traceback
        _fail(f"could not check {file}: {exc}")
        return
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_validation(file, result)
    raise typer.Exit(0 if result["status"] == "accepted" else 1)


def _validate(
    file: Path, return_type: str, period: str, member_id: str | None, config: Path | None
) -> dict[str, Any]:
    from transforms.periods import Period
    from transforms.return_types import RETURN_TYPES

    if return_type not in RETURN_TYPES:
        _fail(f"unknown return type '{return_type}'; use one of: {', '.join(sorted(RETURN_TYPES))}")
    key = _period(period)
    if not file.is_file():
        _fail(f"no such file: {file}")
    cfg = _config(config)
    from pipeline.steps.submission_rules import submission_problem

    extension = file.suffix.lower().lstrip(".")
    problem = submission_problem(cfg, member_id, return_type, key, extension)
    file_problem = f"{problem.reason} {problem.how_to_fix}" if problem else None
    column_map = _member_columns(cfg, member_id, return_type)

    from pipeline.steps.checking import check_return, network_rules

    with (
        err.status("Checking the file...")
        if not os.environ.get("CI") and sys.stderr.isatty()
        else nullcontext()
    ):
        check = _too_big(file, cfg) or check_return(
            file.read_bytes(),
            file.name,
            RETURN_TYPES[return_type],
            Period.parse(key),
            member_column_map=column_map,
            tolerance=cfg.rejected_row_tolerance,
            rules=network_rules(cfg, return_type),
            member_id=member_id if cfg.member(member_id or "") else None,
        )
    from transforms.raw_table import SET_ASIDE_RULES

    listed = [
        (
            p.rule in SET_ASIDE_RULES,
            {
                "row": int(p.row),
                "column": p.column if isinstance(p.column, str) else None,
                "value": p.value if isinstance(p.value, str) else None,
                "reason": p.reason,
            },
        )
        for p in check.problems.itertuples(index=False)
    ]
    # Totals rows, repeated headings and note lines are not loaded but are no problem: listed apart, as the feedback does.
    problems = [p for aside, p in listed if not aside]
    set_aside = [p for aside, p in listed if aside]
    status = check.status
    file_reasons = [r for r in (file_problem, check.file_reason) if r]
    if file_problem and status == "accepted":
        status = "quarantined"
    for reason in reversed(file_reasons):
        fix = f" {check.how_to_fix}" if check.how_to_fix and reason == check.file_reason else ""
        problems.insert(0, {"row": None, "column": None, "value": None, "reason": reason + fix})
    accepted_rows = check.rows_accepted if status == "accepted" else 0
    set_aside_rows = check.rows_set_aside
    from transforms.headers import mapping_summary
    from transforms.identifiers import shown_header

    spec = RETURN_TYPES[return_type]
    raw = check.raw
    return {
        "status": status,
        "rows_read": check.rows_read,
        "rows_accepted": accepted_rows,
        "rows_rejected": check.rows_read - accepted_rows - set_aside_rows,
        # Rows set aside (totals, headings, notes): not loaded, not problems
        # (rows_read = accepted + rejected + set aside).
        "rows_set_aside": set_aside_rows,
        "accepted_total_gbp": check.accepted_total_gbp if status == "accepted" else 0.0,
        "problems": problems,
        "set_aside": set_aside,
        # How each header was read, and the columns not used (personal-looking headers masked).
        "column_mapping": mapping_summary(raw.header_matches, raw.ignored, spec) if raw else [],
        "ignored_columns": [shown_header(h, spec.has_personal_data) for h in raw.ignored] if raw else [],
    }


def _too_big(file: Path, cfg: NetworkConfig):  # type: ignore[no-untyped-def]
    """The verdict on a file past the network's size limit, which is never read; None for any other."""
    import pandas as pd

    from pipeline.steps.checking import ReturnCheck
    from transforms.coercion import PROBLEM_COLUMNS
    from transforms.limits import file_too_big

    size = file.stat().st_size
    if size <= cfg.limits.max_file_bytes:
        return None
    reason, how_to_fix = file_too_big(size, cfg.limits.read_limits())
    return ReturnCheck(
        "quarantined", 0, pd.DataFrame(), pd.DataFrame(columns=PROBLEM_COLUMNS), reason, how_to_fix
    )


def _member_columns(cfg: NetworkConfig, member_id: str | None, return_type: str) -> dict[str, str] | None:
    """The member's column map: the config's, with the mappings the data team recorded over it."""
    from pipeline.network import Network
    from pipeline.steps.column_maps import column_map_for, recorded_column_maps

    if member_id is None or cfg.member(member_id) is None:
        return None
    try:
        recorded = recorded_column_maps(Network(cfg))
    except Exception as exc:  # the bucket may be out of reach from a member's machine: use the config's
        err.print(f"[yellow]Note:[/] the recorded column mappings could not be read ({escape(str(exc))}).")
        recorded = []
    return column_map_for(cfg, recorded, member_id, return_type)


def _print_validation(file: Path, result: dict[str, Any]) -> None:
    if result["status"] == "accepted":
        out.print(
            f"[bold green]Would be accepted:[/] {escape(file.name)}: {result['rows_accepted']} of {result['rows_read']} "
            f"rows would load (total £{result['accepted_total_gbp']:,.2f})."
            + (
                f" {result['rows_set_aside']} row(s) of totals, repeated headings or notes would be set aside: not"
                " loaded, not a problem."
                if result["rows_set_aside"]
                else ""
            )
        )
    else:
        out.print(f"[bold red]Would be held back:[/] {escape(file.name)}: nothing would load.")
    if result.get("column_mapping"):
        out.print("How the columns were read:")
        for line in result["column_mapping"]:
            out.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if result["problems"]:
        table = Table(title=f"{len(result['problems'])} problem(s)")
        for column in ("row", "column", "value", "problem"):
            table.add_column(column, overflow="fold")
        for p in result["problems"][:50]:
            # what a file holds is text, never markup: "[Draft] Ltd" must show as sent
            table.add_row(
                str(p["row"] or ""),
                escape(p["column"] or ""),
                escape(str(p["value"] or "")),
                escape(p["reason"]),
            )
        out.print(table)
        if len(result["problems"]) > 50:
            out.print(f"... and {len(result['problems']) - 50} more (use --json for all).")


columns_app = typer.Typer(
    help="Column mappings recorded for members: how a member's headers are read.", no_args_is_help=True
)
app.add_typer(columns_app, name="columns")


@columns_app.command("map")
def columns_map(
    header: Annotated[str, typer.Argument(help="The header exactly as the member's files write it.")],
    column: Annotated[str, typer.Argument(help="The return's column it holds, e.g. supplier_name.")],
    member: Annotated[str, typer.Option(help="The member's id.")],
    return_type: Annotated[str, typer.Option("--return-type", help="Which return, e.g. spend.")] = "spend",
    note: Annotated[str, typer.Option(help="Why, for whoever reads the mapping later.")] = "",
    config: ConfigOption = None,
) -> None:
    """Record that a member's header holds a column; their later files are read with it."""
    from datetime import UTC, datetime

    from pipeline.steps.column_maps import record_column_mapping
    from transforms.column_maps import ColumnMapError, RecordedMapping
    from transforms.return_types import RETURN_TYPES

    network = _network(config)
    mapping = RecordedMapping(member, return_type, header.strip(), column, datetime.now(UTC), note)
    try:
        record_column_mapping(network, mapping)
    except ColumnMapError as exc:
        _fail(str(exc))
        return
    label = RETURN_TYPES[return_type].columns[column].label or column
    out.print(
        f"Recorded: in {escape(member)}'s {return_type} returns, '{escape(header.strip())}' is read as "
        f"{escape(label)} ({column}). Kept in {network.bucket.uri(network.cfg.reference.column_maps)}.",
        soft_wrap=True,
    )


@columns_app.command("list")
def columns_list(
    member: Annotated[str | None, typer.Option(help="Only this member's mappings.")] = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Every column mapping: the config's column_map of each member, and those recorded with 'columns map'."""
    from pipeline.steps.column_maps import recorded_column_maps
    from transforms.column_maps import ColumnMapError

    network = _network(config)
    try:
        recorded = recorded_column_maps(network)
    except ColumnMapError as exc:
        _fail(str(exc), code=1)
        return
    rows = [
        {"member": m.id, "return_type": "any", "header": h, "column": c, "source": "config", "note": ""}
        for m in network.cfg.members
        for h, c in m.column_map.items()
    ] + [
        {
            "member": r.member_id,
            "return_type": r.return_type,
            "header": r.header,
            "column": r.column,
            "source": f"recorded {r.recorded_at:%Y-%m-%d}",
            "note": r.note,
        }
        for r in recorded
    ]
    rows = [r for r in rows if member is None or r["member"] == member]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        out.print("No column mappings" + (f" for {escape(member)}." if member else "."))
        return
    table = Table(title="Column mappings")
    # Member ids and column names are what an engineer copies: never wrapped; the header and note wrap.
    for heading, key in (
        ("member", "member"),
        ("return", "return_type"),
        ("header", ""),
        ("column", "column"),
    ):
        width = max(len(heading), *(len(r[key]) for r in rows)) if key else None
        table.add_column(heading, no_wrap=bool(key), min_width=width)
    table.add_column("from", no_wrap=True)
    table.add_column("note")
    for r in rows:
        table.add_row(
            escape(r["member"]),
            r["return_type"],
            escape(r["header"]),
            r["column"],
            r["source"],
            escape(r["note"]),
        )
    out.print(table)


@app.command()
def keygen(
    config: ConfigOption = None,
    force: Annotated[
        bool, typer.Option(help="Replace an existing key (breaks matching with earlier snapshots).")
    ] = False,
) -> None:
    """Create the network's pseudonymisation key file for workforce returns (keep it secret and backed up)."""
    from pipeline.adapters.secrets import AIRFLOW_VARIABLE, KEY_ENV, KEY_FILE_ENV, create_key_file

    cfg = _config(config)
    path = create_key_file(cfg.pseudonym_key_file, overwrite=force)
    out.print(
        f"Pseudonymisation key: {path} (or provide it as a secret instead, see docs/runbook.md: "
        f"{KEY_ENV}, {KEY_FILE_ENV} or the Airflow Variable {AIRFLOW_VARIABLE}; never commit it)."
    )


@app.command()
def template(
    return_type: Annotated[str, typer.Argument(help="Which return, e.g. spend or workforce.")],
    file_format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="Where to write it (default: ./<return type>_template.<format>).")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="The period it is for, used in the notes' file name example.")
    ] = None,
) -> None:
    """Write a blank return with the right headers, notes on every column and (in Excel) dropdowns."""
    from pipeline.presentation.return_templates import notes_text, template_csv, template_xlsx
    from transforms.return_types import RETURN_TYPES

    if return_type not in RETURN_TYPES:
        _fail(f"unknown return type '{return_type}'; use one of: {', '.join(sorted(RETURN_TYPES))}")
    if file_format not in ("csv", "xlsx"):
        _fail(f"unknown format '{file_format}'; use csv or xlsx")
    key = _period(period) if period else None
    spec = RETURN_TYPES[return_type]
    path = output or Path(f"{return_type}_template.{file_format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "xlsx":
        path.write_bytes(template_xlsx(spec, key))
        print(path)
        return
    path.write_bytes(template_csv(spec))
    notes = path.with_name(f"{path.stem}-notes.txt")
    notes.write_text(notes_text(spec, key), encoding="utf-8")
    print(path)
    print(notes)


@app.command()
def status(
    period: PeriodOption,
    config: ConfigOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge lateness as on this day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Which returns each member owes for a period: accepted, late, held back, received or missing."""
    from pipeline.steps.returns_tracker import files_left, track_returns

    key = _period(period)
    today = _day(as_of)
    network = _network(config)
    rows = track_returns(network, [key], today, include_incoming=True)
    left = files_left(network)
    if as_json:
        print(json.dumps([r.as_json() for r in rows], indent=2))
        for item in left:  # the JSON on stdout stays a list of returns; what ingest leaves goes to stderr
            err.print(f"left in incoming/: {escape(item.path)} ({escape(item.reason)})", highlight=False)
        return
    table = Table(title=f"{network.cfg.name}: returns for {key}")
    for column in ("member", "return", "due", "status", "files", "rows loaded", "last received"):
        table.add_column(column, no_wrap=column in ("due", "last received"))
    colours = {
        "accepted": "green",
        "late": "yellow",
        "quarantined": "red",
        "received": "blue",
        "missing": "red",
    }
    for r in rows:
        label = r.status + (" (overdue)" if r.overdue else "")
        table.add_row(
            r.member_name,
            r.return_type,
            r.due_date.isoformat(),
            f"[{colours[r.status]}]{label}[/]",
            str(r.files),
            str(r.rows_loaded),
            r.last_received_at.strftime("%Y-%m-%d %H:%M") if r.last_received_at else "-",
        )
    out.print(table)
    if left:
        out.print(f"Files left in {network.bucket.uri('incoming')} (not read):", soft_wrap=True)
        for item in left:  # one line each, never wrapped: paths are copied from here
            out.print(f"  {escape(item.path)}: {escape(item.reason)}", soft_wrap=True, highlight=False)


@app.command()
def chase(
    config: ConfigOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Chase as on this day (YYYY-MM-DD).")] = None,
) -> None:
    """E-mail members whose returns are due soon or overdue (at most once per member per day), and
    retry feedback e-mails that failed."""
    from pipeline.steps.chasers import send_chasers
    from pipeline.steps.feedback import resend_failed_feedback

    network = _network(config)
    if not network.cfg.email_enabled:
        _fail("e-mail is not enabled for this network: set [email] enabled = true in the config", code=1)
    results = send_chasers(network, _day(as_of))
    for r in results:
        out.print(f"{r['member_id']}: {r['kind']} about {r['returns']} - {r['status']}")
    if not results:
        out.print("Nobody to chase today.")
    retried = resend_failed_feedback(network)
    for r in retried:
        out.print(f"{r['member_id']}: feedback e-mail retried - {r['status']}")
    if any(r["status"] == "failed" for r in [*results, *retried]):
        raise typer.Exit(1)


@app.command()
def retention(
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete original files (archive/, quarantine/) older than the network's keep_raw_days setting."""
    from pipeline.steps.retention import delete_raw_files

    network = _network(config)
    run = delete_raw_files(network, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for path in run.deleted:  # one line each, never wrapped: paths are copied from here
        out.print(f"{verb}: {escape(path)}", soft_wrap=True, highlight=False)
    for item in run.kept:
        out.print(f"kept: {escape(item['path'])} ({escape(item['reason'])})", soft_wrap=True, highlight=False)
    for item in run.failed:
        err.print(f"could not delete: {escape(item['path'])}: {escape(item['error'])}", soft_wrap=True)
    out.print(f"{len(run.deleted)} raw file(s) {verb}; {len(run.kept)} past the setting kept.")
    if run.failed:
        raise typer.Exit(1)


def _day(value: str | None):  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"'{value}' is not a date: use YYYY-MM-DD")
        raise


suppliers_app = typer.Typer(
    help="The network's supplier register: match suppliers of unknown size against the open registers, "
    "then approve the proposals you agree with.",
    no_args_is_help=True,
)
app.add_typer(suppliers_app, name="suppliers")


@suppliers_app.command("match")
def suppliers_match(
    companies_house: Annotated[
        list[Path] | None,
        typer.Option("--companies-house", help="Companies House BasicCompanyData file(s), zip or csv."),
    ] = None,
    charities: Annotated[
        list[Path] | None,
        typer.Option(
            "--charities", help="Charity Commission register extract (publicextract.charity.txt or its zip)."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Where to write the proposals (default: ./supplier-proposals.csv).")
    ] = None,
    threshold: Annotated[int, typer.Option(help="Fuzzy name match threshold, 0-100.", min=50, max=100)] = 88,
    config: ConfigOption = None,
) -> None:
    """Propose sizes, VCSE status and locations for the warehouse's suppliers of unknown size, with evidence;
    nothing enters the register until you approve it (``anchor suppliers approve``)."""
    from pipeline.adapters.open_registers import ReadStats, RegisterFileError
    from pipeline.steps.supplier_enrichment import match_network_suppliers, write_proposals

    files = [*(companies_house or []), *(charities or [])]
    if not files:
        _fail("give at least one register file: --companies-house FILE and/or --charities FILE")
    for path in files:
        if not path.is_file():
            _fail(f"no such file: {path}")
    network = _network(config)
    stats = ReadStats()
    try:
        with err.status(
            "Reading the registers and matching suppliers (a few minutes for Companies House)..."
        ):
            found = match_network_suppliers(network, companies_house or [], charities or [], threshold, stats)
    except RegisterFileError as exc:
        _fail(str(exc), code=1)
        return
    path = write_proposals(found, output or Path("supplier-proposals.csv"))
    for name, rows in stats.rows.items():
        skipped = stats.skipped.get(name, 0)
        err.print(
            f"{escape(name)}: {rows:,} rows read"
            + (f", {skipped:,} malformed rows skipped" if skipped else "")
        )
    counts = found["suggested_decision"].value_counts().to_dict() if not found.empty else {}
    out.print(
        f"{found['supplier_name'].nunique() if not found.empty else 0} suppliers with candidates; suggested: "
        + ", ".join(f"{counts.get(d, 0)} {d}" for d in ("approve", "review", "reject"))
    )
    out.print(
        "Fill the decision column with approve or reject, then run: "
        f"anchor suppliers approve {escape(str(path))}"
    )
    print(path)


@suppliers_app.command("approve")
def suppliers_approve(
    proposals: Annotated[Path, typer.Argument(help="The proposals file, with your decisions.")],
    accept_suggested: Annotated[
        bool,
        typer.Option(help="Also approve rows you left blank whose suggested decision is approve."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add the approved proposals to the network's supplier register (with their source and date); the next
    ingest loads it. Dissolved companies and low-confidence matches are never approved unreviewed."""
    from pipeline.adapters.open_registers import RegisterFileError
    from pipeline.steps.supplier_enrichment import approve_into_register

    if not proposals.is_file():
        _fail(f"no such file: {proposals}")
    network = _network(config)
    try:
        result = approve_into_register(network, proposals, accept_suggested)
    except RegisterFileError as exc:
        _fail(str(exc), code=1)
        return
    out.print(
        f"Supplier register: {result['before']} -> {result['after']} entries in "
        f"{escape(network.bucket.uri(network.cfg.reference.supplier_register))}; the next ingest loads it."
    )


db_app = typer.Typer(
    help="The warehouse's schema: migrating is an explicit step (the compose init service runs it).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Migrate the warehouse to the latest revision, under a lock (safe to run from several places at once)."""
    network = _network(config)
    try:
        revision = network.upgrade_warehouse()
    except Exception as exc:
        _fail(f"could not upgrade the warehouse: {exc.__class__.__name__}: {exc}", code=1)
        return
    out.print(f"Warehouse at revision {revision}.")


@db_app.command("current")
def db_current(config: ConfigOption = None) -> None:
    """The warehouse's revision and the one this code expects; exit 1 when they differ."""
    from warehouse.db import WarehouseNotReady, check_revision, head_revision, make_engine

    network = _network(config)
    engine = make_engine(network.warehouse_url)
    try:
        check_revision(engine)
    except WarehouseNotReady as exc:
        _fail(str(exc), code=1)
    finally:
        engine.dispose()
    out.print(f"Warehouse at revision {head_revision()} (head).")


@app.command()
def preflight(config: ConfigOption = None) -> None:
    """Check the deployment can run: pseudonymisation key, warehouse revision, bucket and lake; exit 1 if not."""
    from pipeline.steps.preflight import preflight as run_checks

    checks = run_checks(_network(config))
    # One plain line per check (no table): the init service's log shows each message whole.
    for check in checks:
        mark = "[green]ok[/]    " if check.ok else "[bold red]FAILED[/]"
        out.print(f"{mark} {check.name}: {escape(check.detail)}", highlight=False, soft_wrap=True)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        _fail(f"preflight failed: {', '.join(failed)}; the pipeline must not start like this.", code=1)
    out.print("Preflight passed.")


@app.command()
def demo(
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option(help="Random seed for the sample network.")] = 2025,
) -> None:
    """Run everything through Airflow on a fresh sample network; the last line printed is the report's path."""
    from pipeline.cli.demo import run_demo

    cfg = _config(config)
    try:
        report_path = run_demo(cfg, seed=seed, console=err)
    except RuntimeError as exc:
        _fail(str(exc), code=1)
        return
    print(report_path)


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
