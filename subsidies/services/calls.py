"""Policy calls and the what-if of draft versions: application windows, the rule that a claim
is started and submitted inside one, telling qualifying firms of an open call (once per
window), and copying a year's versions into next year's drafts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.models import Notification
from common.notifications import notification_write
from subsidies import eligibility
from subsidies.models import ApplicationWindow, ChecklistItem, SubsidyPolicy
from subsidies.services.base import _is_staff_with

NOTIFY_KIND = "policy_call"


def claim_window_check(*, policy: SubsidyPolicy, day: dt.date) -> None:
    """Refuse a claim started or submitted on `day` outside the version's windows, naming
    the windows' dates. A version without windows is open while it is in effect."""
    windows = list(policy.windows.all())
    if not windows or any(w.opens_on <= day <= w.closes_on for w in windows):
        return
    dates = "、".join(str(w) for w in windows)
    raise ValidationError(
        {
            "year": _(
                "%(policy)s takes applications only from %(dates)s; today (%(today)s) is "
                "outside its application window."
            )
            % {"policy": policy, "dates": dates, "today": f"{day:%Y-%m-%d}"}
        }
    )


def claim_policy_check(policy: SubsidyPolicy) -> None:
    """Claims are made against published versions only."""
    if not policy.is_published:
        raise ValidationError(
            {"year": _("%(policy)s is a draft; it takes no claims.") % {"policy": policy}}
        )


def _require_policy_staff(acting_user: Any, permission: str) -> None:
    if not _is_staff_with(acting_user, permission):
        raise PermissionDenied(_("Only bureau staff keeping policies may do this."))


@transaction.atomic
def application_window_add(
    *, policy: SubsidyPolicy, opens_on: dt.date, closes_on: dt.date, acting_user: Any
) -> ApplicationWindow:
    """Give a version a window; refused when it closes before it opens or overlaps
    another window of the version. The admin's inline saves the same rows with the same
    checks (the model's `clean` and `validate_constraints`)."""
    _require_policy_staff(acting_user, "subsidies.add_applicationwindow")
    SubsidyPolicy.objects.select_for_update().get(pk=policy.pk)  # one writer of its windows
    window = ApplicationWindow(policy=policy, opens_on=opens_on, closes_on=closes_on)
    save_with_audit(window, acting_user=acting_user, reason="window added")
    return window


def _claimant_key(outcome: eligibility.Outcome) -> str:
    if outcome.enterprise is not None:
        return f"enterprise:{outcome.enterprise.pk}"
    assert outcome.incubator is not None
    return f"incubator:{outcome.incubator.pk}"


def call_dedupe_key(window: ApplicationWindow, claimant_key: str) -> str:
    return f"policy-call:{window.pk}:{claimant_key}"


def _people(outcome: eligibility.Outcome) -> list[Any]:
    users = get_user_model().objects.filter(is_active=True, link_status="approved")
    if outcome.enterprise is not None:
        users = users.filter(organisation_kind="enterprise", enterprise=outcome.enterprise)
    else:
        users = users.filter(organisation_kind="incubator", incubator=outcome.incubator)
    return list(users.order_by("pk"))


@transaction.atomic
def policy_call_notify(
    *,
    policy: SubsidyPolicy,
    acting_user: Any,
    day: dt.date,
    claimant_keys: Iterable[str] | None = None,
) -> int:
    """Tell the claimants that qualify for an open call but have not applied (all of them,
    or those of `claimant_keys`, as `enterprise:<id>` / `incubator:<id>`) that the call is
    open, with the link to the policy's page. Each claimant is told once per window: the
    outbox rows carry a key per window and claimant, and a claimant with one is skipped.

    Side effects: notification rows (outbox), sent after commit. Returns how many
    claimants were told.
    """
    from subsidies.selectors import call_prospects

    _require_policy_staff(acting_user, "subsidies.change_subsidypolicy")
    locked = SubsidyPolicy.objects.select_for_update().get(pk=policy.pk)
    window = locked.window_on(day)
    if window is None or not locked.is_published:
        raise ValidationError(_("This version has no call open today."))
    prospects = call_prospects(policy=locked, day=day)
    wanted = None if claimant_keys is None else set(claimant_keys)
    told_before = set(
        Notification.objects.filter(
            kind=NOTIFY_KIND, dedupe_key__startswith=f"policy-call:{window.pk}:"
        ).values_list("dedupe_key", flat=True)
    )
    path = reverse("subsidies:policy_detail", args=[locked.pk])
    subject = _("Open call: %(policy)s, until %(closes)s") % {
        "policy": locked,
        "closes": f"{window.closes_on:%Y-%m-%d}",
    }
    told = 0
    for outcome in prospects:
        key = _claimant_key(outcome)
        dedupe = call_dedupe_key(window, key)
        if (wanted is not None and key not in wanted) or dedupe in told_before:
            continue
        body = _(
            "The bureau's records show %(claimant)s may qualify for %(policy)s. Applications "
            "are open from %(opens)s to %(closes)s. See what to upload and apply on the "
            "policy's page."
        ) % {
            "claimant": outcome.claimant,
            "policy": locked,
            "opens": f"{window.opens_on:%Y-%m-%d}",
            "closes": f"{window.closes_on:%Y-%m-%d}",
        }
        people = _people(outcome)
        if not people:
            continue
        notification_write(
            recipients=people,
            subject=subject,
            body=body,
            path=path,
            kind=NOTIFY_KIND,
            dedupe_key=dedupe,
        )
        told += 1
    return told


@transaction.atomic
def policy_versions_copy_to_next_year(
    *, policies: Iterable[SubsidyPolicy], acting_user: Any
) -> list[SubsidyPolicy]:
    """Copy versions into drafts of the following year: values and texts, windows shifted
    by a year, checklists copied. Refused, with nothing saved, when a draft of a programme
    and that year already exists.

    Side effects: the drafts, their windows and checklist rows, each with its history row.
    """
    _require_policy_staff(acting_user, "subsidies.add_subsidypolicy")
    sources = list(
        SubsidyPolicy.objects.filter(pk__in=[p.pk for p in policies])
        .select_for_update()
        .prefetch_related("windows", "checklist")
        .order_by("year", "code")
    )
    existing = set(
        SubsidyPolicy.objects.filter(
            status=SubsidyPolicy.Status.DRAFT,
            year__in={p.year + 1 for p in sources},
        ).values_list("code", "year")
    )
    clashes = [p for p in sources if (p.code, p.year + 1) in existing]
    seen: set[tuple[str, int]] = set()
    for p in sources:
        if (p.code, p.year + 1) in seen:
            clashes.append(p)
        seen.add((p.code, p.year + 1))
    if clashes:
        raise ValidationError(
            _("A draft for %(items)s exists already; change that draft instead.")
            % {
                "items": "、".join(f"{p.year + 1} {p.get_code_display()}" for p in clashes),
            }
        )
    drafts = []
    for source in sources:
        draft = SubsidyPolicy(
            code=source.code,
            name=source.name,
            year=source.year + 1,
            kind=source.kind,
            amount=source.amount,
            unit=source.unit,
            rate=source.rate,
            cap=source.cap,
            document_number=source.document_number,
            effective_from=_year_on(source.effective_from),
            effective_until=_year_on(source.effective_until) if source.effective_until else None,
            yearly_budget=source.yearly_budget,
            qualification=source.qualification,
            how_to_apply=source.how_to_apply,
            status=SubsidyPolicy.Status.DRAFT,
        )
        save_with_audit(draft, acting_user=acting_user, reason=f"copied from {source.pk}")
        for window in source.windows.all():
            save_with_audit(
                ApplicationWindow(
                    policy=draft,
                    opens_on=_year_on(window.opens_on),
                    closes_on=_year_on(window.closes_on),
                ),
                acting_user=acting_user,
                reason="copied",
            )
        for item in source.checklist.all():
            save_with_audit(
                ChecklistItem(
                    policy=draft,
                    title=item.title,
                    required=item.required,
                    note=item.note,
                    position=item.position,
                ),
                acting_user=acting_user,
                reason="copied",
            )
        drafts.append(draft)
    return drafts


def _year_on(day: dt.date) -> dt.date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
