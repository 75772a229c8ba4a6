"""Demo subsidies for `manage.py seed_demo`: two audit firms (the `auditor` login works for
the first), and claims of every programme spread over the workflow's stages, computed from
the demo registry and carriers of last year.

Idempotent: nothing is done once the first audit firm exists. Every step goes through the
subsidies services, by the demo's own people: the firm's contact (an account without a
login) submits, `staff` handles and signs as case handler, `sectionhead` (科长) and `deputy`
(副局长) sign after it, `finance` pays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from common.calendar import notice_latest_start
from enterprises.models import Enterprise, HighTechCertificate
from incubators.models import Incubator, Tenancy
from portal.accounts.models import User
from subsidies import services
from subsidies.models import (
    ApplicationWindow,
    AuditFirm,
    ChecklistItem,
    EnterpriseListing,
    HighTechApplication,
    Programme,
    SignOff,
    SubsidyClaim,
    SubsidyPolicy,
)

AUDITOR_USERNAME = "auditor"
AUDIT_FIRMS = ("重庆渝信会计师事务所（普通合伙）", "重庆天衡税务师事务所有限公司")
CHANGE_REASON = "demo data"
S = SubsidyClaim.Status
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Per programme, the stages its demo claims are left at (one claim each, different claimants).
# A freshly submitted claim (the whole chain can be walked from it) and one whose public
# notice has ended (it waits for staff to approve, then finance to batch and pay) are here
# whatever day `seed_demo` runs: the notices are dated from that day.
STAGES: dict[str, tuple[str, ...]] = {
    Programme.RD_INVESTMENT: (S.AUDIT_ASSIGNED, S.AUDITED, S.PAID, S.REJECTED),
    Programme.HTE_NEW: (S.SUBMITTED, S.IN_NOTICE, S.NOTICE_ENDED, S.APPROVED, S.PAID),
    Programme.HTE_RENEWAL: (S.UNDER_REVIEW, S.SIGNED_OFF, S.IN_BATCH),
    Programme.CARRIER_HTE: (S.SUBMITTED, S.APPROVED),
    Programme.CARRIER_LISTING: (S.IN_NOTICE,),
    Programme.RENT: (
        S.DRAFT,
        S.RETURNED,
        S.UNDER_REVIEW,
        S.SECTION_HEAD_SIGNED,
        S.NOTICE_ENDED,
        S.APPROVED,
        S.PAID,
    ),
}
# The signatures in order, with who gives each in the demo.
SIGNERS = (
    (S.HANDLER_SIGNED, SignOff.Stage.HANDLER, "staff"),
    (S.SECTION_HEAD_SIGNED, SignOff.Stage.SECTION_HEAD, "head"),
    (S.SIGNED_OFF, SignOff.Stage.DEPUTY_DIRECTOR, "deputy"),
)


class Cast:
    """The demo people who act on claims."""

    def __init__(self, admin: User) -> None:
        self.admin = admin
        self.staff = User.objects.get(username="staff")
        self.finance = User.objects.get(username="finance")
        self.auditor = User.objects.get(username=AUDITOR_USERNAME)
        self.head = User.objects.get(username="sectionhead")
        self.deputy = User.objects.get(username="deputy")
        self.firm = AuditFirm.objects.get(name=AUDIT_FIRMS[0])
        self.contacts: dict[tuple[str, int], User] = {}

    def contact(self, claim: SubsidyClaim) -> User:
        """An approved account of the claimant (the demo login where there is one)."""
        owner = claim.incubator or claim.enterprise
        assert owner is not None
        key = (type(owner).__name__, owner.pk)
        if key not in self.contacts:
            users = owner.operators if claim.incubator_id else owner.users  # type: ignore[union-attr]
            user = users.filter(link_status="approved").order_by("pk").first()
            self.contacts[key] = user or _contact_for(owner, self.admin)
        return self.contacts[key]


def _save(user: User, admin: User) -> None:
    user._history_user = admin  # type: ignore[attr-defined]
    user._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
    user.save()


def _contact_for(owner: Enterprise | Incubator, admin: User) -> User:
    """An account without a login that stands for a firm or carrier in the demo."""
    carrier = isinstance(owner, Incubator)
    username = f"demo-{'carrier' if carrier else 'firm'}-{owner.pk}"
    # An address, so the claim's emails to the claimant are sent (to the console) rather
    # than failing for want of one: the firm's contact address, or a demo one.
    email = getattr(owner, "contact_email", "") or f"{username}@demo.kjj.example.cn"
    user = User(
        username=username,
        email=email,
        organisation_kind="incubator" if carrier else "enterprise",
        link_status=User.LinkStatus.APPROVED,
        link_decided_by=admin,
    )
    if carrier:
        user.incubator = owner  # type: ignore[assignment]
    else:
        user.enterprise = owner  # type: ignore[assignment]
    user.set_unusable_password()
    _save(user, admin)
    return user


def _link_auditor(admin: User, firm: AuditFirm) -> None:
    user = User.objects.filter(username=AUDITOR_USERNAME, organisation_kind="").first()
    if user is None:
        return
    user.organisation_kind = User.OrganisationKind.AUDIT_FIRM
    user.audit_firm = firm
    user.link_status = User.LinkStatus.APPROVED
    user.link_decided_by = admin
    _save(user, admin)


def _policies_for(year: int, admin: User) -> None:
    """The year's policy versions, copied from the latest year when the seed has none."""
    for code in Programme.values:
        if SubsidyPolicy.objects.filter(code=code, year=year).exists():
            continue
        latest = SubsidyPolicy.objects.filter(code=code).order_by("-year").first()
        if latest is None:
            continue
        latest.pk = None
        latest.year = year
        latest.effective_from = dt.date(year, 1, 1)
        latest.effective_until = dt.date(year + 1, 12, 31)
        latest.document_number = f"江北科发〔{year}〕1号"
        latest._history_user = admin  # type: ignore[attr-defined]
        latest.save()


def _document(name: str) -> ContentFile:
    return ContentFile(PDF, name=name)


def _audit(cast: Cast, claim: SubsidyClaim, *, complete: bool, scale: int) -> None:
    audit = services.rd_audit_assign(claim=claim, firm=cast.firm, acting_user=cast.staff)
    if not complete:
        return
    services.rd_audit_record(
        audit=audit,
        acting_user=cast.auditor,
        personnel=Decimal(scale) * Decimal("2100000"),
        direct_inputs=Decimal(scale) * Decimal("850000"),
        depreciation=Decimal(scale) * Decimal("320000"),
        amortisation=Decimal("60000"),
        design_fees=Decimal("150000"),
        other=Decimal(scale) * Decimal("480000"),
        findings="其他相关费用超过前五项之和 10/90 的部分不予计入。",
        report=_document("audit-report.pdf"),
    )
    services.rd_audit_complete(audit=audit, acting_user=cast.auditor)


def _advance(cast: Cast, claim: SubsidyClaim, target: str, today: dt.date, n: int) -> None:
    """Walk a drafted claim along the workflow until it is at `target`."""
    contact = cast.contact(claim)
    if claim.programme in services.NEEDS_DOCUMENTS:
        title = "研发费用辅助账" if claim.is_rd else "房屋租赁合同"
        services.subsidy_claim_attach(
            claim=claim, title=title, file=_document("document.pdf"), acting_user=contact
        )
    if target == S.DRAFT:
        return
    services.subsidy_claim_submit(claim=claim, acting_user=contact)
    if target == S.SUBMITTED:
        return
    if target == S.RETURNED:
        services.subsidy_claim_return(
            claim=claim, reason="请补充租赁发票和缴费凭证。", acting_user=cast.staff
        )
        return
    services.subsidy_claim_take_up(claim=claim, acting_user=cast.staff)
    if target == S.UNDER_REVIEW:
        return
    if target == S.REJECTED:
        services.subsidy_claim_reject(
            claim=claim, reason="研发费用未按规定设立辅助账，不予受理。", acting_user=cast.staff
        )
        return
    if claim.is_rd:
        _audit(cast, claim, complete=target != S.AUDIT_ASSIGNED, scale=1 + n % 3)
        if target in (S.AUDIT_ASSIGNED, S.AUDITED):
            return
    for state, stage, who in SIGNERS:
        services.subsidy_claim_sign(claim=claim, stage=stage, acting_user=getattr(cast, who))
        if target == state:
            return
    # A notice still running ends in three days; the others ended a week ago, and the
    # system has ended them (as its daily run would have).
    ends_on = today + dt.timedelta(days=3) if target == S.IN_NOTICE else today - dt.timedelta(7)
    services.subsidy_claim_publish_notice(
        claim=claim,
        starts_on=notice_latest_start(ends_on),
        ends_on=ends_on,
        acting_user=cast.staff,
    )
    if target == S.IN_NOTICE:
        return
    services.subsidy_claim_end_notice(claim=claim, today=today)
    if target == S.NOTICE_ENDED:
        return
    claim.refresh_from_db()
    assert claim.eligible_amount is not None
    services.subsidy_claim_approve(
        claim=claim, approved_amount=claim.eligible_amount, acting_user=cast.staff
    )


def _candidates(programme: str, year: int) -> Iterator[dict[str, Any]]:
    """Claimants the registry makes eligible, in a fixed order."""
    if programme in (Programme.CARRIER_HTE, Programme.CARRIER_LISTING):
        for incubator in Incubator.objects.order_by("name"):
            yield {"incubator": incubator}
        return
    if programme == Programme.RENT:
        firms = (
            Enterprise.objects.filter(tenancies__in=Tenancy.objects.all())
            .distinct()
            .order_by("uscc")
        )
        for enterprise in firms:
            yield {"enterprise": enterprise, "rent_month_from": 1, "rent_month_to": 12}
        return
    if programme in (Programme.HTE_NEW, Programme.HTE_RENEWAL):
        kind = "new" if programme == Programme.HTE_NEW else "renewal"
        certificates = HighTechCertificate.objects.filter(kind=kind, issued_on__year=year)
        firms = Enterprise.objects.filter(certificates__in=certificates).distinct()
        for enterprise in firms.order_by("uscc"):
            yield {"enterprise": enterprise}
        return
    for enterprise in Enterprise.objects.filter(users__isnull=True).order_by("-uscc"):
        yield {"enterprise": enterprise}


def _draft(cast: Cast, programme: str, year: int, count: int) -> list[SubsidyClaim]:
    claims: list[SubsidyClaim] = []
    for claimant in _candidates(programme, year):
        if len(claims) == count:
            break
        try:
            with transaction.atomic():
                claims.append(
                    services.subsidy_claim_draft(
                        programme=programme, year=year, acting_user=cast.staff, **claimant
                    )
                )
        except ValidationError:
            continue
    return claims


def _list_a_tenant(admin: User, year: int) -> None:
    """A tenant of the operator's carrier listed on NEEQ last year (the listing reward)."""
    tenancy = (
        Tenancy.objects.filter(moved_in_on__lte=dt.date(year, 6, 30))
        .exclude(moved_out_on__lte=dt.date(year, 6, 30))
        .order_by("incubator__name", "enterprise__uscc")
        .first()
    )
    if tenancy is None:
        return
    listing = EnterpriseListing(
        enterprise=tenancy.enterprise,
        board=EnterpriseListing.Board.NEEQ,
        listed_on=dt.date(year, 6, 30),
    )
    listing._history_user = admin  # type: ignore[attr-defined]
    listing.save()


def _pay(cast: Cast, claims: list[SubsidyClaim], today: dt.date, number: str, paid: bool) -> None:
    if not claims:
        return
    batch = services.payment_batch_create(number=number, acting_user=cast.finance)
    services.payment_batch_add(batch=batch, claims=claims, acting_user=cast.finance)
    if paid:
        services.payment_batch_export(batch=batch, acting_user=cast.finance)
        batch.refresh_from_db()
        # Paid on the day of the export at the earliest: a seed that runs across midnight
        # exports on the new day.
        exported_on = timezone.localtime(batch.exported_at).date() if batch.exported_at else today
        services.payment_batch_mark_paid(
            batch=batch, paid_on=max(today, exported_on), acting_user=cast.finance
        )


@transaction.atomic
def seed(*, admin: User, today: dt.date) -> int:
    """Create the demo subsidies when missing; return how many claims were created.

    Side effects: creates two audit firms, links the `auditor` login to the first, creates
    contact accounts without a login for the claimants that have none, a listing, a
    high-tech application, claims through every stage with their signatures, audits,
    notices, and two payment batches.
    """
    if AuditFirm.objects.filter(name=AUDIT_FIRMS[0]).exists():
        return 0
    for name in AUDIT_FIRMS:
        firm = AuditFirm(name=name, contact_person="审计项目经理", contact_phone="023-67880000")
        firm._history_user = admin  # type: ignore[attr-defined]
        firm.save()
    _link_auditor(admin, AuditFirm.objects.get(name=AUDIT_FIRMS[0]))
    year = today.year - 1
    _policies_for(year, admin)
    _list_a_tenant(admin, year)
    cast = Cast(admin)
    to_pay: list[SubsidyClaim] = []
    to_batch: list[SubsidyClaim] = []
    created = 0
    for programme, stages in STAGES.items():
        claims = _draft(cast, programme, year, len(stages))
        for n, (claim, target) in enumerate(zip(claims, stages, strict=False)):
            final = S.APPROVED if target in (S.PAID, S.IN_BATCH) else target
            _advance(cast, claim, final, today, n)
            if target == S.PAID:
                to_pay.append(claim)
            elif target == S.IN_BATCH:
                to_batch.append(claim)
        created += len(claims)
    _pay(cast, to_pay, today, f"{today.year}-01", paid=True)
    _pay(cast, to_batch, today, f"{today.year}-02", paid=False)
    created += _demo_firm_claim(cast, year, today)
    _recognition(cast, year + 1)
    _calls(admin, today)
    return created


# The materials firms upload under each programme they apply for (the demo's checklists).
DEMO_CHECKLISTS = {
    Programme.RENT: (
        ("租赁合同", True, "加盖双方公章"),
        ("租金发票", True, ""),
        ("入库证明", False, ""),
    ),
    Programme.RD_INVESTMENT: (("研发费用辅助账", True, ""), ("年度财务报表", True, "")),
}


def _calls(admin: User, today: dt.date) -> None:
    """This year's rent and R&D versions open a call of two months around today, with their
    checklists, so the policy pages show a call to apply to."""
    _policies_for(today.year, admin)
    opens = max(dt.date(today.year, 1, 1), today - dt.timedelta(days=30))
    closes = min(dt.date(today.year, 12, 31), today + dt.timedelta(days=30))
    for code, items in DEMO_CHECKLISTS.items():
        version = SubsidyPolicy.objects.published().filter(code=code, year=today.year).first()
        if version is None or version.windows.exists():
            continue
        window = ApplicationWindow(policy=version, opens_on=opens, closes_on=closes)
        window._history_user = admin  # type: ignore[attr-defined]
        window.save()
        for position, (title, required, note) in enumerate(items, start=1):
            item = ChecklistItem(
                policy=version, title=title, required=required, note=note, position=position
            )
            item._history_user = admin  # type: ignore[attr-defined]
            item.save()


def _demo_firm_claim(cast: Cast, year: int, today: dt.date) -> int:
    """The `enterprise` login's R&D claim: audited, signed by the handler only, so its page
    shows the computed amount, the policy version and who has yet to sign (it waits for the
    section head)."""
    user = User.objects.filter(username="enterprise").first()
    if user is None or user.enterprise is None:
        return 0
    claim = services.subsidy_claim_draft(
        programme=Programme.RD_INVESTMENT,
        year=year,
        enterprise=user.enterprise,
        claimed_amount=Decimal("380000"),
        acting_user=user,
    )
    _advance(cast, claim, S.HANDLER_SIGNED, today, 2)
    return 1


def _recognition(cast: Cast, year: int) -> None:
    """This year's recommendations: one recognised (its reward drafted for the firm to
    confirm), one at preliminary review, one recommended."""
    firms = Enterprise.objects.filter(users__isnull=True).order_by("uscc")
    recognised = HighTechCertificate.objects.filter(
        kind="new", issued_on__year=year, application__isnull=True
    ).first()
    applications = []
    for batch_number, enterprise in enumerate(
        [recognised.enterprise] if recognised else [], start=1
    ):
        applications.append((enterprise, batch_number))
    applications += [(f, 2) for f in firms.exclude(high_tech_applications__year=year)[:2]]
    made = []
    for enterprise, batch_number in applications:
        if HighTechApplication.objects.filter(enterprise=enterprise, year=year).exists():
            continue
        made.append(
            services.high_tech_application_recommend(
                enterprise=enterprise,
                year=year,
                batch_number=batch_number,
                recommended_on=dt.date(year, 1, 15),
                acting_user=cast.staff,
            )
        )
    if made:
        services.high_tech_application_pass_preliminary(application=made[0], acting_user=cast.staff)
    if recognised and made and made[0].enterprise_id == recognised.enterprise_id:
        try:
            with transaction.atomic():
                services.high_tech_application_recognise(
                    application=made[0], certificate=recognised, acting_user=cast.staff
                )
        except ValidationError:
            pass
