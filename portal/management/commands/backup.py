"""`manage.py backup [--output-dir DIR]`: the database and the private media, in one folder."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from portal.backups import BackupError, backup_create, backup_manifest


class Command(BaseCommand):
    help = (
        "Write a PostgreSQL dump and the private media with a manifest to a dated folder "
        "under BACKUP_DIR (see the README's Backups section)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=None,
            help="Where the dated folder is made (default: the BACKUP_DIR setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        parent = options["output_dir"] or Path(settings.BACKUP_DIR)
        try:
            folder = backup_create(parent=parent)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = backup_manifest(folder)
        tables = manifest["database"]["tables"]
        self.stdout.write(
            _("Backup written to %(folder)s: %(tables)d tables, %(rows)d rows, %(files)d files.")
            % {
                "folder": folder,
                "tables": len(tables),
                "rows": sum(tables.values()),
                "files": len(manifest["media"]["files"]),
            }
        )
