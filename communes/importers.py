"""Loading the official unit tree and the files provinces send us (villages, unit attributes).

Everything here is set-based: existing units are read in one query, new ones are written with
bulk_create level by level, changed ones with bulk_update of the changed fields only. A national import
is ~10,800 units; one query per unit would take minutes on the officials' servers.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import yaml
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from ntm_tracker.tabular import COMMAND_LIMITS, FileRejected, RowProblem, TableError, read_rows

from .models import ATTRIBUTES, AdminUnit, Kind, Level, Region, UnitChange

PACKAGE = "vietnam-provinces"
REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.yaml"

# Officials write codes zero-padded to a fixed width per level.
CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}

# Name prefixes, longest first where one is a prefix of another ("Thị xã" / "Thị trấn" share "Thị").
NAME_PREFIXES: dict[int, list[tuple[str, str]]] = {
    Level.PROVINCE: [("Thành phố", Kind.THANH_PHO_TW), ("Tỉnh", Kind.TINH)],
    Level.DISTRICT: [
        ("Thành phố", Kind.THANH_PHO),
        ("Thị xã", Kind.THI_XA),
        ("Quận", Kind.QUAN),
        ("Huyện", Kind.HUYEN),
    ],
    Level.COMMUNE: [("Thị trấn", Kind.THI_TRAN), ("Phường", Kind.PHUONG), ("Xã", Kind.XA)],
    Level.VILLAGE: [("Thôn", Kind.THON), ("Bản", Kind.BAN), ("Khu", Kind.KHU)],
}
# The prefix officials put before a name of each kind (used when a unit changes kind).
KIND_PREFIX: dict[str, str] = {str(kind): prefix for pairs in NAME_PREFIXES.values() for prefix, kind in pairs}

# Fields the package import owns; attributes, validity and successor are set by people and stay.
PACKAGE_FIELDS = ("name", "kind", "level", "parent_id", "path", "region", "source")
VILLAGE_FIELDS = ("name", "kind", "parent_id", "path", "region", "source")

TRUE_WORDS = {"1", "có", "co", "true", "x"}
FALSE_WORDS = {"0", "không", "khong", "false"}


def package_source() -> str:
    return f"{PACKAGE} {metadata.version(PACKAGE)}"


def is_package_source(source: str) -> bool:
    # Any version of the package owns its units, so an upgrade updates them instead of colliding.
    return source.startswith(PACKAGE + " ")


def nfc(text: str) -> str:
    # Files typed with some Vietnamese keyboards arrive decomposed (NFD); compare and store composed.
    return unicodedata.normalize("NFC", text).strip()


def kind_from_name(name: str, level: int, *, default: str | None = None) -> str | None:
    folded = nfc(name).casefold()
    for prefix, kind in NAME_PREFIXES[level]:
        p = prefix.casefold()
        if folded == p or folded.startswith(p + " "):
            return str(kind)
    return default


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def line(self, label: str) -> str:
        return _("%(label)s: %(created)d tạo mới, %(updated)d cập nhật, %(unchanged)d không đổi") % {
            "label": label,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class PackageConflict(Exception):
    """An official code is already held by a unit the package does not own."""


# ---------------------------------------------------------------------------------------------
# Regions


@cache
def province_regions() -> dict[str, str]:
    data = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8"))
    valid = set(Region.values)
    regions = {}
    for code, entry in data["provinces"].items():
        if entry["region"] not in valid:
            raise ValueError(f"{REGIONS_FILE.name}: unknown region {entry['region']!r} for province {code}")
        regions[str(code)] = entry["region"]
    return regions


# ---------------------------------------------------------------------------------------------
# Bulk-write helpers


@contextlib.contextmanager
def _wide_batches():
    """Let bulk writes use SQLite's real variable limit instead of Django's 999 assumption.

    With 999 variables a 17-column insert of 10,051 communes takes ~175 statements; SQLite ≥ 3.32
    accepts 32,766, which brings it down to a handful. PostgreSQL has no such limit to lift.
    """
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features = connection.features
    had_own = "max_query_params" in vars(features)
    previous = features.max_query_params
    features.max_query_params = max(previous, limit)
    try:
        yield
    finally:
        if had_own:
            features.max_query_params = previous
        else:
            del features.max_query_params


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_chunk_size() -> int:
    if connection.vendor == "sqlite":
        return max(500, connection.features.max_query_params - 10)
    return 20000


def _units_by_code(codes: Iterable[str]) -> dict[str, AdminUnit]:
    codes = sorted(set(codes))
    found: dict[str, AdminUnit] = {}
    for chunk in _chunks(codes, _in_chunk_size()):
        found.update((u.code, u) for u in AdminUnit.objects.filter(code__in=chunk))
    return found


def _apply(unit: AdminUnit, values: dict, fields: Iterable[str]) -> list[str]:
    changed = [f for f in fields if getattr(unit, f) != values[f]]
    for f in changed:
        setattr(unit, f, values[f])
    return changed


def _bulk_update(units: list[tuple[AdminUnit, list[str]]]) -> None:
    """One bulk_update per distinct set of changed fields, so unchanged columns are not rewritten."""
    groups: dict[tuple[str, ...], list[AdminUnit]] = {}
    for unit, changed in units:
        groups.setdefault(tuple(sorted(changed)), []).append(unit)
    for fields, objs in groups.items():
        AdminUnit.objects.bulk_update(objs, list(fields))


# ---------------------------------------------------------------------------------------------
# The official tree from the vietnam-provinces package


def _package_rows() -> dict[int, list[dict]]:
    """The package's nested JSON flattened into rows per level, parents before children."""
    import vietnam_provinces

    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as fh:
        provinces = json.load(fh)
    regions = province_regions()
    source = package_source()
    rows: dict[int, list[dict]] = {Level.PROVINCE: [], Level.DISTRICT: [], Level.COMMUNE: []}

    def row(item: dict, level: int, parent: dict | None, region: str) -> dict:
        code = f"{int(item['code']):0{CODE_WIDTH[level]}d}"
        name = nfc(item["name"])
        kind = kind_from_name(name, level)
        if kind is None:
            raise ValueError(f"{PACKAGE}: no kind for {level=} name {name!r} (code {code})")
        return {
            "code": code,
            "name": name,
            "kind": kind,
            "level": level,
            "parent_code": parent["code"] if parent else None,
            "path": (parent["path"] if parent else "") + code + "/",
            "region": region,
            "source": source,
        }

    for p in provinces:
        code = f"{int(p['code']):02d}"
        if code not in regions:
            raise ValueError(f"{REGIONS_FILE.name} has no region for province {code} ({p['name']})")
        prow = row(p, Level.PROVINCE, None, regions[code])
        rows[Level.PROVINCE].append(prow)
        for d in p["districts"]:
            drow = row(d, Level.DISTRICT, prow, prow["region"])
            rows[Level.DISTRICT].append(drow)
            rows[Level.COMMUNE].extend(row(w, Level.COMMUNE, drow, drow["region"]) for w in d["wards"])
    return rows


def units_import_from_package() -> dict[int, Counts]:
    """Create or update the 63 provinces, 696 districts and 10,051 communes of the package.

    Idempotent. Units the package does not own (villages, demo or hand-made units) are never touched;
    if one of them holds an official code the import stops before writing anything.
    """
    rows = _package_rows()
    all_codes = {r["code"] for level_rows in rows.values() for r in level_rows}

    # Package codes are 2, 3 or 5 characters; villages elsewhere can be many, so they are not read.
    existing = {
        u.code: u
        for u in AdminUnit.objects.annotate(code_len=Length("code")).filter(
            Q(level__lte=Level.COMMUNE) | Q(code_len__lte=5)
        )
        if u.code in all_codes
    }
    foreign = sorted(code for code, u in existing.items() if not is_package_source(u.source))
    if foreign:
        raise PackageConflict(
            _("Mã chính thức đã được dùng cho đơn vị không thuộc danh mục: %(codes)s")
            % {"codes": ", ".join(f"{c} ({existing[c].name})" for c in foreign[:20])}
        )
    # A recorded rename or reclassification is newer than the package: keep that name and kind.
    changed_by_people = set(
        UnitChange.objects.filter(
            kind__in=[UnitChange.ChangeKind.RENAME, UnitChange.ChangeKind.RECLASSIFY]
        ).values_list("unit_id", flat=True)
    )

    counts: dict[int, Counts] = {}
    ids: dict[str, int] = {code: u.pk for code, u in existing.items()}
    with transaction.atomic(), _wide_batches():
        for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
            c = counts[level] = Counts()
            to_create: list[AdminUnit] = []
            to_update: list[tuple[AdminUnit, list[str]]] = []
            for r in rows[level]:
                values = {k: v for k, v in r.items() if k != "parent_code"}
                values["parent_id"] = ids[r["parent_code"]] if r["parent_code"] else None
                unit = existing.get(r["code"])
                if unit is None:
                    to_create.append(AdminUnit(**values))
                    continue
                fields = PACKAGE_FIELDS
                if unit.pk in changed_by_people:
                    fields = tuple(f for f in fields if f not in ("name", "kind"))
                changed = _apply(unit, values, fields)
                if changed:
                    to_update.append((unit, changed))
                else:
                    c.unchanged += 1
            created = AdminUnit.objects.bulk_create(to_create)
            for unit in created:
                ids[unit.code] = unit.pk
            if created and created[0].pk is None:  # a backend that cannot return ids
                ids.update(
                    AdminUnit.objects.filter(level=level, code__in=[u.code for u in created]).values_list("code", "pk")
                )
            _bulk_update(to_update)
            c.created, c.updated = len(created), len(to_update)
    return counts


# ---------------------------------------------------------------------------------------------
# Reading CSV / XLSX files from provinces


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _records(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV/XLSX file as text, after checking the header has exactly the `required` columns."""
    try:
        header, rows = read_rows(path, limits=COMMAND_LIMITS)
    except TableError as exc:
        raise FileRejected([RowProblem(1, _("tệp"), str(exc))])
    # The shared reader skips blank lines before the header; in practice the header is row 1.
    header_row = min((n for n, _r in rows), default=2) - 1
    problems = []
    present = [h for h in header if h]
    for name in required:
        if name not in present:
            problems.append(RowProblem(header_row, name, _("Thiếu cột «%(name)s» trong dòng tiêu đề") % {"name": name}))
    for name in present:
        if name not in required:
            problems.append(
                RowProblem(
                    header_row,
                    name,
                    _("Cột không được nhận; các cột cần có: %(cols)s") % {"cols": ", ".join(required)},
                )
            )
    for name in sorted({h for h in present if present.count(h) > 1}):
        problems.append(RowProblem(header_row, name, _("Cột bị lặp trong dòng tiêu đề")))
    if problems:
        raise FileRejected(problems)
    return [(n, {name: _cell(row.get(name)) for name in required}) for n, row in rows]


def _padded(raw: str) -> str:
    # Excel drops leading zeros of numeric cells: 6844 was "06844".
    return raw.zfill(CODE_WIDTH[Level.COMMUNE]) if raw.isdigit() else raw


# ---------------------------------------------------------------------------------------------
# Villages


def villages_import(*, path: Path | str) -> Counts:
    """Create or update villages (thôn, bản, khu) under commune-level units. All rows or none."""
    path = Path(path)
    records = _records(path, ("parent_code", "code", "name"))
    max_code = AdminUnit._meta.get_field("code").max_length
    max_name = AdminUnit._meta.get_field("name").max_length

    raw_parent_codes = {r["parent_code"] for _n, r in records if r["parent_code"]}
    parents = _units_by_code(raw_parent_codes | {_padded(c) for c in raw_parent_codes})
    existing = _units_by_code(r["code"] for _n, r in records if r["code"])

    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    valid: list[tuple[dict, AdminUnit]] = []
    for n, r in records:
        row_problems = []
        parent_code = r["parent_code"]
        if parent_code not in parents and _padded(parent_code) in parents:
            parent_code = _padded(parent_code)
        parent = parents.get(parent_code)
        if not parent_code:
            row_problems.append(RowProblem(n, "parent_code", _("Mã đơn vị cha trống")))
        elif parent is None:
            row_problems.append(
                RowProblem(n, "parent_code", _("Không có đơn vị nào mã «%(code)s»") % {"code": parent_code})
            )
        elif parent.level != Level.COMMUNE:
            row_problems.append(
                RowProblem(
                    n,
                    "parent_code",
                    _("«%(name)s» (%(code)s) là %(level)s, không phải đơn vị cấp xã")
                    % {"name": parent.name, "code": parent.code, "level": parent.get_level_display().lower()},
                )
            )
        code = r["code"]
        if not code:
            row_problems.append(RowProblem(n, "code", _("Mã thôn trống")))
        elif len(code) > max_code or "/" in code:
            row_problems.append(
                RowProblem(n, "code", _("Mã dài quá %(max)d ký tự hoặc chứa dấu «/»") % {"max": max_code})
            )
        elif code in seen:
            row_problems.append(
                RowProblem(n, "code", _("Mã «%(code)s» trùng với dòng %(row)d") % {"code": code, "row": seen[code]})
            )
        else:
            seen[code] = n
            other = existing.get(code)
            if other is not None and parent is not None and other.parent_id != parent.pk:
                row_problems.append(
                    RowProblem(
                        n,
                        "code",
                        _("Mã «%(code)s» đã được dùng cho «%(name)s» thuộc đơn vị khác")
                        % {"code": code, "name": other.name},
                    )
                )
        name = r["name"]
        if not name:
            row_problems.append(RowProblem(n, "name", _("Tên trống")))
        elif len(name) > max_name:
            row_problems.append(RowProblem(n, "name", _("Tên dài quá %(max)d ký tự") % {"max": max_name}))
        if row_problems:
            problems.extend(row_problems)
        else:
            valid.append((r, parent))
    if problems:
        raise FileRejected(problems)

    source = (_("tệp %(name)s") % {"name": path.name})[: AdminUnit._meta.get_field("source").max_length]
    counts = Counts()
    to_create: list[AdminUnit] = []
    to_update: list[tuple[AdminUnit, list[str]]] = []
    for r, parent in valid:
        values = {
            "code": r["code"],
            "name": r["name"],
            "kind": kind_from_name(r["name"], Level.VILLAGE, default=str(Kind.THON)),
            "level": Level.VILLAGE,
            "parent_id": parent.pk,
            "path": parent.path + r["code"] + "/",
            "region": parent.region,
            "source": source,
        }
        unit = existing.get(r["code"])
        if unit is None:
            to_create.append(AdminUnit(**values))
        elif changed := _apply(unit, values, VILLAGE_FIELDS):
            to_update.append((unit, changed))
        else:
            counts.unchanged += 1
    with transaction.atomic(), _wide_batches():
        AdminUnit.objects.bulk_create(to_create)
        _bulk_update(to_update)
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts


# ---------------------------------------------------------------------------------------------
# Unit attributes (mountainous, border, …) that targets depend on


def _flag(raw: str) -> bool | None:
    word = raw.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def attributes_import(*, path: Path | str) -> Counts:
    """Set the attributes of existing units from a file with one column per attribute. All rows or none."""
    records = _records(Path(path), ("code", *ATTRIBUTES))
    units = _units_by_code(r["code"] for _n, r in records if r["code"])

    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    valid: list[tuple[AdminUnit, dict[str, bool]]] = []
    for n, r in records:
        row_problems = []
        code = r["code"]
        if not code:
            row_problems.append(RowProblem(n, "code", _("Mã đơn vị trống")))
        elif code in seen:
            row_problems.append(
                RowProblem(n, "code", _("Mã «%(code)s» trùng với dòng %(row)d") % {"code": code, "row": seen[code]})
            )
        elif code not in units:
            row_problems.append(RowProblem(n, "code", _("Không có đơn vị nào mã «%(code)s»") % {"code": code}))
        if code:
            seen.setdefault(code, n)
        flags = {}
        for name in ATTRIBUTES:
            flag = _flag(r[name])
            if flag is None:
                row_problems.append(
                    RowProblem(
                        n,
                        name,
                        _("Giá trị «%(value)s» không hợp lệ: dùng 1/0 hoặc có/không") % {"value": r[name]},
                    )
                )
            flags[name] = flag
        if row_problems:
            problems.extend(row_problems)
        else:
            valid.append((units[code], flags))
    if problems:
        raise FileRejected(problems)

    counts = Counts()
    to_update = []
    for unit, flags in valid:
        if changed := _apply(unit, flags, ATTRIBUTES):
            to_update.append((unit, changed))
        else:
            counts.unchanged += 1
    with transaction.atomic(), _wide_batches():
        _bulk_update(to_update)
    counts.updated = len(to_update)
    return counts
