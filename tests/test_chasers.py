"""The chaser DAG through Airflow, mailing a real SMTP server on loopback: one e-mail per member per day,
reminders before the due date, overdue notices after it, and a re-run of the same day sends nothing.
"""

from __future__ import annotations

import pytest

from pipeline.network import open_network
from pipeline.orchestration import DAGS_FOLDER
from pipeline.steps.ingest import ingest
from tests.conftest import write_config
from tests.servers import enable_email
from transforms.return_types import RETURN_TYPES
from warehouse.emails import emails

GOOD = "Payment Date,Supplier Name,Amount\n01/08/2025,Brightwater Cleaning Ltd,100.00\n"
KINGSBRIDGE = "procurement@kingsbridge.example.gov.uk"


@pytest.mark.airflow
def test_chasers_through_airflow(tmp_path, mailbox) -> None:  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    airflow_db.resetdb()
    config = enable_email(write_config(tmp_path, f"sqlite:///{tmp_path}/w.db"), chase_overdue_for_days=30)
    network = open_network(config)
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", GOOD.encode())
    ingest(network)
    mailbox.clear()  # the receipt for that file
    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_chasers"]
    members = network.cfg.members

    def run(as_of: str) -> None:
        outcome = dag.test(run_conf={"config": str(config), "as_of": as_of})
        assert outcome.state == DagRunState.SUCCESS

    # Five days before the 2025-26-Q2 due date (30 October 2025): reminders.
    run("2025-10-25")
    assert sorted(r[0] for r in mailbox.recipients) == sorted(m.contact_email for m in members)
    kingsbridge_member = network.cfg.member("kingsbridge-council")
    assert kingsbridge_member is not None
    owed = [  # spend was accepted
        RETURN_TYPES[rt].label for rt in network.cfg.expected_returns(kingsbridge_member) if rt != "spend"
    ]
    [kingsbridge] = mailbox.to(KINGSBRIDGE)
    body = kingsbridge.get_body(("html",)).get_content()
    assert all(label in body for label in owed) and "Procurement spend" not in body
    assert "30 October 2025" in body and "incoming/kingsbridge-council/" in body
    other = mailbox.to("finance.returns@fleetside.example.gov.uk")[0]
    fleetside = next(m for m in members if m.id == "fleetside-council")
    expected = len(network.cfg.expected_returns(fleetside))  # fleetside sends no recruitment return
    assert other["Subject"].startswith(f"Reminder: {expected} returns due by 30 October 2025")
    if len(owed) == 1:
        assert kingsbridge["Subject"].startswith(
            f"Reminder: your {owed[0].lower()} return for 2025-26-Q2 is due"
        )
    else:
        assert kingsbridge["Subject"].startswith(f"Reminder: {len(owed)} returns due by 30 October 2025")

    # The same day again: nothing more is sent.
    run("2025-10-25")
    assert len(mailbox.received) == len(members)
    ledger = emails(network.engine, kind="reminder")
    assert len(ledger) == len(members) and {e["status"] for e in ledger} == {"sent"}
    assert {e["key"] for e in ledger} == {f"chaser/{m.id}/2025-10-25" for m in members}

    # After the due date: overdue notices, again one per member.
    mailbox.clear()
    run("2025-11-06")
    assert len(mailbox.received) == len(members)
    assert mailbox.to(KINGSBRIDGE)[0]["Subject"].startswith("Overdue: ")
    assert "day" in mailbox.to(KINGSBRIDGE)[0].get_body(("html",)).get_content()
    assert len(emails(network.engine, kind="overdue")) == len(members)

    # Once every return is in, nobody is chased.
    mailbox.clear()
    for member in members:
        for return_type in network.cfg.returns:
            network.bucket.write(f"incoming/{member.id}/{return_type}_2025-26-Q2.csv", b"x")  # waiting
    run("2025-11-07")
    assert mailbox.received == []
