"""Background imports: a large official list uploaded in the admin is imported by Celery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from common.importing.readers import FileReadError, read_table
from common.importing.resources import LedgerResource
from enterprises.models import ImportJob

if TYPE_CHECKING:
    from common.types import User

logger = logging.getLogger(__name__)


def _resource_class(path: str) -> type[LedgerResource]:
    resource_class = import_string(path)
    if not (isinstance(resource_class, type) and issubclass(resource_class, LedgerResource)):
        raise ValueError(f"{path} is not an official-list resource")
    return resource_class


@transaction.atomic
def import_job_create(
    *,
    resource_class: type[LedgerResource],
    file_name: str,
    data: bytes,
    total_rows: int,
    acting_user: User,
) -> ImportJob:
    """Keep the uploaded list in private storage and queue its import.

    Side effects: saves the file, creates a queued ImportJob and, once the transaction
    commits, enqueues `enterprises.tasks.run_import_job` for it.
    """
    path = f"{resource_class.__module__}.{resource_class.__qualname__}"
    _resource_class(path)
    job = ImportJob(
        resource_path=path,
        original_name=file_name[:255],
        total_rows=total_rows,
        created_by=acting_user,
    )
    job.file.save(file_name.rsplit("/", 1)[-1] or "list", ContentFile(data), save=False)
    job.save()

    from enterprises.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued import job: validate and import its file, all or nothing.

    Side effects: claims the job (queued → running; a job already claimed is left alone, so
    a redelivered task does nothing), updates `processed_rows` as rows are validated, then
    writes the rows with their history (by the job's creator) and marks the job done, or
    stores the Chinese error messages and marks it failed with nothing saved.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=rows)

    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        table = read_table(data)
        ImportJob.objects.filter(pk=job_id).update(total_rows=len(table))
        resource = _resource_class(job.resource_path)()
        outcome = resource.import_table(table, acting_user=job.created_by, progress=progress)
    except FileReadError as exc:
        _finish(job_id, status=ImportJob.Status.FAILED, errors=[str(exc)])
    except Exception:
        logger.exception("Import job %s failed", job_id)
        _finish(
            job_id, status=ImportJob.Status.FAILED, errors=["导入时发生系统错误，没有保存任何数据"]
        )
        raise
    else:
        if outcome.refused:
            _finish(job_id, status=ImportJob.Status.FAILED, errors=outcome.messages())
        else:
            _finish(
                job_id,
                status=ImportJob.Status.DONE,
                processed_rows=outcome.total_rows,
                created_rows=outcome.new,
                updated_rows=outcome.updated,
                skipped_rows=outcome.skipped,
            )
    job.refresh_from_db()
    return job


def _finish(job_id: int, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
