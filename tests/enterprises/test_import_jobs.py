"""Large lists from the admin: an ImportJob run by a real Celery worker, with progress."""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from common.importing import messages as msg
from common.lib import uscc
from enterprises.models import Enterprise, ImportJob, Street
from enterprises.resources import EnterpriseResource
from enterprises.services.imports import import_job_create, import_jobs_fail_lost
from enterprises.tasks import fail_lost_import_jobs
from portal.celery import app as celery_app
from tests.enterprises.test_resources import (
    BAD_CODE,
    HEADERS,
    csv_bytes,
    enterprise_rows,
    xlsx_bytes,
    xlsx_format_index,
)

DONE = (ImportJob.Status.DONE, ImportJob.Status.FAILED)


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def staff(transactional_db):
    # transactional_db empties every table after a test, seeded streets included.
    for name in ("观音桥街道", "鱼嘴镇"):
        Street.objects.get_or_create(name=name)
    return get_user_model().objects.create_superuser(username="boss", password="x")


def wait_for(job_id: int, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in DONE:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status}")


def test_job_imports_the_list_in_the_worker(celery_worker, private_storage, staff):
    job = import_job_create(
        resource_class=EnterpriseResource,
        file_name="list.xlsx",
        data=xlsx_bytes(HEADERS, enterprise_rows()),
        total_rows=2,
        acting_user=staff,
    )
    assert job.status == ImportJob.Status.QUEUED
    assert job.file.name.startswith("imports/")

    job = wait_for(job.pk)

    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.processed_rows, job.total_rows, job.created_rows) == (2, 2, 2)
    assert job.started_at and job.finished_at
    assert Enterprise.objects.count() == 2
    assert {h.history_user for h in Enterprise.history.all()} == {staff}


def test_refused_job_stores_the_chinese_messages_and_saves_nothing(
    celery_worker, private_storage, staff
):
    rows = enterprise_rows()
    rows[1][0] = BAD_CODE
    job = import_job_create(
        resource_class=EnterpriseResource,
        file_name="list.csv",
        data=csv_bytes(HEADERS, rows, "gb18030"),
        total_rows=2,
        acting_user=staff,
    )

    job = wait_for(job.pk)

    assert job.status == ImportJob.Status.FAILED
    assert job.errors == ["第 3 行「统一社会信用代码」：校验位错误"]
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()


def test_large_admin_upload_runs_in_the_background_with_progress(
    celery_worker, private_storage, staff, client, settings
):
    settings.IMPORT_BACKGROUND_ROWS = 1
    client.force_login(staff)
    upload = io.BytesIO(xlsx_bytes(HEADERS, enterprise_rows()))
    upload.name = "big.xlsx"

    response = client.post(
        "/admin/enterprises/enterprise/import/",
        {"import_file": upload, "format": xlsx_format_index(Enterprise), "resource": 0},
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/enterprises/importjob/{job.pk}/change/"
    assert job.created_by == staff
    job = wait_for(job.pk)
    assert job.status == ImportJob.Status.DONE
    page = client.get(response["Location"]).content.decode()
    assert "2 / 2 (100%)" in page
    assert Enterprise.objects.count() == 2


def test_job_page_lists_the_errors(celery_worker, private_storage, staff, client):
    rows = enterprise_rows()
    rows[0][5] = "明年"
    job = import_job_create(
        resource_class=EnterpriseResource,
        file_name="list.csv",
        data=csv_bytes(HEADERS, rows),
        total_rows=2,
        acting_user=staff,
    )
    wait_for(job.pk)
    client.force_login(staff)

    page = client.get(f"/admin/enterprises/importjob/{job.pk}/change/").content.decode()

    assert "第 2 行「成立日期」：日期格式错误" in page


# ------------------------------------------------------------------- a worker that dies


def _running_job(*, heartbeat_age: float | None, file_data: bytes = b"") -> ImportJob:
    job = ImportJob(
        resource_path="enterprises.resources.EnterpriseResource",
        original_name="list.csv",
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=None
        if heartbeat_age is None
        else timezone.now() - timedelta(seconds=heartbeat_age),
    )
    job.file.save("list.csv", ContentFile(file_data), save=False)
    job.save()
    return job


def test_sweep_fails_running_jobs_whose_heartbeat_stopped_and_leaves_live_ones(
    private_storage, staff, settings
):
    settings.IMPORT_JOB_STALE_SECONDS = 60
    lost = _running_job(heartbeat_age=61)
    never_beat = _running_job(heartbeat_age=None)
    alive = _running_job(heartbeat_age=5)

    assert import_jobs_fail_lost() == 2
    assert import_jobs_fail_lost() == 0  # safe to run twice

    for job in (lost, never_beat):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert job.errors == [msg.IMPORT_WORKER_LOST]
        assert job.finished_at
    alive.refresh_from_db()
    assert alive.status == ImportJob.Status.RUNNING


def _big_list(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for i in range(rows):
        body = f"91500105{i:09d}"
        writer.writerow([body + uscc.check_character(body), f"企业{i}", "张三", "观音桥街道",
                         "信息技术", "2015-03-02", "65.37", 50, 10, "未上市", "李四",
                         "023-67000001", "江北区"])  # fmt: skip
    return out.getvalue().encode()


def test_job_whose_worker_is_killed_is_marked_failed_and_saves_nothing(
    private_storage, staff, settings, tmp_path
):
    """A real `celery worker` process runs a 100,000-row import and is killed with SIGKILL
    half-way; the sweep, run by another worker, marks the job failed within seconds
    (heartbeat and staleness lowered for the test). While the worker lived, its heartbeat
    kept the sweep off the job."""
    settings.IMPORT_JOB_STALE_SECONDS = 2
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "PRIVATE_MEDIA_ROOT": str(private_storage),
        "IMPORT_JOB_HEARTBEAT_SECONDS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=settings.BASE_DIR, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        job = import_job_create(
            resource_class=EnterpriseResource,
            file_name="big.csv",
            data=_big_list(100_000),
            total_rows=100_000,
            acting_user=staff,
        )
        deadline = time.monotonic() + 40
        while ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED:
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        time.sleep(settings.IMPORT_JOB_STALE_SECONDS + 1.5)
        import_jobs_fail_lost()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING, "finished or swept while alive"
        assert job.heartbeat_at > job.started_at
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    killed_at = time.monotonic()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        while ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING:
            assert time.monotonic() - killed_at < 20, "the lost job is still running"
            fail_lost_import_jobs.delay()
            time.sleep(1)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [msg.IMPORT_WORKER_LOST]
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()


def test_staff_run_a_failed_job_again_from_the_admin(celery_worker, private_storage, staff, client):
    failed = _running_job(heartbeat_age=None, file_data=csv_bytes(HEADERS, enterprise_rows()))
    ImportJob.objects.filter(pk=failed.pk).update(
        status=ImportJob.Status.FAILED, errors=[msg.IMPORT_WORKER_LOST]
    )
    client.force_login(staff)

    response = client.post(
        "/admin/enterprises/importjob/",
        {"action": "run_again", "_selected_action": [failed.pk]},
    )

    assert response.status_code == 302
    again = ImportJob.objects.exclude(pk=failed.pk).get()
    assert (again.file.name, again.created_by) == (failed.file.name, staff)
    again = wait_for(again.pk)
    assert again.status == ImportJob.Status.DONE, again.errors
    assert Enterprise.objects.count() == 2
    failed.refresh_from_db()
    assert failed.status == ImportJob.Status.FAILED  # its record stays as it was


def test_only_staff_who_may_import_the_list_can_run_it_again(private_storage, staff, client):
    failed = _running_job(heartbeat_age=None)
    ImportJob.objects.filter(pk=failed.pk).update(status=ImportJob.Status.FAILED)
    viewer = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    client.force_login(viewer)

    client.post(
        "/admin/enterprises/importjob/",
        {"action": "run_again", "_selected_action": [failed.pk]},
    )

    assert ImportJob.objects.count() == 1
