"""Test workflows over real models, for the work queue's tests.

The queue reads only the tables (`next`, `holder_field`, `due_working_days`, `deadline`,
`links`), so these workflows declare no steps. `registered()` puts them alone in the
registry for a test and restores the registry afterwards, so the processes the apps
register do not add to what a test expects.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from common.workflow import REGISTRY, Permission, Relation, Workflow
from enterprises.models import ServiceRequest, ServiceRequestStatusChange
from loans.models import LoanStatus
from subsidies.models import SubsidyClaim, SubsidyClaimStatusChange

STAFF = Permission("enterprises.change_servicerequest", "业务科室")
REVIEWER = Permission("subsidies.change_subsidyclaim", "业务科室")
FINANCE = Permission("subsidies.add_paymentbatch", "财务")
LOAN_REVIEWER = Permission("loans.review_loanapplication", "业务科室")
ENTERPRISE = Relation("enterprise", "企业", "enterprise", "enterprise_id")
CARRIER = Relation("incubator", "载体", "incubator", "incubator_id")
AUDIT_FIRM = Relation("audit_firm", "审计机构", "audit_firm", "audit__firm_id")
BANK = Relation("bank", "合作银行", "bank", "bank_id")

REQUESTS = Workflow(
    name="test_requests",
    label="诉求",
    model="enterprises.ServiceRequest",
    states=ServiceRequest.Status,
    steps={},
    next={
        ServiceRequest.Status.OPEN: (STAFF,),
        ServiceRequest.Status.FORWARDED: (STAFF,),
    },
    record="enterprises.ServiceRequestStatusChange",
    record_fk="service_request",
    title=lambda r: f"{r.enterprise.name}：{r.description}",
    holder_field="handler",
    due_working_days={ServiceRequest.Status.OPEN: 15},
    related=("enterprise",),
)

CLAIMS = Workflow(
    name="test_claims",
    label="补贴申请",
    model="subsidies.SubsidyClaim",
    states=SubsidyClaim.Status,
    steps={},
    next={
        SubsidyClaim.Status.SUBMITTED: (REVIEWER,),
        SubsidyClaim.Status.RETURNED: (ENTERPRISE, CARRIER),
        SubsidyClaim.Status.AUDIT_ASSIGNED: (AUDIT_FIRM,),
        SubsidyClaim.Status.APPROVED: (FINANCE,),
    },
    record="subsidies.SubsidyClaimStatusChange",
    record_fk="claim",
    links={
        "enterprise": lambda c: reverse("subsidies:claim_detail", args=[c.pk]),
        "incubator": lambda c: reverse("subsidies:claim_detail", args=[c.pk]),
        "audit_firm": lambda c: reverse("subsidies:audit_detail", args=[c.audit.pk]),
    },
    title=lambda c: f"{c.enterprise or c.incubator} {c.get_programme_display()} {c.year}",
    due_working_days={SubsidyClaim.Status.SUBMITTED: 5, SubsidyClaim.Status.APPROVED: 10},
    related=("enterprise", "incubator", "audit"),
)

LOANS = Workflow(
    name="test_loans",
    label="知识价值信用贷款",
    model="loans.LoanApplication",
    states=LoanStatus,
    steps={},
    next={
        LoanStatus.SUBMITTED: (LOAN_REVIEWER,),
        LoanStatus.FORWARDED: (BANK,),
    },
    record="loans.LoanStatusChange",
    record_fk="application",
    links={"bank": lambda loan: reverse("loans:bank_loan_detail", args=[loan.pk])},
    title=lambda loan: loan.enterprise.name,
    # The bank decides within the loan's own deadline, not a count of days.
    deadline=lambda loan: loan.submitted_on + dt.timedelta(days=30) if loan.submitted_on else None,
    related=("enterprise",),
)


@contextmanager
def registered(*workflows: Workflow) -> Iterator[None]:
    saved = dict(REGISTRY)
    REGISTRY.clear()
    for workflow in workflows:
        REGISTRY[workflow.name] = workflow
    try:
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)


def entered(record_model, fk: str, obj, to_status: str, at: dt.datetime, from_status: str = ""):
    """A step into `to_status` recorded at `at` (the record's time is set after saving, as
    `created_at` is written by the database's clock)."""
    row = record_model.objects.create(**{fk: obj}, from_status=from_status, to_status=to_status)
    record_model.objects.filter(pk=row.pk).update(created_at=at)
    # What `common.workflow.move` keeps on the row: when it entered the state it is in.
    model = type(obj)
    current = model.objects.values_list("status", flat=True).get(pk=obj.pk)
    latest = (
        record_model.objects.filter(**{fk: obj, "to_status": current})
        .exclude(from_status=F("to_status"))
        .aggregate(at=Max("created_at"))["at"]
    )
    if latest is not None:
        model.objects.filter(pk=obj.pk).update(status_since=latest)
    return row


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """10:00 Beijing time on `day`."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def request_entered(request: ServiceRequest, day: dt.date, status: str = "open"):
    return entered(ServiceRequestStatusChange, "service_request", request, status, at(day))


def claim_entered(claim: SubsidyClaim, day: dt.date, status: str | None = None):
    return entered(SubsidyClaimStatusChange, "claim", claim, status or claim.status, at(day))
