"""Staff make an account a carrier operator in the user admin by choosing its carrier."""

import pytest
from django.urls import reverse

from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.incubators.factories import IncubatorFactory, OperatorFactory
from tests.portal.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _post(client, user, **changes):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [],
            "user_permissions": [],
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            **changes,
        }
    )
    return client.post(url, data)


def test_staff_link_an_account_to_a_carrier_and_it_opens_the_desk(client):
    staff = StaffFactory()
    client.force_login(staff)
    user = UserFactory()
    incubator = IncubatorFactory()

    response = _post(client, user, incubator=incubator.pk)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.organisation_kind == User.OrganisationKind.INCUBATOR
    assert user.organisation == incubator
    assert user.link_status == User.LinkStatus.APPROVED and user.link_decided_by == staff
    client.force_login(user)
    desk = client.get(reverse("incubators:home"))
    assert desk["Location"] == reverse("incubators:dashboard", args=[incubator.pk])


def test_a_staff_account_cannot_operate_a_carrier(client):
    # Only the bureau admin may change a bureau account at all (test_bureau_roles.py).
    client.force_login(StaffFactory(roles=[Role.BUREAU_ADMIN]))
    colleague = StaffFactory()
    response = _post(client, colleague, incubator=IncubatorFactory().pk, is_staff="on")
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("incubator")
    colleague.refresh_from_db()
    assert colleague.incubator is None


def test_an_operator_keeps_a_carrier(client):
    client.force_login(StaffFactory())
    operator = OperatorFactory()
    response = _post(client, operator, incubator="")
    assert response.context["adminform"].form.has_error("incubator")
    other = IncubatorFactory()
    assert _post(client, operator, incubator=other.pk).status_code == 302
    operator.refresh_from_db()
    assert operator.incubator == other


def test_changelist_names_the_carrier(client):
    client.force_login(StaffFactory())
    operator = OperatorFactory()
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert operator.incubator.name in response.content.decode()
