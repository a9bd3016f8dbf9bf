"""The recognition pages: outsiders refused, steps through the forms, refusals next to their field."""

import datetime as dt

import pytest
from django.urls import reverse

from criteria.models import Recognition
from recognition.models import Dossier, Stage
from recognition.services import dossier_open, dossier_submit, dossier_update
from tests.factories import UserFactory
from tests.recognition.conftest import result


@pytest.fixture
def opened(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    return dossier_open(
        user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=dt.date(2023, 10, 2)
    )


@pytest.fixture
def submitted(land, opened):
    u = land["users"]["official"]
    dossier_update(user=u, dossier=opened, self_assessment="Báo cáo", survey_satisfaction="93")
    return dossier_submit(user=u, dossier=opened, on=dt.date(2023, 10, 3))


def _pages(land, dossier):
    return [
        reverse("recognition:unit", args=[land["commune"].code]),
        reverse("recognition:subtree", args=[land["district"].code]),
        reverse("recognition:dossier", args=[dossier.pk]),
    ]


def test_anonymous_readers_are_sent_to_login(client, land, opened):
    for url in _pages(land, opened):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_outsiders_get_404_for_every_page_and_step(client, land, opened):
    client.force_login(land["users"]["other_coordinator"])  # another province
    for url in _pages(land, opened):
        assert client.get(url).status_code == 404
    dossier_url = reverse("recognition:dossier", args=[opened.pk])
    assert client.post(dossier_url, {"action": "prepare", "self_assessment": "x"}).status_code == 404
    recognition = Recognition.objects.get(unit=land["commune"])
    response = client.post(
        reverse("recognition:revoke", args=[recognition.pk]), {"revoked_on": "2023-05-01", "reason": "x"}
    )
    assert response.status_code == 404
    recognition.refresh_from_db()
    assert recognition.revoked_on is None
    client.force_login(UserFactory(username="nobody"))
    assert client.get(_pages(land, opened)[0]).status_code == 404


def test_a_reader_inside_the_province_who_may_not_act_gets_403_and_nothing_changes(client, land, submitted):
    client.force_login(land["users"]["viewer"])
    url = reverse("recognition:dossier", args=[submitted.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'value="verify"' not in page.content
    response = client.post(url, {"action": "verify", "on": "2023-10-10", "note": "Đủ"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.stage == Stage.SUBMITTED
    response = client.post(
        reverse("recognition:unit", args=[land["commune"].code]),
        {"action": "open", "rule_set": land["nc"].pk},
    )
    assert response.status_code == 403


def test_the_commune_opens_a_dossier_on_its_page(client, land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    client.force_login(land["users"]["official"])
    url = reverse("recognition:unit", args=[land["commune"].code])
    page = client.get(url)
    assert page.status_code == 200 and "Xã NTM nâng cao".encode() in page.content
    assert "3/3 chỉ tiêu".encode() in page.content
    response = client.post(url, {"action": "open", "rule_set": land["nc"].pk})
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("recognition:dossier", args=[dossier.pk])


def test_opening_for_a_unit_that_does_not_meet_the_set_is_refused_with_the_counts(client, land):
    result(land["commune"], land["nc"], land["p9"], met=2)
    client.force_login(land["users"]["official"])
    response = client.post(
        reverse("recognition:unit", args=[land["commune"].code]), {"action": "open", "rule_set": land["nc"].pk}
    )
    assert response.status_code == 400
    assert "chưa đạt bộ tiêu chí: 0/1 tiêu chí, 2/3 chỉ tiêu".encode() in response.content
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("rule_set", ["", "abc", "999999"])
def test_a_malformed_open_request_is_a_400(client, land, rule_set):
    client.force_login(land["users"]["official"])
    response = client.post(
        reverse("recognition:unit", args=[land["commune"].code]), {"action": "open", "rule_set": rule_set}
    )
    assert response.status_code == 400


def test_the_whole_path_through_the_pages(client, land, submitted):
    url = reverse("recognition:dossier", args=[submitted.pk])
    client.force_login(land["users"]["district"])
    assert client.post(url, {"action": "verify", "on": "2023-10-10", "note": "Đủ điều kiện"}).status_code == 302
    client.force_login(land["users"]["coordinator"])
    assert client.post(url, {"action": "appraise", "on": "2023-10-20", "note": "Đạt"}).status_code == 302
    bad = client.post(
        url,
        {"action": "decide", "number": "5/QĐ", "decided_on": "01/09/2023", "signer": "Chủ tịch", "authority": "UBND"},
    )
    assert bad.status_code == 400 and "trước ngày lập hồ sơ".encode() in bad.content
    assert b'id="id_decided_on-error"' in bad.content  # next to its field
    ok = client.post(
        url,
        {"action": "decide", "number": "5/QĐ", "decided_on": "25/10/2023", "signer": "Chủ tịch", "authority": "UBND"},
    )
    assert ok.status_code == 302
    submitted.refresh_from_db()
    assert submitted.stage == Stage.RECOGNISED and submitted.recognition.decision_number == "5/QĐ"
    page = client.get(reverse("recognition:unit", args=[land["commune"].code]))
    assert "5/QĐ".encode() in page.content


def test_a_malformed_date_is_refused_next_to_its_field(client, land, submitted):
    client.force_login(land["users"]["district"])
    url = reverse("recognition:dossier", args=[submitted.pk])
    response = client.post(url, {"action": "verify", "on": "31/02/2023", "note": "x"})
    assert response.status_code == 400 and "Ngày không hợp lệ".encode() in response.content
    assert client.post(url, {"action": "nonsense"}).status_code == 400


def test_revocation_without_a_reason_is_refused_on_the_page(client, land):
    recognition = Recognition.objects.get(unit=land["commune"])
    client.force_login(land["users"]["coordinator"])
    url = reverse("recognition:revoke", args=[recognition.pk])
    response = client.post(url, {"revoked_on": "2023-05-01", "reason": ""})
    assert response.status_code == 400 and "phải có lý do".encode() in response.content
    recognition.refresh_from_db()
    assert recognition.revoked_on is None
    client.force_login(land["users"]["district"])
    assert client.post(url, {"revoked_on": "2023-05-01", "reason": "x"}).status_code == 403
    client.force_login(land["users"]["coordinator"])
    assert client.post(url, {"revoked_on": "2023-05-01", "reason": "Không duy trì tiêu chí"}).status_code == 302
    recognition.refresh_from_db()
    assert recognition.revocation_reason == "Không duy trì tiêu chí"


def test_documents_are_served_only_inside_the_scope(client, land, opened):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(land["users"]["official"])
    url = reverse("recognition:dossier", args=[opened.pk])
    pdf = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    assert client.post(url, {"action": "attach", "title": "Biên bản", "file": pdf}).status_code == 302
    document = opened.documents.get()
    download = reverse("recognition:document", args=[opened.pk, document.pk])
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 x"
    client.force_login(land["users"]["other_coordinator"])
    assert client.get(download).status_code == 404


def test_the_province_acknowledges_a_merged_unit_on_its_page(client, land):
    client.force_login(land["users"]["other_coordinator"])
    url = reverse("recognition:unit", args=[land["new_commune"].code])
    data = {
        "action": "acknowledge",
        "rule_set": land["ntm"].pk,
        "number": "7/QĐ-UBND",
        "decided_on": "2025-09-01",
        "signer": "Chủ tịch",
        "authority": "UBND tỉnh",
        "note": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "căn cứ thừa nhận".encode() in response.content
    assert not Recognition.objects.filter(unit=land["new_commune"]).exists()
    response = client.post(url, {**data, "note": "Hợp nhất xã A (NTM) và xã B (NTM)"})
    assert response.status_code == 302
    assert Recognition.objects.get(unit=land["new_commune"]).kind == Recognition.Kind.ACKNOWLEDGEMENT
    client.force_login(land["users"]["official"])  # another province's commune official
    assert client.post(url, data).status_code == 404


def test_the_dossier_page_reads_a_fixed_number_of_queries(client, land, submitted, django_assert_num_queries):
    client.force_login(land["users"]["district"])
    url = reverse("recognition:dossier", args=[submitted.pk])
    client.get(url)
    # session, user, dossier, memberships (scope), documents, events
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
