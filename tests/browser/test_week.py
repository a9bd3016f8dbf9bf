"""A working week of every demo role, in headless Chromium, on a laptop (1366×768) and on a phone (390×844).

The commune official reads his to-dos, finds a criterion from the index, filters the empty indicators, saves a
value that is refused, follows the banner's link to the field, fixes it, submits after the warning about empty
indicators; the district reviewer reads his to-dos, reviews the values grouped by rule set and criterion, returns
one with a reason and approves the rest after a confirmation naming their number; the official receives the
notification and sees the reason on his home page; the provincial viewer searches a commune typed without
diacritics; the coordinator locks the period and the official is told. axe-core checks the home, entry, review
and dashboard pages: no serious or critical violation.

With NTM_SCREENSHOTS=1 the screenshots go to docs/screenshots/ (shown in the README), otherwise to a temporary
folder.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from communes.models import AdminUnit
from criteria.models import IndicatorValue, PeriodLock, Submission, ValueStatus

from .conftest import ARGS, CHROMIUM  # noqa: F401  (the browser fixture launches it)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-week-1"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.11.0" / "axe.min.js"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
PERIOD = "2023-9M"
XA_NTM = "xa-ntm-2021-2025"


def _demo():
    call_command("import_units", verbosity=0)
    call_command("load_rule_sets", verbosity=0)
    call_command("load_demo", "--password", PASSWORD, verbosity=0)


def _axe(page, where):
    """Serious and critical violations of axe-core's rules on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    assert found == [], f"{where}: {found}"


@pytest.mark.parametrize("size", list(SIZES))
def test_a_week_of_every_role(browser, live_server, settings, tmp_path, size):
    settings.MEDIA_ROOT = tmp_path / "media"
    shots = SHOTS if os.environ.get("NTM_SCREENSHOTS") == "1" else tmp_path
    width, height = SIZES[size]
    phone = size == "phone"
    _demo()
    base = live_server.url

    def session(username):
        # bypass_csp: axe-core is injected as a script the page's policy would refuse
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state()
        assert "/login/" not in page.url
        return context, page

    # --- Monday: the commune official -------------------------------------------------------------------------
    official_ctx, official = session("demo-xa-dongtam")
    todo = official.locator("#todo")
    assert "đang mở để nhập liệu" in todo.inner_text()
    _axe(official, "home (official)")
    official.locator("#todo a", has_text="Đồng Tâm").first.click()
    official.wait_for_load_state()
    entry_url = f"{base}/entry/06844/{PERIOD}/"
    if f"/entry/06844/{PERIOD}/" not in official.url:
        official.goto(entry_url)
    counters = official.locator(".set-counters").inner_text()
    assert re.search(r"xã NTM: đã nhập \d+/57", counters), counters
    _axe(official, "entry")

    # the index: a sticky column on the laptop, a menu on the phone
    if phone:
        assert not official.locator("nav.entry-index").is_visible()
        official.locator(".entry-index-menu summary").click()
        official.locator(".entry-index-menu a", has_text="Thu nhập").first.click()
        assert not official.locator(".entry-index-menu").evaluate("d => d.open")
    else:
        assert not official.locator(".entry-index-menu").is_visible()
        official.locator("nav.entry-index a", has_text="Thu nhập").first.click()
        official.mouse.wheel(0, 1500)
        assert official.locator("nav.entry-index").is_visible()  # sticky: still on screen further down
    criterion_id = official.evaluate("() => location.hash.slice(1)")
    box = official.locator(f"#{criterion_id}").bounding_box()
    assert box is not None
    official.screenshot(path=str(shots / f"week-entry-index-{size}.png"))

    # only the empty indicators
    official.get_by_role("link", name=re.compile(r"Chỉ ô trống")).click()
    official.wait_for_load_state()
    assert "show=empty" in official.url
    rows = official.locator(f"#rs-{XA_NTM} tr.entry-row")
    assert rows.count() > 0
    unit = AdminUnit.objects.get(code="06844")
    entered = set(IndicatorValue.objects.filter(unit=unit, period__code=PERIOD).values_list("indicator_id", flat=True))
    shown = {int(i.removeprefix("row-v")) for i in rows.evaluate_all("rs => rs.map(r => r.id)")}
    assert shown and not shown & entered

    # a value that is refused, then fixed from the banner's link
    percent = official.locator(f"#rs-{XA_NTM} input.value-input[data-kind=percent]")
    count_field = official.locator(f"#rs-{XA_NTM} input.value-input[data-kind=count]")
    bad_id = percent.first.get_attribute("id")
    good_id = percent.nth(1).get_attribute("id")
    official.fill(f"#{bad_id}", "150")
    official.fill(f"#{good_id}", "90")
    if phone:  # the phone's rows say what each cell holds
        label = official.locator(f"#rs-{XA_NTM} td.target-cell").first.evaluate(
            "td => getComputedStyle(td, '::before').content"
        )
        assert "Mức đạt" in label
    official.locator(f"#{good_id}").focus()
    field = official.locator(f"#{good_id}").bounding_box()
    bar = official.locator(".entry-actions").bounding_box()
    assert field["y"] + field["height"] <= bar["y"] + 1, "the save bar hides the focused field"
    official.get_by_role("button", name="Lưu nháp").click()
    official.wait_for_load_state()
    banner = official.locator("#error-banner")
    assert "1 ô chưa được lưu" in banner.inner_text() and "Tỷ lệ" in banner.inner_text()
    assert official.evaluate("() => document.activeElement.id") == "error-banner"
    official.screenshot(path=str(shots / f"week-entry-error-{size}.png"))
    banner.locator("a").first.click()
    assert official.evaluate("() => document.activeElement.id") == bad_id
    official.fill(f"#{bad_id}", "95")
    official.get_by_role("button", name="Lưu nháp").click()
    official.wait_for_load_state()
    assert official.locator("#error-banner").count() == 0
    assert re.search(r"#row-v\d+$", official.url), official.url  # back where he was
    assert "show=empty" in official.url
    del count_field

    # submit: the warning says what is missing and asks
    official.goto(entry_url)
    official.get_by_role("button", name="Lưu và gửi huyện thẩm tra").click()
    official.wait_for_load_state()
    warning = official.locator("#submit-warning")
    assert re.search(r"Còn \d+ chỉ tiêu chưa nhập", warning.inner_text())
    assert "xã NTM: trống" in warning.inner_text()
    official.screenshot(path=str(shots / f"week-submit-warning-{size}.png"))
    official.get_by_role("button", name="Vẫn gửi huyện thẩm tra").click()
    official.wait_for_load_state()
    assert "Đã gửi số liệu" in official.locator(".messages").inner_text()
    assert Submission.objects.get(unit=unit, period__code=PERIOD).status == Submission.Status.SUBMITTED

    # --- Tuesday: the district reviewer -----------------------------------------------------------------------
    reviewer_ctx, reviewer = session("demo-huyen-binhlieu")
    assert "hồ sơ chờ thẩm tra" in reviewer.locator("#todo").inner_text()
    reviewer.locator("#todo a", has_text="Đồng Tâm").first.click()
    reviewer.wait_for_load_state()
    assert f"/review/06844/{PERIOD}/" in reviewer.url
    groups = reviewer.locator(".review-set h3").all_inner_texts()
    assert any(g.startswith("xã NTM") for g in groups), groups
    assert reviewer.locator(".review-set h4").count() >= 2
    assert "%" in reviewer.locator(".review-set .unit-label").first.inner_text()
    _axe(reviewer, "review")
    reviewer.screenshot(path=str(shots / f"week-review-{size}.png"))
    returned = IndicatorValue.objects.get(
        unit=unit, period__code=PERIOD, indicator_id=int(bad_id.split("v")[1].split("-")[0])
    )
    reviewer.check(f'input[name="d{returned.pk}"][value="return"]')
    reviewer.fill(f"#id_r{returned.pk}", "95% cao hơn báo cáo của trạm y tế: gửi biên bản")
    reviewer.get_by_role("button", name="Lưu các quyết định đã chọn").click()
    reviewer.wait_for_load_state()
    waiting = IndicatorValue.objects.filter(unit=unit, period__code=PERIOD, status=ValueStatus.SUBMITTED).count()
    asked = []
    reviewer.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    reviewer.get_by_role("button", name=re.compile("Duyệt tất cả")).click()
    reviewer.wait_for_load_state()
    assert asked == [f"Duyệt tất cả {waiting} giá trị đang chờ của Xã Đồng Tâm?"]
    assert f"Đã duyệt {waiting} giá trị" in reviewer.locator(".messages").inner_text()
    reviewer.goto(f"{base}/units/198/?period={PERIOD}")
    reviewer.wait_for_selector(".chart.is-drawn .main-svg")
    _axe(reviewer, "district dashboard")
    reviewer_ctx.close()

    # --- Wednesday: the official is told ---------------------------------------------------------------------
    official.goto(f"{base}/")
    badge = official.locator(".notif-badge")
    badge.wait_for(state="visible")
    assert int(badge.inner_text().split()[0]) >= 1
    todo = official.locator("#todo").inner_text()
    assert "thông báo chưa đọc" in todo and "gửi biên bản" in todo and "giá trị bị huyện trả lại" in todo
    official.screenshot(path=str(shots / f"week-home-official-{size}.png"))
    official.locator(".notif-link").click()
    official.wait_for_load_state()
    assert "Huyện trả lại số liệu của Xã Đồng Tâm" in official.locator(".note-list").inner_text()

    # --- Thursday: the province reads and searches -------------------------------------------------------------
    viewer_ctx, viewer = session("demo-tinh-quangninh")
    viewer.goto(f"{base}/units/22/")
    assert viewer.locator("svg.svg-chart").is_visible()  # the first chart comes with the page
    viewer.wait_for_selector(".chart.is-drawn .main-svg")
    _axe(viewer, "province dashboard")
    viewer.fill("#site-search", "dong tam")
    viewer.press("#site-search", "Enter")
    viewer.wait_for_load_state()
    results = viewer.locator(".search-results")
    assert "Xã Đồng Tâm" in results.inner_text()
    viewer.screenshot(path=str(shots / f"week-search-{size}.png"))
    results.get_by_role("link", name="Xã Đồng Tâm").click()
    viewer.wait_for_load_state()
    assert viewer.url.endswith("/units/06844/")
    _axe(viewer, "commune page")
    viewer_ctx.close()

    # --- Friday: the coordinator locks the period; the official is told ---------------------------------------
    coordinator_ctx, coordinator = session("demo-tinh-dieuphoi")
    _axe(coordinator, "home (coordinator)")
    coordinator.goto(f"{base}/periods/")
    coordinator.locator(f'form[action="/periods/{PERIOD}/lock/"]').get_by_role("button", name="Khóa kỳ").click()
    coordinator.wait_for_load_state()
    assert PeriodLock.objects.filter(period__code=PERIOD, province__code="22").exists()
    coordinator.goto(f"{base}/")
    assert "đã khóa tại" in coordinator.locator("#todo").inner_text()
    coordinator_ctx.close()
    official.goto(f"{base}/notifications/")
    assert "đã khóa tại Tỉnh Quảng Ninh" in official.locator(".note-list").inner_text()
    official_ctx.close()
