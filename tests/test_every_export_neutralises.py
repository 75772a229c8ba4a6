"""Every file the portal writes neutralises formulas (DESIGN §5, issue 10).

The ledger exports are enumerated, not listed: every ModelAdmin on the admin site that
offers an export, in every format it offers, and every LedgerResource through
`manage.py export`. Each runs on records whose every text column the database lets hold
it carries hostile text. The portal's own files (the treasury sheet, the fund ledger, the
statistics report) are checked one by one.
"""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from html.parser import HTMLParser
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import DataError, IntegrityError, models, transaction
from django.db.models.functions import Cast, Concat, Left
from django.test import RequestFactory
from import_export.command_utils import get_default_format_names
from import_export.mixins import BaseExportMixin
from openpyxl import load_workbook

from common.exports import neutralise
from common.importing.resources import LedgerResource
from loans import services as loan_services
from loans.models import CompensationClaim, CompensationFund, LoanStatus
from portal.statistics import services as statistics_services
from portal.statistics.excel import report_workbook
from portal.statistics.lib import Period
from portal.statistics.selectors import summary_window
from subsidies import services as subsidy_services
from subsidies.models import SubsidyClaim
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import RecognitionFactory
from tests.loans.conftest import ensure_seed
from tests.loans.factories import FinanceFactory, loan_in
from tests.portal.factories import StaffFactory, UserFactory
from tests.statistics.factories import DistrictStatisticFactory
from tests.subsidies.conftest import Actors
from tests.subsidies.factories import ensure_roles
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x.example","y")'
HOSTILE = (HYPERLINK, "+1", "-x", "@SUM(A1)", "\t=cmd", "\r=cmd")
OUR_APPS = ("enterprises", "incubators", "loans", "subsidies")


# ---------------------------------------------------------------------------------- checks


def _formula_like(text: str, *, csv_rules: bool = False) -> bool:
    """Text a spreadsheet would run. In csv a negative number is written as such."""
    if text.startswith(("=", "+", "@", "\t", "\r")):
        return True
    if text.startswith("-"):
        return not (csv_rules and text[1:2].isdigit())
    return False


def xlsx_offences(content: bytes) -> list[str]:
    """Formula cells and text cells starting like a formula, in every sheet."""
    offences = []
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and _formula_like(cell.value)
                ):
                    offences.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    return offences


def csv_offences(text: str, delimiter: str = ",") -> list[str]:
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [repr(field) for row in rows for field in row if _formula_like(field, csv_rules=True)]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("td", "th"):
            self._open = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def _text_cells(title: str, content: Any) -> list[str]:
    """The text of every cell of a non-spreadsheet export (json, yaml, html)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    if title == "json":
        return [v for row in json.loads(text) for v in row.values() if isinstance(v, str)]
    if title == "html":
        parser = _Cells()
        parser.feed(text)
        return parser.cells
    raise AssertionError(f"no reader for the {title} export; add one here")


def offences(title: str, content: Any) -> list[str]:
    """What in an exported file, of the tablib format `title`, a spreadsheet would run."""
    if title == "xlsx":
        return xlsx_offences(content)
    if title in ("csv", "tsv"):
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        return csv_offences(text, "\t" if title == "tsv" else ",")
    return [repr(c) for c in _text_cells(title, content) if _formula_like(c)]


def _neutralised_somewhere(title: str, content: Any) -> bool:
    """The export carries at least one neutralised hostile value (the test is not vacuous)."""
    if title == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    elif title in ("csv", "tsv"):
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        rows = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if title == "tsv" else ",")
        cells = [field for row in rows for field in row]
    else:
        cells = _text_cells(title, content)
    return any(isinstance(c, str) and c[:1] == "'" and neutralise(c[1:]) == c for c in cells)


# ------------------------------------------------------------------------- hostile records


def _hostile_text_fields() -> int:
    """Every text column of our apps that the database lets hold it gets hostile text, one
    prefix per column in turn, made unique per row by the primary key. Returns how many."""
    done = 0
    models_ = [
        m
        for app in OUR_APPS
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]
    for model in models_:
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField) or field.choices:
                continue
            if field.primary_key or not model._default_manager.exists():
                continue
            prefix = HOSTILE[done % len(HOSTILE)]
            value = Concat(models.Value(prefix), Cast("pk", models.CharField()), output_field=field)
            if field.max_length:
                value = Left(value, field.max_length)
            try:
                with transaction.atomic():
                    model._default_manager.update(**{field.name: value})
            except (IntegrityError, DataError):
                continue  # a constraint keeps such text out of this column
            done += 1
    return done


@pytest.fixture
def hostile_records():
    """One record of every kind an official list exports, then hostile text everywhere."""
    ensure_seed()
    ensure_roles()
    actors = Actors()
    rent_ready(actors)
    advance(actors, rent_claim(actors), SubsidyClaim.Status.SUBMITTED)
    TechFirmRegistrationFactory()
    HighTechCertificateFactory()
    AnnualFiguresFactory()
    RecognitionFactory(incubator=actors.incubator)
    loan_in(LoanStatus.DISBURSED)
    ServiceVisitFactory()
    ServiceRequestFactory()
    assert _hostile_text_fields() > 20


def _export_admins() -> list[admin.ModelAdmin]:
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, BaseExportMixin)
    ]


def _ledger_resources() -> list[type[LedgerResource]]:
    for app in OUR_APPS:
        import_module(f"{app}.resources")
    found, todo = [], [LedgerResource]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [r for r in found if r.columns]


def test_the_exports_are_found():
    names = {type(m).__name__ for m in _export_admins()}
    assert {"BankAdmin", "LoanApplicationAdmin", "SubsidyClaimAdmin", "IncubatorAdmin"} <= names
    resources = {r.__name__ for r in _ledger_resources()}
    assert {"EnterpriseResource", "AnnualFiguresResource", "SubsidyLedgerResource"} <= resources


def test_every_admin_export_in_every_format_neutralises(hostile_records):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    tried = 0
    for model_admin in _export_admins():
        queryset = model_admin.get_export_queryset(request)
        assert queryset.exists(), type(model_admin).__name__
        for resource_class in model_admin.get_export_resource_classes(request):
            kwargs = model_admin.get_export_resource_kwargs(request)
            for format_class in model_admin.get_export_formats():
                file_format = format_class()
                dataset = resource_class(**kwargs).export(queryset=queryset)
                content = file_format.export_data(dataset)
                title = file_format.get_title()
                where = f"{type(model_admin).__name__} {resource_class.__name__} {title}"
                assert offences(title, content) == [], where
                assert _neutralised_somewhere(title, content), where
                tried += 1
    assert tried >= 7 * 2


@pytest.mark.parametrize("format_name", get_default_format_names().split(", "))
def test_every_ledger_resource_through_manage_py_export_neutralises(hostile_records, format_name):
    for resource in _ledger_resources():
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        dotted = f"{resource.__module__}.{resource.__name__}"
        call_command("export", format_name, dotted, stdout=out)
        out.flush()
        content = out.buffer.getvalue()
        title = format_name.lower()
        assert offences(title, content) == [], resource.__name__
        assert _neutralised_somewhere(title, content), resource.__name__


# -------------------------------------------------------------------- the portal's own files


def test_treasury_sheet_writes_a_formula_named_firm_as_text():
    ensure_roles()
    actors = Actors()
    actors.enterprise.name = HYPERLINK
    actors.enterprise.save()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), SubsidyClaim.Status.APPROVED)
    batch = subsidy_services.payment_batch_create(number="2026-01", acting_user=actors.finance)
    subsidy_services.payment_batch_add(batch=batch, claims=[claim], acting_user=actors.finance)

    content = subsidy_services.payment_batch_export(batch=batch, acting_user=actors.finance)

    assert xlsx_offences(content) == []
    sheet = load_workbook(io.BytesIO(content)).active
    # 收款单位 of the one claim (the 合计 row names no payee)
    [name] = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] != "合计"]
    assert name.startswith("'" + HYPERLINK)


@pytest.mark.parametrize("note", ["=1+1", "@SUM(A1)", "\t=cmd", "-2+3"])
def test_fund_ledger_writes_a_formula_in_a_claim_note_as_text(client, note):
    ensure_seed()
    fund = CompensationFund.objects.get()
    staff = StaffFactory()
    loan_services.fund_contribution_record(
        fund=fund, acting_user=staff, total=Decimal("10000000"), contributed_on=dt.date.today()
    )
    loan = loan_in(LoanStatus.COMPENSATION_CLAIMED)
    claim = CompensationClaim.objects.create(
        loan=loan,
        fund=fund,
        principal_loss=Decimal("600000"),
        eligible_loss=Decimal("600000"),
        amount=Decimal("480000"),
        status=CompensationClaim.Status.APPROVED,
        note=note,  # as a bank typed it; the ledger writes it whatever path it came by
    )
    loan_services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())

    client.force_login(FinanceFactory())
    response = client.post(
        "/admin/loans/compensationfund/",
        {"action": "download_ledger", "_selected_action": [str(fund.pk)], "index": "0"},
    )

    assert response.status_code == 200
    assert xlsx_offences(response.content) == []
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(3, 10).value == "'" + note  # 备注 of the 代偿 row


def test_statistics_report_has_no_formula_and_signed_changes_are_numbers():
    # October: two tech firms more, one removed; a high-tech certificate runs out.
    for day in (dt.date(2024, 10, 10), dt.date(2025, 9, 3), dt.date(2025, 10, 8)):
        TechFirmRegistrationFactory(registered_on=day)
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 10, 9))
    TechFirmRegistrationFactory(registered_on=dt.date(2024, 1, 5), removed_on=dt.date(2025, 10, 2))
    HighTechCertificateFactory(issued_on=dt.date(2024, 5, 1))
    HighTechCertificateFactory(issued_on=dt.date(2022, 10, 20))
    DistrictStatisticFactory(year=2024)
    EnterpriseFactory(name="=1+1")
    statistics_services.monthly_summary_backfill(first=Period(2024, 10), last=Period(2025, 10))
    summary = statistics_services.monthly_summary_compute(period=Period(2025, 10), force=True)

    content = report_workbook(summary_window(summary=summary))

    assert xlsx_offences(content) == []
    headline = load_workbook(io.BytesIO(content)).worksheets[0]
    changes = [row[2] for row in headline.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(c, int | float) and c > 0 for c in changes)
    assert any(isinstance(c, int | float) and c < 0 for c in changes)
