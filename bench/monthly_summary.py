"""Benchmark: compute a month's summary against hand-written SQL for the same figures.

Run by `make bench` (DJANGO_SETTINGS_MODULE=portal.settings.test, from the project root).
It owns one scratch database, `portal_bench_summary` (created and migrated if missing;
nothing else is touched), fills it by COPY at municipal scale, then times, best of a few:

- SQL: one hand-written statement per section for the figures of the registered sections;
- summary: monthly_summary_compute(force=True), as `manage.py monthly_summary --force`
  runs it (the sections' ORM queries, the snapshot row and its history row).

Both must give the same figures. Goal: the summary at most 2× the SQL.

Today the `incubators`, `enterprises`, `rd` and `services` sections exist (2,000 carriers
with their recognitions, 200,000 tenancies and 20,000 activities; 100,000 enterprises, their
registrations and certificates, visits and service requests). When a section lands (loans
and subsidies: 1,000,000 records), add its rows to `fill()` and its hand-written SQL to
`HAND_SQL`. BENCH_SUMMARY_DB names another scratch database (parallel worktrees).
"""

import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
CARRIERS = int(os.environ.get("BENCH_CARRIERS", "2000"))
TENANCIES = int(os.environ.get("BENCH_TENANCIES", "200000"))
ACTIVITIES = CARRIERS * 10
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET = 2.0
DB_NAME = os.environ.get("BENCH_SUMMARY_DB", "portal_bench_summary")
PERIOD = "2025-10"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
os.environ["DATABASE_URL"] = f"{PG_URL}/{DB_NAME}"


def ensure_database() -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_URL}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from enterprises.lib import uscc  # noqa: E402
from enterprises.lib.dates import add_years  # noqa: E402
from portal.statistics import services  # noqa: E402
from portal.statistics.lib import Period  # noqa: E402

HAND_SQL = {
    "incubators": """
        WITH held AS (
            SELECT incubator_id, MAX(level) AS level FROM incubators_recognition
            WHERE recognized_on <= %(day)s AND (revoked_on IS NULL OR revoked_on > %(day)s)
            GROUP BY incubator_id
        ),
        residents AS (
            SELECT DISTINCT enterprise_id FROM incubators_tenancy
            WHERE moved_in_on <= %(day)s AND (moved_out_on IS NULL OR moved_out_on > %(day)s)
        ),
        registered AS (
            SELECT DISTINCT enterprise_id FROM enterprises_techfirmregistration
            WHERE registered_on <= %(day)s AND (removed_on IS NULL OR removed_on > %(day)s)
        ),
        high_tech AS (
            SELECT DISTINCT enterprise_id FROM enterprises_hightechcertificate
            WHERE issued_on <= %(day)s AND expires_on > %(day)s
              AND (revoked_on IS NULL OR revoked_on > %(day)s)
        ),
        carriers AS (
            SELECT
              COUNT(*) AS total,
              COUNT(*) FILTER (WHERE held.level = 1) AS district,
              COUNT(*) FILTER (WHERE held.level = 2) AS municipal,
              COUNT(*) FILTER (WHERE held.level = 3) AS national,
              COUNT(*) FILTER (WHERE i.kind = 'maker_space') AS maker_space,
              COUNT(*) FILTER (WHERE i.kind = 'incubator') AS incubator,
              COUNT(*) FILTER (WHERE i.kind = 'accelerator') AS accelerator,
              COUNT(*) FILTER (WHERE i.kind = 'industrial_park') AS industrial_park,
              COALESCE(SUM(i.area), 0) AS area
            FROM held JOIN incubators_incubator i ON i.id = held.incubator_id
        )
        SELECT carriers.*,
          (SELECT COUNT(*) FROM residents),
          (SELECT COUNT(*) FROM residents JOIN registered USING (enterprise_id)),
          (SELECT COUNT(*) FROM residents JOIN high_tech USING (enterprise_id)),
          (SELECT COUNT(*) FROM incubators_activity
            WHERE held_on BETWEEN %(first)s AND %(day)s),
          (SELECT COUNT(*) FROM incubators_activity
            WHERE held_on BETWEEN %(year_start)s AND %(day)s)
        FROM carriers
    """,
    "enterprises": """
        WITH high_tech AS (
            SELECT enterprise_id, MAX(LEAST(expires_on, COALESCE(revoked_on, expires_on))) AS ends
            FROM enterprises_hightechcertificate
            WHERE issued_on <= %(day)s AND expires_on > %(day)s
              AND (revoked_on IS NULL OR revoked_on > %(day)s)
            GROUP BY enterprise_id
        )
        SELECT
          (SELECT COUNT(DISTINCT enterprise_id) FROM enterprises_techfirmregistration
            WHERE registered_on <= %(day)s AND (removed_on IS NULL OR removed_on > %(day)s)),
          (SELECT COUNT(DISTINCT enterprise_id) FROM enterprises_techfirmregistration
            WHERE registered_on BETWEEN %(first)s AND %(day)s),
          (SELECT COUNT(*) FROM high_tech),
          (SELECT COUNT(*) FROM high_tech WHERE ends <= %(horizon)s)
    """,
    "services": """
        SELECT
          (SELECT COUNT(DISTINCT enterprise_id) FROM enterprises_servicevisit
            WHERE visited_on BETWEEN %(year_start)s AND %(day)s),
          COUNT(*),
          COUNT(*) FILTER (WHERE resolved_on <= %(day)s)
        FROM enterprises_servicerequest
        WHERE registered_on BETWEEN %(year_start)s AND %(day)s
    """,
    "rd": """
        SELECT year, rd_expenditure, gdp FROM statistics_districtstatistic
        WHERE year <= %(year)s ORDER BY year DESC LIMIT 1
    """,
}


def _copy(table: str, columns: list[str], lines: list[str]) -> None:
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN",
            io.StringIO("\n".join(lines) + "\n"),
        )


ENTERPRISE_COLUMNS = [
    "uscc", "name", "uscc_override_reason", "legal_representative", "status", "industry",
    "contact_person", "contact_phone", "contact_email", "address", "listing", "created_at",
    "updated_at",
]  # fmt: skip
NULL = r"\N"


def fill() -> None:
    """Truncate and COPY a municipal-scale registry (fixed random seed)."""
    rng = random.Random(2025)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE enterprises_enterprise, enterprises_techfirmregistration, "
            "enterprises_hightechcertificate, enterprises_servicevisit, "
            "enterprises_servicerequest, statistics_districtstatistic, "
            "statistics_monthlysummary, statistics_historicalmonthlysummary, "
            "incubators_incubator, incubators_recognition, incubators_tenancy, "
            "incubators_activity "
            "RESTART IDENTITY CASCADE"
        )
    now = timezone.now().isoformat()
    enterprises, registrations, certificates, visits, requests = [], [], [], [], []
    start = dt.date(2015, 1, 1)
    for i in range(1, ENTERPRISES + 1):
        body = f"91500105{i:09d}"
        code = body + uscc.check_character(body)
        enterprises.append(
            "\t".join([code, f"重庆测试科技有限公司{i}", "", "", "active", "it", "", "", "", "",
                       "unlisted", now, now])
        )  # fmt: skip
        if rng.random() < 0.8:
            registered = start + dt.timedelta(days=rng.randint(0, 4000))
            removed = NULL
            if rng.random() < 0.15:
                removed = (registered + dt.timedelta(days=rng.randint(30, 2000))).isoformat()
            registrations.append(f"{i}\tR{i:09d}\t{registered.isoformat()}\t{removed}")
        for n in range(rng.choice((0, 0, 1, 1, 2))):
            issued = start + dt.timedelta(days=rng.randint(0, 4000))
            revoked = NULL
            if rng.random() < 0.02:
                revoked = (issued + dt.timedelta(days=200)).isoformat()
            number = f"GR{issued.year}{n}{i:07d}"
            certificates.append(
                "\t".join([str(i), number, issued.isoformat(), add_years(issued, 3).isoformat(),
                           "new", revoked])
            )  # fmt: skip
        if rng.random() < 0.3:
            days = rng.sample(range(1061), rng.randint(1, 3))  # one visit a day per firm
            for visited in (dt.date(2023, 1, 1) + dt.timedelta(days=d) for d in days):
                visits.append(f"{i}\t{visited.isoformat()}\t张三\t\t{now}")
                if rng.random() < 0.5:
                    resolved = NULL
                    if rng.random() < 0.7:
                        resolved = (visited + dt.timedelta(days=rng.randint(0, 60))).isoformat()
                    status = "open" if resolved == NULL else "resolved"
                    requests.append(
                        "\t".join([str(i), visited.isoformat(), "policy", f"诉求{len(requests)}",
                                   "on_site", status, resolved, "", "", now, now])
                    )  # fmt: skip
    _copy("enterprises_enterprise", ENTERPRISE_COLUMNS, enterprises)
    _copy(
        "enterprises_servicevisit",
        ["enterprise_id", "visited_on", "visitors", "notes", "created_at"],
        visits,
    )
    _copy(
        "enterprises_servicerequest",
        ["enterprise_id", "registered_on", "category", "description", "handling", "status",
         "resolved_on", "resolution_note", "closed_reason", "created_at", "updated_at"],
        requests,
    )  # fmt: skip
    _copy(
        "enterprises_techfirmregistration",
        ["enterprise_id", "number", "registered_on", "removed_on"],
        registrations,
    )
    _copy(
        "enterprises_hightechcertificate",
        ["enterprise_id", "number", "issued_on", "expires_on", "kind", "revoked_on"],
        certificates,
    )
    carriers, recognitions, tenancies, activities = _carriers(rng, now)
    _copy(
        "incubators_incubator",
        ["name", "kind", "operator_id", "address", "area", "created_at"],
        carriers,
    )
    _copy(
        "incubators_recognition",
        ["incubator_id", "level", "recognized_on", "document_number", "revoked_on"],
        recognitions,
    )
    _copy(
        "incubators_tenancy",
        ["incubator_id", "enterprise_id", "area", "moved_in_on", "moved_out_on", "graduated"],
        tenancies,
    )
    _copy(
        "incubators_activity",
        ["kind", "title", "held_on", "organiser_id", "participants", "description"],
        activities,
    )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO statistics_districtstatistic (year, gdp, rd_expenditure, "
            "city_intensity_pct, note) VALUES (2024, 155000000000, 5200000000, 2.51, '')"
        )
        cur.execute("ANALYZE")
    print(
        f"{len(carriers):,} carriers, {len(recognitions):,} recognitions, "
        f"{len(tenancies):,} tenancies, {len(activities):,} activities, "
        f"{ENTERPRISES:,} enterprises, {len(registrations):,} registrations, "
        f"{len(certificates):,} certificates, {len(visits):,} visits, "
        f"{len(requests):,} service requests"
    )


CARRIER_KINDS = ("maker_space", "incubator", "accelerator", "industrial_park")
ACTIVITY_KINDS = ("training", "roadshow", "exchange", "competition", "science_popularisation")


def _carriers(rng: random.Random, now: str) -> tuple[list[str], ...]:
    """Carriers (ids 1..CARRIERS after the TRUNCATE), their recognitions (some upgraded,
    revoked or dated after the benchmark month, some never), tenancies and activities."""
    carriers, recognitions, tenancies, activities = [], [], [], []
    start = dt.date(2015, 1, 1)
    for c in range(1, CARRIERS + 1):
        kind = CARRIER_KINDS[c % 4]
        area = f"{rng.randint(500, 30000)}.{rng.randint(0, 99):02d}"
        carriers.append(f"重庆测试载体{c}\t{kind}\t{c}\t\t{area}\t{now}")
        if rng.random() < 0.1:
            continue  # never recognised
        day = start + dt.timedelta(days=rng.randint(0, 4300))  # up to 2026-10
        for level in range(1, rng.choice((1, 1, 2, 3)) + 1):
            revoked = NULL
            if rng.random() < 0.05:
                revoked = (day + dt.timedelta(days=rng.randint(0, 1500))).isoformat()
            recognitions.append(f"{c}\t{level}\t{day.isoformat()}\t\t{revoked}")
            day += dt.timedelta(days=rng.randint(200, 1200))
    seen = set()
    while len(tenancies) < TENANCIES:
        carrier, enterprise = rng.randint(1, CARRIERS), rng.randint(1, ENTERPRISES)
        moved_in = start + dt.timedelta(days=rng.randint(0, 4300))
        if (carrier, enterprise, moved_in) in seen:
            continue
        seen.add((carrier, enterprise, moved_in))
        moved_out, graduated = NULL, "f"
        if rng.random() < 0.4:
            moved_out = (moved_in + dt.timedelta(days=rng.randint(0, 1500))).isoformat()
            graduated = "t" if rng.random() < 0.5 else "f"
        area = f"{rng.randint(20, 400)}.00"
        tenancies.append(
            f"{carrier}\t{enterprise}\t{area}\t{moved_in.isoformat()}\t{moved_out}\t{graduated}"
        )
    for a in range(ACTIVITIES):
        held = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 1400))
        organiser = str(rng.randint(1, CARRIERS)) if rng.random() < 0.9 else NULL
        kind = ACTIVITY_KINDS[a % len(ACTIVITY_KINDS)]
        activities.append(f"{kind}\t活动{a}\t{held.isoformat()}\t{organiser}\t30\t")
    return carriers, recognitions, tenancies, activities


def hand_sql(period: Period) -> dict:
    day = period.last_day
    params = {
        "day": day,
        "first": period.first_day,
        "horizon": day + dt.timedelta(days=90),
        "year": period.year,
        "year_start": dt.date(period.year, 1, 1),
    }
    with connection.cursor() as cur:
        cur.execute(HAND_SQL["incubators"], params)
        row = cur.fetchone()
        cur.execute(HAND_SQL["enterprises"], params)
        registered, new, valid, expiring = cur.fetchone()
        cur.execute(HAND_SQL["services"], params)
        visited, collected, resolved = cur.fetchone()
        cur.execute(HAND_SQL["rd"], params)
        rd = cur.fetchone()
    total, district, municipal, national, *kinds = row[:8]
    area, tenants, registered_tenants, high_tech_tenants, month, ytd = row[8:]
    return {
        "incubators": {
            "total": total,
            "by_level": {"district": district, "municipal": municipal, "national": national},
            "by_kind": dict(zip(CARRIER_KINDS, kinds, strict=True)),
            "area_m2": float(area),
            "tenants": tenants,
            "tenant_registered_tech_firms": registered_tenants,
            "tenant_high_tech_firms": high_tech_tenants,
            "activities_month": month,
            "activities_ytd": ytd,
        },
        "enterprises": {
            "registered_tech_firms": registered,
            "registered_tech_firms_new_month": new,
            "high_tech_valid": valid,
            "high_tech_expiring_90d": expiring,
        },
        "services": {
            "visited_firms_ytd": visited,
            "requests_collected_ytd": collected,
            "requests_resolved_ytd": resolved,
        },
        "rd_year": rd[0],
    }


def best_of(function, runs: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    connection.ensure_connection()
    print(f"Benchmark database: {connection.settings_dict['NAME']}")
    start = time.perf_counter()
    fill()
    print(f"Filled in {time.perf_counter() - start:.1f} s")
    period = Period.parse(PERIOD)

    sql_time, expected = best_of(lambda: hand_sql(period), RUNS)
    summary_time, summary = best_of(
        lambda: services.monthly_summary_compute(period=period, force=True), RUNS
    )
    assert summary.figures["enterprises"] == expected["enterprises"], (
        summary.figures["enterprises"],
        expected["enterprises"],
    )
    assert summary.figures["incubators"] == expected["incubators"], (
        summary.figures["incubators"],
        expected["incubators"],
    )
    assert summary.figures["services"] == expected["services"]
    assert summary.figures["rd"]["year"] == expected["rd_year"]
    ratio = summary_time / sql_time
    print(f"hand-written SQL: {sql_time * 1000:.1f} ms (best of {RUNS})")
    print(f"monthly summary {PERIOD}: {summary_time * 1000:.1f} ms (best of {RUNS})")
    print(f"figures: {summary.figures['incubators']}")
    print(f"         {summary.figures['enterprises']} {summary.figures['services']}")
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"Ratio {ratio:.2f}× — {verdict} the target of {TARGET:.0f}×")


if __name__ == "__main__":
    main()
