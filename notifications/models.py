"""What happened to a user's work while he was away: values returned or approved, periods locked."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        RETURNED = "returned", _("Trả lại")
        APPROVED = "approved", _("Đã duyệt")
        LOCKED = "locked", _("Khóa kỳ")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    unit = models.ForeignKey("communes.AdminUnit", on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey("criteria.ReportingPeriod", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    @property
    def text(self) -> str:
        """In the reader's language, from what was stored."""
        names = {"unit": self.unit.name, "period": self.period.label}
        if self.kind == self.Kind.RETURNED:
            return gettext("Huyện trả lại số liệu của %(unit)s, %(period)s.") % names
        if self.kind == self.Kind.APPROVED:
            return gettext("Huyện đã duyệt số liệu của %(unit)s, %(period)s.") % names
        return gettext("Kỳ %(period)s đã khóa tại %(unit)s: số liệu không còn sửa được.") % names

    @property
    def url(self) -> str:
        if self.kind == self.Kind.LOCKED:
            return reverse("home")
        suffix = "?show=returned" if self.kind == self.Kind.RETURNED else ""
        return reverse("entry-unit", args=[self.unit.code, self.period.code]) + suffix
