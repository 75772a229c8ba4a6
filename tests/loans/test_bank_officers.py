"""Staff make an account a bank officer by choosing its bank in the user admin."""

import pytest
from django.urls import reverse

from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.loans.factories import BankFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def change_data(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "phone": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "groups": [str(g.pk) for g in user.groups.all()],
    }
    return data | overrides


def test_staff_link_an_account_to_a_bank_and_end_it(client):
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    user = UserFactory()
    bank = BankFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, change_data(user, bank=str(bank.pk)))
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.organisation_kind, user.bank, user.link_status) == ("bank", bank, "approved")
    assert user.has_role(Role.BANK_OFFICER)
    assert user.link_decided_by == admin
    client.force_login(user)
    assert client.get(reverse("loans:bank_desk")).status_code == 200

    client.force_login(admin)
    response = client.post(url, change_data(user, bank=""))
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.organisation_kind, user.bank, user.link_status) == ("", None, "")
    assert not user.has_role(Role.BANK_OFFICER)


def test_enterprise_account_cannot_become_a_bank_officer(client):
    client.force_login(StaffFactory(is_superuser=True))
    user = EnterpriseUserFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = change_data(user, bank=str(BankFactory().pk), enterprise=str(user.enterprise_id))
    response = client.post(url, data)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.bank is None and user.organisation_kind == "enterprise"


def test_staff_accounts_cannot_become_bank_officers():
    from django.core.exceptions import PermissionDenied, ValidationError

    from portal.accounts import services

    with pytest.raises(ValidationError):
        services.user_bank_link(
            user=StaffFactory(), bank=BankFactory(), acting_user=StaffFactory(is_superuser=True)
        )
    with pytest.raises(PermissionDenied):
        services.user_bank_link(user=UserFactory(), bank=BankFactory(), acting_user=UserFactory())
