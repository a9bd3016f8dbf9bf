"""The OCOP part of the Quảng Ninh demo: the province's reported totals, every row invented and marked demo.

Reported (DOMAIN.md, seed 002, mid-2023): 336 products (245 three-star, 87 four-star, 4 five-star) from 219
producers (54 enterprises, 87 cooperatives, 78 households); seed 000/001: TP Móng Cái, 29 products of 3–5 stars.
Which producer makes what, in which commune, with which points and decision, is invented (names say "mẫu"). The
rows go through the same import as an office's Excel file, so the stars come from the points by the scheme in force
on each evaluation date, never from a stored number.
"""

from __future__ import annotations

import datetime as dt
import random

from communes.access import Rights
from communes.models import AdminUnit, Level

from .excel import (
    DECISION,
    DECISION_DATE,
    EVALUATED,
    GROUP,
    KIND,
    PART,
    PRODUCER,
    PRODUCT,
    STARS,
    UNIT,
    ImportResult,
    products_import_rows,
)
from .models import Certificate, ProducerKind, Product, ProductGroup
from .services import certificate_issue, evaluation_record, name_key, scheme_in_force, schemes_load, sheet_of

PROVINCE = "22"
MONG_CAI = "194"
# Reported totals.
STAR_COUNTS = {3: 245, 4: 87, 5: 4}
PRODUCER_COUNTS = {ProducerKind.ENTERPRISE: 54, ProducerKind.COOPERATIVE: 87, ProducerKind.HOUSEHOLD: 78}
MONG_CAI_PRODUCTS = 29
# Invented split of Móng Cái's 29 products and its producers (all within the province's totals).
MONG_CAI_STARS = {3: 20, 4: 8, 5: 1}
MONG_CAI_PRODUCERS = {ProducerKind.ENTERPRISE: 5, ProducerKind.COOPERATIVE: 7, ProducerKind.HOUSEHOLD: 6}
# A few products renewed in late 2023–2024 (certificates running to late 2026 – mid 2027), so the list of
# certificates expiring within six months has rows around the turn of 2026/2027.
RENEWED = 12
# Móng Cái's certificates are dated before the end of 2022 (its page reads the 2022 results); the others before
# mid-2023. All are in force on 30/09/2023, the period the province page shows.
MONG_CAI_DAYS = (dt.date(2021, 1, 10), dt.date(2022, 11, 15))
OTHER_DAYS = (dt.date(2020, 11, 1), dt.date(2023, 6, 1))
RENEWAL_DAYS = (dt.date(2023, 11, 1), dt.date(2024, 4, 20))
KIND_WORD = {ProducerKind.ENTERPRISE: "Công ty", ProducerKind.COOPERATIVE: "HTX", ProducerKind.HOUSEHOLD: "Hộ"}
BANDS = {3: (50, 69), 4: (70, 89), 5: (90, 100)}


def _day(rng: random.Random, span: tuple[dt.date, dt.date]) -> dt.date:
    return span[0] + dt.timedelta(days=rng.randrange((span[1] - span[0]).days))


def _parts(rng: random.Random, stars: int, day: dt.date) -> dict[str, int]:
    """Points of the band, split over the parts of the scheme in force on the day, each within its maximum."""
    maxima = sheet_of(scheme_in_force(day=day)).parts
    low, high = BANDS[stars]
    total = rng.randint(low, high)
    parts = dict.fromkeys(maxima, 0)
    left = total
    for code, maximum in maxima.items():
        share = round(total * maximum / 100)
        parts[code] = min(share, maximum)
        left -= parts[code]
    codes = list(maxima)
    while left:
        code = rng.choice(codes)
        step = 1 if left > 0 else -1
        if 0 <= parts[code] + step <= maxima[code]:
            parts[code] += step
            left -= step
    return parts


def _split(count_by_key: dict, total_items: int) -> list:
    return [key for key, n in count_by_key.items() for _ in range(n)][:total_items]


def _rows() -> list[tuple[int, dict]]:
    rng = random.Random("ocop-quang-ninh")  # noqa: S311 - demo data, not security
    communes = list(AdminUnit.objects.filter(path__startswith=f"{PROVINCE}/", level=Level.COMMUNE).order_by("path"))
    mong_cai = [c for c in communes if c.path.startswith(f"{PROVINCE}/{MONG_CAI}/")]
    others = [c for c in communes if not c.path.startswith(f"{PROVINCE}/{MONG_CAI}/")]

    # Producers: Móng Cái's first, then the rest of the province's.
    producers = []
    rest = {k: n - MONG_CAI_PRODUCERS[k] for k, n in PRODUCER_COUNTS.items()}
    for where, counts in ((mong_cai, MONG_CAI_PRODUCERS), (others, rest)):
        kinds = _split(counts, sum(counts.values()))
        rng.shuffle(kinds)
        for kind in kinds:
            number = len(producers) + 1
            producers.append(
                {"unit": rng.choice(where), "kind": kind, "name": f"{KIND_WORD[kind]} mẫu {number:03d} (tên mẫu)"}
            )
    in_mong_cai = [p for p in producers if p["unit"] in mong_cai]
    elsewhere = [p for p in producers if p["unit"] not in mong_cai]

    # Products: every producer has at least one; the rest go to producers at random.
    rest_stars = {s: n - MONG_CAI_STARS[s] for s, n in STAR_COUNTS.items()}
    plan = []
    for owners, stars_count, span in (
        (in_mong_cai, MONG_CAI_STARS, MONG_CAI_DAYS),
        (elsewhere, rest_stars, OTHER_DAYS),
    ):
        stars = _split(stars_count, sum(stars_count.values()))
        rng.shuffle(stars)
        owners_for = owners + [rng.choice(owners) for _ in range(len(stars) - len(owners))]
        for owner, star in zip(owners_for, stars, strict=True):
            plan.append((owner, star, span))
    groups = [value for value, _label in ProductGroup.choices]
    weights = [50, 15, 12, 12, 6, 5]
    rows = []
    for number, (owner, stars, span) in enumerate(plan, start=1):
        evaluated = _day(rng, span)
        decided = evaluated + dt.timedelta(days=rng.randint(14, 40))
        parts = _parts(rng, stars, evaluated)
        row = {
            UNIT: owner["unit"].code,
            PRODUCER: owner["name"],
            KIND: owner["kind"].label,
            PRODUCT: f"Sản phẩm mẫu {number:03d} (tên mẫu)",
            GROUP: ProductGroup(rng.choices(groups, weights)[0]).label,
            EVALUATED: evaluated,
            **{PART.format(code): points for code, points in parts.items()},
            STARS: stars,
            DECISION: f"(mẫu) {number:03d}/QĐ-UBND",
            DECISION_DATE: decided,
        }
        rows.append(row)
    return [(n, {name_key(k): v for k, v in row.items()}) for n, row in enumerate(rows, start=2)]


def _renewals(rights: Rights) -> None:
    """Every 28th product outside Móng Cái evaluated again in 2023–2024 with the same stars, and certified again."""
    rng = random.Random("ocop-renewals")  # noqa: S311 - demo data, not security
    products = (
        Product.objects.filter(is_demo=True, producer__unit__path__startswith=f"{PROVINCE}/")
        .exclude(producer__unit__path__startswith=f"{PROVINCE}/{MONG_CAI}/")
        .select_related("producer__unit")
        .order_by("name")
    )
    for product in list(products)[:: max(1, products.count() // RENEWED)][:RENEWED]:
        first = product.evaluations.order_by("evaluated_on").first()
        if product.evaluations.count() > 1:
            continue  # already renewed by an earlier run
        renewed_on = _day(rng, RENEWAL_DAYS)
        evaluation = evaluation_record(
            rights=rights,
            product=product,
            evaluated_on=renewed_on,
            parts=_parts(rng, first.stars, renewed_on),
            typed_stars=first.stars,
            council="(mẫu) Hội đồng đánh giá cấp tỉnh",
            is_demo=True,
        )
        certificate_issue(
            rights=rights,
            evaluation=evaluation,
            decision_number=f"(mẫu) {first.certificate.decision_number[5:]} gia hạn",
            decision_date=renewed_on + dt.timedelta(days=20),
            is_demo=True,
        )


def ocop_demo_load() -> ImportResult:
    """Idempotent: a second run finds every row already stored and changes nothing."""
    schemes_load()
    rights = Rights(is_admin=True, grants=())
    result = products_import_rows(rights=rights, rows=_rows(), is_demo=True)
    _renewals(rights)
    # One renewal revoked (demo), so the registry shows the status.
    revoked = Certificate.objects.filter(is_demo=True, decision_number__endswith="gia hạn").order_by("pk").first()
    if revoked is not None and revoked.revoked_on is None:
        revoked.revoked_on = dt.date(2025, 6, 2)
        revoked.revoke_reason = "(mẫu) Chủ thể ngừng sản xuất sản phẩm"
        revoked.save(update_fields=["revoked_on", "revoke_reason"])
    return result
