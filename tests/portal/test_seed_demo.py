"""`manage.py seed_demo`: a believable registry, one login per role, safe to run twice."""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from common.lib import uscc
from enterprises.models import AnnualFigures, Enterprise, HighTechCertificate, TechFirmRegistration
from portal import demo
from portal.accounts.models import User
from portal.accounts.roles import Role

# Run with the other tests reading the demo, on one worker: the demo is seeded once for them.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    """Rows of every table of ours, history tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for app_label in ("accounts", "enterprises", "auth")
        for model in apps.get_app_config(app_label).get_models()
    } | {"user_groups": User.groups.through.objects.count()}


def test_seed_demo_twice_creates_the_demo_once(seeded_demo):
    first = _row_counts()
    output = _seed()
    assert _row_counts() == first
    assert "created 0 enterprises" in output


def test_seed_demo_creates_about_200_enterprises_with_valid_codes(seeded_demo):
    codes = list(Enterprise.objects.values_list("uscc", flat=True))
    assert 190 <= len(codes) <= 210
    assert all(uscc.is_valid(code) for code in codes)
    assert all(code.startswith("91500105") for code in codes)  # Jiangbei district
    names = list(Enterprise.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    assert all(name.startswith("重庆") and name.endswith("有限公司") for name in names)
    assert Enterprise.objects.values("street").distinct().count() >= 10
    assert Enterprise.objects.values("industry").distinct().count() >= 7
    assert Enterprise.objects.exclude(listing="unlisted").exists()


def test_seed_demo_covers_registrations_certificates_and_figures(seeded_demo):
    today = timezone.localdate()
    assert Enterprise.objects.registered_on(today).count() >= 80
    assert TechFirmRegistration.objects.filter(removed_on__isnull=False).exists()
    valid = HighTechCertificate.objects.valid_on(today)
    assert valid.count() >= 30
    assert valid.filter(expires_on__lte=today + dt.timedelta(days=90)).exists()
    assert HighTechCertificate.objects.filter(expires_on__lte=today).exists()
    assert HighTechCertificate.objects.filter(kind="renewal").exists()
    assert all(
        number.startswith("GR") and number[6:8] == "50"
        for number in HighTechCertificate.objects.values_list("number", flat=True)
    )
    assert set(AnnualFigures.objects.values_list("year", flat=True)) == {2023, 2024, 2025}
    # Every write left an audit record naming the demo bureau admin.
    admin = User.objects.get(username="admin")
    assert not Enterprise.history.exclude(history_user=admin).exists()
    assert AnnualFigures.history.count() >= AnnualFigures.objects.count()


def test_seed_demo_creates_one_login_per_role_and_prints_them(seeded_demo):
    output = seeded_demo
    for role in Role:
        # Each of the two demo partner banks has its officer (portal.demo_loans).
        expected = 2 if role == Role.BANK_OFFICER else 1
        assert User.objects.filter(groups__name=role.value).count() == expected, role
    for login in demo.LOGINS:
        assert login.username in output
        assert login.role.value in output
    assert demo.DEMO_PASSWORD in output
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="staff").is_staff
    assert not User.objects.get(username="bank").is_staff


def test_demo_enterprise_user_logs_in_and_opens_my_enterprise(seeded_demo, client):
    response = client.post(
        "/accounts/login/", {"username": "enterprise", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    response = client.get("/enterprise/")
    assert response.status_code == 200
    user = User.objects.get(username="enterprise")
    assert user.link_approved
    assert user.enterprise.name == demo.DEMO_FIRM_NAME
    assert demo.DEMO_FIRM_NAME in response.content.decode()
