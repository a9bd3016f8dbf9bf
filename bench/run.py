"""National-scale benchmark of recompute and the dashboards: `make bench`.

Builds (once) a separate PostgreSQL database, never the demo one: every commune-level unit of the official
import under its real districts and provinces, one 75-indicator rule set applying to each of them, and
values for two periods (~1.5 million rows, loaded with COPY). Then measures, in one run:

- the full recompute of a period, as the background run does it, and a lower bound measured on the same
  values: one INSERT … SELECT … GROUP BY computing the same per-unit counts;
- the incremental recompute of one commune and its ancestors, as the task runs it, over ≥100 communes;
- the district and province dashboards (Django test client, logged in): server time and query counts;
- the peak memory of the full recompute (it runs in a child process so nothing else counts).

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
PERIODS = ("2023", "2024")
MEASURED_PERIOD = "2024"
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


def build(rebuild: bool, log) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from communes.models import AdminUnit, Level
    from criteria.models import Indicator, IndicatorValue, ReportingPeriod, RuleSet

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if AdminUnit.objects.filter(level=Level.COMMUNE).count() < COMMUNES:
        log("importing the official units")
        call_command("import_units", verbosity=0)
    if not RuleSet.objects.filter(code=BENCH_SET).exists():
        import tempfile

        log("loading the 75-indicator rule set")
        with tempfile.TemporaryDirectory() as tmp:
            call_command("load_rule_sets", str(bench_rule_set_yaml(Path(tmp))), verbosity=0)
    rule_set = RuleSet.objects.get(code=BENCH_SET)
    indicators = list(Indicator.objects.filter(rule_set=rule_set).order_by("position"))
    periods = [ReportingPeriod.objects.for_code(code) for code in PERIODS]
    communes = list(AdminUnit.objects.filter(level=Level.COMMUNE).order_by("id").values_list("id", flat=True))
    expected = len(communes) * len(indicators) * len(periods)
    if rebuild or IndicatorValue.objects.count() != expected:
        log(f"writing {expected:,} values with COPY")
        with connection.cursor() as cur:
            cur.execute("TRUNCATE criteria_attainment, criteria_indicatorvalue CASCADE")
        rng = random.Random(SEED)
        columns = (
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
        for period in periods:
            buf = io.StringIO()
            for unit_id in communes:
                # Each commune has its own level of progress so that attainment varies between units.
                p = rng.uniform(0.80, 1.0)
                for ind in indicators:
                    if ind.kind == "bool":
                        number, boolean = r"\N", "t" if rng.random() < p else "f"
                    else:
                        number, boolean = f"{rng.uniform(70, 100):.1f}", r"\N"
                    buf.write(
                        f"{unit_id}\t{ind.id}\t{period.id}\t{number}\t{boolean}\t\tapproved\t1\t\t"
                        "2024-01-01 00:00:00+07\tf\n"
                    )
            buf.seek(0)
            with connection.cursor() as cur:
                cur.copy_expert(
                    f"COPY criteria_indicatorvalue ({', '.join(columns)}) FROM STDIN",
                    buf,
                )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # statistics of the tables just loaded, or the planner guesses badly
        for period in periods:
            if period.code != MEASURED_PERIOD:
                log(f"recomputing {period.code} for the dashboards")
                from criteria.services import attainment_recompute

                attainment_recompute(period=period)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # fresh statistics, so the planner does not guess on a table just loaded
    return {
        "communes": len(communes),
        "districts": AdminUnit.objects.filter(level=Level.DISTRICT).count(),
        "provinces": AdminUnit.objects.filter(level=Level.PROVINCE).count(),
        "indicators": len(indicators),
        "values": IndicatorValue.objects.count(),
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
    t0 = time.perf_counter()
    run = recompute_run_create(period=period, trigger="bench")
    recompute_run_execute(run_id=run.id)
    seconds = time.perf_counter() - t0
    run.refresh_from_db()
    peak = high_water_kb()
    print(
        json.dumps(
            {
                "seconds": seconds,
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


def lower_bound(period, rule_set) -> tuple[float, int]:
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_lower_bound (unit_id bigint, rule_set_id bigint, period_id bigint, "
            "criteria_met int, criteria_total int, indicators_met int, indicators_total int, no_data int, "
            "UNIQUE (unit_id, rule_set_id, period_id))"
        )
        cur.execute("TRUNCATE bench_lower_bound")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(LOWER_BOUND_SQL, [period.id, rule_set.id])
        rows = cur.rowcount
    return time.perf_counter() - t0, rows


def lower_bound_mismatches(period) -> int:
    """Rows where the lower bound and recompute disagree: 0, or the comparison would not be fair."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM bench_lower_bound b FULL JOIN "
            "(SELECT * FROM criteria_attainment WHERE period_id = %s) a "
            "ON a.unit_id = b.unit_id AND a.rule_set_id = b.rule_set_id "
            "WHERE a.id IS NULL OR b.unit_id IS NULL OR a.criteria_met <> b.criteria_met "
            "OR a.indicators_met <> b.indicators_met OR a.indicators_total <> b.indicators_total "
            "OR a.criteria_total <> b.criteria_total OR a.no_data <> b.no_data",
            [period.id],
        )
        return cur.fetchone()[0]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def incremental(period) -> list[float]:
    from communes.models import AdminUnit, Level
    from criteria.models import IndicatorValue
    from criteria.tasks import recompute_units

    rng = random.Random(SEED + 1)
    ids = list(AdminUnit.objects.filter(level=Level.COMMUNE).values_list("id", flat=True))
    sample = rng.sample(ids, INCREMENTAL_SAMPLES)
    times = []
    for unit_id in sample:
        # A value changes, then the task recomputes the commune and its ancestors.
        value = IndicatorValue.objects.filter(unit_id=unit_id, period=period, boolean__isnull=False).first()
        IndicatorValue.objects.filter(pk=value.pk).update(boolean=not value.boolean)
        t0 = time.perf_counter()
        recompute_units.run(period.id, [unit_id])
        times.append(time.perf_counter() - t0)
    return times


def dashboards() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from communes.models import AdminUnit, Level

    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    rng = random.Random(SEED + 2)
    out = {}
    for level, label in ((Level.DISTRICT, "district"), (Level.PROVINCE, "province")):
        units = list(AdminUnit.objects.filter(level=level).order_by("code"))
        sample = rng.sample(units, min(DASHBOARD_SAMPLES, len(units)))
        client.get(f"/units/{sample[0].code}/")  # templates compiled, translations loaded
        times, counts = [], {}
        for unit in sample:
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(f"/units/{unit.code}/")
                times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"/units/{unit.code}/ answered {response.status_code}")
            children = AdminUnit.objects.filter(path__startswith=unit.path).count() - 1
            counts[unit.code] = (len(queries), children)
        out[label] = {"times": times, "counts": counts}
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

    period = ReportingPeriod.objects.get(code=MEASURED_PERIOD)
    rule_set = RuleSet.objects.get(code=BENCH_SET)

    # The machine may be shared: full recompute and lower bound are measured in alternation, ROUNDS times,
    # and the ratio is the median of the rounds' ratios (each round sees about the same load).
    fulls, bounds = [], []
    for round_ in range(1, ROUNDS + 1):
        log(f"round {round_}/{ROUNDS}: full recompute (child process)")
        child = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter and script
            [sys.executable, __file__, "--child", "full", "--period", MEASURED_PERIOD, "--database", url],
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
        fulls.append(full)
        log(f"round {round_}/{ROUNDS}: {full['seconds']:.2f} s, peak {full['peak_mb']:.0f} MB")
        log(f"round {round_}/{ROUNDS}: lower bound (one INSERT … SELECT)")
        bound_seconds, bound_rows = lower_bound(period, rule_set)
        bounds.append(bound_seconds)
    mismatches = lower_bound_mismatches(period)
    full_times = [f["seconds"] for f in fulls]
    ratio = statistics.median(f / b for f, b in zip(full_times, bounds, strict=True))
    full = {"units": fulls[-1]["units"], "peak_mb": max(f["peak_mb"] for f in fulls)}

    log(f"incremental recompute of {INCREMENTAL_SAMPLES} communes")
    inc = incremental(period)

    log("dashboards")
    dash = dashboards()

    rows = [
        (
            "units (communes / districts / provinces)",
            f"{data['communes']:,} / {data['districts']} / {data['provinces']}",
        ),
        ("indicators per commune", str(data["indicators"])),
        ("indicator values (2 periods)", f"{data['values']:,}"),
        (
            f"full recompute of {MEASURED_PERIOD} ({ROUNDS} rounds)",
            f"median {statistics.median(full_times):.2f} s, best {min(full_times):.2f} s ({full['units']:,} units)",
        ),
        (
            "lower bound: one INSERT … SELECT … GROUP BY",
            f"median {statistics.median(bounds):.2f} s, best {min(bounds):.2f} s ({bound_rows:,} rows)",
        ),
        ("ratios of the rounds", " ".join(f"{f / b:.2f}" for f, b in zip(full_times, bounds, strict=True))),
        ("rows where recompute and lower bound differ", str(mismatches)),
        ("peak memory of the full recompute", f"{full['peak_mb']:.0f} MB"),
        (
            f"incremental, one commune + ancestors (n={len(inc)})",
            f"median {statistics.median(inc) * 1000:.1f} ms, p95 {percentile(inc, 0.95) * 1000:.1f} ms",
        ),
    ]
    for label in ("district", "province"):
        times = dash[label]["times"]
        counts = dash[label]["counts"]
        query_counts = sorted({q for q, _children in counts.values()})
        sizes = sorted(children for _q, children in counts.values())
        rows.append(
            (
                f"{label} dashboard (n={len(times)}, {sizes[0]}–{sizes[-1]} units below)",
                f"median {statistics.median(times) * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms, "
                f"queries {'/'.join(map(str, query_counts))}",
            )
        )
    rows.append(("whole benchmark run", f"{time.perf_counter() - started:.0f} s"))
    width = max(len(label) for label, _v in rows)
    table = "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)
    print(table)
    info = machine()
    if not args.no_write:
        dash_p95 = {label: percentile(dash[label]["times"], 0.95) * 1000 for label in ("district", "province")}
        query_counts = {label: sorted({q for q, _c in dash[label]["counts"].values()}) for label in dash}
        goals = [
            ("full recompute / lower bound ≤ 3", f"{ratio:.2f}", ratio <= 3),
            ("incremental p95 ≤ 50 ms", f"{percentile(inc, 0.95) * 1000:.1f} ms", percentile(inc, 0.95) <= 0.05),
            (
                "district dashboard p95 ≤ 150 ms",
                f"{dash_p95['district']:.0f} ms",
                dash_p95["district"] <= 150,
            ),
            (
                "province dashboard p95 ≤ 150 ms",
                f"{dash_p95['province']:.0f} ms",
                dash_p95["province"] <= 150,
            ),
            (
                "dashboard queries independent of the number of units",
                ", ".join(f"{label} {'/'.join(map(str, c))}" for label, c in query_counts.items()),
                all(len(c) == 1 for c in query_counts.values()),
            ),
            ("peak memory of the full recompute < 500 MB", f"{full['peak_mb']:.0f} MB", full["peak_mb"] < 500),
        ]
        write_doc(table, info, ratio, goals)
    print(f"ratio {ratio:.2f}")


def write_doc(table, info, ratio, goals) -> None:
    from datetime import date

    template = (ROOT / "bench" / "benchmarks.md.in").read_text(encoding="utf-8")
    text = template.format(
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
