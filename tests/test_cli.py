"""The ``anchor`` command forms are a public contract: JSON shapes and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app, out
from tests.conftest import write_config

runner = CliRunner()


def _validate(
    tmp_path: Path, content: bytes | str, *extra: str, name: str = "return.csv"
) -> tuple[int, dict]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    result = runner.invoke(
        app, ["validate", str(path), "--return-type", "spend", "--period", "2025-26-Q2", "--json", *extra]
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def test_supplier_totals_file_with_grand_total(tmp_path: Path) -> None:
    code, report = _validate(
        tmp_path,
        'Supplier Name,Total\nBrightwater Cleaning Ltd,"1,200.00"\n'
        'Keystone FM Limited,300.25\nGrand Total,"1,500.25"\n',
    )
    assert code == 0
    assert report["status"] == "accepted"
    # The totals row is set aside, not rejected: 3 read = 2 accepted + 0 rejected + 1 set aside.
    assert (
        report["rows_read"],
        report["rows_accepted"],
        report["rows_rejected"],
        report["rows_set_aside"],
    ) == (
        3,
        2,
        0,
        1,
    )
    assert report["accepted_total_gbp"] == pytest.approx(1500.25)
    assert report["problems"] == []
    assert report["set_aside"] == [
        {
            "row": 4,
            "column": "supplier_name",
            "value": "Grand Total, 1,500.25",
            "reason": report["set_aside"][0]["reason"],
        }
    ]
    assert "totals row" in report["set_aside"][0]["reason"]


def test_payment_lines_behind_a_preamble_report_file_line_numbers(tmp_path: Path) -> None:
    lines = [
        "AP Payments Report",
        "Run date:,01/11/2025",
        "Parameters: Company=RAL",
        "",
        "Transaction Date,Supplier,Net Amount,Invoice Number",
    ]
    lines += [f"{d:02d}/08/2025,Supplier {d},{d}0.00,INV{d}" for d in range(1, 30)]
    lines[10] = "31/02/2025,Supplier X,10.00,INVX"  # line 11 of the file
    code, report = _validate(tmp_path, "\r\n".join(lines) + "\r\n")
    assert code == 0
    assert report["rows_read"] == 29 and report["rows_rejected"] == 1
    [problem] = report["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (11, "payment_date", "31/02/2025")


def test_old_mac_line_endings(tmp_path: Path) -> None:
    code, report = _validate(tmp_path, "Date,Vendor,Amount\r01/08/2025,A Ltd,10\r02/08/2025,B Ltd,20\r")
    assert code == 0 and report["rows_read"] == 2 and report["accepted_total_gbp"] == pytest.approx(30)


def test_rows_whose_fields_ran_together_are_rejected_by_line(tmp_path: Path) -> None:
    rows = [f"0{1 + i % 9}/08/2025,Supplier {i},{i}.50,T{i}" for i in range(40)]
    rows[7] = "03/08/2025,Brightwater Cleaning Ltd 1234.50"
    code, report = _validate(tmp_path, "Payment Date,Supplier Name,Amount,Transaction ID\n" + "\n".join(rows))
    assert code == 0
    [problem] = report["problems"]
    assert problem["row"] == 9 and "run together" in problem["reason"]
    assert report["rows_read"] == report["rows_accepted"] + report["rows_rejected"] == 40


def test_too_many_bad_rows_would_be_quarantined(tmp_path: Path) -> None:
    rows = [f"01/08/2025,Supplier {i},{'TBC' if i < 3 else '10'}" for i in range(10)]
    code, report = _validate(tmp_path, "Payment Date,Supplier Name,Amount\n" + "\n".join(rows))
    assert code == 1
    assert report["status"] == "quarantined"
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (10, 0, 10)
    assert report["accepted_total_gbp"] == 0
    assert report["problems"][0]["row"] is None and "tolerance" in report["problems"][0]["reason"]
    assert [p["row"] for p in report["problems"][1:]] == [2, 3, 4]


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01\x02\xff\xfe\x00binary", "Supplier Name,Department\nA,B\n", "", "just some text\nno header\n"],
)
def test_unusable_files_exit_1_with_a_reason(tmp_path: Path, content: bytes | str) -> None:
    code, report = _validate(tmp_path, content)
    assert code == 1
    assert report["status"] == "quarantined"
    assert report["rows_accepted"] == 0 and report["rows_read"] == report["rows_rejected"]
    assert report["problems"][0]["row"] is None and report["problems"][0]["reason"]


def test_member_column_map_applies_only_with_member(tmp_path: Path) -> None:
    # "Supplier" is a known name and "Vendor Legal Name" is recognised too; only lumen-energy's own map
    # (Vendor Legal Name = supplier_name) makes the filled column the supplier over the empty one.
    content = "Vendor Legal Name,Supplier,Payment Amount,Payment Date\nLumen Supplies Ltd,,10.00,2025-08-01\n"
    assert _validate(tmp_path, content)[0] == 1
    code, report = _validate(tmp_path, content, "--member", "lumen-energy")
    assert code == 0 and report["rows_accepted"] == 1
    code, report = _validate(tmp_path, content, "--member", "no-such-member")
    assert code == 1 and "not a member" in report["problems"][0]["reason"]


@pytest.mark.parametrize(
    "args",
    [
        ["--return-type", "spend", "--period", "2025-Q9"],
        ["--return-type", "nonsense", "--period", "2025-26-Q2"],
        ["--period", "2025-26-Q2"],
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Supplier Name,Amount\nA,1\n")
    result = runner.invoke(app, ["validate", str(path), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["validate", str(tmp_path / "nope.csv"), "--return-type", "spend", "--period", "2025-26-Q2"]
    )
    assert result.exit_code == 2 and "no such file" in result.output


def test_ingest_then_kpis_json(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    incoming = tmp_path / "data" / "bucket" / "incoming"
    (incoming / "kingsbridge-council").mkdir(parents=True)
    (incoming / "kingsbridge-council" / "spend_2025-26-Q2.csv").write_text(
        "Payment Date,Supplier Name,Amount,Postcode\n01/08/2025,A Ltd,100,SE1 7PB\n02/08/2025,B Ltd,300,M1 2AB\n"
    )
    assert runner.invoke(app, ["ingest", "--config", str(config)]).exit_code == 0
    result = runner.invoke(app, ["kpis", "--period", "2025-26-Q2", "--json", "--config", str(config)])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert all(set(r) == {"kpi", "member", "period", "value", "unit"} for r in records)
    values = {(r["kpi"], r["member"]): r["value"] for r in records}
    assert values[("spend_total", None)] == pytest.approx(400)
    assert values[("spend_local_pct", None)] == pytest.approx(25)
    assert values[("spend_total", "kingsbridge-council")] == pytest.approx(400)

    # A measure in its own unit, and the table of the same figures for people reading it.
    (incoming / "kingsbridge-council" / "measures_2025-26-Q2.csv").write_text(
        "Measure Code,Value\nmentees_matched,7\nco2e_saved_t,2.5\n"
    )
    assert runner.invoke(app, ["ingest", "--config", str(config)]).exit_code == 0
    out.width = 200  # a wide terminal, whatever the test runner's COLUMNS was when the CLI was imported
    try:
        table = runner.invoke(app, ["kpis", "--period", "2025-26-Q2", "--config", str(config)])
    finally:
        out.width = None  # type: ignore[assignment]
    lines = {
        line.split("│")[1].strip() + "/" + line.split("│")[2].strip(): line
        for line in table.stdout.splitlines()
        if line.count("│") > 4
    }
    assert "£400.00" in lines["spend_total/network"] and "25%" in lines["spend_local_pct/network"]
    # named as the registry names it (the name gives way to the figures on a narrow terminal)
    assert lines["spend_total/network"].split("│")[4].strip().startswith("Total")
    assert "7 people" in lines["measure:mentees_matched/network"]
    assert (
        "2.5 tCO2e" in lines["measure:co2e_saved_t/network"]
        and "%" not in lines["measure:co2e_saved_t/network"]
    )


def test_config_errors_name_the_file_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[network]\nid = "x"\n')
    result = runner.invoke(app, ["kpis", "--period", "2025-26-Q2", "--config", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "Traceback" not in result.output


def test_errors_quoting_config_sections_keep_their_brackets(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")  # e-mail is off in the example network
    result = runner.invoke(app, ["chase", "--config", str(config)])
    assert result.exit_code == 1
    assert "set [email] enabled = true in the config" in result.output


def test_values_that_look_like_markup_are_shown_as_sent(tmp_path: Path) -> None:
    file = tmp_path / "spend.csv"
    file.write_text("Payment Date,Supplier Name,Amount\n01/08/2025,A Ltd,[tbc]\n02/08/2025,B Ltd,10\n")
    result = runner.invoke(
        app, ["validate", str(file), "--return-type", "spend", "--period", "2025-26-Q2"], terminal_width=200
    )
    assert result.exit_code == 1  # one of two rows: over the tolerance
    assert "│ [tbc] │" in result.stdout and "'[tbc]' is not an amount" in result.stdout
