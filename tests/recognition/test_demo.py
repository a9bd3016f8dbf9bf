"""The demo's recognition dossier and plans: Hải Xuân recognised nâng cao in July 2022 through a dossier,
Quảng Ninh's 2023 targets with their expected units, Đồng Tâm's unmet indicators with agencies and deadlines."""

import datetime as dt
import io

from django.core.management import call_command

from criteria.models import Attainment, Recognition
from plans.models import Assignment, Capital, ExpectedUnit, Work
from recognition.models import Dossier, Stage
from reports.models import YearTarget


def test_the_demo_goes_through_the_dossier_and_sets_the_plans(db):
    quiet = io.StringIO()
    call_command("import_units", stdout=quiet)
    call_command("load_rule_sets", stdout=quiet)
    call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)

    dossier = Dossier.objects.get(unit__code="06745", rule_set__code="xa-ntm-nang-cao-2021-2025")
    assert dossier.is_demo and dossier.stage == Stage.RECOGNISED
    assert [e.action for e in dossier.events.all()] == ["open", "edit", "submit", "verify", "appraise", "decide"]
    assert dossier.engine_result["indicators_met"] == 75 and dossier.engine_result["period"] == "2022"
    assert dossier.verifier_unit.code == dossier.unit.parent.code  # TP Móng Cái did the thẩm tra
    recognition = dossier.recognition
    assert recognition.decision_date == dt.date(2022, 7, 25) and recognition.is_demo
    assert Recognition.objects.filter(unit__code="06745", rule_set__code="xa-ntm-nang-cao-2021-2025").count() == 1
    assert Attainment.objects.get(unit__code="06745", rule_set__code="xa-ntm-nang-cao-2021-2025").attained

    targets = {t.rule_set.code: t for t in YearTarget.objects.filter(unit__code="22", year=2023)}
    assert targets["xa-ntm-nang-cao-2021-2025"].count == 2 and targets["xa-ntm-nang-cao-2021-2025"].is_demo
    expected = set(ExpectedUnit.objects.values_list("unit__code", flat=True))
    assert expected == {"06841", "06859", "203", "201"}

    dong_tam = Attainment.objects.get(unit__code="06844", rule_set__code="xa-ntm-nang-cao-2021-2025")
    unmet = {c for c, s in dong_tam.indicator_status.items() if s["status"] != "met"}
    assigned = Assignment.objects.filter(unit__code="06844")
    assert assigned.count() == 75 - 61 and {a.indicator.code for a in assigned} <= unmet
    assert all(a.is_demo and a.agency and a.deadline for a in assigned)
    assert assigned.filter(deadline__lt=dt.date.today()).exists()  # some are overdue: they head the list
    assert Capital.objects.filter(unit__code="06844", is_demo=True).count() == 3

    counts = (Dossier.objects.count(), Recognition.objects.count(), Assignment.objects.count(), Capital.objects.count())
    call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)
    after = (Dossier.objects.count(), Recognition.objects.count(), Assignment.objects.count(), Capital.objects.count())
    assert after == counts
    works = {w.name: w for w in Work.objects.filter(unit__code="06844")}
    assert works["(Mẫu) Đường liên thôn"].criterion.name.lower().startswith("giao thông")
    assert dossier.events.get(action="edit").on == dt.date(2022, 7, 4)
