"""The one delivery path of every email: claim, hand to SMTP, record; retry, sweep, alert.

Every outgoing email is a row of a model built on `common.models.OutboxMessage` (the
notifications, the monthly report deliveries). A task sends one row with `outbox_send`; the
periodic `outbox_sweep` queues again what is due (a failed attempt whose back-off has passed,
a queued task that was lost, a claim left by a killed worker) and tells the admins, once,
about every message that stays undelivered. Nothing here ever sends a row twice on its own:
a claim is a conditional UPDATE, and a claim lost after the SMTP dialogue started becomes
`uncertain` — a person looks before it is sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from common.models import Notification, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# Notifications about the mail itself (alerts, error reports): shown in the admin but never
# the subject of another alert, or a mail server that is down would breed them.
ADMIN_KINDS = ("admin_alert", "admin_error")


def outbox_models() -> list[type[OutboxMessage]]:
    """Every concrete model whose rows are emails (the sweep walks them all)."""
    return [m for m in apps.get_models() if issubclass(m, OutboxMessage) and not m._meta.abstract]


def outbox_label(model: type[OutboxMessage]) -> str:
    return model._meta.label_lower


def retry_delay(attempts: int) -> dt.timedelta:
    """Back-off after the `attempts`-th failed attempt: doubled each time, capped."""
    base = settings.OUTBOX_RETRY_BACKOFF
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_BACKOFF_MAX)
    return dt.timedelta(seconds=seconds)


def outbox_enqueue(model: type[OutboxMessage], ids: list[int]) -> None:
    """Queue one send task per row, now (call it after the rows are committed).

    A broker that cannot be reached is logged, not raised: the rows are pending and the sweep
    queues them again once they are `OUTBOX_LOST_AFTER` old.
    """
    from common.tasks import send_email

    label = outbox_label(model)
    for pk in ids:
        try:
            send_email.apply_async((label, pk), retry=False)
        except Exception:
            logger.warning("could not queue %s %s; the sweep will", label, pk, exc_info=True)


def outbox_enqueue_on_commit(model: type[OutboxMessage], ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: outbox_enqueue(model, ids), robust=True)


# ------------------------------------------------------------------------------ sending


def outbox_claim(*, model: type[OutboxMessage], pk: int) -> dt.datetime | None:
    """Take a due pending row for sending; returns the claim's time (its token), or None if
    another run has it, it is done, or its next attempt is not due yet."""
    now = timezone.now()
    claimed = model._default_manager.filter(
        pk=pk, status=OutboxStatus.PENDING, next_attempt_at__lte=now
    ).update(
        status=OutboxStatus.SENDING,
        claimed_at=now,
        smtp_started_at=None,
        attempts=F("attempts") + 1,
    )
    return now if claimed == 1 else None


def _permanent(exc: Exception) -> bool:
    """A refusal that another try will not change (5xx for the sender or every recipient)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def outbox_send(*, model: type[OutboxMessage], pk: int) -> str:
    """Claim row `pk` of `model`, build its email and hand it to the mail server.

    Returns 'sent'; 'skipped' when it was not ours to send; 'retry' when the attempt failed
    and the row waits for its next attempt (or is given up and shown to staff); 'uncertain'
    when the attempt broke off after the message may have reached the server. Every SMTP
    socket waits at most EMAIL_TIMEOUT seconds, and the task's soft time limit releases the
    claim the same way. Not atomic on purpose: the claim and `smtp_started_at` are committed
    before the email leaves, the result after.
    """
    claimed_at = outbox_claim(model=model, pk=pk)
    if claimed_at is None:
        return "skipped"
    mine = model._default_manager.filter(pk=pk, status=OutboxStatus.SENDING, claimed_at=claimed_at)
    row = model._default_manager.get(pk=pk)
    try:
        message = row.email_message()
    except Exception as exc:
        # Our own fault (a template, a missing snapshot): another try will not help.
        _release(mine, row.attempts, exc, permanent=True)
        raise
    started = False
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        # Connecting, EHLO, TLS and login cannot deliver anything: a failure before this
        # point is safely retried.
        connection.open()
        mine.update(smtp_started_at=timezone.now())
        started = True
        message.connection = connection
        message.send()
    except SoftTimeLimitExceeded as exc:
        _close(connection)
        return _broken_off(mine, row.attempts, exc, started=started)
    except (smtplib.SMTPException, OSError) as exc:
        _close(connection)
        if started and not isinstance(
            exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
        ):
            # A timeout or a dropped line in the middle of the dialogue: the server may hold
            # the message already.
            return _broken_off(mine, row.attempts, exc, started=True)
        _release(mine, row.attempts, exc, permanent=_permanent(exc))
        logger.warning("%s %s not sent: %s", outbox_label(model), pk, exc)
        return "retry"
    mine.update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    _close(connection)
    return "sent"


def _close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # the message's fate is recorded already; a failed QUIT changes nothing
        logger.debug("closing the SMTP connection failed", exc_info=True)


def _error_text(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def _broken_off(mine: Any, attempts: int, exc: BaseException, *, started: bool) -> str:
    if not started:
        _release(mine, attempts, exc)
        return "retry"
    mine.update(status=OutboxStatus.UNCERTAIN, next_attempt_at=None, last_error=_error_text(exc))
    logger.error("an email may or may not have been sent: %s", exc)
    return "uncertain"


def _release(mine: Any, attempts: int, exc: BaseException, *, permanent: bool = False) -> None:
    """Failed: try again after the back-off, or give up (no next attempt) for a person."""
    give_up = permanent or attempts >= settings.OUTBOX_MAX_ATTEMPTS
    mine.update(
        status=OutboxStatus.FAILED,
        next_attempt_at=None if give_up else timezone.now() + retry_delay(attempts),
        last_error=_error_text(exc),
    )


def outbox_release(*, model: type[OutboxMessage], pk: int) -> bool:
    """Staff decided an uncertain or given-up row may be sent again: pending now, with the
    attempts counted afresh. Returns False when the row is in no such state."""
    released = model._default_manager.filter(
        Q(status=OutboxStatus.UNCERTAIN)
        | Q(status=OutboxStatus.FAILED, next_attempt_at__isnull=True),
        pk=pk,
    ).update(
        status=OutboxStatus.PENDING,
        next_attempt_at=timezone.now(),
        attempts=0,
        alerted_at=None,
    )
    if released:
        outbox_enqueue_on_commit(model, [pk])
    return bool(released)


# ------------------------------------------------------------------------------ the sweep


def outbox_sweep() -> dict[str, int]:
    """Queue again whatever is due and alert the admins about what stays undelivered.

    For every outbox model: a claim older than OUTBOX_CLAIM_TIMEOUT (its worker died) is
    taken back — `uncertain` if the SMTP dialogue had started, else failed and due at once;
    a failed row whose back-off has passed becomes pending and is queued; a pending row
    whose task has not run within OUTBOX_LOST_AFTER is queued again. Then one alert lists,
    once each, the rows that need a person or are still unsent OUTBOX_ALERT_AFTER after they
    were written. Safe to run twice at once. Returns counts for the log.
    """
    now = timezone.now()
    counts = {"uncertain": 0, "requeued": 0, "alerted": 0}
    for model in outbox_models():
        expired = model._default_manager.filter(
            status=OutboxStatus.SENDING,
            claimed_at__lt=now - dt.timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT),
        )
        counts["uncertain"] += expired.filter(smtp_started_at__isnull=False).update(
            status=OutboxStatus.UNCERTAIN,
            next_attempt_at=None,
            last_error="The worker stopped after handing the message to the mail server.",
        )
        expired.filter(smtp_started_at__isnull=True).update(
            status=OutboxStatus.FAILED,
            next_attempt_at=now,
            last_error="The worker stopped before the message reached the mail server.",
        )
        due: list[int] = []
        with transaction.atomic():
            rows = model._default_manager.select_for_update(skip_locked=True).filter(
                Q(status=OutboxStatus.FAILED, next_attempt_at__lte=now)
                | Q(
                    status=OutboxStatus.PENDING,
                    next_attempt_at__lte=now - dt.timedelta(seconds=settings.OUTBOX_LOST_AFTER),
                )
            )
            due = list(rows.values_list("pk", flat=True)[: settings.OUTBOX_SWEEP_BATCH])
            model._default_manager.filter(pk__in=due).update(
                status=OutboxStatus.PENDING, next_attempt_at=now
            )
        outbox_enqueue_on_commit(model, due)
        counts["requeued"] += len(due)
    counts["alerted"] = outbox_alert(now=now)
    return counts


def undelivered(model: type[OutboxMessage], *, now: dt.datetime | None = None) -> Q:
    """Rows that staff must hear about: a person must decide, or still unsent too long."""
    now = now or timezone.now()
    return (
        Q(status=OutboxStatus.UNCERTAIN)
        | Q(
            ~Q(status=OutboxStatus.SENT),
            attempts__gt=0,
            created_at__lt=now - dt.timedelta(seconds=settings.OUTBOX_ALERT_AFTER),
        )
        | Q(status=OutboxStatus.FAILED, next_attempt_at__isnull=True, attempts__gt=0)
    )


@transaction.atomic
def outbox_alert(*, now: dt.datetime | None = None) -> int:
    """Write one alert to the admins listing every undelivered row not alerted yet, and mark
    them alerted (locked rows are another sweep's). Returns how many were listed."""
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    lines: list[str] = []
    for model in outbox_models():
        rows = model._default_manager.select_for_update(skip_locked=True).filter(
            undelivered(model, now=now), alerted_at__isnull=True
        )
        if model is Notification:
            rows = rows.exclude(Q(kind__in=ADMIN_KINDS))
        picked = list(rows.order_by("pk")[: settings.OUTBOX_SWEEP_BATCH])
        if not picked:
            continue
        model._default_manager.filter(pk__in=[row.pk for row in picked]).update(alerted_at=now)
        name = model._meta.verbose_name_plural
        for row in picked:
            state = (
                _("MAY HAVE BEEN SENT — check with the recipient before resending")
                if row.status == OutboxStatus.UNCERTAIN
                else _("not sent (%(attempts)d attempts): %(error)s")
                % {"attempts": row.attempts, "error": row.last_error[:200]}
            )
            lines.append(f"- {name} #{row.pk} {row}: {state}")
    if not lines:
        return 0
    from common.notifications import admins_notify

    admins_notify(
        kind="admin_alert",
        subject=_("%(count)d emails are undelivered") % {"count": len(lines)},
        body=_(
            "These emails have not been delivered. Those the server may have received are "
            "never resent by themselves: check with the recipient, then release them for "
            "resending in the admin (filter “Needs a person”). The others are tried again "
            "automatically.\n\n%(lines)s"
        )
        % {"lines": "\n".join(lines)},
    )
    return len(lines)
