"""Recomputing attainment: set-based, bottom-up, chunked, locked per unit, written in bulk.

Values of many units are loaded in one query per chunk, evaluated in memory, and written with one bulk
upsert (COPY into a temporary table on PostgreSQL). Villages come first, then communes, districts and the
province, because derived indicators read the stored results of the level below.

Two recomputes never work on the same unit and period at once: each chunk takes a PostgreSQL advisory lock
per (period, unit) before it reads anything, in ascending unit order, and keeps it until it commits. So
whichever recompute commits last has read the latest committed values.

A full recompute (`units=None`) commits chunk by chunk; with a `RecomputeRun` it records its progress and a
cursor in that row in the same transaction as each chunk, so a worker killed in the middle loses at most
the chunk it was writing and the retried task carries on from the cursor. Everything it writes is a pure
function of the values, so a retried run ends with the rows a clean run would have written.
"""

from __future__ import annotations

import io
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from communes.models import ATTRIBUTES, AdminUnit

from . import engine
from .catalog import LEVEL_NAMES, Catalog, RuleSetEntry
from .models import (
    Attainment,
    Indicator,
    IndicatorValue,
    Recognition,
    RecomputeRun,
    ReportingPeriod,
    RuleSet,
    ValueKind,
    ValueStatus,
)
from .selectors import unit_contexts
from .tiers import PERIOD_ORDER, recognised_on_filter, valid_on_filter

ATTAINMENT_FIELDS = [
    "criteria_met",
    "criteria_total",
    "indicators_met",
    "indicators_total",
    "conditions_met",
    "conditions_total",
    "no_data",
    "prerequisite_met",
    "attained",
    "criteria_status",
    "indicator_status",
    "missing",
    "criteria_met_approved",
    "indicators_met_approved",
    "computed_at",
]
ROW_COLUMNS = ["unit_id", "rule_set_id", "period_id", *ATTAINMENT_FIELDS]
CHUNK = 2000
# Units per committed chunk of a full recompute: each holds one advisory lock per unit until it commits,
# and PostgreSQL's lock table holds max_locks_per_transaction × max_connections (6,400 by default).
RUN_CHUNK = 1000
# Below this many rows an INSERT … VALUES is cheaper than creating a temporary table for COPY.
COPY_FROM = 200
# Advisory-lock namespace of recompute: key = namespace · 2^48 + period · 2^32 + unit.
LOCK_NAMESPACE = 0x4E54  # "NT"


@dataclass
class RecomputeStats:
    period: str
    units: int = 0
    rows_written: int = 0
    rows_deleted: int = 0
    attained: int = 0
    per_level: dict[int, int] = field(default_factory=dict)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# What evaluating a unit reads of it (rule-set scope, region, attributes); the rest is not loaded.
UNIT_FIELDS = ("id", "code", "path", "level", "kind", "parent_id", "region", *ATTRIBUTES)


def _target_units(
    period: ReportingPeriod, units: Iterable[AdminUnit] | None, within: AdminUnit | None = None
) -> list[AdminUnit]:
    """The units to recompute: the given ones (or all with values in the period) and all their ancestors."""
    if units is None:
        with_values = IndicatorValue.objects.filter(period=period)
        if within is not None:
            with_values = with_values.filter(unit__path__startswith=within.path)
        base = list(AdminUnit.objects.filter(id__in=with_values.values("unit_id")).only(*UNIT_FIELDS))
        found = {u.path: u for u in base}
    else:
        base = list(units)
        found = {}
    paths = {u.path for u in base}
    for unit in base:
        paths.update(unit.ancestor_paths())
    missing = sorted(paths - set(found))
    for chunk in _chunks(missing):
        found.update((u.path, u) for u in AdminUnit.objects.filter(path__in=chunk).only(*UNIT_FIELDS))
    return list(found.values())


# ---------------------------------------------------------------------------------------------- catalog

_catalog_cache: dict[str, tuple[tuple, Catalog]] = {}


def _current_catalog() -> Catalog:
    """The catalog, reused between tasks of one worker while the published sets stay the same.

    A published set never changes (a change is a new version, a new row with its file's checksum), so the
    ids and checksums of the published sets (one small query) tell whether the cached catalog still holds.
    Sets without a checksum (made by hand, not loaded from a file) are never cached.
    """
    fingerprint = tuple(RuleSet.objects.published().order_by("id").values_list("id", "checksum"))
    if not fingerprint or any(not checksum for _id, checksum in fingerprint):
        return Catalog()
    cached = _catalog_cache.get(connection.alias)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    catalog = Catalog()
    _catalog_cache[connection.alias] = (fingerprint, catalog)
    return catalog


# ---------------------------------------------------------------------------------------------- locking


def _lock_key(period_id: int, unit_id: int) -> int:
    return (LOCK_NAMESPACE << 48) + (period_id << 32) + unit_id


def _lock_units(period_id: int, unit_ids: Iterable[int]) -> None:
    """Hold (period, unit) until the transaction ends; in ascending order so two recomputes never deadlock.

    Only PostgreSQL needs it: SQLite lets one writer at a time into the whole database anyway.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(period_id, u) for u in unit_ids})
    if not keys:
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT k FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered",
            [keys],
        )


# ---------------------------------------------------------------------------------------------- reading


def _held_by_recognition(unit_ids: list[int], period: ReportingPeriod) -> dict[int, set[str]]:
    held: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(unit_ids):
        rows = Recognition.objects.filter(recognised_on_filter(period.end), unit_id__in=chunk)
        for unit_id, code in rows.values_list("unit_id", "rule_set__code"):
            held[unit_id].add(code)
    return held


def _values_by_unit(
    unit_ids: list[int], period: ReportingPeriod, catalog: Catalog
) -> dict[int, dict[int, tuple[dict, frozenset]]]:
    """unit id → rule set id → ({indicator code: engine value}, codes whose value is not approved yet);
    one query per chunk of units.

    On PostgreSQL the database builds each unit's {code: value} as one JSON text per unit and rule set, so
    Python parses ten thousand small documents instead of building a dict entry for each of 750,000 rows.
    """
    out: dict[int, dict[int, tuple[dict, frozenset]]] = {}
    rule_set_ids = set(catalog.by_id)  # values of older versions of a set are not evaluated against the current one
    approved = ValueStatus.APPROVED.value
    if connection.vendor == "postgresql":
        values, indicators = IndicatorValue._meta.db_table, Indicator._meta.db_table
        for chunk in _chunks(unit_ids):
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT v.unit_id, i.rule_set_id, json_object_agg(i.code, CASE WHEN i.kind = %s "  # noqa: S608
                    "THEN to_json(v.boolean) ELSE to_json(v.number) END)::text, "
                    "array_agg(i.code) FILTER (WHERE v.status <> %s) "
                    f"FROM {values} v JOIN {indicators} i ON i.id = v.indicator_id "
                    "WHERE v.period_id = %s AND v.unit_id = ANY(%s) GROUP BY v.unit_id, i.rule_set_id",
                    [ValueKind.BOOL.value, approved, period.id, chunk],
                )
                for unit_id, rule_set_id, document, unapproved in cur.fetchall():
                    if rule_set_id in rule_set_ids:
                        # numbers as Decimal, exactly as the ORM reads the numeric column
                        out.setdefault(unit_id, {})[rule_set_id] = (
                            json.loads(document, parse_float=Decimal),
                            frozenset(unapproved) if unapproved else frozenset(),
                        )
        return out
    pending: dict[tuple[int, int], set[str]] = defaultdict(set)
    for chunk in _chunks(unit_ids):
        rows = IndicatorValue.objects.filter(period=period, unit_id__in=chunk).values_list(
            "unit_id", "indicator_id", "number", "boolean", "status"
        )
        for unit_id, indicator_id, number, boolean, status in rows:
            indicator = catalog.indicator_by_id.get(indicator_id)
            if indicator is None:
                continue
            own = out.setdefault(unit_id, {}).setdefault(indicator.rule_set_id, ({}, frozenset()))[0]
            own[indicator.code] = catalog.engine_value(indicator, number, boolean)
            if status != approved:
                pending[(unit_id, indicator.rule_set_id)].add(indicator.code)
    for (unit_id, rule_set_id), codes in pending.items():
        out[unit_id][rule_set_id] = (out[unit_id][rule_set_id][0], frozenset(codes))
    return out


def _children_summaries(
    units: list[AdminUnit], entries: set[str], period: ReportingPeriod, catalog: Catalog
) -> dict[int, dict[tuple, engine.ChildSummary]]:
    """For each unit, how many of its descendants at a level attain each child rule set its sets derive from."""
    wanted: dict[tuple, dict] = {}
    for code in entries:
        for spec in catalog.entries[code].child_specs:
            wanted[engine.children_key(spec["rule_set"], spec["level"], spec.get("kinds"))] = spec
    out: dict[int, dict[tuple, engine.ChildSummary]] = defaultdict(dict)
    if not wanted or not units:
        return out
    level = units[0].level
    unit_ids = [u.id for u in units]
    for key, spec in wanted.items():
        child_level = LEVEL_NAMES[spec["level"]]
        depth = child_level - level
        child_entry = catalog.get(spec["rule_set"])
        if depth <= 0 or child_entry is None:
            continue
        link = "__".join(["parent"] * depth)
        eligible = AdminUnit.objects.filter(valid_on_filter(period.end), level=child_level, **{f"{link}__in": unit_ids})
        if spec.get("kinds"):
            eligible = eligible.filter(kind__in=spec["kinds"])
        # One query per derived spec: each eligible child, whether this period's result says it attains the
        # set and whether it has been formally recognised (either way it meets it), counted per ancestor.
        result = Attainment.objects.filter(unit=OuterRef("pk"), period=period, rule_set_id=child_entry.rule_set.id)
        recognised = Recognition.objects.filter(
            recognised_on_filter(period.end), unit=OuterRef("pk"), rule_set__code=spec["rule_set"]
        )
        rows = (
            eligible.annotate(result=Subquery(result.values("attained")[:1]), recognised=Exists(recognised))
            .order_by()
            .values(link)
            .annotate(
                total=Count("id"),
                met=Count("id", filter=Q(recognised=True) | Q(result=True)),
                reported=Count("id", filter=Q(recognised=True) | Q(result__isnull=False)),
            )
            .values_list(link, "total", "met", "reported")
        )
        for ancestor_id, total, met, reported in rows:
            if reported:  # no child result at all: no data rather than 0%
                out[ancestor_id][key] = engine.ChildSummary(attained=met, total=total)
    return out


# ---------------------------------------------------------------------------------------------- evaluating


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# A row as written: the ROW_COLUMNS values, JSON fields already serialised, computed_at last.
Row = tuple
ATTAINED = ROW_COLUMNS.index("attained")


def _row_fragments(compiled: engine.CompiledRuleSet) -> tuple[list, list]:
    """The JSON text of every (indicator, status) and (criterion, status) pair of a compiled set, made once.

    An indicator's stored item is its status, the applied target only when an override chose it (storing the
    indicator's own target for every indicator of every unit would make the row several times larger than its
    counts) and, for a derived indicator, its value (then the item is made per unit)."""
    fragments = compiled.memo.get("row")
    if fragments is None:
        derived = {n for n, _code, _spec in compiled.derived}
        indicators = []
        for n, (code, target) in enumerate(zip(compiled.codes, compiled.targets, strict=True)):
            key = _dumps(code)
            applied = ',"target":' + _dumps({k: _jsonable(v) for k, v in target.items()}) if "when" in target else ""
            if n in derived:
                indicators.append((key, applied))
            else:
                indicators.append({s: f'{key}:{{"status":"{s}"{applied}}}' for s in engine.STATUSES})
        criteria = [{s: f"{_dumps(code)}:{_dumps(s)}" for s in engine.STATUSES} for code, _m in compiled.criteria]
        fragments = compiled.memo["row"] = (indicators, criteria)
    return fragments


def _attainment_row(unit_id: int, rule_set_id: int, period_id: int, result: engine.Result, now, children=None) -> Row:
    """The stored form of an engine result: the one place a Result becomes an Attainment row.

    A condition computed from the children also stores the count behind its share ("have" of "total"), so
    pages print "3/14 xã (21,43%)" from the stored row, never by recounting the children themselves."""
    indicators, criteria = _row_fragments(result.compiled)
    indicator_parts = []
    specs = {code: spec for _n, code, spec in result.compiled.derived}
    for fragment, status, code in zip(indicators, result.statuses, result.compiled.codes, strict=True):
        if fragment.__class__ is dict:
            indicator_parts.append(fragment[status])
        else:  # derived: the value is the unit's own
            key, applied = fragment
            value = _dumps(_jsonable(result.values.get(code)))
            counts = ""
            spec = specs.get(code) or {}
            if spec.get("from") == "children" and children:
                summary = children.get(engine.children_key(spec["rule_set"], spec["level"], spec.get("kinds")))
                if summary is not None:
                    counts = f',"have":{summary.attained},"total":{summary.total}'
            indicator_parts.append(f'{key}:{{"status":"{status}"{applied},"value":{value}{counts}}}')
    return (
        unit_id,
        rule_set_id,
        period_id,
        result.criteria_met,
        result.criteria_total,
        result.indicators_met,
        result.indicators_total,
        result.conditions_met,
        result.conditions_total,
        result.no_data,
        result.prerequisite_met,
        result.attained,
        "{" + ",".join([c[s] for c, s in zip(criteria, result.criteria_statuses, strict=True)]) + "}",
        "{" + ",".join(indicator_parts) + "}",
        _dumps(result.missing),
        result.criteria_met_approved,
        result.indicators_met_approved,
        now,
    )


class _Evaluator:
    """Evaluates units against their applicable sets; each set is compiled once per unit context."""

    def __init__(self, catalog: Catalog, period: ReportingPeriod):
        self.catalog = catalog
        self.period = period
        # Shared by every recompute that uses the same catalog: a worker reuses its catalog while the published
        # sets stay the same, and with it the targets already resolved for each unit context.
        self.compiled = catalog.compiled
        # Values and recognitions of every unit to evaluate, when read up front (neither changes as the
        # levels are written, unlike the children's results).
        self.preloaded: tuple[dict, dict] | None = None

    def preload(self, unit_ids: list[int]) -> None:
        self.preloaded = (
            _values_by_unit(unit_ids, self.period, self.catalog),
            _held_by_recognition(unit_ids, self.period),
        )

    def compiled_for(self, entry: RuleSetEntry, context: engine.Context) -> engine.CompiledRuleSet:
        key = (entry.rule_set.id, *engine.compile_key(entry.spec, context))
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self.compiled[key] = engine.compile(entry.spec, context)
        return compiled


def _evaluate_level(
    units: list[AdminUnit], period: ReportingPeriod, catalog: Catalog, evaluator: _Evaluator | None = None
) -> tuple[list[Row], set[tuple[int, int]]]:
    evaluator = evaluator or _Evaluator(catalog, period)
    unit_ids = [u.id for u in units]
    if evaluator.preloaded is not None:
        values, held_recognised = evaluator.preloaded
    else:
        values = _values_by_unit(unit_ids, period, catalog)
        held_recognised = _held_by_recognition(unit_ids, period)
    applicable = {u.id: catalog.applicable(u, period) for u in units}
    derived_sets = {e.code for entries in applicable.values() for e in entries if e.child_specs}
    children = _children_summaries(units, derived_sets, period, catalog)
    contexts = unit_contexts(units, period)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows: list[Row] = []
    computed: set[tuple[int, int]] = set()
    nothing = ({}, frozenset())
    for unit in units:
        held = set(held_recognised.get(unit.id, ()))
        unit_values = values.get(unit.id, {})
        unit_children = children.get(unit.id, {})
        context = contexts[unit.id]
        for entry in applicable[unit.id]:
            own, unapproved = unit_values.get(entry.rule_set.id, nothing)
            # Nothing reported for this set: no row rather than a row of "no data". A set of criteria needs
            # the unit's own values; a set made only of conditions on the children needs their results.
            if not own and (
                entry.spec.criteria
                or not any(
                    engine.children_key(s["rule_set"], s["level"], s.get("kinds")) in unit_children
                    for s in entry.child_specs
                )
            ):
                continue
            result = evaluator.compiled_for(entry, context).evaluate(own, unit_children, held, unapproved)
            row = _attainment_row(unit.id, entry.rule_set.id, period.id, result, now, unit_children)
            if result.attained:  # the next rung of the ladder may build on it
                held.add(entry.code)
            rows.append(row)
            computed.add((unit.id, entry.rule_set.id))
    return rows, computed


# ---------------------------------------------------------------------------------------------- writing


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _write_rows_postgresql(rows: list[Row], unit_ids: list[int], period_id: int) -> int:
    """Upsert the rows and delete the other rows of these units in the period; returns how many were deleted.

    Table and column names in the SQL come from the models, never from input; values go as parameters.
    """
    table = Attainment._meta.db_table
    columns = ", ".join(ROW_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ATTAINMENT_FIELDS)
    conflict = "ON CONFLICT (unit_id, rule_set_id, period_id) DO UPDATE SET " + updates
    with connection.cursor() as cur:
        if len(rows) >= COPY_FROM:
            cur.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS recompute_rows ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            buf = io.StringIO()
            buf.writelines("\t".join([_copy_text(v) for v in row]) + "\n" for row in rows)
            buf.seek(0)
            cur.cursor.copy_expert(f"COPY recompute_rows ({columns}) FROM STDIN", buf)
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM recompute_rows {conflict}")  # noqa: S608
            cur.execute(
                f"DELETE FROM {table} a WHERE a.period_id = %s AND a.unit_id = ANY(%s) AND NOT EXISTS "  # noqa: S608
                "(SELECT 1 FROM recompute_rows r WHERE r.unit_id = a.unit_id AND r.rule_set_id = a.rule_set_id)",
                [period_id, unit_ids],
            )
            deleted = cur.rowcount
            cur.execute("TRUNCATE recompute_rows")
            return deleted
        if rows:
            from psycopg2.extras import execute_values

            sql = f"INSERT INTO {table} ({columns}) VALUES %s {conflict}"  # noqa: S608
            execute_values(cur.cursor, sql, rows, page_size=500)
        cur.execute(
            f"DELETE FROM {table} a WHERE a.period_id = %s AND a.unit_id = ANY(%s) AND NOT EXISTS "  # noqa: S608
            "(SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS k(u, r) "
            "WHERE k.u = a.unit_id AND k.r = a.rule_set_id)",
            [period_id, unit_ids, [r[0] for r in rows], [r[1] for r in rows]],
        )
        return cur.rowcount


def _write_rows_generic(rows: list[Row], unit_ids: list[int], period_id: int) -> int:
    table = Attainment._meta.db_table
    columns = ", ".join(ROW_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in ATTAINMENT_FIELDS)
    marks = ", ".join(["%s"] * len(ROW_COLUMNS))
    with connection.cursor() as cur:
        if rows:
            cur.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608
                f"ON CONFLICT (unit_id, rule_set_id, period_id) DO UPDATE SET {updates}",
                rows,
            )
    computed = {(r[0], r[1]) for r in rows}
    stale: list[int] = []
    for chunk in _chunks(unit_ids):
        existing = Attainment.objects.filter(period_id=period_id, unit_id__in=chunk).values_list(
            "id", "unit_id", "rule_set_id"
        )
        stale.extend(pk for pk, unit_id, rs_id in existing if (unit_id, rs_id) not in computed)
    if stale:
        Attainment.objects.filter(id__in=stale).delete()
    return len(stale)


def _write_level(units: list[AdminUnit], period, rows: list[Row]) -> int:
    unit_ids = [u.id for u in units]
    if connection.vendor == "postgresql":
        return _write_rows_postgresql(rows, unit_ids, period.id)
    return _write_rows_generic(rows, unit_ids, period.id)


def _recompute_units(
    units: list[AdminUnit], period: ReportingPeriod, catalog: Catalog, evaluator: _Evaluator, stats: RecomputeStats
) -> None:
    """Evaluate and write units of one level (inside the caller's transaction, locks already held)."""
    rows, _computed = _evaluate_level(units, period, catalog, evaluator)
    stats.rows_deleted += _write_level(units, period, rows)
    stats.rows_written += len(rows)
    stats.attained += sum(1 for r in rows if r[ATTAINED])
    stats.per_level[units[0].level] = stats.per_level.get(units[0].level, 0) + len(rows)


# ---------------------------------------------------------------------------------------------- services


def _by_level(units: list[AdminUnit]) -> list[tuple[int, list[AdminUnit]]]:
    """Villages first, the province last; by id within a level (the order locks are taken in)."""
    grouped: dict[int, list[AdminUnit]] = defaultdict(list)
    for unit in units:
        grouped[unit.level].append(unit)
    return [(level, sorted(grouped[level], key=lambda u: u.id)) for level in sorted(grouped, reverse=True)]


def attainment_recompute(
    *,
    period: ReportingPeriod,
    units: Iterable[AdminUnit] | None = None,
    catalog: Catalog | None = None,
    run: RecomputeRun | None = None,
    within: AdminUnit | None = None,
    progress: Callable[[RecomputeRun], None] | None = None,
    targets: list[AdminUnit] | None = None,
) -> RecomputeStats:
    """Recompute the given units and their ancestors (or every unit with values) for one period, bottom-up.

    With `units`, everything happens in one transaction that first locks every unit it will write. Without,
    the period is recomputed in committed chunks (of `within`'s subtree when given); a `run` then records
    each chunk's progress and cursor with it and resumes after the cursor.
    """
    catalog = catalog or _current_catalog()
    if targets is None:  # a run that has just counted its units hands them over instead
        targets = _target_units(period, units, within)
    stats = RecomputeStats(period=period.code, units=len(targets))
    evaluator = _Evaluator(catalog, period)
    if units is not None:
        with transaction.atomic():
            _lock_units(period.id, [u.id for u in targets])
            evaluator.preload([u.id for u in targets])  # one query each for the unit and all its ancestors
            for _level, level_units in _by_level(targets):
                _recompute_units(level_units, period, catalog, evaluator, stats)
    else:
        chunks = [
            (level, chunk) for level, level_units in _by_level(targets) for chunk in _chunks(level_units, RUN_CHUNK)
        ]
        with _ReadAhead(period, catalog) as reader:
            reader.ask(0, [u.id for u in chunks[0][1]] if chunks else [])
            for index, (level, chunk) in enumerate(chunks):
                try:
                    held_inputs = reader.take(index)
                    reader.ask(index + 1, [u.id for u in chunks[index + 1][1]] if index + 1 < len(chunks) else [])
                    with transaction.atomic():
                        if run is not None:
                            current = RecomputeRun.objects.select_for_update().get(pk=run.pk)
                            if current.status != RecomputeRun.Status.RUNNING or _done(current, period, level, chunk):
                                continue  # another worker on the same run did this chunk
                        if held_inputs is None:  # no reader: lock and read here
                            _lock_units(period.id, [u.id for u in chunk])
                        evaluator.preloaded = held_inputs
                        _recompute_units(chunk, period, catalog, evaluator, stats)
                        if run is not None:
                            current.cursor = {"period": period.id, "level": level, "unit": chunk[-1].id}
                            current.units_done += len(chunk)
                            current.save(update_fields=["cursor", "units_done", "updated_at"])
                            run.cursor, run.units_done = current.cursor, current.units_done
                finally:
                    reader.release(index)  # the chunk is committed (or skipped): its reader lets go
                if run is not None and progress is not None:
                    progress(run)
        evaluator.preloaded = None
    return stats


class _ReadAhead:
    """Reads the next chunk while this one is evaluated and written, so PostgreSQL and Python work at the same
    time (a full run is otherwise one waiting for the other).

    Two reader threads, each on its own connection, take turns. A reader locks its chunk (the same advisory
    locks as everywhere, in its own transaction), reads the chunk's values and recognitions, hands them over
    and keeps the locks until the main connection has committed the chunk's results. The inputs are thus
    read under the lock as before: a value saved meanwhile is recomputed by its own task after the chunk.

    Only for PostgreSQL outside a transaction (a full run); elsewhere the chunk locks and reads by itself."""

    def __init__(self, period: ReportingPeriod, catalog: Catalog):
        self.period, self.catalog = period, catalog
        self.enabled = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.pools: list[ThreadPoolExecutor] = []
        self.slots: dict[int, tuple[Future, threading.Event, Future]] = {}

    def __enter__(self):
        if self.enabled:
            self.pools = [ThreadPoolExecutor(max_workers=1, thread_name_prefix="recompute-read") for _ in range(2)]
        return self

    def __exit__(self, *exc):
        for index in list(self.slots):
            self.release(index)
        for pool in self.pools:
            # a lambda, so that `connection` is looked up in the pool's thread: its own connection
            pool.submit(lambda: connection.close()).result()
            pool.shutdown()
        return False

    def _hold(self, unit_ids: list[int], ready: Future, release: threading.Event) -> None:
        try:
            with transaction.atomic():
                _lock_units(self.period.id, unit_ids)
                ready.set_result(
                    (_values_by_unit(unit_ids, self.period, self.catalog), _held_by_recognition(unit_ids, self.period))
                )
                release.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    def ask(self, index: int, unit_ids: list[int]) -> None:
        if not self.pools or not unit_ids:
            return
        ready, release = Future(), threading.Event()
        done = self.pools[index % 2].submit(self._hold, unit_ids, ready, release)
        self.slots[index] = (ready, release, done)

    def take(self, index: int):
        """The chunk's inputs, read under its locks, or None (the chunk then locks and reads by itself)."""
        slot = self.slots.get(index)
        return slot[0].result() if slot is not None else None

    def release(self, index: int) -> None:
        slot = self.slots.pop(index, None)
        if slot is not None:
            slot[1].set()
            slot[2].result()  # the reader's transaction has ended, its locks with it


def _period_order(period: ReportingPeriod) -> tuple:
    return (period.end, period.start, period.id)


def _done(run: RecomputeRun, period: ReportingPeriod, level: int, chunk: list[AdminUnit]) -> bool:
    """Is the chunk at or before the run's cursor (periods in order, levels bottom-up, ids ascending)?"""
    cursor = run.cursor or {}
    if not cursor:
        return False
    if cursor["period"] != period.id:
        done_period = ReportingPeriod.objects.filter(pk=cursor["period"]).first()
        return done_period is not None and _period_order(done_period) > _period_order(period)
    if cursor["level"] != level:
        return cursor["level"] < level  # levels run from villages (4) up to the province (1)
    return chunk[-1].id <= cursor["unit"]


def _run_periods(run: RecomputeRun) -> list[ReportingPeriod]:
    if run.period_id:
        return [run.period]
    periods = ReportingPeriod.objects.filter(values__isnull=False).distinct()
    return sorted(periods, key=_period_order)


def _run_plan(run: RecomputeRun, periods: list[ReportingPeriod]) -> tuple[int, list[AdminUnit] | None]:
    """How many units the run recomputes, and the first period's units (so they are not looked up twice;
    the others are looked up again when their turn comes, to keep memory to one period's units)."""
    total, first = 0, None
    for index, period in enumerate(periods):
        targets = _target_units(period, None, run.unit)
        total += len(targets)
        if index == 0:
            first = targets
    return total, first


def recompute_run_create(
    *,
    period: ReportingPeriod | None = None,
    unit: AdminUnit | None = None,
    user=None,
    trigger: str = "manual",
) -> RecomputeRun:
    """A queued full recompute of a period (or of every period with values), of `unit`'s subtree or everything."""
    return RecomputeRun.objects.create(period=period, unit=unit, requested_by=user, trigger=trigger)


def recompute_run_active(*, period: ReportingPeriod | None, unit: AdminUnit | None) -> RecomputeRun | None:
    """A run of the same scope still queued or running: starting another would only repeat its work."""
    return (
        RecomputeRun.objects.filter(
            period=period, unit=unit, status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING]
        )
        .order_by("created_at")
        .first()
    )


def recompute_run_execute(
    *, run_id: int, catalog: Catalog | None = None, progress: Callable[[RecomputeRun], None] | None = None
) -> RecomputeRun:
    """Carry out a run, chunk by chunk, from its cursor. Safe to call again after a crash, or concurrently."""
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update(of=("self",)).select_related("period", "unit").get(pk=run_id)
        if run.status in (RecomputeRun.Status.DONE, RecomputeRun.Status.FAILED):
            return run
        periods = _run_periods(run)
        first_targets = None
        if run.status == RecomputeRun.Status.QUEUED:
            run.status = RecomputeRun.Status.RUNNING
            run.started_at = timezone.now()
            run.units_total, first_targets = _run_plan(run, periods)
            run.units_done = 0
            run.cursor = {}
            run.error = ""
            run.save()
    if progress is not None:
        progress(run)
    catalog = catalog or Catalog()
    for index, period in enumerate(periods):
        attainment_recompute(
            period=period,
            catalog=catalog,
            run=run,
            within=run.unit,
            progress=progress,
            targets=first_targets if index == 0 else None,
        )
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().get(pk=run_id)
        if run.status == RecomputeRun.Status.RUNNING:
            run.status = RecomputeRun.Status.DONE
            run.finished_at = timezone.now()
            # Units that gained values while the run went on were recomputed by their own task.
            run.units_total = max(run.units_total, run.units_done)
            run.units_done = run.units_total
            run.save()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cur:  # fresh statistics after a bulk rewrite, so the planner picks indexes
            # only the columns plans depend on: sampling the JSON columns costs more than the rest together
            cur.execute(f"ANALYZE {Attainment._meta.db_table} (unit_id, rule_set_id, period_id, attained)")
    if progress is not None:
        progress(run)
    return run


def recompute_run_fail(*, run_id: int, error: str) -> None:
    """Mark a run failed with the error its page shows; what it committed so far stays (it is all correct)."""
    RecomputeRun.objects.filter(pk=run_id).exclude(status=RecomputeRun.Status.DONE).update(
        status=RecomputeRun.Status.FAILED, finished_at=timezone.now(), error=error[:4000]
    )


def attainment_recompute_all(*, catalog: Catalog | None = None) -> list[RecomputeStats]:
    catalog = catalog or Catalog()
    periods = ReportingPeriod.objects.filter(values__isnull=False).distinct().order_by(*PERIOD_ORDER)
    return [attainment_recompute(period=p, catalog=catalog) for p in periods]
