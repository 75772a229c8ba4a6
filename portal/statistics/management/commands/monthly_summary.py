"""`manage.py monthly_summary --period YYYY-MM [--json] [--force]` (DESIGN §5)."""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.statistics import services
from portal.statistics.lib import Period, PeriodError


def parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise CommandError(
            _("Malformed period %(text)r: write the month as YYYY-MM, such as 2022-09.")
            % {"text": text}
        ) from exc


class Command(BaseCommand):
    help = "Compute (or show) the monthly summary of a month; --json prints it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="The month, YYYY-MM.")
        parser.add_argument("--json", action="store_true", help="Print the snapshot as JSON.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Recompute an existing month; the replaced figures stay in the history.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = parse_period(options["period"])
        try:
            summary = services.monthly_summary_compute(period=period, force=options["force"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(
                _("Monthly summary %(period)s as of %(as_of)s, computed %(computed_at)s.")
                % {
                    "period": summary.period_label,
                    "as_of": summary.as_of.isoformat(),
                    # In the bureau's time (Asia/Shanghai), as the JSON gives it.
                    "computed_at": timezone.localtime(summary.computed_at).isoformat(
                        timespec="seconds"
                    ),
                }
            )
