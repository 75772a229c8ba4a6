"""Large lists from the admin: an ImportJob run by a real Celery worker, with progress."""

import io
import time

import pytest
from django.contrib.auth import get_user_model

from enterprises.models import Enterprise, ImportJob, Street
from enterprises.resources import EnterpriseResource
from enterprises.services.imports import import_job_create
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
