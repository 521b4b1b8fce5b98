# One image for every Airflow service of docker-compose.yml (api-server, scheduler, dag-processor,
# triggerer, celery worker, init): Airflow 3.3 plus this project, installed from uv.lock exactly.
#
#   docker compose build          # or: docker build -t anchor-pipeline:0.1.0 .
#
# The image runs `airflow <command>`: docker-compose.yml passes `api-server`, `scheduler`, ...
FROM python:3.11.14-slim-bookworm

# UV_COMPILE_BYTECODE: compile every installed module once, at build time. Without byte code each
# Airflow process (every task, every healthcheck) compiles Airflow and Great Expectations again:
# importing GX took ~10-12 s without it and ~5 s with it.
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/anchor/.venv

# curl: the api-server healthcheck; tini: PID 1 that forwards signals (Celery warm shutdown).
# chromium: prints the City Hall report to PDF (pipeline/adapters/pdf.py; headless, no display needed);
# fonts-liberation: metric-compatible with Arial, the report CSS's named fallback; fonts-dejavu-core for
# every other glyph. Without Chromium the report is still issued in HTML and Excel and the engineers are
# told (pipeline/steps/report_issue.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini chromium fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN pip install uv==0.13.8

# The Airflow user of the official images: uid 50000, group 0.
RUN useradd --uid 50000 --gid 0 --create-home --home-dir /home/airflow --shell /bin/bash airflow

WORKDIR /opt/anchor

# Dependencies first, from the lock only, so editing the project's code does not reinstall them.
# --locked fails the build if uv.lock is out of date with pyproject.toml.
# --extra production: the Celery provider and the clients the compose stack needs (Redis, S3).
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --extra production --no-install-project

# Then the project itself (editable, so pipeline.config's PROJECT_ROOT stays /opt/anchor and config/,
# dags/ and expectations/ are found next to the packages). .dockerignore keeps .env, .venv, .git out.
COPY . .
RUN uv sync --locked --no-dev --extra production \
    && python -m compileall -q -x '/\.venv/' /opt/anchor

# Writable places for the non-root user; docker-compose.yml mounts named volumes on them, and a new
# named volume takes its owner from the image's folder.
RUN mkdir -p /opt/airflow/logs /opt/airflow/auth /var/lib/anchor \
    && chown -R airflow:0 /opt/airflow /var/lib/anchor \
    && chmod -R g+rwX /opt/airflow /var/lib/anchor

ENV PATH=/opt/anchor/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/anchor/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    ANCHOR_CONFIG=/opt/anchor/config/production.toml \
    ANCHOR_CHROMIUM=/usr/bin/chromium

USER 50000
WORKDIR /opt/airflow

EXPOSE 8080 8793
ENTRYPOINT ["/usr/bin/tini", "--", "airflow"]
CMD ["version"]
