"""Load rule sets from their data files (criteria/rulesets/*.yaml) into RuleSet, Criterion and Indicator.

Every file of a batch is checked before anything is written, and the batch is written in one transaction:
a bad file never leaves half a rule set behind, and the person loading it sees every problem at once.
The file format is documented in docs/rule-set-format.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import ATTRIBUTES, KIND_LEVEL, Kind, Level, Region
from criteria.engine import BOOL_OPS, GROUPS, NUMERIC_OPS, WHEN_KEYS
from criteria.models import Criterion, Indicator, IndicatorValue, RuleSet, Tier, ValueKind

FORMAT = "ntm-ruleset/1"
RULESET_DIR = Path(__file__).resolve().parent / "rulesets"

LEVELS = {"province": Level.PROVINCE, "district": Level.DISTRICT, "commune": Level.COMMUNE, "village": Level.VILLAGE}
STATUSES = (RuleSet.Status.DRAFT.value, RuleSet.Status.PUBLISHED.value)
MEASURES = ("share", "count")
CODE_RE = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
UNIT_CODE_RE = re.compile(r"\A[0-9]{2,5}\Z")

TOP_REQUIRED = ("format", "code", "version", "name", "level", "tier", "programme_period", "legal_basis", "status")
TOP_OPTIONAL = (
    "name_en",
    "short_name",
    "issuer",
    "valid_from",
    "valid_to",
    "prerequisite",
    "applies_to",
    "variant_note",
    "region_substitutions",
    "counts",
    "sources",
    "note",
    "criteria",
    "conditions",
)
CRITERION_KEYS = ("code", "name", "name_en", "verified", "source", "indicators")
INDICATOR_KEYS = (
    "code",
    "text",
    "text_en",
    "kind",
    "unit",
    "target",
    "range",
    "derived",
    "verified",
    "source",
    "confidence",
    "legal_basis",
    "agency",
    "note",
)
TARGET_KEYS = ("op", "value", "text", "overrides", "verified", "source", "note")
OVERRIDE_KEYS = ("when", "op", "value", "text", "verified", "source", "note")
DERIVED_KEYS = ("from", "level", "kinds", "rule_set", "measure")
APPLIES_KEYS = ("kinds", "provinces", "districts", "exclude_districts")
COUNTS_KEYS = ("criteria", "indicators", "conditions", "verified", "source", "note")
SUBSTITUTION_KEYS = ("attribute", "region", "verified", "source", "text")

OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


@dataclass(frozen=True)
class Problem:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


class LoaderError(Exception):
    """One or more files are invalid; nothing was written."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LoadResult:
    code: str
    version: int
    status: str  # "created" | "replaced" | "unchanged"
    rule_set: RuleSet
    criteria: int
    indicators: int
    conditions: int
    unverified: int
    path: str

    @property
    def status_label(self) -> str:
        return {"created": _("tạo mới"), "replaced": _("thay bản nháp"), "unchanged": _("không đổi")}[self.status]

    def summary(self) -> str:
        parts = [
            _("%(n)s tiêu chí") % {"n": self.criteria},
            _("%(n)s chỉ tiêu") % {"n": self.indicators},
        ]
        if self.conditions:
            parts.append(_("%(n)s điều kiện") % {"n": self.conditions})
        line = ", ".join(parts) + " " + _("(%(n)s chưa xác minh)") % {"n": self.unverified}
        return f"{self.code} v{self.version}: {line} — {self.status_label}"


# --------------------------------------------------------------------------- display of targets


def format_number(value: Any) -> str:
    """Vietnamese style: 1,5 not 1.5; no trailing .0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def _with_unit(number: Any, unit: str) -> str:
    text = format_number(number)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def target_text(target: Mapping[str, Any], unit: str = "") -> str:
    """The human form of a target: its own `text`, else derived from op/value ("≥ 80%", "Đạt")."""
    if target.get("text"):
        return str(target["text"])
    op, value = target.get("op"), target.get("value")
    if op == "yes":
        return _("Đạt")
    if op == "no":
        return _("Không")
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            return str(value)  # an invalid file: the checker reports it
        lo, hi = value
        return f"{format_number(lo)}–{_with_unit(hi, unit)}"
    return f"{OP_SYMBOLS.get(op, op)} {_with_unit(value, unit)}"


# --------------------------------------------------------------------------- validation


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_group(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in GROUPS


def _max_length(model, field_name: str) -> int:
    return model._meta.get_field(field_name).max_length


@dataclass
class _Spec:
    """A validated file, ready to write."""

    path: Path
    display: str
    code: str
    version: int
    status: str
    rule_set_fields: dict[str, Any]
    criteria: list[dict[str, Any]]
    indicators: list[dict[str, Any]]  # criterion indicators then conditions; "criterion" holds the code or None
    checksum: str
    references: list[tuple[str, str]]  # (where, rule-set code) to check against the batch and the DB

    @property
    def counts(self) -> tuple[int, int, int, int]:
        in_criteria = sum(1 for i in self.indicators if i["criterion"] is not None)
        conditions = len(self.indicators) - in_criteria
        unverified = sum(1 for i in self.indicators if not i["verified"])
        return len(self.criteria), in_criteria, conditions, unverified


class _FileChecker:
    """Checks one parsed file and builds its _Spec; every problem is collected, none stops the check."""

    def __init__(self, path: Path, display: str):
        self.path = path
        self.display = display
        self.problems: list[Problem] = []
        self.references: list[tuple[str, str]] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.display, where, message))

    # -- small typed readers -------------------------------------------------------------------

    def keys(self, data: Mapping, allowed: Iterable[str], where: str, required: Iterable[str] = ()) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                self.problem(
                    _join(where, str(key)),
                    _("khóa không hợp lệ '%(key)s' (được phép: %(allowed)s)")
                    % {"key": key, "allowed": ", ".join(allowed)},
                )
        for key in required:
            if data.get(key) is None:
                self.problem(_join(where, key), _("thiếu khóa bắt buộc '%(key)s'") % {"key": key})

    def mapping(self, value: Any, where: str) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(where, _("phải là một bảng khóa: giá trị"))
            return None
        return value

    def sequence(self, value: Any, where: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, _("phải là một danh sách"))
            return []
        return value

    def text(self, data: Mapping, key: str, where: str, *, max_length: int | None = None) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(_join(where, key), _("phải là một chuỗi văn bản"))
            return ""
        value = str(value).strip()
        if max_length and len(value) > max_length:
            self.problem(_join(where, key), _("dài quá %(n)s ký tự") % {"n": max_length})
        return value

    def flag(self, data: Mapping, key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(_join(where, key), _("phải là true hoặc false"))
            return False
        return value

    def code(self, data: Mapping, where: str, max_length: int) -> str:
        value = data.get("code")
        if value is None:
            return ""
        if isinstance(value, float):
            # YAML reads 1.10 as the number 1.1: the code would silently change.
            self.problem(_join(where, "code"), _("mã '%(v)s' phải đặt trong ngoặc kép") % {"v": value})
            return str(value)
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(_join(where, "code"), _("mã phải là chuỗi"))
            return ""
        value = str(value).strip()
        if not value:
            self.problem(_join(where, "code"), _("mã trống"))
        elif len(value) > max_length:
            self.problem(_join(where, "code"), _("mã dài quá %(n)s ký tự") % {"n": max_length})
        return value

    def date(self, data: Mapping, key: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(key, _("ngày không hợp lệ '%(v)s' (dùng dạng 2022-03-08)") % {"v": value})
        return None

    def unit_codes(self, value: Any, where: str) -> list[str]:
        codes = []
        for i, item in enumerate(self.sequence(value, where)):
            if not isinstance(item, str) or not UNIT_CODE_RE.match(item):
                self.problem(
                    f"{where}[{i + 1}]",
                    _("mã đơn vị '%(v)s' phải là mã GSO dạng chuỗi, đặt trong ngoặc kép (vd \"22\")") % {"v": item},
                )
                continue
            codes.append(item)
        return codes

    # -- the document ---------------------------------------------------------------------------

    def check(self, doc: Any) -> _Spec | None:
        doc = self.mapping(doc, "")
        if doc is None:
            if not self.problems:
                self.problem("", _("tệp trống"))
            return None
        self.keys(doc, TOP_REQUIRED + TOP_OPTIONAL, "", TOP_REQUIRED + ("counts",))
        if doc.get("format") is not None and doc.get("format") != FORMAT:
            self.problem(
                "format", _("định dạng '%(v)s' không hỗ trợ; dùng '%(f)s'") % {"v": doc.get("format"), "f": FORMAT}
            )

        code = self.text(doc, "code", "")
        if code and (not CODE_RE.match(code) or len(code) > _max_length(RuleSet, "code")):
            self.problem("code", _("mã bộ tiêu chí '%(v)s' chỉ gồm chữ thường, số và dấu gạch ngang") % {"v": code})
        version = doc.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
            self.problem("version", _("phiên bản phải là số nguyên từ 1 trở lên"))
            version = None

        level_name = doc.get("level")
        level = LEVELS.get(level_name) if isinstance(level_name, str) else None
        if level_name is not None and level is None:
            self.problem(
                "level", _("cấp '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": level_name, "ok": ", ".join(LEVELS)}
            )
        tier = doc.get("tier")
        if tier is not None and tier not in Tier.values:
            self.problem(
                "tier", _("hạng '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": tier, "ok": ", ".join(Tier.values)}
            )
        status = doc.get("status")
        if status is not None and status not in STATUSES:
            self.problem("status", _("trạng thái '%(v)s' không hợp lệ (dùng draft hoặc published)") % {"v": status})

        valid_from, valid_to = self.date(doc, "valid_from"), self.date(doc, "valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.problem("valid_to", _("ngày hết hiệu lực trước ngày có hiệu lực"))

        prerequisite = self.text(doc, "prerequisite", "")
        if prerequisite:
            if prerequisite == code:
                self.problem("prerequisite", _("bộ tiêu chí không thể là bậc phải đạt trước của chính nó"))
            else:
                self.references.append(("prerequisite", prerequisite))

        applies_to = self.applies_to(doc.get("applies_to"), level)
        substitutions = self.substitutions(doc.get("region_substitutions"))
        sources = self.sources(doc.get("sources"))

        criteria, indicators = self.criteria(doc.get("criteria"), level_name)
        conditions = self.conditions(doc.get("conditions"), level_name)
        self.duplicate_codes(criteria, indicators + conditions)
        counts = self.counts(doc.get("counts"), criteria, indicators, conditions)
        all_indicators = indicators + conditions

        fields = {
            "code": code,
            "version": version,
            "name": self.text(doc, "name", "", max_length=_max_length(RuleSet, "name")),
            "name_en": self.text(doc, "name_en", "", max_length=_max_length(RuleSet, "name_en")),
            "short_name": self.text(doc, "short_name", "", max_length=_max_length(RuleSet, "short_name")),
            "level": int(level) if level else None,
            "tier": tier,
            "programme_period": self.text(
                doc, "programme_period", "", max_length=_max_length(RuleSet, "programme_period")
            ),
            "legal_basis": self.text(doc, "legal_basis", "", max_length=_max_length(RuleSet, "legal_basis")),
            "issuer": self.text(doc, "issuer", "", max_length=_max_length(RuleSet, "issuer")),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "prerequisite_code": prerequisite,
            "applies_to": applies_to,
            "region_substitutions": substitutions,
            "counts_official": counts,
            "variant_note": self.text(doc, "variant_note", ""),
            "verified": bool(counts.get("verified")) and all(i["verified"] for i in all_indicators),
            "note": self.text(doc, "note", ""),
            "sources": sources,
        }
        if self.problems:
            return None
        content = {"status": status, "rule_set": fields, "criteria": criteria, "indicators": all_indicators}
        return _Spec(
            path=self.path,
            display=self.display,
            code=code,
            version=version,
            status=status,
            rule_set_fields=fields,
            criteria=criteria,
            indicators=all_indicators,
            checksum=checksum(content),
            references=self.references,
        )

    def applies_to(self, value: Any, level: int | None) -> dict:
        data = self.mapping(value, "applies_to")
        if data is None:
            return {}
        self.keys(data, APPLIES_KEYS, "applies_to")
        result: dict[str, list[str]] = {}
        if "kinds" in data:
            kinds = []
            for i, kind in enumerate(self.sequence(data["kinds"], "applies_to.kinds")):
                where = f"applies_to.kinds[{i + 1}]"
                if kind not in Kind.values:
                    self.problem(
                        where,
                        _("loại đơn vị '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": kind, "ok": ", ".join(Kind.values)},
                    )
                elif level and KIND_LEVEL[Kind(kind)] != level:
                    self.problem(where, _("loại đơn vị '%(v)s' không thuộc cấp của bộ tiêu chí") % {"v": kind})
                else:
                    kinds.append(kind)
            result["kinds"] = kinds
        for key in ("provinces", "districts", "exclude_districts"):
            if key in data:
                result[key] = self.unit_codes(data[key], f"applies_to.{key}")
        return result

    def substitutions(self, value: Any) -> list[dict]:
        result = []
        for i, item in enumerate(self.sequence(value, "region_substitutions")):
            where = f"region_substitutions[{i + 1}]"
            item = self.mapping(item, where)
            if item is None:
                continue
            self.keys(item, SUBSTITUTION_KEYS, where, ("attribute", "region"))
            if item.get("attribute") is not None and item["attribute"] not in ATTRIBUTES:
                self.problem(
                    f"{where}.attribute",
                    _("thuộc tính '%(v)s' không hợp lệ (dùng %(ok)s)")
                    % {"v": item["attribute"], "ok": ", ".join(ATTRIBUTES)},
                )
            if item.get("region") is not None and item["region"] not in Region.values:
                self.problem(
                    f"{where}.region",
                    _("vùng '%(v)s' không hợp lệ (dùng %(ok)s)")
                    % {"v": item["region"], "ok": ", ".join(Region.values)},
                )
            self.flag(item, "verified", where)
            result.append({k: item[k] for k in SUBSTITUTION_KEYS if k in item})
        return result

    def sources(self, value: Any) -> dict[str, str]:
        data = self.mapping(value, "sources") or {}
        for key, url in data.items():
            if not isinstance(url, str):
                self.problem(f"sources.{key}", _("nguồn phải là một chuỗi (địa chỉ hoặc mô tả)"))
        return {str(k): str(v) for k, v in data.items()}

    def criteria(self, value: Any, level_name: Any) -> tuple[list[dict], list[dict]]:
        criteria, indicators = [], []
        for i, item in enumerate(self.sequence(value, "criteria")):
            where = _item("criteria", i, item)
            item = self.mapping(item, where)
            if item is None:
                continue
            self.keys(item, CRITERION_KEYS, where, ("code", "name"))
            code = self.code(item, where, _max_length(Criterion, "code"))
            criteria.append(
                {
                    "code": code,
                    "name": self.text(item, "name", where, max_length=_max_length(Criterion, "name")),
                    "name_en": self.text(item, "name_en", where, max_length=_max_length(Criterion, "name_en")),
                    "name_verified": self.flag(item, "verified", where),
                    "source": self.text(item, "source", where, max_length=_max_length(Criterion, "source")),
                    "position": i + 1,
                }
            )
            items = self.sequence(item.get("indicators"), f"{where}.indicators")
            if not items:
                self.problem(where, _("tiêu chí không có chỉ tiêu nào"))
            for j, indicator in enumerate(items):
                checked = self.indicator(indicator, _item(f"{where}.indicators", j, indicator), level_name)
                if checked is not None:
                    checked["criterion"] = code
                    indicators.append(checked)
        return criteria, indicators

    def conditions(self, value: Any, level_name: Any) -> list[dict]:
        conditions = []
        for i, item in enumerate(self.sequence(value, "conditions")):
            checked = self.indicator(item, _item("conditions", i, item), level_name)
            if checked is not None:
                checked["criterion"] = None
                conditions.append(checked)
        return conditions

    def indicator(self, item: Any, where: str, level_name: Any) -> dict | None:
        item = self.mapping(item, where)
        if item is None:
            return None
        self.keys(item, INDICATOR_KEYS, where, ("code", "text", "kind", "target"))
        kind = item.get("kind")
        if kind is not None and kind not in ValueKind.values:
            self.problem(
                f"{where}.kind",
                _("kiểu giá trị '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": kind, "ok": ", ".join(ValueKind.values)},
            )
            kind = None
        unit = self.text(item, "unit", where, max_length=_max_length(Indicator, "unit_label"))
        target = self.target(item.get("target"), f"{where}.target", kind)
        derived = self.derived(item.get("derived"), f"{where}.derived", kind, level_name)
        plausible = self.plausible(item.get("range"), f"{where}.range", kind)
        text_target = target_text(target, unit) if target else ""
        if len(text_target) > _max_length(Indicator, "target_text"):
            self.problem(
                f"{where}.target.text", _("dài quá %(n)s ký tự") % {"n": _max_length(Indicator, "target_text")}
            )
        return {
            "code": self.code(item, where, _max_length(Indicator, "code")),
            "text": self.text(item, "text", where),
            "text_en": self.text(item, "text_en", where),
            "kind": kind,
            "unit_label": unit,
            "target": target,
            "target_text": text_target,
            "plausible_range": plausible,
            "derived": derived,
            "verified": self.flag(item, "verified", where),
            "source": self.text(item, "source", where, max_length=_max_length(Indicator, "source")),
            "legal_basis": self.text(item, "legal_basis", where, max_length=_max_length(Indicator, "legal_basis")),
            "confidence": self.text(item, "confidence", where, max_length=_max_length(Indicator, "confidence")),
            "agency": self.text(item, "agency", where, max_length=_max_length(Indicator, "agency")),
            "note": self.text(item, "note", where),
        }

    def plausible(self, data: Any, where: str, kind: str | None) -> dict | None:
        """`range: {min: 10, max: 500}`: what a value of the indicator may plausibly be (refused outside)."""
        if data is None:
            return None
        data = self.mapping(data, where)
        if data is None:
            return None
        self.keys(data, ("min", "max"), where, ())
        if kind == ValueKind.BOOL:
            self.problem(where, _("chỉ tiêu Có/Không không có khoảng giá trị"))
            return None
        out = {}
        for key in ("min", "max"):
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problem(f"{where}.{key}", _("phải là một số"))
                continue
            out[key] = value
        if "min" in out and "max" in out and out["min"] > out["max"]:
            self.problem(where, _("min lớn hơn max"))
        if kind == ValueKind.PERCENT and any(not 0 <= v <= 100 for v in out.values()):
            self.problem(where, _("tỷ lệ chỉ từ 0 đến 100"))
        return out or None

    def op_value(self, data: dict, where: str, kind: str | None) -> dict:
        """Check op and value against the indicator's kind; returns them normalised."""
        op = data.get("op")
        # Unquoted yes/no are YAML booleans: accept them rather than confuse a provincial officer.
        if op is True:
            op = "yes"
        elif op is False:
            op = "no"
        value = data.get("value")
        if op is None:
            return {"op": None, "value": value}
        if op not in NUMERIC_OPS and op not in BOOL_OPS:
            self.problem(
                f"{where}.op",
                _("toán tử '%(v)s' không hợp lệ (dùng %(ok)s)")
                % {"v": op, "ok": ", ".join(sorted(NUMERIC_OPS) + sorted(BOOL_OPS))},
            )
            return {"op": op, "value": value}
        if kind == ValueKind.BOOL and op in NUMERIC_OPS:
            self.problem(
                f"{where}.op",
                _('chỉ tiêu kiểu bool chỉ dùng toán tử "yes" hoặc "no", không dùng \'%(v)s\'') % {"v": op},
            )
        elif kind and kind != ValueKind.BOOL and op in BOOL_OPS:
            self.problem(
                f"{where}.op",
                _("chỉ tiêu kiểu %(k)s cần toán tử so sánh số, không dùng '%(v)s'") % {"k": kind, "v": op},
            )
        if op == "between":
            if not (
                isinstance(value, list)
                and len(value) == 2
                and all(_is_number(v) for v in value)
                and value[0] <= value[1]
            ):
                self.problem(f"{where}.value", _("toán tử between cần value dạng [thấp, cao], thấp ≤ cao"))
        elif op in NUMERIC_OPS:
            if not _is_number(value):
                self.problem(f"{where}.value", _("toán tử '%(v)s' cần value là một số") % {"v": op})
        elif value is not None:
            self.problem(f"{where}.value", _("toán tử '%(v)s' không dùng value; để null") % {"v": op})
        return {"op": op, "value": value}

    def target(self, value: Any, where: str, kind: str | None) -> dict:
        data = self.mapping(value, where)
        if data is None:
            return {}
        self.keys(data, TARGET_KEYS, where, ("op",))
        target = {k: data[k] for k in TARGET_KEYS if k in data and k != "overrides"}
        target.update(self.op_value(data, where, kind))
        if "verified" in data:
            self.flag(data, "verified", where)
        overrides = []
        for i, item in enumerate(self.sequence(data.get("overrides"), f"{where}.overrides")):
            o_where = f"{where}.overrides[{i + 1}]"
            item = self.mapping(item, o_where)
            if item is None:
                continue
            self.keys(item, OVERRIDE_KEYS, o_where, ("when", "op"))
            override = {k: item[k] for k in OVERRIDE_KEYS if k in item}
            override.update(self.op_value(item, o_where, kind))
            override["when"] = self.when(item.get("when"), f"{o_where}.when")
            if "verified" in item:
                self.flag(item, "verified", o_where)
            overrides.append(override)
        if overrides:
            target["overrides"] = overrides
        return target

    def when(self, value: Any, where: str) -> dict:
        data = self.mapping(value, where)
        if data is None:
            return {}
        if not data:
            self.problem(where, _("điều kiện when trống"))
        for key, item in data.items():
            if key not in WHEN_KEYS:
                self.problem(
                    f"{where}.{key}",
                    _("điều kiện '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": key, "ok": ", ".join(sorted(WHEN_KEYS))},
                )
            elif key == "region" and item not in Region.values:
                self.problem(
                    f"{where}.region",
                    _("vùng '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": item, "ok": ", ".join(Region.values)},
                )
            elif key == "attribute" and item not in ATTRIBUTES:
                self.problem(
                    f"{where}.attribute",
                    _("thuộc tính '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": item, "ok": ", ".join(ATTRIBUTES)},
                )
            elif key == "year" and not (isinstance(item, int) and not isinstance(item, bool)):
                self.problem(f"{where}.year", _("năm phải là số nguyên"))
            elif key == "years" and not (
                isinstance(item, list) and item and all(isinstance(y, int) and not isinstance(y, bool) for y in item)
            ):
                self.problem(f"{where}.years", _("years phải là danh sách năm (số nguyên)"))
            elif key == "group" and not _is_group(item):
                self.problem(f"{where}.group", _("nhóm xã phải là 1, 2 hoặc 3"))
            elif key == "groups" and not (isinstance(item, list) and item and all(_is_group(g) for g in item)):
                self.problem(f"{where}.groups", _("groups phải là danh sách nhóm xã (1, 2, 3)"))
        if "group" in data and "groups" in data:
            self.problem(where, _("dùng group hoặc groups, không dùng cả hai"))
        return dict(data)

    def derived(self, value: Any, where: str, kind: str | None, level_name: Any) -> dict | None:
        data = self.mapping(value, where)
        if data is None:
            return None
        self.keys(data, DERIVED_KEYS, where, ("from", "rule_set"))
        source = data.get("from")
        if isinstance(data.get("rule_set"), str):
            self.references.append((f"{where}.rule_set", data["rule_set"]))
        elif data.get("rule_set") is not None:
            self.problem(f"{where}.rule_set", _("phải là mã bộ tiêu chí"))
        if source == "self":
            for key in ("level", "kinds", "measure"):
                if key in data:
                    self.problem(f"{where}.{key}", _("from: self không dùng khóa '%(k)s'") % {"k": key})
            if kind and kind != ValueKind.BOOL:
                self.problem(f"{where}.from", _("from: self cho giá trị có/không; chỉ tiêu phải có kind: bool"))
        elif source == "children":
            child_level = data.get("level")
            if child_level is None:
                self.problem(f"{where}.level", _("thiếu khóa bắt buộc '%(key)s'") % {"key": "level"})
            elif child_level not in LEVELS:
                self.problem(
                    f"{where}.level",
                    _("cấp '%(v)s' không hợp lệ (dùng %(ok)s)") % {"v": child_level, "ok": ", ".join(LEVELS)},
                )
            elif level_name in LEVELS and LEVELS[child_level] <= LEVELS[level_name]:
                self.problem(f"{where}.level", _("cấp của đơn vị con phải thấp hơn cấp của bộ tiêu chí"))
            for i, child_kind in enumerate(self.sequence(data.get("kinds"), f"{where}.kinds")):
                if child_kind not in Kind.values:
                    self.problem(f"{where}.kinds[{i + 1}]", _("loại đơn vị '%(v)s' không hợp lệ") % {"v": child_kind})
                elif child_level in LEVELS and KIND_LEVEL[Kind(child_kind)] != LEVELS[child_level]:
                    self.problem(
                        f"{where}.kinds[{i + 1}]",
                        _("loại đơn vị '%(v)s' không thuộc cấp %(l)s") % {"v": child_kind, "l": child_level},
                    )
            measure = data.get("measure")
            if measure not in MEASURES:
                self.problem(f"{where}.measure", _("measure phải là share hoặc count"))
            elif kind and kind != (ValueKind.PERCENT if measure == "share" else ValueKind.COUNT):
                self.problem(
                    f"{where}.measure",
                    _("measure: share cho kết quả kiểu percent, measure: count cho kiểu count; chỉ tiêu đang là %(k)s")
                    % {"k": kind},
                )
        elif source is not None:
            self.problem(f"{where}.from", _("from phải là children hoặc self"))
        return dict(data)

    def duplicate_codes(self, criteria: list[dict], indicators: list[dict]) -> None:
        seen: set[str] = set()
        for criterion in criteria:
            if criterion["code"] in seen:
                self.problem(_item("criteria", criterion["position"] - 1, criterion), _("mã tiêu chí bị trùng"))
            seen.add(criterion["code"])
        seen = set()
        for indicator in indicators:
            if not indicator["code"]:
                continue
            if indicator["code"] in seen:
                place = "conditions" if indicator.get("criterion") is None else f'criteria["{indicator["criterion"]}"]'
                self.problem(
                    f'{place}: "{indicator["code"]}"',
                    _("mã chỉ tiêu/điều kiện '%(c)s' bị trùng trong bộ tiêu chí") % {"c": indicator["code"]},
                )
            seen.add(indicator["code"])

    def counts(self, value: Any, criteria: list, indicators: list, conditions: list) -> dict:
        data = self.mapping(value, "counts")
        if data is None:
            return {}
        self.keys(data, COUNTS_KEYS, "counts", ("indicators",))
        actual = {"criteria": len(criteria), "indicators": len(indicators), "conditions": len(conditions)}
        for key, found in actual.items():
            declared = data.get(key)
            if declared is None:
                # Unknown official count (null) or, for conditions, not declared: nothing to check.
                continue
            if not isinstance(declared, int) or isinstance(declared, bool):
                self.problem(f"counts.{key}", _("phải là số nguyên hoặc null"))
            elif declared != found:
                self.problem(
                    f"counts.{key}",
                    _("số chính thức là %(d)s nhưng tệp có %(f)s") % {"d": declared, "f": found},
                )
        self.flag(data, "verified", "counts")
        return dict(data)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _item(where: str, index: int, item: Any) -> str:
    """`criteria["3"]` when the item has a usable code, else `criteria[#4]` (1-based)."""
    code = item.get("code") if isinstance(item, dict) else None
    if isinstance(code, str | int) and not isinstance(code, bool) and str(code).strip():
        return f'{where}["{code}"]'
    return f"{where}[#{index + 1}]"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot canonicalise {value!r}")


def checksum(content: Any) -> str:
    """sha256 of the canonical JSON of what gets stored: comments, key order and layout do not count."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _display_path(path: Path) -> str:
    """Repo-relative when the file is in the repo, so the stored name does not depend on the machine."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path(settings.BASE_DIR).resolve()).as_posix()
    except ValueError:
        return str(path)


def _parse(path: Path, display: str) -> tuple[_Spec | None, list[Problem]]:
    checker = _FileChecker(path, display)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        checker.problem("", _("không đọc được tệp (%(e)s)") % {"e": exc.strerror or exc})
        return None, checker.problems
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("dòng %(l)s, cột %(c)s") % {"l": mark.line + 1, "c": mark.column + 1} if mark else ""
        checker.problem(where, _("lỗi cú pháp YAML: %(e)s") % {"e": getattr(exc, "problem", None) or exc})
        return None, checker.problems
    spec = checker.check(doc)
    return spec, checker.problems


# --------------------------------------------------------------------------- loading


def default_paths() -> list[Path]:
    return sorted(RULESET_DIR.glob("*.yaml"))


def load_rule_set_file(path: str | Path) -> LoadResult:
    return load_rule_sets([path])[0]


def load_rule_sets(paths: Iterable[str | Path]) -> list[LoadResult]:
    """Validate every file, then write them all in one transaction.

    Raises LoaderError, having written nothing, when any file has a problem.
    """
    specs: list[_Spec] = []
    problems: list[Problem] = []
    for raw_path in paths:
        path = Path(raw_path)
        spec, file_problems = _parse(path, _display_path(path))
        problems.extend(file_problems)
        if spec is not None:
            specs.append(spec)

    with transaction.atomic():
        problems.extend(_check_batch(specs))
        if problems:
            raise LoaderError(problems)
        return [_write(spec) for spec in specs]


def _check_batch(specs: list[_Spec]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, int], str] = {}
    for spec in specs:
        key = (spec.code, spec.version)
        if key in seen:
            problems.append(
                Problem(
                    spec.display,
                    "code",
                    _("%(c)s v%(v)s đã có trong tệp %(f)s") % {"c": key[0], "v": key[1], "f": seen[key]},
                )
            )
        seen[key] = spec.display

    known = {spec.code for spec in specs} | set(RuleSet.objects.values_list("code", flat=True))
    for spec in specs:
        for where, code in spec.references:
            if code not in known:
                problems.append(
                    Problem(
                        spec.display,
                        where,
                        _("bộ tiêu chí '%(c)s' không có trong lần nạp này và cũng chưa có trong cơ sở dữ liệu")
                        % {"c": code},
                    )
                )
        stored = RuleSet.objects.filter(code=spec.code, version=spec.version).first()
        if stored is None or stored.checksum == spec.checksum:
            continue
        if stored.is_published:
            problems.append(
                Problem(
                    spec.display,
                    "version",
                    _("%(c)s v%(v)s đã ban hành, không sửa được; hãy tăng version")
                    % {"c": spec.code, "v": spec.version},
                )
            )
        elif IndicatorValue.objects.filter(indicator__rule_set=stored).exists():
            problems.append(
                Problem(
                    spec.display,
                    "version",
                    _("bản nháp %(c)s v%(v)s đã có số liệu nhập theo chỉ tiêu, không thay được; hãy tăng version")
                    % {"c": spec.code, "v": spec.version},
                )
            )
    return problems


def _write(spec: _Spec) -> LoadResult:
    n_criteria, n_indicators, n_conditions, n_unverified = spec.counts
    stored = RuleSet.objects.filter(code=spec.code, version=spec.version).first()

    def result(rule_set: RuleSet, status: str) -> LoadResult:
        return LoadResult(
            code=spec.code,
            version=spec.version,
            status=status,
            rule_set=rule_set,
            criteria=n_criteria,
            indicators=n_indicators,
            conditions=n_conditions,
            unverified=n_unverified,
            path=spec.display,
        )

    if stored is not None and stored.checksum == spec.checksum:
        return result(stored, "unchanged")

    fields = dict(spec.rule_set_fields, source_file=spec.display[:200], checksum=spec.checksum)
    if stored is None:
        # Children can only be added while the set is a draft: the models refuse edits to a published set.
        rule_set = RuleSet.objects.create(status=RuleSet.Status.DRAFT, **fields)
        status = "created"
    else:
        rule_set = stored
        rule_set.indicators.all().delete()
        rule_set.criteria.all().delete()
        for name, value in fields.items():
            setattr(rule_set, name, value)
        rule_set.status = RuleSet.Status.DRAFT
        rule_set.published_at = None
        rule_set.save()
        status = "replaced"

    criteria = Criterion.objects.bulk_create(Criterion(rule_set=rule_set, **c) for c in spec.criteria)
    by_code = {c.code: c for c in criteria}
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=rule_set,
            criterion=by_code[i["criterion"]] if i["criterion"] is not None else None,
            position=position,
            **{k: v for k, v in i.items() if k != "criterion"},
        )
        for position, i in enumerate(spec.indicators, start=1)
    )
    if spec.status == RuleSet.Status.PUBLISHED:
        RuleSet.objects.filter(pk=rule_set.pk).update(status=RuleSet.Status.PUBLISHED, published_at=timezone.now())
        rule_set.refresh_from_db()
    return result(rule_set, status)
