"""Alembic environment: the URL comes from the caller (``warehouse.db.migrate``) or ``ANCHOR_WAREHOUSE_URL``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from warehouse.schema import created_on, metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ["ANCHOR_WAREHOUSE_URL"]


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            include_object=created_on(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            include_object=created_on(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
