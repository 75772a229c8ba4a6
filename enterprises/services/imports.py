"""Background imports: a large official list uploaded in the admin is imported by Celery.

A worker can die mid-import (killed, out of memory, the machine restarted). The import is
one transaction, so nothing is half-saved; what must not happen is a job left "running"
forever. While it runs, the job's worker writes a heartbeat from a thread of its own every
IMPORT_JOB_HEARTBEAT_SECONDS; a sweep every minute (`import_jobs_fail_lost`) marks failed
any running job whose heartbeat is older than IMPORT_JOB_STALE_SECONDS. The task is
acks_late, so the broker may deliver it again after a lost worker: the run then finds the
job no longer queued and does nothing. Resuming automatically is deliberately not done: a
file that kills its worker (by memory) would kill the next one too. Staff re-run a failed
job from the admin (`import_job_rerun`), from the file kept in private storage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from common.importing import messages as msg
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
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=rows)

    try:
        with _heartbeat(job_id):
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


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Beat for the job from a thread with its own connection while the body runs.

    A thread, because the rows are written in one long transaction on the task's own
    connection, where an update would stay invisible until the end; it dies with its process.
    """
    stop = threading.Event()
    every = settings.IMPORT_JOB_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(every):
                ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"import-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def import_jobs_fail_lost() -> int:
    """Mark failed every running job whose worker stopped beating; return how many.

    Side effects: such jobs become failed with a Chinese message saying that nothing was
    saved (the import is one transaction, rolled back with its lost connection). Safe to
    run twice: a job already failed is not touched.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)
    lost = ImportJob.objects.filter(status=ImportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )
    count = lost.update(
        status=ImportJob.Status.FAILED, finished_at=now, errors=[msg.IMPORT_WORKER_LOST]
    )
    if count:
        logger.warning("%s import job(s) lost their worker and were marked failed", count)
    return count


@transaction.atomic
def import_job_rerun(*, job: ImportJob, acting_user: User) -> ImportJob:
    """Queue a failed job's file again, as a new job started by `acting_user`.

    Side effects: creates a queued ImportJob on the same stored file (the failed job and
    its messages stay as they were) and enqueues it once the transaction commits. Raises
    ValueError for a job that has not failed.
    """
    if job.status != ImportJob.Status.FAILED:
        raise ValueError("only a failed import job can be run again")
    _resource_class(job.resource_path)
    again = ImportJob.objects.create(
        resource_path=job.resource_path,
        file=job.file.name,
        original_name=job.original_name,
        total_rows=job.total_rows,
        created_by=acting_user,
    )

    from enterprises.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(again.pk))
    return again
