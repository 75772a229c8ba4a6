"""The high-tech application workflow (subsidies.workflows.recognition): its table walked
against every role through the services, and every step telling the staff who act next and
the enterprise, each with a link that opens for them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.workflow import transition
from subsidies import services
from subsidies.models import HighTechApplication
from subsidies.workflows.recognition import HIGH_TECH_APPLICATION
from tests.enterprises.factories import EnterpriseFactory, HighTechCertificateFactory
from tests.subsidies.factories import YEAR, HighTechApplicationFactory
from tests.workflow_roles import assert_told, every_role, last_notification_pk
from tests.workflow_walk import walk

pytestmark = pytest.mark.django_db

S = HighTechApplication.Status
STEPPING_ROLES = {"bureau_admin", "staff"}


@pytest.fixture
def firm():
    return EnterpriseFactory(name="重庆两江智能装备有限公司")


@pytest.fixture
def roles(firm):
    return every_role(enterprise=firm)


def certificate_for(firm):
    return HighTechCertificateFactory(enterprise=firm, issued_on=dt.date(YEAR, 11, 20))


def make_application(firm):
    def make(state: str) -> HighTechApplication:
        # One application per firm and year: the walk's previous record makes way.
        HighTechApplication.objects.filter(enterprise=firm).delete()
        certificate = certificate_for(firm) if state == S.RECOGNISED else None
        return HighTechApplicationFactory(enterprise=firm, status=state, certificate=certificate)

    return make


def application_step(obj, target, user):
    if target == S.PRELIMINARY_PASSED:
        return services.high_tech_application_pass_preliminary(application=obj, acting_user=user)
    if target == S.NOT_RECOGNISED:
        return services.high_tech_application_reject(
            application=obj, reason="研发投入占比不足", acting_user=user
        )
    if target == S.RECOGNISED:
        return services.high_tech_application_recognise(
            application=obj, certificate=certificate_for(obj.enterprise), acting_user=user
        )
    # No service leads back to "recommended": the table refuses it.
    return transition(HIGH_TECH_APPLICATION, obj, target, acting_user=user)


def test_the_application_table_walked_against_every_role(roles, firm):
    counts = walk(
        HIGH_TECH_APPLICATION, roles=roles, make=make_application(firm), step=application_step
    )
    assert counts["allowed"] == len(HIGH_TECH_APPLICATION.steps) * len(STEPPING_ROLES) == 8


def test_only_staff_make_application_steps(roles, firm):
    for source, target in HIGH_TECH_APPLICATION.steps:
        obj = make_application(firm)(source)
        may = {role for role, user in roles.items() if HIGH_TECH_APPLICATION.may(user, obj, target)}
        assert may == STEPPING_ROLES, (source, target)


@pytest.mark.parametrize(("source", "target"), sorted(HIGH_TECH_APPLICATION.steps))
def test_each_application_step_tells_its_next_actors_and_the_firm(
    client, roles, firm, source, target
):
    obj = make_application(firm)(source)
    after = last_notification_pk()
    application_step(obj, target, roles["staff"])
    told = assert_told(client, HIGH_TECH_APPLICATION, obj, roles, after=after)
    to_firm = next(n for n in told if n.recipient == roles["firm"])
    # The firm has no page of its applications: its link opens its enterprise page.
    assert to_firm.url.endswith(reverse("enterprises:my_enterprise"))
    if target == S.PRELIMINARY_PASSED:
        # the bureau's other staff are told (not the one who made the step)
        assert roles["staff"] not in {n.recipient for n in told}
        to_staff = next(n for n in told if n.recipient == roles["bureau_admin"])
        assert to_staff.url.endswith(
            reverse("admin:subsidies_hightechapplication_change", args=[obj.pk])
        )
    if target == S.NOT_RECOGNISED:
        assert "研发投入占比不足" in to_firm.body


def test_a_step_locks_the_application_alone(roles, firm):
    obj = make_application(firm)(S.RECOMMENDED)
    with CaptureQueriesContext(connection) as queries:
        services.high_tech_application_pass_preliminary(application=obj, acting_user=roles["staff"])
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and all('FOR UPDATE OF "subsidies_hightechapplication"' in sql for sql in locks)
