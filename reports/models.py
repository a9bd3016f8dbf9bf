"""Yearly targets the province sets ("tỉnh đặt mục tiêu có thêm 2 huyện, 2 xã đạt chuẩn NTM nâng cao")."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit
from criteria.models import RuleSet


class YearTarget(models.Model):
    """How many units of the rule set's level in `unit`'s subtree should stand at its tier by the end of `year`.

    With `additional` the count is of units that reach the tier during the year (the way provincial plans
    phrase it: "thêm 2 xã"); otherwise it is the total standing at the tier at the end of the year.
    """

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="year_targets", verbose_name=_("đơn vị"))
    year = models.PositiveSmallIntegerField(_("năm"))
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="year_targets", verbose_name=_("bộ tiêu chí (bậc)")
    )
    count = models.PositiveSmallIntegerField(_("số đơn vị"))
    additional = models.BooleanField(_("tính số đơn vị tăng thêm trong năm"), default=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        verbose_name = _("mục tiêu năm")
        verbose_name_plural = _("mục tiêu năm")
        ordering = ["unit", "year", "rule_set__level", "rule_set__code"]
        constraints = [models.UniqueConstraint(fields=["unit", "year", "rule_set"], name="yeartarget_unique")]

    def __str__(self) -> str:
        return f"{self.unit.name} {self.year}: {self.count} · {self.rule_set.name}"

    def clean(self):
        if self.rule_set_id and self.unit_id and self.rule_set.level <= self.unit.level:
            raise ValidationError(
                {"rule_set": _("Bộ tiêu chí phải dành cho cấp dưới của đơn vị đặt mục tiêu.")}, code="level"
            )
