"""`manage.py end_notices`: the daily system step, run by hand.

The beat schedule runs `subsidies.end_notices` every night; without a broker (`make run`)
nothing is scheduled, so this ends the notices whose last day is past now, as the night's
run would. Staff are told each claim waits for their approval.
"""

from typing import Any

from django.core.management.base import BaseCommand

from subsidies.services import subsidy_claim_notices_end


class Command(BaseCommand):
    help = "End the public notices of subsidy claims whose last day is past."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = subsidy_claim_notices_end()
        self.stdout.write(f"{ended} notice(s) ended.")
