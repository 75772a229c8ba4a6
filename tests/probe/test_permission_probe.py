"""The permission probe (DESIGN §6) over every URL pattern, as every role.

One test per role: anonymous; the enterprise, bank, auditor and carrier users of side A and
of side B; a sign-up still waiting for staff; and one user per bureau role of the roles table
(a role added there joins the probe by itself). Each test GETs and POSTs every URL and fails
on a page showing the other side's records, a write the role may not make, a 500, or a page
that still reads English in Chinese (tests.probe.english). What it tried is written to the
session's report, printed at the end of the run.
"""

import json
import os
import tempfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style

from portal.accounts.roles import BUREAU_ROLES
from tests.probe import urls as probe_urls
from tests.probe import world as probe_world
from tests.probe.engine import Probe

ORGANISATION_ROLES = [f"{kind}:{side}" for side in "AB" for kind in probe_world.USER_KINDS]
ROLES = [
    "anonymous",
    "enterprise:pending",
    *ORGANISATION_ROLES,
    *(f"bureau:{role.name.lower()}" for role in BUREAU_ROLES),
]


def report_dir() -> Path:
    """Where each xdist worker leaves its counts for the controller's summary."""
    run = os.environ.get("PORTAL_PROBE_RUN") or str(
        os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    )
    return Path(tempfile.gettempdir()) / f"portal-probe-{run}"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, committed once for the module (rows of a still-open transaction make every
    read slow once its savepoints pile up); afterwards the database is put back as the
    migrations left it, as Django's serialized rollback does."""
    from django.db import connection

    from portal.celery import app

    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True  # no task left queued for a later test's worker
        try:
            built = probe_world.build()
        finally:
            app.conf.task_always_eager = eager
        yield built
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(saved)
        # The flush restarted every sequence; move them past the rows just put back.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                cursor.execute(sql)


def test_every_pattern_can_be_filled(db, world):
    unfilled, unresolved = [], []
    for pattern in probe_urls.patterns():
        try:
            filled = probe_urls.urls(pattern, world)
        except LookupError as exc:
            unfilled.append(str(exc))
            continue
        unresolved.extend(filter(None, map(probe_urls.check_resolves, filled)))
    assert unfilled == []
    assert unresolved == []


@pytest.mark.parametrize("role", ROLES)
def test_role_holds_only_its_own_rights(db, world, role, settings):
    settings.AXES_ENABLED = False  # the probe signs in by session, never by password
    patterns = probe_urls.patterns()
    targets = [url for pattern in patterns for url in probe_urls.urls(pattern, world)]
    if world.home_side[role] is None or role.startswith("bureau:"):
        # Only the desks' "other side" matters for an organisation user; others need one.
        targets = [u for u in targets if u.sides <= {"A"}]
    report = Probe(world, role).run(targets)
    report_dir().mkdir(exist_ok=True)
    (report_dir() / f"{role.replace(':', '-')}.json").write_text(
        json.dumps(
            {
                "role": role,
                "patterns": len(patterns),
                "urls": report.urls,
                "requests": report.requests,
                "statuses": dict(report.statuses),
                "violations": [str(v) for v in report.violations],
                "english": {page: sorted(words) for page, words in report.english.items()},
            },
            ensure_ascii=False,
        )
    )
    assert report.failures() == []
