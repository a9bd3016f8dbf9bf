"""The Quảng Ninh OCOP demo against the reported figures, shown on the province, district and commune pages.
The demo is built once for the module."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from communes.models import AdminUnit
from ocop.demo import ocop_demo_load
from ocop.models import Certificate, Producer, ProducerKind, Product
from ocop.selectors import certificates_expiring, certified_count, ocop_summary

PROVINCE, MONG_CAI, BINH_LIEU, DONG_TAM = "22", "194", "198", "06844"
# The province page reads the latest period with results (2023-9M), Móng Cái's its own (2022).
PROVINCE_DAY, MONG_CAI_DAY = dt.date(2023, 9, 30), dt.date(2022, 12, 31)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        quiet = io.StringIO()
        call_command("import_units", stdout=quiet)
        call_command("load_rule_sets", stdout=quiet)
        call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def users(demo, db):
    User = get_user_model()
    return {
        name: User.objects.get(username=name)
        for name in ("demo-xa-dongtam", "demo-huyen-binhlieu", "demo-tinh-quangninh", "demo-tinh-dieuphoi")
    }


def test_the_province_holds_the_reported_products_and_producers(demo, db):
    summary = ocop_summary(unit=AdminUnit.objects.get(code=PROVINCE), on=PROVINCE_DAY)
    assert summary.by_stars == {3: 245, 4: 87, 5: 4}
    assert summary.products == 336
    assert summary.producers_by_kind == {
        ProducerKind.ENTERPRISE: 54,
        ProducerKind.COOPERATIVE: 87,
        ProducerKind.HOUSEHOLD: 78,
    }
    assert summary.is_demo
    assert Product.objects.filter(is_demo=False).count() == 0 and Producer.objects.filter(is_demo=False).count() == 0
    assert all("mẫu" in p.name for p in Producer.objects.all())


def test_mong_cai_holds_29_products_of_3_to_5_stars(demo, db):
    mong_cai = AdminUnit.objects.get(code=MONG_CAI)
    for day in (MONG_CAI_DAY, PROVINCE_DAY):
        summary = ocop_summary(unit=mong_cai, on=day)
        assert summary.products == 29 and set(summary.by_stars) <= {3, 4, 5}
    assert certified_count(unit=mong_cai, on=MONG_CAI_DAY) == 29


def test_the_stars_follow_from_the_points_under_the_scheme_of_the_day(demo, db):
    for certificate in Certificate.objects.select_related("evaluation__scheme").prefetch_related(
        "evaluation__part_scores__part"
    ):
        evaluation = certificate.evaluation
        parts = {ps.part.code: (ps.points, ps.part.max_points) for ps in evaluation.part_scores.all()}
        assert all(points <= maximum for points, maximum in parts.values())
        assert sum(p for p, _m in parts.values()) == evaluation.total_points
        expected = 3 if evaluation.total_points < 70 else 4 if evaluation.total_points < 90 else 5
        assert certificate.stars == evaluation.stars == expected
        if evaluation.evaluated_on >= dt.date(2023, 2, 24):
            assert evaluation.scheme.code == "148-2023" and parts["A"][1] == 40
        else:
            assert evaluation.scheme.code == "1048-2019" and parts["A"][1] == 35


def test_the_demo_loads_twice_without_change(demo, db):
    before = (Product.objects.count(), Certificate.objects.count())
    result = ocop_demo_load()
    assert result.products == result.evaluations == result.certificates == 0
    assert result.unchanged == 336
    assert (Product.objects.count(), Certificate.objects.count()) == before


def _numbers(html: str, css_class: str) -> dict[str, str]:
    table = html.split(f'class="compact {css_class}"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num"[^>]*>(\d+)</td>', table))


def test_the_province_page_shows_the_reported_figures(client, users):
    client.force_login(users["demo-tinh-quangninh"])
    html = client.get(reverse("unit-detail", args=[PROVINCE])).content.decode()
    assert "<strong>336</strong> sản phẩm OCOP từ 3 sao của <strong>219</strong> chủ thể" in html
    assert _numbers(html, "ocop-stars") == {"3 sao": "245", "4 sao": "87", "5 sao": "4"}
    kinds = html.split('class="compact ocop-kinds"', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', kinds))
    assert rows == {"Doanh nghiệp": "54", "Hợp tác xã": "87", "Tổ hợp tác": "0", "Hộ sản xuất kinh doanh": "78"}
    assert 'id="ocop-figures"' in html and "js/ocop.js" in html
    assert "30/09/2023" in html


def test_the_mong_cai_page_shows_29_products(client, users):
    client.force_login(users["demo-tinh-quangninh"])
    html = client.get(reverse("unit-detail", args=[MONG_CAI])).content.decode()
    assert "<strong>29</strong> sản phẩm OCOP từ 3 sao" in html
    stars = _numbers(html, "ocop-stars")
    assert sum(int(n) for n in stars.values()) == 29


def test_a_commune_page_counts_only_its_own_products(client, users, db):
    producer = Producer.objects.filter(unit__path__startswith="22/194/").select_related("unit").first()
    commune = producer.unit
    expected = ocop_summary(unit=commune, on=dt.date.today()).products
    client.force_login(users["demo-tinh-quangninh"])
    html = client.get(reverse("unit-detail", args=[commune.code])).content.decode()
    assert f"<strong>{expected}</strong> sản phẩm OCOP" in html


def test_expiring_certificates_of_the_province(client, users, db):
    province = AdminUnit.objects.get(code=PROVINCE)
    day = dt.date(2026, 12, 1)
    rows = list(certificates_expiring(unit=province, today=day))
    assert rows, "the demo renews some products so that the list has rows"
    assert all(day < c.expires_on <= dt.date(2027, 6, 1) and c.revoked_on is None for c in rows)
    # The first certificates of the renewed products expired long ago and are not listed.
    assert not any("gia hạn" not in c.decision_number for c in rows)
    client.force_login(users["demo-tinh-quangninh"])
    response = client.get(reverse("ocop:expiring", args=[PROVINCE]))
    assert response.status_code == 200


def test_the_export_round_trips_unchanged(client, users, db):
    client.force_login(users["demo-tinh-quangninh"])
    response = client.get(reverse("ocop:export", args=[MONG_CAI]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã xã", "Tên xã", "Tên chủ thể") and len(rows) == 30
    upload = io.BytesIO(response.content)
    upload.name = "ocop-194.xlsx"
    assert client.post(reverse("ocop:import", args=[MONG_CAI]), {"file": upload}).status_code == 403  # a viewer
    upload.seek(0)
    client.force_login(users["demo-tinh-dieuphoi"])
    response = client.post(reverse("ocop:import", args=[MONG_CAI]), {"file": upload}, follow=True)
    assert "0 sản phẩm mới, 0 lần đánh giá, 0 giấy chứng nhận, 0 chủ thể mới; 29 dòng không thay đổi" in (
        response.content.decode()
    )


def test_the_registry_page_reads_a_fixed_number_of_queries(client, users, django_assert_num_queries):
    client.force_login(users["demo-tinh-quangninh"])
    # session, user, unit, scope, count, products, evaluations, part scores, certificates
    with django_assert_num_queries(9):
        response = client.get(reverse("ocop:registry", args=[PROVINCE]))
    assert len(response.context["rows"]) == 100


def test_a_commune_official_sees_only_his_subtree(client, users):
    client.force_login(users["demo-xa-dongtam"])
    assert client.get(reverse("ocop:registry", args=[DONG_TAM])).status_code == 200
    assert client.get(reverse("ocop:registry", args=[MONG_CAI])).status_code == 404
    assert client.get(reverse("ocop:export", args=[PROVINCE])).status_code == 404
    assert client.get(reverse("ocop:expiring", args=[PROVINCE])).status_code == 404
    product = Product.objects.filter(producer__unit__path__startswith="22/194/").first()
    assert client.get(reverse("ocop:product", args=[product.pk])).status_code == 404
