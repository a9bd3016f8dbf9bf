"""The dossier's steps through the public services: who may take each, in which order, with which dates."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from criteria.models import Recognition
from criteria.tiers import recognised_on
from recognition.models import Dossier, DossierEvent, Stage
from recognition.services import (
    NotAllowed,
    RecognitionError,
    dossier_appraise,
    dossier_attach,
    dossier_decide,
    dossier_open,
    dossier_return,
    dossier_submit,
    dossier_update,
    dossier_verify,
    recognition_acknowledge,
    recognition_revoke,
)
from tests.recognition.conftest import result

D = dt.date


OPENED = D(2023, 10, 2)


def _prepared(land, on=OPENED):
    u = land["users"]
    dossier = dossier_open(user=u["official"], unit=land["commune"], rule_set=land["nc"], on=on)
    dossier_update(
        user=u["official"], dossier=dossier, self_assessment="Đạt 19/19 tiêu chí.", survey_satisfaction="95,5"
    )
    return dossier_submit(user=u["official"], dossier=dossier, on=on)


def test_a_dossier_goes_from_the_commune_through_both_appraisals_to_a_decision(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = _prepared(land)
    assert dossier.engine_result["indicators_met"] == 3 and dossier.engine_result["period"] == "2023-9M"
    assert dossier.survey_satisfaction == pytest.approx(95.5)
    dossier_verify(user=u["district"], dossier=dossier, note="Đủ điều kiện", on=D(2023, 10, 10))
    dossier.refresh_from_db()
    assert dossier.verifier_unit == land["district"]
    dossier_appraise(user=u["coordinator"], dossier=dossier, note="Đạt", on=D(2023, 10, 20))
    recognition = dossier_decide(
        user=u["coordinator"],
        dossier=dossier,
        number="123/QĐ-UBND",
        decided_on=D(2023, 10, 25),
        signer="Chủ tịch UBND tỉnh",
        authority="UBND tỉnh Thử",
    )
    dossier.refresh_from_db()
    assert dossier.stage == Stage.RECOGNISED and dossier.recognition == recognition
    assert recognition.kind == Recognition.Kind.DECISION and recognised_on(recognition, D(2023, 10, 25))
    assert [e.action for e in dossier.events.all()] == ["open", "edit", "submit", "verify", "appraise", "decide"]


def test_the_engine_result_at_opening_is_kept_when_results_change(land):
    row = result(land["commune"], land["nc"], land["p9"], met=3)
    dossier = _prepared(land)
    row.indicators_met, row.attained = 1, False
    row.save()
    dossier.refresh_from_db()
    assert dossier.engine_result["indicators_met"] == 3 and dossier.engine_result["attained"] is True


def test_a_unit_that_does_not_meet_the_set_cannot_open_a_dossier(land):
    result(land["commune"], land["nc"], land["p9"], met=2)
    with pytest.raises(RecognitionError, match=r"chưa đạt bộ tiêu chí: 0/1 tiêu chí, 2/3 chỉ tiêu \(kỳ 2023-9M\)"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))
    assert not Dossier.objects.exists()


def test_the_latest_result_decides_not_an_earlier_one(land):
    result(land["commune"], land["nc"], land["p6"], met=3)
    result(land["commune"], land["nc"], land["p9"], met=2)
    with pytest.raises(RecognitionError, match="chưa đạt"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))


def test_without_a_result_no_dossier(land):
    with pytest.raises(RecognitionError, match="Chưa có kết quả"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))


def test_the_prerequisite_tier_must_be_recognised(land):
    Recognition.objects.filter(unit=land["commune"]).delete()
    result(land["commune"], land["nc"], land["p9"], met=3, prerequisite_met=False)
    with pytest.raises(RecognitionError, match="chưa được công nhận bậc trước \\(Xã NTM\\)"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))


def test_a_revoked_prerequisite_does_not_count(land):
    prerequisite = Recognition.objects.get(unit=land["commune"])
    recognition_revoke(
        user=land["users"]["coordinator"], recognition=prerequisite, revoked_on=D(2023, 5, 1), reason="Không duy trì"
    )
    result(land["commune"], land["nc"], land["p9"], met=3, prerequisite_met=False, attained=False)
    with pytest.raises(RecognitionError, match="bậc trước"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))


def test_one_open_dossier_per_unit_and_tier(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))
    with pytest.raises(RecognitionError, match="đang xét"):
        dossier_open(user=land["users"]["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 3))
    assert Dossier.objects.count() == 1


@pytest.mark.parametrize("who", ["sibling_official", "district", "viewer", "other_coordinator"])
def test_only_the_unit_opens_its_dossier(land, who):
    result(land["commune"], land["nc"], land["p9"], met=3)
    with pytest.raises(NotAllowed):
        dossier_open(user=land["users"][who], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))


def test_submission_needs_the_self_assessment_and_the_survey(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = dossier_open(user=u["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))
    with pytest.raises(RecognitionError) as err:
        dossier_submit(user=u["official"], dossier=dossier, on=D(2023, 10, 2))
    assert err.value.field == "self_assessment"
    dossier_update(user=u["official"], dossier=dossier, self_assessment="Báo cáo", survey_satisfaction="")
    with pytest.raises(RecognitionError) as err:
        dossier_submit(user=u["official"], dossier=dossier, on=D(2023, 10, 2))
    assert err.value.field == "survey_satisfaction"
    dossier.refresh_from_db()
    assert dossier.stage == Stage.PREPARING


@pytest.mark.parametrize(
    ("raw", "message"),
    [("1.234,5", "hai cách"), ("abc", "không phải"), ("120", "từ 0 đến 100"), ("NaN", "từ 0 đến 100")],
)
def test_a_survey_result_that_is_not_a_percent_is_refused_naming_it(land, raw, message):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = dossier_open(user=u["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))
    with pytest.raises(RecognitionError, match=message) as err:
        dossier_update(user=u["official"], dossier=dossier, self_assessment="x", survey_satisfaction=raw)
    assert err.value.field == "survey_satisfaction"
    dossier.refresh_from_db()
    assert dossier.self_assessment == ""


def test_thẩm_tra_is_the_level_above_and_thẩm_định_the_province(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = _prepared(land)
    for who in ("other_district", "official", "viewer", "other_coordinator"):
        with pytest.raises(NotAllowed):
            dossier_verify(user=u[who], dossier=dossier, note="x", on=D(2023, 10, 10))
    with pytest.raises(RecognitionError, match="bước"):  # the province cannot skip thẩm tra
        dossier_appraise(user=u["coordinator"], dossier=dossier, note="x", on=D(2023, 10, 10))
    dossier_verify(user=u["district"], dossier=dossier, note="Đủ", on=D(2023, 10, 10))
    with pytest.raises(NotAllowed):
        dossier_appraise(user=u["district"], dossier=dossier, note="x", on=D(2023, 10, 11))


def test_on_the_two_level_map_the_province_does_both_appraisals(land):
    result(land["new_commune"], land["nc"], land["p9"], met=3)
    Recognition.objects.create(
        unit=land["new_commune"], rule_set=land["ntm"], decision_number="5/QĐ", decision_date=D(2025, 8, 1)
    )
    u = land["users"]
    day = dt.date.today()
    dossier = dossier_open(user=u["new_official"], unit=land["new_commune"], rule_set=land["nc"], on=day)
    dossier_update(user=u["new_official"], dossier=dossier, self_assessment="x", survey_satisfaction=92)
    dossier_submit(user=u["new_official"], dossier=dossier, on=day)
    dossier_verify(user=u["other_coordinator"], dossier=dossier, note="Thẩm tra", on=day)
    dossier_appraise(user=u["other_coordinator"], dossier=dossier, note="Thẩm định", on=day)
    dossier.refresh_from_db()
    assert dossier.stage == Stage.APPRAISED and dossier.verifier_unit == land["new_province"]


def test_a_decision_dated_before_its_dossier_is_refused(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = _prepared(land)
    dossier_verify(user=u["district"], dossier=dossier, note="Đủ", on=D(2023, 10, 10))
    dossier_appraise(user=u["coordinator"], dossier=dossier, note="Đạt", on=D(2023, 10, 20))
    with pytest.raises(RecognitionError, match="trước ngày lập hồ sơ") as err:
        dossier_decide(
            user=u["coordinator"], dossier=dossier, number="1", decided_on=D(2023, 9, 1), signer="A", authority="B"
        )
    assert err.value.field == "decided_on"
    with pytest.raises(RecognitionError, match="trước ngày thẩm định"):
        dossier_decide(
            user=u["coordinator"], dossier=dossier, number="1", decided_on=D(2023, 10, 15), signer="A", authority="B"
        )
    dossier.refresh_from_db()
    assert dossier.stage == Stage.APPRAISED and not Recognition.objects.filter(rule_set=land["nc"]).exists()


def test_a_decision_needs_its_number_signer_and_authority(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = _prepared(land)
    dossier_verify(user=u["district"], dossier=dossier, note="Đủ", on=D(2023, 10, 10))
    dossier_appraise(user=u["coordinator"], dossier=dossier, note="Đạt", on=D(2023, 10, 20))
    for field, kwargs in (
        ("number", {"number": " ", "signer": "A", "authority": "B"}),
        ("signer", {"number": "1", "signer": "", "authority": "B"}),
        ("authority", {"number": "1", "signer": "A", "authority": ""}),
    ):
        with pytest.raises(RecognitionError) as err:
            dossier_decide(user=u["coordinator"], dossier=dossier, decided_on=D(2023, 10, 25), **kwargs)
        assert err.value.field == field
    with pytest.raises(NotAllowed):
        dossier_decide(
            user=u["district"], dossier=dossier, number="1", decided_on=D(2023, 10, 25), signer="A", authority="B"
        )


def test_returned_with_a_reason_then_a_new_dossier_may_be_opened(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = _prepared(land)
    with pytest.raises(RecognitionError, match="lý do"):
        dossier_return(user=u["district"], dossier=dossier, reason="  ", on=D(2023, 10, 5))
    dossier_return(user=u["district"], dossier=dossier, reason="Thiếu biên bản khảo sát", on=D(2023, 10, 5))
    dossier.refresh_from_db()
    assert dossier.stage == Stage.RETURNED and dossier.returned_from == Stage.SUBMITTED
    assert dossier.events.last().note == "Thiếu biên bản khảo sát"
    again = dossier_open(user=u["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 6))
    assert again.pk != dossier.pk


def test_revocation_needs_a_reason_and_keeps_the_recognition(land):
    recognition = Recognition.objects.get(unit=land["commune"])
    u = land["users"]
    with pytest.raises(RecognitionError, match="phải có lý do"):
        recognition_revoke(user=u["coordinator"], recognition=recognition, revoked_on=D(2023, 5, 1), reason=" ")
    with pytest.raises(RecognitionError, match="trước ngày quyết định công nhận"):
        recognition_revoke(user=u["coordinator"], recognition=recognition, revoked_on=D(2020, 5, 1), reason="x")
    with pytest.raises(NotAllowed):
        recognition_revoke(user=u["district"], recognition=recognition, revoked_on=D(2023, 5, 1), reason="x")
    recognition.refresh_from_db()
    assert recognition.revoked_on is None
    recognition_revoke(
        user=u["coordinator"], recognition=recognition, revoked_on=D(2023, 5, 1), reason="Vi phạm", number="9/QĐ"
    )
    recognition.refresh_from_db()
    assert recognised_on(recognition, D(2023, 4, 30)) and not recognised_on(recognition, D(2023, 5, 1))
    assert recognition.revocation_reason == "Vi phạm" and recognition.revoked_by == u["coordinator"]
    with pytest.raises(RecognitionError, match="đã bị thu hồi"):
        recognition_revoke(user=u["coordinator"], recognition=recognition, revoked_on=D(2023, 6, 1), reason="x")


def test_the_database_refuses_a_revocation_without_reason(land):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Recognition.objects.filter(unit=land["commune"]).update(revoked_on=D(2023, 1, 1))


def test_an_acknowledgement_is_a_recognition_of_its_own_kind(land):
    u = land["users"]
    with pytest.raises(RecognitionError) as err:
        recognition_acknowledge(
            user=u["other_coordinator"],
            unit=land["new_commune"],
            rule_set=land["ntm"],
            number="7/QĐ",
            decided_on=D(2025, 9, 1),
            signer="",
            authority="",
            note="",
        )
    assert err.value.field == "note"
    with pytest.raises(RecognitionError, match="trước khi đơn vị được thành lập"):
        recognition_acknowledge(
            user=u["other_coordinator"],
            unit=land["new_commune"],
            rule_set=land["ntm"],
            number="7/QĐ",
            decided_on=D(2025, 6, 1),
            signer="",
            authority="",
            note="Hợp nhất từ hai xã NTM",
        )
    with pytest.raises(NotAllowed):
        recognition_acknowledge(
            user=u["coordinator"],
            unit=land["new_commune"],
            rule_set=land["ntm"],
            number="7/QĐ",
            decided_on=D(2025, 9, 1),
            signer="",
            authority="",
            note="x",
        )
    ack = recognition_acknowledge(
        user=u["other_coordinator"],
        unit=land["new_commune"],
        rule_set=land["ntm"],
        number="7/QĐ",
        decided_on=D(2025, 9, 1),
        signer="Chủ tịch",
        authority="UBND tỉnh",
        note="Hợp nhất từ hai xã NTM",
    )
    assert ack.kind == Recognition.Kind.ACKNOWLEDGEMENT and recognised_on(ack, D(2025, 9, 1))


def test_documents_are_checked_by_content(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    u = land["users"]
    dossier = dossier_open(user=u["official"], unit=land["commune"], rule_set=land["nc"], on=D(2023, 10, 2))
    fake = SimpleUploadedFile("bien-ban.pdf", b"not a pdf", content_type="application/pdf")
    with pytest.raises(RecognitionError, match="nội dung không khớp") as err:
        dossier_attach(user=u["official"], dossier=dossier, upload=fake)
    assert err.value.field == "file"
    pdf = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    document = dossier_attach(user=u["official"], dossier=dossier, upload=pdf, title="Biên bản khảo sát")
    assert document.original_name == "bien-ban.pdf" and document.content_type == "application/pdf"
    assert not document.file.name.endswith("bien-ban.pdf")  # stored under a random name
    assert dossier.events.filter(action=DossierEvent.Action.ATTACH).count() == 1
