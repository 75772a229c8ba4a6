"""Staff make an account an auditor in the user admin by choosing its audit firm."""

import pytest
from django.urls import reverse

from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.portal.factories import StaffFactory, UserFactory
from tests.portal.test_accounts_operators import _post
from tests.subsidies.factories import AuditFirmFactory, AuditorFactory

pytestmark = pytest.mark.django_db


def test_staff_link_an_account_to_an_audit_firm_and_it_opens_the_desk(client):
    staff = StaffFactory()
    client.force_login(staff)
    user = UserFactory()
    firm = AuditFirmFactory()
    assert _post(client, user, audit_firm=firm.pk).status_code == 302
    user.refresh_from_db()
    assert (user.organisation_kind, user.organisation) == (User.OrganisationKind.AUDIT_FIRM, firm)
    assert user.link_status == User.LinkStatus.APPROVED and user.link_decided_by == staff
    client.force_login(user)
    assert client.get(reverse("subsidies:audits")).status_code == 200


def test_a_staff_or_carrier_account_cannot_join_an_audit_firm(client):
    from tests.incubators.factories import OperatorFactory

    # Only the bureau admin may change a bureau account at all (tests/portal/test_bureau_roles.py).
    client.force_login(StaffFactory(roles=[Role.BUREAU_ADMIN]))
    colleague = StaffFactory()
    response = _post(client, colleague, audit_firm=AuditFirmFactory().pk, is_staff="on")
    assert response.context["adminform"].form.has_error("audit_firm")
    client.force_login(StaffFactory())
    operator = OperatorFactory()
    response = _post(client, operator, audit_firm=AuditFirmFactory().pk)
    assert response.context["adminform"].form.has_error("audit_firm")
    operator.refresh_from_db()
    assert operator.audit_firm is None


def test_an_auditor_keeps_a_firm(client):
    client.force_login(StaffFactory())
    auditor = AuditorFactory()
    response = _post(client, auditor, audit_firm="")
    assert response.context["adminform"].form.has_error("audit_firm")
    other = AuditFirmFactory()
    assert _post(client, auditor, audit_firm=other.pk).status_code == 302
    auditor.refresh_from_db()
    assert auditor.audit_firm == other
