"""People's names: 周婷 (family name first, no space), "Ada Lovelace", else the username.

The rule lives in User.get_full_name; timelines, sign-offs, emails and the admin show it.
"""

import pytest
from django.urls import reverse

from loans import services as loan_services
from loans.models import LoanStatus
from portal.accounts import services as account_services
from portal.accounts.models import User
from tests.loans.factories import BankFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "full", "short"),
    [
        ("婷", "周", "周婷", "周婷"),
        ("晓梅", "李", "李晓梅", "李晓梅"),
        (" 婷 ", " 周 ", "周婷", "周婷"),
        ("王芳", "", "王芳", "王芳"),  # the sign-up form keeps the whole name in first_name
        ("Ada", "Lovelace", "Ada Lovelace", "Ada"),
        ("Ada", "", "Ada", "Ada"),
        ("", "", "", ""),
    ],
)
def test_full_and_short_name(first, last, full, short):
    user = User(username="someone", first_name=first, last_name=last)
    assert user.get_full_name() == full
    assert user.get_short_name() == short
    assert user.display_name == str(user) == (full or "someone")


def test_a_loan_timeline_names_the_actor_family_name_first_for_the_bureau_only(client):
    """The bureau reads 周婷; the firm reads the bureau, never an officer's name (the
    timeline rule decided once in common.workflow.acting_party)."""
    loan = loan_in(LoanStatus.SUBMITTED)
    firm = EnterpriseUserFactory(enterprise=loan.enterprise)
    staff = StaffFactory(first_name="婷", last_name="周")
    loan_services.loan_application_forward(application=loan, acting_user=staff, bank=BankFactory())

    client.force_login(firm)
    page = client.get(reverse("loans:application_detail", args=[loan.pk])).content.decode()
    assert "区科技局" in page
    assert "周婷" not in page and "婷 周" not in page

    client.force_login(
        StaffFactory(username="colleague")
    )  # not the actor (the header names the reader)
    admin_page = client.get(
        reverse("admin:loans_loanapplication_change", args=[loan.pk])
    ).content.decode()
    assert "周婷" in admin_page
    assert "婷 周" not in admin_page


def test_a_timeline_falls_back_to_the_username_for_the_bureau(client):
    loan = loan_in(LoanStatus.SUBMITTED)
    staff = StaffFactory(username="kjj_handler", first_name="", last_name="")
    loan_services.loan_application_forward(application=loan, acting_user=staff, bank=BankFactory())

    client.force_login(StaffFactory(username="colleague"))
    admin_page = client.get(
        reverse("admin:loans_loanapplication_change", args=[loan.pk])
    ).content.decode()
    assert "kjj_handler" in admin_page


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("晓梅", "李", "李晓梅"), ("Ada", "Lovelace", "Ada Lovelace"), ("", "", "applicant@x.cn")],
)
def test_the_link_email_greets_by_name(
    mailoutbox, django_capture_on_commit_callbacks, first, last, shown
):
    user = EnterpriseUserFactory(
        username="applicant@x.cn",
        email="applicant@x.cn",
        first_name=first,
        last_name=last,
        link_status=User.LinkStatus.PENDING,
    )
    from common.models import Notification
    from common.notifications import notification_send

    with django_capture_on_commit_callbacks(execute=False):
        account_services.user_link_approve(user=user, acting_user=StaffFactory())
    notification_send(notification_id=Notification.objects.get(recipient=user).pk)
    [message] = mailoutbox
    first_line = message.body.splitlines()[0]
    assert shown in first_line
    assert "晓梅 李" not in message.body


def test_the_user_admin_lists_the_full_name(client, admin_user):
    StaffFactory(first_name="婷", last_name="周")
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "周婷" in page
