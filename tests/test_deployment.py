"""Static checks of the production-like deployment: Dockerfile, docker-compose.yml, .env.example,
deploy/postgres-init.sql and config/production.toml.

No Docker engine is needed: the compose file is read as YAML. When a compose binary is installed
(`docker-compose` or the `docker compose` plugin), one more test lets it validate the file too.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
POSTGRES_INIT = ROOT / "deploy" / "postgres-init.sql"
PRODUCTION_CONFIG = ROOT / "config" / "production.toml"
LONDON_CONFIG = ROOT / "config" / "london.toml"
DOCS = ROOT / "docs" / "production.md"
RUNBOOK = ROOT / "docs" / "runbook.md"
GENERATE_ENV = ROOT / "deploy" / "generate_env.py"

AIRFLOW_LONG_RUNNING = {
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
AIRFLOW_SERVICES = AIRFLOW_LONG_RUNNING | {"airflow-init", "anchor-init"}
ONE_SHOT = {"airflow-init", "anchor-init", "minio-init"}
# What runs tasks or schedules them: none may start before anchor-init has migrated and checked.
AFTER_ANCHOR_INIT = {"airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"}
REQUIRED_SERVICES = AIRFLOW_SERVICES | ONE_SHOT | {"postgres", "redis", "minio", "mailpit"}

# Environment keys whose values are secrets and must come from .env.
SECRET_KEY = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|PRIVATE|ACCESS_KEY", re.IGNORECASE)
# .env.example variables whose values must never be copied into the compose file.
SECRET_VALUE = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|PRIVATE", re.IGNORECASE)
NOT_SECRET_KEY = re.compile(r"_(FILE|USERS)$")
# ${VAR}, ${VAR:-x}, ${VAR:?x} and $VAR; "$$" is compose's escape for a literal "$".
ENV_REFERENCE = re.compile(
    r"(?<!\$)\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
ONLY_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?][^}]*)?\}$")


# --- helpers ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), (
        "no services in docker-compose.yml"
    )
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key), f".env.example:{number}: not KEY=value"
        assert key not in values, f".env.example:{number}: {key} is defined twice"
        values[key] = value
    return values


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        return " ".join(str(part) for part in test[1:]) if test and test[0] != "NONE" else ""
    return str(test or "")


def url(value: str) -> SplitResult:
    """urlsplit() of a URL whose ${VAR...} references are replaced by a placeholder."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "from-env", value))


def strings(node: Any) -> list[str]:
    """Every string (keys and values) anywhere in a parsed YAML document."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def image_tag(image: str) -> str | None:
    """The tag of an image reference (None when untagged); a registry port is not a tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None


def long_running(services: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(name for name in services if name not in ONE_SHOT)


def named_volumes(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(volume, container path) for the named volumes a service mounts (bind mounts left out)."""
    found = []
    for mount in service.get("volumes") or []:
        if isinstance(mount, dict):
            if mount.get("type", "volume") == "volume" and mount.get("source"):
                found.append((mount["source"], mount["target"]))
            continue
        source, _, rest = str(mount).partition(":")
        if source and not source.startswith((".", "/", "~", "$")):
            found.append((source, rest.split(":", 1)[0]))
    return found


# --- services, healthchecks, dependencies -----------------------------------------------------------
def test_every_required_service_is_present(services):
    missing = sorted(REQUIRED_SERVICES - set(services))
    assert not missing, f"docker-compose.yml lacks services {missing}"


def test_every_long_running_service_has_a_healthcheck(services):
    without = [name for name in long_running(services) if not healthcheck_command(services[name])]
    assert not without, f"no healthcheck on {without}"


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("postgres", ["pg_isready"]),
        ("redis", ["redis-cli ping"]),
        ("minio", ["mc ready local", "/minio/health/live"]),
        ("mailpit", ["readyz", "/livez"]),
        ("airflow-api-server", ["/api/v2/monitor/health"]),
        ("airflow-scheduler", ["http://localhost:8974/health"]),
        ("airflow-dag-processor", ["airflow jobs check --job-type DagProcessorJob"]),
        ("airflow-triggerer", ["airflow jobs check --job-type TriggererJob"]),
        ("airflow-worker", ["celery_executor.app inspect ping"]),
    ],
)
def test_healthcheck_checks_the_service_itself(services, service, expected):
    command = healthcheck_command(services[service])
    assert any(part in command for part in expected), (
        f"{service} healthcheck {command!r}; expected one of {expected}"
    )


def test_scheduler_serves_the_health_endpoint_its_check_probes(services):
    """The HTTP check only works when the scheduler starts its health server; it must keep the common
    environment too (a service-level ``environment`` replaces the anchor's unless it merges it)."""
    scheduler, api = environment(services["airflow-scheduler"]), environment(services["airflow-api-server"])
    assert scheduler.get("AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK", "").lower() == "true"
    assert scheduler["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == api["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_worker_healthcheck_pings_its_own_hostname(services):
    # "$$" so that compose leaves ${HOSTNAME} to the container's shell.
    assert '"celery@$${HOSTNAME}"' in healthcheck_command(services["airflow-worker"])


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("airflow-api-server", "api-server"),  # Airflow 3: the webserver is gone
        ("airflow-scheduler", "scheduler"),
        ("airflow-dag-processor", "dag-processor"),
        ("airflow-triggerer", "triggerer"),
        ("airflow-worker", "celery worker"),
    ],
)
def test_airflow_service_commands(services, service, command):
    actual = services[service].get("command")
    actual = " ".join(actual) if isinstance(actual, list) else actual
    assert actual == command


def test_airflow_init_migrates_and_sets_the_admin_password(services):
    init = services["airflow-init"]
    script = " ".join(strings(init.get("command")))
    assert "airflow db migrate" in script
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script and "AIRFLOW_ADMIN_PASSWORD" in script
    assert init.get("restart", "no") == "no"
    mounts = dict(named_volumes(init))
    api_mounts = dict(named_volumes(services["airflow-api-server"]))
    passwords_file = environment(init)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    shared = [
        v for v, path in mounts.items() if passwords_file.startswith(path + "/") and api_mounts.get(v) == path
    ]
    assert shared, (
        "airflow-init must write the passwords file on a volume the api-server mounts at the same path"
    )


def test_minio_init_creates_both_buckets(services):
    init = services["minio-init"]
    assert str(init["image"]).startswith(("minio/mc:", "quay.io/minio/mc:"))
    script = " ".join(strings(init.get("command")) + strings(init.get("entrypoint")))
    for bucket in ("anchor-ingest", "anchor-lake"):
        assert re.search(rf"mc mb\b[^\n]*/{bucket}\b", script), f"minio-init does not create {bucket}"
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"


def test_depends_on_uses_conditions_that_can_be_met(services):
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on must use the long form with conditions"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            condition = (spec or {}).get("condition")
            if target in ONE_SHOT:
                assert condition == "service_completed_successfully", f"{name} -> {target}: {condition}"
            else:
                assert condition == "service_healthy", f"{name} -> {target}: {condition}"
                assert healthcheck_command(services[target]), (
                    f"{name} waits for {target}, which has no healthcheck"
                )


def test_airflow_services_wait_for_init_and_their_backends(services):
    init_deps = services["airflow-init"]["depends_on"]
    assert init_deps["postgres"]["condition"] == "service_healthy"
    for name in AIRFLOW_LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        assert {"postgres", "redis"} <= set(depends), name
    worker = services["airflow-worker"]["depends_on"]
    assert worker["minio-init"]["condition"] == "service_completed_successfully"
    assert worker["airflow-api-server"]["condition"] == "service_healthy"  # execution API


def test_one_shot_services_do_not_restart(services):
    for name in ONE_SHOT:
        assert str(services[name].get("restart", "no")) == "no", name
    for name in long_running(services):
        assert services[name].get("restart") in {"always", "unless-stopped", "on-failure"}, name


def test_worker_can_be_scaled(services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker, "a fixed container_name stops --scale airflow-worker=N"
    assert not worker.get("ports"), "host ports on the worker clash when it is scaled"


# --- images --------------------------------------------------------------------------------------
def test_every_image_has_an_explicit_version_tag(services):
    for name, service in services.items():
        image = service.get("image")
        if image is None:
            assert service.get("build"), f"{name} has neither image nor build"
            continue
        assert "$" not in str(image), f"{name}: image {image} depends on the environment"
        tag = image_tag(str(image))
        assert tag, f"{name}: image {image} has no tag"
        assert tag.lower() not in {"latest", "stable", "main", "master", "edge"}, f"{name}: {image}"
        assert re.search(r"\d", tag), f"{name}: tag {tag!r} names no version"


def test_airflow_services_share_one_image_built_from_the_project(services):
    builds = {name: services[name].get("build") for name in AIRFLOW_SERVICES}
    contexts = {
        name: (build.get("context") if isinstance(build, dict) else build) for name, build in builds.items()
    }
    assert set(contexts.values()) == {"."}, f"every Airflow service must build the project: {contexts}"
    images = {services[name].get("image") for name in AIRFLOW_SERVICES}
    assert len(images) == 1, f"Airflow services use different images: {images}"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert images == {f"anchor-pipeline:{version}"}, "tag the image with the project's version"


def test_airflow_services_share_executor_database_and_secrets(services):
    shared_keys = [
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__CORE__AUTH_MANAGER",
        "ANCHOR_CONFIG",
        "ANCHOR_PSEUDONYM_KEY_FILE",
        "AIRFLOW_CONN_ANCHOR_S3",
        "AIRFLOW_CONN_ANCHOR_WAREHOUSE",
    ]
    reference = environment(services["airflow-api-server"])
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        for key in shared_keys:
            assert env.get(key) == reference.get(key), f"{name}: {key} differs from the api-server's"
    assert reference["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_airflow_environment(services):
    env = environment(services["airflow-scheduler"])
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg://")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["ANCHOR_CONFIG"] == "/opt/anchor/config/production.toml"
    assert env["ANCHOR_BUCKET_URL"] == "s3://anchor-ingest"
    assert env["ANCHOR_LAKE_URL"] == "s3://anchor-lake"
    # Credentials come from Airflow connections, not from the environment the containers inherit.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ANCHOR_WAREHOUSE_URL", "ANCHOR_PSEUDONYM_KEY"):
        assert key not in env, f"{key} in the environment: use the Airflow connection or the secret file"


def connection(env: dict[str, str], conn_id: str) -> dict[str, Any]:
    """An ``AIRFLOW_CONN_<ID>`` in JSON form, its ${VAR} references replaced by a placeholder."""
    value = env[f"AIRFLOW_CONN_{conn_id.upper()}"]
    return json.loads(re.sub(r"\$\{[^}]*\}", "from-env", value))


def test_metadata_and_warehouse_are_separate_databases(services):
    env = environment(services["airflow-worker"])
    metadata = url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    warehouse = connection(env, "anchor_warehouse")
    assert warehouse["conn_type"] == "postgres"
    assert (metadata.hostname, warehouse["host"]) == ("postgres", "postgres")
    assert metadata.path == "/airflow" and warehouse["schema"] == "warehouse"
    assert metadata.username != warehouse["login"], "use a login of its own for the warehouse"


def test_connections_from_the_environment(services):
    env = environment(services["airflow-worker"])
    smtp = url(env["AIRFLOW_CONN_SMTP_DEFAULT"])
    assert (smtp.scheme, smtp.hostname, smtp.port) == ("smtp", "mailpit", 1025)
    assert "disable_tls=true" in smtp.query and "disable_ssl=true" in smtp.query
    s3 = connection(env, "anchor_s3")
    assert s3["conn_type"] == "aws" and s3["extra"]["endpoint_url"] == "http://minio:9000"
    assert ONLY_REFERENCE.match(json.loads(env["AIRFLOW_CONN_ANCHOR_S3"])["password"])
    assert ONLY_REFERENCE.match(json.loads(env["AIRFLOW_CONN_ANCHOR_WAREHOUSE"])["password"])
    assert env["AIRFLOW__SMTP__SMTP_HOST"] == "mailpit" and env["AIRFLOW__SMTP__SMTP_PORT"] == "1025"


def test_published_ports(services):
    def published(name: str) -> set[str]:
        return {str(p).rsplit(":", 2)[-2] for p in services[name].get("ports") or [] if ":" in str(p)}

    assert "8080" in published("airflow-api-server")
    assert {"9000", "9001"} <= published("minio")
    assert "8025" in published("mailpit")


# --- volumes -------------------------------------------------------------------------------------
def test_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    used = {volume for service in services.values() for volume, _ in named_volumes(service)}
    assert used <= declared, f"volumes used but not declared: {sorted(used - declared)}"
    assert declared <= used, f"volumes declared but never mounted: {sorted(declared - used)}"


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("postgres", "/var/lib/postgresql/data"),
        ("minio", "/data"),
        ("airflow-scheduler", "/opt/airflow/logs"),
        ("airflow-worker", "/opt/airflow/logs"),
        ("airflow-api-server", "/opt/airflow/logs"),
    ],
)
def test_state_lives_on_named_volumes(services, service, path):
    assert path in {target for _, target in named_volumes(services[service])}, f"{service}: {path}"


def test_airflow_logs_volume_is_shared(services):
    volumes = {
        name: {v for v, target in named_volumes(services[name]) if target == "/opt/airflow/logs"}
        for name in AIRFLOW_LONG_RUNNING
    }
    assert len({frozenset(v) for v in volumes.values()}) == 1, volumes


# --- environment variables and secrets ----------------------------------------------------------
def test_env_references_are_defined_in_env_example(compose, env_example):
    referenced = {m["braced"] or m["bare"] for text in strings(compose) for m in ENV_REFERENCE.finditer(text)}
    assert referenced, "docker-compose.yml references no variables from .env"
    missing = sorted(referenced - set(env_example))
    assert not missing, f"docker-compose.yml uses {missing}, which .env.example does not define"


def test_secrets_come_from_env(services):
    offenders = []
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_KEY.search(key) and not NOT_SECRET_KEY.search(key) and not ONLY_REFERENCE.match(value):
                offenders.append(f"{name}: {key}={value}")
    assert not offenders, "secrets must be ${VAR} references to .env:\n" + "\n".join(offenders)


def test_no_secret_looking_literals_in_compose(compose, compose_text, env_example):
    problems = []
    for text in strings(compose):
        for match in re.finditer(r"[a-z][a-z0-9+.-]*://([^/@\s:]+):([^@\s]*)@", text):
            if not match.group(2).startswith("${"):
                problems.append(f"password written in a URL: {text}")
        for token in re.findall(r"[A-Za-z0-9+/=_-]{32,}", text):
            if re.search(r"\d", token) and re.search(r"[a-z]", token) and re.search(r"[A-Z]", token):
                problems.append(f"key-like literal: {token}")
    secrets = {k: v for k, v in env_example.items() if SECRET_VALUE.search(k) and len(v) >= 6}
    problems += [
        f"{key}'s value from .env.example" for key, value in secrets.items() if value in compose_text
    ]
    assert not problems, "\n".join(problems)


def test_env_example_values_are_usable(compose, env_example):
    # Passwords that end up inside URLs must not need escaping.
    in_urls = {var for text in strings(compose) for var in re.findall(r"://\S*?\$\{([A-Za-z_]\w*)", text)}
    assert "AIRFLOW_DB_PASSWORD" in in_urls
    # ... and those inside the connections' JSON must not need escaping either.
    in_json = {
        var
        for key, text in environment(compose["services"]["airflow-worker"]).items()
        if key.startswith("AIRFLOW_CONN_") and text.lstrip().startswith("{")
        for var in re.findall(r"\$\{([A-Za-z_]\w*)", text)
    }
    assert {"WAREHOUSE_PASSWORD", "ANCHOR_S3_SECRET_KEY"} <= in_json
    for key in in_urls | in_json:
        assert re.fullmatch(r"[A-Za-z0-9_.@-]+", env_example[key]), f"{key} in .env.example is not URL-safe"
    # Airflow signs its JWTs with HS512; PyJWT warns below the digest size (64 bytes).
    assert len(env_example["AIRFLOW_JWT_SECRET"].encode()) >= 64
    try:
        fernet = base64.urlsafe_b64decode(env_example["AIRFLOW_FERNET_KEY"].encode())
    except binascii.Error as exc:
        pytest.fail(f"AIRFLOW_FERNET_KEY is not url-safe base64: {exc}")
    assert len(fernet) == 32, "a Fernet key is 32 url-safe base64-encoded bytes"
    for key in ("MINIO_ROOT_PASSWORD", "ANCHOR_S3_SECRET_KEY"):
        assert len(env_example[key]) >= 8, f"MinIO refuses secrets shorter than 8 characters: {key}"
    assert all(v for v in env_example.values()), "every .env.example variable needs a value"


def test_no_pip_additional_requirements(compose_text):
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in compose_text
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in DOCKERFILE.read_text(encoding="utf-8")


# --- PostgreSQL initialisation -------------------------------------------------------------------
def test_postgres_init_script_creates_both_databases(services):
    sql = POSTGRES_INIT.read_text(encoding="utf-8")
    databases = set(re.findall(r"CREATE DATABASE\s+(\w+)\s+OWNER\s+(\w+)", sql, re.IGNORECASE))
    env = environment(services["airflow-worker"])
    metadata = url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    warehouse = connection(env, "anchor_warehouse")
    for database, login in (
        (metadata.path.lstrip("/"), metadata.username),
        (warehouse["schema"], warehouse["login"]),
    ):
        assert (database, login) in databases, f"init script does not create {database} owned by {login}"
        assert re.search(rf"CREATE ROLE\s+{login}\s+WITH\s+LOGIN", sql, re.IGNORECASE)
    assert not re.search(r"PASSWORD\s+'", sql, re.IGNORECASE), "passwords must come from the environment"


def test_postgres_init_script_is_mounted_with_its_variables(services):
    postgres = services["postgres"]
    mounts = [str(m) for m in postgres.get("volumes") or []]
    assert any(
        m.startswith("./deploy/postgres-init.sql:/docker-entrypoint-initdb.d/")
        and m.split(":")[1].endswith(".sql")
        for m in mounts
    ), mounts
    needed = set(re.findall(r"\\getenv\s+\w+\s+(\w+)", POSTGRES_INIT.read_text(encoding="utf-8")))
    assert needed and needed <= set(environment(postgres)), (
        f"postgres needs {sorted(needed)} in its environment"
    )


# --- Dockerfile ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dockerfile() -> str:
    # Join continuation lines so each instruction is one line.
    return re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))


def test_dockerfile_base_image_is_pinned(dockerfile):
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert bases
    for image in bases:
        tag = image_tag(image)
        assert tag and tag != "latest" and re.search(r"\d", tag), f"FROM {image} is not pinned"
    assert any(re.match(r"python:3\.11[.\d]*-slim", image) for image in bases)


def test_dockerfile_installs_the_locked_dependencies(dockerfile):
    runs = re.findall(r"^RUN\s+(.+)$", dockerfile, re.MULTILINE)
    syncs = [r for r in runs if "uv sync" in r]
    assert len(syncs) == 2, "uv sync twice: dependencies only, then the project"
    assert all("--locked" in r and "--no-dev" in r and "--extra production" in r for r in syncs), syncs
    assert "--no-install-project" in syncs[0] and "--no-install-project" not in syncs[1]
    assert any(re.search(r"pip install uv==\d+\.\d+\.\d+", r) for r in runs), "pin uv"
    assert not any(re.search(r"\b(pip|uv pip) install\b(?!\s+uv==)", r) for r in runs), (
        "install from uv.lock only"
    )
    lines = dockerfile.splitlines()

    def index(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    assert (
        index(r"^COPY\s+pyproject\.toml\s+uv\.lock")
        < index(r"uv sync.*--no-install-project")
        < index(r"^COPY\s+\.\s")
        < index(r"uv sync(?!.*--no-install-project)")
    ), "copy the lock and install dependencies before copying the project (layer cache)"


def test_dockerfile_environment_and_user(dockerfile):
    for setting in (
        "UV_COMPILE_BYTECODE=1",
        "PATH=/opt/anchor/.venv/bin:$PATH",
        "AIRFLOW_HOME=/opt/airflow",
        "AIRFLOW__CORE__DAGS_FOLDER=/opt/anchor/dags",
        "AIRFLOW__CORE__LOAD_EXAMPLES=False",
    ):
        assert re.search(rf"^ENV\s.*{re.escape(setting)}", dockerfile, re.MULTILINE), setting
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] in {"50000", "airflow", "50000:0", "airflow:0"}, "run as the airflow user"
    assert re.search(r"useradd\b.*--uid 50000\b.*\bairflow\b", dockerfile)
    assert re.search(r'^ENTRYPOINT\s+\[.*"airflow"\]', dockerfile, re.MULTILINE)


def test_dockerignore_keeps_secrets_out_and_the_project_in():
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")):
                result = not negate
        return result

    for path in (".env", ".git", ".venv", "secrets", "var"):
        assert ignored(path), f".dockerignore must exclude {path}"
    needed = ["pyproject.toml", "uv.lock", "README.md", "pipeline", "transforms", "warehouse", "reports"]
    needed += ["dags", "config", "expectations"]
    for path in needed:
        assert not ignored(path), f".dockerignore must not exclude {path}"


def test_production_extra_is_in_the_lock():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"].get("optional-dependencies", {}).get("production")
    assert extra, "pyproject.toml needs a 'production' extra: the Dockerfile installs it (--extra production)"
    names = {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower() for requirement in extra}
    assert {"apache-airflow-providers-celery", "redis", "s3fs"} <= names, names
    lock = (ROOT / "uv.lock").read_text(encoding="utf-8")
    assert 'name = "apache-airflow-providers-celery"' in lock, "run `uv lock` after adding the extra"


# --- network config ------------------------------------------------------------------------------
def test_production_config_validates(monkeypatch):
    from pipeline.config import load_config

    for var in ("ANCHOR_BUCKET_URL", "ANCHOR_LAKE_URL", "ANCHOR_WAREHOUSE_URL"):
        monkeypatch.delenv(var, raising=False)
    config = load_config(PRODUCTION_CONFIG)
    assert config.bucket_url == "s3://anchor-ingest"
    assert config.lake_url == "s3://anchor-lake"
    assert config.storage.warehouse_url is None, "the warehouse comes from an Airflow connection"


def test_production_config_names_connections_the_stack_defines(services):
    from pipeline.config import load_config

    storage = load_config(PRODUCTION_CONFIG).storage
    env = environment(services["airflow-worker"])
    assert storage.conn_id and storage.warehouse_conn_id
    for conn_id in (storage.conn_id, storage.warehouse_conn_id):
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in env, conn_id


def test_production_config_is_the_london_network_with_its_own_storage_and_email():
    production = tomllib.loads(PRODUCTION_CONFIG.read_text(encoding="utf-8"))
    london = tomllib.loads(LONDON_CONFIG.read_text(encoding="utf-8"))
    for deployment_only in ("storage", "email"):  # where things are, and who is mailed, differ by deployment
        production.pop(deployment_only, None)
        london.pop(deployment_only, None)
    assert production == london, (
        "config/production.toml must match config/london.toml outside [storage], [email]"
    )


def test_production_config_data_dir_is_a_volume(services):
    data_dir = tomllib.loads(PRODUCTION_CONFIG.read_text(encoding="utf-8"))["storage"]["data_dir"]
    for name in ("airflow-worker", "airflow-dag-processor", "airflow-scheduler", "airflow-triggerer"):
        assert data_dir in {target for _, target in named_volumes(services[name])}, name


# --- docs and the compose binary -----------------------------------------------------------------
def test_docs_cover_starting_and_using_the_stack():
    text = DOCS.read_text(encoding="utf-8")
    for needle in (
        "cp .env.example .env",
        "docker compose up -d",
        "http://localhost:8080",
        "http://localhost:9001",
        "http://localhost:8025",
        "mc cp",
        "AIRFLOW_CONN_",
        "AIRFLOW_VAR_",
        "--scale airflow-worker=",
    ):
        assert needle in text, f"docs/production.md does not mention {needle!r}"


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_binary_accepts_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    result = subprocess.run(
        [*command, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr or result.stdout


# --- issue 14: start-up checks, secrets, the image --------------------------------------------------
def test_anchor_init_upgrades_the_warehouse_then_runs_preflight(services):
    init = services["anchor-init"]
    script = [line.strip() for text in strings(init.get("command")) for line in text.splitlines()]
    assert "set -euo pipefail" in script
    assert script.index("anchor db upgrade") < script.index("anchor preflight"), script
    assert init.get("restart", "no") == "no"
    depends = init["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    # preflight lists the buckets and reads Airflow's connections: both must exist first.
    assert depends["minio-init"]["condition"] == "service_completed_successfully"
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_nothing_runs_tasks_before_anchor_init_has_passed(services):
    for name in AFTER_ANCHOR_INIT:
        assert services[name]["depends_on"]["anchor-init"]["condition"] == "service_completed_successfully", (
            name
        )


def test_the_pseudonymisation_key_is_a_secret_file_outside_every_volume(compose, services):
    [(name, secret)] = (compose.get("secrets") or {}).items()
    source = str(secret["file"])
    assert source.startswith("./secrets/"), (
        "keep the key on the host, in the git- and docker-ignored secrets/"
    )
    key_file = f"/run/secrets/{name}"
    for service_name in AIRFLOW_SERVICES:
        service = services[service_name]
        assert environment(service)["ANCHOR_PSEUDONYM_KEY_FILE"] == key_file, service_name
        assert name in (service.get("secrets") or []), f"{service_name} does not mount the key"
        assert not any(target.startswith("/run/secrets") for _, target in named_volumes(service))
    for ignore in (ROOT / ".gitignore", ROOT / ".dockerignore"):
        assert "secrets/" in ignore.read_text(encoding="utf-8").splitlines(), ignore.name


def test_no_password_in_a_url_in_the_pipelines_environment(services):
    """The pipeline's credentials come as Airflow connections (masked by Airflow), not in URLs."""
    for name in AIRFLOW_SERVICES:
        for key, value in environment(services[name]).items():
            if key.startswith(("ANCHOR_", "AIRFLOW_CONN_", "AWS_")):
                assert not re.search(r"://[^/@\s]*:[^@\s]*@", value), f"{name}: {key} has a password in a URL"


def test_the_image_can_print_the_report(dockerfile):
    installs = " ".join(
        r for r in re.findall(r"^RUN\s+(.+)$", dockerfile, re.MULTILINE) if "apt-get install" in r
    )
    assert re.search(r"\bchromium\b", installs), "the report DAG prints the PDF with Chromium"
    assert re.search(r"\bfonts-", installs), "fonts for the PDF"
    assert re.search(r"^ENV\s.*ANCHOR_CHROMIUM=/usr/bin/chromium", dockerfile, re.MULTILINE)


def test_generate_env_makes_secrets_the_libraries_accept_and_keeps_the_key(tmp_path):
    import os
    import stat

    (tmp_path / ".env.example").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    run = [sys.executable, str(GENERATE_ENV), "--root", str(tmp_path)]
    subprocess.run(run, check=True, capture_output=True)
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and line[0] != "#"
    )
    env = dict(
        line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if line and line[0] != "#"
    )
    assert set(env) == set(example)
    for key, value in env.items():
        if SECRET_VALUE.search(key):
            assert value != example[key], f"{key} kept the dev-only value"
            assert re.fullmatch(r"[A-Za-z0-9_=-]+", value), f"{key} is not URL- and JSON-safe"
    assert len(env["AIRFLOW_JWT_SECRET"].encode()) >= 64  # HS512: PyJWT's minimum
    assert len(base64.urlsafe_b64decode(env["AIRFLOW_FERNET_KEY"])) == 32
    assert min(len(env["MINIO_ROOT_PASSWORD"]), len(env["ANCHOR_S3_SECRET_KEY"])) >= 8
    assert stat.S_IMODE(os.stat(tmp_path / ".env").st_mode) == 0o600
    key = tmp_path / "secrets" / "pseudonym.key"
    assert len(key.read_text().strip()) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "secrets").st_mode) == 0o700
    # Run again with --force: new .env secrets, the same key (a new key would break uplift matching).
    first_key, first_jwt = key.read_text(), env["AIRFLOW_JWT_SECRET"]
    subprocess.run([*run, "--force"], check=True, capture_output=True)
    again = (tmp_path / ".env").read_text()
    assert first_jwt not in again and key.read_text() == first_key


def test_runbook_covers_operations():
    text = RUNBOOK.read_text(encoding="utf-8")
    for needle in (
        "deploy/generate_env.py",
        "anchor db upgrade",
        "anchor preflight",
        "pg_dump",
        "secrets/pseudonym.key",
        "anchor_pseudonym_secret",
        "rotat",
        "add a member",
    ):
        assert needle.lower() in text.lower(), f"docs/runbook.md does not mention {needle!r}"
    for doc in (ROOT / "README.md", DOCS):
        assert "runbook.md" in doc.read_text(encoding="utf-8"), f"{doc.name} does not link the runbook"
