"""Benchmark: compute a month's summary against hand-written SQL for the same figures.

Run by `make bench` (DJANGO_SETTINGS_MODULE=portal.settings.test, from the project root).
It owns one scratch database, `portal_bench_summary` (created and migrated if missing;
nothing else is touched), fills it by COPY at municipal scale, then times, best of a few:

- SQL: one hand-written statement per section for the figures of the registered sections;
- summary: monthly_summary_compute(force=True), as `manage.py monthly_summary --force`
  runs it (the sections' ORM queries, the snapshot row and its history row).

Both must give the same figures. Goal: the summary at most 2× the SQL.

Today the `enterprises`, `rd` and `services` sections exist (100,000 enterprises, their
registrations and certificates, visits and service requests). When a section lands
(incubators: 2,000 carriers and 200,000 tenancies; loans and subsidies: 1,000,000 records),
add its rows to `fill()` and its hand-written SQL to `HAND_SQL`.
"""

import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET = 2.0
DB_NAME = "portal_bench_summary"
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
            "statistics_monthlysummary, statistics_historicalmonthlysummary "
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
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO statistics_districtstatistic (year, gdp, rd_expenditure, "
            "city_intensity_pct, note) VALUES (2024, 155000000000, 5200000000, 2.51, '')"
        )
        cur.execute("ANALYZE")
    print(
        f"{ENTERPRISES:,} enterprises, {len(registrations):,} registrations, "
        f"{len(certificates):,} certificates, {len(visits):,} visits, "
        f"{len(requests):,} service requests"
    )


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
        cur.execute(HAND_SQL["enterprises"], params)
        registered, new, valid, expiring = cur.fetchone()
        cur.execute(HAND_SQL["services"], params)
        visited, collected, resolved = cur.fetchone()
        cur.execute(HAND_SQL["rd"], params)
        rd = cur.fetchone()
    return {
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
    assert summary.figures["services"] == expected["services"]
    assert summary.figures["rd"]["year"] == expected["rd_year"]
    ratio = summary_time / sql_time
    print(f"hand-written SQL: {sql_time * 1000:.1f} ms (best of {RUNS})")
    print(f"monthly summary {PERIOD}: {summary_time * 1000:.1f} ms (best of {RUNS})")
    print(f"figures: {summary.figures['enterprises']} {summary.figures['services']}")
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"Ratio {ratio:.2f}× — {verdict} the target of {TARGET:.0f}×")


if __name__ == "__main__":
    main()
