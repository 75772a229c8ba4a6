"""Error reports to the admins through the outbox, never through SMTP inside a request."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.utils.log import AdminEmailHandler

# The handler's own troubles go here (the root logger's console), never back to itself.
fallback = logging.getLogger("common.error_reports")


class OutboxAdminEmailHandler(AdminEmailHandler):
    """Django's error email (same subject and body), written as outbox notifications to
    ADMINS and sent by the worker.

    Writing is one INSERT per admin in its own transaction (savepoint), queued after commit
    with no broker retries. When the database cannot take it (down, or the request's
    transaction is broken), the report goes to the log instead: the handler never raises
    and never waits on the mail server.
    """

    def send_mail(self, subject: Any, message: Any, *args: Any, **kwargs: Any) -> None:
        from django.db import DatabaseError, connection, transaction

        from common.notifications import admins_notify

        try:
            if connection.in_atomic_block and connection.needs_rollback:
                raise DatabaseError("the current transaction is broken")
            with transaction.atomic():
                admins_notify(kind="admin_error", subject=str(subject), body=str(message))
        except Exception as exc:
            try:
                fallback.error(
                    "error report not queued for the admins (%s): %s\n%s", exc, subject, message
                )
            except Exception:  # logging itself failed: the last resort is stderr
                print(f"error report lost: {subject}", file=sys.stderr)
