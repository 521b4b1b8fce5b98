"""The wheel, installed into a fresh virtual environment outside the checkout, runs the demo.

This is what "installable" means for the pipeline: the example networks, the GX suites, the templates,
the reference tables, the migrations and the DAG files all travel as package data, and an installed
pipeline with no config given uses the packaged example network and keeps its data under the working
directory, never inside the installed package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO_ROOT

PACKAGES = ("pipeline", "transforms", "warehouse", "reports", "samples", "expectations", "config", "dags")


def _uv() -> str:
    found = REPO_ROOT / ".tools" / "bin" / "uv"
    if found.exists():
        return str(found)
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    message = "uv is needed to build and install the wheel; ./dev installs it into .tools/"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _installed_files(site_packages: Path) -> set[Path]:
    return {
        p
        for package in PACKAGES
        for p in (site_packages / package).rglob("*")
        if "__pycache__" not in p.parts
    }


def test_the_wheel_installed_elsewhere_runs_the_demo_with_its_data_under_the_working_directory(
    tmp_path: Path,
) -> None:
    uv = _uv()
    # A clean environment: nothing of the test session's Airflow or network settings leaks in.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "ANCHOR_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env["UV_COMPILE_BYTECODE"] = "1"
    wheels = tmp_path / "dist"
    _run([uv, "build", "--wheel", "--out-dir", str(wheels), str(REPO_ROOT)], tmp_path, env)
    [wheel] = wheels.glob("*.whl")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        _run(
            [uv, "export", "--project", str(REPO_ROOT), "--format", "requirements-txt", "--no-dev", "--all-extras",
             "--no-emit-project", "--no-hashes", "--frozen", "-q"],
            tmp_path,
            env,
        )
    )  # fmt: skip
    venv = tmp_path / "venv"
    _run([uv, "venv", "-q", "--python", sys.executable, str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    _run(
        [uv, "pip", "install", "-q", "--python", str(python), "-r", str(requirements), str(wheel)],
        tmp_path,
        env,
    )
    site_packages = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env
        ).strip()
    )
    assert (site_packages / "dags" / "anchor_ingest.py").is_file()
    before = _installed_files(site_packages)

    work = tmp_path / "somewhere-else"
    work.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    output = _run([str(venv / "bin" / "anchor"), "demo"], work, env, timeout=900)

    report = Path(output.strip().splitlines()[-1])
    assert report.is_file() and report.is_relative_to(work / "var" / "london"), report
    assert report.with_suffix(".xlsx").is_file() and report.with_suffix(".pdf").is_file()
    assert (work / "var" / "london" / "warehouse.db").is_file()
    assert _installed_files(site_packages) == before, "the demo wrote inside the installed package"
    # Nothing was imported from the checkout: the installed modules are the ones that ran.
    where = _run([str(python), "-c", "import pipeline; print(pipeline.__file__)"], work, env)
    assert Path(where.strip()).is_relative_to(site_packages)
