#!/usr/bin/env python3
"""Write ``.env`` for docker-compose.yml with fresh random secrets, and the pseudonymisation key file.

    python3 deploy/generate_env.py            # .env from .env.example, and secrets/pseudonym.key
    python3 deploy/generate_env.py --force    # replace an existing .env (NOT the key: see below)

Every secret meets what the software using it asks for: the JWT secret is 96 characters (Airflow signs
with HS512 and PyJWT warns below the digest's 64 bytes; `openssl rand -hex 24`, 48 characters, was too
short), the Fernet key is 32 url-safe base64-encoded bytes, MinIO's secrets are past its 8 characters,
and passwords are hex, so they are safe inside URLs and JSON (the Airflow connections).

The pseudonymisation key is written once and never replaced by this script: a new key gives every
employee a new pseudonym, so uplifts could no longer be matched with earlier snapshots. Rotating it is
a deliberate step (docs/runbook.md). The ``secrets/`` folder is owner-only; the key file itself is
readable by the containers' user (uid 50000), which the bind mount of a docker secret needs.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JWT_MIN_BYTES = 64  # HS512's digest size: PyJWT's minimum recommended key length for Airflow's JWTs


def _fernet() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


GENERATORS: dict[str, Callable[[], str]] = {
    "AIRFLOW_ADMIN_PASSWORD": lambda: secrets.token_hex(16),
    "AIRFLOW_FERNET_KEY": _fernet,
    "AIRFLOW_JWT_SECRET": lambda: secrets.token_hex(48),
    "AIRFLOW_API_SECRET_KEY": lambda: secrets.token_hex(32),
    "POSTGRES_PASSWORD": lambda: secrets.token_hex(24),
    "AIRFLOW_DB_PASSWORD": lambda: secrets.token_hex(24),
    "WAREHOUSE_PASSWORD": lambda: secrets.token_hex(24),
    "MINIO_ROOT_PASSWORD": lambda: secrets.token_hex(24),
    "ANCHOR_S3_SECRET_KEY": lambda: secrets.token_hex(24),
}


def render_env(example: str) -> str:
    """``example`` (the text of .env.example) with every secret replaced by a fresh random value."""
    lines = []
    for line in example.splitlines():
        key, sep, _ = line.partition("=")
        if sep and not line.lstrip().startswith("#") and key.strip() in GENERATORS:
            line = f"{key.strip()}={GENERATORS[key.strip()]()}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_key(folder: Path) -> tuple[Path, bool]:
    """``folder/pseudonym.key`` (64 hex characters); (path, created). An existing key is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = folder / "pseudonym.key"
    if path.exists():
        return path, False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (where .env.example is)")
    parser.add_argument("--force", action="store_true", help="replace an existing .env")
    args = parser.parse_args(argv)
    env_file = args.root / ".env"
    if env_file.exists() and not args.force:
        print(f"{env_file} exists; keep it, or run with --force to replace its secrets", file=sys.stderr)
    else:
        text = render_env((args.root / ".env.example").read_text(encoding="utf-8"))
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        env_file.chmod(0o600)
        print(f"wrote {env_file} with fresh secrets (owner-only)")
    key, created = write_key(args.root / "secrets")
    print(
        f"{'wrote' if created else 'kept the existing'} pseudonymisation key {key}: back it up (docs/runbook.md)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
