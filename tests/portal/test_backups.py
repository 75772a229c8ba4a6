"""`manage.py backup` and `manage.py restore` (make backup / make restore): the round trip.

The demo (seed_demo, as `make run` builds it) goes into a copy of the migrated test database;
the backup is taken from it under production settings and restored into a new empty database
and media folder; every table's rows and every upload's checksum must come back. Building
the demo is expensive, so it is done once for the module.
"""

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]

# Marked for the database so that pytest-django runs these tests with the ordinary database
# tests, before any transactional test of this worker empties the tables that the copy below
# is made from (the data migrations' rows: roles, the calendar, the credit model).
# One worker builds the round trip for the module (two would each build it).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("backups")]


@dataclass
class RoundTrip:
    source: str
    target: str
    folder: Path
    source_media: Path
    target_media: Path
    restore: subprocess.CompletedProcess[str]


def _admin(dbname: str = "postgres"):
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=dbname,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


def _sql(statement: str, dbname: str = "postgres") -> None:
    conn = _admin(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def _url(dbname: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{dbname}"


def row_counts(dbname: str) -> dict[str, int]:
    """Rows of every table of the public schema of `dbname`."""
    conn = _admin(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            names = [name for (name,) in cursor.fetchall()]
            counts = {}
            for name in names:
                cursor.execute(f'SELECT count(*) FROM "{name}"')
                counts[name] = cursor.fetchone()[0]
            return counts
    finally:
        conn.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _sha256(p) for p in root.rglob("*") if p.is_file()}


def manage(*args: str, settings_module: str, database: str, media: Path, **extra: str):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": _url(database),
        "PRIVATE_MEDIA_ROOT": str(media),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def prod(*args: str, database: str, media: Path) -> subprocess.CompletedProcess[str]:
    """A management command as production runs it (make backup, the compose service)."""
    return manage(
        *args,
        settings_module="portal.settings.prod",
        database=database,
        media=media,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kjj.example.cn",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )


def _copy_of(template: str, name: str) -> None:
    """CREATE DATABASE name TEMPLATE template, waiting out a session still closing."""
    for attempt in range(20):
        try:
            _sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg2.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def round_trip(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[RoundTrip]:
    with django_db_blocker.unblock():
        test_db = connection.settings_dict["NAME"]
        source, target = f"{test_db}_bk_source", f"{test_db}_bk_target"
        for name in (source, target):
            _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # A copy of the migrated test database needs it free of sessions for a moment.
        connection.close()
        _copy_of(test_db, source)
        _sql(f'CREATE DATABASE "{target}"')
        try:
            tmp = tmp_path_factory.mktemp("backup")
            source_media, target_media = tmp / "media", tmp / "restored-media"
            # The demo as `make run` builds it: dev settings, tasks in-process (no broker).
            seeded = manage(
                "seed_demo",
                settings_module="portal.settings.dev",
                database=source,
                media=source_media,
                CELERY_BROKER_URL="",
            )
            assert seeded.returncode == 0, seeded.stderr
            backup = prod(
                "backup", "--output-dir", str(tmp / "backups"), database=source, media=source_media
            )
            assert backup.returncode == 0, backup.stderr
            (folder,) = (tmp / "backups").iterdir()
            restore = prod("restore", str(folder), database=target, media=target_media)
            yield RoundTrip(source, target, folder, source_media, target_media, restore)
        finally:
            for name in (source, target):
                _sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_brings_back_every_row_of_every_table_and_every_upload(round_trip):
    assert round_trip.restore.returncode == 0, round_trip.restore.stderr
    source = row_counts(round_trip.source)
    assert source["enterprises_enterprise"] >= 190
    assert source["subsidies_claimattachment"] >= 1
    assert row_counts(round_trip.target) == source
    # A private file: one of the demo's claim documents.
    document = next(p for p in sorted(round_trip.source_media.rglob("*.pdf")))
    restored = round_trip.target_media / document.relative_to(round_trip.source_media)
    assert _sha256(restored) == _sha256(document)
    assert _files(round_trip.target_media) == _files(round_trip.source_media)


def test_a_backup_is_one_dated_folder_with_the_dump_the_media_and_a_manifest(round_trip):
    assert round_trip.folder.name[:8].isdigit() and round_trip.folder.name[8] == "-"
    assert len(round_trip.folder.name) == len("20250131-020000")
    assert sorted(p.name for p in round_trip.folder.iterdir()) == [
        "database.dump",
        "manifest.json",
        "media.tar.gz",
    ]
    assert [p.name for p in round_trip.folder.parent.iterdir()] == [round_trip.folder.name]


def test_restore_refuses_a_database_that_is_not_empty(round_trip, tmp_path):
    before = row_counts(round_trip.target)
    result = prod("restore", str(round_trip.folder), database=round_trip.target, media=tmp_path)
    assert result.returncode != 0
    assert "CommandError" in result.stderr and round_trip.target in result.stderr
    assert row_counts(round_trip.target) == before
    assert not any(tmp_path.iterdir())


def test_restore_refuses_a_damaged_backup_and_touches_nothing(round_trip, tmp_path):
    damaged = tmp_path / round_trip.folder.name
    shutil.copytree(round_trip.folder, damaged)
    dump = damaged / "database.dump"
    content = bytearray(dump.read_bytes())
    content[len(content) // 2] ^= 0xFF
    dump.write_bytes(bytes(content))
    empty = f"{round_trip.target}_damaged"
    _sql(f'CREATE DATABASE "{empty}"')
    try:
        result = prod("restore", str(damaged), database=empty, media=tmp_path / "media")
        assert result.returncode != 0
        assert "database.dump" in result.stderr
        assert row_counts(empty) == {}
    finally:
        _sql(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
    assert not (tmp_path / "media").exists()
