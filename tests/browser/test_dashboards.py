"""The three dashboards in headless Chromium on the demo data: charts drawn from the chart data endpoint,
no console errors, nothing wider than a phone, and screenshots at 1366×768 and 390×844.

With NTM_SCREENSHOTS=1 the screenshots are written to docs/screenshots/ (the committed ones come from
such a run); otherwise to the test's temporary folder.
"""

import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-pass-123"
DASHBOARDS = [
    # the province's first chart (communes by tier) comes with the page as SVG; plotly draws the others
    ("province", "/units/22/", "demo-tinh-quangninh", {"trend", "heatmap", "missing"}),
    ("district", "/units/198/", "demo-huyen-binhlieu", {"tiers", "indicators", "heatmap", "closest"}),
    # Đồng Tâm reported in one period: its trend is a table, not a line of one point
    ("commune", "/units/06844/", "demo-xa-dongtam", {"criteria-xa-ntm-nang-cao-2021-2025"}),
]
SIZES = [(1366, 768), (390, 844)]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def demo_data(db):
    quiet = io.StringIO()
    call_command("import_units", stdout=quiet)
    call_command("load_rule_sets", stdout=quiet)
    call_command("load_demo", "--password", PASSWORD, stdout=quiet)


def test_dashboards_draw_their_charts_and_fit_a_phone(new_page, login, live_server, demo_data, tmp_path):
    out = SHOTS if os.environ.get("NTM_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    weights = {}
    for width, height in SIZES:
        for name, url, user, charts in DASHBOARDS:
            page = new_page(width, height)
            errors = []
            # a failed load is reported below by its address; the browser's own favicon probe is not ours
            page.on(
                "console",
                lambda msg, errors=errors: (
                    msg.type == "error"
                    and not msg.text.startswith("Failed to load resource")
                    and errors.append(msg.text)
                ),
            )
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            # The Content-Security-Policy forbids inline script and style: anything it blocks is recorded here.
            page.add_init_script(
                "window.cspViolations = [];"
                "document.addEventListener('securitypolicyviolation',"
                " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            login(page, user, PASSWORD)
            sizes = {}

            def record(response, sizes=sizes, errors=errors):
                if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                    errors.append(f"{response.status} {response.url}")
                if response.request.resource_type in ("document", "script", "stylesheet", "fetch"):
                    sizes[response.url] = len(response.body())

            page.on("response", record)
            page.goto(f"{live_server.url}{url}")
            page.wait_for_selector(".chart.is-drawn")
            page.wait_for_load_state("networkidle")
            drawn = set(
                page.eval_on_selector_all(".chart.is-drawn[data-chart]", "els => els.map(e => e.dataset.chart)")
            )
            assert drawn == charts, name
            if name == "province":
                assert page.locator("svg.svg-chart rect").count() > 13
            assert page.locator(".js-plotly-plot .main-svg").count() >= len(charts)
            assert not errors, errors
            assert page.evaluate("window.cspViolations") == []
            assert "'unsafe-inline'" not in page_policy(page, live_server.url + url)
            scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.getAttribute('src'))")
            assert all(src.startswith("/static/") for src in scripts), scripts
            if width == 390:
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} is {overflow}px wider than the phone"
            page.screenshot(path=str(out / f"dashboard-{name}-{width}x{height}.png"), full_page=True)
            weights[name] = sizes
    # one copy of plotly.js per page, and the page weight stays within what a commune connection can take
    for name, sizes in weights.items():
        plotly = [u for u in sizes if "plotly" in u and u.endswith(".js")]
        assert len(plotly) == 1, name
        assert sum(sizes.values()) < 2_200_000, (name, sum(sizes.values()))
    (tmp_path / "page-weights.json").write_text(
        json.dumps({k: {"total": sum(v.values()), **v} for k, v in weights.items()}, indent=1)
    )


def page_policy(page, url):
    return page.request.get(url).headers["content-security-policy"]


def test_the_home_page_loads_no_plotly(new_page, login, live_server, demo_data):
    page = new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, "demo-huyen-binhlieu", PASSWORD)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert not [u for u in requested if "plotly" in u]


def test_printing_hides_the_controls_and_opens_the_chart_tables(new_page, login, live_server, demo_data):
    page = new_page()
    login(page, "demo-huyen-binhlieu", PASSWORD)
    page.goto(f"{live_server.url}/units/198/")
    page.wait_for_selector(".chart.is-drawn")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    assert page.locator(".filter-form").is_hidden()
    assert page.locator(".header-tools").is_hidden()
    assert page.locator("details.chart-table").first.evaluate("d => d.open")
    assert page.locator(".demo-ribbon").is_visible()
