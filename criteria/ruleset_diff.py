"""What changed between two versions of a rule set: criteria, indicators and targets added, removed and changed.

The result is plain data (old and new text side by side), read by the `rule_set_diff` command and by pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .loader import target_text
from .models import Criterion, Indicator, RuleSet
from .ruleset_export import override_lines, range_text, rule_set_contents

RULE_SET_FIELDS = {
    "name": gettext_lazy("Tên"),
    "legal_basis": gettext_lazy("Căn cứ pháp lý"),
    "issuer": gettext_lazy("Cơ quan ban hành"),
    "valid_from": gettext_lazy("Hiệu lực từ"),
    "valid_to": gettext_lazy("Hiệu lực đến"),
    "status": gettext_lazy("Trạng thái"),
    "prerequisite_code": gettext_lazy("Bậc phải đạt trước"),
    "applies_to": gettext_lazy("Áp dụng cho"),
    "region_substitutions": gettext_lazy("Thay vùng"),
    "counts_official": gettext_lazy("Số tiêu chí, chỉ tiêu chính thức"),
    "verified": gettext_lazy("Đã xác minh"),
}
CRITERION_FIELDS = {
    "name": gettext_lazy("Tên"),
    "name_en": gettext_lazy("Tên tiếng Anh"),
    "name_verified": gettext_lazy("Đã xác minh"),
    "source": gettext_lazy("Nguồn"),
}
INDICATOR_FIELDS = {
    "criterion": gettext_lazy("Thuộc tiêu chí"),
    "text": gettext_lazy("Nội dung"),
    "text_en": gettext_lazy("Nội dung tiếng Anh"),
    "kind": gettext_lazy("Kiểu giá trị"),
    "unit_label": gettext_lazy("Đơn vị"),
    "target": gettext_lazy("Mức đạt"),
    "overrides": gettext_lazy("Mức đạt riêng"),
    "plausible_range": gettext_lazy("Khoảng hợp lý"),
    "derived": gettext_lazy("Tính từ"),
    "verified": gettext_lazy("Đã xác minh"),
    "source": gettext_lazy("Nguồn"),
    "legal_basis": gettext_lazy("Căn cứ pháp lý"),
    "confidence": gettext_lazy("Mức tin cậy"),
    "agency": gettext_lazy("Cơ quan phụ trách"),
    "note": gettext_lazy("Ghi chú"),
}
# Fields whose change alters what a unit must reach (counted as a target change).
TARGET_FIELDS = frozenset({"target", "overrides"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class ItemChange:
    code: str
    name: str
    changes: list[FieldChange]

    @property
    def changes_target(self) -> bool:
        return any(c.field in TARGET_FIELDS for c in self.changes)


@dataclass
class RuleSetDiff:
    old: RuleSet
    new: RuleSet
    rule_set_changes: list[FieldChange] = field(default_factory=list)
    criteria_added: list[Criterion] = field(default_factory=list)
    criteria_removed: list[Criterion] = field(default_factory=list)
    criteria_changed: list[ItemChange] = field(default_factory=list)
    indicators_added: list[Indicator] = field(default_factory=list)
    indicators_removed: list[Indicator] = field(default_factory=list)
    indicators_changed: list[ItemChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.rule_set_changes
            or self.criteria_added
            or self.criteria_removed
            or self.criteria_changed
            or self.indicators_added
            or self.indicators_removed
            or self.indicators_changed
        )

    @property
    def targets_changed(self) -> int:
        return sum(1 for item in self.indicators_changed if item.changes_target)

    def summary(self) -> str:
        if self.is_empty:
            return _("Phiên bản %(new)s không khác phiên bản %(old)s.") % {
                "new": self.new.version,
                "old": self.old.version,
            }
        return _(
            "Phiên bản %(new)s so với phiên bản %(old)s: tiêu chí +%(ca)s −%(cr)s, đổi %(cc)s; "
            "chỉ tiêu +%(ia)s −%(ir)s, đổi %(ic)s (trong đó %(t)s đổi mức đạt)."
        ) % {
            "new": self.new.version,
            "old": self.old.version,
            "ca": len(self.criteria_added),
            "cr": len(self.criteria_removed),
            "cc": len(self.criteria_changed),
            "ia": len(self.indicators_added),
            "ir": len(self.indicators_removed),
            "ic": len(self.indicators_changed),
            "t": self.targets_changed,
        }


def _show(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _target_view(indicator: Indicator) -> str:
    """The target in words; when the official wording is given, the rule it stands for too (either may change)."""
    target = indicator.target or {}
    if not target.get("text"):
        return target_text(target, indicator.unit_label)
    rule = target_text({"op": target.get("op"), "value": target.get("value")}, indicator.unit_label)
    return f"{target['text']} ({rule})"


def _indicator_view(indicator: Indicator, criterion_code: str | None) -> dict[str, str]:
    """The indicator as a person reads it: targets and ranges in words, flags as có/không."""
    view = {
        "criterion": criterion_code or _("điều kiện công nhận"),
        "target": _target_view(indicator),
        "overrides": "; ".join(f"{where}: {text}" for where, text in override_lines(indicator)) or "—",
        "plausible_range": range_text(indicator) or "—",
    }
    for name in INDICATOR_FIELDS:
        if name not in view:
            view[name] = _show(getattr(indicator, name))
    return view


def _changes(labels: dict, old: dict[str, str], new: dict[str, str]) -> list[FieldChange]:
    return [
        FieldChange(name, str(label), old[name], new[name]) for name, label in labels.items() if old[name] != new[name]
    ]


def rule_set_diff(*, old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """Compare two versions (or any two sets): items are matched by their code."""
    diff = RuleSetDiff(old=old, new=new)
    diff.rule_set_changes = _changes(
        RULE_SET_FIELDS,
        {name: _show(getattr(old, name)) for name in RULE_SET_FIELDS},
        {name: _show(getattr(new, name)) for name in RULE_SET_FIELDS},
    )

    sides = []
    for rule_set in (old, new):
        criteria, conditions = rule_set_contents(rule_set)
        by_code = {c.code: c for c in criteria}
        indicators = {i.code: (i, c.code) for c in criteria for i in c.ordered_indicators}
        indicators.update({i.code: (i, None) for i in conditions})
        sides.append((by_code, indicators))
    (old_criteria, old_indicators), (new_criteria, new_indicators) = sides

    diff.criteria_removed = [c for code, c in old_criteria.items() if code not in new_criteria]
    diff.criteria_added = [c for code, c in new_criteria.items() if code not in old_criteria]
    for code, criterion in new_criteria.items():
        before = old_criteria.get(code)
        if before is None:
            continue
        changes = _changes(
            CRITERION_FIELDS,
            {name: _show(getattr(before, name)) for name in CRITERION_FIELDS},
            {name: _show(getattr(criterion, name)) for name in CRITERION_FIELDS},
        )
        if changes:
            diff.criteria_changed.append(ItemChange(code, criterion.name, changes))

    diff.indicators_removed = [i for code, (i, _c) in old_indicators.items() if code not in new_indicators]
    diff.indicators_added = [i for code, (i, _c) in new_indicators.items() if code not in old_indicators]
    for code, (indicator, criterion_code) in new_indicators.items():
        if code not in old_indicators:
            continue
        before, before_criterion = old_indicators[code]
        changes = _changes(
            INDICATOR_FIELDS, _indicator_view(before, before_criterion), _indicator_view(indicator, criterion_code)
        )
        if changes:
            diff.indicators_changed.append(ItemChange(code, indicator.text, changes))
    return diff
