"""National-scale benchmark of recompute and the dashboards: `make bench`.

Builds (once) a separate PostgreSQL database, never the demo one, on the official import (63 provinces,
696 districts, 10,051 communes) with two workloads in two periods:

- the realistic catalog (2024): every shipped rule set that applies to communes, districts and provinces,
  with their overrides, region substitutions, prerequisites, derived indicators and conditions; a value for
  every entered indicator of every set that applies to a unit, some communes marked especially difficult or
  mountainous, some recognised NTM; about 1.1 million values;
- the simple set (2023): one 75-indicator set (nâng cao without prerequisite) on every commune-level unit.

Then measures, in one run, in alternating rounds: the full recompute of each period, as the background run
does it, in a child process (wall time, CPU time, peak memory), and its lower bound: plain SQL computing the
same per-unit counts with the targets resolved per unit through joins, checked row by row against the
stored results. Also the incremental recompute of one commune and its ancestors, and the district,
province and national pages as the demo roles would see them (district reviewer, provincial viewer,
administrator): server time and query counts.

Prints a table whose last line is `ratio <x>` and writes docs/benchmarks.md.

    .venv/bin/python bench/run.py [--rebuild] [--database postgres://…/ntm_bench] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ntm_bench"
RULE_SET_FILE = ROOT / "criteria" / "rulesets" / "xa-ntm-nang-cao-2021-2025.yaml"
BENCH_SET = "bench-xa-75"
SIMPLE_PERIOD = "2023"  # the simple set's values
CATALOG_PERIOD = "2024"  # the realistic catalog's values
LAYOUT = "catalog-1"  # what build() writes; another layout in the database is rebuilt
COMMUNES = 10_051
INCREMENTAL_SAMPLES = 120
DASHBOARD_SAMPLES = 20
ROUNDS = 5
SEED = 20240601


def bench_url(cli: str | None, *, child: bool = False) -> str:
    url = cli or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("The benchmark runs on PostgreSQL: give --database postgres://…/ntm_bench")
    demo = "" if child else os.environ.get("DATABASE_URL", "")
    if demo and urlparse(demo).path == urlparse(url).path and urlparse(demo).hostname == urlparse(url).hostname:
        sys.exit(f"Refusing to benchmark in {url}: it is the application's own database (DATABASE_URL).")
    return url


def ensure_database(url: str) -> None:
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = ""  # everything in-process: the bench measures recompute, not a broker
    os.environ.pop("CACHE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ntm_tracker.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # As in production: no query log, cached templates. HTTPS redirects off for the test client.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    import django

    django.setup()


# ---------------------------------------------------------------- data


def bench_rule_set_yaml(tmp: Path) -> Path:
    """The nâng cao set under its own code, applying to every commune-level unit (xã, phường, thị trấn)."""
    import yaml

    doc = yaml.safe_load(RULE_SET_FILE.read_text(encoding="utf-8"))
    doc["code"] = BENCH_SET
    doc["name"] = "Benchmark: " + doc["name"]
    doc.pop("applies_to", None)
    doc.pop("prerequisite", None)
    path = tmp / f"{BENCH_SET}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


VALUE_COLUMNS = (
    "unit_id",
    "indicator_id",
    "period_id",
    "number",
    "boolean",
    "note",
    "status",
    "version",
    "return_reason",
    "updated_at",
    "is_demo",
)


def _copy_values(lines: list[str]) -> None:
    from django.db import connection

    buf = io.StringIO("".join(lines))
    with connection.cursor() as cur:
        cur.copy_expert(f"COPY criteria_indicatorvalue ({', '.join(VALUE_COLUMNS)}) FROM STDIN", buf)


def _value_line(unit_id, indicator_id, period_id, number, boolean, status) -> str:
    number = r"\N" if number is None else str(number)
    boolean = r"\N" if boolean is None else ("t" if boolean else "f")
    return f"{unit_id}\t{indicator_id}\t{period_id}\t{number}\t{boolean}\t\t{status}\t1\t\t2024-01-01 00:00:00+07\tf\n"


def _layout(value: str | None = None) -> str | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
        if value is not None:
            cur.execute(
                "INSERT INTO bench_meta VALUES ('layout', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [value],
            )
        cur.execute("SELECT value FROM bench_meta WHERE key = 'layout'")
        row = cur.fetchone()
    return row[0] if row else None


def _simple_values(rule_set, period, communes: list[int], rng: random.Random) -> int:
    from criteria.models import Indicator

    indicators = list(Indicator.objects.filter(rule_set=rule_set).order_by("position"))
    lines = []
    for unit_id in communes:
        p = rng.uniform(0.80, 1.0)  # each commune its own level of progress, so results vary between units
        for ind in indicators:
            if ind.kind == "bool":
                lines.append(_value_line(unit_id, ind.id, period.id, None, rng.random() < p, "approved"))
            else:
                lines.append(_value_line(unit_id, ind.id, period.id, f"{rng.uniform(70, 100):.1f}", None, "approved"))
    _copy_values(lines)
    return len(lines)


def _catalog_values(period, rng: random.Random, log) -> int:
    """A value for every entered indicator of every set that applies to a unit in the period. A third of the
    communes meet every target (so ladders and derived conditions have something to build on); the others
    each have their own level of progress. Values meet or miss the target that applies to the unit (its
    region, attributes, year), made from the rules by the engine's `value_meeting`; one in ten awaits review."""
    from communes.models import AdminUnit
    from criteria import engine
    from criteria.catalog import Catalog
    from criteria.selectors import unit_contexts
    from criteria.services import UNIT_FIELDS

    catalog = Catalog()
    units = list(AdminUnit.objects.filter(level__lte=3).only(*UNIT_FIELDS).order_by("id"))
    contexts = unit_contexts(units, period)
    compiled: dict[tuple, engine.CompiledRuleSet] = {}
    lines: list[str] = []
    written = 0
    for unit in units:
        complete = rng.random() < 0.33
        p = 1.0 if complete else rng.uniform(0.85, 1.0)
        for entry in catalog.applicable(unit, period):
            if entry.code == BENCH_SET:
                continue
            key = (entry.code, *engine.compile_key(entry.spec, contexts[unit.id]))
            if key not in compiled:
                compiled[key] = engine.compile(entry.spec, contexts[unit.id])
            targets = compiled[key].targets
            for indicator, target in zip(entry.indicators, targets, strict=True):
                if indicator.derived:
                    continue
                value = engine.value_meeting(target, met=rng.random() < p)
                status = "approved" if rng.random() < 0.9 else "submitted"
                if isinstance(value, bool):
                    lines.append(_value_line(unit.id, indicator.id, period.id, None, value, status))
                else:
                    if indicator.kind == "count":
                        value = max(value, 0)
                    lines.append(_value_line(unit.id, indicator.id, period.id, value, None, status))
        if len(lines) > 200_000:
            _copy_values(lines)
            written += len(lines)
            log(f"  {written:,} values")
            lines = []
    _copy_values(lines)
    return written + len(lines)


def _mark_units(rng: random.Random) -> None:
    """Some communes especially difficult (measured with the TDMNPB targets) or mountainous, as in life."""
    from communes.models import AdminUnit, Level

    ids = list(AdminUnit.objects.filter(level=Level.COMMUNE).order_by("id").values_list("id", flat=True))
    AdminUnit.objects.filter(level=Level.COMMUNE).update(especially_difficult=False, mountainous=False)
    AdminUnit.objects.filter(id__in=[i for i in ids if rng.random() < 0.12]).update(especially_difficult=True)
    AdminUnit.objects.filter(id__in=[i for i in ids if rng.random() < 0.25]).update(mountainous=True)


def _recognitions(rng: random.Random) -> int:
    """Four in ten xã recognised NTM in 2022 and one in ten districts huyện NTM: the ladder starts there."""
    import datetime as dt

    from communes.models import AdminUnit, Kind
    from criteria.models import Recognition, RuleSet

    rows = []
    for kind, code, share in ((Kind.XA, "xa-ntm-2021-2025", 0.4), (Kind.HUYEN, "huyen-ntm-2021-2025", 0.1)):
        rule_set = RuleSet.objects.published().filter(code=code).order_by("-version").first()
        if rule_set is None:
            continue
        for unit_id in AdminUnit.objects.filter(kind=kind).order_by("id").values_list("id", flat=True):
            if rng.random() < share:
                rows.append(
                    Recognition(
                        unit_id=unit_id, rule_set=rule_set, decision_number="bench", decision_date=dt.date(2022, 6, 1)
                    )
                )
    Recognition.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def build(rebuild: bool, log) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from communes.models import AdminUnit, Level
    from criteria.models import Indicator, IndicatorValue, Recognition, ReportingPeriod, RuleSet

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if AdminUnit.objects.filter(level=Level.COMMUNE).count() < COMMUNES:
        log("importing the official units")
        call_command("import_units", verbosity=0)
    if not RuleSet.objects.filter(code="xa-ntm-2021-2025").exists():
        log("loading the shipped rule sets")
        call_command("load_rule_sets", verbosity=0)
    if not RuleSet.objects.filter(code=BENCH_SET).exists():
        import tempfile

        log("loading the 75-indicator rule set")
        with tempfile.TemporaryDirectory() as tmp:
            call_command("load_rule_sets", str(bench_rule_set_yaml(Path(tmp))), verbosity=0)
    rule_set = RuleSet.objects.get(code=BENCH_SET)
    simple, catalog_period = (ReportingPeriod.objects.for_code(c) for c in (SIMPLE_PERIOD, CATALOG_PERIOD))
    communes = list(AdminUnit.objects.filter(level=Level.COMMUNE).order_by("id").values_list("id", flat=True))
    if rebuild or _layout() != LAYOUT:
        rng = random.Random(SEED)
        log("writing the values with COPY")
        with connection.cursor() as cur:
            cur.execute("TRUNCATE criteria_attainment, criteria_indicatorvalue CASCADE")
        Recognition.objects.filter(decision_number="bench").delete()
        _mark_units(rng)
        _recognitions(rng)
        _simple_values(rule_set, simple, communes, rng)
        _catalog_values(catalog_period, rng, log)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # statistics of the tables just loaded, or the planner guesses badly
        _layout(LAYOUT)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # fresh statistics, so the planner does not guess on a table just loaded
    from django.db.models import Count

    values = IndicatorValue.objects.values("period__code").annotate(n=Count("id"))
    per_period = {row["period__code"]: row["n"] for row in values}
    sets = (
        IndicatorValue.objects.filter(period=catalog_period)
        .values_list("indicator__rule_set__code", flat=True)
        .distinct()
    )
    return {
        "communes": len(communes),
        "districts": AdminUnit.objects.filter(level=Level.DISTRICT).count(),
        "provinces": AdminUnit.objects.filter(level=Level.PROVINCE).count(),
        "indicators": Indicator.objects.filter(rule_set=rule_set).count(),
        "values": sum(per_period.values()),
        "simple_values": per_period.get(SIMPLE_PERIOD, 0),
        "catalog_values": per_period.get(CATALOG_PERIOD, 0),
        "catalog_sets": sorted(sets),
        "recognitions": Recognition.objects.filter(decision_number="bench").count(),
        "build_seconds": time.perf_counter() - t0,
    }


# ---------------------------------------------------------------- measurements


def high_water_kb() -> int:
    """Peak resident memory of this process image. Not getrusage's ru_maxrss: on Linux that carries over
    the parent's peak through fork and exec, and the parent has just built 1.5 million rows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_full(period_code: str) -> None:
    """Runs in its own process: one full recompute of the period, timed, with the process's peak memory."""
    from django.db import connection

    from criteria.models import ReportingPeriod
    from criteria.services import recompute_run_create, recompute_run_execute

    period = ReportingPeriod.objects.get(code=period_code)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM criteria_attainment WHERE period_id = %s", [period.id])
    base_rss = high_water_kb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    run = recompute_run_create(period=period, trigger="bench")
    recompute_run_execute(run_id=run.id)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    run.refresh_from_db()
    peak = high_water_kb()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak / 1024,
                "base_mb": base_rss / 1024,
                "status": run.status,
                "units": run.units_done,
                "error": run.error,
            }
        )
    )


LOWER_BOUND_SQL = """
INSERT INTO bench_lower_bound
    (unit_id, rule_set_id, period_id, criteria_met, criteria_total, indicators_met, indicators_total, no_data)
SELECT unit_id, rule_set_id, period_id,
       count(*) FILTER (WHERE met = total), count(*), sum(met), sum(total), sum(no_data)
FROM (
    SELECT v.unit_id, v.rule_set_id, v.period_id, v.criterion_id,
           count(*) FILTER (WHERE ok) AS met, count(*) AS total, count(*) FILTER (WHERE ok IS NULL) AS no_data
    FROM (
        SELECT v.unit_id, v.period_id, v.indicator_id,
               CASE i.target->>'op'
                   WHEN 'yes' THEN v.boolean
                   WHEN 'no' THEN NOT v.boolean
                   WHEN '>=' THEN v.number >= (i.target->>'value')::numeric
                   WHEN '<=' THEN v.number <= (i.target->>'value')::numeric
                   WHEN '>' THEN v.number > (i.target->>'value')::numeric
                   WHEN '<' THEN v.number < (i.target->>'value')::numeric
                   WHEN '=' THEN v.number = (i.target->>'value')::numeric
               END AS ok,
               i.rule_set_id, i.criterion_id
        FROM criteria_indicatorvalue v
        JOIN criteria_indicator i ON i.id = v.indicator_id
        WHERE v.period_id = %s AND i.rule_set_id = %s AND i.criterion_id IS NOT NULL
    ) v
    GROUP BY v.unit_id, v.rule_set_id, v.period_id, v.criterion_id
) per_criterion
GROUP BY unit_id, rule_set_id, period_id
"""


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _lower_bound_table() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_lower_bound (unit_id bigint, rule_set_id bigint, period_id bigint, "
            "criteria_met int, criteria_total int, indicators_met int, indicators_total int, no_data int, "
            "UNIQUE (unit_id, rule_set_id, period_id))"
        )
        cur.execute("TRUNCATE bench_lower_bound")


def lower_bound(period, rule_set) -> tuple[float, float, int]:
    """The simple set: one INSERT … SELECT … GROUP BY, targets read from the indicators."""
    from django.db import connection, transaction

    _lower_bound_table()
    cpu0 = backend_cpu()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(LOWER_BOUND_SQL, [period.id, rule_set.id])
        rows = cur.rowcount
    seconds = time.perf_counter() - t0
    return seconds, backend_cpu() - cpu0, rows


# The realistic catalog: the target of each indicator for each unit context (region, attributes) that occurs,
# as rows; the lower bound joins every value to its unit and the unit's context's target, so targets are
# resolved per unit through joins, then counts by GROUP BY as for the simple set.
CATALOG_LOWER_BOUND_SQL = """
INSERT INTO bench_lower_bound
    (unit_id, rule_set_id, period_id, criteria_met, criteria_total, indicators_met, indicators_total, no_data)
SELECT unit_id, rule_set_id, %(period)s,
       count(*) FILTER (WHERE met = total), count(*), sum(met), sum(total), sum(no_data)
FROM (
    SELECT v.unit_id, t.rule_set_id, t.criterion_id,
           count(*) FILTER (WHERE CASE t.op
               WHEN 'yes' THEN v.boolean
               WHEN 'no' THEN NOT v.boolean
               WHEN '>=' THEN v.number >= t.lo
               WHEN '<=' THEN v.number <= t.lo
               WHEN '>' THEN v.number > t.lo
               WHEN '<' THEN v.number < t.lo
               WHEN '=' THEN v.number = t.lo
               WHEN 'between' THEN v.number BETWEEN t.lo AND t.hi
           END) AS met,
           count(*) AS total,
           count(*) FILTER (WHERE v.number IS NULL AND v.boolean IS NULL) AS no_data
    FROM criteria_indicatorvalue v
    JOIN communes_adminunit u ON u.id = v.unit_id
    JOIN bench_target t ON t.indicator_id = v.indicator_id AND t.region = u.region
        AND t.especially_difficult = u.especially_difficult AND t.mountainous = u.mountainous
        AND t.border = u.border AND t.island = u.island AND t.ethnic_minority = u.ethnic_minority
    WHERE v.period_id = %(period)s
    GROUP BY v.unit_id, t.rule_set_id, t.criterion_id
) per_criterion
GROUP BY unit_id, rule_set_id
"""


def catalog_targets(period) -> list[int]:
    """Fill bench_target: the applied target of every criterion indicator of the sets the lower bound covers,
    for every unit context that occurs. Returns those sets' ids: the sets with criteria, none of whose criterion
    indicators is derived (a derived value is not in the values table; such sets are recomputed but not
    compared, and the docs say so)."""
    from django.db import connection

    from communes.models import ATTRIBUTES, AdminUnit
    from criteria import engine
    from criteria.catalog import Catalog

    catalog = Catalog()
    covered = [
        e
        for e in catalog.entries.values()
        if e.spec.criteria and not any(i.derived and i.criterion_id for i in e.indicators) and e.code != BENCH_SET
    ]
    contexts = AdminUnit.objects.order_by().values_list("region", *ATTRIBUTES).distinct()
    rows = []
    for region, *flags in contexts:
        attributes = frozenset(name for name, on in zip(ATTRIBUTES, flags, strict=True) if on)
        context = engine.Context(region=region, attributes=attributes, year=period.year)
        for entry in covered:
            compiled = engine.compile(entry.spec, context)
            for indicator, target in zip(entry.indicators, compiled.targets, strict=True):
                if indicator.criterion_id is None:
                    continue
                value = target.get("value")
                lo, hi = (value if isinstance(value, list) else (value, None)) if value is not None else (None, None)
                rows.append(
                    (indicator.id, entry.rule_set.id, indicator.criterion_id, region, *flags, target["op"], lo, hi)
                )
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_target")
        cur.execute(
            "CREATE TABLE bench_target (indicator_id bigint, rule_set_id bigint, criterion_id bigint, region text, "
            + ", ".join(f"{name} boolean" for name in ATTRIBUTES)
            + ", op text, lo numeric, hi numeric)"
        )
        from psycopg2.extras import execute_values

        execute_values(cur.cursor, "INSERT INTO bench_target VALUES %s", rows, page_size=2000)
        cur.execute(
            "CREATE INDEX ON bench_target (indicator_id, region, especially_difficult, mountainous, border, island, "
            "ethnic_minority)"
        )
        cur.execute("ANALYZE bench_target")
    return [e.rule_set.id for e in covered]


def catalog_lower_bound(period) -> tuple[float, float, int]:
    from django.db import connection, transaction

    _lower_bound_table()
    cpu0 = backend_cpu()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(CATALOG_LOWER_BOUND_SQL, {"period": period.id})
        rows = cur.rowcount
    seconds = time.perf_counter() - t0
    return seconds, backend_cpu() - cpu0, rows


def lower_bound_mismatches(period, rule_set_ids: list[int]) -> int:
    """Rows where the lower bound and recompute disagree: 0, or the comparison would not be fair."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM bench_lower_bound b FULL JOIN "
            "(SELECT * FROM criteria_attainment WHERE period_id = %s AND rule_set_id = ANY(%s)) a "
            "ON a.unit_id = b.unit_id AND a.rule_set_id = b.rule_set_id "
            "WHERE a.id IS NULL OR b.unit_id IS NULL OR a.criteria_met <> b.criteria_met "
            "OR a.indicators_met <> b.indicators_met OR a.indicators_total <> b.indicators_total "
            "OR a.criteria_total <> b.criteria_total",
            [period.id, rule_set_ids],
        )
        return cur.fetchone()[0]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def incremental(period) -> list[float]:
    from communes.models import AdminUnit, Kind
    from criteria.models import IndicatorValue
    from criteria.tasks import recompute_units

    rng = random.Random(SEED + 1)
    ids = list(AdminUnit.objects.filter(kind=Kind.XA).order_by("id").values_list("id", flat=True))
    sample = rng.sample(ids, INCREMENTAL_SAMPLES)
    times = []
    for unit_id in sample:
        # A value changes, then the task recomputes the commune and its ancestors (every set that applies).
        value = IndicatorValue.objects.filter(unit_id=unit_id, period=period, boolean__isnull=False).first()
        IndicatorValue.objects.filter(pk=value.pk).update(boolean=not value.boolean)
        t0 = time.perf_counter()
        recompute_units.run(period.id, [unit_id])
        times.append(time.perf_counter() - t0)
    return times


def _role_user(name: str, role: str, unit):
    from django.contrib.auth import get_user_model

    from communes.models import Membership

    user, _created = get_user_model().objects.get_or_create(username=name)
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


def dashboards() -> dict:
    """Pages as the people who read them: a district reviewer on his district, a provincial viewer on her
    province, an administrator on the national page (the list of provinces) — never a superuser."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from communes.models import AdminUnit, Level, Role

    rng = random.Random(SEED + 2)
    out = {}
    cases = []
    for level, label, role in (
        (Level.DISTRICT, "district", Role.DISTRICT_REVIEWER),
        (Level.PROVINCE, "province", Role.PROVINCIAL_VIEWER),
    ):
        units = list(AdminUnit.objects.filter(level=level).order_by("code"))
        for unit in rng.sample(units, min(DASHBOARD_SAMPLES, len(units))):
            user = _role_user(f"bench-{role}-{unit.code}", role, unit)
            size = AdminUnit.objects.filter(path__startswith=unit.path).count() - 1
            cases.append((label, user, f"/units/{unit.code}/", size))
    admin = _role_user("bench-administrator", Role.ADMINISTRATOR, AdminUnit.objects.order_by("id").first())
    provinces = AdminUnit.objects.filter(level=Level.PROVINCE).count()
    cases.extend(("national", admin, "/", provinces) for _ in range(DASHBOARD_SAMPLES))
    warm = Client()
    warm.force_login(admin)
    warm.get("/")  # templates compiled, translations loaded
    for label, user, url, size in cases:
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} to {user.username}")
        entry = out.setdefault(label, {"times": [], "counts": {}})
        entry["times"].append(seconds)
        entry["counts"][url + user.username] = (len(queries), size)
    return out


def machine() -> dict:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    return {
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help=f"PostgreSQL URL of the benchmark database (default {DEFAULT_URL})")
    parser.add_argument("--rebuild", action="store_true", help="write the values again even when they are there")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--period", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = bench_url(args.database, child=bool(args.child))

    if args.child == "full":
        setup_django(url)
        child_full(args.period)
        return

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    ensure_database(url)
    setup_django(url)
    data = build(args.rebuild, log)
    log(f"data ready: {data['values']:,} values")

    from criteria.models import ReportingPeriod, RuleSet

    catalog_period = ReportingPeriod.objects.get(code=CATALOG_PERIOD)
    simple_period = ReportingPeriod.objects.get(code=SIMPLE_PERIOD)
    rule_set = RuleSet.objects.get(code=BENCH_SET)
    covered = catalog_targets(catalog_period)
    load_start = os.getloadavg()

    def full_run(period_code: str) -> dict:
        child = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter and script
            [sys.executable, __file__, "--child", "full", "--period", period_code, "--database", url],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            raise SystemExit("the full recompute failed")
        full = json.loads(child.stdout.strip().splitlines()[-1])
        if full["status"] != "done":
            raise SystemExit(f"the full recompute ended {full['status']}: {full['error']}")
        return full

    # The machine is shared: each full recompute and its lower bound are measured in alternation, ROUNDS
    # times, and the ratio is the median of the rounds' ratios (each round sees about the same load).
    runs = {"catalog": ([], []), "simple": ([], [])}
    mismatches = {}
    bound_rows = {}
    for round_ in range(1, ROUNDS + 1):
        for name, period in (("catalog", catalog_period), ("simple", simple_period)):
            fulls, bounds = runs[name]
            full = full_run(period.code)
            fulls.append(full)
            if name == "catalog":
                bound = catalog_lower_bound(period)
            else:
                bound = lower_bound(period, rule_set)
            bounds.append(bound)
            bound_rows[name] = bound[2]
            log(
                f"round {round_}/{ROUNDS} {name}: recompute {full['seconds']:.2f} s (cpu {full['cpu']:.2f} s), "
                f"lower bound {bound[0]:.2f} s, peak {full['peak_mb']:.0f} MB"
            )
            if round_ == ROUNDS:
                mismatches[name] = lower_bound_mismatches(period, covered if name == "catalog" else [rule_set.id])

    def ratio_of(name: str) -> tuple[float, float, list[float]]:
        fulls, bounds = runs[name]
        ratios = [f["seconds"] / b[0] for f, b in zip(fulls, bounds, strict=True)]
        return statistics.median(ratios), min(ratios), ratios

    ratio, best_ratio, catalog_ratios = ratio_of("catalog")
    simple_ratio, simple_best, simple_ratios = ratio_of("simple")
    peak_mb = max(f["peak_mb"] for name in runs for f in runs[name][0])

    log(f"incremental recompute of {INCREMENTAL_SAMPLES} communes (realistic catalog)")
    inc = incremental(catalog_period)

    log("dashboards")
    dash = dashboards()
    load_end = os.getloadavg()

    def timing(name: str) -> list[tuple[str, str]]:
        fulls, bounds = runs[name]
        secs = [f["seconds"] for f in fulls]
        cpus = [f["cpu"] for f in fulls]
        bsecs = [b[0] for b in bounds]
        bcpus = [b[1] for b in bounds]
        return [
            (
                f"  full recompute ({ROUNDS} rounds, {fulls[-1]['units']:,} units)",
                f"median {statistics.median(secs):.2f} s, best {min(secs):.2f} s; "
                f"CPU of the process median {statistics.median(cpus):.2f} s",
            ),
            (
                f"  lower bound, plain SQL ({bound_rows[name]:,} rows)",
                f"median {statistics.median(bsecs):.2f} s, best {min(bsecs):.2f} s; "
                f"CPU of the server process median {statistics.median(bcpus):.2f} s",
            ),
            (
                "  ratios of the rounds",
                " ".join(f"{f['seconds'] / b[0]:.2f}" for f, b in zip(fulls, bounds, strict=True)),
            ),
            ("  rows where recompute and lower bound differ", str(mismatches[name])),
        ]

    rows = [
        (
            "units (communes / districts / provinces)",
            f"{data['communes']:,} / {data['districts']} / {data['provinces']}",
        ),
        (
            f"realistic catalog, {CATALOG_PERIOD}",
            f"{len(data['catalog_sets'])} rule sets with values, {data['catalog_values']:,} values, "
            f"{data['recognitions']:,} recognitions",
        ),
        *timing("catalog"),
        (
            f"simple set, {SIMPLE_PERIOD}",
            f"1 set of {data['indicators']} indicators, {data['simple_values']:,} values",
        ),
        *timing("simple"),
        ("peak memory of a full recompute", f"{peak_mb:.0f} MB"),
        (
            f"incremental, one commune + ancestors (n={len(inc)})",
            f"median {statistics.median(inc) * 1000:.1f} ms, p95 {percentile(inc, 0.95) * 1000:.1f} ms",
        ),
    ]
    who = {"district": "district reviewer", "province": "provincial viewer", "national": "administrator"}
    for label in ("district", "province", "national"):
        times = dash[label]["times"]
        counts = dash[label]["counts"]
        query_counts = sorted({q for q, _children in counts.values()})
        sizes = sorted(children for _q, children in counts.values())
        below = f"{sizes[0]}–{sizes[-1]} units below" if label != "national" else f"{sizes[0]} provinces"
        rows.append(
            (
                f"{label} page as {who[label]} (n={len(times)}, {below})",
                f"median {statistics.median(times) * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms, "
                f"queries {'/'.join(map(str, query_counts))}",
            )
        )
    rows.append(
        (
            "load average at start / end (1 / 5 / 15 min)",
            " / ".join(f"{x:.1f}" for x in load_start) + "  →  " + " / ".join(f"{x:.1f}" for x in load_end),
        )
    )
    rows.append(("whole benchmark run", f"{time.perf_counter() - started:.0f} s"))
    width = max(len(label) for label, _v in rows)
    table = "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)
    print(table)
    info = machine()
    if not args.no_write:
        p95 = {label: percentile(dash[label]["times"], 0.95) * 1000 for label in dash}
        query_counts = {label: sorted({q for q, _c in dash[label]["counts"].values()}) for label in dash}
        inc_p95 = percentile(inc, 0.95) * 1000
        halves = {}
        for label in dash:
            by_size = sorted(dash[label]["counts"].values(), key=lambda qc: qc[1])
            middle = len(by_size) // 2
            halves[label] = (max(q for q, _c in by_size[:middle] or by_size), max(q for q, _c in by_size[middle:]))
        goals = [
            (
                "full recompute of the realistic catalog ≤ 2× its SQL lower bound (median of rounds)",
                f"{ratio:.2f} (best round {best_ratio:.2f})",
                ratio <= 2,
            ),
            (
                "full recompute of the simple set ≤ 1.5× its SQL lower bound (median of rounds)",
                f"{simple_ratio:.2f} (best round {simple_best:.2f})",
                simple_ratio <= 1.5,
            ),
            (
                "rows where recompute and lower bound differ = 0",
                f"{mismatches['catalog']}, {mismatches['simple']}",
                not any(mismatches.values()),
            ),
            ("incremental, realistic catalog: p95 ≤ 30 ms", f"{inc_p95:.1f} ms", inc_p95 <= 30),
            *(
                (f"{label} page as {who[label]}: p95 ≤ 150 ms", f"{p95[label]:.0f} ms", p95[label] <= 150)
                for label in ("district", "province", "national")
            ),
            (
                "page queries independent of the number of units (the larger half of the sample needs no more "
                "queries than the smaller half)",
                ", ".join(
                    f"{label} {'/'.join(map(str, query_counts[label]))} (smaller half ≤ {halves[label][0]}, "
                    f"larger half ≤ {halves[label][1]})"
                    for label in query_counts
                ),
                all(small >= large for small, large in halves.values()),
            ),
            ("peak memory of a full national recompute < 300 MB", f"{peak_mb:.0f} MB", peak_mb < 300),
        ]
        write_doc(table, info, ratio, goals)
    print(f"ratio {ratio:.2f}")


def write_doc(table, info, ratio, goals) -> None:
    from datetime import date

    template = (ROOT / "bench" / "benchmarks.md.in").read_text(encoding="utf-8")
    latest = ROOT / "bench" / "loadtest-latest.md"
    text = template.format(
        loadtest=latest.read_text(encoding="utf-8").strip() if latest.exists() else "Not run yet: `make loadtest`.",
        date=date.today().isoformat(),
        table=table,
        ratio=f"{ratio:.2f}",
        cpu=info["cpu"],
        cores=info["cores"],
        memory=info["memory"],
        os=info["os"],
        python=info["python"],
        postgresql=info["postgresql"],
        load=info["load"],
        goals="\n".join(f"| {goal} | {value} | {'met' if met else '**missed**'} |" for goal, value, met in goals),
    )
    (ROOT / "docs" / "benchmarks.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
