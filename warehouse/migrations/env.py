"""Alembic environment: the URL comes from the caller (``warehouse.db.migrate``) or ``ANCHOR_WAREHOUSE_URL``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from warehouse.schema import created_on, metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ["ANCHOR_WAREHOUSE_URL"]


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    # An object built only on another backend (``ddl_if``) is not missing from this one.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        include_object=created_on(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        _run_on(connection)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
