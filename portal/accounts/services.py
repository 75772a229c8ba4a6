"""Every write to user accounts: enterprise sign-up, staff decisions on organisation links and
the security log.

Each service is atomic, records the acting user in the audit trail (django-simple-history reads
`_history_user` and `_change_reason`) and sends its emails only after the transaction commits.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.lib import uscc as uscc_lib
from common.notifications import absolute, notification_write
from common.workflow import Permission
from enterprises.models import uscc_error_message
from enterprises.services import enterprise_get_or_create_pending, enterprise_update_contact
from loans.models import Bank
from portal.accounts.models import SecurityEvent, User
from portal.accounts.roles import Role, can_decide_links

LinkStatus = User.LinkStatus

# The staff who decide links (the right `can_decide_links` asks for): told of each sign-up.
LINK_DECIDERS = Permission("accounts.change_user", gettext_lazy("staff deciding account links"))

# Allowed link transitions: staff decide a pending link, may reconsider a rejection and may
# withdraw an approval (the user then sees the "not approved" page again).
LINK_TRANSITIONS: dict[str, frozenset[str]] = {
    LinkStatus.PENDING: frozenset({LinkStatus.APPROVED, LinkStatus.REJECTED}),
    LinkStatus.REJECTED: frozenset({LinkStatus.APPROVED}),
    LinkStatus.APPROVED: frozenset({LinkStatus.REJECTED}),
}


def normalise_email(email: str) -> str:
    """Emails are the enterprise users' usernames, so compare them in one case."""
    return email.strip().lower()


def email_taken(email: str) -> bool:
    """True when an account already uses this address as its email or username."""
    address = normalise_email(email)
    return (
        User.objects.filter(email__iexact=address).exists()
        or User.objects.filter(username__iexact=address).exists()
    )


@transaction.atomic
def enterprise_user_signup(
    *,
    uscc: str,
    enterprise_name: str,
    contact_person: str,
    phone: str,
    email: str,
    password: str,
) -> User:
    """Create an enterprise user whose link to the enterprise waits for staff approval.

    The username is the email address (lower-cased), so the user logs in with it. The user can
    log in at once but sees only the "waiting for approval" page until staff approve the link.
    A code not yet in the registry creates a pending enterprise carrying the contact details;
    an existing enterprise is left untouched. The staff who decide links are notified (outbox
    rows, sent after commit) with a link to the accounts waiting for them. Raises
    ValidationError (nothing saved) for an invalid code, a taken email or a weak password.
    """
    address = normalise_email(email)
    if email_taken(address):
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User(
        username=address,
        email=address,
        first_name=contact_person.strip()[:150],
        phone=phone.strip(),
        organisation_kind=User.OrganisationKind.ENTERPRISE,
        link_status=LinkStatus.PENDING,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        enterprise, created = enterprise_get_or_create_pending(
            uscc=uscc, name=enterprise_name, acting_user=None
        )
    except uscc_lib.USCCError as exc:
        raise ValidationError({"uscc": uscc_error_message(exc)}) from exc
    user.enterprise = enterprise
    user.set_password(password)
    user.full_clean()
    user._change_reason = "signed up"  # type: ignore[attr-defined]
    user.save()
    user.groups.add(Group.objects.get(name=Role.ENTERPRISE_USER.value))
    if created:
        # A new pending record starts with the details the applicant gave; staff complete it.
        enterprise_update_contact(
            enterprise=enterprise,
            acting_user=user,
            contact_person=contact_person,
            contact_phone=phone,
            contact_email=address,
        )
    _tell_link_deciders(user=user, created=created)
    return user


def _tell_link_deciders(*, user: User, created: bool) -> None:
    """Write one notification per staff member who decides links, linking to the accounts
    list filtered to this waiting account (where the approve and reject actions are)."""
    path = (
        reverse("admin:accounts_user_changelist")
        + "?"
        + urlencode({"link_status__exact": LinkStatus.PENDING, "q": user.username})
    )
    context = {
        "user": user,
        "enterprise": user.enterprise,
        "created": created,
        "url": absolute(path),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/signup_waiting_subject.txt", context)
        body = render_to_string("accounts/email/signup_waiting.txt", context)
    notification_write(
        recipients=LINK_DECIDERS.recipients().order_by("pk"),
        subject=subject,
        body=body,
        path=path,
        kind="signup",
    )


def _check_staff(acting_user: User) -> None:
    if not can_decide_links(acting_user):
        raise PermissionDenied(_("Only bureau staff may decide on an account's organisation."))


def _decide_link(*, user: User, acting_user: User, to: str, note: str) -> User:
    _check_staff(acting_user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.organisation_kind:
        raise ValidationError(_("This account does not belong to an organisation."))
    if to not in LINK_TRANSITIONS.get(locked.link_status, frozenset()):
        raise ValidationError(
            _("The link of %(user)s is already “%(status)s”.")
            % {"user": locked.username, "status": locked.get_link_status_display()}
        )
    from_status = locked.link_status
    locked.link_status = to
    locked.link_decided_by = acting_user
    locked.link_decided_at = timezone.now()
    locked._history_user = acting_user  # type: ignore[attr-defined]
    # The history row is the status-change record: who, when, from, to, note.
    locked._change_reason = f"link {from_status} -> {to}" + (f": {note}" if note else "")  # type: ignore[attr-defined]
    locked.save(
        update_fields=["link_status", "link_decided_by", "link_decided_at"],
    )
    return locked


def _write_link_email(*, user: User, template: str, reason: str = "") -> None:
    """Write the link decision email in the portal's language (Chinese) to the outbox; the
    worker sends it after commit."""
    if not user.email:
        return
    context = {
        "user": user,
        "enterprise": user.enterprise,
        "reason": reason,
        "login_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("login"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
        body = render_to_string(f"accounts/email/{template}.txt", context)
    notification_write(
        recipients=[user], subject=subject, body=body, path=reverse("login"), kind="account_link"
    )


@transaction.atomic
def user_link_approve(*, user: User, acting_user: User) -> User:
    """Staff approve the user's link to its organisation; the user is emailed (outbox).

    Locks the user row, records who decided and when, and writes a history row. Raises
    PermissionDenied for non-staff and ValidationError when the link is not awaiting approval.
    """
    decided = _decide_link(user=user, acting_user=acting_user, to=LinkStatus.APPROVED, note="")
    _write_link_email(user=decided, template="link_approved")
    return decided


@transaction.atomic
def user_link_reject(*, user: User, acting_user: User, reason: str) -> User:
    """Staff reject (or withdraw) the user's link, stating why; the user is emailed the reason.

    Locks the user row, records who decided and when, and writes a history row with the reason.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for the rejection.")})
    decided = _decide_link(user=user, acting_user=acting_user, to=LinkStatus.REJECTED, note=reason)
    _write_link_email(user=decided, template="link_rejected", reason=reason)
    return decided


@transaction.atomic
def user_bank_link(*, user: User, bank: Bank | None, acting_user: User) -> User:
    """Staff make a bureau-less account an officer of `bank` (None ends the link).

    Staff setting the bank is the approval: the link is approved at once and the account
    joins the bank officer role. A staff account, or one of another organisation (an
    enterprise, a carrier), cannot become a bank officer.
    """
    _check_staff(acting_user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff or locked.organisation_kind not in (
        User.OrganisationKind.NONE,
        User.OrganisationKind.BANK,
    ):
        raise ValidationError(
            {"bank": _("Only an account of no other organisation can be a bank officer.")}
        )
    group = Group.objects.get(name=Role.BANK_OFFICER.value)
    # Set before the group changes so that the security log names who acted.
    locked._history_user = acting_user  # type: ignore[attr-defined]
    if bank is None:
        locked.organisation_kind = User.OrganisationKind.NONE
        locked.bank = None
        locked.link_status = LinkStatus.NONE
        locked.groups.remove(group)
    else:
        locked.organisation_kind = User.OrganisationKind.BANK
        locked.bank = bank
        locked.link_status = LinkStatus.APPROVED
        locked.groups.add(group)
    locked.link_decided_by = acting_user
    locked.link_decided_at = timezone.now()
    locked.full_clean(exclude=["password"])
    locked._change_reason = f"bank link: {bank}" if bank else "bank link ended"  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    username: str = "",
    acting_user: User | AnonymousUser | None = None,
    ip_address: str | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Append one row to the security log (sign-ins, failed sign-ins, changes of rights).

    `username` defaults to the user's; an address that is not an IP address is dropped
    rather than refusing the event.
    """
    if user is not None and not username:
        username = user.get_username()
    acting = acting_user if acting_user is not None and acting_user.is_authenticated else None
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        acting_user=acting,
        ip_address=_valid_ip(ip_address),
        detail=detail,
    )


def _valid_ip(address: str | None) -> str | None:
    if not address:
        return None
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address
