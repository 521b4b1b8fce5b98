-- First-start initialisation of the compose stack's PostgreSQL (docker-compose.yml mounts this file
-- into /docker-entrypoint-initdb.d, so it runs once, when the postgres-data volume is empty).
--
-- Two databases with two owners, so the Airflow metadata and the network's warehouse never share a
-- schema or a login:
--   airflow    owned by role airflow (Airflow metadata and the Celery result backend)
--   warehouse  owned by role anchor  (the pipeline's warehouse, ANCHOR_WAREHOUSE_URL)
--
-- The passwords come from the container's environment (set in .env), read with psql's \getenv, so no
-- secret is written in this file. An unset variable stops the script (ON_ERROR_STOP) instead of
-- creating a role without a password.

\set ON_ERROR_STOP on

\getenv airflow_db_password AIRFLOW_DB_PASSWORD
\getenv warehouse_password WAREHOUSE_PASSWORD

\if :{?airflow_db_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'AIRFLOW_DB_PASSWORD is not set in the postgres container (see .env.example)'; END $$;
\endif
\if :{?warehouse_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'WAREHOUSE_PASSWORD is not set in the postgres container (see .env.example)'; END $$;
\endif

CREATE ROLE airflow WITH LOGIN PASSWORD :'airflow_db_password';
CREATE DATABASE airflow OWNER airflow;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;

CREATE ROLE anchor WITH LOGIN PASSWORD :'warehouse_password';
CREATE DATABASE warehouse OWNER anchor;
REVOKE ALL ON DATABASE warehouse FROM PUBLIC;

-- PostgreSQL 15+ no longer lets every role create objects in public: hand each schema to its owner.
\connect airflow
ALTER SCHEMA public OWNER TO airflow;
\connect warehouse
ALTER SCHEMA public OWNER TO anchor;
