"""Bank name and account: registry fields of the payee, kept by the firm on its page and by
staff in admin, imported with the enterprise list when its optional columns are there."""

import pytest
from django.urls import reverse

from common.lib import bank
from enterprises.models import Enterprise
from enterprises.resources import EnterpriseResource
from tests.enterprises.factories import EnterpriseFactory
from tests.enterprises.test_resources import (
    CODE_A,
    csv_bytes,
    enterprise_rows,
    import_bytes,
    xlsx_bytes,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db
BASE = [h for h in EnterpriseResource.headers() if h not in ("开户银行", "银行账号")]
WITH_BANK = [*BASE, "开户银行", "银行账号"]


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("6222 0212 3456 7890 123", "6222021234567890123"),
        ("３１００－１２３４－５６７８", "310012345678"),
        ("12345678", "12345678"),
        ("1234567", "length"),
        ("1" * 33, "length"),
        ("6222O21234567890", "digits"),
        ("١٢٣٤٥٦٧٨٩", "digits"),  # other scripts' digits are not the treasury's
    ],
)
def test_account_numbers_are_digits_of_a_bank_length(text, result):
    try:
        assert bank.validate(text) == result
    except bank.BankAccountError as exc:
        assert exc.code == result


def test_the_firm_keeps_its_bank_account_on_its_page(client):
    user = EnterpriseUserFactory()
    client.force_login(user)
    data = {"contact_person": "赵六", "contact_phone": "023-67881234"}

    bad = {**data, "bank_name": "重庆银行", "bank_account": "12AB"}
    refused = client.post(reverse("enterprises:contact_edit"), bad)
    assert refused.status_code == 200
    assert refused.context["form"].has_error("bank_account")
    user.enterprise.refresh_from_db()
    assert user.enterprise.bank_name != "重庆银行"

    half = client.post(reverse("enterprises:contact_edit"), {**data, "bank_account": "12345678"})
    assert half.context["form"].has_error("bank_name")

    saved = client.post(
        reverse("enterprises:contact_edit"),
        {**data, "bank_name": " 重庆银行江北支行 ", "bank_account": "3100 1234 5678 9012 345"},
    )
    assert saved.status_code == 302
    user.enterprise.refresh_from_db()
    assert (user.enterprise.bank_name, user.enterprise.bank_account) == (
        "重庆银行江北支行",
        "3100123456789012345",
    )
    page = client.get(reverse("enterprises:my_enterprise")).content.decode()
    assert "3100123456789012345" in page


def test_staff_edit_the_bank_account_in_admin_and_bad_digits_are_refused(client):
    firm = EnterpriseFactory()
    client.force_login(StaffFactory())
    url = reverse("admin:enterprises_enterprise_change", args=[firm.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data = {k: getattr(v, "pk", v) for k, v in data.items()}
    for prefix in ("registrations", "certificates", "annual_figures"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})

    response = client.post(url, {**data, "bank_account": "31OO-1234"})
    assert response.status_code == 200
    assert "bank_account" in response.context["adminform"].form.errors
    firm.refresh_from_db()
    assert firm.bank_account != "31OO-1234"

    saved = client.post(url, {**data, "bank_name": "重庆银行", "bank_account": "3100 1234 5678"})
    assert saved.status_code == 302
    firm.refresh_from_db()
    assert (firm.bank_name, firm.bank_account) == ("重庆银行", "310012345678")


def test_enterprise_list_with_bank_columns_sets_them_and_one_without_leaves_them():
    rows = [[*row, "重庆银行江北支行", "3100 1234 5678 9012 345"] for row in enterprise_rows()]
    outcome = import_bytes(EnterpriseResource, csv_bytes(WITH_BANK, rows))
    assert not outcome.refused, outcome.messages()
    firm = Enterprise.objects.get(uscc=CODE_A)
    assert (firm.bank_name, firm.bank_account) == ("重庆银行江北支行", "3100123456789012345")

    changed = [[*row[:10], "新联系人", *row[11:]] for row in enterprise_rows()]
    outcome = import_bytes(EnterpriseResource, xlsx_bytes(BASE, changed))
    assert not outcome.refused, outcome.messages()
    firm.refresh_from_db()
    assert firm.contact_person == "新联系人"
    assert (firm.bank_name, firm.bank_account) == ("重庆银行江北支行", "3100123456789012345")


def test_exported_list_carries_the_bank_columns_and_imports_back_unchanged():
    EnterpriseFactory(bank_name="重庆银行江北支行", bank_account="3100123456789012345")
    dataset = EnterpriseResource().export()
    assert dataset.headers[-2:] == ["开户银行", "银行账号"]
    assert dataset[0][-1] == "3100123456789012345"  # text, never a number losing digits

    outcome = import_bytes(EnterpriseResource, dataset.export("xlsx"))
    assert not outcome.refused, outcome.messages()
    assert (outcome.new, outcome.updated) == (0, 0)


@pytest.mark.parametrize(
    ("bank_name", "account", "message"),
    [
        ("重庆银行", "12AB5678", "第 2 行「银行账号」：银行账号只能由数字组成"),
        ("重庆银行", "1234", "第 2 行「银行账号」：银行账号应为 8 至 32 位数字"),
        ("", "12345678", "第 2 行「开户银行」：填写了银行账号，但未填写开户银行"),
        ("重庆银行", "", "第 2 行「银行账号」：填写了开户银行，但未填写银行账号"),
        # A 19-digit account typed into a number cell has lost its last digits.
        ("重庆银行", 6222021234567890123.0, "第 2 行「银行账号」：银行账号超过 15 位"),
    ],
)
def test_a_bad_bank_cell_refuses_the_list(bank_name, account, message):
    rows = [[*enterprise_rows()[0], bank_name, account]]
    outcome = import_bytes(EnterpriseResource, xlsx_bytes(WITH_BANK, rows))
    assert outcome.refused
    assert any(line.startswith(message) for line in outcome.messages()), outcome.messages()
    assert not Enterprise.objects.exists()
