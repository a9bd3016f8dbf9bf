"""Evidence files: checked by content, limited in size, stored under random names, downloaded only in scope."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from criteria.models import Evidence
from entry import evidence as ev
from entry import services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


def office_zip(folder):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(f"{folder}/document.xml", "<x/>")
    return out.getvalue()


OLE_DOC = ev.OLE2 + b"\x00" * 40 + "WordDocument".encode("utf-16-le")
OLE_XLS = ev.OLE2 + b"\x00" * 40 + "Workbook".encode("utf-16-le")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.pdf", PDF, ev.PDF),
        ("a.png", PNG, ev.PNG),
        ("a.JPG", JPEG, ev.JPEG),
        ("a.jpeg", JPEG, ev.JPEG),
        ("a.docx", office_zip("word"), ev.DOCX),
        ("a.xlsx", office_zip("xl"), ev.XLSX),
        ("a.doc", OLE_DOC, ev.DOC),
        ("a.xls", OLE_XLS, ev.XLS),
    ],
)
def test_allowed_types_are_recognised_by_content(name, data, kind):
    assert ev.check(name=name, data=data, size=len(data))[1] == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bao-cao.pdf", b"<html><script>alert(1)</script></html>", "nội dung không khớp"),
        ("anh.png", PDF, "nội dung là tệp PDF"),
        ("run.exe", b"MZ\x90\x00", "nội dung không khớp"),
        ("a.zip", office_zip("other"), "nội dung không khớp"),
        ("../../x.pdf", PDF, "không hợp lệ"),
        ("..\\..\\x.pdf", PDF, "không hợp lệ"),
        (".htaccess", PDF, "không hợp lệ"),
    ],
)
def test_wrong_types_and_path_names_are_refused(name, data, message):
    with pytest.raises(ev.EvidenceRejected, match=message):
        ev.check(name=name, data=data, size=len(data))


def test_files_over_ten_megabytes_are_refused():
    with pytest.raises(ev.EvidenceRejected, match="tối đa 10 MB"):
        ev.check(name="big.pdf", data=PDF, size=ev.MAX_BYTES + 1)
    assert ev.check(name="ok.pdf", data=PDF, size=ev.MAX_BYTES)[1] == ev.PDF


@pytest.fixture
def value(world):
    return services.value_save(
        user=world["official"],
        unit=world["commune"],
        indicator=world["pct"],
        period=world["period"],
        raw="90",
        expected_version=0,
    )


def upload_url(world):
    return reverse("entry-value", args=["71001", "2023", world["pct"].pk])


def test_an_upload_is_stored_under_a_random_name_inside_media_root(world, value, settings):
    client = Client()
    client.force_login(world["official"])
    upload = SimpleUploadedFile("../../x.pdf", PDF, content_type="application/pdf")
    response = client.post(upload_url(world), {"file": upload})
    assert response.status_code == 302
    stored = Evidence.objects.get()
    path = Path(stored.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.name != "x.pdf" and ".." not in stored.file.name and len(path.stem) == 32
    assert stored.original_name == "x.pdf"  # Django keeps the base name only; the service refuses any path
    assert stored.content_type == "application/pdf" and path.read_bytes() == PDF


def test_uploads_of_the_wrong_type_or_size_are_refused_next_to_the_field(world, value, settings):
    client = Client()
    client.force_login(world["official"])
    fake = SimpleUploadedFile("bao-cao.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(upload_url(world), {"file": fake})
    assert response.status_code == 400
    assert "nội dung không khớp" in response.content.decode()
    big = SimpleUploadedFile("lon.pdf", PDF + b"0" * ev.MAX_BYTES, content_type="application/pdf")
    response = client.post(upload_url(world), {"file": big})
    assert response.status_code == 400 and "tối đa 10 MB" in response.content.decode()
    assert not Evidence.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_downloads_check_the_unit(world, value):
    evidence = ev.evidence_add(user=world["official"], value=value, upload=SimpleUploadedFile("bb.pdf", PDF))
    url = reverse("evidence-download", args=[evidence.pk])
    for who in ("official", "reviewer", "viewer"):
        client = Client()
        client.force_login(world[who])
        response = client.get(url)
        assert response.status_code == 200, who
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content) == PDF
    for who in ("outsider", "other_reviewer"):
        client = Client()
        client.force_login(world[who])
        assert client.get(url).status_code == 404, who
    client = Client()
    client.force_login(world["reviewer"])
    assert client.post(reverse("evidence-delete", args=[evidence.pk])).status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_evidence_cannot_be_added_to_an_approved_value_or_in_a_locked_period(world, value):
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    services.submission_approve(user=world["reviewer"], unit=world["commune"], period=world["period"])
    value.refresh_from_db()
    with pytest.raises(ev.EvidenceRejected, match="đã được duyệt"):
        ev.evidence_add(user=world["official"], value=value, upload=SimpleUploadedFile("a.pdf", PDF))
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    value.refresh_from_db()
    with pytest.raises(services.PeriodLocked):
        ev.evidence_add(user=world["official"], value=value, upload=SimpleUploadedFile("a.pdf", PDF))
    assert not Evidence.objects.exists()


def test_the_owner_may_remove_a_file_and_it_leaves_the_disk(world, value, django_capture_on_commit_callbacks):
    evidence = ev.evidence_add(user=world["official"], value=value, upload=SimpleUploadedFile("a.pdf", PDF))
    path = Path(evidence.file.path)
    client = Client()
    client.force_login(world["official"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence-delete", args=[evidence.pk]))
    assert response.status_code == 302
    assert not Evidence.objects.exists() and not path.exists()
