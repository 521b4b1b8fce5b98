"""The SQL warehouse: schema (migrated with Alembic), transactional bulk loads, and the queries KPIs read.

SQLAlchemy Core keeps one code path for SQLite (embedded default) and PostgreSQL (production).
"""
