"""The public notice (公示): staff put signed-off claims on a notice, the public objects
while it is open, staff answer; a claim with an unanswered objection is not approved (the
approval step's guard in `subsidies.workflows.claims`).

A notice lasts at least NOTICE_MIN_WORKING_DAYS working days counting its first day
(`common.calendar`); the system ends its claims' notice once its last day is past
(`subsidy_claim_notices_end`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.calendar import notice_earliest_end
from common.lib import phone
from common.notifications import notification_write
from common.queue import queue_holders
from common.workflow import require_step
from subsidies.models import Notice, Objection, SubsidyClaim
from subsidies.services.base import Status, _lock, _require_staff, _step, _user
from subsidies.workflows.claims import CLAIM, STAFF


def _handlers(claims: Sequence[SubsidyClaim]) -> list[Any]:
    """The staff who handle `claims`: each claim's handler (or whoever holds their queue
    today), or every holder of the staff permission for a claim nobody took up."""
    people: dict[int, Any] = {}
    for claim in claims:
        found = []
        if claim.handler_id:
            found = [u for u in queue_holders(claim.handler_id) if STAFF.holds(u, claim)]
        if not found:
            found = list(STAFF.recipients(claim).order_by("pk"))
        for user in found:
            people.setdefault(user.pk, user)
    return list(people.values())


def _next_number(year: int) -> str:
    taken = Notice.objects.filter(number__startswith=f"{year}-").count()
    return f"{year}-{taken + 1:03d}"


@transaction.atomic
def notice_publish(
    *,
    claims: Sequence[SubsidyClaim],
    title: str,
    acting_user: Any,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Notice:
    """Staff put signed-off claims on one public notice from `starts_on` (default today) to
    `ends_on` (default the earliest end the calendar allows: NOTICE_MIN_WORKING_DAYS working
    days counting the first day). Each claim steps to "in notice" (its claimant is told) and
    the staff handling the claims are told of the notice and its dates.

    Refused, with nothing saved, when no claim is given, a claim is not signed off, the
    user may not publish, or the end is before the earliest end.
    """
    _require_staff(acting_user)
    if not claims:
        raise ValidationError({"claims": _("Choose the claims to put on public notice.")})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the notice a title.")})
    starts_on = starts_on or timezone.localdate()
    earliest_end = notice_earliest_end(starts_on)
    ends_on = ends_on or earliest_end
    if ends_on < earliest_end:
        raise ValidationError(
            {
                "ends_on": _(
                    "A public notice lasts at least %(days)d working days counting its first "
                    "day: starting on %(start)s, it may end on %(earliest)s at the earliest."
                )
                % {
                    "days": settings.NOTICE_MIN_WORKING_DAYS,
                    "start": starts_on.isoformat(),
                    "earliest": earliest_end.isoformat(),
                }
            }
        )
    locked = [_lock(claim) for claim in sorted(claims, key=lambda c: c.pk)]
    for claim in locked:
        try:
            require_step(CLAIM, claim, Status.IN_NOTICE, acting_user)
        except ValidationError as exc:
            raise ValidationError(
                {"claims": _("Claim #%(pk)s: %(why)s") % {"pk": claim.pk, "why": exc.messages[0]}}
            ) from exc
    notice = Notice(
        number=_next_number(starts_on.year),
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        published_by=_user(acting_user),
    )
    try:
        with transaction.atomic():
            save_with_audit(notice, acting_user=acting_user, reason="published")
    except IntegrityError as exc:  # two notices numbered at once
        raise ValidationError(_("Another notice was just published; try again.")) from exc
    note = _("Public notice %(number)s from %(start)s to %(end)s.") % {
        "number": notice.number,
        "start": starts_on,
        "end": ends_on,
    }
    for claim in locked:
        claim.notice = notice
        claim.notice_starts_on = starts_on
        claim.notice_ends_on = ends_on
        _step(claim, Status.IN_NOTICE, acting_user=acting_user, note=note)
    recipients = [u for u in _handlers(locked) if u.pk != getattr(acting_user, "pk", None)]
    notification_write(
        recipients=recipients,
        subject=_("Public notice %(number)s runs from %(start)s to %(end)s")
        % {"number": notice.number, "start": starts_on, "end": ends_on},
        body=_(
            "%(count)d claims are on public notice “%(title)s” from %(start)s to %(end)s. "
            "Objections reach you as they are filed; the claims wait for approval once the "
            "notice has ended."
        )
        % {"count": len(locked), "title": title, "start": starts_on, "end": ends_on},
        path=reverse("admin:subsidies_notice_change", args=[notice.pk]),
        kind="notice_published",
        dedupe_key=f"notice-published-{notice.pk}",
    )
    return notice


def notice_tell_ended(*, notice: Notice) -> int:
    """Tell the staff handling a notice's claims that it has ended (once per notice: a
    second call writes nothing). Returns the rows written."""
    claims = list(notice.claims.all())
    rows = notification_write(
        recipients=_handlers(claims),
        subject=_("Public notice %(number)s has ended") % {"number": notice.number},
        body=_(
            "Public notice “%(title)s” ended on %(end)s. Its claims wait for approval once "
            "every objection is answered."
        )
        % {"title": notice.title, "end": notice.ends_on},
        path=reverse("admin:subsidies_notice_change", args=[notice.pk]),
        kind="notice_ended",
        dedupe_key=f"notice-ended-{notice.pk}",
    )
    return len(rows)


@transaction.atomic
def objection_file(
    *,
    notice: Notice,
    claim_id: Any,
    content: str,
    acting_user: Any = None,
    name: str = "",
    phone_number: str = "",
    file: UploadedFile | None = None,
    today: dt.date | None = None,
) -> Objection:
    """Anyone files an objection to a claim of an open notice: a signed-in user as
    themselves, a visitor with a name and a mainland phone number. The staff handling the
    claim are told at once. Refused (nothing saved) outside the notice's dates, for a claim
    not on this notice, without content, or a visitor without a valid name and phone."""
    today = today or timezone.localdate()
    if not notice.is_open_on(today):
        raise ValidationError(
            _(
                "This public notice ran from %(start)s to %(end)s; objections are accepted "
                "only within those dates."
            )
            % {"start": notice.starts_on.isoformat(), "end": notice.ends_on.isoformat()}
        )
    wanted = str(claim_id or "")
    claim = notice.claims.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    if claim is None:
        raise ValidationError({"claim": _("Choose a claim listed on this notice.")})
    claim = _lock(claim)
    if claim.status != Status.IN_NOTICE:
        raise ValidationError({"claim": _("This claim is no longer on public notice.")})
    errors: dict[str, str] = {}
    content = (content or "").strip()
    if not content:
        errors["content"] = _("Write what you object to.")
    user = _user(acting_user) if getattr(acting_user, "is_authenticated", False) else None
    name = (name or "").strip()
    number = phone.normalise(phone_number or "")
    if user is None:
        if not name:
            errors["name"] = _("Give your name, so the bureau can answer you.")
        if not number:
            errors["phone"] = _("Give a phone number, so the bureau can answer you.")
        elif not phone.is_valid(number):
            errors["phone"] = _(
                "Give a mainland mobile number (11 digits) or a landline with its area code "
                "(023-12345678)."
            )
    if errors:
        raise ValidationError(errors)
    objection = Objection(
        claim=claim,
        received_on=today,
        content=content,
        filed_by=user,
        objector_name="" if user else name,
        objector_phone="" if user else number,
    )
    if file is not None:
        objection.file = file
    save_with_audit(objection, acting_user=user, reason="filed")
    notification_write(
        recipients=_handlers([claim]),
        subject=_("New objection to claim #%(pk)s on notice %(number)s")
        % {"pk": claim.pk, "number": notice.number},
        body=_("An objection was filed on %(day)s to %(claim)s:\n\n%(content)s")
        % {"day": today, "claim": claim, "content": content},
        path=reverse("admin:subsidies_objection_change", args=[objection.pk]),
        kind="objection_filed",
    )
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, answer: str, acting_user: Any) -> Objection:
    """Staff answer an objection (once), during the notice or after it ended; the answer
    shows on the notice's page once it has closed, and the claim may be approved when no
    objection is left unanswered."""
    _require_staff(acting_user)
    locked = Objection.objects.select_for_update().get(pk=objection.pk)
    if locked.answered_on:
        raise ValidationError(_("This objection is already answered."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    locked.answer = answer
    locked.answered_on = timezone.localdate()
    locked.answered_by = acting_user
    save_with_audit(locked, acting_user=acting_user, reason="answered")
    return locked
