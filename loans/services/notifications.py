"""Status emails, sent by the Celery task after each transition commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.lib.money import format_wan
from loans.models import (
    LoanStatus,
    LoanStatusChange,
)


def _recipients(change: LoanStatusChange) -> tuple[list[str], list[str]]:
    """The firm's addresses and the bank officers' addresses, each sorted, none in both."""
    from django.contrib.auth import get_user_model

    loan = change.application
    users = get_user_model().objects.filter(is_active=True, link_status="approved")
    firm = set(
        users.filter(organisation_kind="enterprise", enterprise_id=loan.enterprise_id)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if loan.enterprise.contact_email:
        firm.add(loan.enterprise.contact_email)
    bank: set[str] = set()
    if loan.bank_id and change.to_status in (LoanStatus.FORWARDED, LoanStatus.WITHDRAWN):
        bank = set(
            users.filter(organisation_kind="bank", bank_id=loan.bank_id)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return sorted(firm - bank), sorted(bank)


def _send(change: LoanStatusChange, recipients: list[str], url_name: str) -> None:
    """One email to `recipients`, linking to the page `url_name` they can open."""
    loan = change.application
    context = {
        "change": change,
        "loan": loan,
        "enterprise": loan.enterprise,
        "amount_wan": format_wan(loan.approved_amount or loan.requested_amount),
        "url": settings.PORTAL_BASE_URL.rstrip("/") + reverse(url_name, args=[loan.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("loans/email/status_changed_subject.txt", context)
        body = render_to_string("loans/email/status_changed.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)


def loan_status_email_send(*, change_id: int) -> int:
    """Email the firm (and the bank where it concerns it) about one status change.

    The firm's email links to its application page, the bank officers' to the bank desk page
    of the loan (each opens only for its own side). Sends nothing when the change no longer
    exists; returns the number of recipients.
    """
    change = (
        LoanStatusChange.objects.select_related("application__enterprise", "application__bank")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    firm, bank = _recipients(change)
    if firm:
        _send(change, firm, "loans:application_detail")
    if bank:
        _send(change, bank, "loans:bank_loan_detail")
    return len(firm) + len(bank)
