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


class ReviewDecisionsForm(forms.Form):
    """A reviewer's decisions on the values waiting for review: for each value `d<id>` (approve / return / none),
    `r<id>` (the reason, required to return) and `ver<id>` (the version the reviewer saw)."""

    def __init__(self, data, *, waiting: dict[int, int]):
        super().__init__(data)
        self.waiting = waiting
        for pk in waiting:
            self.fields[f"d{pk}"] = forms.ChoiceField(
                choices=[("", ""), ("approve", _("Duyệt")), ("return", _("Trả lại"))],
                required=False,
                error_messages={"invalid_choice": _("Quyết định không hợp lệ: chọn Duyệt hoặc Trả lại.")},
            )
            self.fields[f"r{pk}"] = forms.CharField(max_length=REASON_MAX, required=False, strip=True)
            self.fields[f"ver{pk}"] = forms.CharField(required=False, strip=True)
        # Decisions on values that are not waiting here (a stale page, or a forged id) are named, not ignored.
        self.foreign = sorted(
            key for key in data if key.startswith("d") and key[1:].isdigit() and int(key[1:]) not in waiting
        )

    def clean(self):
        data = super().clean()
        if self.foreign:
            raise forms.ValidationError(
                _("Có quyết định cho giá trị không chờ duyệt ở đây (đã được xử lý hoặc không thuộc hồ sơ này).")
            )
        for pk in self.waiting:
            version = data.get(f"ver{pk}") or ""
            if version and not (version.isascii() and version.isdigit() and len(version) < 10):
                self.add_error(
                    f"ver{pk}",
                    _("Phiên bản «%(v)s» không hợp lệ: tải lại trang rồi quyết định lại.") % {"v": version[:20]},
                )
            if data.get(f"d{pk}") == "return" and not data.get(f"r{pk}"):
                self.add_error(f"r{pk}", _("Trả lại cần ghi lý do để cán bộ xã biết cần sửa gì."))
        return data

    def decisions(self) -> dict[int, tuple[str, int, str]]:
        """value id → (action, version seen, reason) for the values decided."""
        out = {}
        for pk, stored_version in self.waiting.items():
            action = self.cleaned_data.get(f"d{pk}")
            if action:
                version = self.cleaned_data.get(f"ver{pk}")
                out[pk] = (action, int(version) if version else stored_version, self.cleaned_data.get(f"r{pk}", ""))
        return out

    def message_for(self, pk: int) -> str:
        for name in (f"d{pk}", f"r{pk}", f"ver{pk}"):
            if name in self.errors:
                return " ".join(self.errors[name])
        return ""
