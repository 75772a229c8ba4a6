import pytest
from django.utils import translation


@pytest.fixture
def english():
    """Messages in English (their msgids), for assertions that do not depend on the catalog."""
    with translation.override("en"):
        yield
