"""Entry, review and period pages: who may open what, what a bad input shows, and what a page costs."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from criteria.importers import values_import
from criteria.models import IndicatorValue, PeriodLock, ReportingPeriod, Submission, ValueStatus
from entry import services
from ntm_tracker.tabular import FileRejected
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def entry_url(unit, period="2023"):
    return reverse("entry-unit", args=[unit.code, period])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def post_values(client, unit, values, *, action="save", period="2023", versions=None, initial=None, confirm=True):
    """values: {indicator: (raw, note)}; versions/initial: what the page showed (default: nothing stored).
    A submit confirms the warning about empty indicators unless `confirm=False`."""
    data = {"action": action}
    if action == "submit" and confirm:
        data["confirm_empty"] = "1"
    for indicator, (raw, note) in values.items():
        prefix = f"v{indicator.pk}"
        data[f"{prefix}-value"] = raw
        data[f"{prefix}-note"] = note
        data[f"{prefix}-version"] = (versions or {}).get(indicator, 0)
        data[f"{prefix}-value-initial"] = (initial or {}).get(indicator, "")
        data[f"{prefix}-note-initial"] = ""
    return client.post(entry_url(unit, period), data)


def all_views(w, value=None, evidence=None):
    """(method, url) of every entry/review view, for the commune of the world."""
    unit = w["commune"]
    urls = [
        ("get", entry_url(unit)),
        ("post", entry_url(unit)),
        ("post", reverse("entry-submit", args=[unit.code, "2023"])),
        ("get", reverse("entry-excel", args=[unit.code, "2023"])),
        ("post", reverse("entry-excel-upload", args=[unit.code, "2023"])),
        ("get", reverse("entry-value", args=[unit.code, "2023", w["pct"].pk])),
        ("post", reverse("entry-value", args=[unit.code, "2023", w["pct"].pk])),
        ("get", reverse("review-unit", args=[unit.code, "2023"])),
        ("post", reverse("review-unit", args=[unit.code, "2023"])),
    ]
    if evidence is not None:
        urls += [("get", reverse("evidence-download", args=[evidence.pk]))]
        urls += [("post", reverse("evidence-delete", args=[evidence.pk]))]
    return urls


@pytest.fixture
def stored(world):
    value = services.value_save(
        user=world["official"],
        unit=world["commune"],
        indicator=world["pct"],
        period=world["period"],
        raw="70",
        expected_version=0,
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from entry.evidence import evidence_add

    evidence = evidence_add(
        user=world["official"], value=value, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", "application/pdf")
    )
    return value, evidence


def test_anonymous_users_are_sent_to_login(client, world, stored):
    for method, url in all_views(world, *stored) + [("get", reverse("review-queue")), ("get", reverse("entry-index"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["outsider", "other_reviewer"])
def test_outsiders_get_404_on_every_view_and_download(world, stored, who):
    client = client_for(world[who])
    for method, url in all_views(world, *stored):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
    value, evidence = stored
    assert IndicatorValue.objects.get().number == Decimal("70")
    assert evidence.__class__.objects.filter(pk=evidence.pk).exists()


def test_a_guessed_code_of_another_province_is_refused_like_an_unknown_one(world):
    client = client_for(world["official"])
    assert client.get(entry_url(world["outside"])).status_code == 404
    assert client.get(entry_url(world["sibling"])).status_code == 404
    assert client.get(reverse("entry-unit", args=["00000", "2023"])).status_code == 404


def test_roles_that_see_the_unit_but_may_not_enter_data_get_403(world):
    for who in ("viewer", "reviewer", "coordinator"):
        response = client_for(world[who]).get(entry_url(world["commune"]))
        assert response.status_code == 403, who
    assert client_for(world["official"]).get(reverse("review-unit", args=["71001", "2023"])).status_code == 403
    assert client_for(world["official"]).get(reverse("review-queue")).status_code == 403
    assert client_for(world["viewer"]).get(reverse("review-queue")).status_code == 403


def test_district_and_province_staff_enter_their_own_units_data(world):
    assert client_for(world["reviewer"]).get(entry_url(world["district"])).status_code == 200
    assert client_for(world["coordinator"]).get(entry_url(world["province"])).status_code == 200
    assert client_for(world["official"]).get(entry_url(world["village"])).status_code == 200


def test_the_entry_page_shows_targets_values_and_the_derived_indicator_without_an_input(world, stored):
    response = client_for(world["official"]).get(entry_url(world["commune"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="v{world["pct"].pk}-value"' in html
    assert 'value="70"' in html
    assert "≥ 80%" in html
    assert f'name="v{world["derived"].pk}-value"' not in html  # computed, never typed
    assert f'name="v{world["foreign"].pk}-value"' not in html
    assert "tính tự động" in html


def test_errors_show_next_to_the_field_and_every_other_field_keeps_what_was_typed(world):
    client = client_for(world["official"])
    response = post_values(
        client,
        world["commune"],
        {world["pct"]: ("150", "ghi chú giữ lại"), world["count"]: ("4", ""), world["amount"]: ("76,6", "")},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tỷ lệ phải từ 0 đến 100, nhận được 150." in html
    assert f'id="err-v{world["pct"].pk}"' in html
    assert 'value="150"' in html and "ghi chú giữ lại" in html
    assert 'value="76,6"' in html  # saved, and shown back in Vietnamese notation
    stored = dict(IndicatorValue.objects.values_list("indicator__code", "number"))
    assert stored == {"2.1": Decimal("4"), "2.2": Decimal("76.6")}


def test_a_note_with_a_script_is_shown_escaped(world):
    client = client_for(world["official"])
    post_values(client, world["commune"], {world["pct"]: ("90", "<script>alert('x')</script>")})
    html = client.get(entry_url(world["commune"])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    value = IndicatorValue.objects.get()
    page = client.get(reverse("entry-value", args=["71001", "2023", world["pct"].pk])).content.decode()
    assert "<script>alert" not in page and value.note in IndicatorValue.objects.values_list("note", flat=True)


def test_two_clients_a_stale_save_shows_the_other_persons_value_and_is_not_applied(world):
    first, second = client_for(world["official"]), client_for(world["colleague"])
    post_values(first, world["commune"], {world["pct"]: ("60", "")})
    # both have the page open at version 1
    post_values(
        second, world["commune"], {world["pct"]: ("85", "")}, versions={world["pct"]: 1}, initial={world["pct"]: "60"}
    )
    response = post_values(
        first, world["commune"], {world["pct"]: ("90", "")}, versions={world["pct"]: 1}, initial={world["pct"]: "60"}
    )
    html = response.content.decode()
    assert "xa2 đã thay đổi giá trị này" in html and "giá trị hiện tại: 85" in html
    assert 'value="90"' in html  # what the first official typed is still in the field
    assert IndicatorValue.objects.get().number == Decimal("85")
    # saving again from the page that showed the conflict replaces it knowingly
    response = post_values(
        first, world["commune"], {world["pct"]: ("90", "")}, versions={world["pct"]: 2}, initial={world["pct"]: "85"}
    )
    assert response.status_code == 302
    assert IndicatorValue.objects.get().number == Decimal("90")


def test_an_unchanged_field_from_an_old_page_does_not_overwrite(world):
    first, second = client_for(world["official"]), client_for(world["colleague"])
    post_values(first, world["commune"], {world["pct"]: ("60", "")})
    post_values(
        second, world["commune"], {world["pct"]: ("85", "")}, versions={world["pct"]: 1}, initial={world["pct"]: "60"}
    )
    # the first page still shows 60 at version 1 and the official only typed the count
    response = post_values(
        first,
        world["commune"],
        {world["pct"]: ("60", ""), world["count"]: ("3", "")},
        versions={world["pct"]: 1},
        initial={world["pct"]: "60"},
    )
    assert response.status_code == 302
    assert dict(IndicatorValue.objects.values_list("indicator__code", "number")) == {"1.1": 85, "2.1": 3}


def test_a_value_for_an_indicator_outside_the_units_sets_is_refused(world):
    client = client_for(world["official"])
    response = post_values(client, world["commune"], {world["foreign"]: ("50", ""), world["derived"]: ("có", "")})
    assert not IndicatorValue.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("không thuộc các bộ tiêu chí" in m for m in messages)


def test_a_locked_period_refuses_edits_with_a_clear_message(world):
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    client = client_for(world["official"])
    response = post_values(client, world["commune"], {world["pct"]: ("90", "")})
    assert response.status_code == 409
    assert "đã khóa" in response.content.decode()
    assert not IndicatorValue.objects.exists()
    page = client.get(entry_url(world["commune"])).content.decode()
    assert "đã khóa" in page and f'name="v{world["pct"].pk}-value"' not in page


def test_save_and_submit_then_the_reviewer_returns_one_value_with_a_reason(world):
    official, reviewer = client_for(world["official"]), client_for(world["reviewer"])
    response = post_values(
        official, world["commune"], {world["pct"]: ("90", ""), world["yes"]: ("không", "")}, action="submit"
    )
    assert response.status_code == 302
    assert Submission.objects.get().status == Submission.Status.SUBMITTED
    queue = reviewer.get(reverse("review-queue") + "?period=2023").content.decode()
    assert "Xã Đồng Thử" in queue and "từ 0/4 lên 1/4 chỉ tiêu" in queue
    pct = IndicatorValue.objects.get(indicator=world["pct"])
    yes = IndicatorValue.objects.get(indicator=world["yes"])
    url = reverse("review-unit", args=["71001", "2023"])
    missing_reason = reviewer.post(
        url,
        {
            "action": "decide",
            f"d{pct.pk}": "approve",
            f"ver{pct.pk}": pct.version,
            f"d{yes.pk}": "return",
            f"ver{yes.pk}": yes.version,
        },
    )
    assert missing_reason.status_code == 400
    assert "Trả lại cần ghi lý do" in missing_reason.content.decode()
    assert set(IndicatorValue.objects.values_list("status", flat=True)) == {ValueStatus.SUBMITTED}  # nothing applied
    reviewer.post(
        url,
        {
            "action": "decide",
            f"d{pct.pk}": "approve",
            f"ver{pct.pk}": pct.version,
            f"d{yes.pk}": "return",
            f"ver{yes.pk}": yes.version,
            f"r{yes.pk}": "Chưa có biên bản <b>kiểm tra</b>",
        },
    )
    page = official.get(entry_url(world["commune"])).content.decode()
    assert "Huyện trả lại:" in page and "Chưa có biên bản &lt;b&gt;kiểm tra&lt;/b&gt;" in page
    history = official.get(reverse("entry-value", args=["71001", "2023", world["yes"].pk])).content.decode()
    assert "Trả lại" in history and "huyen" in history


@pytest.mark.parametrize(
    ("field", "posted", "message"),
    [
        ("ver", "abc", "Phiên bản «abc» không hợp lệ: tải lại trang rồi quyết định lại."),
        ("ver", "-1", "Phiên bản «-1» không hợp lệ"),
        ("d", "maybe", "Quyết định không hợp lệ: chọn Duyệt hoặc Trả lại."),
    ],
)
def test_a_malformed_review_post_answers_400_with_a_message_and_applies_nothing(world, field, posted, message):
    post_values(client_for(world["official"]), world["commune"], {world["pct"]: ("90", "")}, action="submit")
    pct = IndicatorValue.objects.get(indicator=world["pct"])
    data = {"action": "decide", f"d{pct.pk}": "approve", f"ver{pct.pk}": pct.version}
    data[f"{field}{pct.pk}"] = posted
    response = client_for(world["reviewer"]).post(reverse("review-unit", args=["71001", "2023"]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert IndicatorValue.objects.get().status == ValueStatus.SUBMITTED


def test_a_review_post_naming_a_value_of_another_unit_or_an_unknown_action_is_refused(world):
    post_values(client_for(world["official"]), world["commune"], {world["pct"]: ("90", "")}, action="submit")
    reviewer = client_for(world["reviewer"])
    url = reverse("review-unit", args=["71001", "2023"])
    forged = reviewer.post(url, {"action": "decide", "d999999": "approve", "ver999999": "1"})
    assert forged.status_code == 400
    assert "không chờ duyệt ở đây" in forged.content.decode()
    unknown = reviewer.post(url, {"action": "explode"})
    assert unknown.status_code == 400 and "Thao tác không hợp lệ." in unknown.content.decode()
    assert IndicatorValue.objects.get().status == ValueStatus.SUBMITTED


def test_an_approved_value_edited_without_a_reason_keeps_the_typed_value_and_asks_for_one(world):
    client = client_for(world["official"])
    post_values(client, world["commune"], {world["pct"]: ("90", "")}, action="submit")
    services.submission_approve(user=world["reviewer"], unit=world["commune"], period=world["period"])
    value = IndicatorValue.objects.get()
    response = post_values(
        client,
        world["commune"],
        {world["pct"]: ("95", "")},
        versions={world["pct"]: value.version},
        initial={world["pct"]: "90"},
    )
    html = response.content.decode()
    assert "ghi lý do thay đổi" in html and 'value="95"' in html
    assert IndicatorValue.objects.get().number == Decimal("90")


@pytest.mark.parametrize(
    "url",
    [
        lambda w: entry_url(w["commune"]),
        lambda w: reverse("entry-submit", args=["71001", "2023"]),
        lambda w: reverse("entry-excel-upload", args=["71001", "2023"]),
        lambda w: reverse("entry-value", args=["71001", "2023", w["pct"].pk]),
        lambda w: reverse("review-unit", args=["71001", "2023"]),
        lambda w: reverse("entry-period-lock", args=["2023"]),
        lambda w: reverse("memberships"),
    ],
)
def test_every_form_needs_the_csrf_token(world, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["coordinator"] if "period" in url(world) or "members" in url(world) else world["official"])
    if "review" in url(world):
        client.force_login(world["reviewer"])
    response = client.post(
        url(world), {"action": "save", f"v{world['pct'].pk}-value": "90", "locked": "1", "province": "71"}
    )
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert not IndicatorValue.objects.exists()
    assert not ReportingPeriod.objects.filter(locked=True).exists()
    assert not PeriodLock.objects.exists()


def test_only_the_coordinator_locks_a_period_and_only_for_his_province(world):
    url = reverse("entry-period-lock", args=["2023"])
    for who in ("official", "reviewer", "viewer"):
        assert client_for(world[who]).post(url, {"locked": "1", "province": "71"}).status_code == 403
        assert client_for(world[who]).get(reverse("entry-periods")).status_code == 403
    coordinator = client_for(world["coordinator"])
    assert coordinator.post(url, {"locked": "1", "province": "72"}).status_code == 404  # not his province
    assert coordinator.post(url, {"locked": "1"}).status_code == 403  # nationwide is the administrator's
    assert not PeriodLock.objects.exists()
    response = coordinator.post(url, {"locked": "1", "province": "71"})
    assert response.status_code == 302
    period = ReportingPeriod.objects.get(code="2023")
    lock = PeriodLock.objects.get()
    assert not period.locked
    assert (lock.period, lock.province, lock.locked_by) == (period, world["province"], world["coordinator"])
    page = coordinator.get(reverse("entry-periods")).content.decode()
    assert "🔒 Đã khóa" in page and 'name="province" value="71"' in page and 'value="72"' not in page
    coordinator.post(url, {"locked": "0", "province": "71"})
    assert not PeriodLock.objects.exists()


def test_a_province_lock_refuses_edits_there_and_nowhere_else(world):
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    official = client_for(world["official"])
    response = post_values(official, world["commune"], {world["pct"]: ("90", "")})
    assert response.status_code == 409
    assert "Kỳ báo cáo 2023 đã khóa: không nhận thay đổi." in response.content.decode()
    assert not IndicatorValue.objects.exists()
    index = official.get(reverse("entry-index")).content.decode()
    assert "Năm 2023 🔒" in index
    reviewer = client_for(world["reviewer"])
    assert "Năm 2023 🔒" in reviewer.get(reverse("review-queue") + "?period=2023").content.decode()
    assert (
        "không nhận quyết định thẩm tra"
        in reviewer.get(reverse("review-unit", args=["71001", "2023"])).content.decode()
    )
    outsider = client_for(world["outsider"])
    assert "Năm 2023 🔒" not in outsider.get(reverse("entry-index")).content.decode()
    response = post_values(outsider, world["outside"], {world["pct"]: ("90", "")})
    assert response.status_code == 302
    assert IndicatorValue.objects.get().unit == world["outside"]
    with pytest.raises(PermissionDenied):
        services.period_lock(user=world["coordinator"], period=world["period"], province=world["outside"].parent)


def test_an_administrators_nationwide_lock_refuses_edits_everywhere(world):
    admin = UserFactory(username="quantri", is_superuser=True)
    url = reverse("entry-period-lock", args=["2023"])
    assert client_for(admin).post(url, {"locked": "1"}).status_code == 302
    assert ReportingPeriod.objects.get(code="2023").locked and not PeriodLock.objects.exists()
    for who, unit in (("official", "commune"), ("outsider", "outside")):
        response = post_values(client_for(world[who]), world[unit], {world["pct"]: ("90", "")})
        assert response.status_code == 409
        assert "đã khóa" in response.content.decode()
    assert not IndicatorValue.objects.exists()
    assert "🔒 Đã khóa toàn quốc" in client_for(admin).get(reverse("entry-periods")).content.decode()
    # The coordinator cannot reopen what the administrator closed for the country.
    assert client_for(world["coordinator"]).post(url, {"locked": "0"}).status_code == 403
    assert ReportingPeriod.objects.get(code="2023").locked


def test_import_values_reports_the_row_of_a_unit_in_a_locked_province_and_writes_nothing(world):
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    data = b"unit_code,indicator_code,value\n72001,1.1,90\n71001,1.1,85\n"
    with pytest.raises(FileRejected) as rejected:
        values_import(source=data, period=world["period"], filename="values.csv", rule_set_code="t-nc")
    assert [(p.row, p.field) for p in rejected.value.problems] == [(3, "A (unit_code)")]
    assert "đã khóa" in rejected.value.problems[0].reason
    assert not IndicatorValue.objects.exists()


def test_the_entry_page_reads_a_fixed_number_of_queries(world, django_assert_num_queries):
    client = client_for(world["official"])
    for indicator, raw in ((world["pct"], "90"), (world["yes"], "có"), (world["count"], "4")):
        services.value_save(
            user=world["official"],
            unit=world["commune"],
            indicator=indicator,
            period=world["period"],
            raw=raw,
            expected_version=0,
        )
    client.get(entry_url(world["commune"]))
    # session, user, memberships, unit, catalog (3), period, values, previous values, derived results, submission,
    # the commune's villages
    with django_assert_num_queries(13):
        response = client.get(entry_url(world["commune"]))
    assert response.status_code == 200


def test_the_review_pages_read_a_fixed_number_of_queries(world, django_assert_num_queries):
    official = client_for(world["official"])
    post_values(official, world["commune"], {world["pct"]: ("90", ""), world["yes"]: ("có", "")}, action="submit")
    services.value_save(
        user=world["official"],
        unit=world["sibling"],
        indicator=world["pct"],
        period=world["period"],
        raw="50",
        expected_version=0,
    )
    services.submission_submit(user=world["official"], unit=world["sibling"], period=world["period"])
    reviewer = client_for(world["reviewer"])
    # session, user, memberships, period, submissions, catalog (3), values, history, stored results, periods list,
    # communes not submitted yet
    with django_assert_num_queries(13):
        response = reviewer.get(reverse("review-queue") + "?period=2023")
    assert response.content.decode().count('class="queue-row') == 2
    with django_assert_num_queries(13):
        response = reviewer.get(reverse("review-unit", args=["71001", "2023"]))
    assert response.status_code == 200
