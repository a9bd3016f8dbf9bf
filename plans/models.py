"""Plans and responsibility: the units expected to reach a tier this year, the agency answering for each unmet
indicator, and the capital and essential works behind them.

The yearly target itself is `reports.YearTarget` (the dashboards read it); this app adds what the provincial
plans name beside it and what the monthly reviews follow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit
from criteria.models import Criterion, Indicator
from reports.models import YearTarget


class ExpectedUnit(models.Model):
    """A unit the plan expects to reach the target's tier during the target's year."""

    target = models.ForeignKey(YearTarget, on_delete=models.CASCADE, related_name="expected_units")
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("đơn vị"))

    class Meta:
        verbose_name = _("đơn vị dự kiến đạt chuẩn")
        verbose_name_plural = _("đơn vị dự kiến đạt chuẩn")
        ordering = ["unit__path"]
        constraints = [models.UniqueConstraint(fields=["target", "unit"], name="expectedunit_unique")]


class Assignment(models.Model):
    """The agency responsible for bringing one unmet indicator of a unit to its target, and by when."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("đơn vị"))
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("chỉ tiêu")
    )
    agency = models.CharField(_("cơ quan phụ trách"), max_length=200)
    deadline = models.DateField(_("hạn hoàn thành"))
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_on = models.DateField(_("ngày giao"))
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        verbose_name = _("phân công chỉ tiêu chưa đạt")
        verbose_name_plural = _("phân công chỉ tiêu chưa đạt")
        ordering = ["deadline", "unit__path", "indicator__position"]
        constraints = [models.UniqueConstraint(fields=["unit", "indicator"], name="assignment_unique_unit_indicator")]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.indicator.code} · {self.agency}"


class CapitalSource(models.TextChoices):
    CENTRAL = "central", _("Ngân sách trung ương")
    LOCAL = "local", _("Ngân sách địa phương")
    INTEGRATED = "integrated", _("Lồng ghép từ các chương trình MTQG khác")
    CREDIT = "credit", _("Vốn tín dụng")
    MOBILISED = "mobilised", _("Huy động doanh nghiệp, người dân")


class Capital(models.Model):
    """Capital planned and disbursed for a unit in a year from one source (million VND)."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="capital", verbose_name=_("đơn vị"))
    year = models.PositiveSmallIntegerField(_("năm"))
    source = models.CharField(_("nguồn vốn"), max_length=12, choices=CapitalSource.choices)
    planned = models.DecimalField(_("kế hoạch (triệu đồng)"), max_digits=14, decimal_places=2)
    disbursed = models.DecimalField(_("đã giải ngân (triệu đồng)"), max_digits=14, decimal_places=2, default=0)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        verbose_name = _("nguồn vốn")
        verbose_name_plural = _("nguồn vốn")
        ordering = ["unit__path", "year", "source"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "source"], name="capital_unique_unit_year_source")
        ]


class Work(models.Model):
    """An essential infrastructure work (công trình hạ tầng thiết yếu) of a unit, the criterion it serves and
    its progress. Behind schedule: its planned completion has passed and it is not finished."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="works", verbose_name=_("đơn vị"))
    year = models.PositiveSmallIntegerField(_("năm kế hoạch"))
    name = models.CharField(_("tên công trình"), max_length=300)
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("tiêu chí")
    )
    planned_cost = models.DecimalField(
        _("tổng mức đầu tư (triệu đồng)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    planned_end = models.DateField(_("hạn hoàn thành"))
    finished_on = models.DateField(_("ngày hoàn thành"), null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        verbose_name = _("công trình hạ tầng")
        verbose_name_plural = _("công trình hạ tầng")
        ordering = ["unit__path", "planned_end", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="work_progress_at_most_100"),
            models.UniqueConstraint(fields=["unit", "year", "name"], name="work_unique_unit_year_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def behind_on(self, day) -> bool:
        return self.finished_on is None and self.progress < 100 and self.planned_end < day
