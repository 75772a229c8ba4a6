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
from django.db.models import Exists, OuterRef
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


def recognition_reward(*, policy: SubsidyPolicy, enterprise: Enterprise) -> Eligibility:
    kind = (
        HighTechCertificate.Kind.NEW
        if policy.code == Programme.HTE_NEW
        else HighTechCertificate.Kind.RENEWAL
    )
    certificate = (
        HighTechCertificate.objects.filter(
            enterprise=enterprise, kind=kind, issued_on__year=policy.year, revoked_on__isnull=True
        )
        .order_by("issued_on")
        .first()
    )
    if certificate is None:
        raise ValidationError(
            _("%(enterprise)s holds no %(kind)s certificate issued in %(year)s.")
            % {"enterprise": enterprise.name, "kind": kind.label, "year": policy.year}
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


def rent_subsidy(*, policy: SubsidyPolicy, enterprise: Enterprise, months: range) -> Eligibility:
    if not months:
        raise ValidationError({"rent_month_from": _("Give the months the rent subsidy is for.")})
    ends = [month_end(policy.year, month) for month in months]
    tenancies = list(
        Tenancy.objects.filter(enterprise=enterprise, moved_in_on__lte=ends[-1])
        .exclude(moved_out_on__lte=ends[0])
        .values("moved_in_on", "moved_out_on", "area")
    )
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
