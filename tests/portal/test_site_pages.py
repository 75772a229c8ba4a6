"""Error pages, the reason behind a 403, menus that only hold what the user can open, and the
language switch that follows the person."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from portal.accounts.models import User
from tests.loans.factories import BankOfficerFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

_PROD_SCRIPT = """
import django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

translation.activate("zh-hans")
request = RequestFactory().get("/somewhere", HTTP_HOST="kjj.example.cn")
request.user = AnonymousUser()
for code, response in (
    ("400", defaults.bad_request(request, Exception("bad"))),
    ("403", defaults.permission_denied(request, PermissionDenied("为局内工作人员所设"))),
    ("404", defaults.page_not_found(request, Http404("x"))),
    ("500", defaults.server_error(request)),
):
    body = response.content.decode()
    styled = "/static/portal/site." in body
    print(code, response.status_code, f'data-error="{code}"' in body, styled)
    print("BODY", code, body.replace("\\n", " "))
"""


def test_error_pages_render_in_production_settings(tmp_path):
    """The four pages render on production settings (DEBUG off, hashed static files) in the
    site's look, in Chinese."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "ALLOWED_HOSTS": "kjj.example.cn",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROD_SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for code in ("400", "403", "404", "500"):
        assert f"{code} {code} True True" in lines
    bodies = {line.split(" ", 2)[1]: line for line in lines if line.startswith("BODY ")}
    assert "为局内工作人员所设" in bodies["403"]  # the reason given is shown
    assert "页面不存在" in bodies["404"]
    assert "服务器" in bodies["500"] or "出错" in bodies["500"]
    assert "Traceback" not in result.stdout


def test_a_missing_page_is_the_sites_404_not_a_url_listing(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error="404"' in body
    assert "urlpatterns" not in body and "Raised by" not in body


def test_a_bank_officer_on_the_dashboard_is_told_why_not_sent_to_a_login_page(client):
    officer = BankOfficerFactory()
    client.force_login(officer)
    response = client.get(reverse("statistics:dashboard"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-error="403"' in body
    assert 'class="reason"' in body
    assert "/admin/login/" not in response.get("Location", "")


def test_an_anonymous_visitor_on_the_dashboard_is_sent_to_the_sites_login(client):
    response = client.get(reverse("statistics:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _nav_links(html: str) -> list[str]:
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S)
    assert nav is not None
    return [href for href in re.findall(r'href="([^"]+)"', nav.group(1)) if href.startswith("/")]


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: EnterpriseUserFactory(link_status=User.LinkStatus.PENDING),
        lambda: EnterpriseUserFactory(link_status=User.LinkStatus.REJECTED),
        lambda: BankOfficerFactory(link_status=User.LinkStatus.PENDING),
        lambda: EnterpriseUserFactory(),
        lambda: BankOfficerFactory(),
        lambda: StaffFactory(),
        lambda: UserFactory(),
    ],
    ids=["pending-firm", "rejected-firm", "pending-bank", "firm", "bank", "staff", "no-role"],
)
def test_every_menu_link_opens_for_the_user_who_sees_it(client, make_user):
    user = make_user()
    client.force_login(user)
    links = _nav_links(client.get(reverse("home")).content.decode())
    assert links
    for href in links:
        status = client.get(href).status_code
        assert status in (200, 302), f"{href} answers {status} in {user}'s menu"


def test_a_pending_firm_sees_no_organisation_links(client):
    user = EnterpriseUserFactory(link_status=User.LinkStatus.PENDING)
    client.force_login(user)
    links = _nav_links(client.get(reverse("home")).content.decode())
    assert reverse("link_pending") in links
    for name in ("subsidies:my_claims", "enterprises:my_enterprise", "loans:home"):
        assert reverse(name) not in links


def test_the_language_switch_is_on_every_page_and_kept_on_the_account(client):
    user = EnterpriseUserFactory()
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in home
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    # Another browser (no cookie, a Chinese Accept-Language) still gets the person's choice.
    client.cookies.clear()
    client.force_login(user)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()


def test_the_language_switch_is_in_the_admin_header(client):
    client.force_login(StaffFactory())
    page = client.get(reverse("admin:index")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert "portal/admin" in page  # the site's colours


def test_an_unknown_language_is_not_kept(client):
    user = EnterpriseUserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == ""


def test_the_footer_shows_the_registration_numbers_from_settings(client, settings):
    settings.SITE_ICP_NUMBER = "渝ICP备12345678号"
    settings.SITE_GOVERNMENT_CODE = "5001120001"
    page = client.get(reverse("home")).content.decode()
    assert "渝ICP备12345678号" in page and "5001120001" in page
