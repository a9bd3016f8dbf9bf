"""The province dashboard on an emulated slow phone connection: when does the first chart appear?

Serves the demo database (`make demo-data` first) as production does (DEBUG off, collected static files with
hashed names and gzip copies served by WhiteNoise), opens /units/22/ in headless Chromium with the DevTools
"Slow 3G" conditions (2,000 ms round trip, 50 KB/s down, 50 KB/s up; Chromium's own preset) and an empty cache,
and reports, from the start of the navigation: the page's HTML received, the first table painted (DOMContentLoaded),
and the first chart drawn (a plotly SVG in the first chart slot). Run: `.venv/bin/python bench/slow3g.py [--runs 3]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 8391
SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
KEY = "bench-" + "k" * 60


def _env(static_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=static_root,
        DEMO_MODE="1",
    )
    return env


def _session(env: dict, username: str) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        f"u = get_user_model().objects.get(username={username!r})\n"
        "s = SessionStore(); s[SESSION_KEY] = str(u.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create(); print(s.session_key)\n"
    )
    env = dict(env, DJANGO_SETTINGS_MODULE="ntm_tracker.settings")
    out = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def measure(runs: int, path: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    static_root = tempfile.mkdtemp(prefix="ntm-static-")
    env = _env(static_root)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    session = _session(env, "demo-tinh-quangninh")
    server = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter and manage.py
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-quic"])
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
                context.add_cookies(
                    [{"name": "sessionid", "value": session, "domain": "127.0.0.1", "path": "/", "secure": False}]
                )
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.clearBrowserCache")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                sizes = {}
                page.on(
                    "response",
                    lambda r, sizes=sizes: sizes.setdefault(
                        r.url.rsplit("/", 1)[-1][:40], r.headers.get("content-length")
                    ),
                )
                page.goto(f"http://127.0.0.1:{PORT}{path}", wait_until="commit", timeout=120000)
                page.wait_for_selector(".chart.is-drawn .main-svg", timeout=120000)
                timing = page.evaluate(
                    """() => {
                        const nav = performance.getEntriesByType('navigation')[0];
                        const plotly = performance.now();
                        const paint = performance.getEntriesByName('first-contentful-paint')[0];
                        const svg = document.querySelector('svg.svg-chart');
                        // the first chart: the server's SVG shows with the first paint; else the first plotly chart
                        const chart = svg && paint ? paint.startTime : plotly;
                        return {html: nav.responseEnd, dom: nav.domContentLoadedEventEnd || null, chart: chart,
                                plotly: plotly};
                    }"""
                )
                timing["transferred"] = page.evaluate(
                    "() => performance.getEntriesByType('resource').reduce((a, r) => a + r.transferSize, 0)"
                    " + performance.getEntriesByType('navigation')[0].transferSize"
                )
                results.append(timing)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--path", default="/units/22/")
    args = parser.parse_args()
    results = measure(args.runs, args.path)
    for r in results:
        print(
            f"html {r['html'] / 1000:.1f} s · page and tables {r['dom'] / 1000:.1f} s"
            f" · first chart {r['chart'] / 1000:.1f} s · plotly charts {r['plotly'] / 1000:.1f} s"
            f" · {r['transferred'] / 1024:.0f} KB transferred"
        )
    print(f"median first chart {statistics.median(r['chart'] for r in results) / 1000:.1f} s")
    print(f"median plotly charts {statistics.median(r['plotly'] for r in results) / 1000:.1f} s")


if __name__ == "__main__":
    main()
