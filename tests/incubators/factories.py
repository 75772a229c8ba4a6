import datetime as dt
from decimal import Decimal

import factory

from incubators.models import (
    Activity,
    ActivityKind,
    Incubator,
    IncubatorKind,
    IncubatorSite,
    Level,
    Recognition,
    Tenancy,
)
from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.enterprises.factories import EnterpriseFactory
from tests.portal.factories import UserFactory, _add_roles


class IncubatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incubator

    name = factory.Sequence(lambda n: f"江北测试孵化器{n}")
    kind = IncubatorKind.INCUBATOR
    operator = factory.SubFactory(EnterpriseFactory)
    address = "江北区北滨一路 1 号"
    area = Decimal("12000.00")


class IncubatorSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncubatorSite

    incubator = factory.SubFactory(IncubatorFactory)
    name = factory.Sequence(lambda n: f"{n} 号楼")
    area = Decimal("2000.00")


class RecognitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recognition

    incubator = factory.SubFactory(IncubatorFactory)
    level = Level.DISTRICT
    recognized_on = dt.date(2020, 6, 1)


class TenancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenancy

    incubator = factory.SubFactory(IncubatorFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    area = Decimal("120.00")
    moved_in_on = dt.date(2024, 1, 15)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = ActivityKind.TRAINING
    title = factory.Sequence(lambda n: f"创业培训第 {n} 期")
    held_on = dt.date(2025, 5, 20)
    organiser = factory.SubFactory(IncubatorFactory)
    participants = 40


class OperatorFactory(UserFactory):
    """A carrier operator with an approved link to its carrier."""

    organisation_kind = User.OrganisationKind.INCUBATOR
    link_status = User.LinkStatus.APPROVED
    incubator = factory.SubFactory(IncubatorFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.CARRIER_OPERATOR,) if extracted is None else extracted)


def ensure_thresholds() -> None:
    """Recreate the readiness thresholds of the data migration.

    A transactional test that ran earlier on the same worker empties every table, data
    migration rows included; tests that read the thresholds call this first.
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("incubators.migrations.0002_seed_thresholds")
    migration.forwards(apps, None)
