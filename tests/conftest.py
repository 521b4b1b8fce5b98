"""Shared fixtures. Airflow reads its settings at first import, so they are set here, before any test imports it."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

# The disclosure checks solve many small linear systems; BLAS threads on them only contend with each
# other (and with the other tests' workers), so numpy is kept to one thread. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="anchor-airflow-"))
from pipeline.orchestration import airflow_environment  # noqa: E402

for _key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_HOME"):
    os.environ.pop(_key, None)
os.environ.update(airflow_environment(_AIRFLOW_HOME, os.environ.get("ANCHOR_TEST_AIRFLOW_DB_URL")))
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")

from pipeline.config import EXAMPLE_CONFIG  # noqa: E402
from pipeline.network import Network, open_network  # noqa: E402

# Loopback S3 (moto) and SMTP (aiosmtpd) servers for the members'-side tests.
from tests.servers import mailbox, s3_bucket, s3_endpoint, smtp_server  # noqa: E402, F401

# The checkout the tests run from (subprocesses of the tests run the project from here).
REPO_ROOT = Path(__file__).resolve().parents[1]


def _real_exports() -> Path:
    """Where the real councils' exports are: ``ANCHOR_REAL_EXPORTS``, else ``../shared/real-exports`` beside
    this checkout, else beside the checkout this one was cloned from (a CI clone in a temporary folder)."""
    if os.environ.get("ANCHOR_REAL_EXPORTS"):
        return Path(os.environ["ANCHOR_REAL_EXPORTS"])
    candidates = [REPO_ROOT.parent / "shared" / "real-exports"]
    try:
        import subprocess

        origin = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        origin = ""
    if origin and "://" not in origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared" / "real-exports")
    return next((c for c in candidates if c.is_dir()), candidates[0])


REAL_EXPORTS = _real_exports()
PG_SERVER_URL = os.environ.get("ANCHOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = bool(os.environ.get("CI"))
TEST_PSEUDONYM_KEY = "test-only-pseudonym-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_ambient_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ANCHOR_* settings must not leak into a test's network."""
    for key in (
        "ANCHOR_CONFIG",
        "ANCHOR_WAREHOUSE_URL",
        "ANCHOR_BUCKET_URL",
        "ANCHOR_LAKE_URL",
        "ANCHOR_EMAIL_ENABLED",
        "ANCHOR_WAREHOUSE_CONN_ID",
        "ANCHOR_STORAGE_CONN_ID",
        "ANCHOR_PSEUDONYM_KEY_FILE",
        "AIRFLOW_VAR_ANCHOR_PSEUDONYM_SECRET",  # the first source of the key: it would win over the test's
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANCHOR_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
    # Tests drop a file and ingest it at once; tests of the settle time set their own.
    monkeypatch.setenv("ANCHOR_SETTLE_SECONDS", "0")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server on 127.0.0.1:5432. In CI its absence fails the run instead of skipping tests."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_SERVER_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        message = (
            f"PostgreSQL is not reachable at {PG_SERVER_URL} ({exc.__class__.__name__}); .ci/run starts it"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return PG_SERVER_URL


@contextlib.contextmanager
def fresh_database(pg_server: str, prefix: str = "anchor_test") -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped on leaving."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        # FORCE ends the connections still pooled by the test's engine; the URL is never used again.
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each warehouse test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/warehouse.db"
    return request.getfixturevalue("pg_database")


def write_config(
    directory: Path, warehouse_url: str | None = None, source: Path = EXAMPLE_CONFIG, upgrade: bool = True
) -> Path:
    """A copy of a network config whose storage lives under ``directory``, its warehouse upgraded (unless
    ``upgrade`` is False: a test of a warehouse that cannot be opened).

    Upgrading is explicit, as in a deployment (``anchor db upgrade``): the pipeline only checks the revision.
    """
    text = source.read_text(encoding="utf-8")
    lines = [f'data_dir = "{directory / "data"}"']
    if warehouse_url:
        lines.append(f'warehouse_url = "{warehouse_url}"')
    text = "\n".join("\n".join(lines) if line.startswith("data_dir") else line for line in text.splitlines())
    path = directory / source.name
    path.write_text(text, encoding="utf-8")
    if upgrade:
        open_network(path).upgrade_warehouse()
    return path


def upgraded(network: Network) -> Network:
    """``network`` with its warehouse upgraded (for tests that build a Network from a config object)."""
    network.upgrade_warehouse()
    return network


@contextlib.contextmanager
def standalone_network(
    directory: Path, source: Path = EXAMPLE_CONFIG
) -> Iterator[tuple[Network, pytest.MonkeyPatch]]:
    """A network on its own SQLite warehouse under ``directory``, for module- and session-scoped fixtures
    (which cannot take ``monkeypatch``): the session's network settings cleared, the test key set, no
    settle wait. The MonkeyPatch is yielded for more changes; all of them are undone on leaving."""
    with pytest.MonkeyPatch.context() as mp:
        for key in ("ANCHOR_CONFIG", "ANCHOR_WAREHOUSE_URL", "ANCHOR_BUCKET_URL", "ANCHOR_LAKE_URL"):
            mp.delenv(key, raising=False)
        mp.setenv("ANCHOR_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
        mp.setenv("ANCHOR_SETTLE_SECONDS", "0")
        yield open_network(write_config(directory, f"sqlite:///{directory}/w.db", source)), mp


@pytest.fixture
def make_network(tmp_path: Path) -> Callable[..., Network]:
    def _make(warehouse_url: str | None = None, source: Path = EXAMPLE_CONFIG) -> Network:
        return open_network(write_config(tmp_path, warehouse_url, source))

    return _make


def spend_facts_total(network: Network) -> tuple[int, Decimal]:
    """How many spend facts the warehouse holds, and their sum in pounds."""
    from sqlalchemy import func, select

    from warehouse.schema import fact_spend

    with network.engine.connect() as conn:
        count, total = conn.execute(select(func.count(), func.sum(fact_spend.c.amount_gbp))).one()
    return count, Decimal(str(total or 0)).quantize(Decimal("0.01"))


def stored_submissions(network: Network) -> list[dict]:
    """Every audit row, oldest received first."""
    from sqlalchemy import select

    from warehouse.schema import submissions

    with network.engine.connect() as conn:
        return [
            dict(r) for r in conn.execute(select(submissions).order_by(submissions.c.received_at)).mappings()
        ]
