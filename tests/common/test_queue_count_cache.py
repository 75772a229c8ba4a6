"""The navigation's queue count is cached briefly (common.queue.queue_count_cached): served
from the cache, counted afresh after a process's row or a handover changes, and expired."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common import queue
from enterprises.models import ServiceRequest
from tests.enterprises.factories import ServiceRequestFactory
from tests.portal.factories import StaffFactory

DAY = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def clean_cache(settings):
    settings.QUEUE_COUNT_CACHE_SECONDS = 30  # the test settings count every time
    cache.clear()
    yield
    cache.clear()


def count(user):
    return queue.queue_count_cached(user=user, day=DAY)


def test_a_second_page_reads_the_cache(db):
    staff = StaffFactory()
    ServiceRequestFactory()
    assert count(staff) == queue.queue_count_for_user(user=staff, day=DAY) == 1
    with CaptureQueriesContext(connection) as queries:
        assert count(staff) == 1
    assert len(queries) == 0


def test_a_new_record_is_counted_at_once(db, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    assert count(staff) == 0
    with django_capture_on_commit_callbacks(execute=True):
        ServiceRequestFactory()
    assert count(staff) == 1


def test_a_step_out_of_the_queue_is_counted_at_once(db, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    request = ServiceRequestFactory()
    assert count(staff) == 1
    with django_capture_on_commit_callbacks(execute=True):
        request.status = ServiceRequest.Status.RESOLVED
        request.resolved_on = DAY
        request.save()
    assert count(staff) == 0


def test_a_change_the_signals_miss_shows_when_the_count_expires(db):
    staff = StaffFactory()
    request = ServiceRequestFactory()
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        assert count(staff) == 1
        ServiceRequest.objects.filter(pk=request.pk).update(  # a bulk update: no signal
            status=ServiceRequest.Status.RESOLVED, resolved_on=DAY
        )
        assert count(staff) == 1  # still the cached number
        t.shift(queue.count_ttl() + 1)
        assert count(staff) == 0


def test_each_person_has_their_own_count(db):
    staff, outsider = StaffFactory(), StaffFactory(is_staff=False)
    ServiceRequestFactory()
    assert count(staff) == 1
    assert count(outsider) == 0


def test_the_count_is_made_stale_at_once_and_again_at_commit(
    db, django_capture_on_commit_callbacks
):
    """Within the transaction the change is counted at once; at commit the generation moves
    again, so a count cached meanwhile by a request that could not see the change is not
    kept."""
    staff = StaffFactory()
    assert count(staff) == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ServiceRequestFactory()
        assert count(staff) == 1  # the same transaction sees its own change
    cache.set(queue._count_key(staff, DAY), (cache.get(queue.COUNT_GENERATION_KEY), 0))
    assert count(staff) == 0  # a stale count cached before the commit…
    for callback in callbacks:
        callback()
    assert count(staff) == 1  # …is dropped when the transaction commits


def test_the_test_settings_count_every_time(db, settings):
    settings.QUEUE_COUNT_CACHE_SECONDS = 0
    staff = StaffFactory()
    assert count(staff) == 0
    ServiceRequest.objects.bulk_create([])  # nothing; the next count is a query again
    with CaptureQueriesContext(connection) as queries:
        assert count(staff) == 0
    assert len(queries) == 2  # who holds the permissions a holder stands for; the count
