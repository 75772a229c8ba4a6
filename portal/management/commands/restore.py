"""`manage.py restore FOLDER`: a backup back into an empty database and media folder."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from portal.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a folder written by `manage.py backup` into the configured database, which "
        "must be empty, and the private media folder, which must be empty too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="The backup folder (BACKUP_DIR/<date>).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(folder=options["folder"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Restored %(folder)s: %(tables)d tables and %(rows)d rows, %(files)d files; "
                "all match the manifest."
            )
            % {
                "folder": options["folder"],
                "tables": report.tables,
                "rows": report.rows,
                "files": report.files,
            }
        )
