"""The treasury file of a payment batch (DESIGN §5): its name, headers, amounts in yuan as
numbers, the 合计 row, the payee of a carrier's award, and a batch refused while a payee
has no bank account."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from enterprises.models import Enterprise
from subsidies import services
from subsidies.models import PaymentBatch, Programme, SubsidyClaim
from tests.enterprises.factories import HighTechCertificateFactory
from tests.subsidies.factories import YEAR, policy
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
HEADERS = [
    "序号",
    "收款单位",
    "统一社会信用代码",
    "开户银行",
    "银行账号",
    "金额(元)",
    "补贴项目",
    "申请编号",
]


@pytest.fixture
def rent_approved(actors):
    rent_ready(actors)
    return advance(actors, rent_claim(actors), S.APPROVED)


@pytest.fixture
def carrier_award_approved(actors):
    from tests.incubators.factories import TenancyFactory

    policy(Programme.CARRIER_HTE)
    tenancy = TenancyFactory(incubator=actors.incubator, moved_in_on=dt.date(YEAR - 1, 1, 1))
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 4, 1))
    claim = services.subsidy_claim_draft(
        programme=Programme.CARRIER_HTE,
        year=YEAR,
        incubator=actors.incubator,
        acting_user=actors.operator,
    )
    services.subsidy_claim_submit(claim=claim, acting_user=actors.operator)
    return advance(actors, claim, S.APPROVED)


def _rows(content: bytes) -> tuple[list[list], object]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)], sheet


@pytest.mark.xdist_group("demo")  # with the other tests reading the demo: seeded once
def test_treasury_file_of_a_demo_batch_has_the_headers_yuan_amounts_and_total(seeded_demo):
    batch = PaymentBatch.objects.filter(status=PaymentBatch.Status.PAID).order_by("pk").first()
    claims = list(batch.claims.select_related("enterprise", "incubator__operator").order_by("pk"))
    assert claims

    rows, sheet = _rows(services.payment_batch_xlsx(batch))

    assert rows[0] == HEADERS
    body, total_row = rows[1:-1], rows[-1]
    assert len(body) == len(claims)
    for number, (row, claim) in enumerate(zip(body, claims, strict=True), start=1):
        payee = services.payee_of(claim)
        assert row[0] == number
        assert row[1:5] == [payee.name, payee.uscc, payee.bank_name, payee.bank_account]
        assert row[4].isdigit()
        # A number in yuan, not text in 万元.
        assert isinstance(row[5], float | int)
        assert Decimal(str(row[5])).quantize(Decimal("0.01")) == claim.approved_amount
        assert row[7] == str(claim.pk)
    assert total_row[0] == "合计"
    expected = sum(c.approved_amount for c in claims)
    assert Decimal(str(total_row[5])).quantize(Decimal("0.01")) == expected
    for cell in [sheet.cell(row=r, column=6) for r in range(2, len(rows) + 1)]:
        assert cell.number_format == "#,##0.00"


def test_admin_download_is_named_for_the_batch_and_the_export_day(actors, client, rent_approved):
    batch = services.payment_batch_create(number="2026-07", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent_approved], acting_user=actors.finance)
    services.payment_batch_export(batch=batch, acting_user=actors.finance)
    client.force_login(actors.finance)

    response = client.get(reverse("admin:subsidies_paymentbatch_sheet", args=[batch.pk]))

    assert response.status_code == 200
    day = timezone.localdate().strftime("%Y%m%d")
    # RFC 6266: the UTF-8 name, percent-encoded.
    from urllib.parse import quote

    assert quote(f"付款清单-2026-07-{day}.xlsx") in response["Content-Disposition"]
    rows, _sheet = _rows(response.content)
    assert rows[1][5] == float(rent_approved.approved_amount)
    assert rows[1][6] == "房租补贴"


def test_a_payee_without_an_account_stops_the_export_and_is_named(actors, rent_approved):
    firm = rent_approved.enterprise
    Enterprise.objects.filter(pk=firm.pk).update(bank_name="", bank_account="")
    batch = services.payment_batch_create(number="2026-08", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent_approved], acting_user=actors.finance)

    with pytest.raises(ValidationError) as caught:
        services.payment_batch_export(batch=batch, acting_user=actors.finance)

    assert firm.name in str(caught.value) and firm.uscc in str(caught.value)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.OPEN and batch.exported_at is None


def test_admin_export_action_names_the_payee_and_changes_nothing(actors, client, rent_approved):
    firm = rent_approved.enterprise
    Enterprise.objects.filter(pk=firm.pk).update(bank_account="")
    batch = services.payment_batch_create(number="2026-09", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[rent_approved], acting_user=actors.finance)
    client.force_login(actors.finance)

    response = client.post(
        reverse("admin:subsidies_paymentbatch_changelist"),
        {"action": "export_xlsx", "_selected_action": [batch.pk]},
        follow=True,
    )

    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert firm.name in body
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.OPEN
    rent_approved.refresh_from_db()
    assert rent_approved.status == S.IN_BATCH


def test_a_carriers_award_is_paid_to_its_operating_company(actors, carrier_award_approved):
    claim = carrier_award_approved
    operator = claim.incubator.operator
    batch = services.payment_batch_create(number="2026-10", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[claim], acting_user=actors.finance)

    rows, _sheet = _rows(services.payment_batch_export(batch=batch, acting_user=actors.finance))

    assert rows[1][1:5] == [
        operator.name,
        operator.uscc,
        operator.bank_name,
        operator.bank_account,
    ]


def test_file_name_keeps_only_characters_a_file_may_hold():
    batch = PaymentBatch(number="2026/11:a", exported_at=dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC))
    # 17:00 UTC on 1 March is 2 March 01:00 in Chongqing: the local day names the file.
    assert services.payment_batch_file_name(batch) == "付款清单-2026_11_a-20260302.xlsx"
