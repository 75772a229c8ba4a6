"""Benchmark: compute a month's summary against hand-written SQL for the same figures.

Run by `make bench` (DJANGO_SETTINGS_MODULE=portal.settings.test, from the project root).
It owns one scratch database, `portal_bench_summary` (created and migrated if missing;
nothing else is touched), fills it by COPY at municipal scale, then times, best of a few:

- SQL: one hand-written statement per section for the figures of the registered sections;
- summary: monthly_summary_compute(force=True), as `manage.py monthly_summary --force`
  runs it (the sections' ORM queries, the snapshot row and its history row).

Both must give the same figures. Goal: the summary at most 2× the SQL.

The `incubators`, `enterprises`, `loans`, `subsidies`, `rd` and `services` sections are
filled (2,000 carriers with their recognitions, 200,000 tenancies and 20,000 activities;
100,000 enterprises, their registrations and certificates, visits and service requests; 12
banks, the fund and its contributions, ~500,000 loan applications 2019–2026 with their status
changes, repayments and compensation claims; a subsidy policy per programme and year 2019–2026
and ~500,000 subsidy claims by enterprises and carriers, the other half of the 1,000,000 loan
and subsidy records). The loans and subsidies sections are also timed alone against their SQL.
BENCH_SUMMARY_DB names another scratch database (parallel worktrees).
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

from common.lib import uscc  # noqa: E402
from common.lib.dates import add_years  # noqa: E402
from loans.selectors import loans_summary_on  # noqa: E402
from portal.statistics import services  # noqa: E402
from portal.statistics.lib import Period  # noqa: E402
from subsidies.selectors import subsidies_summary_on  # noqa: E402
from subsidies.services.totals import policy_totals_refresh  # noqa: E402

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
    # Per loans.selectors.loans_summary_on: portal loans by their dated records, ledger rows
    # (no dated records) by their status; "end" is the start of D+1 in Chongqing. A portal
    # loan is overdue on D when its last change before the end is to "overdue": such a change
    # with no later one (same time: higher id) before the end.
    "loans": """
        WITH book AS (
            SELECT
              COUNT(DISTINCT enterprise_id) FILTER (WHERE submitted_on <= %(day)s),
              COUNT(DISTINCT enterprise_id) FILTER (WHERE disbursed_on <= %(day)s),
              COALESCE(SUM(approved_amount) FILTER (WHERE disbursed_on <= %(day)s), 0),
              COALESCE(SUM(approved_amount)
                FILTER (WHERE disbursed_on BETWEEN %(first)s AND %(day)s), 0),
              COUNT(*) FILTER (WHERE disbursed_on <= %(day)s AND source = 'ledger'
                               AND status = 'overdue') AS overdue_ledger
            FROM loans_loanapplication
        ),
        paid AS (
            SELECT loan_id, amount FROM loans_compensationclaim
            WHERE status = 'paid' AND paid_on <= %(day)s
        ),
        repaid AS (
            SELECT loan_id, SUM(principal) AS principal FROM loans_repayment
            WHERE paid_on <= %(day)s GROUP BY loan_id
        )
        SELECT book.*,
          (SELECT COALESCE(SUM(l.approved_amount - COALESCE(r.principal, 0)), 0)
            FROM loans_loanapplication l LEFT JOIN repaid r ON r.loan_id = l.id
            WHERE l.disbursed_on <= %(day)s
              AND NOT (l.source = 'ledger' AND l.status IN ('repaid', 'compensated'))
              AND NOT EXISTS (SELECT FROM paid WHERE paid.loan_id = l.id)),
          (SELECT COUNT(*) FROM loans_loanstatuschange c
            JOIN loans_loanapplication l ON l.id = c.application_id AND l.source = 'portal'
            WHERE c.to_status = 'overdue' AND c.created_at < %(end)s
              AND NOT EXISTS (SELECT FROM loans_loanstatuschange n
                WHERE n.application_id = c.application_id AND n.created_at < %(end)s
                  AND (n.created_at, n.id) > (c.created_at, c.id))),
          (SELECT COALESCE(SUM(amount), 0) FROM paid),
          (SELECT COALESCE(SUM(city_amount + district_amount), 0) FROM loans_fundcontribution
            WHERE contributed_on <= %(day)s)
        FROM book
    """,
    # Per DESIGN §5 and subsidies.selectors.subsidies_summary_on: with Y the year of D, claims
    # submitted in Y; claims approved in Y (still committed: approved, batched or paid) and
    # their approved amounts; approved amounts of claims paid in Y; per programme code.
    "subsidies": """
        SELECT programme,
          COUNT(*) FILTER (WHERE submitted_on BETWEEN %(year_start)s AND %(day)s),
          COUNT(*) FILTER (WHERE approved_on BETWEEN %(year_start)s AND %(day)s
                           AND status IN ('approved', 'in_batch', 'paid')),
          COALESCE(SUM(approved_amount) FILTER (WHERE approved_on BETWEEN %(year_start)s
                   AND %(day)s AND status IN ('approved', 'in_batch', 'paid')), 0),
          COALESCE(SUM(approved_amount) FILTER (WHERE paid_on BETWEEN %(year_start)s
                   AND %(day)s AND status = 'paid'), 0)
        FROM subsidies_subsidyclaim
        WHERE submitted_on BETWEEN %(year_start)s AND %(day)s
           OR approved_on BETWEEN %(year_start)s AND %(day)s
           OR paid_on BETWEEN %(year_start)s AND %(day)s
        GROUP BY programme
    """,
    "services": """
        SELECT
          (SELECT COUNT(DISTINCT enterprise_id) FROM enterprises_servicevisit
            WHERE visited_on BETWEEN %(year_start)s AND %(day)s),
          COUNT(*),
          COUNT(*) FILTER (WHERE resolved_on <= %(day)s),
          (SELECT COUNT(*) FROM enterprises_servicerequest
            WHERE rated_on BETWEEN %(year_start)s AND %(day)s AND satisfaction IS NOT NULL),
          (SELECT ROUND(AVG(satisfaction), 2) FROM enterprises_servicerequest
            WHERE rated_on BETWEEN %(year_start)s AND %(day)s AND satisfaction IS NOT NULL)
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
    "updated_at", "bank_name", "bank_account",
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
            "incubators_activity, loans_bank, loans_compensationfund, loans_fundcontribution, "
            "loans_loanapplication, loans_loanstatuschange, loans_repayment, "
            "loans_compensationclaim, subsidies_subsidypolicy, "
            "subsidies_historicalsubsidypolicy, subsidies_subsidyclaim "
            "RESTART IDENTITY CASCADE"
        )
        # Service requests take the first category of the seeded word list.
        cur.execute("SELECT id FROM enterprises_requestcategory ORDER BY sort_order, id LIMIT 1")
        category = cur.fetchone()[0]
    now = timezone.now().isoformat()
    enterprises, registrations, certificates, visits, requests = [], [], [], [], []
    start = dt.date(2015, 1, 1)
    for i in range(1, ENTERPRISES + 1):
        body = f"91500105{i:09d}"
        code = body + uscc.check_character(body)
        enterprises.append(
            "\t".join([code, f"重庆测试科技有限公司{i}", "", "", "active", "it", "", "", "", "",
                       "unlisted", now, now, "", ""])
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
                    rating, rated = NULL, NULL  # half the resolutions rated a few days later
                    if resolved != NULL and rng.random() < 0.5:
                        rating = str(rng.randint(1, 5))
                        rated = (
                            dt.date.fromisoformat(resolved) + dt.timedelta(days=rng.randint(0, 10))
                        ).isoformat()
                    requests.append(
                        "\t".join([str(i), visited.isoformat(), str(category),
                                   f"诉求{len(requests)}", "on_site", status, resolved, "", "",
                                   now, now, "", rating, rated])
                    )  # fmt: skip
    _copy("enterprises_enterprise", ENTERPRISE_COLUMNS, enterprises)
    _copy(
        "enterprises_servicevisit",
        ["enterprise_id", "visited_on", "visitors", "notes", "created_at"],
        visits,
    )
    _copy(
        "enterprises_servicerequest",
        ["enterprise_id", "registered_on", "category_id", "description", "handling", "status",
         "resolved_on", "resolution_note", "closed_reason", "created_at", "updated_at",
         "satisfaction_comment", "satisfaction", "rated_on"],
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
    loans = _loans(rng, now)
    for key, table, columns in LOAN_TABLES:
        _copy(table, columns, loans[key])
    # Subsidies: the other half of the 1,000,000 loan and subsidy records.
    policies, claims = _subsidies(rng, now)
    _copy("subsidies_subsidypolicy", POLICY_COLUMNS, policies)
    _copy("subsidies_subsidyclaim", CLAIM_COLUMNS, claims)
    policy_totals_refresh(range(1, len(policies) + 1))  # what a claim's save keeps
    since_backfill()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO statistics_districtstatistic (year, gdp, rd_expenditure, "
            "city_intensity_pct, note) VALUES (2024, 155000000000, 5200000000, 2.51, '')"
        )
        # The state autovacuum keeps a live database in: statistics, and the visibility map
        # that lets an index-only scan (a count over an index) skip the table.
        cur.execute("VACUUM ANALYZE")
    print(
        f"{len(carriers):,} carriers, {len(recognitions):,} recognitions, "
        f"{len(tenancies):,} tenancies, {len(activities):,} activities, "
        f"{ENTERPRISES:,} enterprises, {len(registrations):,} registrations, "
        f"{len(certificates):,} certificates, {len(visits):,} visits, "
        f"{len(requests):,} service requests, {len(loans['loans']):,} loan applications "
        f"with {len(loans['changes']):,} status changes, {len(loans['repayments']):,} "
        f"repayments and {len(loans['claims']):,} compensation claims, "
        f"{len(policies)} subsidy policies and {len(claims):,} subsidy claims"
    )


def since_backfill() -> None:
    """When each process's row entered its state, set as the migration that added
    `status_since` sets it on existing rows (COPY leaves it empty)."""
    from django.apps import apps

    from common.workflow import REGISTRY, status_since_backfill

    with connection.schema_editor() as editor:
        for wf in REGISTRY.values():
            model, record = wf.model_class, wf.record_class
            names = {f.name for f in model._meta.fields}
            made = next((n for n in ("created_at", "filed_at") if n in names), None)
            label = model._meta.app_label
            status_since_backfill(label, model.__name__, record.__name__, wf.record_fk, made=made)(
                apps, editor
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


# ----------------------------------------------------------------------------- loans

LOAN_TODAY = dt.date(2026, 11, 20)  # the data set's "today": nothing is dated after it
LEDGER_UNTIL = dt.date(2022, 1, 1)  # applications before this came in with the loan ledger
BANKS = 12
LOAN_TERMS = (6, 12, 12, 12, 24, 36)
FUND_SHARE = 0.8
CONTRIBUTION = 200_000_000  # yuan a quarter, 40% city and 60% district


def _at(day: dt.date, rng: random.Random) -> str:
    """A status change's timestamp during office hours in Chongqing (UTC+8)."""
    return f"{day.isoformat()} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:00+08"


# How a story's status reads in the ledger's six words (申请中 … 未获批).
LEDGER_WORDS = {
    "withdrawn": "declined",
    "rejected": "declined",
    "defaulted": "overdue",
    "compensation_claimed": "overdue",
    "approved": "forwarded",
    "submitted": "forwarded",
}
LOAN_TABLES = (
    ("banks", "loans_bank", ["name", "contact_person", "contact_phone", "npl_threshold_pct",
                             "npl_ratio_pct", "paused", "paused_reason"]),
    ("funds", "loans_compensationfund", ["name", "city_share_pct", "balance"]),
    ("contributions", "loans_fundcontribution",
     ["fund_id", "contributed_on", "city_amount", "district_amount", "note"]),
    ("loans", "loans_loanapplication",
     ["enterprise_id", "preferred_bank_id", "bank_id", "quota", "purpose", "requested_amount",
      "term_months", "status", "source", "submitted_on", "approved_amount",
      "approved_term_months", "annual_rate_pct", "disbursed_on", "repaid_principal",
      "principal_loss", "created_at", "updated_at"]),
    ("changes", "loans_loanstatuschange",
     ["application_id", "from_status", "to_status", "created_at", "note"]),
    ("repayments", "loans_repayment", ["loan_id", "paid_on", "principal", "interest",
                                       "recorded_at"]),
    ("claims", "loans_compensationclaim",
     ["loan_id", "fund_id", "principal_loss", "eligible_loss", "amount", "status", "filed_at",
      "paid_on", "note"]),
)  # fmt: skip


def _loan_story(rng: random.Random, submitted: dt.date, amount: int) -> dict:
    """One application's fate as dated events, before it is cut at LOAN_TODAY:
    (day, status) steps after submission, repayments (day, principal) and the claim."""
    forwarded = submitted + dt.timedelta(days=rng.randint(2, 15))
    decided = forwarded + dt.timedelta(days=rng.randint(3, 25))
    roll = rng.random()
    if roll < 0.04:
        return {"steps": [(forwarded, "withdrawn")]}
    if roll < 0.08:
        return {"steps": [(forwarded, "rejected")]}
    if roll < 0.17:
        return {"steps": [(forwarded, "forwarded"), (decided, "declined")]}
    term = rng.choice(LOAN_TERMS)
    approved = amount - rng.randint(0, amount // 50_000) * 10_000  # sometimes a little less
    disbursed = decided + dt.timedelta(days=rng.randint(1, 12))
    matures = disbursed + dt.timedelta(days=term * 30)
    steps = [(forwarded, "forwarded"), (decided, "approved"), (disbursed, "disbursed")]
    story = {"steps": steps, "term": term, "approved": approved, "disbursed": disbursed}
    fate = rng.random()
    installments = rng.randint(1, 4)
    if fate < 0.015:  # defaults: part repaid, overdue, defaulted, compensated by the fund
        paid_count = rng.randint(0, installments - 1)
        share = approved // (installments * 100) * 100
        days = sorted(rng.sample(range(20, term * 30), paid_count)) if paid_count else []
        story["repayments"] = [(disbursed + dt.timedelta(days=d), share) for d in days]
        overdue = matures + dt.timedelta(days=1)
        defaulted = overdue + dt.timedelta(days=rng.randint(90, 180))
        claimed = defaulted + dt.timedelta(days=rng.randint(5, 30))
        paid = claimed + dt.timedelta(days=rng.randint(15, 60))
        loss = approved - share * paid_count
        steps += [(overdue, "overdue"), (defaulted, "defaulted"), (claimed, "compensation_claimed"),
                  (paid, "compensated")]  # fmt: skip
        story["loss"] = loss
        story["claim"] = (claimed, paid)
        return story
    # repaid, in installments; one in eight late (overdue, then repaid)
    late = fate < 0.14
    cut = sorted(rng.sample(range(1, 100), installments - 1))
    shares = [b - a for a, b in zip([0, *cut], [*cut, 100], strict=True)]
    principals = [approved * s // 100 for s in shares]
    principals[-1] += approved - sum(principals)
    days = sorted(rng.sample(range(20, term * 30), installments - 1)) + [term * 30]
    repayments = [
        (disbursed + dt.timedelta(days=d), p) for d, p in zip(days, principals, strict=True)
    ]
    if late:
        overdue = matures + dt.timedelta(days=1)
        settled = overdue + dt.timedelta(days=rng.randint(10, 120))
        repayments[-1] = (settled, repayments[-1][1])
        steps += [(overdue, "overdue"), (settled, "repaid")]
    else:
        steps.append((repayments[-1][0], "repaid"))
    story["repayments"] = repayments
    return story


def _loans(rng: random.Random, now: str) -> dict[str, list[str]]:
    """Banks, one fund with its contributions, and the loan book 2019–2026: per firm a
    sequence of applications, each closed before the next opens (one open application per
    firm), the last possibly still open on LOAN_TODAY. Before 2022 the rows are ledger rows
    (final status, no dated records); after, portal rows with status changes, repayments
    and compensation claims."""
    out: dict[str, list[str]] = {k: [] for k in ("banks", "funds", "contributions", "loans",
                                                  "changes", "repayments", "claims")}  # fmt: skip
    for b in range(1, BANKS + 1):
        out["banks"].append(f"重庆测试银行{b}\t联系人{b}\t023-6000{b:04d}\t5.00\t0.00\tf\t")
    open_statuses = {"submitted", "forwarded", "approved", "disbursed", "overdue", "defaulted",
                     "compensation_claimed"}  # fmt: skip
    unforwarded = {"submitted", "withdrawn", "rejected"}  # no bank yet
    loan_id, paid_total = 0, 0
    for enterprise in range(1, ENTERPRISES + 1):
        if rng.random() < 0.07:
            continue  # never applied
        submitted = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
        while submitted <= LOAN_TODAY:
            loan_id += 1
            bank = rng.randint(1, BANKS)
            ceiling = rng.choice((100, 300, 500))  # most loans are small
            amount = rng.randint(10, ceiling) * 10_000
            story = _loan_story(rng, submitted, amount)
            ledger = submitted < LEDGER_UNTIL
            steps = [(d, s) for d, s in story["steps"] if d <= LOAN_TODAY]
            status = steps[-1][1] if steps else "submitted"
            lent = story.get("disbursed") and story["disbursed"] <= LOAN_TODAY
            repayments = [(d, p) for d, p in story.get("repayments", []) if d <= LOAN_TODAY]
            term = story.get("term", rng.choice(LOAN_TERMS))
            if ledger:  # the ledger's six words; its rows carry no dated records
                status = LEDGER_WORDS.get(status, status)
                if status == "compensated" and rng.random() < 0.3:
                    status = "overdue"  # left overdue in the ledger, never settled there
                approved = amount if lent else None
                repaid = amount if status == "repaid" else 0
                quota = NULL
                loss = NULL
            else:
                approved = story.get("approved") if lent or status == "approved" else None
                repaid = sum(p for _d, p in repayments)
                quota = str(min(amount + rng.randint(0, 50) * 10_000, 5_000_000))
                loss = str(story["loss"]) if story.get("loss") and status in (
                    "defaulted", "compensation_claimed", "compensated") else NULL  # fmt: skip
                previous = "draft"
                for day, to in [(submitted, "submitted"), *steps]:
                    out["changes"].append(f"{loan_id}\t{previous}\t{to}\t{_at(day, rng)}\t")
                    previous = to
                for day, principal in repayments:
                    interest = principal * 4 // 100 * term // 12
                    out["repayments"].append(
                        f"{loan_id}\t{day}\t{principal}.00\t{interest}.00\t{now}"
                    )
                if "claim" in story and status in ("compensation_claimed", "compensated"):
                    claimed, paid = story["claim"]
                    eligible = min(story["loss"], int(quota))
                    due = eligible * 4 // 5
                    paid_on = paid.isoformat() if status == "compensated" else NULL
                    claim_status = "paid" if status == "compensated" else "approved"
                    out["claims"].append(
                        f"{loan_id}\t1\t{story['loss']}.00\t{eligible}.00\t{due}.00\t{claim_status}\t"
                        f"{_at(claimed, rng)}\t{paid_on}\t"
                    )
                    paid_total += due if status == "compensated" else 0
            disbursed = story["disbursed"].isoformat() if lent else NULL
            out["loans"].append("\t".join([
                str(enterprise), str(bank), NULL if status in unforwarded else str(bank), quota, "",
                str(amount), str(term), status, "ledger" if ledger else "portal",
                submitted.isoformat(), str(approved) if approved else NULL,
                str(term) if approved else NULL, "4.35" if approved else NULL, disbursed,
                str(repaid), loss, now, now,
            ]))  # fmt: skip
            if status in open_statuses:
                break  # the firm's one open application
            closed = max([submitted, *(d for d, _s in steps)])
            if status == "compensated" and rng.random() < 0.8:
                break  # few firms borrow again after a default
            if not lent and rng.random() < 0.2:
                break  # turned down or gave up: some never borrow at all
            submitted = closed + dt.timedelta(days=rng.randint(1, 60))
    day = dt.date(2019, 1, 1)
    contributed = 0
    while day <= LOAN_TODAY:
        city = CONTRIBUTION * 2 // 5
        out["contributions"].append(f"1\t{day}\t{city}.00\t{CONTRIBUTION - city}.00\t季度注资")
        contributed += CONTRIBUTION
        day = dt.date(day.year + (day.month + 3 > 12), (day.month + 2) % 12 + 1, 1)
    assert contributed >= paid_total, (contributed, paid_total)
    out["funds"].append(f"重庆市知识价值信用贷款风险补偿基金\t40.00\t{contributed - paid_total}.00")
    return out


# ------------------------------------------------------------------------- subsidies

POLICY_CODES = ("rd_investment", "hte_new", "hte_renewal", "carrier_hte", "carrier_listing",
                "rent")  # fmt: skip
POLICY_YEARS = range(2019, 2027)
# code: (name, kind, amount, unit, rate, cap, yearly budget)
POLICY_VALUES = {
    "rd_investment": ("研发投入补贴", "rate_with_cap", NULL, "", "0.1000", "1000000.00",
                      "800000000.00"),
    "hte_new": ("高企首次认定奖励", "fixed", "500000.00", "", NULL, NULL, "600000000.00"),
    "hte_renewal": ("高企重新认定奖励", "fixed", "200000.00", "", NULL, NULL, "200000000.00"),
    "carrier_hte": ("载体培育高企奖励", "per_unit", "100000.00", "家", NULL, NULL,
                    "500000000.00"),
    "carrier_listing": ("载体培育上市企业奖励", "per_unit", "300000.00", "家", NULL, NULL,
                        "600000000.00"),
    "rent": ("房租补贴", "per_unit", "20.00", "m²·月", NULL, NULL, "900000000.00"),
}  # fmt: skip
POLICY_COLUMNS = [
    "code", "name", "year", "kind", "amount", "unit", "rate", "cap", "document_number",
    "effective_from", "effective_until", "yearly_budget", "qualification", "how_to_apply",
    "status", "rd_basis", "committed_total", "paid_total",
]  # fmt: skip
CLAIM_COLUMNS = [
    "programme", "year", "policy_id", "enterprise_id", "incubator_id", "status", "source",
    "rent_month_from", "rent_month_to", "claimed_amount", "eligible_amount", "computation",
    "approved_amount", "approval_reason", "decision_reason", "description", "submitted_on",
    "approved_on", "paid_on", "notice_starts_on", "notice_ends_on", "created_at", "updated_at",
]  # fmt: skip
# Chance that an enterprise (a carrier) claims under a programme in a given year.
ENTERPRISE_ODDS = (("rd_investment", 0.28), ("hte_new", 0.08), ("hte_renewal", 0.06),
                   ("rent", 0.19))  # fmt: skip
CARRIER_ODDS = (("carrier_hte", 0.9), ("carrier_listing", 0.9))
# The ledger's four words (已受理 / 已核定 / 已拨付 / 未通过) for claims before LEDGER_UNTIL.
CLAIM_LEDGER_WORDS = {"paid": "paid", "in_batch": "approved", "approved": "approved",
                      "rejected": "rejected", "returned": "rejected"}  # fmt: skip


def _eligible(rng: random.Random, code: str) -> tuple[int, tuple[int, int] | None]:
    """The eligible amount in yuan under the year's policy, and the rent months."""
    if code == "rd_investment":  # 10% of audited R&D expenditure, capped at 1,000,000
        return min(rng.randint(50, 5_000) * 10_000 // 10, 1_000_000), None
    if code == "hte_new":
        return 500_000, None
    if code == "hte_renewal":
        return 200_000, None
    if code == "carrier_hte":
        return 100_000 * rng.randint(1, 8), None
    if code == "carrier_listing":
        return 300_000 * rng.randint(1, 3), None
    first = rng.randint(1, 6)
    last = rng.randint(first, 12)
    return 20 * rng.randint(50, 800) * (last - first + 1), (first, last)


def _claim(rng: random.Random, code: str, year: int, claimant: str, now: str) -> str | None:
    """One claim's story (submission, review, audit for R&D, three signatures, 7-day public
    notice and its end, approval, payment batch, payment), cut at LOAN_TODAY; None when not
    even drafted."""
    if code == "rd_investment":  # last year's R&D, audited: submitted early the next year
        submitted = dt.date(year + 1, 1, 10) + dt.timedelta(days=rng.randint(0, 120))
    else:
        submitted = dt.date(year, 3, 1) + dt.timedelta(days=rng.randint(0, 240))
    policy = (year - 2019) * len(POLICY_CODES) + POLICY_CODES.index(code) + 1
    eligible, months = _eligible(rng, code)
    claimed = eligible + (rng.randint(1, 20) * 1_000 if rng.random() < 0.1 else 0)
    ledger = year < LEDGER_UNTIL.year
    rent_from, rent_to = NULL, NULL
    if months and not ledger:  # ledger rows carry no months
        rent_from, rent_to = str(months[0]), str(months[1])
    status, approved, reason, decision = "draft", NULL, "", ""
    dates: dict[str, dt.date] = {}
    if submitted > LOAN_TODAY:
        if rng.random() < 0.7:
            return None
    else:
        steps = [(submitted, "submitted")]
        day = submitted + dt.timedelta(days=rng.randint(5, 30))
        steps.append((day, "under_review"))
        roll = rng.random()
        if roll < 0.03:
            steps.append((day + dt.timedelta(days=rng.randint(3, 20)), "returned"))
        elif roll < 0.07:
            steps.append((day + dt.timedelta(days=rng.randint(3, 20)), "rejected"))
        else:
            if code == "rd_investment":
                day += dt.timedelta(days=rng.randint(5, 15))
                steps.append((day, "audit_assigned"))
                day += dt.timedelta(days=rng.randint(30, 60))
                steps.append((day, "audited"))
            # The three signatures, each a state: handler, section head, deputy director.
            for signed in ("handler_signed", "section_head_signed", "signed_off"):
                day += dt.timedelta(days=rng.randint(2, 7))
                steps.append((day, signed))
            notice = day + dt.timedelta(days=rng.randint(1, 7))
            steps.append((notice, "in_notice"))
            dates["notice"] = notice
            steps.append((notice + dt.timedelta(days=7), "notice_ended"))  # the system's step
            day = notice + dt.timedelta(days=7 + rng.randint(1, 10))
            if roll < 0.09:  # objections during the public notice
                steps.append((day, "rejected"))
            else:
                steps.append((day, "approved"))
                dates["approved"] = day
                if rng.random() > 0.03:  # a few wait long for their batch
                    day += dt.timedelta(days=rng.randint(10, 60))
                    steps.append((day, "in_batch"))
                    day += dt.timedelta(days=rng.randint(5, 30))
                    steps.append((day, "paid"))
                    dates["paid"] = day
        steps = [(d, s) for d, s in steps if d <= LOAN_TODAY]
        status = steps[-1][1]
        dates = {k: d for k, d in dates.items() if d <= LOAN_TODAY}
        if status in ("approved", "in_batch", "paid"):
            amount = eligible
            if rng.random() < 0.15:
                amount = eligible - eligible * rng.randint(1, 30) // 100
                reason = "部分费用不予认定"
            approved = f"{amount}.00"
        if status in ("returned", "rejected"):
            decision = "材料不全" if status == "returned" else "不符合申报条件"
        if ledger:
            status = CLAIM_LEDGER_WORDS.get(status, "submitted")
    notice = dates.get("notice")
    return "\t".join([
        code, str(year), str(policy), *claimant.split(":"), status,
        "ledger" if ledger else "portal", rent_from, rent_to, f"{claimed}.00", f"{eligible}.00",
        "{}", approved, reason, decision, "",
        submitted.isoformat() if status != "draft" else NULL,
        dates["approved"].isoformat() if "approved" in dates else NULL,
        dates["paid"].isoformat() if "paid" in dates else NULL,
        notice.isoformat() if notice and not ledger else NULL,
        (notice + dt.timedelta(days=7)).isoformat() if notice and not ledger else NULL,
        now, now,
    ])  # fmt: skip


def _subsidies(rng: random.Random, now: str) -> tuple[list[str], list[str]]:
    """A policy version per programme and year 2019–2026 (ids in POLICY_CODES order), and
    at most one claim per claimant, programme and year: enterprises for four programmes,
    carriers for the two carrier rewards; ledger rows (final status only) before 2022."""
    policies = []
    for year in POLICY_YEARS:
        for code in POLICY_CODES:
            name, kind, amount, unit, rate, cap, budget = POLICY_VALUES[code]
            policies.append("\t".join([
                code, f"{year}年{name}", str(year), kind, amount, unit, rate, cap,
                f"渝科局发〔{year}〕{POLICY_CODES.index(code) + 1}号", f"{year}-01-01",
                f"{year}-12-31", budget, "", "", "published", "tax", "0", "0",
            ]))  # fmt: skip
    claims = []
    for claimants, odds, as_claimant in (
        (range(1, ENTERPRISES + 1), ENTERPRISE_ODDS, lambda i: f"{i}:{NULL}"),
        (range(1, CARRIERS + 1), CARRIER_ODDS, lambda i: f"{NULL}:{i}"),
    ):
        for i in claimants:
            claimant = as_claimant(i)
            for year in POLICY_YEARS:
                for code, chance in odds:
                    if rng.random() < chance:
                        claim = _claim(rng, code, year, claimant, now)
                        if claim is not None:
                            claims.append(claim)
    return policies, claims


def sql_params(period: Period) -> dict:
    day = period.last_day
    return {
        "day": day,
        "first": period.first_day,
        "horizon": day + dt.timedelta(days=90),
        "year": period.year,
        "year_start": dt.date(period.year, 1, 1),
        "end": timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)),
    }


def hand_sql(period: Period) -> dict:
    params = sql_params(period)
    with connection.cursor() as cur:
        cur.execute(HAND_SQL["incubators"], params)
        row = cur.fetchone()
        cur.execute(HAND_SQL["enterprises"], params)
        registered, new, valid, expiring = cur.fetchone()
        cur.execute(HAND_SQL["services"], params)
        visited, collected, resolved, rated, average = cur.fetchone()
        cur.execute(HAND_SQL["rd"], params)
        rd = cur.fetchone()
        cur.execute(HAND_SQL["loans"], params)
        loans = cur.fetchone()
        cur.execute(HAND_SQL["subsidies"], params)
        subsidies = cur.fetchall()
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
            "satisfaction_ratings_ytd": rated,
            "satisfaction_average_ytd": None if average is None else float(average),
        },
        "rd_year": rd[0],
        "loans": _loans_figures(loans),
        "subsidies": _subsidies_figures(subsidies),
    }


def _subsidies_figures(rows: list[tuple]) -> dict:
    by_policy = dict.fromkeys(POLICY_CODES, (0, 0, 0, 0))
    by_policy.update({code: figures for code, *figures in rows})
    return {
        "claims_ytd": sum(f[0] for f in by_policy.values()),
        "approved_ytd": sum(f[1] for f in by_policy.values()),
        "approved_amount_ytd": f"{sum(f[2] for f in by_policy.values()):.2f}",
        "paid_amount_ytd": f"{sum(f[3] for f in by_policy.values()):.2f}",
        "by_policy": {
            code: {
                "claims": claims,
                "approved_amount": f"{amount:.2f}",
                "paid_amount": f"{paid:.2f}",
            }
            for code, (claims, _approved, amount, paid) in by_policy.items()
        },
    }


def _loans_figures(row: tuple) -> dict:
    applicants, granted, amount, month, overdue_ledger, outstanding, overdue, paid, given = row
    return {
        "applicant_firms": applicants,
        "granted_firms": granted,
        "granted_amount": f"{amount:.2f}",
        "granted_amount_month": f"{month:.2f}",
        "outstanding_amount": f"{outstanding:.2f}",
        "overdue_loans": overdue + overdue_ledger,
        "compensation_paid": f"{paid:.2f}",
        "fund_balance": f"{given - paid:.2f}",
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
    assert summary.figures["loans"] == expected["loans"], (
        summary.figures["loans"],
        expected["loans"],
    )
    assert summary.figures["subsidies"] == expected["subsidies"], (
        summary.figures["subsidies"],
        expected["subsidies"],
    )
    assert summary.figures["rd"]["year"] == expected["rd_year"]
    ratio = summary_time / sql_time
    print(f"hand-written SQL: {sql_time * 1000:.1f} ms (best of {RUNS})")
    print(f"monthly summary {PERIOD}: {summary_time * 1000:.1f} ms (best of {RUNS})")
    print(f"figures: {summary.figures['incubators']}")
    print(f"         {summary.figures['enterprises']} {summary.figures['services']}")
    print(f"         {summary.figures['loans']}")
    print(f"         {summary.figures['subsidies']}")
    # The loans section alone: its ORM queries against its hand-written statement.
    params = sql_params(period)

    def loans_sql() -> tuple:
        with connection.cursor() as cur:
            cur.execute(HAND_SQL["loans"], params)
            return cur.fetchone()

    loans_sql_time, _row = best_of(loans_sql, RUNS)
    loans_orm_time, _figures = best_of(lambda: loans_summary_on(day=period.last_day), RUNS)
    print(
        f"loans section: ORM {loans_orm_time * 1000:.1f} ms, SQL {loans_sql_time * 1000:.1f} ms "
        f"(ratio {loans_orm_time / loans_sql_time:.2f}×)"
    )
    # The subsidies section alone, likewise.

    def subsidies_sql() -> list:
        with connection.cursor() as cur:
            cur.execute(HAND_SQL["subsidies"], params)
            return cur.fetchall()

    subsidies_sql_time, _rows = best_of(subsidies_sql, RUNS)
    subsidies_orm_time, _figures = best_of(lambda: subsidies_summary_on(day=period.last_day), RUNS)
    print(
        f"subsidies section: ORM {subsidies_orm_time * 1000:.1f} ms, "
        f"SQL {subsidies_sql_time * 1000:.1f} ms "
        f"(ratio {subsidies_orm_time / subsidies_sql_time:.2f}×)"
    )
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(f"Ratio {ratio:.2f}× — {verdict} the target of {TARGET:.0f}×")


if __name__ == "__main__":
    main()
