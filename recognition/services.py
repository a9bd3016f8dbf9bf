"""The steps of a recognition dossier, the revocation of a recognition and the acknowledgement of a merged unit.

Each step checks who may take it, what state the dossier is in and the dates, inside one transaction that locks
the dossier: a refused step saves nothing. Refusals raise `RecognitionError` with a message for the person who
asked, and the form field it belongs to when there is one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import COORDINATOR_ROLES, REVIEW_ROLES, rights_for
from communes.models import AdminUnit
from criteria.models import Attainment, Recognition, RuleSet, province_code
from criteria.tiers import PERIOD_ORDER_LATEST_FIRST, recognised_on
from entry import evidence

from .models import OPEN_STAGES, Dossier, DossierDocument, DossierEvent, Stage


class RecognitionError(Exception):
    """A step refused; `field` names the form field the message belongs next to, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(RecognitionError):
    pass


# --- who may take which step ------------------------------------------------------------------------------


def may_prepare(user, unit: AdminUnit) -> bool:
    """The unit prepares its own dossier: whoever enters the unit's data."""
    return rights_for(user).can_edit(unit)


def verifier_path(unit: AdminUnit) -> str:
    """The path of the level above, which does the thẩm tra: the district on the three-level map, the province
    on the two-level map (a commune directly under its province), the province for a district's dossier."""
    return unit.path.rsplit("/", 2)[0] + "/" if unit.path.count("/") > 1 else unit.path


def may_verify(user, unit: AdminUnit) -> bool:
    rights = rights_for(user)
    if rights.is_admin:
        return True
    above = verifier_path(unit)
    return any(role in REVIEW_ROLES and path == above for role, path in rights.grants)


def may_coordinate_province(user, unit: AdminUnit) -> bool:
    """Thẩm định, decisions, revocations and acknowledgements are the province's: its coordination office."""
    rights = rights_for(user)
    if rights.is_admin:
        return True
    province = province_code(unit) + "/"
    return any(role in COORDINATOR_ROLES and path == province for role, path in rights.grants)


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed(_("Bạn không có quyền thực hiện bước này của hồ sơ."))


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _not_future(day: dt.date, field: str) -> None:
    if day > timezone.localdate():
        raise RecognitionError(_("Ngày %(day)s chưa đến.") % {"day": day.strftime("%d/%m/%Y")}, field=field)


# The order of reports (criteria.tiers), through an attainment's period.
LATEST_RESULT_FIRST = tuple(
    ("-" if o.startswith("-") else "") + "period__" + o.lstrip("-") for o in PERIOD_ORDER_LATEST_FIRST
)


# --- reads the steps share --------------------------------------------------------------------------------


def latest_attainment(unit: AdminUnit, rule_set: RuleSet) -> Attainment | None:
    """The unit's stored result for the set in its latest period (the one a dossier is opened on)."""
    return (
        Attainment.objects.filter(unit=unit, rule_set=rule_set)
        .select_related("period")
        .order_by(*LATEST_RESULT_FIRST)
        .first()
    )


def held_recognition(unit: AdminUnit, rule_set_code: str, day: dt.date) -> Recognition | None:
    """The recognition of the unit at the set (any version of it) standing on the day, if any."""
    for recognition in Recognition.objects.filter(unit=unit, rule_set__code=rule_set_code).order_by("-decision_date"):
        if recognised_on(recognition, day):
            return recognition
    return None


def _snapshot(row: Attainment) -> dict:
    return {
        "attainment": row.pk,
        "period": row.period.code,
        "criteria_met": row.criteria_met,
        "criteria_total": row.criteria_total,
        "indicators_met": row.indicators_met,
        "indicators_total": row.indicators_total,
        "conditions_met": row.conditions_met,
        "conditions_total": row.conditions_total,
        "attained": row.attained,
        "prerequisite_met": row.prerequisite_met,
        "missing": list(row.missing or []),
        "computed_at": row.computed_at.isoformat(),
    }


def _counts(row: Attainment) -> str:
    return _("%(c)s/%(ct)s tiêu chí, %(i)s/%(it)s chỉ tiêu (kỳ %(p)s)") % {
        "c": row.criteria_met,
        "ct": row.criteria_total,
        "i": row.indicators_met,
        "it": row.indicators_total,
        "p": row.period.code,
    }


def _event(dossier: Dossier, action: str, user, on: dt.date, note: str = "") -> None:
    DossierEvent.objects.create(dossier=dossier, action=action, user=user, on=on, note=note)


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("unit", "rule_set").get(pk=dossier.pk)


def _expect(dossier: Dossier, *stages: str) -> None:
    if dossier.stage not in stages:
        raise RecognitionError(
            _("Hồ sơ đang ở bước «%(stage)s»: không thực hiện được bước này.") % {"stage": dossier.get_stage_display()}
        )


def _after(day: dt.date, earlier: dt.date | None, what: str, field: str) -> None:
    if earlier is not None and day < earlier:
        raise RecognitionError(
            _("Ngày %(day)s trước %(what)s (%(earlier)s).")
            % {"day": day.strftime("%d/%m/%Y"), "what": what, "earlier": earlier.strftime("%d/%m/%Y")},
            field=field,
        )


# --- the steps --------------------------------------------------------------------------------------------


def dossier_open(
    *, user, unit: AdminUnit, rule_set: RuleSet, on: dt.date | None = None, is_demo: bool = False
) -> Dossier:
    """Open a dossier when the stored result says the unit meets the set and its prerequisite tier is recognised."""
    _require(may_prepare(user, unit))
    day = _today(on)
    _not_future(day, "opened_on")
    if rule_set.level != unit.level:
        raise RecognitionError(_("Bộ tiêu chí «%(set)s» không dành cho cấp của đơn vị này.") % {"set": rule_set.name})
    if not AdminUnit.objects.current(day).filter(pk=unit.pk).exists():
        raise RecognitionError(
            _("Đơn vị %(unit)s không còn hiệu lực ngày %(day)s.") % {"unit": unit.name, "day": day.strftime("%d/%m/%Y")}
        )
    with transaction.atomic():
        # Lock the unit's row so that two requests cannot both open a dossier for it.
        AdminUnit.objects.select_for_update().filter(pk=unit.pk).first()
        if held_recognition(unit, rule_set.code, day):
            raise RecognitionError(_("Đơn vị đã được công nhận ở bậc này."))
        if Dossier.objects.filter(unit=unit, rule_set=rule_set, stage__in=OPEN_STAGES).exists():
            raise RecognitionError(_("Đơn vị đã có một hồ sơ đang xét cho bậc này."))
        row = latest_attainment(unit, rule_set)
        if row is None:
            raise RecognitionError(_("Chưa có kết quả đánh giá của đơn vị theo bộ tiêu chí này: chưa thể lập hồ sơ."))
        if row.period.end > day and row.period.start > day:
            raise RecognitionError(_("Kết quả đánh giá mới nhất thuộc kỳ sau ngày lập hồ sơ."), field="opened_on")
        if not row.attained and (row.prerequisite_met or not rule_set.prerequisite_code):
            raise RecognitionError(
                _("Đơn vị chưa đạt bộ tiêu chí: %(counts)s. Chỉ lập hồ sơ khi đạt đủ.") % {"counts": _counts(row)}
            )
        if rule_set.prerequisite_code and not held_recognition(unit, rule_set.prerequisite_code, day):
            prerequisite = RuleSet.objects.filter(code=rule_set.prerequisite_code).order_by("-version").first()
            raise RecognitionError(
                _("Đơn vị chưa được công nhận bậc trước (%(set)s): chưa thể lập hồ sơ bậc này.")
                % {"set": prerequisite.name if prerequisite else rule_set.prerequisite_code}
            )
        if not row.attained:
            raise RecognitionError(
                _("Đơn vị chưa đạt bộ tiêu chí: %(counts)s. Chỉ lập hồ sơ khi đạt đủ.") % {"counts": _counts(row)}
            )
        try:
            with transaction.atomic():
                dossier = Dossier.objects.create(
                    unit=unit,
                    rule_set=rule_set,
                    opened_on=day,
                    opened_by=user,
                    engine_result=_snapshot(row),
                    attainment=row,
                    is_demo=is_demo,
                )
        except IntegrityError as exc:  # a concurrent request opened one first
            raise RecognitionError(_("Đơn vị đã có một hồ sơ đang xét cho bậc này.")) from exc
        _event(dossier, DossierEvent.Action.OPEN, user, day, _counts(row))
    return dossier


def _percent(raw) -> Decimal | None:
    if raw in (None, ""):
        return None
    text = str(raw).strip().replace("%", "").strip()
    if "," in text and "." in text:
        raise RecognitionError(
            _("«%(raw)s» đọc được hai cách (dấu phẩy và dấu chấm): hãy nhập một số như 92,5.") % {"raw": raw},
            field="survey_satisfaction",
        )
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise RecognitionError(
            _("«%(raw)s» không phải là một tỷ lệ phần trăm.") % {"raw": raw}, field="survey_satisfaction"
        ) from exc
    if not value.is_finite() or not 0 <= value <= 100:
        raise RecognitionError(_("Tỷ lệ hài lòng phải từ 0 đến 100%."), field="survey_satisfaction")
    return value.quantize(Decimal("0.01"))


def dossier_update(
    *,
    user,
    dossier: Dossier,
    self_assessment: str,
    survey_satisfaction,
    survey_note: str = "",
    on: dt.date | None = None,
) -> Dossier:
    """The unit's part of the dossier: the self-assessment report and the residents' satisfaction survey."""
    _require(may_prepare(user, dossier.unit))
    percent = _percent(survey_satisfaction)
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.PREPARING)
        dossier.self_assessment = (self_assessment or "").strip()
        dossier.survey_satisfaction = percent
        dossier.survey_note = (survey_note or "").strip()[:300]
        dossier.save(update_fields=["self_assessment", "survey_satisfaction", "survey_note"])
        _event(dossier, DossierEvent.Action.EDIT, user, _today(on))
    return dossier


def dossier_attach(*, user, dossier: Dossier, upload, title: str = "") -> DossierDocument:
    """Attach a document (checked by its content as evidence files are) while the unit prepares the dossier."""
    _require(may_prepare(user, dossier.unit))
    size = getattr(upload, "size", None)
    try:
        if size is not None and size > evidence.MAX_BYTES:
            evidence.check(name=upload.name, data=b"", size=size)
        data = upload.read(evidence.MAX_BYTES + 1)
        clean, kind = evidence.check(name=upload.name, data=data, size=len(data))
    except evidence.EvidenceRejected as exc:
        raise RecognitionError(exc.message, field="file") from exc
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.PREPARING)
        document = DossierDocument(
            dossier=dossier,
            title=(title or "").strip()[:200],
            original_name=clean,
            content_type=kind.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=user,
        )
        document.file.save(f"{secrets.token_hex(16)}.{kind.extension}", ContentFile(data), save=False)
        document.save()
        _event(dossier, DossierEvent.Action.ATTACH, user, timezone.localdate(), clean)
    return document


def dossier_submit(*, user, dossier: Dossier, on: dt.date | None = None) -> Dossier:
    """Send the prepared dossier to the level above for thẩm tra."""
    _require(may_prepare(user, dossier.unit))
    day = _today(on)
    _not_future(day, "on")
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.PREPARING)
        _after(day, dossier.opened_on, _("ngày lập hồ sơ"), "on")
        if not dossier.self_assessment:
            raise RecognitionError(_("Hồ sơ chưa có báo cáo tự đánh giá."), field="self_assessment")
        if dossier.survey_satisfaction is None:
            raise RecognitionError(
                _("Hồ sơ chưa có kết quả khảo sát sự hài lòng của người dân."), field="survey_satisfaction"
            )
        dossier.stage = Stage.SUBMITTED
        dossier.submitted_on = day
        dossier.save(update_fields=["stage", "submitted_on"])
        _event(dossier, DossierEvent.Action.SUBMIT, user, day)
    return dossier


def dossier_verify(*, user, dossier: Dossier, note: str, on: dt.date | None = None) -> Dossier:
    """Thẩm tra by the level above: the dossier goes on to the province."""
    _require(may_verify(user, dossier.unit))
    day = _today(on)
    _not_future(day, "on")
    note = (note or "").strip()
    if not note:
        raise RecognitionError(_("Hãy ghi kết quả thẩm tra."), field="note")
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.SUBMITTED)
        _after(day, dossier.submitted_on, _("ngày gửi thẩm tra"), "on")
        dossier.stage = Stage.VERIFIED
        dossier.verified_on = day
        dossier.verified_by = user
        dossier.verifier_unit = AdminUnit.objects.filter(path=verifier_path(dossier.unit)).first()
        dossier.verification_note = note
        dossier.save(update_fields=["stage", "verified_on", "verified_by", "verifier_unit", "verification_note"])
        _event(dossier, DossierEvent.Action.VERIFY, user, day, note)
    return dossier


def dossier_appraise(*, user, dossier: Dossier, note: str, on: dt.date | None = None) -> Dossier:
    """Thẩm định by the province: the dossier waits for the decision."""
    _require(may_coordinate_province(user, dossier.unit))
    day = _today(on)
    _not_future(day, "on")
    note = (note or "").strip()
    if not note:
        raise RecognitionError(_("Hãy ghi kết quả thẩm định."), field="note")
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.VERIFIED)
        _after(day, dossier.verified_on, _("ngày thẩm tra"), "on")
        dossier.stage = Stage.APPRAISED
        dossier.appraised_on = day
        dossier.appraised_by = user
        dossier.appraisal_note = note
        dossier.save(update_fields=["stage", "appraised_on", "appraised_by", "appraisal_note"])
        _event(dossier, DossierEvent.Action.APPRAISE, user, day, note)
    return dossier


def dossier_return(*, user, dossier: Dossier, reason: str, on: dt.date | None = None) -> Dossier:
    """Return the dossier at thẩm tra or thẩm định, with the reason; the unit may open a new one later."""
    day = _today(on)
    _not_future(day, "on")
    reason = (reason or "").strip()
    with transaction.atomic():
        dossier = _locked(dossier)
        if dossier.stage == Stage.SUBMITTED:
            _require(may_verify(user, dossier.unit))
        else:
            _require(may_coordinate_province(user, dossier.unit))
            _expect(dossier, Stage.VERIFIED, Stage.APPRAISED)
        if not reason:
            raise RecognitionError(_("Hãy ghi lý do trả lại hồ sơ."), field="reason")
        _after(day, dossier.submitted_on, _("ngày gửi thẩm tra"), "on")
        dossier.returned_from = dossier.stage
        dossier.stage = Stage.RETURNED
        dossier.returned_on = day
        dossier.returned_by = user
        dossier.return_reason = reason
        dossier.save(update_fields=["stage", "returned_on", "returned_by", "returned_from", "return_reason"])
        _event(dossier, DossierEvent.Action.RETURN, user, day, reason)
    return dossier


def dossier_decide(
    *, user, dossier: Dossier, number: str, decided_on: dt.date, signer: str, authority: str
) -> Recognition:
    """Record the decision recognising the unit: the recognition the engine and the dashboards read."""
    _require(may_coordinate_province(user, dossier.unit))
    number, signer, authority = (number or "").strip(), (signer or "").strip(), (authority or "").strip()
    if not number:
        raise RecognitionError(_("Hãy nhập số quyết định."), field="number")
    if not signer:
        raise RecognitionError(_("Hãy nhập người ký quyết định."), field="signer")
    if not authority:
        raise RecognitionError(_("Hãy nhập cơ quan ra quyết định."), field="authority")
    _not_future(decided_on, "decided_on")
    with transaction.atomic():
        dossier = _locked(dossier)
        _expect(dossier, Stage.APPRAISED)
        _after(decided_on, dossier.opened_on, _("ngày lập hồ sơ"), "decided_on")
        _after(decided_on, dossier.appraised_on, _("ngày thẩm định"), "decided_on")
        recognition = Recognition.objects.create(
            unit=dossier.unit,
            rule_set=dossier.rule_set,
            kind=Recognition.Kind.DECISION,
            decision_number=number,
            decision_date=decided_on,
            signer=signer,
            authority=authority,
            is_demo=dossier.is_demo,
        )
        dossier.stage = Stage.RECOGNISED
        dossier.recognition = recognition
        dossier.save(update_fields=["stage", "recognition"])
        _event(dossier, DossierEvent.Action.DECIDE, user, decided_on, number)
    _recompute_after(recognition)
    return recognition


def recognition_revoke(
    *, user, recognition: Recognition, revoked_on: dt.date, reason: str, number: str = ""
) -> Recognition:
    """Revoke a recognition (cases of Quyết định 18/2022/QĐ-TTg): the row stays, with the day and the reason."""
    _require(may_coordinate_province(user, recognition.unit))
    reason = (reason or "").strip()
    if not reason:
        raise RecognitionError(_("Thu hồi quyết định công nhận phải có lý do."), field="reason")
    _not_future(revoked_on, "revoked_on")
    with transaction.atomic():
        recognition = Recognition.objects.select_for_update().select_related("unit").get(pk=recognition.pk)
        if recognition.revoked_on is not None:
            raise RecognitionError(_("Quyết định này đã bị thu hồi."))
        _after(revoked_on, recognition.decision_date, _("ngày quyết định công nhận"), "revoked_on")
        recognition.revoked_on = revoked_on
        recognition.revocation_reason = reason
        recognition.revocation_number = (number or "").strip()[:100]
        recognition.revoked_by = user
        recognition.save(update_fields=["revoked_on", "revocation_reason", "revocation_number", "revoked_by"])
    _recompute_after(recognition)
    return recognition


def recognition_acknowledge(
    *,
    user,
    unit: AdminUnit,
    rule_set: RuleSet,
    number: str,
    decided_on: dt.date,
    signer: str,
    authority: str,
    note: str,
    is_demo: bool = False,
) -> Recognition:
    """The province acknowledges (thừa nhận) the standing of a unit formed by merger: a recognition of its own
    kind, recorded by decision without a dossier (Văn bản 5424/BNN-VPĐP, 2023 precedent)."""
    _require(may_coordinate_province(user, unit))
    number, note = (number or "").strip(), (note or "").strip()
    if not number:
        raise RecognitionError(_("Hãy nhập số quyết định."), field="number")
    if not note:
        raise RecognitionError(_("Hãy ghi căn cứ thừa nhận (các đơn vị trước sắp xếp và bậc của chúng)."), field="note")
    if rule_set.level != unit.level:
        raise RecognitionError(_("Bộ tiêu chí «%(set)s» không dành cho cấp của đơn vị này.") % {"set": rule_set.name})
    _not_future(decided_on, "decided_on")
    if unit.valid_from and decided_on < unit.valid_from:
        raise RecognitionError(
            _("Ngày %(day)s trước khi đơn vị được thành lập (%(from)s).")
            % {"day": decided_on.strftime("%d/%m/%Y"), "from": unit.valid_from.strftime("%d/%m/%Y")},
            field="decided_on",
        )
    with transaction.atomic():
        if held_recognition(unit, rule_set.code, decided_on):
            raise RecognitionError(_("Đơn vị đã được công nhận ở bậc này."))
        recognition = Recognition.objects.create(
            unit=unit,
            rule_set=rule_set,
            kind=Recognition.Kind.ACKNOWLEDGEMENT,
            decision_number=number,
            decision_date=decided_on,
            signer=(signer or "").strip()[:200],
            authority=(authority or "").strip()[:200],
            note=note,
            is_demo=is_demo,
        )
    _recompute_after(recognition)
    return recognition


def _recompute_after(recognition: Recognition) -> None:
    """A recognition changes what the unit and its ancestors hold from its day on: recompute the periods with
    results that end on or after it, once the transaction has committed."""
    from criteria.models import ReportingPeriod
    from criteria.tasks import queue_recompute

    day = recognition.decision_date if recognition.revoked_on is None else recognition.revoked_on
    periods = ReportingPeriod.objects.filter(end__gte=day, attainments__unit_id=recognition.unit_id).distinct()
    for period in periods:
        queue_recompute(period=period, units=[recognition.unit])
