"""Background work on the base data: importing an uploaded file (``run_import``)."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiceng.core.errors import DomainError
from jiceng.registry import imports
from jiceng.registry.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)


class _ErrorReport:
    """The row-level error report (CSV: row, column, reason), written while the import runs."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed in save()
        self.text = io.TextIOWrapper(self.file, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow([_("Row"), _("Column"), _("Reason"), _("Code")])
        self.count = 0

    def add(self, issue: imports.RowIssue) -> None:
        self.writer.writerow([issue.row, issue.label or issue.column, issue.message, issue.code])
        self.count += 1

    def save(self, job: ImportJob) -> None:
        self.text.flush()
        self.text.detach()
        try:
            if self.count:
                self.file.seek(0)
                job.error_report.save(f"import-{job.pk}-errors.csv", File(self.file), save=False)
        finally:
            self.file.close()


def _progress(job: ImportJob, report: imports.ImportReport) -> Any:
    def update(_rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=report.rows,
            created_count=report.created,
            updated_count=report.updated,
            unchanged_count=report.unchanged,
            error_count=report.error_rows,
        )

    return update


@shared_task(name="jiceng.registry.tasks.run_import", soft_time_limit=3 * 3600, time_limit=3 * 3600 + 60)
def run_import(job_id: int) -> None:
    """Import the job's file as its creator, updating the job's progress after every batch.

    Runs once: a job that is no longer queued (a redelivered task) is left alone.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    report = imports.ImportReport()
    with translation.override(settings.LANGUAGE_CODE):
        errors = _ErrorReport()
        status, message = ImportStatus.DONE, ""
        try:
            with job.file.open("rb") as handle:
                imports.import_file(
                    job.created_by,
                    job.kind,
                    handle,
                    job.filename,
                    progress=_progress(job, report),
                    report=report,
                    on_issue=errors.add,
                )
        except DomainError as exc:
            status, message = ImportStatus.FAILED, str(exc.message)
        except Exception:
            logger.exception("import job %s failed", job_id)
            status, message = ImportStatus.FAILED, _("The import stopped because of an internal error.")
        finally:
            errors.save(job)
    job.status = status
    job.message = message[:500]
    job.processed_rows = report.rows
    job.created_count, job.updated_count = report.created, report.updated
    job.unchanged_count, job.error_count = report.unchanged, report.error_rows
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "message",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "error_report",
            "finished_at",
        ]
    )
