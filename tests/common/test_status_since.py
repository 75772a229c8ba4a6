"""When a process's row entered its state, kept on the row (`status_since`): the migration
that added it sets existing rows as the queue worked it out before from the status-change
records, and the work queue orders by it over an index."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection

from common.workflow import status_since_backfill
from loans.models import CompensationClaim
from subsidies.models import HighTechApplication, SubsidyClaim, SubsidyClaimStatusChange
from tests.common.queue_world import at, entered
from tests.loans.factories import CompensationClaimFactory
from tests.subsidies.factories import HighTechApplicationFactory, SubsidyClaimFactory

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status


def _backfill(*args, made):
    with connection.schema_editor() as editor:
        status_since_backfill(*args, made=made)(apps, editor)


def test_the_migration_sets_existing_rows_from_their_records():
    stepped = SubsidyClaimFactory(status=S.SUBMITTED)
    record = "subsidies", "SubsidyClaim", "SubsidyClaimStatusChange", "claim"
    entered(SubsidyClaimStatusChange, "claim", stepped, S.SUBMITTED, at(dt.date(2026, 3, 2)))
    entered(SubsidyClaimStatusChange, "claim", stepped, S.RETURNED, at(dt.date(2026, 3, 5)))
    entered(SubsidyClaimStatusChange, "claim", stepped, S.SUBMITTED, at(dt.date(2026, 3, 10)))
    entered(  # a reply that left the state as it was
        SubsidyClaimStatusChange,
        "claim",
        stepped,
        S.SUBMITTED,
        at(dt.date(2026, 3, 12)),
        S.SUBMITTED,
    )
    unrecorded = SubsidyClaimFactory()
    SubsidyClaim.objects.filter(pk=unrecorded.pk).update(created_at=at(dt.date(2026, 3, 4)))
    filed = CompensationClaimFactory()
    CompensationClaim.objects.filter(pk=filed.pk).update(filed_at=at(dt.date(2026, 2, 2)))
    neither = HighTechApplicationFactory()
    for model in (SubsidyClaim, CompensationClaim, HighTechApplication):
        model.objects.update(status_since=None)

    _backfill(*record, made="created_at")
    _backfill(
        "loans", "CompensationClaim", "CompensationClaimStatusChange", "claim", made="filed_at"
    )
    _backfill(
        "subsidies",
        "HighTechApplication",
        "HighTechApplicationStatusChange",
        "application",
        made=None,
    )

    def since(obj):
        return type(obj).objects.values_list("status_since", flat=True).get(pk=obj.pk)

    assert since(stepped) == at(dt.date(2026, 3, 10))
    assert since(unrecorded) == at(dt.date(2026, 3, 4))
    assert since(filed) == at(dt.date(2026, 2, 2))
    assert since(neither) is None
