"""The admin's paginator counts a filtered list only a few pages past the page shown
(common.pagination.EstimatedCountPaginator, told the page by CountAheadMixin)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from common.pagination import EstimatedCountPaginator
from enterprises.models import Enterprise, Street


class OneAhead(EstimatedCountPaginator):
    COUNT_AHEAD = 1


def _streets():
    streets = Street.objects.filter(pk__gt=0).order_by("pk")
    assert streets.count() > 9  # the seeded streets and towns
    return streets


@pytest.mark.django_db
def test_a_filtered_count_stops_one_row_past_the_cap(django_assert_num_queries):
    paginator = OneAhead(_streets(), 2)  # page 1, one page ahead: 4 rows
    with django_assert_num_queries(1):  # COUNT over at most cap + 1 rows
        assert paginator.count == 5
    assert paginator.count_limit == 4 and paginator.capped
    assert paginator.num_pages == 3


@pytest.mark.django_db
def test_the_cap_moves_with_the_page_shown_so_every_row_can_be_reached():
    streets = _streets()
    assert OneAhead(streets, 2, page=3).count == 9  # (3 + 1) × 2 + 1
    last = streets.count() // 2 + 1
    deep = OneAhead(streets, 2, page=last)
    assert deep.count == streets.count() and not deep.capped
    assert (
        EstimatedCountPaginator(streets, 100, page=10**9).count_limit
        == EstimatedCountPaginator.COUNT_MAX
    )


@pytest.mark.django_db
def test_a_filtered_count_under_the_cap_is_exact():
    paginator = EstimatedCountPaginator(_streets(), 5)  # page 1 and two ahead: 15 rows
    assert paginator.count == Street.objects.count()
    assert not paginator.capped


def test_the_changelist_tells_its_paginator_the_page_shown():
    model_admin = admin.site._registry[Enterprise]
    for query, cap in [({}, 300), ({"p": "4"}, 600), ({"p": "x"}, 300), ({"p": "-3"}, 300)]:
        request = RequestFactory().get("/", query)
        paginator = model_admin.get_paginator(request, Enterprise.objects.none(), 100)
        assert paginator.count_limit == cap, query


@pytest.mark.django_db
def test_a_capped_changelist_says_its_cap_and_pages_on(admin_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "COUNT_AHEAD", 1)
    monkeypatch.setattr(admin.site._registry[Street], "list_per_page", 2)
    url = reverse("admin:enterprises_street_changelist")
    streets = Street.objects.filter(name__contains="街道").count()
    assert streets > 6
    page = admin_client.get(url, {"q": "街道"}).content.decode()
    # page 1 and one ahead, of 2 rows each: in the search bar and under the list
    assert page.count("4+") == 2 and "5 " not in page.split('id="changelist-search"')[1][:600]
    page = admin_client.get(url, {"q": "街道", "p": "3"}).content.decode()
    assert "8+" in page


@pytest.mark.django_db
def test_the_count_computes_no_column_of_the_list():
    """The rule: the rows counted are not given the list's computed columns (a subquery per
    row); a filter on such a column still applies."""
    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.test.utils import CaptureQueriesContext

    towns = Street.objects.filter(kind="town", pk=OuterRef("pk"))
    streets = _streets().annotate(is_town=Exists(towns))
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(streets, 2).count == 7  # page 1 and two ahead + 1
    assert "is_town" not in queries.captured_queries[-1]["sql"]
    only_towns = streets.filter(is_town=True)
    assert (
        EstimatedCountPaginator(only_towns, 100).count == Street.objects.filter(kind="town").count()
    )
