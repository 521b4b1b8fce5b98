"""One deployment per network: a run's ``config`` param naming another network is refused before anything
is touched (issue 14: a second network's run used the first one's bucket and warehouse, quarantined its
files and replaced its members table)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.config import EXAMPLES_DIR
from pipeline.network import NetworkMismatch
from pipeline.orchestration import network_from_context
from tests.conftest import write_config


def _copy(source: Path, directory: Path) -> Path:
    """A copy of an example config with its data under ``directory`` (nothing created, nothing migrated)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = re.sub(
        r'(?m)^data_dir = ".*?"',
        f'data_dir = "{directory / "data"}"',
        source.read_text(encoding="utf-8"),
        count=1,
    )
    path = directory / source.name
    path.write_text(text, encoding="utf-8")
    return path


def _deployed(directory: Path) -> Path:
    directory.mkdir(parents=True)
    return write_config(directory)


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_run_for_another_network_is_refused_before_anything_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = _deployed(tmp_path / "london")  # the deployment's network, warehouse upgraded
    monkeypatch.setenv("ANCHOR_CONFIG", str(deployed))
    other = _copy(EXAMPLES_DIR / "durham.toml", tmp_path / "durham")
    before = _files_under(tmp_path / "london")

    with pytest.raises(NetworkMismatch) as refused:
        network_from_context({"params": {"config": str(other)}})

    message = str(refused.value)
    assert "serves network 'london'" in message and "is network 'durham'" in message
    assert "Nothing was touched" in message
    assert not (tmp_path / "durham" / "data").exists()  # no bucket, lake or warehouse of the other network
    assert _files_under(tmp_path / "london") == before  # nor was the deployment's own data written to


def test_naming_the_deployments_own_network_runs_on_the_deployments_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = _deployed(tmp_path / "deployed")
    monkeypatch.setenv("ANCHOR_CONFIG", str(deployed))
    copy = _copy(EXAMPLES_DIR / "london.toml", tmp_path / "copy")  # same network id, other storage

    network = network_from_context({"params": {"config": str(copy)}})

    assert network.cfg.id == "london"
    assert network.cfg.source_path == deployed.resolve()
    assert network.cfg.data_dir == str((tmp_path / "deployed" / "data").resolve())
    assert network_from_context({"params": {}}).cfg.source_path == deployed.resolve()


def test_without_a_deployment_the_param_is_the_network(tmp_path: Path) -> None:
    """The embedded demo and the tests set no ANCHOR_CONFIG: the run's param picks the network."""
    other = _copy(EXAMPLES_DIR / "durham.toml", tmp_path / "durham")
    assert network_from_context({"params": {"config": str(other)}}).cfg.id == "durham"
