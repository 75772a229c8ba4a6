"""Two organisations of every kind, A and B, each a closed world, for the permission probe.

Everything of side A (its enterprise, carrier, bank, audit firm and their records) links only
to side A, so a user of any A organisation has no business seeing anything of side B. Each
side's names carry its marker, which the probe looks for in responses.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Model

from common.models import QueueHandover
from common.notifications import notification_write
from enterprises import services as enterprise_services
from enterprises.models import ServiceRequestAttachment
from incubators.models import CompetitionEntry
from loans.models import (
    CompensationClaim,
    CompensationClaimDocument,
    CompensationFund,
    LoanAttachment,
    LoanStatus,
    Repayment,
)
from portal.accounts.models import User
from portal.accounts.roles import BUREAU_ROLES, Role
from subsidies import services as subsidy_services
from subsidies.models import HighTechApplication, Notice, Objection
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    ProjectRecommendationFactory,
    ServiceVisitFactory,
    TechFirmRegistrationFactory,
    request_category,
)
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    IncubatorSiteFactory,
    OperatorFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.loans.factories import BankFactory, BankOfficerFactory, CreditEvaluationFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory
from tests.statistics.factories import DistrictStatisticFactory, ReportSubscriptionFactory
from tests.subsidies.factories import AuditFirmFactory, AuditorFactory, ensure_roles
from tests.subsidies.flow import pdf, rd_claim

# Markers: no other text of the portal contains them.
MARKERS = {"A": "甲探针", "B": "乙探针"}
# The organisation users of each side (the keys of `Side.users`).
USER_KINDS = ("enterprise", "carrier", "bank", "auditor")


@dataclass
class Side:
    """One side's organisations, users and records (the attribute names of tests.subsidies'
    Actors, so its claim flows run on a side)."""

    name: str
    marker: str
    users: dict[str, User] = field(default_factory=dict)
    records: dict[type[Model], list[Model]] = field(default_factory=dict)

    def keep(self, *objs: Model) -> None:
        for obj in objs:
            self.records.setdefault(type(obj), []).append(obj)

    def organisations(self) -> dict[str, Model]:
        return {
            "enterprise": self.enterprise,
            "incubator": self.incubator,
            "bank": self.bank,
            "audit_firm": self.firm,
        }


@dataclass
class World:
    sides: dict[str, Side]
    users: dict[str, User | None]  # role label -> user (None: anonymous)
    home_side: dict[str, str | None]  # role label -> the side the user belongs to


def _side(name: str, bureau: dict[str, User]) -> Side:
    marker = MARKERS[name]
    side = Side(name=name, marker=marker)
    enterprise = EnterpriseFactory(name=f"{marker}科技有限公司", contact_email="")
    operator_company = EnterpriseFactory(name=f"{marker}孵化运营有限公司")
    side.enterprise = enterprise
    side.handler = bureau["staff"]
    side.head = bureau["section_head"]
    side.deputy = bureau["deputy_director"]
    side.finance = bureau["finance"]
    side.member = EnterpriseUserFactory(
        enterprise=enterprise, username=f"probe-enterprise-{name}", last_name=f"{marker}企业用户"
    )
    side.incubator = IncubatorFactory(
        name=f"{marker}众创空间", operator=operator_company, opened_on=dt.date(2015, 1, 1)
    )
    side.operator = OperatorFactory(incubator=side.incubator, username=f"probe-carrier-{name}")
    # Partner banks are listed to every firm that applies: no marker in their names.
    side.bank = BankFactory(name=f"探针合作银行{name}江北支行")
    side.officer = BankOfficerFactory(bank=side.bank, username=f"probe-bank-{name}")
    side.firm = AuditFirmFactory(name=f"{marker}会计师事务所")
    side.auditor = AuditorFactory(audit_firm=side.firm, username=f"probe-auditor-{name}")
    side.users = {
        "enterprise": side.member,
        "carrier": side.operator,
        "bank": side.officer,
        "auditor": side.auditor,
    }
    side.keep(enterprise, operator_company, side.incubator, side.bank, side.firm)

    # The registry, figures and the service desk.
    side.keep(
        TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2020, 1, 1)),
        HighTechCertificateFactory(enterprise=enterprise),
        AnnualFiguresFactory(enterprise=enterprise, year=2024),
        ServiceVisitFactory(enterprise=enterprise),
        ProjectRecommendationFactory(enterprise=enterprise),
    )
    service_request = enterprise_services.service_request_raise(
        enterprise=enterprise,
        category=request_category("policy"),
        description=f"{marker}咨询研发费用加计扣除",
        acting_user=side.member,
    )
    side.keep(
        service_request,
        ServiceRequestAttachment.objects.create(
            service_request=service_request, file=pdf(), original_name=f"{marker}附件.pdf"
        ),
    )

    # The carrier: a site, a recognition, the enterprise as tenant, a competition.
    side.keep(
        IncubatorSiteFactory(incubator=side.incubator, area=Decimal("5000")),
        RecognitionFactory(incubator=side.incubator),
        TenancyFactory(
            incubator=side.incubator,
            enterprise=enterprise,
            area=Decimal("100"),
            moved_in_on=dt.date(2020, 3, 1),
        ),
    )
    competition = ActivityFactory(organiser=side.incubator, kind="competition")
    side.keep(
        ActivityFactory(organiser=side.incubator),
        competition,
        CompetitionEntry.objects.create(activity=competition, enterprise=enterprise),
    )

    # Loans: a forwarded application with a document, a disbursed one with a repayment, a
    # defaulted one with a compensation claim the bureau approved.
    # (one open application per firm: the other two belong to the side's other firms)
    borrowers = [enterprise] + [
        EnterpriseFactory(name=f"{marker}{kind}有限公司") for kind in ("制造", "软件")
    ]
    for borrower in borrowers:
        side.keep(CreditEvaluationFactory(enterprise=borrower))
    forwarded, disbursed, claimed = (
        loan_in(status, bank=side.bank, enterprise=borrower)
        for status, borrower in zip(
            (LoanStatus.FORWARDED, LoanStatus.DISBURSED, LoanStatus.COMPENSATION_CLAIMED),
            borrowers,
            strict=True,
        )
    )
    side.keep(forwarded, disbursed, claimed)
    side.keep(
        LoanAttachment.objects.create(
            application=forwarded, file=pdf(), original_name="财务报表.pdf"
        ),
        Repayment.objects.create(
            loan=disbursed, paid_on=dt.date.today(), principal=Decimal("1000")
        ),
    )
    compensation = CompensationClaim.objects.create(
        loan=claimed,
        fund=CompensationFund.objects.get(),
        principal_loss=Decimal("600000"),
        eligible_loss=Decimal("600000"),
        amount=Decimal("480000"),
        status=CompensationClaim.Status.APPROVED,
        note=f"{marker}代偿申请",
    )
    side.keep(
        compensation,
        CompensationClaimDocument.objects.create(
            claim=compensation, file=pdf(), original_name="判决书.pdf"
        ),
    )

    # Subsidies: an R&D claim under review with an audit assigned to the side's firm.
    claim = rd_claim(side)
    subsidy_services.subsidy_claim_submit(claim=claim, acting_user=side.member)
    subsidy_services.subsidy_claim_take_up(claim=claim, acting_user=side.handler)
    audit = subsidy_services.rd_audit_assign(claim=claim, firm=side.firm, acting_user=side.handler)
    side.keep(claim, audit, *claim.attachments.all())
    # An objection to it, as staff record one received by letter (the admin's pages).
    side.keep(
        Objection.objects.create(
            claim=claim, received_on=dt.date(2025, 6, 1), content=f"{marker}异议"
        )
    )
    side.keep(
        HighTechApplication.objects.create(
            enterprise=enterprise, year=2025, batch_number=1, recommended_on=dt.date(2025, 6, 1)
        )
    )
    return side


def build() -> World:
    """Both sides, one user per bureau role, a pending sign-up, and the shared records."""
    ensure_roles()
    fund = CompensationFund.objects.get()
    fund.balance = Decimal("50000000")
    fund.save()
    users: dict[str, User | None] = {"anonymous": None}
    home: dict[str, str | None] = {"anonymous": None}
    for role in BUREAU_ROLES:
        user = StaffFactory(username=f"probe-{role.name.lower()}", roles=(role,))
        users[f"bureau:{role.name.lower()}"] = user
        home[f"bureau:{role.name.lower()}"] = None
    bureau = {
        "staff": users["bureau:bureau_staff"],
        "admin": users["bureau:bureau_admin"],
        "section_head": users["bureau:section_head"],
        "deputy_director": users["bureau:deputy_director"],
        "finance": users["bureau:finance"],
    }
    sides = {name: _side(name, bureau) for name in MARKERS}
    # The accounts whose pages matter most: staff's own, and the bureau admin's.
    sides["A"].keep(bureau["staff"], bureau["admin"])
    for name, side in sides.items():
        for kind, user in side.users.items():
            users[f"{kind}:{name}"] = user
            home[f"{kind}:{name}"] = name
    # A sign-up waiting for staff, naming side A's enterprise: it may see nothing of it yet.
    pending = UserFactory(
        username="probe-pending",
        organisation_kind=User.OrganisationKind.ENTERPRISE,
        link_status=User.LinkStatus.PENDING,
        enterprise=sides["A"].enterprise,
    )
    pending.groups.add(Group.objects.get(name=Role.ENTERPRISE_USER.value))
    users["enterprise:pending"] = pending
    home["enterprise:pending"] = None
    DistrictStatisticFactory()
    ReportSubscriptionFactory()
    # A public notice open today, of no side's claims: the board is the same for everyone.
    Notice.objects.create(
        number="PROBE-1",
        title="探针公示",
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=14),
    )
    # Staff's queue handed to finance for a week, and a message in staff's inbox.
    today = dt.date.today()
    QueueHandover.objects.create(
        from_user=bureau["staff"],
        to_user=bureau["finance"],
        starts_on=today,
        ends_on=today + dt.timedelta(days=7),
        created_by=bureau["staff"],
    )
    notification_write(
        recipients=[bureau["staff"]], subject="探针消息", body="正文", path="/queue/", kind="probe"
    )
    return World(sides=sides, users=users, home_side=home)


def first_record(model: type[Model], world: World, side: str = "A") -> Any:
    """A record of `model` on `side` if the side has one, else any row of the model."""
    kept = world.sides[side].records.get(model)
    if kept:
        return kept[0]
    return model._default_manager.order_by("pk").first()
