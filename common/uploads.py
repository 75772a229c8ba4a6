"""Private uploads: size and content-sniffed type checks, private paths, serving.

Files go to the default storage (outside the static files; MEDIA_URL is unset, so no URL
serves them directly). The only way out is `serve_private_file`, which a view calls after it
fetched the owning object through a selector that checked who asks.

Usage in any app's form: `forms.FileField(validators=[PrivateFileValidator(kinds=("pdf",))])`
or `PrivateFileField(kinds=("pdf", "xlsx"))`; on a model: `upload_to=private_upload_to("claims")`.
"""

import mimetypes
import posixpath
import uuid
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# What each kind is called, the extensions it may carry and the content type it is served as.
KINDS: dict[str, dict[str, Any]] = {
    "pdf": {
        "label": _("PDF"),
        "extensions": (".pdf",),
        "content_type": "application/pdf",
    },
    "xlsx": {
        "label": _("Excel workbook (.xlsx)"),
        "extensions": (".xlsx",),
        "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "png": {"label": _("PNG image"), "extensions": (".png",), "content_type": "image/png"},
    "jpeg": {
        "label": _("JPEG image"),
        "extensions": (".jpg", ".jpeg"),
        "content_type": "image/jpeg",
    },
}
ALL_KINDS = tuple(KINDS)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
# A hostile zip could claim a huge [Content_Types].xml; it is tiny in real workbooks.
_CONTENT_TYPES_MAX = 1024 * 1024


def _is_xlsx(file: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(file) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return False
            return b"spreadsheetml" in archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return False


def sniff_kind(file: IO[bytes]) -> str | None:
    """The kind of a file judged by its content ('pdf', 'xlsx', 'png', 'jpeg'), or None.

    Reads from the start and leaves the file positioned at the start.
    """
    file.seek(0)
    head = file.read(16)
    try:
        if head.startswith(_PDF_MAGIC):
            return "pdf"
        if head.startswith(_PNG_MAGIC):
            return "png"
        if head.startswith(_JPEG_MAGIC):
            return "jpeg"
        if head.startswith(_ZIP_MAGIC):
            file.seek(0)
            return "xlsx" if _is_xlsx(file) else None
        return None
    finally:
        file.seek(0)


def _kinds_text(kinds: Iterable[str]) -> str:
    return "、".join(str(KINDS[kind]["label"]) for kind in kinds)


@deconstructible
class PrivateFileValidator:
    """Refuses an upload that is too large or whose content is not one of `kinds`.

    The size limit is settings.UPLOAD_MAX_BYTES unless `max_bytes` is given. The extension
    must agree with the content, so that the stored name never lies about the file.
    """

    def __init__(self, kinds: Iterable[str] = ALL_KINDS, max_bytes: int | None = None) -> None:
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"Unknown upload kinds: {sorted(unknown)}")
        self.max_bytes = max_bytes

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PrivateFileValidator)
            and self.kinds == other.kinds
            and self.max_bytes == other.max_bytes
        )

    def __call__(self, file: Any) -> None:
        limit = self.max_bytes if self.max_bytes is not None else settings.UPLOAD_MAX_BYTES
        if file.size is not None and file.size > limit:
            raise ValidationError(
                _("The file is %(size)s; files may be at most %(limit)s."),
                code="file_too_large",
                params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            )
        if file.size == 0:
            raise ValidationError(_("The file is empty."), code="file_empty")
        kind = sniff_kind(file)
        if kind not in self.kinds:
            raise ValidationError(
                _("The content of this file is not an accepted type. Accepted: %(kinds)s."),
                code="file_type",
                params={"kinds": _kinds_text(self.kinds)},
            )
        extension = posixpath.splitext(getattr(file, "name", "") or "")[1].lower()
        if extension not in KINDS[kind]["extensions"]:
            raise ValidationError(
                _("The file name ends in “%(extension)s” but its content is a %(kind)s."),
                code="file_extension",
                params={"extension": extension or "—", "kind": KINDS[kind]["label"]},
            )


class PrivateFileField(forms.FileField):
    """A form file field with the private upload checks and a matching `accept` hint."""

    def __init__(
        self, *, kinds: Iterable[str] = ALL_KINDS, max_bytes: int | None = None, **kwargs: Any
    ) -> None:
        kinds = tuple(kinds)
        validators = [*kwargs.pop("validators", []), PrivateFileValidator(kinds, max_bytes)]
        super().__init__(validators=validators, **kwargs)
        self.widget.attrs.setdefault(
            "accept", ",".join(ext for kind in kinds for ext in KINDS[kind]["extensions"])
        )


@deconstructible
class private_upload_to:  # noqa: N801 (used like a function in upload_to=)
    """upload_to for private files: `<prefix>/<yyyy>/<mm>/<random>.<ext>`.

    The random name keeps the uploader's file name (which may hold personal data) out of the
    storage path and makes paths unguessable; keep the original name on the model if needed.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, private_upload_to) and self.prefix == other.prefix

    def __call__(self, instance: Any, filename: str) -> str:
        extension = posixpath.splitext(filename)[1].lower()[:10]
        now = timezone.localdate()
        return f"{self.prefix}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{extension}"


def serve_private_file(
    request: HttpRequest, field_file: FieldFile, *, filename: str
) -> FileResponse:
    """Send a stored private file as a download.

    Call only from a view that fetched the owning object through a selector scoped to the
    user. The response is an attachment, never sniffed or cached by shared caches.
    """
    extension = posixpath.splitext(filename)[1].lower()
    known = [info["content_type"] for info in KINDS.values() if extension in info["extensions"]]
    content_type = (known or [mimetypes.guess_type(filename)[0] or "application/octet-stream"])[0]
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
