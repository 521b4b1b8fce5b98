"""Issue 13's last steps: a mapping recorded with ``anchor columns map`` is how a member's later files are
read, at ingest and by ``anchor validate --member``; every answer shows how the columns were read."""

from __future__ import annotations

import html
import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.network import open_network
from pipeline.steps.ingest import ingest
from tests.conftest import write_config

runner = CliRunner()
MEMBER = "lumen-energy"
EXPORT = "Account Holder,Amount,Payment Date,Posted By\nAcme Ltd,10.00,14/08/2025,Jo\nBeta Ltd,5.50,15/08/2025,Al\n"


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout


def _validate(config: Path, file: Path, *extra: str) -> tuple[int, dict]:
    code, out = _cli(
        "validate",
        str(file),
        "--return-type",
        "spend",
        "--period",
        "2025-26-Q2",
        "--config",
        str(config),
        "--json",
        *extra,
    )
    return code, json.loads(out)


def test_an_unrecognised_column_is_refused_with_the_members_own_command(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    file = tmp_path / "export.csv"
    file.write_text(EXPORT)

    code, report = _validate(config, file, "--member", MEMBER)
    assert code == 1
    reason = report["problems"][0]["reason"]
    assert "Supplier Name" in reason and "'Account Holder'" in reason
    assert f'anchor columns map --member {MEMBER} "Account Holder" supplier_name' in reason
    # Without --member, nobody's id is guessed.
    assert "--member <your member id>" in _validate(config, file)[1]["problems"][0]["reason"]


def test_a_recorded_mapping_is_used_by_validate_and_ingest_and_shown_in_the_answer(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    code, out = _cli(
        "columns",
        "map",
        "Account Holder",
        "supplier_name",
        "--member",
        MEMBER,
        "--note",
        "their ERP's payee field",
        "--config",
        str(config),
    )
    assert code == 0 and "'Account Holder' is read as Supplier Name" in out
    network = open_network(config)
    assert "Account Holder,supplier_name" in network.bucket.read("reference/column_maps.csv").decode()

    file = tmp_path / "export.csv"
    file.write_text(EXPORT)
    code, report = _validate(config, file, "--member", MEMBER)
    assert code == 0 and report["rows_accepted"] == 2
    assert "'Account Holder' read as Supplier Name (your column map, 1.00)" in report["column_mapping"]
    assert report["ignored_columns"] == ["Posted By"]
    assert "Not used: 'Posted By'." in report["column_mapping"]
    code, text = _cli(
        "validate",
        str(file),
        "--return-type",
        "spend",
        "--period",
        "2025-26-Q2",
        "--member",
        MEMBER,
        "--config",
        str(config),
    )
    assert code == 0 and "How the columns were read:" in text and "Not used: 'Posted By'" in text
    # Another member's files are not read with it.
    assert _validate(config, file, "--member", "kingsbridge-council")[0] == 1

    network.bucket.write(f"incoming/{MEMBER}/spend_2025-26-Q2.csv", EXPORT.encode())
    [outcome] = ingest(network)
    assert (outcome["status"], outcome["rows_loaded"]) == ("accepted", 2)
    page = html.unescape(network.bucket.read(outcome["feedback_path"]).decode())
    assert "How we read your columns" in page
    assert "'Account Holder' read as Supplier Name (your column map" in page
    assert "Not used: 'Posted By'." in page


def test_columns_list_shows_config_and_recorded_mappings(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    assert (
        _cli("columns", "map", "Payee Ref", "supplier_id", "--member", MEMBER, "--config", str(config))[0]
        == 0
    )
    assert (
        _cli(
            "columns",
            "map",
            "Person",
            "employee_ref",
            "--member",
            "thames-college",
            "--return-type",
            "workforce",
            "--config",
            str(config),
        )[0]
        == 0
    )

    code, out = _cli("columns", "list", "--member", MEMBER, "--config", str(config), "--json")
    rows = json.loads(out)
    assert code == 0 and {(r["header"], r["column"], r["source"].split()[0]) for r in rows} == {
        ("Vendor Legal Name", "supplier_name", "config"),
        ("Payee Ref", "supplier_id", "recorded"),
    }
    code, out = _cli("columns", "list", "--config", str(config), "--json")
    assert code == 0 and {r["header"] for r in json.loads(out)} >= {
        "Person",
        "Payee Ref",
        "Vendor Legal Name",
    }
    code, out = _cli("columns", "list", "--config", str(config))
    assert code == 0 and "Column mappings" in out and "thames-college" in out


def test_a_mapping_that_cannot_be_right_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    result = runner.invoke(
        app, ["columns", "map", "Account Holder", "suplier_name", "--member", MEMBER, "--config", str(config)]
    )
    assert result.exit_code == 2 and "did you mean 'supplier_name'" in result.output
    result = runner.invoke(
        app,
        ["columns", "map", "Account Holder", "supplier_name", "--member", "lumen", "--config", str(config)],
    )
    assert result.exit_code == 2 and "not a member" in result.output
    assert not open_network(config).bucket.exists("reference/column_maps.csv")
