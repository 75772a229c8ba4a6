import pytest
from django.utils import translation

from tests.incubators.factories import ensure_thresholds


@pytest.fixture
def english():
    """Messages in English (their msgids), for assertions that do not depend on the catalog."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def readiness_thresholds(request):
    """The seeded readiness thresholds, even after a transactional test emptied the tables."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_thresholds()
