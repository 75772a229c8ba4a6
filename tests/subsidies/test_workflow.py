"""The claim and payment batch workflows walked whole, generated from their tables
(subsidies.workflows.claims): every (state, target) × every role through the services, each
allowed step succeeds and every other is refused with nothing written; and each step tells
each next actor (and whoever it informs) with a link that opens for that person."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from common.models import Notification
from common.notifications import _recipients
from common.workflow import require_step
from portal.accounts.roles import Role
from subsidies import services
from subsidies.models import (
    ClaimAttachment,
    PaymentBatch,
    Programme,
    RDAudit,
    SignOff,
    SubsidyClaim,
)
from subsidies.workflows.claims import BATCH, CLAIM, SIGNATURES
from tests.enterprises.factories import EnterpriseFactory
from tests.incubators.factories import OperatorFactory
from tests.loans.factories import BankOfficerFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.subsidies.factories import (
    YEAR,
    AuditFirmFactory,
    AuditorFactory,
    DeputyDirectorFactory,
    FinanceFactory,
    PaymentBatchFactory,
    SectionHeadFactory,
    policy,
)
from tests.workflow_roles import assert_told, last_notification_pk
from tests.workflow_walk import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = SubsidyClaim.Status
B = PaymentBatch.Status
D = Decimal
NOTICE = (dt.date(YEAR + 1, 1, 5), dt.date(YEAR + 1, 1, 11))


class World:
    """One R&D claimant, its audit firm, and one user of every role."""

    def __init__(self) -> None:
        self.enterprise = EnterpriseFactory()
        self.firm = AuditFirmFactory()
        self.rd_policy = policy(Programme.RD_INVESTMENT)
        self.rent_policy = policy(Programme.RENT)
        # Who signed before the claim reached its state: none of them is a walked role.
        self.signers = {
            SignOff.Stage.HANDLER: StaffFactory(),
            SignOff.Stage.SECTION_HEAD: SectionHeadFactory(),
            SignOff.Stage.DEPUTY_DIRECTOR: DeputyDirectorFactory(),
        }
        self.handler = StaffFactory(first_name="经办")
        self.roles = {
            "bureau admin": StaffFactory(roles=(Role.BUREAU_ADMIN,)),
            "staff (the handler)": self.handler,
            "section head": SectionHeadFactory(),
            "deputy director": DeputyDirectorFactory(),
            "finance": FinanceFactory(),
            "auditor of the assigned firm": AuditorFactory(audit_firm=self.firm),
            "auditor of another firm": AuditorFactory(),
            "owning firm's user": EnterpriseUserFactory(enterprise=self.enterprise),
            "another firm's user": EnterpriseUserFactory(),
            "carrier operator": OperatorFactory(),
            "bank officer": BankOfficerFactory(),
            "the system": None,
        }

    # -- a claim in any state

    def clear(self) -> None:
        # A rejected claim does not block another of the same programme and year.
        SubsidyClaim.objects.filter(enterprise=self.enterprise).exclude(status=S.REJECTED).update(
            status=S.REJECTED
        )

    def claim(self, state: str, *, programme: str = Programme.RD_INVESTMENT) -> SubsidyClaim:
        """A fresh claim of the enterprise in `state`, with what that state implies (the
        audit, the signatures, the notice, the batch) and what its next steps need."""
        self.clear()
        order = list(S.values)
        reached = order.index(state) if state not in (S.RETURNED, S.REJECTED) else 2

        def past(milestone: str) -> bool:
            return reached >= order.index(milestone)

        rd = programme == Programme.RD_INVESTMENT
        # The notice ended yesterday; in "in_notice" the system has not ended it yet.
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        eligible = D("100000.00") if past(S.AUDITED) else None
        claim = SubsidyClaim.objects.create(
            programme=programme,
            year=YEAR,
            policy=self.rd_policy if rd else self.rent_policy,
            enterprise=self.enterprise,
            status=state,
            rent_month_from=None if rd else 1,
            rent_month_to=None if rd else 12,
            submitted_on=None if state == S.DRAFT else dt.date(YEAR + 1, 1, 2),
            handler=self.handler if past(S.UNDER_REVIEW) else None,
            eligible_amount=eligible,
            notice_starts_on=yesterday - dt.timedelta(days=6) if past(S.IN_NOTICE) else None,
            notice_ends_on=yesterday if past(S.IN_NOTICE) else None,
            approved_amount=eligible if past(S.APPROVED) else None,
            approved_on=timezone.localdate() if past(S.APPROVED) else None,
            payment_batch=self.batch(B.EXPORTED) if state == S.IN_BATCH else None,
            paid_on=timezone.localdate() if state == S.PAID else None,
        )
        if state in (S.DRAFT, S.RETURNED):
            ClaimAttachment.objects.create(claim=claim, title="研发费用明细", file="x/a.pdf")
        if rd and past(S.AUDIT_ASSIGNED):
            audit = RDAudit(claim=claim, firm=self.firm, personnel=D("1000000"), report="x/r.pdf")
            audit.apply_cap()
            audit.recorded_at = timezone.now()
            if state != S.AUDIT_ASSIGNED:
                audit.completed_at = audit.recorded_at
            audit.save()
        SignOff.objects.bulk_create(
            SignOff(claim=claim, stage=stage, signed_by=self.signers[stage])
            for target, stage in SIGNATURES.items()
            if past(target)
        )
        return claim

    def batch(self, status: str) -> PaymentBatch:
        return PaymentBatchFactory(
            status=status,
            exported_at=None if status == B.OPEN else timezone.now() - dt.timedelta(days=1),
            paid_on=timezone.localdate() if status == B.PAID else None,
        )

    def in_open_batch(self, state: str) -> SubsidyClaim:
        claim = self.claim(state)
        claim.payment_batch = self.batch(B.OPEN)
        claim.save()
        return claim

    # -- each step through its service

    def step(self, claim: SubsidyClaim, target: str, user) -> None:
        calls = {
            S.SUBMITTED: lambda: services.subsidy_claim_submit(claim=claim, acting_user=user),
            S.UNDER_REVIEW: lambda: services.subsidy_claim_take_up(claim=claim, acting_user=user),
            S.AUDIT_ASSIGNED: lambda: services.rd_audit_assign(
                claim=claim, firm=self.firm, acting_user=user
            ),
            S.AUDITED: lambda: services.rd_audit_complete(audit=claim.audit, acting_user=user),
            **{
                target: lambda stage=stage: services.subsidy_claim_sign(
                    claim=claim, stage=stage, acting_user=user
                )
                for target, stage in SIGNATURES.items()
            },
            S.IN_NOTICE: lambda: services.subsidy_claim_publish_notice(
                claim=claim, starts_on=NOTICE[0], ends_on=NOTICE[1], acting_user=user
            ),
            S.NOTICE_ENDED: lambda: services.subsidy_claim_end_notice(
                claim=claim, acting_user=user
            ),
            S.APPROVED: lambda: (
                services.payment_batch_remove(
                    batch=claim.payment_batch, claim=claim, acting_user=user
                )
                if claim.payment_batch_id
                else services.subsidy_claim_approve(
                    claim=claim, approved_amount=D("100000.00"), acting_user=user
                )
            ),
            S.IN_BATCH: lambda: services.payment_batch_add(
                batch=PaymentBatchFactory(), claims=[claim], acting_user=user
            ),
            S.PAID: lambda: services.payment_batch_mark_paid(
                batch=claim.payment_batch, paid_on=timezone.localdate(), acting_user=user
            ),
            S.RETURNED: lambda: services.subsidy_claim_return(
                claim=claim, reason="请补充研发费用辅助账", acting_user=user
            ),
            S.REJECTED: lambda: services.subsidy_claim_reject(
                claim=claim, reason="不符合申报条件", acting_user=user
            ),
        }
        claim.refresh_from_db()
        if target == S.AUDITED and not RDAudit.objects.filter(claim=claim).exists():
            calls.pop(target)  # no audit to hand in: nothing a person could call
        if target == S.PAID and not claim.payment_batch_id:
            calls.pop(target)  # a claim is paid only with its batch
        if target not in calls:
            # No service makes this step from here; the table must refuse it.
            require_step(CLAIM, claim, target, user)
            raise AssertionError(f"{claim.status} → {target} has no service")
        calls[target]()


@pytest.fixture
def world():
    return World()


# --------------------------------------------------------------------------------- claims

# Who makes which step out of the states that need another kind of claim.
RENT_ONLY = {S.UNDER_REVIEW: [S.HANDLER_SIGNED]}
OPEN_BATCH_ONLY = {S.IN_BATCH: [S.APPROVED]}


def test_the_claim_table_walked_by_every_role(world):
    """An R&D claim for the table (audit, then the signatures), except a rent claim for the
    handler's signature of a claim under review and an open batch to take a claim out of."""
    counts = walk(
        CLAIM,
        roles=world.roles,
        make=world.claim,
        step=world.step,
        states=[s for s in S.values if s not in (*RENT_ONLY, *OPEN_BATCH_ONLY)],
    )
    for state, targets in RENT_ONLY.items():
        walk(
            CLAIM,
            roles=world.roles,
            make=lambda s: world.claim(s, programme=Programme.RENT),
            step=world.step,
            states=[state],
            targets=targets,
        )
        walk(
            CLAIM,
            roles=world.roles,
            make=world.claim,
            step=world.step,
            states=[state],
            targets=[t for t in S.values if t not in targets],
        )
    for state, targets in OPEN_BATCH_ONLY.items():
        walk(
            CLAIM,
            roles=world.roles,
            make=world.in_open_batch,
            step=world.step,
            states=[state],
            targets=targets,
        )
        walk(
            CLAIM,
            roles=world.roles,
            make=world.claim,
            step=world.step,
            states=[state],
            targets=[t for t in S.values if t not in targets],
        )
    assert counts["allowed"] >= len(CLAIM.steps)


def test_an_rd_claim_is_not_signed_before_its_audit(world):
    claim = world.claim(S.UNDER_REVIEW)
    with pytest.raises(Exception, match="audit"):
        world.step(claim, S.HANDLER_SIGNED, world.handler)
    claim.refresh_from_db()
    assert claim.status == S.UNDER_REVIEW and not claim.sign_offs.exists()


def test_a_signer_signs_one_stage_of_a_claim(world):
    """The bureau admin holds every signature but gives one per claim."""
    admin = world.roles["bureau admin"]
    claim = world.claim(S.AUDITED)
    services.subsidy_claim_sign(claim=claim, acting_user=admin)
    with pytest.raises(Exception, match="another stage"):
        services.subsidy_claim_sign(claim=claim, acting_user=admin)
    claim.refresh_from_db()
    assert claim.status == S.HANDLER_SIGNED and claim.sign_offs.count() == 1


def test_the_notice_ends_only_after_its_last_day_and_only_by_the_system(world):
    claim = world.claim(S.IN_NOTICE)
    last_day = claim.notice_ends_on
    with pytest.raises(Exception, match="runs until"):
        services.subsidy_claim_end_notice(claim=claim, today=last_day)
    with pytest.raises(PermissionDenied):  # staff do not end a notice: the system does
        services.subsidy_claim_end_notice(claim=claim, acting_user=world.handler)
    assert services.subsidy_claim_notices_end(today=last_day) == 0
    assert services.subsidy_claim_notices_end(today=last_day + dt.timedelta(days=1)) == 1
    assert services.subsidy_claim_notices_end(today=last_day + dt.timedelta(days=1)) == 0
    claim.refresh_from_db()
    change = claim.status_changes.last()
    assert (claim.status, change.acting_user) == (S.NOTICE_ENDED, None)


# -------------------------------------------------------------------------------- batches


def _batch(world: World, state: str) -> PaymentBatch:
    """A batch in `state` holding one claim (in the batch, or paid with it)."""
    world.enterprise = EnterpriseFactory()
    world.batch_owner = EnterpriseUserFactory(enterprise=world.enterprise)
    claim = world.claim(S.APPROVED)
    batch = world.batch(state)
    claim.payment_batch = batch
    claim.status = S.PAID if state == B.PAID else S.IN_BATCH
    claim.paid_on = timezone.localdate() if state == B.PAID else None
    claim.save()
    return batch


def _batch_step(batch: PaymentBatch, target: str, user) -> None:
    batch.refresh_from_db()
    if target == B.EXPORTED:
        services.payment_batch_export(batch=batch, acting_user=user)
    elif target == B.PAID:
        services.payment_batch_mark_paid(
            batch=batch, paid_on=timezone.localdate(), acting_user=user
        )
    else:
        require_step(BATCH, batch, target, user)
        raise AssertionError(f"{batch.status} → {target} has no service")


def test_the_batch_table_walked_by_every_role(world):
    counts = walk(
        BATCH,
        roles=world.roles,
        make=lambda state: _batch(world, state),
        step=_batch_step,
    )
    assert counts["allowed"] == 2 * 2  # export and pay, each by finance and the bureau admin


def test_paying_a_batch_pays_each_claim_through_its_workflow(world):
    batch = _batch(world, B.EXPORTED)
    claim = batch.claims.get()
    services.payment_batch_mark_paid(
        batch=batch, paid_on=timezone.localdate(), acting_user=world.roles["finance"]
    )
    claim.refresh_from_db()
    change = claim.status_changes.last()
    assert (change.from_status, change.to_status) == (S.IN_BATCH, S.PAID)
    assert change.acting_user == world.roles["finance"]
    assert [c.to_status for c in batch.status_changes.all()] == [B.PAID]
    assert claim.payment.amount == claim.approved_amount
    told = Notification.objects.filter(kind=CLAIM.name, recipient=world.batch_owner)
    assert told.count() == 1


# ---------------------------------------------------------------------- who is told, where


def _first_actor(workflow, obj, target, roles):
    return next(
        (user for user in roles.values() if workflow.may(user, obj, target)),
        None,
    )


def _assert_told_and_links_open(client, workflow, obj, target, since):
    """Each next actor and each informed actor of `target` has a notification (but the one
    who made the step); the link in each answers 200 for its recipient."""
    obj.refresh_from_db()
    written = Notification.objects.filter(pk__gt=since)
    told = {n.recipient_id for n in written if n.kind == workflow.name}
    last = workflow.record_class._default_manager.filter(**{workflow.record_fk: obj}).last()
    for actor in (*workflow.next.get(target, ()), *workflow.tell.get(target, ())):
        people = [u for u in _recipients(workflow, obj, actor) if u.pk != last.acting_user_id]
        missing = [u for u in people if u.pk not in told]
        assert not missing, f"{workflow.name} → {target}: {actor.key} not told ({missing})"
    for notification in written:
        client.force_login(notification.recipient)
        response = client.get(urlsplit(notification.url).path)
        assert response.status_code == 200, (
            f"{workflow.name} → {target}: {notification.url} answers {response.status_code} "
            f"for {notification.recipient}"
        )
    return written


@pytest.mark.parametrize(("source", "target"), sorted(CLAIM.steps))
def test_each_claim_step_tells_exactly_the_next_actors_with_a_link_that_opens(
    client, world, source, target
):
    if source in RENT_ONLY and target in RENT_ONLY[source]:
        claim = world.claim(source, programme=Programme.RENT)
    elif source in OPEN_BATCH_ONLY and target in OPEN_BATCH_ONLY[source]:
        claim = world.in_open_batch(source)
    else:
        claim = world.claim(source)
    user = _first_actor(CLAIM, claim, target, world.roles)
    after = last_notification_pk()
    world.step(claim, target, user)
    people = {name: u for name, u in world.roles.items() if u is not None}
    people.update({f"signer {stage}": u for stage, u in world.signers.items()})
    assert_told(client, CLAIM, claim, people, after=after)


@pytest.mark.parametrize(("source", "target"), sorted(BATCH.steps))
def test_each_batch_step_tells_the_next_actors_with_a_link_that_opens(
    client, world, source, target
):
    batch = _batch(world, source)
    since = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _batch_step(batch, target, world.roles["finance"])
    written = _assert_told_and_links_open(client, BATCH, batch, target, since)
    if target == B.PAID:  # the claimant hears its claim is paid, with its claim page
        claim = batch.claims.get()
        assert written.filter(
            recipient=world.batch_owner, url__endswith=f"/subsidies/claims/{claim.pk}/"
        ).exists()


@pytest.mark.parametrize(
    ("source", "target", "told", "not_told"),
    [
        # A new claim: every handler of subsidies (the claimant who submitted it is not told).
        (S.DRAFT, S.SUBMITTED, ("staff (the handler)", "bureau admin"), ("owning firm's user",)),
        # Once taken up, the claim is its handler's: a resubmission goes to them alone.
        (S.RETURNED, S.SUBMITTED, ("staff (the handler)",), ("bureau admin",)),
        (
            S.UNDER_REVIEW,
            S.AUDIT_ASSIGNED,
            ("auditor of the assigned firm", "owning firm's user"),
            ("auditor of another firm", "staff (the handler)"),
        ),
        (S.AUDIT_ASSIGNED, S.AUDITED, ("staff (the handler)",), ("auditor of the assigned firm",)),
        # Each signature due is the next signer's, whoever holds the claim.
        (S.AUDITED, S.HANDLER_SIGNED, ("section head",), ("staff (the handler)", "finance")),
        (S.HANDLER_SIGNED, S.SECTION_HEAD_SIGNED, ("deputy director",), ("section head",)),
        (S.SECTION_HEAD_SIGNED, S.SIGNED_OFF, ("staff (the handler)",), ("deputy director",)),
        (S.IN_NOTICE, S.NOTICE_ENDED, ("staff (the handler)",), ("owning firm's user",)),
        (S.NOTICE_ENDED, S.APPROVED, ("finance", "owning firm's user"), ("section head",)),
        (S.SUBMITTED, S.RETURNED, ("owning firm's user",), ("another firm's user",)),
        (S.NOTICE_ENDED, S.REJECTED, ("owning firm's user",), ("finance",)),
    ],
)
def test_who_is_told_of_a_step(world, source, target, told, not_told):
    claim = world.claim(source)
    if source == S.DRAFT:
        claim.handler = None
        claim.save()
    world.step(claim, target, _first_actor(CLAIM, claim, target, world.roles))
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    for role in told:
        assert world.roles[role].pk in recipients, f"{role} was not told"
    for role in not_told:
        assert world.roles[role].pk not in recipients, f"{role} was told"


def test_the_command_ends_the_notices_past_their_last_day(world):
    from io import StringIO

    from django.core.management import call_command

    claim = world.claim(S.IN_NOTICE)
    out = StringIO()
    call_command("end_notices", stdout=out)
    claim.refresh_from_db()
    assert claim.status == S.NOTICE_ENDED and out.getvalue().startswith("1 ")


def test_a_claim_held_by_the_bureau_admin_still_waits_for_the_signers_and_finance(world):
    """The holder stands for staff and the first signature only: a handler holding every
    permission (the bureau admin) does not keep the later signatures or the payment from
    their own roles."""
    admin = world.roles["bureau admin"]
    claim = world.claim(S.AUDITED)
    claim.handler = admin
    claim.save()
    services.subsidy_claim_sign(claim=claim, acting_user=admin)
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert world.roles["section head"].pk in told
    claim = world.claim(S.NOTICE_ENDED)
    claim.handler = admin
    claim.save()
    Notification.objects.all().delete()
    services.subsidy_claim_approve(claim=claim, approved_amount=D("100000.00"), acting_user=admin)
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert world.roles["finance"].pk in told
    # Staff's own steps still wait for the holder alone.
    claim = world.claim(S.IN_NOTICE)
    claim.handler = admin
    claim.save()
    Notification.objects.all().delete()
    services.subsidy_claim_end_notice(claim=claim)
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert admin.pk in told and world.handler.pk not in told


def test_a_carrier_claim_is_submitted_by_its_operator_alone(world):
    """The carrier relation: a carrier reward is the carrier's operator's to submit, and
    no enterprise user's (the owning firm's user of the R&D walk included)."""
    from tests.enterprises.factories import HighTechCertificateFactory
    from tests.incubators.factories import TenancyFactory

    operator = world.roles["carrier operator"]
    carrier = operator.incubator
    tenancy = TenancyFactory(incubator=carrier, moved_in_on=dt.date(YEAR - 1, 1, 1))
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 4, 1))
    rule = policy(Programme.CARRIER_HTE)

    def make(state: str) -> SubsidyClaim:
        SubsidyClaim.objects.filter(incubator=carrier).exclude(status=S.REJECTED).update(
            status=S.REJECTED
        )
        return SubsidyClaim.objects.create(
            programme=Programme.CARRIER_HTE, year=YEAR, policy=rule, incubator=carrier, status=state
        )

    counts = walk(
        CLAIM,
        roles=world.roles,
        make=make,
        step=world.step,
        states=[S.DRAFT, S.RETURNED],
        targets=[S.SUBMITTED],
    )
    assert counts["allowed"] == 2  # the operator, from a draft and from a returned claim


def test_recognition_drafts_the_reward_and_the_firm_is_asked_to_confirm_it(world):
    """Recognising an application drafts its reward claim: the claim waits for the firm,
    which is told with the claim's page (besides the application's own news)."""
    from enterprises.models import HighTechCertificate
    from subsidies.models import HighTechApplication
    from tests.enterprises.factories import HighTechCertificateFactory

    policy(Programme.HTE_NEW)
    application = HighTechApplication.objects.create(
        enterprise=world.enterprise,
        year=YEAR,
        batch_number=1,
        recommended_on=dt.date(YEAR, 3, 1),
        status=HighTechApplication.Status.PRELIMINARY_PASSED,
    )
    certificate = HighTechCertificateFactory(
        enterprise=world.enterprise,
        issued_on=dt.date(YEAR, 11, 1),
        kind=HighTechCertificate.Kind.NEW,
    )
    claim = services.high_tech_application_recognise(
        application=application, certificate=certificate, acting_user=world.handler
    )
    firm = world.roles["owning firm's user"]
    asked = Notification.objects.get(kind=CLAIM.name, recipient=firm)
    assert asked.url.endswith(f"/subsidies/claims/{claim.pk}/")
    assert claim.status == S.DRAFT


def test_the_queue_of_each_signer_holds_the_claims_waiting_for_their_signature(world):
    """A claim held by someone holding every permission (the bureau admin) still waits, in
    the queues, for the section head and then for finance, and reads as waiting for that
    role; the handler's own steps stay in the holder's queue."""
    from common.queue import queue_for_user

    admin = world.roles["bureau admin"]

    def queued(user, claim):
        return [i for i in queue_for_user(user=user).items if i.obj == claim]

    claim = world.claim(S.HANDLER_SIGNED)
    claim.handler = admin
    claim.save()
    [item] = queued(world.roles["section head"], claim)
    assert item.holder != admin.display_name  # the role it waits for, not the holder
    claim = world.claim(S.APPROVED)
    claim.handler = admin
    claim.save()
    assert queued(world.roles["finance"], claim)
    claim = world.claim(S.NOTICE_ENDED)
    claim.handler = admin
    claim.save()
    assert queued(admin, claim) and not queued(world.handler, claim)
