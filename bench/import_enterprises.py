"""Benchmark: import a 100,000-row official enterprise list against a bare PostgreSQL COPY.

Run by `make bench` (DJANGO_SETTINGS_MODULE=portal.settings.test, from the project root).
It owns one scratch database, `portal_bench` (created and migrated if missing; nothing else
is touched), builds the list as xlsx and csv, then times:

- COPY: the same rows, already in database form, COPYed into enterprises_enterprise;
- import: reading the file, validating every cell, upserting on the USCC and writing the
  simple-history rows, exactly as `manage.py import` does.

The table is truncated before each run; the best of a few runs is reported. Target: ≤ 7×.
"""

import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET = 7.0
DB_NAME = "portal_bench"

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

from common.importing.readers import CSV, XLSX, read_table  # noqa: E402
from common.lib import uscc  # noqa: E402
from common.lib.money import wan_to_yuan  # noqa: E402
from enterprises.models import Enterprise, Street  # noqa: E402
from enterprises.resources import (  # noqa: E402
    INDUSTRY_LABELS,
    LISTING_LABELS,
    EnterpriseResource,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WORDS = ["创新", "智能", "数字", "云帆", "两江", "嘉陵", "长江", "山城", "融汇", "星辰", "博远"]
TRADES = ["科技", "信息技术", "生物医药", "新材料", "智能制造", "环保科技", "软件"]


def build_rows(n: int) -> list[list]:
    rng = random.Random(2024)
    streets = list(Street.objects.values_list("name", flat=True))
    industries = list(INDUSTRY_LABELS)
    listings = list(LISTING_LABELS)
    rows = []
    for i in range(n):
        body = f"91500105{i:09d}"
        employees = rng.randint(5, 900)
        rows.append(
            [
                body + uscc.check_character(body),
                f"重庆{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司{i}",
                rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋"),
                rng.choice(streets),
                rng.choice(industries),
                dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 8000)),
                f"{rng.randint(10, 50000)}.{rng.randint(0, 99):02d}",
                employees,
                rng.randint(0, employees),
                rng.choice(listings),
                rng.choice(SURNAMES) + "经理",
                f"023-6{rng.randint(1000000, 9999999)}",
                f"重庆市江北区{rng.choice(streets)}{rng.randint(1, 999)}号",
            ]
        )
    return rows


def write_xlsx(path: Path, headers: list[str], rows: list[list]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        # Amounts as numbers, as official lists usually have them.
        sheet.append([*row[:6], float(row[6]), *row[7:]])
    workbook.save(path)


def write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([*row[:5], row[5].isoformat(), *row[6:]])


def copy_text(rows: list[list]) -> tuple[list[str], str]:
    """The same rows in database form (yuan, street id, defaults) as COPY text."""
    street_ids = dict(Street.objects.values_list("name", "pk"))
    now = timezone.now().isoformat()
    columns = [
        "uscc", "name", "legal_representative", "street_id", "industry", "founded_on",
        "registered_capital", "employees", "rd_staff", "listing", "contact_person",
        "contact_phone", "address", "uscc_override_reason", "status", "contact_email",
        "created_at", "updated_at",
    ]  # fmt: skip
    lines = []
    for r in rows:
        cells = [
            r[0], r[1], r[2], str(street_ids[r[3]]), INDUSTRY_LABELS[r[4]], r[5].isoformat(),
            str(wan_to_yuan(r[6])), str(r[7]), str(r[8]), LISTING_LABELS[r[9]], r[10], r[11],
            r[12], "", "active", "", now, now,
        ]  # fmt: skip
        lines.append("\t".join(cells))
    return columns, "\n".join(lines) + "\n"


def truncate() -> None:
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE enterprises_enterprise, enterprises_historicalenterprise RESTART IDENTITY "
            "CASCADE"
        )


def time_copy(columns: list[str], text: str) -> float:
    truncate()
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.cursor.copy_expert(
            f"COPY enterprises_enterprise ({', '.join(columns)}) FROM STDIN", io.StringIO(text)
        )
        elapsed = time.perf_counter() - start
    return elapsed


def time_import(path: Path, kind: str) -> tuple[float, float, str]:
    truncate()
    start = time.perf_counter()
    data = path.read_bytes()
    table = read_table(data, kind=kind)
    read = time.perf_counter() - start
    outcome = EnterpriseResource().import_table(table)
    elapsed = time.perf_counter() - start
    assert not outcome.refused, outcome.messages()[:5]
    assert outcome.new == ROWS, (outcome.new, outcome.updated, outcome.skipped)
    return elapsed, read, f"{outcome.new} new"


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    connection.ensure_connection()
    print(f"Benchmark database: {connection.settings_dict['NAME']}; {ROWS:,} enterprises")
    rows = build_rows(ROWS)
    headers = EnterpriseResource.headers()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx_path, csv_path = Path(tmp) / "enterprises.xlsx", Path(tmp) / "enterprises.csv"
        start = time.perf_counter()
        write_xlsx(xlsx_path, headers, rows)
        write_csv(csv_path, headers, rows)
        print(f"Lists written in {time.perf_counter() - start:.1f} s")

        columns, text = copy_text(rows)
        copy_best = min(time_copy(columns, text) for _ in range(RUNS))
        print(f"PostgreSQL COPY of the same rows: {copy_best:.3f} s (best of {RUNS})")

        worst_ratio = 0.0
        for label, path, kind in (("xlsx", xlsx_path, XLSX), ("csv", csv_path, CSV)):
            runs = [time_import(path, kind) for _ in range(RUNS)]
            best = min(runs)
            ratio = best[0] / copy_best
            worst_ratio = max(worst_ratio, ratio)
            print(
                f"import {label}: {best[0]:.3f} s (reading {best[1]:.3f} s), "
                f"{ratio:.2f}× COPY (best of {RUNS})"
            )
        # The same list again: every row compared, none written, no history rows added.
        history_before = Enterprise.history.count()
        start = time.perf_counter()
        outcome = EnterpriseResource().import_table(read_table(csv_path.read_bytes(), kind=CSV))
        again = time.perf_counter() - start
        assert outcome.skipped == ROWS and Enterprise.history.count() == history_before
        print(f"re-import csv (no change): {again:.3f} s, {again / copy_best:.2f}× COPY")
    truncate()
    verdict = "within" if worst_ratio <= TARGET else "ABOVE"
    print(f"Worst ratio {worst_ratio:.2f}× — {verdict} the target of {TARGET:.0f}×")


if __name__ == "__main__":
    main()
