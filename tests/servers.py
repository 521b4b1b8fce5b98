"""Real servers on loopback for the members'-side tests: S3 (moto in server mode) and SMTP (aiosmtpd).

Both start from the tests themselves on free ports, so no test skips for want of a server. The S3
server runs in its own process (as MinIO would); the SMTP server in a thread of the test process, with
every message it receives kept for the test to read.
"""

from __future__ import annotations

import email
import email.policy
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

S3_ACCESS_KEY = "anchor-test-access"
S3_SECRET_KEY = "anchor-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto) on 127.0.0.1, for the whole session."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the S3 test server (moto) did not start on {endpoint}")
            time.sleep(0.1)
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class S3Bucket:
    name: str
    endpoint: str

    def client(self):  # type: ignore[no-untyped-def]
        """A plain S3 API client, as a member's upload tool would use."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name="us-east-1",
        )

    def put(self, key: str, data: bytes) -> None:
        self.client().put_object(Bucket=self.name, Key=key, Body=data)

    def list_keys(self, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def get(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Bucket]:
    """A fresh bucket; credentials and endpoint reach s3fs/botocore through the standard AWS variables."""
    from s3fs import S3FileSystem

    for key, value in {
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    bucket = S3Bucket(f"anchor-{uuid.uuid4().hex[:12]}", s3_endpoint)
    bucket.client().create_bucket(Bucket=bucket.name)
    # fsspec caches filesystem objects by their arguments, not by the environment they read: start and
    # end each test with fresh ones, so a test that points AWS_ENDPOINT_URL elsewhere leaks into no other.
    S3FileSystem.clear_instance_cache()
    yield bucket
    S3FileSystem.clear_instance_cache()


@dataclass
class Mailbox:
    """Every message the loopback SMTP server accepted, parsed."""

    host: str
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    # Addresses at this domain are refused at RCPT, as a real server refuses an unknown mailbox.
    REFUSED_DOMAIN = "@bounce.example.org"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        if address.endswith(self.REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, rcpt in zip(self.received, self.recipients, strict=True) if address in rcpt]

    def clear(self) -> None:
        self.received.clear()
        self.recipients.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """An empty mailbox, and the Airflow SMTP connection ``smtp_default`` pointing at its server."""
    smtp_server.clear()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(smtp_server.port))
    return smtp_server


def smtp_connection(port: int) -> str:
    """An Airflow SMTP connection (JSON form) to a plain, unauthenticated server on loopback."""
    import json

    extra = {"disable_ssl": True, "disable_tls": True, "timeout": 10, "retry_limit": 0}
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})


def enable_email(config: Path, **settings: object) -> Path:
    """Turn on members' e-mail in a test network's config file."""
    lines = ["", "[email]", "enabled = true", 'from_address = "anchor-returns@network.example.org"']
    for key, value in settings.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    config.write_text(config.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return config


def use_s3(monkeypatch: pytest.MonkeyPatch, bucket: S3Bucket, prefix: str = "london") -> None:
    """Point a test network's bucket and lake at the S3 server (the way a deployment does: by env)."""
    monkeypatch.setenv("ANCHOR_BUCKET_URL", f"s3://{bucket.name}/{prefix}/bucket")
    monkeypatch.setenv("ANCHOR_LAKE_URL", f"s3://{bucket.name}/{prefix}/lake")


__all__ = ["Mailbox", "S3Bucket", "enable_email", "free_port", "smtp_connection", "use_s3"]
