"""History is read-only for everyone: every admin's version page
(`/admin/<app>/<model>/<pk>/history/<history_id>/`) shows what a record was, offers no button
that saves, and answers a POST (django-simple-history's "revert") with 405, changing nothing.
And a view permission never lets an admin form or action save.

The admins come from `admin.site`, so a new admin joins these tests by itself; its records
come from a factory in tests/<app>/factories.py named after the model (or a row already in
the table, such as the data migrations' seeds).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from decimal import Decimal
from typing import Any

import factory
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

import tests
from common.admin import ReadOnlyHistoryAdmin
from enterprises.models import Enterprise
from subsidies.models import Programme, SubsidyPolicy
from tests.enterprises.factories import AnnualFiguresFactory, EnterpriseFactory
from tests.incubators.factories import TenancyFactory
from tests.loans.factories import FinanceFactory
from tests.portal.factories import UserFactory
from tests.subsidies.factories import policy

pytestmark = pytest.mark.django_db

HISTORY_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ReadOnlyHistoryAdmin)
    ),
    key=lambda pair: pair[0]._meta.label,
)
# Every button of an admin form that saves (the change form's and simple-history's).
SAVE_BUTTONS = ("_save", "_continue", "_addanother", "_saveasnew", "_change_history")


def _factories() -> dict[type[models.Model], type[factory.django.DjangoModelFactory]]:
    """Each model's factory from tests/<app>/factories.py: the one named `<Model>Factory`,
    else the first one of that model (LoanFactory)."""
    found: dict[type[models.Model], type[factory.django.DjangoModelFactory]] = {}
    for package in pkgutil.iter_modules(tests.__path__):
        try:
            module = importlib.import_module(f"tests.{package.name}.factories")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, factory.django.DjangoModelFactory):
                continue
            model = cls._meta.model
            if model is not None and (name == f"{model.__name__}Factory" or model not in found):
                found[model] = cls
    return found


FACTORIES = _factories()


def a_record(model: type[models.Model]) -> models.Model | None:
    """A row already in the table (a data migration's seed), else one from the factory."""
    record = model._default_manager.order_by("pk").first()
    if record is None and model in FACTORIES:
        record = FACTORIES[model]()
    return record


def a_version_of(model: type[models.Model]) -> tuple[models.Model, Any]:
    """A record of `model` and its latest history version."""
    record = a_record(model)
    if record is None:
        pytest.fail(
            f"{model._meta.label} has a history admin but no factory: add "
            f"{model.__name__}Factory to tests/<app>/factories.py"
        )
    history = getattr(record, model._meta.simple_history_manager_attribute)
    if not history.exists():
        record.save()  # a row seeded by a data migration has no version yet
    return record, history.first()


def version_url(model: type[models.Model], record: models.Model, version: Any) -> str:
    opts = model._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[record.pk, version.history_id],
    )


def state(model: type[models.Model], record: models.Model) -> tuple[dict, int]:
    """The record's columns and how many versions the model has."""
    row = model._default_manager.filter(pk=record.pk).values().get()
    history = getattr(model, model._meta.simple_history_manager_attribute)
    return row, history.count()


def revert_body(version: Any) -> dict[str, Any]:
    """What simple-history's revert form would post: the version's values and "save"."""
    body = {
        name: "" if value is None else value
        for name, value in model_to_dict(version.instance).items()
        if not isinstance(value, list | dict | FieldFile)
    }
    return {**body, "_save": "1"}


def assert_no_save_button(html: str) -> None:
    for name in SAVE_BUTTONS:
        assert f'name="{name}"' not in html, name


def _label(pair: tuple[type[models.Model], Any]) -> str:
    return pair[0]._meta.label


def test_every_admin_with_history_pages_has_read_only_history():
    plain = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
        and not isinstance(model_admin, ReadOnlyHistoryAdmin)
    ]
    assert plain == []
    assert len(HISTORY_ADMINS) > 30  # the read-only admins were found


@pytest.mark.parametrize("pair", HISTORY_ADMINS, ids=_label)
def test_a_history_version_never_saves_for_a_superuser(client, pair):
    model, _model_admin = pair
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    record, version = a_version_of(model)
    url = version_url(model, record, version)
    page = client.get(url)
    assert page.status_code == 200
    assert_no_save_button(page.content.decode())
    before = state(model, record)
    response = client.post(url, revert_body(version))
    assert response.status_code == 405
    assert state(model, record) == before


@pytest.mark.parametrize("pair", HISTORY_ADMINS, ids=_label)
def test_a_history_version_never_saves_for_finance(client, pair):
    """Finance views some records and none of their versions saves; the rest stay closed."""
    model, _model_admin = pair
    client.force_login(FinanceFactory())
    record, version = a_version_of(model)
    url = version_url(model, record, version)
    page = client.get(url)
    assert page.status_code in (200, 403)
    assert_no_save_button(page.content.decode())
    before = state(model, record)
    response = client.post(url, revert_body(version))
    assert response.status_code == 405
    assert state(model, record) == before


def test_finance_cannot_raise_a_policy_through_its_history(client):
    """The issue's case: rate 0.1 → 1, cap → 99,999,999, budget → 999,999,999."""
    rule = policy(Programme.RD_INVESTMENT)
    rule.save()  # the seeded row's first version
    original = rule.history.first()
    rule.rate, rule.cap = Decimal("1"), Decimal("99999999")
    rule.yearly_budget = Decimal("999999999")
    rule.save()  # a later version with the raised values (as if staff had typed them)
    rule.rate, rule.cap, rule.yearly_budget = original.rate, original.cap, original.yearly_budget
    rule.save()
    raised = rule.history.filter(rate=Decimal("1")).get()
    finance = FinanceFactory()
    assert finance.has_perm("subsidies.view_subsidypolicy")
    assert not finance.has_perm("subsidies.change_subsidypolicy")
    client.force_login(finance)
    url = version_url(SubsidyPolicy, rule, raised)
    page = client.get(url)
    assert page.status_code == 200
    assert_no_save_button(page.content.decode())
    response = client.post(url, revert_body(raised))
    assert response.status_code == 405
    rule.refresh_from_db()
    assert (rule.rate, rule.cap, rule.yearly_budget) == (
        original.rate,
        original.cap,
        original.yearly_budget,
    )


# ------------------------------------------------- a view permission never lets a form save

OUR_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.split(".")[0]
        in ("common", "enterprises", "incubators", "loans", "subsidies", "portal")
    ),
    key=_label,
)


def view_only(model: type[models.Model]) -> Any:
    """A bureau account holding nothing but the view permission on `model`."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(model),
            codename=f"view_{model._meta.model_name}",
        )
    )
    return type(user).objects.get(pk=user.pk)  # without the cached permissions


@pytest.mark.parametrize("pair", OUR_ADMINS, ids=_label)
def test_a_view_only_user_is_offered_no_action_that_writes(rf, pair):
    """An action without `permissions=[...]` is offered to whoever sees the list."""
    model, model_admin = pair
    request = rf.get("/")
    request.user = view_only(model)
    offered = model_admin.get_actions(request)
    writing = [
        name
        for name, (func, _name, _description) in offered.items()
        if tuple(getattr(func, "allowed_permissions", ())) != ("view",)
    ]
    assert writing == []


@pytest.mark.parametrize("pair", OUR_ADMINS, ids=_label)
def test_a_view_only_user_cannot_save_any_admin_form(client, pair):
    """Django's own rule (POST needs add, change or delete), held for every admin, custom
    forms and saves included. A model without rows or factory is tried on its add form."""
    model, _model_admin = pair
    record = a_record(model)
    client.force_login(view_only(model))
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = [reverse(f"{info}_add")]
    body: dict[str, Any] = {"post": "yes", "_save": "1"}
    if record is not None:
        urls += [reverse(f"{info}_change", args=[record.pk])]
        urls += [reverse(f"{info}_delete", args=[record.pk])]
        body.update(
            (name, "" if value is None else value)
            for name, value in model_to_dict(record).items()
            if not isinstance(value, list | dict | FieldFile)
        )
        before = model._default_manager.filter(pk=record.pk).values().get()
    rows = model._default_manager.count()
    for url in urls:
        assert client.post(url, body).status_code == 403, url
    assert model._default_manager.count() == rows
    if record is not None:
        assert model._default_manager.filter(pk=record.pk).values().get() == before


@pytest.mark.parametrize(
    ("build", "changelist", "action", "unchanged"),
    [
        (
            lambda: AnnualFiguresFactory(locked=True),
            "admin:enterprises_annualfigures_changelist",
            "unlock_selected",
            lambda figures: figures.locked,
        ),
        (
            lambda: EnterpriseFactory(status=Enterprise.Status.PENDING),
            "admin:enterprises_enterprise_changelist",
            "activate_selected",
            lambda firm: firm.status == Enterprise.Status.PENDING,
        ),
        (
            lambda: TenancyFactory(),
            "admin:incubators_tenancy_changelist",
            "move_out_today",
            lambda tenancy: tenancy.moved_out_on is None,
        ),
    ],
    ids=["unlock figures", "activate a firm", "move a tenant out"],
)
def test_finance_runs_no_action_on_records_it_may_only_view(
    client, build, changelist, action, unchanged
):
    record = build()
    finance = FinanceFactory()
    assert finance.has_perm(f"{record._meta.app_label}.view_{record._meta.model_name}")
    client.force_login(finance)
    client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [record.pk], "index": "0"},
    )
    record.refresh_from_db()
    assert unchanged(record)


def test_a_version_page_shows_values_as_text_not_as_inputs(admin_client):
    """Nothing on a version page looks editable: its fields are read-only text."""
    rule = policy(Programme.RD_INVESTMENT)
    rule.save()
    version = rule.history.first()
    html = admin_client.get(version_url(SubsidyPolicy, rule, version)).content.decode()
    for field in ("rate", "cap", "yearly_budget", "name"):
        assert f'name="{field}"' not in html
    assert "2000000" in html.replace(",", "")  # the cap is shown, as text
