"""Evidence files (minh chứng): checked by their content, stored under random names, served only through views.

The type is read from the file's first bytes, never trusted from the name or the browser: PDF, PNG, JPEG, Word and
Excel (both the zipped 2007+ formats and the old OLE2 ones). Files live under MEDIA_ROOT, which is neither the static
root nor served by any URL: the download view checks that the user may see the unit first.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from criteria.models import Evidence, IndicatorValue, ValueStatus

from .services import EntryError, _check_open

MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 150

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str


PDF = FileType("pdf", "application/pdf")
PNG = FileType("png", "image/png")
JPEG = FileType("jpg", "image/jpeg")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DOC = FileType("doc", "application/msword")
XLS = FileType("xls", "application/vnd.ms-excel")

# The names a file of each type may carry.
EXTENSIONS = {
    PDF: {"pdf"},
    PNG: {"png"},
    JPEG: {"jpg", "jpeg"},
    DOCX: {"docx"},
    XLSX: {"xlsx"},
    DOC: {"doc"},
    XLS: {"xls"},
}
ALLOWED_TEXT = "PDF, PNG, JPEG, Word (.doc, .docx), Excel (.xls, .xlsx)"


class EvidenceRejected(EntryError):
    pass


def sniff(data: bytes, extension: str = "") -> FileType | None:
    """The file's type from its content (the extension only tells .doc from .xls, which share a container)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        return None
    if data.startswith(OLE2):
        # Word 97-2003 and Excel 97-2003 share the OLE2 container; its streams name the application.
        if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
            return DOC
        if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data or b"B\x00o\x00o\x00k\x00" in data:
            return XLS
        return {"doc": DOC, "xls": XLS}.get(extension)
    return None


def safe_name(name: str) -> str:
    """The name as shown and offered on download. A name that carries a path is refused, not repaired."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise EvidenceRejected(_("Tên tệp «%(name)s» không hợp lệ.") % {"name": name[:80]})
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    if len(name) > NAME_MAX:
        stem, _dot, ext = name.rpartition(".")
        name = stem[: NAME_MAX - len(ext) - 1] + "." + ext
    return name


def check(*, name: str, data: bytes, size: int) -> tuple[str, FileType]:
    """The safe name and the sniffed type, or EvidenceRejected with the reason."""
    clean = safe_name(name)
    if size > MAX_BYTES:
        raise EvidenceRejected(
            _("Tệp «%(name)s» lớn %(mb).1f MB: mỗi tệp minh chứng tối đa 10 MB.") % {"name": clean, "mb": size / 2**20}
        )
    if size == 0:
        raise EvidenceRejected(_("Tệp «%(name)s» rỗng.") % {"name": clean})
    extension = clean.rpartition(".")[2].lower() if "." in clean else ""
    kind = sniff(data, extension)
    if kind is None:
        raise EvidenceRejected(
            _("Tệp «%(name)s» không phải là tệp được nhận (%(allowed)s): nội dung không khớp.")
            % {"name": clean, "allowed": ALLOWED_TEXT}
        )
    if extension not in EXTENSIONS[kind]:
        raise EvidenceRejected(
            _("Tệp «%(name)s» có đuôi .%(ext)s nhưng nội dung là tệp %(real)s.")
            % {"name": clean, "ext": extension or "?", "real": kind.extension.upper()}
        )
    return clean, kind


def evidence_add(*, user, value: IndicatorValue, upload) -> Evidence:
    """Attach one uploaded file to a value that can still be changed."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:  # refuse before reading a large upload into memory
        check(name=upload.name, data=b"", size=size)
    data = upload.read(MAX_BYTES + 1)
    clean, kind = check(name=upload.name, data=data, size=len(data))
    with transaction.atomic():
        _check_open(value.period, value.unit)
        if value.status == ValueStatus.APPROVED:
            raise EvidenceRejected(_("Giá trị đã được duyệt: muốn bổ sung minh chứng, hãy sửa giá trị kèm lý do."))
        evidence = Evidence(
            value=value,
            original_name=clean,
            content_type=kind.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=user,
        )
        # A random name: nothing the uploader chose reaches the file system.
        evidence.file.save(f"{secrets.token_hex(16)}.{kind.extension}", ContentFile(data), save=False)
        try:
            evidence.save()
        except Exception:
            evidence.file.delete(save=False)
            raise
        return evidence


def evidence_remove(*, user, evidence: Evidence) -> None:
    with transaction.atomic():
        _check_open(evidence.value.period, evidence.value.unit)
        if evidence.value.status == ValueStatus.APPROVED:
            raise EvidenceRejected(_("Giá trị đã được duyệt: không xóa minh chứng."))
        stored = evidence.file.name
        storage = evidence.file.storage
        evidence.delete()
        transaction.on_commit(lambda: storage.delete(stored))
