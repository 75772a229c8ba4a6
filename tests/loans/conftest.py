import pytest

from loans.models import CompensationFund


@pytest.fixture
def fund():
    """The fund seeded by the data migration, with money in it."""
    fund = CompensationFund.objects.get()
    fund.balance = 10_000_000
    fund.save()
    return fund


def ensure_seed() -> None:
    """Recreate the data migrations' rows after a transactional test emptied the tables."""
    import importlib

    from django.apps import apps

    from tests.portal.test_journey import ensure_roles

    ensure_roles()
    seed = importlib.import_module("loans.migrations.0002_default_credit_model")
    seed.forwards(apps, None)
