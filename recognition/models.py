"""Recognition dossiers (hồ sơ đề nghị công nhận): how a unit that meets a rule set comes to be recognised.

A dossier for a unit and a tier moves: prepared by the unit (self-assessment, the residents' satisfaction survey,
attached documents) → thẩm tra by the level above → thẩm định by the province → decision, or returned with a
reason at either appraisal. On the two-level map (no district) the province does both appraisals. The stored
engine result at opening is copied into the dossier, so later recomputes never change what was appraised.
The decision itself is a `criteria.Recognition`, which the engine and the dashboards read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit
from criteria.models import Attainment, Recognition, RuleSet


class Stage(models.TextChoices):
    PREPARING = "preparing", _("Đơn vị đang chuẩn bị")
    SUBMITTED = "submitted", _("Chờ thẩm tra")
    VERIFIED = "verified", _("Đã thẩm tra, chờ thẩm định")
    APPRAISED = "appraised", _("Đã thẩm định, chờ quyết định")
    RECOGNISED = "recognised", _("Đã có quyết định công nhận")
    RETURNED = "returned", _("Trả lại")


OPEN_STAGES = (Stage.PREPARING, Stage.SUBMITTED, Stage.VERIFIED, Stage.APPRAISED)


class Dossier(models.Model):
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("đơn vị"))
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("bộ tiêu chí (bậc)")
    )
    stage = models.CharField(_("bước"), max_length=12, choices=Stage.choices, default=Stage.PREPARING, db_index=True)
    opened_on = models.DateField(_("ngày lập hồ sơ"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The stored result the dossier was opened on, copied: {"attainment": id, "period": code, "criteria_met": …}.
    engine_result = models.JSONField(_("kết quả đánh giá khi lập hồ sơ"))
    attainment = models.ForeignKey(Attainment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    self_assessment = models.TextField(_("báo cáo tự đánh giá"), blank=True)
    survey_satisfaction = models.DecimalField(
        _("tỷ lệ người dân hài lòng (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    survey_note = models.CharField(_("ghi chú về khảo sát"), max_length=300, blank=True)
    submitted_on = models.DateField(_("ngày gửi thẩm tra"), null=True, blank=True)
    verified_on = models.DateField(_("ngày thẩm tra"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verifier_unit = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("cấp thẩm tra")
    )
    verification_note = models.TextField(_("kết quả thẩm tra"), blank=True)
    appraised_on = models.DateField(_("ngày thẩm định"), null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appraisal_note = models.TextField(_("kết quả thẩm định"), blank=True)
    returned_on = models.DateField(_("ngày trả lại"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_from = models.CharField(_("trả lại ở bước"), max_length=12, choices=Stage.choices, blank=True)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    recognition = models.OneToOneField(
        Recognition, null=True, blank=True, on_delete=models.PROTECT, related_name="dossier"
    )
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        verbose_name = _("hồ sơ công nhận")
        verbose_name_plural = _("hồ sơ công nhận")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "rule_set"],
                condition=models.Q(stage__in=[s.value for s in OPEN_STAGES]),
                name="dossier_one_open_per_unit_set",
            ),
            models.CheckConstraint(
                condition=~models.Q(stage=Stage.RETURNED) | ~models.Q(return_reason=""),
                name="dossier_returned_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.rule_set.name} ({self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class DossierDocument(models.Model):
    """A document attached to a dossier, checked by its content and stored under a random name."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("tên tài liệu"), max_length=200, blank=True)
    file = models.FileField(upload_to="dossiers/%Y/%m/", max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu hồ sơ")
        verbose_name_plural = _("tài liệu hồ sơ")
        ordering = ["uploaded_at", "id"]


class DossierEvent(models.Model):
    """Every step of a dossier: who, when, on which day, and the note or reason. Never edited."""

    class Action(models.TextChoices):
        OPEN = "open", _("Lập hồ sơ")
        EDIT = "edit", _("Cập nhật hồ sơ")
        ATTACH = "attach", _("Đính kèm tài liệu")
        SUBMIT = "submit", _("Gửi thẩm tra")
        VERIFY = "verify", _("Thẩm tra")
        APPRAISE = "appraise", _("Thẩm định")
        DECIDE = "decide", _("Quyết định công nhận")
        RETURN = "return", _("Trả lại")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    on = models.DateField(_("ngày"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
