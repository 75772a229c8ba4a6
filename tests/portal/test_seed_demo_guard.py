"""`manage.py seed_demo` refuses a production-like site (its own module: the others share one
seeded demo, and this one needs an empty database to see that nothing was written)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Enterprise.objects.exists()
