"""`manage.py import`: django-import-export's command, on the fast ledger engine.

Same arguments as the stock command. Differences: xlsx is read with calamine and csv with
the csv module (UTF-8 with or without BOM, or GB18030); any invalid row refuses the whole
file, prints the Chinese row-and-column messages on stderr and exits non-zero (the stock
command exits 0 on validation errors). Words a file adds to one of the bureau's own lists
are named on stdout: "新词条 问题类别：融资需求、用地用房".
"""

import importlib
import sys
from typing import Any

from django.core.management.base import CommandError
from import_export.command_utils import get_resource_class

from common.importing import messages as msg
from common.importing.readers import CSV, XLSX, FileReadError, guess_kind, read_table
from common.importing.resources import LedgerResource

# "import" is a keyword, so the stock command module is loaded by name.
stock_import = importlib.import_module("import_export.management.commands.import")


def _kind(format_name: str | None, file_name: str) -> str:
    if format_name:
        name = format_name.rsplit(".", 1)[-1].upper()
        if name in ("XLSX", "XLS"):
            return XLSX
        if name == "CSV":
            return CSV
        raise CommandError(f"Unsupported format for official lists: {format_name} (XLSX or CSV)")
    return guess_kind(file_name=file_name)


class Command(stock_import.Command):
    help = "Import an official list (xlsx or csv) through a resource; all or nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        file_name = options["import_file_name"]
        resource_class = get_resource_class(options["resource"])
        if not (isinstance(resource_class, type) and issubclass(resource_class, LedgerResource)):
            # A model or a resource of another kind: the stock command handles it as before.
            return super().handle(*args, **options)
        prompt = "Are you sure you want to import the data? [yes/no]: "
        if options["interactive"] and input(prompt) != "yes":
            raise CommandError("Import cancelled.")

        try:
            if file_name == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(file_name, "rb") as handle:
                    data = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file_name}: {exc}") from exc

        kind = _kind(options.get("format"), file_name)
        try:
            table = read_table(data, kind=kind, encoding=options.get("encoding"))
        except FileReadError as exc:
            raise CommandError(str(exc)) from exc

        resource = resource_class()
        dry_run = bool(options.get("dry_run"))
        outcome = resource.import_table(table, dry_run=dry_run)
        if outcome.refused:
            lines = [msg.REFUSED.format(count=outcome.error_count), *outcome.messages()]
            raise CommandError("\n".join(lines))
        if dry_run:
            self.stderr.write(
                self.style.NOTICE(
                    "You have activated the --dry-run option so no data will be modified."
                )
            )
        # Words of the bureau's own lists the file named for the first time (DESIGN §5).
        for line in outcome.new_word_lines():
            self.stdout.write(line)
        self.stderr.write(
            self.style.NOTICE(
                f"Import finished: {outcome.new} new, {outcome.updated} updated, 0 deleted and "
                f"{outcome.skipped} skipped {resource_class.model()._meta.verbose_name_plural}."
            )
        )
