"""Eligible amounts computed from the registry, one rule per programme (DESIGN §2).

Each rule reads the registry and returns the amount and the facts it rests on (JSON-safe,
stored on the claim with the policy values), or raises ValidationError saying why nothing
is due. No writes here.

- Recognition rewards: a certificate of that kind (new / renewal) issued in the year and
  not revoked: the policy's fixed amount.
- Carrier rewards: per distinct tenant resident in the carrier on the day it was first
  recognised as high-tech (certificate issued in the year) or listed (listing in the year).
- Rent: for each claimed month, the area the firm rents from carriers on the month's last
  day, if it is a registered tech firm that day, × the amount per m² and month.
- R&D: the policy rate × the audited eligible expenditure on the policy's basis, capped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from enterprises.models import Enterprise, HighTechCertificate, TechFirmRegistration
from incubators.models import Incubator, Tenancy
from subsidies import lib
from subsidies.models import EnterpriseListing, PolicyKind, Programme, RDAudit, SubsidyPolicy


@dataclass
class Eligibility:
    amount: Decimal | None
    facts: dict[str, Any] = field(default_factory=dict)
    certificate: HighTechCertificate | None = None


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _per_unit(policy: SubsidyPolicy, units: Decimal | int) -> Decimal:
    assert policy.amount is not None
    return lib.cents(policy.amount * Decimal(units))


def _recognition_kind(policy: SubsidyPolicy) -> str:
    return (
        HighTechCertificate.Kind.NEW
        if policy.code == Programme.HTE_NEW
        else HighTechCertificate.Kind.RENEWAL
    )


def _recognition_certificates(policy: SubsidyPolicy) -> QuerySet[HighTechCertificate]:
    """The certificates a recognition reward of `policy` rests on, first issued first."""
    return HighTechCertificate.objects.filter(
        kind=_recognition_kind(policy), issued_on__year=policy.year, revoked_on__isnull=True
    ).order_by("issued_on", "pk")


def recognition_reward(
    *,
    policy: SubsidyPolicy,
    enterprise: Enterprise,
    certificates: list[HighTechCertificate] | None = None,
) -> Eligibility:
    """`certificates`: the firm's rows of `_recognition_certificates`, when already read."""
    if certificates is None:
        certificates = list(_recognition_certificates(policy).filter(enterprise=enterprise)[:1])
    certificate = certificates[0] if certificates else None
    if certificate is None:
        raise ValidationError(
            _("%(enterprise)s holds no %(kind)s certificate issued in %(year)s.")
            % {
                "enterprise": enterprise.name,
                "kind": HighTechCertificate.Kind(_recognition_kind(policy)).label,
                "year": policy.year,
            }
        )
    assert policy.amount is not None
    return Eligibility(
        amount=policy.amount,
        facts={"certificate": certificate.number, "issued_on": certificate.issued_on.isoformat()},
        certificate=certificate,
    )


def _resident_then(incubator: Incubator, day_field: str) -> Exists:
    """A tenancy of `incubator` for the outer row's enterprise, resident on its `day_field`."""
    day = OuterRef(day_field)
    return Exists(
        Tenancy.objects.filter(
            incubator=incubator,
            enterprise=OuterRef("enterprise"),
            moved_in_on__lte=day,
        ).exclude(moved_out_on__lte=day)
    )


def carrier_high_tech_reward(*, policy: SubsidyPolicy, incubator: Incubator) -> Eligibility:
    firms = sorted(
        set(
            HighTechCertificate.objects.filter(
                kind=HighTechCertificate.Kind.NEW,
                issued_on__year=policy.year,
                revoked_on__isnull=True,
            )
            .filter(_resident_then(incubator, "issued_on"))
            .values_list("enterprise__name", flat=True)
        )
    )
    if not firms:
        raise ValidationError(
            _("No tenant of %(carrier)s was first recognised as high-tech in %(year)s.")
            % {"carrier": incubator.name, "year": policy.year}
        )
    return Eligibility(amount=_per_unit(policy, len(firms)), facts={"firms": firms})


def carrier_listing_reward(*, policy: SubsidyPolicy, incubator: Incubator) -> Eligibility:
    firms = sorted(
        set(
            EnterpriseListing.objects.filter(listed_on__year=policy.year)
            .filter(_resident_then(incubator, "listed_on"))
            .values_list("enterprise__name", flat=True)
        )
    )
    if not firms:
        raise ValidationError(
            _("No tenant of %(carrier)s was listed in %(year)s.")
            % {"carrier": incubator.name, "year": policy.year}
        )
    return Eligibility(amount=_per_unit(policy, len(firms)), facts={"firms": firms})


def rent_subsidy(
    *,
    policy: SubsidyPolicy,
    enterprise: Enterprise,
    months: range,
    tenancies: list[dict[str, Any]] | None = None,
    registrations: list[dict[str, Any]] | None = None,
) -> Eligibility:
    """`tenancies` and `registrations`: the firm's rows (as below), when already read."""
    if not months:
        raise ValidationError({"rent_month_from": _("Give the months the rent subsidy is for.")})
    ends = [month_end(policy.year, month) for month in months]
    if tenancies is None:
        tenancies = list(
            Tenancy.objects.filter(enterprise=enterprise, moved_in_on__lte=ends[-1])
            .exclude(moved_out_on__lte=ends[0])
            .values("moved_in_on", "moved_out_on", "area")
        )
    if registrations is None:
        registrations = list(
            TechFirmRegistration.objects.filter(enterprise=enterprise).values(
                "registered_on", "removed_on"
            )
        )
    per_month: dict[str, str] = {}
    total_area = lib.ZERO
    for day in ends:
        registered = any(
            r["registered_on"] <= day and (r["removed_on"] is None or r["removed_on"] > day)
            for r in registrations
        )
        area = sum(
            (
                t["area"]
                for t in tenancies
                if t["moved_in_on"] <= day
                and (t["moved_out_on"] is None or t["moved_out_on"] > day)
            ),
            lib.ZERO,
        )
        counted = area if registered else lib.ZERO
        per_month[f"{day:%Y-%m}"] = str(counted)
        total_area += counted
    if total_area == 0:
        raise ValidationError(
            {
                "rent_month_from": _(
                    "In none of these months did %(enterprise)s rent from a carrier as a "
                    "registered tech firm."
                )
                % {"enterprise": enterprise.name}
            }
        )
    return Eligibility(
        amount=_per_unit(policy, total_area),
        facts={"area_by_month": per_month, "area_months": str(total_area)},
    )


def rd_subsidy(*, policy: SubsidyPolicy, audit: RDAudit | None) -> Eligibility:
    """Known once the audit is complete; None until then. Paid on the basis the policy
    version names (`SubsidyPolicy.rd_basis`), whichever the audit was marked with."""
    if audit is None or not audit.is_completed:
        return Eligibility(amount=None, facts={})
    assert policy.kind == PolicyKind.RATE_WITH_CAP and policy.rate is not None
    other_allowed, eligible_total = audit.on_basis(policy.rd_basis)
    return Eligibility(
        amount=lib.rate_with_cap(base=eligible_total, rate=policy.rate, cap=policy.cap),
        facts={
            "audited_eligible": str(eligible_total),
            "basis": policy.rd_basis,
            "other_allowed": str(other_allowed),
        },
    )


def compute(
    *,
    policy: SubsidyPolicy,
    enterprise: Enterprise | None = None,
    incubator: Incubator | None = None,
    months: range = range(0),
    audit: RDAudit | None = None,
) -> Eligibility:
    """The eligible amount of a claim under `policy` for its claimant, from the registry."""
    code = policy.code
    if code in (Programme.HTE_NEW, Programme.HTE_RENEWAL):
        assert enterprise is not None
        return recognition_reward(policy=policy, enterprise=enterprise)
    if code == Programme.CARRIER_HTE:
        assert incubator is not None
        return carrier_high_tech_reward(policy=policy, incubator=incubator)
    if code == Programme.CARRIER_LISTING:
        assert incubator is not None
        return carrier_listing_reward(policy=policy, incubator=incubator)
    if code == Programme.RENT:
        assert enterprise is not None
        return rent_subsidy(policy=policy, enterprise=enterprise, months=months)
    return rd_subsidy(policy=policy, audit=audit)


# ------------------------------------------------------------------- many claimants at once

# The months a whole year's rent subsidy is computed for (what-if and calls).
WHOLE_YEAR = range(1, 13)


@dataclass
class Outcome:
    """What `compute` says for one claimant: the eligibility, or why nothing is due."""

    enterprise: Enterprise | None
    incubator: Incubator | None
    eligibility: Eligibility | None
    reason: str = ""

    @property
    def claimant(self) -> Enterprise | Incubator:
        claimant = self.enterprise or self.incubator
        assert claimant is not None
        return claimant

    @property
    def qualifies(self) -> bool:
        return self.eligibility is not None


def _outcome(
    compute_one: Any, *, enterprise: Enterprise | None = None, incubator: Incubator | None = None
) -> Outcome:
    try:
        result = compute_one()
    except ValidationError as exc:
        return Outcome(enterprise, incubator, None, " ".join(exc.messages))
    return Outcome(enterprise, incubator, result)


def candidates(policy: SubsidyPolicy, *, audits: list[RDAudit] | None = None) -> list[Outcome]:
    """Every claimant the registry could qualify under `policy`, with what the rules above
    compute for each (their amounts, or why nothing is due), in a fixed number of queries.

    The rows each rule reads are read once for all claimants and handed to the same rule,
    so a firm's outcome here is what `compute` says for it alone. The rent subsidy is
    computed for the whole year; the R&D subsidy on `audits` (completed audits whose
    expenditure the rate is applied to), since nothing is due before an audit.
    """
    code = policy.code
    if code in (Programme.HTE_NEW, Programme.HTE_RENEWAL):
        by_firm: dict[int, list[HighTechCertificate]] = {}
        for certificate in _recognition_certificates(policy).select_related("enterprise"):
            by_firm.setdefault(certificate.enterprise_id, []).append(certificate)
        return [
            _outcome(
                lambda rows=rows: recognition_reward(
                    policy=policy, enterprise=rows[0].enterprise, certificates=rows
                ),
                enterprise=rows[0].enterprise,
            )
            for rows in by_firm.values()
        ]
    if code == Programme.RENT:
        start, end = dt.date(policy.year, 1, 1), dt.date(policy.year, 12, 31)
        tenancies: dict[int, list[dict[str, Any]]] = {}
        for row in (
            Tenancy.objects.filter(moved_in_on__lte=end)
            .exclude(moved_out_on__lte=start)
            .values("enterprise_id", "moved_in_on", "moved_out_on", "area")
        ):
            tenancies.setdefault(row["enterprise_id"], []).append(row)
        registrations: dict[int, list[dict[str, Any]]] = {}
        for row in TechFirmRegistration.objects.filter(enterprise_id__in=tenancies).values(
            "enterprise_id", "registered_on", "removed_on"
        ):
            registrations.setdefault(row["enterprise_id"], []).append(row)
        firms = Enterprise.objects.filter(pk__in=registrations).order_by("name", "pk")
        return [
            _outcome(
                lambda firm=firm: rent_subsidy(
                    policy=policy,
                    enterprise=firm,
                    months=WHOLE_YEAR,
                    tenancies=tenancies[firm.pk],
                    registrations=registrations[firm.pk],
                ),
                enterprise=firm,
            )
            for firm in firms
        ]
    if code == Programme.RD_INVESTMENT:
        return [
            _outcome(
                lambda audit=audit: rd_subsidy(policy=policy, audit=audit),
                enterprise=audit.claim.enterprise,
            )
            for audit in audits or []
            if audit.is_completed and audit.claim.enterprise is not None
        ]
    # Carrier rewards: one rule per carrier; carriers are few (tens), so each asks its own.
    rule = carrier_high_tech_reward if code == Programme.CARRIER_HTE else carrier_listing_reward
    return [
        _outcome(lambda carrier=carrier: rule(policy=policy, incubator=carrier), incubator=carrier)
        for carrier in Incubator.objects.order_by("name", "pk")
    ]
