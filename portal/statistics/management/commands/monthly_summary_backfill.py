"""`manage.py monthly_summary_backfill --from YYYY-MM --to YYYY-MM [--force]`."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from portal.statistics import services
from portal.statistics.management.commands.monthly_summary import parse_period


class Command(BaseCommand):
    help = "Compute the monthly summary of every month in a range (existing ones are kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="First month, YYYY-MM.")
        parser.add_argument("--to", dest="last", required=True, help="Last month, YYYY-MM.")
        parser.add_argument(
            "--force", action="store_true", help="Recompute months that already have a snapshot."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = parse_period(options["first"]), parse_period(options["last"])
        try:
            summaries = services.monthly_summary_backfill(
                first=first, last=last, force=options["force"]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            _("%(count)d months from %(first)s to %(last)s are summarised.")
            % {"count": len(summaries), "first": first, "last": last}
        )
