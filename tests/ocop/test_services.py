"""Writes of the registry: who may make them, what is refused, certificates and their status on a day, and the
count the rule sets can read."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from communes.access import rights_for
from ocop.models import CertificateStatus, Evaluation, Producer, ProducerKind, Product, ProductGroup
from ocop.scoring import ScoringError
from ocop.selectors import certificates_expiring, certified_count, ocop_summary
from ocop.services import (
    OcopError,
    add_months,
    certificate_issue,
    certificate_revoke,
    evaluation_record,
    producer_save,
    product_create,
)


def test_the_registry_fixture_scores_and_certifies(registry):
    evaluation, certificate = registry["evaluation"], registry["certificate"]
    assert (evaluation.total_points, evaluation.stars, evaluation.scheme.code) == (72, 4, "148-2023")
    assert certificate.stars == 4 and certificate.expires_on == dt.date(2027, 3, 1)  # 36 months


def test_a_producer_in_a_unit_outside_the_users_scope_is_refused(tree, people):
    with pytest.raises(PermissionDenied):
        producer_save(rights=rights_for(people["official"]), unit=tree["sibling"], name="Hộ A", kind="ho_san_xuat")
    with pytest.raises(PermissionDenied):
        producer_save(rights=rights_for(people["outsider"]), unit=tree["commune"], name="Hộ A", kind="ho_san_xuat")
    with pytest.raises(PermissionDenied):
        producer_save(rights=rights_for(people["viewer"]), unit=tree["commune"], name="Hộ A", kind="ho_san_xuat")
    assert not Producer.objects.exists()
    assert producer_save(rights=rights_for(people["official"]), unit=tree["commune"], name="Hộ A", kind="ho_san_xuat")


def test_a_producer_belongs_to_a_commune_and_is_not_registered_twice(tree, people, registry):
    rights = rights_for(people["coordinator"])
    with pytest.raises(OcopError) as refused:
        producer_save(rights=rights, unit=tree["district"], name="Công ty B", kind=ProducerKind.ENTERPRISE)
    assert refused.value.field == "unit"
    with pytest.raises(OcopError) as refused:
        producer_save(rights=rights, unit=tree["commune"], name="  htx chè  ĐỒNG THỬ ", kind=ProducerKind.COOPERATIVE)
    assert refused.value.field == "name"
    # The same name in another commune is another producer.
    assert producer_save(rights=rights, unit=tree["sibling"], name="HTX Chè Đồng Thử", kind=ProducerKind.COOPERATIVE)


def test_a_duplicate_product_of_the_same_producer_is_refused(people, registry):
    rights = rights_for(people["coordinator"])
    with pytest.raises(OcopError) as refused:
        product_create(rights=rights, producer=registry["producer"], name="CHÈ  XANH", group=ProductGroup.DRINK)
    assert "đã có sản phẩm" in str(refused.value)
    assert Product.objects.count() == 1


def test_points_outside_a_part_and_stars_that_do_not_match_save_nothing(people, registry):
    rights = rights_for(people["coordinator"])
    product = registry["product"]
    with pytest.raises(ScoringError):
        evaluation_record(
            rights=rights, product=product, evaluated_on=dt.date(2025, 1, 1), parts={"A": 41, "B": 1, "C": 1}
        )
    with pytest.raises(ScoringError):
        evaluation_record(
            rights=rights,
            product=product,
            evaluated_on=dt.date(2025, 1, 1),
            parts={"A": 30, "B": 20, "C": 20},  # 70: 4 stars
            typed_stars=3,
        )
    assert Evaluation.objects.count() == 1


def test_the_scheme_follows_the_evaluation_date(people, registry):
    rights = rights_for(people["coordinator"])
    # Under 1048 part C went up to 40; the same points on a 148 date are refused.
    old = evaluation_record(
        rights=rights, product=registry["product"], evaluated_on=dt.date(2022, 5, 1), parts={"A": 30, "B": 20, "C": 40}
    )
    assert (old.scheme.code, old.total_points, old.stars) == ("1048-2019", 90, 5)
    with pytest.raises(ScoringError):
        evaluation_record(
            rights=rights,
            product=registry["product"],
            evaluated_on=dt.date(2023, 3, 1),
            parts={"A": 30, "B": 20, "C": 40},
        )


def test_certificates_need_three_stars_and_an_expiry_after_the_decision(people, registry):
    rights = rights_for(people["coordinator"])
    product = registry["product"]
    low = evaluation_record(
        rights=rights, product=product, evaluated_on=dt.date(2025, 1, 1), parts={"A": 20, "B": 15, "C": 14}
    )
    assert low.stars == 2
    with pytest.raises(OcopError) as refused:
        certificate_issue(rights=rights, evaluation=low, decision_number="1", decision_date=dt.date(2025, 2, 1))
    assert refused.value.field == "evaluation"
    good = evaluation_record(
        rights=rights, product=product, evaluated_on=dt.date(2025, 6, 1), parts={"A": 30, "B": 15, "C": 14}
    )
    with pytest.raises(OcopError) as refused:
        certificate_issue(
            rights=rights,
            evaluation=good,
            decision_number="2",
            decision_date=dt.date(2025, 7, 1),
            expires_on=dt.date(2025, 6, 30),
        )
    assert refused.value.field == "expires_on"
    with pytest.raises(OcopError) as refused:
        certificate_issue(rights=rights, evaluation=good, decision_number="2", decision_date=dt.date(2025, 5, 1))
    assert refused.value.field == "decision_date"


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (dt.date(2024, 3, 1), CertificateStatus.CERTIFIED),
        (dt.date(2026, 8, 31), CertificateStatus.CERTIFIED),  # expiry 01/03/2027 is more than 6 months away
        (dt.date(2026, 9, 1), CertificateStatus.EXPIRING),  # exactly 6 months away: within the 6 months
        (dt.date(2027, 2, 28), CertificateStatus.EXPIRING),
        (dt.date(2027, 3, 1), CertificateStatus.EXPIRED),
    ],
)
def test_status_on_a_day(registry, day, status):
    assert registry["certificate"].status_on(day) == status


def test_revoked_certificates_stop_counting_from_the_revocation(people, registry, tree):
    rights = rights_for(people["coordinator"])
    certificate = registry["certificate"]
    assert certified_count(unit=tree["province"], on=dt.date(2025, 1, 1)) == 1
    with pytest.raises(OcopError):
        certificate_revoke(rights=rights, certificate=certificate, revoked_on=dt.date(2025, 1, 1), reason=" ")
    certificate_revoke(rights=rights, certificate=certificate, revoked_on=dt.date(2025, 1, 1), reason="Ngừng sản xuất")
    certificate.refresh_from_db()
    assert certificate.status_on(dt.date(2025, 1, 1)) == CertificateStatus.REVOKED
    assert certified_count(unit=tree["province"], on=dt.date(2024, 12, 31)) == 1
    assert certified_count(unit=tree["province"], on=dt.date(2025, 1, 1)) == 0


def test_the_count_for_rule_sets_follows_the_subtree_the_day_and_the_latest_certificate(people, registry, tree):
    rights = rights_for(people["coordinator"])
    product = registry["product"]
    assert certified_count(unit=tree["commune"], on=dt.date(2024, 2, 29)) == 0  # before the decision
    assert certified_count(unit=tree["district"], on=dt.date(2024, 3, 1)) == 1
    assert certified_count(unit=tree["sibling"], on=dt.date(2024, 3, 1)) == 0
    assert certified_count(unit=tree["district"], on=dt.date(2024, 3, 1), min_stars=5) == 0
    # Re-evaluated at 5 stars and certified again: still one product, now counted at 5 stars.
    again = evaluation_record(
        rights=rights, product=product, evaluated_on=dt.date(2025, 5, 1), parts={"A": 38, "B": 24, "C": 33}
    )
    certificate_issue(rights=rights, evaluation=again, decision_number="9", decision_date=dt.date(2025, 6, 1))
    day = dt.date(2025, 7, 1)
    assert certified_count(unit=tree["province"], on=day) == 1
    assert certified_count(unit=tree["province"], on=day, min_stars=5) == 1
    assert ocop_summary(unit=tree["province"], on=day).by_stars == {5: 1}
    # The old certificate is replaced, so it is not listed as expiring.
    assert list(certificates_expiring(unit=tree["province"], today=dt.date(2027, 1, 1))) == []


def test_add_months_keeps_the_end_of_month():
    assert add_months(dt.date(2024, 2, 29), 36) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)
