"""The OCOP pages: every one refuses an outsider (404 for what he may not see, 403 for what he may see but not
change), forms answer 400 with the message beside the field, and nothing is saved half-way."""

import datetime as dt

import pytest
from django.urls import reverse

from ocop.models import Certificate, Evaluation, Producer, Product


def urls(registry):
    product, certificate = registry["product"], registry["certificate"]
    return {
        "registry": reverse("ocop:registry", args=["81001"]),
        "export": reverse("ocop:export", args=["81001"]),
        "import": reverse("ocop:import", args=["81001"]),
        "producer-new": reverse("ocop:producer-new", args=["81001"]),
        "product-new": reverse("ocop:product-new", args=["81001"]),
        "expiring": reverse("ocop:expiring", args=["81"]),
        "product": reverse("ocop:product", args=[product.pk]),
        "evaluation-new": reverse("ocop:evaluation-new", args=[product.pk]),
        "certificate-new": reverse("ocop:certificate-new", args=[product.pk]),
        "revoke": reverse("ocop:revoke", args=[product.pk, certificate.pk]),
    }


POSTS = {"evaluation-new", "certificate-new", "revoke"}


@pytest.mark.parametrize(
    "name",
    [
        "registry",
        "export",
        "import",
        "producer-new",
        "product-new",
        "expiring",
        "product",
        "evaluation-new",
        "certificate-new",
        "revoke",
    ],
)
def test_an_outsider_gets_404_everywhere(client, people, registry, name):
    client.force_login(people["outsider"])
    url = urls(registry)[name]
    response = client.post(url, {}) if name in POSTS else client.get(url)
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["registry", "product", "expiring"])
def test_anonymous_users_are_sent_to_the_login(client, registry, name):
    response = client.get(urls(registry)[name])
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name", ["import", "producer-new", "product-new", "evaluation-new", "certificate-new", "revoke"]
)
def test_a_viewer_sees_but_cannot_change(client, people, registry, name):
    client.force_login(people["viewer"])
    url = urls(registry)[name]
    response = client.post(url, {}) if name in POSTS else client.get(url)
    assert response.status_code == 403
    assert client.get(urls(registry)["product"]).status_code == 200


def test_the_schemes_page_marks_the_148_bands_unverified(client, people, tree):
    client.force_login(people["viewer"])
    html = client.get(reverse("ocop:schemes")).content.decode()
    section = html.split("Quyết định 148/QĐ-TTg ngày 24/02/2023", 1)[1].split("</section>", 1)[0]
    assert section.count("chưa xác minh") >= 6  # the bands' table and each of its five rows
    assert '<td class="num">40</td>' in section and '<td class="num">35</td>' in section


def test_a_producer_in_a_commune_outside_the_users_scope_is_refused_beside_the_field(client, people, tree):
    client.force_login(people["official"])
    assert client.get(reverse("ocop:producer-new", args=["81"])).status_code == 404  # the province is not his
    response = client.post(
        reverse("ocop:producer-new", args=["81001"]),
        {"unit": "81002", "name": "Hộ Ông Ba", "kind": "ho_san_xuat"},
    )
    assert response.status_code == 400
    assert "ngoài phạm vi bạn được cập nhật" in response.content.decode()
    assert not Producer.objects.exists()
    response = client.post(
        reverse("ocop:producer-new", args=["81001"]),
        {"unit": "81001", "name": "Hộ Ông Ba", "kind": "ho_san_xuat", "phone": "0912"},
    )
    assert response.status_code == 302
    assert Producer.objects.get().phone == "0912"


def test_a_duplicate_product_is_refused_beside_its_name(client, people, registry):
    client.force_login(people["official"])
    response = client.post(
        reverse("ocop:product-new", args=["81001"]),
        {"producer": registry["producer"].pk, "name": "chè xanh", "group": "do_uong"},
    )
    assert response.status_code == 400 and "đã có sản phẩm" in response.content.decode()
    response = client.post(
        reverse("ocop:product-new", args=["81001"]),
        {"producer": registry["producer"].pk, "name": "Chè đen", "group": "do_uong"},
    )
    assert response.status_code == 302 and Product.objects.count() == 2


def test_the_scoring_sheet_computes_the_stars_and_refuses_a_part_over_its_maximum(client, people, registry):
    client.force_login(people["official"])
    url = urls(registry)["evaluation-new"]
    form = {"evaluated_on": "2025-04-01", "part_a": 41, "part_b": 20, "part_c": 30}
    response = client.post(url, form)
    assert response.status_code == 400 and "0–40" in response.content.decode()
    response = client.post(url, {**form, "part_a": 40, "stars": 4})  # 90 points: 5 stars
    assert response.status_code == 400 and "90 điểm ứng với 5 sao" in response.content.decode()
    assert Evaluation.objects.count() == 1
    response = client.post(url, {**form, "part_a": 40})
    assert response.status_code == 302
    assert Evaluation.objects.get(evaluated_on=dt.date(2025, 4, 1)).stars == 5


def test_a_certificate_with_expiry_before_the_decision_is_refused(client, people, registry):
    client.force_login(people["coordinator"])
    Certificate.objects.all().delete()
    url = urls(registry)["certificate-new"]
    form = {"evaluation": registry["evaluation"].pk, "decision_number": "7/QĐ", "decision_date": "2024-03-01"}
    response = client.post(url, {**form, "expires_on": "2024-02-01"})
    assert response.status_code == 400 and "Ngày hết hạn phải sau ngày quyết định" in response.content.decode()
    assert not Certificate.objects.exists()
    assert client.post(url, form).status_code == 302
    assert Certificate.objects.get().expires_on == dt.date(2027, 3, 1)


def test_revoking_needs_a_reason(client, people, registry):
    client.force_login(people["reviewer"])
    url = urls(registry)["revoke"]
    assert client.post(url, {"revoked_on": "2025-01-01", "reason": ""}).status_code == 400
    assert client.post(url, {"revoked_on": "2025-01-01", "reason": "Vi phạm chất lượng"}).status_code == 302
    assert Certificate.objects.get().revoked_on == dt.date(2025, 1, 1)


def test_malformed_input_answers_400_not_500(client, people, registry):
    client.force_login(people["coordinator"])
    assert client.post(urls(registry)["evaluation-new"], {"evaluated_on": "hôm qua", "part_a": "x"}).status_code == 400
    assert client.post(urls(registry)["certificate-new"], {"evaluation": "abc"}).status_code == 400
    assert client.post(urls(registry)["import"], {"file": ""}).status_code == 400
    response = client.post(urls(registry)["import"], {"file": _upload(b"not a workbook", "x.xlsx")})
    assert response.status_code == 400 and "Không đọc được tệp Excel" in response.content.decode()
    assert client.get(reverse("ocop:registry", args=["81"]), {"page": "zzz"}).status_code == 200


def _upload(content, name):
    import io

    f = io.BytesIO(content)
    f.name = name
    return f


def test_the_product_page_reads_a_fixed_number_of_queries(client, people, registry, django_assert_num_queries):
    client.force_login(people["viewer"])
    # session, user, product, scope, rounds with certificates, part scores, parts, items, scope for the buttons
    with django_assert_num_queries(8):
        response = client.get(urls(registry)["product"])
    assert "72" in response.content.decode()


def test_the_ocop_home_lists_the_users_own_units(client, people, tree):
    client.force_login(people["official"])
    html = client.get(reverse("ocop:home")).content.decode()
    assert reverse("ocop:registry", args=["81001"]) in html and reverse("ocop:registry", args=["82"]) not in html
    client.force_login(people["outsider"])
    html = client.get(reverse("ocop:home")).content.decode()
    assert reverse("ocop:registry", args=["82"]) in html and reverse("ocop:registry", args=["81001"]) not in html


def test_the_command_loads_the_schemes_once(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_ocop_schemes", stdout=out)
    call_command("load_ocop_schemes", stdout=out)
    lines = out.getvalue().splitlines()
    assert "148-2023 v1: A 40 / B 25 / C 35; mức sao CHƯA xác minh" in lines
    assert "1048-2019 v1: A 35 / B 25 / C 40; mức sao CHƯA xác minh" in lines
    from ocop.models import ScoringScheme

    assert ScoringScheme.objects.count() == 2


def test_the_registry_reads_in_english(client, people, registry):
    client.force_login(people["viewer"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("ocop:registry", args=["81"])).content.decode()
    assert "OCOP product registry" not in html  # that is the dashboard link; the page itself:
    assert "Export to Excel" in html and "Cooperative" in html and "Drinks" in html
