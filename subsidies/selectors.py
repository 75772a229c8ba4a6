"""Reads of subsidies that depend on who asks: a claimant sees its own claims, an auditor
its own firm's audits; anything else is 404. Also the policies open to a claimant now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, TypeGuard

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from common.lib.money import format_yuan
from enterprises.models import Enterprise
from subsidies import eligibility, lib
from subsidies.models import (
    CARRIER_PROGRAMMES,
    ChecklistItem,
    ClaimAttachment,
    Notice,
    Objection,
    PolicyKind,
    Programme,
    RDAudit,
    SignOff,
    SubsidyClaim,
    SubsidyPolicy,
)
from subsidies.workflows.claims import CLAIM

if TYPE_CHECKING:
    from common.types import AnyUser, User


def _approved(user: AnyUser, kind: str) -> TypeGuard[User]:
    return user.is_authenticated and user.organisation_kind == kind and user.link_approved


def claimant_q(user: AnyUser) -> Q | None:
    """Which claims a user's organisation owns; None when it owns none."""
    if _approved(user, "enterprise") and user.enterprise_id:
        return Q(enterprise_id=user.enterprise_id)
    if _approved(user, "incubator") and user.incubator_id:
        return Q(incubator_id=user.incubator_id)
    return None


def claims_for_user(*, user: AnyUser) -> QuerySet[SubsidyClaim]:
    """The claims of the user's enterprise or carrier, newest first (2 queries to list)."""
    condition = claimant_q(user)
    if condition is None:
        raise Http404
    return (
        SubsidyClaim.objects.filter(condition)
        .select_related("policy", "enterprise", "incubator")
        .prefetch_related("sign_offs")
        .order_by("-year", "-created_at")
    )


def claim_get_for_user(*, user: AnyUser, pk: int) -> SubsidyClaim:
    """One claim with its timeline, signatures, attachments and audit: staff any, a claimant
    only its own; otherwise 404."""
    queryset = SubsidyClaim.objects.select_related(
        "policy", "enterprise", "incubator", "certificate", "payment_batch", "audit__firm"
    ).prefetch_related(
        Prefetch("sign_offs", queryset=SignOff.objects.select_related("signed_by")),
        "attachments",
        "objections",
    )
    if not (user.is_staff and user.is_active):
        condition = claimant_q(user)
        if condition is None:
            raise Http404
        queryset = queryset.filter(condition)
    claim = queryset.filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


@dataclass
class SignatureLine:
    stage: SignOff.Stage
    sign_off: SignOff | None


def signature_lines(claim: SubsidyClaim) -> list[SignatureLine]:
    """Each stage of the chain with its signature, or None while it is still to sign."""
    signed = {s.stage: s for s in claim.sign_offs.all()}
    return [SignatureLine(stage=stage, sign_off=signed.get(stage)) for stage in SignOff.Stage]


def claim_waiting_for(claim: SubsidyClaim) -> str:
    """Who the claim waits for now, by role (the claimant by its name); "" when nobody."""
    owners = {"enterprise", "carrier"}
    names: list[str] = []
    for actor in CLAIM.next.get(claim.status, ()):
        name = str(claim.claimant) if actor.key in owners else str(actor.label)
        if name not in names:
            names.append(name)
    return "、".join(names)


def _is_auditor(user: AnyUser) -> TypeGuard[User]:
    return _approved(user, "audit_firm") and user.audit_firm_id is not None


def audits_for_user(*, user: AnyUser) -> QuerySet[RDAudit]:
    """The audits assigned to the auditor's firm, open ones first (1 query to list)."""
    if not _is_auditor(user):
        raise Http404
    return (
        RDAudit.objects.filter(firm_id=user.audit_firm_id)
        .select_related("claim__enterprise", "claim__policy", "firm")
        .order_by("completed_at", "-assigned_at")
    )


def audit_get_for_user(*, user: AnyUser, pk: int) -> RDAudit:
    """One audit of the auditor's own firm; another firm's is 404."""
    audit = audits_for_user(user=user).filter(pk=pk).first()
    if audit is None:
        raise Http404
    return audit


def audit_document_get(*, audit: RDAudit, pk: int) -> ClaimAttachment:
    """A document of the audited claim; any other is 404 (the audit already checked)."""
    attachment = ClaimAttachment.objects.filter(claim_id=audit.claim_id, pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def active_policies(*, day: dt.date) -> QuerySet[SubsidyPolicy]:
    return SubsidyPolicy.objects.published().active_on(day).order_by("-year", "code")


def policies_of_year(*, year: int) -> QuerySet[SubsidyPolicy]:
    """The year's published versions in programme order, with their windows (2 queries)."""
    return (
        SubsidyPolicy.objects.published()
        .filter(year=year)
        .prefetch_related("windows")
        .order_by("code")
    )


def policy_get_public(*, pk: int, user: AnyUser) -> SubsidyPolicy:
    """A published version with its windows and checklist; a draft only for staff who may
    see policies; otherwise 404."""
    queryset = SubsidyPolicy.objects.prefetch_related("windows", "checklist")
    if not (user.is_staff and user.is_active and user.has_perm("subsidies.view_subsidypolicy")):
        queryset = queryset.published()
    policy = queryset.filter(pk=pk).first()
    if policy is None:
        raise Http404
    return policy


@dataclass
class CallState:
    """Where a version's calls stand on a day: open (with working days left), the next
    window, or closed."""

    window: Any
    working_days_left: int | None
    next_window: Any
    always_open: bool

    @property
    def is_open(self) -> bool:
        return self.always_open or self.window is not None


def call_state(*, policy: SubsidyPolicy, day: dt.date) -> CallState:
    from common.calendar import working_days_between

    window = policy.window_on(day)
    left = None
    if window is not None:
        # Today counts while it is a working day: "N working days left, today included".
        left = working_days_between(day - dt.timedelta(days=1), window.closes_on)
    return CallState(
        window=window,
        working_days_left=left,
        next_window=None if window else policy.next_window(day),
        always_open=policy.is_published and not policy.windows.all(),
    )


def open_calls(*, day: dt.date) -> list[tuple[SubsidyPolicy, CallState]]:
    """The versions of the policy list (this year's published ones) that accept claims on
    `day`, each with its call state: those with a window open first, the one closing
    soonest on top, then those open while in effect. Two queries, whatever the windows."""
    rows = [(p, call_state(policy=p, day=day)) for p in policies_of_year(year=day.year)]
    closes = {p.pk: state.window.closes_on if state.window else dt.date.max for p, state in rows}
    return sorted(
        ((p, state) for p, state in rows if state.is_open), key=lambda row: closes[row[0].pk]
    )


def claims_started_for(policy: SubsidyPolicy) -> set[str]:
    """Claimant keys (`enterprise:<id>`, `incubator:<id>`) with a claim that is not
    rejected under the version's programme and year."""
    rows = (
        SubsidyClaim.objects.filter(programme=policy.code, year=policy.year)
        .exclude(status=SubsidyClaim.Status.REJECTED)
        .values_list("enterprise_id", "incubator_id")
    )
    return {f"enterprise:{e}" if e is not None else f"incubator:{i}" for e, i in rows}


def _key(outcome: eligibility.Outcome) -> str:
    if outcome.enterprise is not None:
        return f"enterprise:{outcome.enterprise.pk}"
    assert outcome.incubator is not None
    return f"incubator:{outcome.incubator.pk}"


def basis_audits(policy: SubsidyPolicy) -> tuple[int | None, list[RDAudit]]:
    """The completed audits an R&D version's amounts are computed on: those of the claims
    of its own year, or, before any exists, of the latest year that has some (an estimate
    from last year's audited expenditure). Returns (that year, the audits)."""
    completed = RDAudit.objects.filter(
        completed_at__isnull=False, claim__programme=Programme.RD_INVESTMENT
    )
    years = completed.filter(claim__year__lte=policy.year).order_by("-claim__year")
    year = years.values_list("claim__year", flat=True).first()
    if year is None:
        return None, []
    audits = list(
        completed.filter(claim__year=year)
        .select_related("claim__enterprise")
        .order_by("claim__enterprise__name", "pk")
    )
    return year, audits


@dataclass
class WhatIf:
    """Who would qualify under a version and what it would need, from the registry."""

    outcomes: list[eligibility.Outcome]
    total: Decimal
    basis_year: int | None


def policy_what_if(*, policy: SubsidyPolicy) -> WhatIf:
    """Every claimant that qualifies under `policy` by the same rules claims are computed
    by (`subsidies.eligibility`), and the budget their amounts add up to. Reads only; a
    fixed number of queries except for carrier rewards (one per carrier)."""
    basis_year: int | None = None
    audits: list[RDAudit] = []
    if policy.code == Programme.RD_INVESTMENT:
        basis_year, audits = basis_audits(policy)
    outcomes = [o for o in eligibility.candidates(policy, audits=audits) if o.qualifies]
    total = sum(
        (o.eligibility.amount or Decimal("0.00") for o in outcomes if o.eligibility),
        Decimal("0.00"),
    )
    return WhatIf(outcomes=outcomes, total=total, basis_year=basis_year)


def call_prospects(*, policy: SubsidyPolicy, day: dt.date) -> list[eligibility.Outcome]:
    """Claimants that qualify under an open call's version by the registry and have no
    claim of its programme and year yet."""
    applied = claims_started_for(policy)
    return [o for o in policy_what_if(policy=policy).outcomes if _key(o) not in applied]


def call_notified_keys(*, window: Any) -> set[str]:
    """Claimant keys already told of `window` (one query)."""
    from common.models import Notification

    prefix = f"policy-call:{window.pk}:"
    return {
        key.removeprefix(prefix)
        for key in Notification.objects.filter(dedupe_key__startswith=prefix).values_list(
            "dedupe_key", flat=True
        )
    }


@dataclass
class Opportunity:
    policy: SubsidyPolicy
    amount: Decimal | None
    reason: str
    claimed: bool


def opportunities_for(*, enterprise: Enterprise, day: dt.date) -> list[Opportunity]:
    """The active enterprise programmes and what the registry says this firm may claim now
    (the rent subsidy computed for the year's months up to `day`'s month)."""
    claimed = set(
        SubsidyClaim.objects.filter(enterprise=enterprise)
        .exclude(status=SubsidyClaim.Status.REJECTED)
        .values_list("programme", "year")
    )
    result = []
    for policy in active_policies(day=day).exclude(code__in=CARRIER_PROGRAMMES):  # published
        months = range(1, (day.month if policy.year == day.year else 12) + 1)
        try:
            computed = eligibility.compute(policy=policy, enterprise=enterprise, months=months)
        except ValidationError as exc:
            amount, reason = None, " ".join(exc.messages)
        else:
            amount, reason = computed.amount, ""
        result.append(
            Opportunity(
                policy=policy,
                amount=amount,
                reason=reason,
                claimed=(policy.code, policy.year) in claimed,
            )
        )
    return result


class PolicyFigures(TypedDict):
    claims: int
    approved: int
    approved_amount: Decimal
    paid_amount: Decimal


def subsidies_summary_on(*, day: dt.date) -> dict[str, Any]:
    """The DESIGN §5 `subsidies` figures as of `day`, amounts as Decimal yuan (one query).

    With Y the calendar year of `day` (1 January to `day`): claims submitted in Y, claims
    approved in Y and their approved amounts, approved amounts paid in Y; the same per
    programme code, every code present.
    """
    from django.db.models import Count, Sum

    start = dt.date(day.year, 1, 1)
    submitted = Q(submitted_on__gte=start, submitted_on__lte=day)
    approved = Q(approved_on__gte=start, approved_on__lte=day) & Q(
        status__in=SubsidyClaim.COMMITTED_STATUSES
    )
    paid = Q(paid_on__gte=start, paid_on__lte=day, status=SubsidyClaim.Status.PAID)
    rows = (
        SubsidyClaim.objects.filter(submitted | approved | paid)
        .order_by()
        .values("programme")
        .annotate(
            claims=Count("pk", filter=submitted),
            approved=Count("pk", filter=approved),
            approved_total=Sum("approved_amount", filter=approved),
            paid_total=Sum("approved_amount", filter=paid),
        )
    )
    zero = Decimal("0.00")
    by_policy: dict[str, PolicyFigures] = {
        code: {"claims": 0, "approved": 0, "approved_amount": zero, "paid_amount": zero}
        for code in Programme.values
    }
    for row in rows:
        by_policy[row["programme"]] = {
            "claims": row["claims"],
            "approved": row["approved"],
            "approved_amount": row["approved_total"] or zero,
            "paid_amount": row["paid_total"] or zero,
        }
    figures = by_policy.values()
    return {
        "claims_ytd": sum(f["claims"] for f in figures),
        "approved_ytd": sum(f["approved"] for f in figures),
        "approved_amount_ytd": sum((f["approved_amount"] for f in figures), zero),
        "paid_amount_ytd": sum((f["paid_amount"] for f in figures), zero),
        "by_policy": by_policy,
    }


# What each fact of a claim's computation (subsidies.eligibility) means, for its page.
_FACT_LABELS = {
    "certificate": _("Certificate number"),
    "issued_on": _("Issue date"),
    "firms": _("Firms cultivated"),
    "area_by_month": _("Area counted per month (m²)"),
    "area_months": _("Area-months counted (m² × months)"),
    "audited_eligible": _("Audited eligible R&D expenditure (yuan)"),
    "basis": _("Audit basis"),
    "other_allowed": _("Other related costs allowed (yuan)"),
}


_YUAN_FACTS = ("audited_eligible", "other_allowed")

# The policy values a claim was computed with (SubsidyPolicy.snapshot), in reading order;
# the policy's own id is left out (the claim's policy field links it).
_POLICY_LABELS = {
    "code": _("Programme"),
    "document_number": _("Policy document number"),
    "year": _("Year"),
    "kind": _("Kind"),
    "amount": _("Amount (yuan)"),
    "rate": _("Rate"),
    "cap": _("Cap per claim (yuan)"),
    "history_id": _("Version"),
}


def computation_display(computation: Any) -> list[tuple[str, str]]:
    """A claim's computation (what its eligible amount came from) as (label, value) lines in
    the user's language: the policy values, programme and kind by their labels, money in
    yuan, a rate as a percentage, then the registry facts; values the version does not have
    are left out."""
    if not isinstance(computation, dict):
        return []
    return _policy_lines(computation.get("policy") or {}) + _fact_lines(
        computation.get("facts") or {}
    )


def _policy_lines(values: dict[str, Any]) -> list[tuple[str, str]]:
    choices = {"code": dict(Programme.choices), "kind": dict(PolicyKind.choices)}
    lines = []
    for key, label in _POLICY_LABELS.items():
        value = values.get(key)
        if value is None or value == "":
            continue
        if key in choices:
            value = choices[key].get(value, value)
        elif key in ("amount", "cap"):
            value = format_yuan(Decimal(value))
        elif key == "rate":
            value = lib.percent(Decimal(value))
        lines.append((str(label), str(value)))
    return lines


def claim_facts_display(claim: SubsidyClaim) -> list[tuple[str, str]]:
    """The registry facts behind a claim's eligible amount as (label, value) lines in the
    user's language; keys of older computations without a label are shown as they are."""
    return _fact_lines(claim.computation.get("facts", {}))


def _fact_lines(facts: dict[str, Any]) -> list[tuple[str, str]]:
    lines = []
    for key, value in facts.items():
        if key == "basis":
            value = RDAudit.Basis(value).label if value in RDAudit.Basis.values else value
        elif key == "firms":
            value = "、".join(value)
        elif key == "area_by_month":
            value = "; ".join(f"{month}: {area}" for month, area in value.items())
        elif key in _YUAN_FACTS:
            value = format_yuan(Decimal(value))
        lines.append((str(_FACT_LABELS.get(key, key)), str(value)))
    return lines


# ------------------------------------------------------------------------ public notices


def notices_for_board(*, day: dt.date) -> QuerySet[Notice]:
    """The notices the public may read on `day` (started ones): open ones first, each group
    newest first, with the count of their claims (one query per page)."""
    from django.db.models import Case, Count, IntegerField, Value, When

    started: QuerySet[Notice] = Notice.objects.started_by(day)
    return started.annotate(
        closed=Case(
            When(ends_on__gte=day, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        claim_count=Count("claims"),
    ).order_by("closed", "-starts_on", "-pk")


@dataclass
class OpenNotice:
    """A notice open for objections, with the working days left, today included."""

    notice: Notice
    working_days_left: int


def notices_open(*, day: dt.date, limit: int) -> list[OpenNotice]:
    """At most `limit` notices open for objections on `day`, the one ending soonest first
    (one query)."""
    from common.calendar import working_days_between

    notices = Notice.objects.open_on(day).order_by("ends_on", "-starts_on", "-pk")[:limit]
    yesterday = day - dt.timedelta(days=1)
    return [OpenNotice(n, working_days_between(yesterday, n.ends_on)) for n in notices]


def notice_get_public(*, pk: int, day: dt.date) -> Notice:
    """One notice the public may read (it has started), or 404."""
    notice = Notice.objects.started_by(day).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def notice_claims(*, notice: Notice, with_outcome: bool) -> list[SubsidyClaim]:
    """The claims of a notice with claimant and policy (one query), and with `with_outcome`
    their objections and answers (one more): the public lines only, never who objected."""
    queryset = (
        notice.claims.select_related("enterprise", "incubator", "policy")
        .only(
            "pk",
            "programme",
            "year",
            "eligible_amount",
            "status",
            "notice_id",
            "enterprise__name",
            "incubator__name",
            "policy__name",
            "policy__year",
        )
        .order_by("pk")
    )
    if with_outcome:
        queryset = queryset.prefetch_related(
            Prefetch(
                "objections",
                queryset=Objection.objects.only(
                    "pk", "claim_id", "received_on", "content", "answer", "answered_on"
                ).order_by("received_on", "pk"),
                to_attr="public_objections",
            )
        )
    return list(queryset)


def claim_missing_materials(claim: SubsidyClaim) -> list[str]:
    """Titles of the version's required materials the claim has no document of yet (one
    query; the claim's documents come prefetched)."""
    if claim.policy_id is None:
        return []
    titles = {a.title for a in claim.attachments.all()}
    return [
        item.title
        for item in ChecklistItem.objects.filter(policy_id=claim.policy_id, required=True)
        if item.title not in titles
    ]
