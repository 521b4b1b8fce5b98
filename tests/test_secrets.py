"""Where the pipeline's secrets come from (issue 14): the pseudonymisation key's sources in order, a
Variable name Airflow masks, and the warehouse's credentials from an Airflow connection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.adapters import secrets
from pipeline.adapters.secrets import PseudonymKeyMissing, pseudonym_key, pseudonym_key_source

VARIABLE_ENV = f"AIRFLOW_VAR_{secrets.AIRFLOW_VARIABLE.upper()}"
FROM_VARIABLE = "variable-key-0123456789abcdef"
FROM_FILE = "mounted-file-key-0123456789abcdef"
FROM_ENV = "environment-key-0123456789abcdef"


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (VARIABLE_ENV, secrets.KEY_FILE_ENV, secrets.KEY_ENV, "AIRFLOW_VAR_ANCHOR_PSEUDONYM_KEY"):
        monkeypatch.delenv(key, raising=False)


def test_the_variable_name_is_one_airflow_masks_and_the_old_one_was_not() -> None:
    from airflow.sdk._shared.secrets_masker.secrets_masker import DEFAULT_SENSITIVE_FIELDS

    def masked(name: str) -> bool:
        return any(word in name.lower() for word in DEFAULT_SENSITIVE_FIELDS)

    assert masked(secrets.AIRFLOW_VARIABLE)
    assert not masked(secrets.UNMASKED_AIRFLOW_VARIABLE)


def test_sources_in_order_variable_then_mounted_file_then_environment_then_key_file(
    no_key: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "config-key"
    config_file.write_text("config-key-file-0123456789abcdef\n")
    assert pseudonym_key(config_file) == b"config-key-file-0123456789abcdef"
    monkeypatch.setenv(secrets.KEY_ENV, FROM_ENV)
    assert pseudonym_key(config_file) == FROM_ENV.encode()
    mounted = tmp_path / "run-secrets-key"
    mounted.write_text(FROM_FILE + "\n")
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(mounted))
    assert pseudonym_key(config_file) == FROM_FILE.encode()
    monkeypatch.setenv(VARIABLE_ENV, FROM_VARIABLE)
    assert pseudonym_key(config_file) == FROM_VARIABLE.encode()
    source = pseudonym_key_source(config_file)
    assert secrets.AIRFLOW_VARIABLE in source and FROM_VARIABLE not in source


def test_a_named_key_file_that_is_missing_never_falls_back_to_another_key(
    no_key: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secrets.KEY_ENV, FROM_ENV)  # another key is at hand, and must not be used
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(tmp_path / "not-mounted"))
    with pytest.raises(PseudonymKeyMissing, match="cannot be read") as missing:
        pseudonym_key(tmp_path / "config-key")
    assert FROM_ENV not in str(missing.value)


def test_no_key_anywhere_names_every_source(no_key: None, tmp_path: Path) -> None:
    with pytest.raises(PseudonymKeyMissing) as missing:
        pseudonym_key(tmp_path / "config-key")
    for source in (secrets.AIRFLOW_VARIABLE, secrets.KEY_FILE_ENV, secrets.KEY_ENV, "anchor keygen"):
        assert source in str(missing.value)


def test_the_key_under_the_unmasked_name_is_refused_with_how_to_rename_it(
    no_key: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_ANCHOR_PSEUDONYM_KEY", FROM_VARIABLE)
    with pytest.raises(PseudonymKeyMissing, match=f"store it as '{secrets.AIRFLOW_VARIABLE}'") as refused:
        pseudonym_key(tmp_path / "config-key")
    assert FROM_VARIABLE not in str(refused.value)


def test_the_warehouse_comes_from_an_airflow_connection(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ANCHOR_WAREHOUSE_CONN_ID names the connection; no URL with a password is in the environment."""
    from sqlalchemy.engine import make_url

    from pipeline.network import open_network
    from tests.conftest import write_config

    target = make_url(pg_database)
    conn = {
        "conn_type": "postgres",
        "host": target.host,
        "port": target.port or 5432,
        "schema": target.database,
        "login": target.username,
        "password": target.password or "",
    }
    monkeypatch.setenv("AIRFLOW_CONN_TEST_WAREHOUSE", json.dumps(conn))
    monkeypatch.setenv("ANCHOR_WAREHOUSE_CONN_ID", "test_warehouse")
    network = open_network(write_config(tmp_path))  # the fixture's upgrade goes through the connection too

    assert make_url(network.warehouse_url).database == target.database
    assert network.engine.dialect.name == "postgresql"
    with network.engine.connect() as connection:
        assert connection.exec_driver_sql("select current_database()").scalar() == target.database
    assert not Path(network.cfg.data_dir, "warehouse.db").exists()
