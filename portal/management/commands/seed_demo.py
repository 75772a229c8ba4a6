"""`manage.py seed_demo`: a believable Chinese demo registry and one login per role."""

import time
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from portal import demo


def _pad(text: str, width: int) -> str:
    """Left-justify to `width` terminal columns; CJK characters take two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


class Command(BaseCommand):
    help = (
        "Create the demo data: about 200 Jiangbei enterprises with registrations, high-tech "
        "certificates and annual figures, and one login per role (printed at the end). "
        "Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off. The demo logins share a published password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed whatever part of the demo is missing (one transaction), then print the logins.

        Refuses to run with DEBUG off unless --force is given, so that a production
        database does not gain accounts with a published password by accident.
        """
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a real deployment, and the demo logins share a "
                "published password. Pass --force to seed anyway."
            )
        started = time.monotonic()
        # The demo's workflows notify their fictitious users; when tasks run in-process (no
        # broker, as in `make run`) keep that mail in memory instead of printing it all.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            result = demo.seed()
        elapsed = time.monotonic() - started
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            f"Demo data ready in {elapsed:.1f}s: created {result.enterprises_created} "
            f"enterprises, {result.registrations_created} tech-firm registrations, "
            f"{result.certificates_created} high-tech certificates, "
            f"{result.figures_created} annual figures and {result.users_created} users "
            "(records that existed were left as they were)."
        )
        base = settings.PORTAL_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"演示账号 Demo logins  {base}/"))
        user_width = max(len(login.username) for login in result.logins) + 2
        password_width = len(demo.DEMO_PASSWORD) + 2
        role_width = 18
        self.stdout.write(
            "  "
            + _pad("用户名", user_width)
            + _pad("密码", password_width)
            + _pad("角色", role_width)
            + "用途"
        )
        for login in result.logins:
            self.stdout.write(
                "  "
                + _pad(login.username, user_width)
                + _pad(demo.DEMO_PASSWORD, password_width)
                + _pad(login.role.value, role_width)
                + login.where
            )
