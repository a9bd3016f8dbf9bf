"""Forms of the entry and review pages.

The entry page is one form with a few fields per indicator (`v<id>-value`, `-note`, `-version` and the value and
note as shown, so that only the fields the official changed are saved and checked against the version seen).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import REASON_MAX


@dataclass(frozen=True)
class Typed:
    indicator_id: int
    raw: str
    note: str
    version: int
    reason: str
    initial_raw: str
    initial_note: str

    @property
    def changed(self) -> bool:
        return self.raw.strip() != self.initial_raw.strip() or self.note.strip() != self.initial_note.strip()


def _int(text, default: int = 0) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def typed_values(data) -> list[Typed]:
    """Every indicator that has fields in the POST, in the order they came."""
    out = []
    for key in data:
        if not (key.startswith("v") and key.endswith("-value")):
            continue
        indicator_id = _int(key[1:-6], -1)
        if indicator_id < 0:
            continue
        prefix = f"v{indicator_id}"
        out.append(
            Typed(
                indicator_id=indicator_id,
                raw=data.get(f"{prefix}-value", ""),
                note=data.get(f"{prefix}-note", ""),
                version=_int(data.get(f"{prefix}-version")),
                reason=data.get(f"{prefix}-reason", ""),
                initial_raw=data.get(f"{prefix}-value-initial", ""),
                initial_note=data.get(f"{prefix}-note-initial", ""),
            )
        )
    return out


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Tệp minh chứng"))


class ExcelUploadForm(forms.Form):
    file = forms.FileField(label=_("Tệp Excel đã điền"))


class ReturnAllForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Trả lại cần ghi lý do để cán bộ xã biết cần sửa gì.")},
    )


class PeriodForm(forms.Form):
    period = forms.CharField(label=_("Kỳ báo cáo"), max_length=10, help_text=_("2024, 2024-Q1…Q4, 2024-6M, 2024-9M"))
