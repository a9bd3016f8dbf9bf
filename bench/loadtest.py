"""Pages under load: `make loadtest`.

Runs the tracker as in production on loopback only (gunicorn on 127.0.0.1, PostgreSQL, a real Celery
worker on Redis) against the benchmark database that `make bench` builds (built here if missing), then:

1. one client alone reads a district page, to give the unloaded figure;
2. CLIENTS clients (threads, each with its own session and keep-alive connection) mix, for SECONDS seconds,
   district and province pages as a district reviewer, their chart data, and value saves through the entry
   form as commune officials (each client its own commune, so saves do not conflict by design);
3. afterwards waits for the worker to finish, and checks that every successful save has its history row
   and its value, and that the stored results of every touched unit (and its ancestors) equal a clean
   recompute.

Prints requests/s, p50/p95/p99, errors, lost saves and differing results. Bounded: at most 50 clients and
120 seconds, every request with a 30 s timeout.

    .venv/bin/python bench/loadtest.py [--clients 20] [--seconds 60] [--database postgres://…/ntm_bench]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402 - the benchmark's database and data

MAX_CLIENTS = 50
MAX_SECONDS = 120
TIMEOUT = 30
SEED = 20241128
READ_SHARE, CHART_SHARE = 0.6, 0.2  # the rest are saves
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples: list[float], p: float) -> float:
    return bench.percentile(samples, p) if samples else float("nan")


class Client:
    """One browser: a session cookie, a CSRF cookie, one keep-alive connection to 127.0.0.1."""

    def __init__(self, port: int, session: str):
        self.port = port
        self.cookies = {"sessionid": session}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {
            "Host": "localhost",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-Forwarded-Proto": "https",  # as behind the TLS proxy: the production settings expect it
        }
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://localhost{path}"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content


def session_for(user) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def plan(clients: int, period) -> list[dict]:
    """Per client: a district and its province to read as the district reviewer, and a commune of that
    district with one numeric indicator to save as its official."""
    from communes.models import AdminUnit, Kind, Level, Role
    from criteria.models import IndicatorValue

    rng = random.Random(SEED)
    districts = list(AdminUnit.objects.filter(level=Level.DISTRICT, kind=Kind.HUYEN).order_by("code"))
    rng.shuffle(districts)
    out = []
    for district in districts:
        if len(out) == clients:
            break
        n = len(out)
        commune = AdminUnit.objects.filter(parent=district, kind=Kind.XA).order_by("code").first()
        value = (
            IndicatorValue.objects.filter(unit=commune, period=period, number__isnull=False, indicator__kind="percent")
            .select_related("indicator")
            .order_by("indicator_id")
            .first()
        )
        if value is None:  # a district without xã (or without values): nothing to save there
            continue
        reader = bench._role_user(f"load-reviewer-{n}", Role.DISTRICT_REVIEWER, district)
        writer = bench._role_user(f"load-official-{n}", Role.COMMUNE_OFFICIAL, commune)
        out.append(
            {
                "district": district.code,
                "province": district.path.strip("/").split("/")[0],
                "commune": commune.code,
                "indicator": value.indicator_id,
                "version": value.version,
                "raw": str(value.number),
                "reader": session_for(reader),
                "writer": session_for(writer),
            }
        )
    # the reviewer of a district may read its province's page only if he has a role there: read as viewer
    for item in out:
        province = AdminUnit.objects.get(code=item["province"])
        viewer = bench._role_user(f"load-viewer-{item['province']}", Role.PROVINCIAL_VIEWER, province)
        item["viewer"] = session_for(viewer)
    return out


def worker_loop(port, item, period_code, deadline, rng, results, saves, lock):
    reader = Client(port, item["reader"])
    viewer = Client(port, item["viewer"])
    writer = Client(port, item["writer"])
    entry = f"/entry/{item['commune']}/{period_code}/"
    status, _body = writer.request("GET", entry)  # the CSRF cookie, as a browser gets it with the form
    version, current = item["version"], item["raw"]
    n = 0
    while time.monotonic() < deadline:
        roll = rng.random()
        t0 = time.perf_counter()
        kind = "read"
        try:
            if roll < READ_SHARE:
                page = item["district"] if rng.random() < 0.7 else item["province"]
                client = reader if page == item["district"] else viewer
                status, _body = client.request("GET", f"/units/{page}/?period={period_code}")
                ok = status == 200
            elif roll < READ_SHARE + CHART_SHARE:
                kind = "chart"
                status, _body = reader.request("GET", f"/units/{item['district']}/charts.json?period={period_code}")
                ok = status == 200
            else:
                kind = "save"
                n += 1
                raw = f"{rng.randint(50, 99)},{n % 10}"  # a percentage: never above 100
                prefix = f"v{item['indicator']}"
                status, body = writer.request(
                    "POST",
                    entry,
                    {
                        f"{prefix}-value": raw,
                        f"{prefix}-value-initial": current.replace(".", ","),
                        f"{prefix}-note": "",
                        f"{prefix}-note-initial": "",
                        f"{prefix}-version": str(version),
                        f"{prefix}-reason": "kiểm tra tải",
                        "csrfmiddlewaretoken": writer.cookies.get("csrftoken", ""),
                    },
                )
                ok = status == 302
                if ok:
                    version += 1
                    current = raw
                    with lock:
                        saves.append((item["commune"], item["indicator"], raw, version))
        except (OSError, http.client.HTTPException):
            status, ok = 0, False
        seconds = time.perf_counter() - t0
        with lock:
            results.append((kind, seconds, ok, status))


def wait_for_worker(redis_url: str, prefix: str, timeout: float = 120) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queued = r.llen(f"{prefix}interactive")
        pending = sum(1 for _k in r.scan_iter(f"{prefix}ntm:recompute-pending:*", count=1000))
        unacked = r.hlen(f"{prefix}unacked")
        if not queued and not pending and not unacked:
            return
        time.sleep(0.5)
    raise SystemExit("the worker did not finish the queued recomputes in time")


def check(saves: list, period) -> tuple[int, int, int]:
    """(saves without their history row or value, units whose stored results differ from a clean recompute,
    units checked)."""
    from django.db import transaction

    from communes.models import AdminUnit
    from criteria.models import Attainment, IndicatorValue, ValueChange
    from criteria.services import ROW_COLUMNS, attainment_recompute

    lost = 0
    last: dict[tuple, tuple] = {}
    for code, indicator_id, raw, version in saves:
        last[(code, indicator_id)] = (raw, version)
        found = ValueChange.objects.filter(
            value__unit__code=code, value__indicator_id=indicator_id, value__period=period, version=version
        ).exists()
        lost += not found
    for (code, indicator_id), (raw, version) in last.items():
        value = IndicatorValue.objects.get(unit__code=code, indicator_id=indicator_id, period=period)
        lost += value.version != version or value.number != Decimal(raw.replace(",", "."))
    units = list(AdminUnit.objects.filter(code__in={code for code, *_rest in saves}))
    paths = {p for u in units for p in [u.path, *u.ancestor_paths()]}
    fields = [c for c in ROW_COLUMNS if c != "computed_at"]

    def snapshot():
        rows = Attainment.objects.filter(period=period, unit__path__in=paths).order_by("unit_id", "rule_set_id")
        return list(rows.values_list(*fields))

    stored = snapshot()
    with transaction.atomic():
        attainment_recompute(period=period, units=units)
        clean = snapshot()
        transaction.set_rollback(True)  # a check, not a write
    stored_units = {}
    for row in stored:
        stored_units.setdefault(row[0], []).append(row)
    clean_units = {}
    for row in clean:
        clean_units.setdefault(row[0], []).append(row)
    differ = sum(
        1 for unit_id in set(stored_units) | set(clean_units) if stored_units.get(unit_id) != clean_units.get(unit_id)
    )
    return lost, differ, len(paths)


def write_doc(table, clients, seconds, p95, errors, lost, differ, met) -> None:
    """The figures into bench/loadtest-latest.md (which `make bench` keeps in docs/benchmarks.md) and into the
    loadtest section of docs/benchmarks.md now."""
    from datetime import date

    goal = (
        f"{clients} clients, {seconds:.0f} s: p95 {p95:.0f} ms, {errors} errors, {lost} lost saves, "
        f"{differ} differing results"
    )
    text = (
        f"Run on {date.today().isoformat()}:\n\n```\n{table}\n```\n\n| goal | measured | |\n|---|---|---|\n"
        f"| `make loadtest`, 20 clients: p95 ≤ 500 ms, 0 errors, 0 lost saves | {goal} | "
        f"{'met' if met else '**missed**'} |\n"
    )
    (ROOT / "bench" / "loadtest-latest.md").write_text(text, encoding="utf-8")
    doc = ROOT / "docs" / "benchmarks.md"
    if doc.exists():
        current = doc.read_text(encoding="utf-8")
        start, end = "<!-- loadtest:start -->\n", "<!-- loadtest:end -->"
        if start in current and end in current:
            head, rest = current.split(start, 1)
            _old, tail = rest.split(end, 1)
            doc.write_text(head + start + text + end + tail, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help=f"PostgreSQL URL of the benchmark database (default {bench.DEFAULT_URL})")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--redis", default=os.environ.get("LOADTEST_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--no-write", action="store_true", help="do not write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    url = bench.bench_url(args.database)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    bench.ensure_database(url)
    prefix = f"loadtest-{os.getpid()}:"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": args.redis,
        "CELERY_KEY_PREFIX": prefix,
        "DEBUG": "0",
        "SECRET_KEY": "loadtest-only-" + "x" * 40,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "ntm_tracker.settings",
    }
    env.pop("CACHE_URL", None)
    os.environ.update({k: v for k, v in env.items() if k != "DATABASE_URL"})
    bench.setup_django(url)
    os.environ["CELERY_BROKER_URL"] = args.redis  # setup_django clears it for the benchmark's in-process runs
    from django.conf import settings

    settings.CELERY_BROKER_URL = args.redis
    settings.CELERY_TASK_ALWAYS_EAGER = False
    bench.build(False, log)

    from criteria.models import IndicatorValue, ReportingPeriod

    period = ReportingPeriod.objects.get(code=bench.CATALOG_PERIOD)
    if not IndicatorValue.objects.filter(period=period).exists():
        raise SystemExit("no values in the benchmark period: run make bench first")
    items = plan(clients, period)
    port = free_port()
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    processes = []
    try:
        log(f"gunicorn ({args.workers} workers) on 127.0.0.1:{port} and a Celery worker")
        processes.append(
            subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "ntm_tracker.wsgi",
                    f"--bind=127.0.0.1:{port}",
                    f"--workers={args.workers}",
                    "--timeout=60",
                ],
                cwd=ROOT,
                env=env,
                stdout=(logs / "loadtest-gunicorn.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "ntm_tracker",
                    "worker",
                    "--queues=interactive",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=(logs / "loadtest-worker.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _b = Client(port, items[0]["reader"]).request("GET", f"/units/{items[0]['district']}/")
                if status == 200:
                    break
                raise SystemExit(f"the district page answered {status}: see var/loadtest-gunicorn.log")
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start: see var/loadtest-gunicorn.log") from None
                time.sleep(0.3)

        log("one client alone: 40 reads of a district page")
        alone = Client(port, items[0]["reader"])
        single = []
        for _ in range(40):
            t0 = time.perf_counter()
            status, _b = alone.request("GET", f"/units/{items[0]['district']}/?period={period.code}")
            single.append(time.perf_counter() - t0)

        log(f"{clients} clients for {seconds:.0f} s")
        results: list[tuple] = []
        saves: list[tuple] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=worker_loop,
                args=(port, item, period.code, stop, random.Random(SEED + n), results, saves, lock),
                daemon=True,
            )
            for n, item in enumerate(items)
        ]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + TIMEOUT + 5)
        elapsed = time.perf_counter() - t0
        log("waiting for the worker to finish the queued recomputes")
        wait_for_worker(args.redis, prefix)
        log("checking saves and stored results")
        lost, differ, checked = check(saves, period)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    times = [r[1] for r in results]
    errors = sum(1 for r in results if not r[2])
    rows = [
        (
            "one client alone, district page (n=40)",
            f"p50 {percentile(single, 0.5) * 1000:.0f} ms, p95 {percentile(single, 0.95) * 1000:.0f} ms",
        ),
        (
            f"{clients} clients, {elapsed:.0f} s, gunicorn {args.workers} workers",
            f"{len(results):,} requests, {len(results) / elapsed:.1f} requests/s",
        ),
        (
            "latency, all requests",
            f"p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
            f"p99 {percentile(times, 0.99) * 1000:.0f} ms",
        ),
    ]
    for kind in ("read", "chart", "save"):
        own = [r[1] for r in results if r[0] == kind]
        rows.append(
            (
                f"  {kind} (n={len(own)})",
                f"p50 {percentile(own, 0.5) * 1000:.0f} ms, p95 {percentile(own, 0.95) * 1000:.0f} ms",
            )
        )
    rows += [
        (
            "errors (not 200 / 302, or no answer)",
            f"{errors}"
            + (
                " ("
                + ", ".join(f"{kind} {status or 'no answer'}" for kind, _s, ok, status in results if not ok)[:200]
                + ")"
                if errors
                else ""
            ),
        ),
        ("successful saves without their history row or value", f"{lost} of {len(saves)}"),
        ("units whose stored results differ from a clean recompute", f"{differ} of {checked} checked"),
        ("load average (1 / 5 / 15 min)", " / ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]
    width = max(len(label) for label, _v in rows)
    table = "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)
    print(table)
    p95 = percentile(times, 0.95) * 1000
    met = p95 <= 500 and not errors and not lost and not differ
    if not args.no_write:
        write_doc(table, clients, seconds, p95, errors, lost, differ, met)
    print(f"p95 {p95:.0f} ms, errors {errors}, lost saves {lost}, differing results {differ}")
    if errors or lost or differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
