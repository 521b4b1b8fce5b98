"""Network config: the shipped examples load, and every mistake names the file, the key and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.config import EXAMPLE_CONFIG, EXAMPLES_DIR, ConfigError, NetworkConfig, load_config

LONDON = EXAMPLES_DIR / "london.toml"
DURHAM = EXAMPLES_DIR / "durham.toml"


def broken(tmp_path: Path, old: str, new: str, source: Path = LONDON) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {source.name}: the test needs updating"
    path = tmp_path / "network.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    message = str(excinfo.value)
    assert str(path.resolve()) in message
    return message


def test_london_example_loads() -> None:
    cfg = load_config(LONDON)
    assert cfg.id == "london"
    assert cfg.living_wage_basis == "london"
    assert cfg.rejected_row_tolerance == 0.05
    assert cfg.suppression_threshold == 5
    assert "SE" in cfg.local_area.postcode_areas and "DA1" in cfg.local_area.postcode_districts
    assert len(cfg.members) == 10
    assert len({m.id for m in cfg.members}) == 10
    assert set(cfg.returns) == {"spend", "workforce", "measures", "recruitment"}
    lumen = cfg.member("lumen-energy")
    assert lumen is not None and lumen.column_map == {"Vendor Legal Name": "supplier_name"}
    assert cfg.member("nobody") is None
    # Recruitment returns come only from the members running the recruitment programme.
    assert cfg.expected_returns(cfg.members[0]) == ["spend", "workforce", "measures", "recruitment"]
    assert cfg.expected_returns(cfg.members[1]) == ["spend", "workforce", "measures"]
    assert cfg.source_path == LONDON.resolve()


def test_durham_example_loads_with_uk_rates() -> None:
    cfg = load_config(DURHAM)
    assert cfg.id == "durham"
    assert cfg.living_wage_basis == "uk"
    assert cfg.local_area.postcode_areas == ["DH", "DL"]
    assert cfg.returns["spend"].due_days_after_period_end == 45
    assert {m.sector.value for m in cfg.members} == {"local_government", "nhs", "higher_education", "housing"}


def test_default_is_the_london_example_or_anchor_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert EXAMPLE_CONFIG == LONDON
    assert load_config().id == "london"
    monkeypatch.setenv("ANCHOR_CONFIG", str(DURHAM))
    assert load_config().id == "durham"


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        pytest.param(
            'sector = "local_government"', 'sector = "council"', "members.0.sector", "'nhs'", id="sector"
        ),
        pytest.param(
            'living_wage_basis = "london"',
            'living_wage_basis = "scotland"',
            "living_wage_basis",
            "'london' or 'uk'",
            id="living-wage-basis",
        ),
        pytest.param(
            'living_wage_basis = "london"', "", "living_wage_basis", "Field required", id="missing-key"
        ),
        pytest.param(
            "suppression_threshold = 5",
            "suppresion_threshold = 5",
            "suppresion_threshold",
            "Extra inputs are not permitted",
            id="misspelt-key",
        ),
        pytest.param(
            "rejected_row_tolerance = 0.05",
            "rejected_row_tolerance = 5",
            "rejected_row_tolerance",
            "less than or equal to 1",
            id="tolerance",
        ),
        pytest.param(
            'contact_email = "finance.returns@fleetside.example.gov.uk"',
            'contact_email = "finance.returns"',
            "members.1.contact_email",
            "should match pattern",
            id="email",
        ),
        pytest.param(
            'id = "st-aldrics-nhs"', 'id = "St Aldrics"', "members.2.id", "should match pattern", id="slug"
        ),
        pytest.param(
            "due_days_after_period_end = 30",
            "due_days_after_period_end = -1",
            "returns.spend.due_days_after_period_end",
            "greater than or equal to 0",
            id="due-days",
        ),
        pytest.param(
            'frequency = "quarterly"',
            'frequency = "monthly"',
            "returns.spend.frequency",
            "'quarterly' or 'yearly'",
            id="frequency",
        ),
        pytest.param(
            "[returns.spend]",
            "[returns.spnd]",
            "returns",
            "unknown return type(s) ['spnd']",
            id="return-type",
        ),
        pytest.param(
            '"SE", "SW"', '"SE1", "SW"', "local_area", "'SE1' is not a postcode area", id="postcode-area"
        ),
    ],
)
def test_invalid_values_name_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    message = error_for(broken(tmp_path, old, new))
    assert "the network config is not valid" in message
    assert f"  - {key}" in message
    assert reason in message
    assert "Fix the key(s) above" in message


def test_column_map_to_an_unknown_column(tmp_path: Path) -> None:
    message = error_for(
        broken(tmp_path, '"Vendor Legal Name" = "supplier_name"', '"Vendor Legal Name" = "vendor"')
    )
    assert "member 'lumen-energy' maps 'Vendor Legal Name' to unknown column 'vendor'" in message
    assert "supplier_name" in message  # the known columns are listed


def test_duplicate_member_id(tmp_path: Path) -> None:
    message = error_for(broken(tmp_path, 'id = "fleetside-council"', 'id = "kingsbridge-council"'))
    assert "member id 'kingsbridge-council' appears twice" in message


def test_duplicate_member_id_names_the_key(tmp_path: Path) -> None:
    message = error_for(broken(tmp_path, 'id = "fleetside-council"', 'id = "kingsbridge-council"'))
    assert "(top level)" not in message
    assert "members.1.id" in message


def test_several_mistakes_are_all_reported(tmp_path: Path) -> None:
    path = broken(tmp_path, 'living_wage_basis = "london"', 'living_wage_basis = "scotland"')
    path.write_text(path.read_text().replace('sector = "nhs"', 'sector = "hospital"', 1))
    message = error_for(path)
    assert "  - living_wage_basis:" in message
    assert "  - members.2.sector:" in message


def test_missing_network_table(tmp_path: Path) -> None:
    message = error_for(broken(tmp_path, "[network]", "[netwrk]"))
    assert "[network]" in message


def test_invalid_toml(tmp_path: Path) -> None:
    message = error_for(broken(tmp_path, "[local_area]", "[local_area"))
    assert "not valid TOML" in message
    assert "line " in message  # where to look


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    message = error_for(path)
    assert "no such config file" in message
    assert "ANCHOR_CONFIG" in message


def _copy(tmp_path: Path, storage: str) -> NetworkConfig:
    text = re.sub(
        r'(?m)^data_dir = "var/london".*$', lambda _: storage, LONDON.read_text(encoding="utf-8"), count=1
    )
    folder = tmp_path / "configs" / "nested"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "network.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_relative_storage_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    cfg = _copy(tmp_path, 'data_dir = "../data"\nbucket = "drop"\noutbox = "/srv/outbox"')
    base = (tmp_path / "configs").resolve()
    assert cfg.data_dir == str(base / "data")
    assert cfg.bucket_url == str(base / "nested" / "drop")
    assert cfg.lake_url == str(base / "data" / "lake")
    assert cfg.outbox_dir == "/srv/outbox"
    assert cfg.warehouse_url == f"sqlite:///{base / 'data'}/warehouse.db"


def test_urls_are_kept_as_they_are(tmp_path: Path) -> None:
    cfg = _copy(
        tmp_path,
        'data_dir = "data"\nbucket = "s3://anchor-ingest"\nwarehouse_url = "postgresql+psycopg://anchor@db/wh"',
    )
    assert cfg.bucket_url == "s3://anchor-ingest"
    assert cfg.warehouse_url == "postgresql+psycopg://anchor@db/wh"


def test_environment_overrides_are_read_once_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHOR_WAREHOUSE_URL", "postgresql+psycopg://anchor@warehouse/anchor")
    monkeypatch.setenv("ANCHOR_BUCKET_URL", "s3://from-env")
    monkeypatch.setenv("ANCHOR_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ANCHOR_EMAIL_ENABLED", "true")
    monkeypatch.setenv("ANCHOR_SETTLE_SECONDS", "42")
    cfg = _copy(tmp_path, 'data_dir = "data"\nbucket = "drop"')
    assert cfg.warehouse_url == "postgresql+psycopg://anchor@warehouse/anchor"
    assert cfg.bucket_url == "s3://from-env"
    assert cfg.lake_url == str(tmp_path / "elsewhere" / "lake")
    assert cfg.email_enabled and cfg.settle_seconds == 42
    # Read once: a later change of the environment does not move a loaded network's data.
    monkeypatch.delenv("ANCHOR_BUCKET_URL")
    assert cfg.bucket_url == "s3://from-env"
    monkeypatch.delenv("ANCHOR_WAREHOUSE_URL")
    assert _copy(tmp_path, 'data_dir = "data"\nbucket = "drop"').bucket_url.endswith("/nested/drop")


def test_an_unreadable_environment_override_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHOR_SETTLE_SECONDS", "soon")
    with pytest.raises(ConfigError, match="settle_seconds"):
        load_config(LONDON)


def test_packaged_examples_keep_their_data_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.source_path == EXAMPLE_CONFIG.resolve()
    assert cfg.data_dir == str(tmp_path / "var" / "london")
    assert cfg.warehouse_url == f"sqlite:///{tmp_path / 'var' / 'london'}/warehouse.db"
