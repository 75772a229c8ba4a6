"""Admin wiring for official-list imports: the fast formats, background jobs, their progress.

`LedgerImportAdminMixin` goes before import-export's ImportExportMixin in a ModelAdmin
whose resource_classes are LedgerResources. Small files keep the stock flow, preview then
confirm, on the engine's own validation (`LedgerResource.import_table`, as `manage.py import`
runs it): a refused file is listed as the command prints it, one "第 N 行「列」：…" line per
error under the same heading; a good one shows how many rows are new, updated and unchanged.
A file of more than settings.IMPORT_BACKGROUND_ROWS rows becomes an ImportJob run by
Celery, and the user is taken to the job's page, which shows its progress and, if refused,
its messages.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.importing import messages as import_messages
from common.importing.readers import (
    CSV,
    XLSX,
    FileReadError,
    LedgerCSV,
    LedgerXLSX,
    check_file_size,
    read_table,
    size_in_mb,
)
from common.importing.resources import ImportOutcome, LedgerResource
from enterprises.models import ImportJob
from enterprises.services.imports import import_job_create, import_job_rerun


def validate_list_size(upload: Any) -> None:
    """Refuse an upload above settings.IMPORT_MAX_FILE_BYTES at the field, before reading it."""
    try:
        check_file_size(upload.size)
    except FileReadError as exc:
        raise ValidationError(str(exc)) from None


class LedgerImportAdminMixin:
    """Import through the ledger engine; large files in the background (see module doc)."""

    import_formats = [LedgerXLSX, LedgerCSV]
    import_template_name = "admin/common/ledger_import.html"

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = self._import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            outcome: ImportOutcome | None = getattr(
                response.context_data.get("result"), "outcome", None
            )
            if outcome is not None and outcome.refused:
                heading, *lines = _refused_lines(outcome)
                response.context_data.update(refused_heading=heading, refused_lines=lines)
        return response

    def _import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and self.has_import_permission(request):  # type: ignore[attr-defined]
            form = self.create_import_form(request)  # type: ignore[attr-defined]
            if form.is_valid():
                job = self._start_background_import(request, form)
                if job is not None:
                    messages.info(
                        request,
                        gettext(
                            "The list has %(rows)s rows: it is being imported in the "
                            "background. This page shows its progress."
                        )
                        % {"rows": job.total_rows},
                    )
                    url = reverse(
                        "admin:enterprises_importjob_change",
                        args=[job.pk],
                        current_app=self.admin_site.name,  # type: ignore[attr-defined]
                    )
                    return HttpResponseRedirect(url)
        response = super().import_action(request, **kwargs)  # type: ignore[misc]
        self._name_new_words(request, response)
        return response

    def _name_new_words(self, request: HttpRequest, response: HttpResponse) -> None:
        """The preview names the words the list would add to the bureau's own lists (the
        confirm step adds them); the messages show on the page being rendered."""
        result = (getattr(response, "context_data", None) or {}).get("result")
        for line in getattr(result, "new_word_lines", ()):
            messages.info(request, line)

    def create_import_form(self, request: HttpRequest) -> Any:
        form = super().create_import_form(request)  # type: ignore[misc]
        field = form.fields["import_file"]
        field.validators.append(validate_list_size)
        field.help_text = gettext("An xlsx or csv file of at most %(size)s MB.") % {
            "size": size_in_mb(settings.IMPORT_MAX_FILE_BYTES)
        }
        return form

    def write_to_tmp_storage(self, import_file: Any, input_format: Any) -> Any:
        # The stock method joins the chunks with +=, copying the file once per chunk.
        tmp_storage = self.get_tmp_storage_class()(  # type: ignore[attr-defined]
            encoding=None,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),  # type: ignore[attr-defined]
        )
        tmp_storage.save(b"".join(import_file.chunks()))
        return tmp_storage

    def _start_background_import(self, request: HttpRequest, form: Any) -> ImportJob | None:
        upload = form.cleaned_data["import_file"]
        data = b"".join(upload.chunks())
        upload.seek(0)
        format_class = self.get_import_formats()[int(form.cleaned_data["format"])]  # type: ignore[attr-defined]
        kind = {LedgerXLSX: XLSX, LedgerCSV: CSV}.get(format_class)
        try:
            table = read_table(data, kind=kind)
        except FileReadError:
            return None  # the stock flow reports it on the form
        if len(table) <= settings.IMPORT_BACKGROUND_ROWS:
            return None
        resource_class = self.choose_import_resource_class(form, request)  # type: ignore[attr-defined]
        if not issubclass(resource_class, LedgerResource):
            return None
        return import_job_create(
            resource_class=resource_class,
            file_name=upload.name,
            data=data,
            total_rows=len(table),
            acting_user=request.user,
        )

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        if isinstance(e, FileReadError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)  # type: ignore[misc]

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        # The data may have changed between preview and confirm; a refused file says why.
        outcome: ImportOutcome | None = getattr(result, "outcome", None)
        if outcome is not None and outcome.refused:
            for line in _refused_lines(outcome):
                messages.error(request, line)
            app_label, model_name = self.get_model_info()  # type: ignore[attr-defined]
            url = reverse(
                f"admin:{app_label}_{model_name}_import",
                current_app=self.admin_site.name,  # type: ignore[attr-defined]
            )
            return HttpResponseRedirect(url)
        for line in getattr(result, "new_word_lines", ()):
            messages.success(request, line)
        return super().process_result(result, request)  # type: ignore[misc]


def _refused_lines(outcome: ImportOutcome) -> list[str]:
    """What `manage.py import` prints for a refused file: a heading, then one line per error."""
    return [import_messages.REFUSED.format(count=outcome.error_count), *outcome.messages()]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background imports: read-only; jobs are created by uploading a large list."""

    list_display = (
        "original_name",
        "resource_path",
        "status",
        "progress",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("created_by",)
    search_fields = ("original_name",)
    date_hierarchy = "created_at"
    fields = (
        "original_name",
        "resource_path",
        "status",
        "progress",
        "created_rows",
        "updated_rows",
        "skipped_rows",
        "error_list",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )
    readonly_fields = fields

    actions = ["run_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_run_again_permission(self, request: HttpRequest) -> bool:
        """Offered to whoever may import some official list (each job is checked again
        against its own list); a view-only account is offered no action that writes."""
        return any(
            isinstance(model_admin, LedgerImportAdminMixin)
            and model_admin.has_import_permission(request)  # type: ignore[attr-defined]
            for model_admin in self.admin_site._registry.values()
        )

    @admin.action(description=_("Run the selected failed imports again"), permissions=["run_again"])
    def run_again(self, request: HttpRequest, queryset: Any) -> None:
        """Queue each selected failed job's file again as a new job, for staff who may
        import into that list (the import permission of the list's model)."""
        queued = refused = 0
        for job in queryset.filter(status=ImportJob.Status.FAILED):
            model = import_string(job.resource_path).model()._meta
            if not request.user.has_perm(f"{model.app_label}.add_{model.model_name}"):
                refused += 1
                continue
            import_job_rerun(job=job, acting_user=request.user)
            queued += 1
        if queued:
            messages.success(
                request, gettext("%(count)s import(s) queued again.") % {"count": queued}
            )
        if refused:
            messages.error(
                request,
                gettext("%(count)s import(s) not queued: you may not import into that list.")
                % {"count": refused},
            )
        if not queued and not refused:
            messages.warning(request, gettext("Only failed imports can be run again."))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, job: ImportJob) -> str:
        return format_html(
            '<progress max="100" value="{}"></progress> {} / {} ({}%)',
            job.progress_percent,
            job.processed_rows,
            job.total_rows,
            job.progress_percent,
        )

    @admin.display(description=_("error messages"))
    def error_list(self, job: ImportJob) -> str:
        if not job.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in job.errors))
        )
