"""Private uploads: size limit, content-sniffed type, private storage, attachment serving."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from common.uploads import (
    PrivateFileField,
    PrivateFileValidator,
    private_upload_to,
    serve_private_file,
    sniff_kind,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["统一社会信用代码", "企业名称"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_like_bytes() -> bytes:
    """A zip that is an Office file but not a spreadsheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


ACCEPTED = [
    ("report.pdf", PDF, "pdf"),
    ("list.xlsx", xlsx_bytes(), "xlsx"),
    ("photo.png", PNG, "png"),
    ("photo.jpg", JPEG, "jpeg"),
    ("photo.JPEG", JPEG, "jpeg"),
]
REFUSED = [
    ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 64),  # a Windows executable named .pdf
    ("page.pdf", b"<html><script>alert(1)</script></html>"),
    ("letter.xlsx", docx_like_bytes()),  # a Word file renamed .xlsx
    ("broken.xlsx", b"PK\x03\x04 not really a zip"),
    ("notes.txt", b"plain text"),
]


# Each case is named by its file: a zip's bytes carry the second it was made, and the xdist
# workers, which each build them at import, must collect the same test ids.
@pytest.mark.parametrize(("name", "content", "kind"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_files_pass_and_are_sniffed_by_content(name, content, kind):
    file = upload(name, content)
    PrivateFileValidator()(file)
    assert sniff_kind(file) == kind
    assert file.tell() == 0  # left at the start for storage


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=[c[0] for c in REFUSED])
def test_files_whose_content_is_not_accepted_are_refused(name, content):
    with pytest.raises(ValidationError) as excinfo:
        PrivateFileValidator()(upload(name, content))
    assert excinfo.value.code == "file_type"


def test_kinds_restrict_what_is_accepted():
    with pytest.raises(ValidationError) as excinfo:
        PrivateFileValidator(kinds=("pdf",))(upload("photo.png", PNG))
    assert excinfo.value.code == "file_type"


def test_an_extension_that_lies_about_the_content_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        PrivateFileValidator()(upload("report.pdf", PNG))
    assert excinfo.value.code == "file_extension"


def test_files_above_the_size_limit_are_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    PrivateFileValidator()(upload("small.pdf", PDF.ljust(1024, b" ")))
    with pytest.raises(ValidationError) as excinfo:
        PrivateFileValidator()(upload("big.pdf", PDF.ljust(1025, b" ")))
    assert excinfo.value.code == "file_too_large"
    assert "1.0 KB" in excinfo.value.messages[0] or "1.0" in excinfo.value.messages[0]


def test_empty_files_are_refused():
    with pytest.raises(ValidationError) as excinfo:
        PrivateFileValidator()(upload("empty.pdf", b""))
    assert excinfo.value.code in {"file_empty", "file_type"}


def test_form_field_reports_the_error_at_the_field():
    class Form(forms.Form):
        report = PrivateFileField(kinds=("pdf",), label="审计报告")

    bad = Form(files={"report": upload("report.pdf", b"GIF89a....")})
    assert not bad.is_valid()
    assert bad.has_error("report", "file_type")
    good = Form(files={"report": upload("report.pdf", PDF)})
    assert good.is_valid()
    assert 'accept=".pdf"' in str(good["report"])


def test_validator_is_deconstructible_for_model_fields():
    path, args, kwargs = PrivateFileValidator(kinds=("pdf",)).deconstruct()
    assert path == "common.uploads.PrivateFileValidator"
    assert PrivateFileValidator(*args, **kwargs) == PrivateFileValidator(kinds=("pdf",))
    assert private_upload_to("audits").deconstruct()[0] == "common.uploads.private_upload_to"


def test_uploads_are_stored_privately_under_a_random_name(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    name = private_upload_to("audits")(None, "张三 身份证.PDF")
    assert name.startswith("audits/") and name.endswith(".pdf") and "张三" not in name
    stored = default_storage.save(name, ContentFile(PDF))
    assert (tmp_path / stored).read_bytes() == PDF
    # Not under the static files, and no MEDIA_URL that a web server could serve.
    static_dirs = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    assert not any(tmp_path.is_relative_to(d) for d in static_dirs)
    # MEDIA_URL is unset (Django reports "" as the script prefix "/"), and no route serves
    # the stored path: the only way out is a permission-checked view.
    assert settings.MEDIA_URL in ("", "/")
    with pytest.raises(Resolver404):
        resolve("/" + stored)


def test_the_configured_private_root_is_outside_the_static_files():
    location = Path(settings.STORAGES["default"]["OPTIONS"]["location"]).resolve()
    for static in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not location.is_relative_to(static.resolve())


@pytest.mark.django_db  # closing a response sends request_finished, which touches the DB
def test_serve_private_file_sends_an_attachment_that_is_never_sniffed(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    stored = default_storage.save("audits/2026/01/abc.pdf", ContentFile(PDF))
    field_file = FieldFile(instance=None, field=_FakeField(), name=stored)
    request = RequestFactory().get("/download")

    response = serve_private_file(request, field_file, filename="审计报告 2025.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF
    response.close()


class _FakeField:
    """Just enough of a FileField for FieldFile: the default storage."""

    @property
    def storage(self):
        return default_storage
