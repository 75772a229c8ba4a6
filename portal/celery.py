"""The Celery app, and the one place that declares every periodic schedule.

Task settings (JSON only, acks_late, soft and hard time limits, Asia/Shanghai) live in the
Django settings under the CELERY_ prefix so each environment can change them.
"""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every day at 03:10 Beijing time: drop expired sessions and stale login-failure records.
    "portal-housekeeping": {
        "task": "portal.tasks.housekeeping",
        "schedule": crontab(hour=3, minute=10),
    },
    # Days 1 to 7 of every month at 02:00: snapshot the previous month (and any earlier month
    # missed while the broker was down). Once the month exists the later days change nothing.
    "statistics-compute-previous-month": {
        "task": "statistics.compute_previous_month",
        "schedule": crontab(day_of_month="1-7", hour=2, minute=0),
    },
    # Days 1 to 7 of every month at 08:30: email the previous month's report to every active
    # subscriber who has not had it yet; a run missed on the 1st is caught up the next day.
    "statistics-send-monthly-reports": {
        "task": "statistics.send_monthly_reports",
        "schedule": crontab(day_of_month="1-7", hour=8, minute=30),
    },
    # Every minute (OUTBOX_SWEEP_SECONDS): queue again every email whose next attempt is due
    # or whose task was lost, take back the claims of killed workers, and alert the admins
    # once about emails that stay undelivered.
    "common-sweep-outbox": {
        "task": "common.sweep_outbox",
        "schedule": settings.OUTBOX_SWEEP_SECONDS,
    },
    # Every minute: a background import whose worker stopped sending its heartbeat (killed,
    # out of memory) is marked failed, so that staff see it and can run it again.
    "enterprises-fail-lost-import-jobs": {
        "task": "enterprises.fail_lost_import_jobs",
        "schedule": crontab(minute="*"),
    },
    # Every day at 00:10 Beijing time: subsidy claims whose public notice ended the day
    # before move to "notice ended", and staff are told they wait for approval.
    "subsidies-end-notices": {
        "task": "subsidies.end_notices",
        "schedule": crontab(hour=0, minute=10),
    },
    # Every day at 08:30 Beijing time, before office hours start: each handler gets one
    # email listing their overdue service requests (never twice for the same day).
    "enterprises-overdue-digests": {
        "task": "enterprises.send_overdue_digests",
        "schedule": crontab(hour=8, minute=30),
    },
    # Every day at 09:00 Beijing time: email a high-tech certificate's holder firm and the
    # registry staff 90 and 30 days before it expires, once each. A reminder is due for its
    # whole window, so a day missed while the broker was down is made up the next morning.
    "enterprises-high-tech-expiry-reminders": {
        "task": "enterprises.send_high_tech_expiry_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    # Every day at 00:20 Beijing time: a disbursed loan whose instalment fell due before today
    # and is not repaid becomes overdue (the bank and the firm are told). Running it twice
    # changes nothing: an overdue loan is no longer a disbursed one.
    "loans-fall-overdue": {
        "task": "loans.fall_overdue",
        "schedule": crontab(hour=0, minute=20),
    },
}
