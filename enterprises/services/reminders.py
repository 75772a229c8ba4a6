"""Reminders before a high-tech certificate expires.

The holder firm's users and the registry staff are emailed at each step of
`settings.HIGH_TECH_EXPIRY_REMINDER_DAYS` (90 and 30 days before), once each. The reminder of
a step is due for the whole window up to the next step, not on one exact day, so a run missed
on one day is made up by the next. The outbox row is the claim: its once-only key is unique
per person, so a second run, or two runs at the same moment, write nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from common.notifications import absolute, notification_write
from common.workflow import Permission, Relation
from enterprises.models import HighTechCertificate

NOTIFICATION_KIND = "hightech_expiry"

# Who is reminded: the holder firm's approved users, and the staff who keep the registry of
# certificates (the bureau staff and admin roles; finance only reads it).
HOLDER = Relation(key="enterprise", label=_("Enterprise"), kind="enterprise", path="enterprise_id")
REGISTRY_STAFF = Permission(
    "enterprises.change_hightechcertificate", _("Registry staff (high-tech certificates)")
)


def reminder_steps() -> list[int]:
    """The steps, in days before expiry, nearest last: [90, 30]."""
    return sorted(set(settings.HIGH_TECH_EXPIRY_REMINDER_DAYS), reverse=True)


def reminder_step(days_left: int) -> int | None:
    """The step whose window holds `days_left`: the nearest step not yet passed, so a
    certificate 25 days from expiry is in the 30-day step, one 31 days away in the 90-day
    step; None beyond the first step."""
    due = [step for step in reminder_steps() if days_left <= step]
    return min(due) if due else None


def dedupe_key(certificate: HighTechCertificate, step: int) -> str:
    return f"hightech-expiry-{certificate.pk}-{step}"


def high_tech_expiry_reminders_send(*, on: dt.date) -> int:
    """Write the reminder due on `on` for every certificate ending within the first step.

    A certificate gets the reminder of the step whose window `on` falls in (see
    `reminder_step`); revoked, expired and already re-recognised certificates get none.
    Side effects: outbox notifications (sent by the worker after commit), one per person
    and step, each certificate in its own transaction. Safe to run any number of times.
    Returns the number of notifications written.
    """
    steps = reminder_steps()
    if not steps:
        return 0
    certificates = (
        HighTechCertificate.objects.ending_within(on, steps[0])
        .select_related("enterprise")
        .order_by("expires_on", "pk")
    )
    written = 0
    for certificate in certificates:
        step = reminder_step((certificate.expires_on - on).days)
        if step is not None:
            written += high_tech_expiry_reminder_write(certificate=certificate, step=step, on=on)
    return written


@transaction.atomic
def high_tech_expiry_reminder_write(
    *, certificate: HighTechCertificate, step: int, on: dt.date
) -> int:
    """Write the `step`-day reminder of `certificate` to the firm's users (linked to the
    firm's page) and the registry staff (linked to the certificate in the admin).

    Side effects: one outbox notification per person who has not had this step's reminder
    of this certificate yet. Returns the number written.
    """
    key = dedupe_key(certificate, step)
    audiences = (
        (False, HOLDER.recipients(certificate), reverse("enterprises:my_enterprise")),
        (
            True,
            REGISTRY_STAFF.recipients(),
            reverse("admin:enterprises_hightechcertificate_change", args=[certificate.pk]),
        ),
    )
    written = 0
    for for_bureau, users, path in audiences:
        # Those who have it already are left out here; the unique key on the outbox row is
        # what holds when two runs meet.
        people = list(users.exclude(notifications__dedupe_key=key).order_by("pk"))
        if not people:
            continue
        context = {
            "certificate": certificate,
            "enterprise": certificate.enterprise,
            "days_left": (certificate.expires_on - on).days,
            "last": step == reminder_steps()[-1],
            "for_bureau": for_bureau,
            "url": absolute(path),
        }
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("enterprises/email/certificate_expiry_subject.txt", context)
            body = render_to_string("enterprises/email/certificate_expiry.txt", context)
        written += len(
            notification_write(
                recipients=people,
                subject=subject,
                body=body,
                path=path,
                kind=NOTIFICATION_KIND,
                dedupe_key=key,
            )
        )
    return written
