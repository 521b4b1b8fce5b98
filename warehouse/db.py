"""Engines and migrations.

Migrating is an explicit step (``anchor db upgrade``, run by the compose init service and by
``anchor demo``): :func:`upgrade` takes a lock first, so several processes upgrading one warehouse at
once wait for each other instead of racing on ``CREATE TABLE`` (four task processes opening an empty
warehouse together used to fail three times out of four). Everything else opens the warehouse with
:func:`warehouse_engine`, which only *checks* the revision and refuses a warehouse that is behind with
"run ``anchor db upgrade``", so a task never migrates a production database as a side effect.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from warehouse.bulk import STAGING_SCHEMA

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The PostgreSQL advisory lock every `anchor db upgrade` takes: one 64-bit key, derived from a fixed name
# so that every process and version of the pipeline agrees on it.
ADVISORY_LOCK_KEY = zlib.crc32(b"anchor-pipeline warehouse migrations")
UPGRADE_HINT = "run `anchor db upgrade` (the compose init service does) before starting the pipeline"


class WarehouseNotReady(RuntimeError):
    """The warehouse's schema is not at the revision this code expects."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching a new file to WAL takes a lock another process may hold.
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL lets the report read while an ingest task writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # An in-memory schema for bulk loads to stage rows in (warehouse.bulk): ATTACH is refused inside a
    # transaction, and a load only knows its rows once its transaction is open.
    cursor.execute(f"ATTACH DATABASE ':memory:' AS {STAGING_SCHEMA}")
    cursor.close()


def _sqlite_path(url: str) -> str | None:
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    return path if path and path != ":memory:" else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def head_revision() -> str:
    """The revision this code expects (the newest migration shipped with it)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def current_revision(engine: Engine) -> str | None:
    """The warehouse's revision (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_revision(engine: Engine) -> None:
    """Refuse a warehouse that is not at :func:`head_revision`, saying what to do."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    url = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise WarehouseNotReady(f"the warehouse {url} has no schema yet: {UPGRADE_HINT}")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}
    if current not in known:
        raise WarehouseNotReady(
            f"the warehouse {url} is at revision {current}, which this version of the pipeline does not "
            f"know (expected {head}): the database is newer than the code; deploy the newer code"
        )
    raise WarehouseNotReady(f"the warehouse {url} is at revision {current}, behind {head}: {UPGRADE_HINT}")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created beside the SQLite file), held until the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _upgrade_in(connection: Connection) -> None:
    config = alembic_config(str(connection.engine.url.render_as_string(hide_password=False)))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def migrate(engine: Engine) -> None:
    """Upgrade the schema to head under the migration lock (idempotent; cheap when already there).

    PostgreSQL: a transaction-level advisory lock, taken in the transaction the migrations run in, so it
    is released by the commit (or the rollback) whatever happens. SQLite: an exclusive ``flock`` on
    ``<database>.migrate.lock`` beside the file (in-memory databases belong to one process and need none).
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            _upgrade_in(connection)
        return
    path = _sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
    if path is None:
        with engine.begin() as connection:
            _upgrade_in(connection)
        return
    with _file_lock(Path(f"{path}.migrate.lock")), engine.begin() as connection:
        _upgrade_in(connection)


def upgrade(url: str) -> str:
    """``anchor db upgrade``: migrate the warehouse at ``url`` to head under the lock; its revision after."""
    engine = make_engine(url)
    try:
        migrate(engine)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


@cache
def warehouse_engine(url: str) -> Engine:
    """One engine per URL per process (tasks and CLI commands share it), on a warehouse at head.

    Checks the revision and never migrates: a warehouse that is behind raises :class:`WarehouseNotReady`.
    """
    engine = make_engine(url)
    try:
        check_revision(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
