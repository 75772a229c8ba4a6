"""`monthly_summary` and `monthly_summary_backfill`: output, refusals and exit codes."""

import datetime as dt
import json
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.statistics import sections, services
from portal.statistics.models import MonthlySummary
from tests.enterprises.factories import (
    HighTechCertificateFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import ActivityFactory, RecognitionFactory, TenancyFactory
from tests.loans.factories import FundContributionFactory, LoanFactory
from tests.statistics.factories import DistrictStatisticFactory
from tests.subsidies.factories import SubsidyClaimFactory

pytestmark = pytest.mark.django_db

ENTERPRISE_KEYS = [
    "registered_tech_firms",
    "registered_tech_firms_new_month",
    "high_tech_valid",
    "high_tech_expiring_90d",
]
RD_KEYS = ["year", "expenditure", "gdp", "intensity_pct", "city_intensity_pct"]
# DESIGN §5 keys first; the satisfaction figures were added after them (additive only).
SERVICES_KEYS = [
    "visited_firms_ytd",
    "requests_collected_ytd",
    "requests_resolved_ytd",
    "satisfaction_ratings_ytd",
    "satisfaction_average_ytd",
]


def test_json_prints_the_agreed_keys_and_types(capsys):
    TechFirmRegistrationFactory(registered_on=dt.date(2022, 9, 30))
    call_command("monthly_summary", "--period", "2022-09", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["period"] == "2022-09"
    assert document["as_of"] == "2022-09-30"
    assert list(document["enterprises"]) == ENTERPRISE_KEYS
    assert list(document["rd"]) == RD_KEYS
    assert list(document["services"]) == SERVICES_KEYS
    assert document["enterprises"]["registered_tech_firms"] == 1
    assert document["enterprises"]["registered_tech_firms_new_month"] == 1
    assert all(type(v) is int for v in document["enterprises"].values())
    assert document["rd"]["expenditure"] == "0.00"


def test_a_month_with_no_data_gives_zeros(capsys):
    call_command("monthly_summary", "--period", "2019-01", "--json")
    document = json.loads(capsys.readouterr().out)
    assert set(document["enterprises"].values()) == {0}


def test_without_json_it_says_what_it_did(capsys):
    call_command("monthly_summary", "--period", "2023-05")
    assert "2023-05" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2025-13", "YYYY-MM"),
        ("202501", "YYYY-MM"),
        ("2999-01", "2999-01"),
    ],
)
def test_malformed_or_future_periods_are_refused(period, message):
    with pytest.raises(CommandError, match=message):
        call_command("monthly_summary", "--period", period)
    assert not MonthlySummary.objects.exists()


def test_force_replaces_the_snapshot(capsys):
    call_command("monthly_summary", "--period", "2024-03")
    capsys.readouterr()
    TechFirmRegistrationFactory(registered_on=dt.date(2024, 3, 3))
    call_command("monthly_summary", "--period", "2024-03", "--json")
    assert json.loads(capsys.readouterr().out)["enterprises"]["registered_tech_firms"] == 0
    call_command("monthly_summary", "--period", "2024-03", "--json", "--force")
    assert json.loads(capsys.readouterr().out)["enterprises"]["registered_tech_firms"] == 1
    assert MonthlySummary.history.count() == 2


def test_backfill_a_range(capsys):
    TechFirmRegistrationFactory(registered_on=dt.date(2024, 11, 5))
    call_command("monthly_summary_backfill", "--from", "2024-11", "--to", "2025-02")
    assert MonthlySummary.objects.count() == 4
    with pytest.raises(CommandError):
        call_command("monthly_summary_backfill", "--from", "2025-02", "--to", "2024-11")


def test_the_process_exits_non_zero_with_a_clear_message():
    result = subprocess.run(
        [sys.executable, "manage.py", "monthly_summary", "--period", "2025/01"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "2025/01" in result.stderr
    assert "YYYY-MM" in result.stderr


# 17:30 UTC on the last day of February is 01:30 on 1 March in Chongqing.
COMPUTED_AT = dt.datetime(2025, 2, 28, 17, 30, 5, tzinfo=dt.UTC)


def test_computed_at_is_printed_in_shanghai_time_in_text_and_json(capsys):
    with time_machine.travel(COMPUTED_AT, tick=False):
        call_command("monthly_summary", "--period", "2025-02")
    text = capsys.readouterr().out
    assert "2025-03-01T01:30:05+08:00" in text
    assert "+00:00" not in text
    # Read back from the database (which hands out UTC) rather than the object just made.
    call_command("monthly_summary", "--period", "2025-02")
    assert "2025-03-01T01:30:05+08:00" in capsys.readouterr().out
    call_command("monthly_summary", "--period", "2025-02", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["computed_at"] == "2025-03-01T01:30:05+08:00"


def test_backfill_refuses_months_before_the_first_record_and_names_it():
    TechFirmRegistrationFactory(registered_on=dt.date(2019, 5, 20))
    with pytest.raises(CommandError, match="2019-05-20.*2019-05.*1990-01"):
        call_command("monthly_summary_backfill", "--from", "1990-01", "--to", "2019-06")
    with pytest.raises(CommandError, match="2019-05"):
        call_command("monthly_summary_backfill", "--from", "2019-04", "--to", "2019-06")
    assert not MonthlySummary.objects.exists()
    call_command("monthly_summary_backfill", "--from", "2019-05", "--to", "2019-06")
    assert MonthlySummary.objects.count() == 2


def test_backfill_refuses_when_there_is_no_record_at_all():
    with pytest.raises(CommandError, match="no records|还没有可统计的记录"):
        call_command("monthly_summary_backfill", "--from", "2024-01", "--to", "2024-02")
    assert not MonthlySummary.objects.exists()


FIRST = dt.date(2011, 3, 15)


@pytest.mark.parametrize(
    ("section", "make"),
    [
        ("incubators", lambda: RecognitionFactory(recognized_on=FIRST)),
        ("incubators", lambda: TenancyFactory(moved_in_on=FIRST)),
        ("incubators", lambda: ActivityFactory(held_on=FIRST)),
        ("enterprises", lambda: TechFirmRegistrationFactory(registered_on=FIRST)),
        ("enterprises", lambda: HighTechCertificateFactory(issued_on=FIRST)),
        ("loans", lambda: LoanFactory(submitted_on=FIRST)),
        ("loans", lambda: LoanFactory(submitted_on=None, disbursed_on=FIRST)),
        ("loans", lambda: FundContributionFactory(contributed_on=FIRST)),
        ("subsidies", lambda: SubsidyClaimFactory(submitted_on=FIRST)),
        ("rd", lambda: DistrictStatisticFactory(year=FIRST.year)),
        ("services", lambda: ServiceVisitFactory(visited_on=FIRST)),
        ("services", lambda: ServiceRequestFactory(registered_on=FIRST)),
    ],
)
def test_each_section_knows_its_first_record(section, make):
    make()
    first = sections.section_by_key(section).first_record()
    expected = dt.date(FIRST.year, 1, 1) if section == "rd" else FIRST
    assert first == expected
    assert services.monthly_summary_first_record() == expected
