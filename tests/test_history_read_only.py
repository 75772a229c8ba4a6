"""History is read-only for everyone: every admin's version page
(`/admin/<app>/<model>/<pk>/history/<history_id>/`) shows what a record was, offers no button
that saves, and answers a POST (django-simple-history's "revert") with 405, changing nothing.

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
from django.db import models
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

import tests
from common.admin import ReadOnlyHistoryAdmin
from subsidies.models import Programme, SubsidyPolicy
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


def a_version_of(model: type[models.Model]) -> tuple[models.Model, Any]:
    """A record of `model` and its latest history version."""
    record = model._default_manager.order_by("pk").first()
    if record is None:
        if model not in FACTORIES:
            pytest.fail(
                f"{model._meta.label} has a history admin but no factory: add "
                f"{model.__name__}Factory to tests/{model._meta.app_label}/factories.py"
            )
        record = FACTORIES[model]()
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
