"""Feedback e-mail to the member's contact through a real SMTP server on loopback (aiosmtpd).

The CLI path is used here (``ingest``); the DAG path is covered in test_s3_bucket and test_chasers.
A mail server that is down must never lose or hold back the file: the failure is logged and recorded.
"""

from __future__ import annotations

import logging

import pytest

from pipeline.network import open_network
from pipeline.steps.ingest import ingest
from tests.conftest import write_config
from tests.servers import enable_email, free_port, smtp_connection
from warehouse.emails import emails

CONTACT = "procurement@kingsbridge.example.gov.uk"
HEADER = "Payment Date,Supplier Name,Amount,Transaction ID\n"
ROWS = "".join(f"{day:02d}/08/2025,Supplier {day} Ltd,{day}0.00,T{day}\n" for day in range(1, 25))
ONE_BAD_ROW = HEADER + ROWS + "30/08/2025,Late Ltd,not a number,T99\n"


def _network(tmp_path, email: bool = True):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    return open_network(
        enable_email(config, reply_to="anchor-team@cityhall.example.org") if email else config
    )


def _attachments(message) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_accepted_file_with_a_bad_row_mails_a_receipt_with_the_problems_attached(tmp_path, mailbox) -> None:  # type: ignore[no-untyped-def]
    network = _network(tmp_path)
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", ONE_BAD_ROW.encode())
    [outcome] = ingest(network)
    assert (outcome["status"], outcome["rows_rejected"], outcome["email"]) == ("accepted", 1, "sent")

    [message] = mailbox.to(CONTACT)
    assert message["To"] == CONTACT
    assert message["From"] == "anchor-returns@network.example.org"
    assert message["Reply-To"] == "anchor-team@cityhall.example.org"
    assert message["Subject"] == (
        "Accepted with 1 row(s) to check: your procurement spend return 2025-26-Q2 (spend_2025-26-Q2.csv)"
        " - London Anchor Network (example)"
    )
    body = message.get_body(("html",)).get_content()
    assert "We used 24 of the 25 rows in your file" in body
    assert body == network.bucket.read(outcome["feedback_path"]).decode()
    attached = _attachments(message)
    assert list(attached) == ["spend_2025-26-Q2-problems.csv"]
    problems = attached["spend_2025-26-Q2-problems.csv"]
    text = problems.decode("utf-8-sig") if isinstance(problems, bytes) else problems
    assert "26,amount_gbp,not a number" in text.replace('"', "")
    [row] = emails(network.engine)
    assert (row["kind"], row["member_id"], row["recipient"], row["status"]) == (
        "feedback",
        "kingsbridge-council",
        CONTACT,
        "sent",
    )


def test_held_back_file_says_so_in_the_subject(tmp_path, mailbox) -> None:  # type: ignore[no-untyped-def]
    network = _network(tmp_path)
    network.bucket.write(
        "incoming/kingsbridge-council/spend_2025-26-Q2.csv", b"Supplier Name,Department\nA,B\n"
    )
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined"
    [message] = mailbox.to(CONTACT)
    assert message["Subject"].startswith("Held back, action needed: your procurement spend return 2025-26-Q2")
    assert "Nothing from this file has been used" in message.get_body(("html",)).get_content()
    # Sending the same file again changes nothing and sends nothing.
    network.bucket.write(
        "incoming/kingsbridge-council/spend_2025-26-Q2.csv", b"Supplier Name,Department\nA,B\n"
    )
    assert [o["status"] for o in ingest(network)] == ["duplicate"]
    assert len(mailbox.received) == 1


def test_mail_server_down_never_loses_the_file_and_is_logged_and_recorded(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))  # nobody listening
    network = _network(tmp_path)
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", ONE_BAD_ROW.encode())
    with caplog.at_level(logging.ERROR, logger="pipeline.adapters.mail"):
        [outcome] = ingest(network)

    assert (outcome["status"], outcome["rows_loaded"], outcome["email"]) == ("accepted", 24, "failed")
    assert network.bucket.list_files("incoming") == []
    assert network.bucket.exists(outcome["feedback_path"])
    assert len(network.bucket.list_files("archive/kingsbridge-council")) == 1
    [row] = emails(network.engine)
    assert row["status"] == "failed" and "Connection" in row["error"]
    assert any(CONTACT in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)


def test_failed_feedback_is_retried_once_the_mail_server_is_back(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch: pytest.MonkeyPatch, mailbox
) -> None:
    from pipeline.steps.feedback import resend_failed_feedback

    with monkeypatch.context() as down:
        down.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))  # nobody listening
        network = _network(tmp_path)
        network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", ONE_BAD_ROW.encode())
        [outcome] = ingest(network)
        assert outcome["email"] == "failed"
        assert [r["status"] for r in resend_failed_feedback(network)] == ["failed"]  # still down
    assert mailbox.received == []

    [retry] = resend_failed_feedback(network)  # the server is back (the mailbox fixture's connection)
    assert retry["status"] == "sent"
    [message] = mailbox.to(CONTACT)
    assert "Accepted with 1 row(s) to check" in message["Subject"]
    assert "spend_2025-26-Q2-problems.csv" in _attachments(message)
    [row] = emails(network.engine)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert resend_failed_feedback(network) == [] and len(mailbox.received) == 1  # never twice


def test_a_message_that_keeps_failing_is_given_up_and_the_engineers_are_told(  # type: ignore[no-untyped-def]
    tmp_path, mailbox
) -> None:
    from pipeline.steps.feedback import MAX_ATTEMPTS, resend_failed_feedback

    engineers = "data-engineering@cityhall.example.org"
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db")
    bounced = f"old.contact{mailbox.REFUSED_DOMAIN}"
    config.write_text(config.read_text(encoding="utf-8").replace(CONTACT, bounced), encoding="utf-8")
    network = open_network(enable_email(config, engineers=[engineers]))
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", ONE_BAD_ROW.encode())
    [outcome] = ingest(network)
    assert outcome["email"] == "failed"  # the server refused the address

    retries = [resend_failed_feedback(network) for _ in range(MAX_ATTEMPTS + 2)]
    assert [len(r) for r in retries] == [1] * (MAX_ATTEMPTS - 1) + [0, 0, 0]
    [row] = emails(network.engine)
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)
    assert "No such mailbox" in row["error"]
    # Told once, when the last attempt failed: who, which file, the error, what to do.
    [alert] = mailbox.to(engineers)
    assert "feedback to kingsbridge-council could not be delivered" in alert["Subject"]
    body = alert.get_body(("plain",)).get_content()
    assert bounced in body and "spend_2025-26-Q2.csv" in body and "No such mailbox" in body
    assert f"Attempts: {MAX_ATTEMPTS}" in body and outcome["feedback_path"] in body
    assert mailbox.to(bounced) == []


def test_no_mail_when_the_network_has_no_email_configured(tmp_path, mailbox) -> None:  # type: ignore[no-untyped-def]
    network = _network(tmp_path, email=False)
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", ONE_BAD_ROW.encode())
    [outcome] = ingest(network)
    assert outcome["email"] == "disabled"
    assert mailbox.received == []
