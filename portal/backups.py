"""Backups that restore: a PostgreSQL dump and the private media, with a manifest to check.

A backup is one dated folder (BACKUP_DIR/<YYYYMMDD-HHMMSS>, local time) holding
`database.dump` (pg_dump's custom format), `media.tar.gz` (every private upload) and
`manifest.json`: the rows of every table as the dump holds them, each upload's SHA-256 and
the checksums of the two files. The folder is written under a hidden name and renamed at the
end, so a folder with a manifest is a finished backup.

A restore goes only into an empty database and an empty media folder, checks the files
against the manifest before touching anything, and checks the restored rows and uploads
against it afterwards. pg_dump and pg_restore are the machine's PostgreSQL client programs
(their major version must be at least the server's).
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media.tar.gz"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that was refused or failed, with a message for the operator."""


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    files: int


def media_root() -> Path:
    """The private media folder (the default storage's location)."""
    return Path(storages["default"].location)  # type: ignore[attr-defined]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(
            _(
                "Backups need PostgreSQL; this database is %(vendor)s. Point DATABASE_URL at "
                "the PostgreSQL database to back up."
            )
            % {"vendor": connection.vendor}
        )


def _client_env() -> dict[str, str]:
    """The environment that points pg_dump/pg_restore at the configured database (the
    password travels in PGPASSWORD, never on a command line)."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(args: list[str]) -> str:
    try:
        result = subprocess.run(
            args, env=_client_env(), capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(program)s was not found: install the PostgreSQL client programs.")
            % {"program": args[0]}
        ) from exc
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": args[0], "error": result.stderr.strip() or result.returncode}
        )
    return result.stdout


def table_counts() -> dict[str, int]:
    """Rows of every table of the public schema, by table name (one count each)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        )
        names = [name for (name,) in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def _media_files(root: Path) -> dict[str, str]:
    """Every file under `root` by its relative path, with its SHA-256."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): _sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup_create(*, parent: Path, now: dt.datetime | None = None) -> Path:
    """Write a backup folder under `parent` and return it.

    The row counts and the dump come from one snapshot of the database (pg_dump imports the
    snapshot that the counting transaction exported), so they agree even while the portal
    writes. Uploads are read afterwards: one saved during the backup may or may not be in it.
    """
    _require_postgresql()
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    folder = parent / stamp
    if folder.exists():
        raise BackupError(_("%(folder)s exists already.") % {"folder": folder})
    partial = parent / f".{stamp}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
                snapshot, server_version = cursor.fetchone()
            counts = table_counts()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={partial / DUMP}",
                    f"--dbname={settings.DATABASES['default']['NAME']}",
                ]
            )
        client_version = _run(["pg_dump", "--version"]).strip()
        root = media_root()
        files = _media_files(root)
        with tarfile.open(partial / MEDIA, "w:gz") as archive:
            for name in files:
                archive.add(root / name, arcname=name, recursive=False)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": timezone.localtime(now or timezone.now()).isoformat(),
            "database": {
                "name": settings.DATABASES["default"]["NAME"],
                "server_version": server_version,
                "pg_dump": client_version,
                "tables": counts,
            },
            "media": {"files": files},
            "checksums": {name: _sha256(partial / name) for name in (DUMP, MEDIA)},
        }
        (partial / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
        )
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder


def backup_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a finished backup, once both files match their checksums."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            _("%(folder)s has no %(manifest)s: it is not a backup folder, or not a finished one.")
            % {"folder": folder, "manifest": MANIFEST}
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for name, expected in manifest["checksums"].items():
        if not (folder / name).is_file() or _sha256(folder / name) != expected:
            raise BackupError(
                _("%(file)s of %(folder)s does not match its checksum: the backup is damaged.")
                % {"file": name, "folder": folder}
            )
    return manifest


def _differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {expected.get(key)} → {found.get(key)}"
        for key in sorted(set(expected) | set(found))
        if expected.get(key) != found.get(key)
    ]


def backup_restore(*, folder: Path) -> RestoreReport:
    """Restore the backup in `folder` into the configured database and media folder.

    Refuses (changing nothing) a damaged backup, a database that has any table and a media
    folder that has any file. Afterwards compares the rows of every table and every upload
    with the manifest and raises BackupError naming each difference.
    """
    _require_postgresql()
    manifest = backup_manifest(folder)
    name = settings.DATABASES["default"]["NAME"]
    existing = table_counts()
    if existing:
        raise BackupError(
            _(
                "The database %(name)s is not empty (%(tables)d tables). A backup is restored "
                "only into an empty database: create one (createdb) and point DATABASE_URL at it."
            )
            % {"name": name, "tables": len(existing)}
        )
    root = media_root()
    if _media_files(root):
        raise BackupError(
            _(
                "The media folder %(root)s is not empty. A backup is restored only into an "
                "empty media folder."
            )
            % {"root": root}
        )
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={name}",
            str(folder / DUMP),
        ]
    )
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA, "r:gz") as archive:
        archive.extractall(root, filter="data")
    # A fresh connection: the restored tables were created by another session.
    connection.close()
    differences = _differences(manifest["database"]["tables"], table_counts())
    differences += _differences(manifest["media"]["files"], _media_files(root))
    if differences:
        raise BackupError(
            _("The restore does not match the manifest: %(differences)s")
            % {"differences": "; ".join(differences)}
        )
    tables = manifest["database"]["tables"]
    return RestoreReport(
        tables=len(tables), rows=sum(tables.values()), files=len(manifest["media"]["files"])
    )
