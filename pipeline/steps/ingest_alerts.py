"""Tell the data engineers what ingest could not do by itself: files it could not process, files it left.

A file that raised is quarantined with an answer to its member and an alert here with the error; files
the scan leaves in ``incoming/`` (links, hidden and temporary files, files outside a member's folder) are
listed here too. Both go through the e-mail ledger under a key made from what they report, so a run
that finds the same things again sends nothing again, and a task retry never sends twice. Best effort:
an alert that cannot be sent is logged, never raised.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from pipeline.network import Network
from pipeline.steps.alerts import alert_mail
from pipeline.steps.delivery import deliver
from pipeline.steps.incoming import SkippedFile

log = logging.getLogger(__name__)


def _send(network: Network, key: str, what: str, facts: dict[str, str], next_steps: str) -> str:
    """Through the e-mail ledger (``deliver``), unlike a run alert: the same finding is sent once."""
    mail = alert_mail(network.cfg, what, facts, next_steps, key)
    if mail is None:
        return "disabled"
    try:
        return deliver(network, mail)
    except Exception as exc:  # the ledger itself may be what is failing
        log.error("could not alert the data engineers (%s): %s", what, exc)
        return "failed"


def alert_unprocessable(
    network: Network, submission_id: str, member_id: str, path: str, error: str, quarantine_path: str
) -> str:
    """A file raised while being processed: it was quarantined and its member answered; say what broke."""
    return _send(
        network,
        f"alert/unprocessable/{submission_id}",
        f"a file from {member_id} could not be processed",
        {
            "Member": member_id,
            "File": path,
            "Submission": submission_id,
            "Error": error,
            "Kept at": quarantine_path,
        },
        "The file was quarantined and its member told that we could not process it and that the data team "
        "has been told; the other files of the run went on. Fix the cause (the error above, and the log), "
        "then copy the file from quarantine back into incoming/ to take it again.",
    )


def alert_skipped(network: Network, skipped: Sequence[SkippedFile]) -> str:
    """Files the scan leaves in incoming/: once for each set of such files (not every run)."""
    reported = sorted((s for s in skipped if s.report), key=lambda s: s.path)
    if not reported:
        return "nothing to report"
    digest = hashlib.sha256(
        "\n".join(f"{s.path}\x1f{s.modified}\x1f{s.reason}" for s in reported).encode("utf-8")
    ).hexdigest()[:24]
    facts = {s.path: f"{s.reason} ({s.size} bytes, modified {s.modified})" for s in reported[:50]}
    if len(reported) > 50:
        facts["..."] = f"and {len(reported) - 50} more (anchor status lists them all)"
    return _send(
        network,
        f"alert/skipped/{digest}",
        f"{len(reported)} file(s) left in incoming/",
        facts,
        "These files were not read. Ask the member to send the return under its own name in their folder, "
        "or delete the files if they are not returns. 'anchor status --period P' lists them too.",
    )
