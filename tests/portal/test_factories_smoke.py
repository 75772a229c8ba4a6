import pytest

from portal.accounts.roles import Role
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_permissions():
    staff = StaffFactory()
    assert staff.has_role(Role.BUREAU_STAFF)
    assert staff.has_perm("enterprises.change_enterprise")
    assert not staff.has_perm("accounts.delete_user")


def test_enterprise_user_belongs_to_its_enterprise():
    user = EnterpriseUserFactory()
    assert user.organisation == user.enterprise
    assert user.link_approved
