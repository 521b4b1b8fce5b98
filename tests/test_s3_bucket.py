"""The ingest bucket on a real S3-compatible server (moto on loopback), as MinIO is used in production.

Members' files arrive through the S3 API (boto3), the ingest DAG runs through Airflow, and archive,
quarantine, feedback, e-mail and warehouse are checked on the server itself.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from pipeline.adapters.bucket import Store
from pipeline.network import open_network
from pipeline.orchestration import DAGS_FOLDER
from tests.conftest import write_config
from tests.servers import S3_ACCESS_KEY, S3_SECRET_KEY, enable_email, use_s3
from warehouse.schema import fact_spend, member_emails, submissions

GOOD = (
    "Payment Date,Supplier Name,Amount,Transaction ID,Postcode\n"
    '01/08/2025,Brightwater Cleaning Ltd,"£1,000.00",T1,SE1 7PB\n'
    "02/08/2025,Keystone Facilities Limited,250.50,T2,M1 2AB\n"
)


def test_store_reads_writes_lists_and_removes_on_s3(s3_bucket) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"s3://{s3_bucket.name}/net/bucket")
    assert store.list_files("incoming") == []
    s3_bucket.put("net/bucket/incoming/m1/spend_2025-26-Q2.csv", b"a,b\n1,2\n")

    [entry] = store.list_files("incoming")
    assert entry["path"] == "incoming/m1/spend_2025-26-Q2.csv" and entry["size"] == 8
    assert entry["modified"].tzinfo == UTC
    assert abs(datetime.now(UTC) - entry["modified"]) < timedelta(minutes=1)

    # A write is one PUT of the whole object: no temporary objects, no folder markers.
    store.write("feedback/m1/2025-26-Q2/receipt.html", b"<p>ok</p>")
    assert store.read("feedback/m1/2025-26-Q2/receipt.html") == b"<p>ok</p>"
    assert s3_bucket.list_keys("net/") == [
        "net/bucket/feedback/m1/2025-26-Q2/receipt.html",
        "net/bucket/incoming/m1/spend_2025-26-Q2.csv",
    ]
    # Objects other clients add or delete are seen at once (no stale listing cache).
    s3_bucket.put("net/bucket/incoming/m2/spend_2025-26-Q2.csv", b"x")
    assert store.exists("incoming/m2/spend_2025-26-Q2.csv")
    store.remove("incoming/m2/spend_2025-26-Q2.csv")
    store.remove("incoming/m2/spend_2025-26-Q2.csv")  # already gone: not an error
    assert [e["path"] for e in store.list_files("incoming")] == ["incoming/m1/spend_2025-26-Q2.csv"]
    s3_bucket.client().delete_object(Bucket=s3_bucket.name, Key="net/bucket/incoming/m1/spend_2025-26-Q2.csv")
    assert store.list_files("incoming") == []
    assert store.uri("incoming") == f"s3://{s3_bucket.name}/net/bucket/incoming"


def test_credentials_can_come_from_an_airflow_connection(  # type: ignore[no-untyped-def]
    s3_bucket, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key)
    connection = {
        "conn_type": "aws",
        "login": S3_ACCESS_KEY,
        "password": S3_SECRET_KEY,
        "extra": {"endpoint_url": s3_bucket.endpoint, "region_name": "us-east-1"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_ANCHOR_S3", json.dumps(connection))
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    text = config.read_text().replace("[storage]\n", '[storage]\nconn_id = "anchor_s3"\n', 1)
    config.write_text(text)
    use_s3(monkeypatch, s3_bucket)
    network = open_network(config)

    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", GOOD.encode())
    assert s3_bucket.get("london/bucket/incoming/kingsbridge-council/spend_2025-26-Q2.csv") == GOOD.encode()
    assert network.bucket.options["endpoint_url"] == s3_bucket.endpoint


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.airflow
def test_ingest_dag_on_s3_archives_quarantines_answers_and_loads(  # type: ignore[no-untyped-def]
    s3_bucket, mailbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    airflow_db.resetdb()
    use_s3(monkeypatch, s3_bucket)
    config = enable_email(write_config(tmp_path, f"sqlite:///{tmp_path}/warehouse.db"))
    network = open_network(config)
    workbook = _xlsx(
        [
            ["Payment Date", "Supplier Name", "Amount"],
            [datetime(2025, 8, 3), "Meridian Catering PLC", 99.5],
            ["Total", None, 99.5],
        ]
    )
    drops = {
        "kingsbridge-council/spend_2025-26-Q2.csv": GOOD.encode(),
        "fleetside-council/spend_2025-26-Q2.xlsx": workbook,
        "st-aldrics-nhs/spend_2025-26-Q2.csv": b"Supplier Name,Department\nA,B\n",
    }
    for path, data in drops.items():
        s3_bucket.put(f"london/bucket/incoming/{path}", data)

    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_ingest"]
    assert dag.test(run_conf={"config": str(config)}).state == DagRunState.SUCCESS

    keys = s3_bucket.list_keys("london/bucket/")
    assert not [k for k in keys if "/incoming/" in k]
    for path, data in drops.items():
        member, name = path.split("/")
        [archived] = [
            k for k in keys if k.startswith(f"london/bucket/archive/{member}/") and k.endswith(name)
        ]
        assert s3_bucket.get(archived) == data
        assert any(k.startswith(f"london/bucket/feedback/{member}/2025-26-Q2/") for k in keys)
    [quarantined] = [k for k in keys if "/quarantine/" in k]
    assert "st-aldrics-nhs" in quarantined
    assert any(
        k.startswith("london/lake/spend/period=2025-26-Q2/member=fleetside-council/")
        for k in s3_bucket.list_keys()
    )

    with network.engine.connect() as conn:
        statuses = dict(conn.execute(select(submissions.c.member_id, submissions.c.status)).all())
        facts = conn.execute(select(func.count()).select_from(fact_spend)).scalar()
        sent = conn.execute(select(member_emails.c.member_id, member_emails.c.status)).all()
    assert statuses == {
        "kingsbridge-council": "accepted",
        "fleetside-council": "accepted",
        "st-aldrics-nhs": "quarantined",
    }
    assert facts == 3
    assert sorted(sent) == sorted((m, "sent") for m in statuses)
    # Each member's contact got its own answer; the held-back one says so in the subject.
    [held_back] = mailbox.to("anchor@staldrics.example.nhs.uk")
    assert held_back["Subject"].startswith("Held back")
    assert "required column is missing" in held_back.get_body(("html",)).get_content()
    [accepted] = mailbox.to("procurement@kingsbridge.example.gov.uk")
    assert accepted["Subject"].startswith("Accepted: your procurement spend return 2025-26-Q2")
